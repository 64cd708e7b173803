/* Where the receive threads (detector, positions, replay) hand over: images go to the
 * recorder's queue and the preprocessing's, positions to the preprocessing (which pairs
 * them with the patterns). The receive threads never wait for the engine; they wait only
 * when the recorder or the preprocessing is more than its byte bound behind
 * (back-pressure, counted), so that nothing is lost. */
#include "config.h"

#include "ptl-pipeline-private.h"

void
_ptl_ingest_push_record (PtlPipeline *self,
                         PtlItem     *item,
                         gsize        bytes)
{
  if (self->record_queue == NULL)
    {
      ptl_item_free (item);
      return;
    }
  gint64 waited = ptl_queue_push (self->record_queue, item, bytes);
  if (waited > 0)
    {
      g_mutex_lock (&self->stats_lock);
      self->counters.record_wait_ms += waited / 1000.0;
      g_mutex_unlock (&self->stats_lock);
    }
}

static void
count_stream_error (PtlPipeline *self)
{
  g_mutex_lock (&self->stats_lock);
  self->ingest_errors++;
  self->counters.stream_errors = self->ingest_errors + self->client_errors;
  g_mutex_unlock (&self->stats_lock);
}

/* Under ingest_lock. */
static void
end_series (PtlPipeline *self)
{
  self->series_ended = TRUE;
  ptl_queue_push (self->preprocess_queue, ptl_item_new (PTL_ITEM_END), 0);
}

static void
on_start (PtlPipeline   *self,
          PtlSeriesInfo *series)
{
  g_mutex_lock (&self->ingest_lock);
  if (self->series != NULL)
    {
      /* One series per run: a later one is not mixed into this reconstruction. A detector
       * armed again before the end message means that the current series is over. */
      if (!self->series_ended && g_strcmp0 (self->series->series_id, series->series_id) != 0)
        end_series (self);
      g_message ("Series %s not taken: this run reconstructs series %s", series->series_id,
                 self->series->series_id);
      g_mutex_unlock (&self->ingest_lock);
      ptl_series_info_free (series);
      return;
    }
  self->series = series;
  _ptl_ingest_push_record (self, ptl_item_new (PTL_ITEM_START), 0);
  ptl_queue_push (self->preprocess_queue, ptl_item_new (PTL_ITEM_START), 0);
  g_mutex_unlock (&self->ingest_lock);
}

static void
on_image (PtlPipeline  *self,
          PtlImageInfo *image)
{
  gint64 now = g_get_monotonic_time ();
  gboolean ours, later;

  g_mutex_lock (&self->ingest_lock);
  ours = self->series != NULL && !self->series_ended
         && g_strcmp0 (self->series->series_id, image->series_id) == 0;
  /* After the end, or of another series: a later series, not an error of the stream. */
  later = !ours && self->series != NULL
          && (self->series_ended || g_strcmp0 (self->series->series_id, image->series_id) != 0);
  g_mutex_unlock (&self->ingest_lock);
  if (later)
    {
      g_mutex_lock (&self->stats_lock);
      self->counters.other_series++;
      g_mutex_unlock (&self->stats_lock);
    }
  else if (!ours)
    count_stream_error (self);
  if (!ours)
    {
      ptl_image_info_free (image);
      return;
    }

  PtlFrameRef *frame = ptl_frame_ref_new (image, now);
  gsize bytes = g_bytes_get_size (image->data);
  g_mutex_lock (&self->stats_lock);
  self->counters.received++;
  if (self->first_received_us == 0)
    self->first_received_us = self->rate_window_us = now;
  self->last_received_us = now;
  if (now - self->rate_window_us >= G_USEC_PER_SEC)
    {
      self->rate_last = self->rate_window_count * (double) G_USEC_PER_SEC
                        / (now - self->rate_window_us);
      self->rate_window_us = now;
      self->rate_window_count = 0;
    }
  self->rate_window_count++;
  g_mutex_unlock (&self->stats_lock);

  PtlItem *record = ptl_item_new (PTL_ITEM_IMAGE);
  record->frame = ptl_frame_ref_acquire (frame);
  _ptl_ingest_push_record (self, record, bytes);
  PtlItem *item = ptl_item_new (PTL_ITEM_IMAGE);
  item->frame = frame;
  ptl_queue_push (self->preprocess_queue, item, bytes);
}

static void
on_end (PtlPipeline *self,
        const char  *series_id)
{
  g_mutex_lock (&self->ingest_lock);
  if (self->series != NULL && !self->series_ended
      && g_strcmp0 (self->series->series_id, series_id) == 0)
    end_series (self);
  g_mutex_unlock (&self->ingest_lock);
}

void
_ptl_ingest_detector_event (PtlStreamEvent *event,
                            gpointer        user_data)
{
  PtlPipeline *self = user_data;

  switch (event->type)
    {
    case PTL_STREAM_EVENT_START:
      on_start (self, g_steal_pointer (&event->series));
      break;
    case PTL_STREAM_EVENT_IMAGE:
      on_image (self, g_steal_pointer (&event->image));
      break;
    case PTL_STREAM_EVENT_END:
      on_end (self, event->series_id);
      break;
    }
  ptl_stream_event_free (event);
}

void
_ptl_ingest_positions (PtlPandaMsgType         type,
                       const PtlStagePosition *positions,
                       guint                   n_positions,
                       gpointer                user_data)
{
  PtlPipeline *self = user_data;

  if (n_positions == 0)
    return;
  PtlItem *item = ptl_item_new (PTL_ITEM_POSITIONS);
  item->positions = g_array_sized_new (FALSE, FALSE, sizeof (PtlStagePosition), n_positions);
  g_array_append_vals (item->positions, positions, n_positions);
  ptl_queue_push (self->preprocess_queue, item, n_positions * sizeof (PtlStagePosition));
}

void
_ptl_ingest_count_client_errors (PtlPipeline *self)
{
  guint64 errors = 0;

  if (self->detector != NULL)
    {
      PtlDetectorCounters d = ptl_detector_client_counters (self->detector);
      errors += d.decode_errors + d.order_errors + d.mismatched;
    }
  if (self->positions != NULL)
    errors += ptl_position_client_counters (self->positions).panda.bad_messages;
  g_mutex_lock (&self->stats_lock);
  self->client_errors = errors;
  self->counters.stream_errors = self->ingest_errors + self->client_errors;
  g_mutex_unlock (&self->stats_lock);
}
