/* Snapshots of the engine thread: copies of everything the user sees, so that they can be
 * read from any thread while the engine goes on. */
#include "config.h"

#include "ptl-engine-thread.h"

#include <string.h>

static void
place_positions (PtlEngineRun *run,
                 PtlSnapshot  *snapshot)
{
  guint rows, cols, n;
  gint origin_row, origin_col;

  ptl_engine_canvas (run->engine, &rows, &cols, &origin_row, &origin_col);
  snapshot->positions = ptl_engine_copy_positions (run->engine, &n);
  snapshot->n_positions = n;
  /* The engine's corners are on the current canvas, which may have grown since the first
   * frames: their (0, 0) is now at the origin. */
  snapshot->stage_origin_row = origin_row - run->offset_row;
  snapshot->stage_origin_col = origin_col - run->offset_col;
  snapshot->arrival_s = g_memdup2 (run->arrival->data, MIN (n, run->arrival->len) * sizeof (double));
}

static void
update_timings (PtlEngineRun *run,
                gboolean      now)
{
  PtlPipeline *self = run->self;
  gint64 t = g_get_monotonic_time ();

  if (!now && t - run->last_timings_us < 500000)
    return;
  run->last_timings_us = t;
  run->timings.receive_to_preprocessed = ptl_latency_log_summary (self->receive_to_preprocessed);
  run->timings.preprocessed_to_reconstructed
    = ptl_latency_log_summary (self->preprocessed_to_reconstructed);
  run->timings.paired_to_reconstructed = ptl_latency_log_summary (self->paired_to_reconstructed);
  run->timings.receive_to_recorded = ptl_latency_log_summary (self->receive_to_recorded);
  run->timings.wait_after_scan_s = -1.0;
}

PtlSnapshot *
_ptl_engine_snapshot (PtlEngineRun    *run,
                      PtlPipelineState state,
                      gboolean         timings_now,
                      GError         **error)
{
  PtlPipeline *self = run->self;
  g_autoptr (PtlSnapshot) snapshot = _ptl_snapshot_new ();
  guint n_errors;

  snapshot->object = ptl_engine_get_object (run->engine, error);
  if (snapshot->object == NULL)
    return NULL;
  if (self->config.device_snapshots && run->device_snapshots)
    {
      g_autoptr (GError) local = NULL;

      snapshot->object_device = ptl_engine_get_object_on_device (run->engine, &local);
      /* The host copy is there either way: the views upload that one instead. */
      if (snapshot->object_device == NULL)
        {
          g_info ("Snapshots stay on the host: %s", local->message);
          run->device_snapshots = FALSE;
        }
    }
  snapshot->probe = ptl_engine_get_probe (run->engine, error);
  if (snapshot->probe == NULL)
    return NULL;
  snapshot->n_modes = 1;
  snapshot->pixel_size = run->pixel_size;
  place_positions (run, snapshot);
  const double *errors = ptl_engine_errors (run->engine, &n_errors);
  snapshot->errors = g_memdup2 (errors, n_errors * sizeof (double));
  snapshot->n_errors = n_errors;

  snapshot->counters = _ptl_pipeline_counters (self);
  snapshot->counters.iteration = ptl_engine_iteration (run->engine);
  snapshot->counters.error = n_errors > 0 ? errors[n_errors - 1] : 0.0;
  update_timings (run, timings_now);
  snapshot->timings = run->timings;
  snapshot->backend = g_strdup (ptl_backend_description (run->backend));
  snapshot->mapping = run->mapping;
  snapshot->geometry = run->geometry;
  snapshot->params = run->params;

  g_mutex_lock (&self->lock);
  snapshot->state = state == PTL_PIPELINE_STATE_CURRENT ? self->state : state;
  snapshot->preprocess_device = g_strdup (self->preprocess_device);
  snapshot->record_message = g_strdup (self->record_message);
  snapshot->pattern = self->latest_pattern != NULL ? ptl_array_copy (self->latest_pattern) : NULL;
  snapshot->raw_frame = self->latest_raw != NULL ? ptl_array_copy (self->latest_raw) : NULL;
  snapshot->crop_centre_row = self->crop_centre_row;
  snapshot->crop_centre_col = self->crop_centre_col;
  snapshot->crop = self->crop;
  g_mutex_unlock (&self->lock);

  run->last_snapshot_us = g_get_monotonic_time ();
  return g_steal_pointer (&snapshot);
}
