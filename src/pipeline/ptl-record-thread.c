/* The recorder thread: writes every received image (its bytes as they came) and every
 * paired position, in arrival order. It never drops: the queue before it has no count
 * limit, and past its byte bound the receive threads wait for it (counted as
 * record_wait_ms). A file that cannot be made or written (disk full, no permission) is
 * reported once; the live reconstruction goes on and the counters say how many frames
 * were not recorded. A file removed during the run (or its folder) would take every
 * frame written into it along when it is closed: the thread notices, says so, and counts
 * those frames, and the ones after, as not recorded. */
#include "config.h"

#include "ptl-pipeline-private.h"

#include <glib/gstdio.h>

/* How often the thread checks that its file is still where the user will look for it. */
#define CHECK_PERIOD_US 200000

typedef struct
{
  PtlPipeline *self;
  PtlRecorder *recorder;
  gboolean     failed;   /* the file could not be made, or was removed */
  gboolean     ended;
  dev_t        device;   /* the file the recorder made */
  ino_t        inode;
  gint64       last_check_us;
} Recording;

static void
record_failure (PtlPipeline *self,
                const char  *message)
{
  g_mutex_lock (&self->lock);
  if (self->record_message == NULL)
    {
      self->record_message = g_strdup (message);
      g_message ("Recording: %s", message);
    }
  g_mutex_unlock (&self->lock);
}

static void
count (PtlPipeline *self,
       gboolean     recorded,
       gint64       received_us)
{
  if (recorded)
    ptl_latency_log_add (self->receive_to_recorded,
                         (g_get_monotonic_time () - received_us) / 1000.0);
  g_mutex_lock (&self->stats_lock);
  if (recorded)
    self->counters.recorded++;
  else
    self->counters.not_recorded++;
  g_mutex_unlock (&self->stats_lock);
}

static char *
counters_json (PtlPipeline *self)
{
  PtlPipelineCounters c = _ptl_pipeline_counters (self);

  return g_strdup_printf ("{\"received\": %" G_GUINT64_FORMAT ", \"paired\": %" G_GUINT64_FORMAT
                          ", \"recorded\": %" G_GUINT64_FORMAT ", \"not_recorded\": %"
                          G_GUINT64_FORMAT ", \"stream_errors\": %" G_GUINT64_FORMAT
                          ", \"dropped\": %" G_GUINT64_FORMAT ", \"record_wait_ms\": %.1f}",
                          c.received, c.paired, c.recorded, c.not_recorded, c.stream_errors,
                          c.dropped, c.record_wait_ms);
}

/* The file at the recording's path is still the one being written. */
static gboolean
still_there (Recording *r)
{
  GStatBuf st;

  return g_stat (r->self->config.record_file, &st) == 0 && st.st_dev == r->device
         && st.st_ino == r->inode;
}

static void
close_recorder (Recording *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  if (r->recorder == NULL)
    return;
  json = counters_json (r->self);
  if (!ptl_recorder_set_counters (r->recorder, json, &error))
    {
      record_failure (r->self, error->message);
      g_clear_error (&error);
    }
  if (!ptl_recorder_close (g_steal_pointer (&r->recorder), &error))
    record_failure (r->self, error->message);
}

/* The file went away under the recorder: what was written into it is lost with it. */
static void
check_removed (Recording *r,
               gboolean   now)
{
  PtlPipeline *self = r->self;
  gint64 t = g_get_monotonic_time ();

  if (r->recorder == NULL || (!now && t - r->last_check_us < CHECK_PERIOD_US))
    return;
  r->last_check_us = t;
  if (still_there (r))
    return;
  g_mutex_lock (&self->stats_lock);
  guint64 lost = self->counters.recorded;
  self->counters.not_recorded += lost;
  self->counters.recorded = 0;
  g_mutex_unlock (&self->stats_lock);
  g_autofree char *message = g_strdup_printf ("%s was removed during the run: the %"
                                              G_GUINT64_FORMAT " frames written into it are "
                                              "lost, and the next ones are not recorded",
                                              self->config.record_file, lost);
  record_failure (self, message);
  close_recorder (r);
  r->failed = TRUE;
}

static void
create (Recording   *r,
        PtlFrameRef *frame,
        GError     **error)
{
  PtlPipeline *self = r->self;
  const PtlPipelineConfig *c = &self->config;
  g_autoptr (PtlSeriesInfo) series = _ptl_series_info_copy (self->series);
  GStatBuf st;

  /* The geometry the run was given (what the stream did not say, or said otherwise) goes
   * with the recording, so that its replay reconstructs what the live run did from the
   * file alone. */
  if (c->distance > 0)
    series->detector_distance = c->distance;
  if (c->energy_ev > 0)
    {
      series->energy_ev = c->energy_ev;
      series->wavelength = ptl_wavelength_from_energy_ev (c->energy_ev);
    }
  if (c->pixel_size > 0)
    series->pixel_size_x = series->pixel_size_y = c->pixel_size;
  /* The file takes the encoding of the images, known with the first one. */
  /* Where the positions come from goes with them. A run without a position stream (a
   * replay) has its positions in metres already. */
  PtlPositionSource source = {
    c->x_name, c->y_name,
    self->positions != NULL ? self->position_scale : 1.0,
    c->samples_per_frame,
    c->mapping,
  };
  r->recorder = ptl_recorder_create_full (self->config.record_file, series,
                                          frame->image->encoding, &self->config.preprocess,
                                          &source, self->config.flush_every, error);
  r->failed = r->recorder == NULL;
  if (r->recorder != NULL && g_stat (self->config.record_file, &st) == 0)
    {
      r->device = st.st_dev;
      r->inode = st.st_ino;
      r->last_check_us = g_get_monotonic_time ();
    }
}

static void
write_frame (Recording   *r,
             PtlFrameRef *frame)
{
  PtlPipeline *self = r->self;
  g_autoptr (GError) error = NULL;

  if (self->config.record_delay_s > 0)
    g_usleep ((gulong) (self->config.record_delay_s * G_USEC_PER_SEC));
  if (r->recorder == NULL && !r->failed)
    create (r, frame, &error);
  check_removed (r, FALSE);
  if (r->recorder != NULL && ptl_recorder_add_frame (r->recorder, frame->image, &error))
    count (self, TRUE, frame->received_us);
  else
    {
      if (error != NULL)
        record_failure (self, error->message);
      count (self, FALSE, 0);
    }
}

gpointer
_ptl_record_thread (gpointer pipeline)
{
  Recording r = { .self = pipeline };
  PtlItem *item;

  while ((item = ptl_queue_pop (r.self->record_queue, -1)) != NULL)
    {
      g_autoptr (GError) error = NULL;

      switch (item->kind)
        {
        case PTL_ITEM_IMAGE:
          if (!r.ended)
            write_frame (&r, item->frame);
          break;
        case PTL_ITEM_POSITION:
          if (r.recorder != NULL && !r.ended
              && !ptl_recorder_add_position (r.recorder, item->image_id, item->x, item->y,
                                             &error))
            record_failure (r.self, error->message);
          break;
        case PTL_ITEM_END:
          r.ended = TRUE;
          check_removed (&r, TRUE);
          close_recorder (&r);
          break;
        default:
          break;
        }
      ptl_item_free (item);
    }
  check_removed (&r, TRUE);
  close_recorder (&r);
  return NULL;
}
