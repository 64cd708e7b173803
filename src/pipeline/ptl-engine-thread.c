/* The engine thread: owns the backend and the streaming engine. It starts once enough
 * frames arrived, gives every new frame its own update when it comes, sweeps over all
 * frames received so far (random order) between arrivals, and refines after the series
 * until converged or out of budget. It never waits for anybody upstream: its input queue
 * is drained whole at every step. When it cannot keep up, frames beyond the newest
 * PTL_MAX_VISITS of a step join the sweeps without their own update, and are counted as
 * skipped. It alone makes the snapshots. */
#include "config.h"

#include "ptl-engine-thread.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"

/* Own updates given per step at most; the older arrivals of a burst wait for the sweep. */
#define PTL_MAX_VISITS 16
/* Free space left around the first frames' windows on the first canvas. */
#define CANVAS_MARGIN 8
/* Sweeps over which the refinement's convergence is judged. */
#define CONVERGENCE_WINDOW 10
/* Farthest a window corner may lie from the first frame's, pixels along each axis: a
 * position beyond it (a stage glitch, wrong units) would make a canvas of gigabytes, so
 * its frame is left out and counted as a stream error. */
#define PTL_MAX_SPAN 16384.0
/* Latency summaries sort every sample: done at most this often. */
#define TIMINGS_PERIOD_US 500000

static void
incoming_free (gpointer item)
{
  ptl_item_free (item);
}

void
_ptl_engine_run_init (PtlEngineRun *run,
                      PtlPipeline  *self)
{
  *run = (PtlEngineRun) { .self = self, .device_snapshots = TRUE };
  run->incoming = g_ptr_array_new_with_free_func (incoming_free);
  run->translation = g_array_new (FALSE, FALSE, sizeof (double));
  run->arrival = g_array_new (FALSE, FALSE, sizeof (double));
  run->params = self->config.recon;
}

void
_ptl_engine_run_reset (PtlEngineRun *run)
{
  g_clear_pointer (&run->engine, ptl_engine_free);
  g_ptr_array_set_size (run->incoming, 0);
  g_array_set_size (run->translation, 0);
  g_array_set_size (run->arrival, 0);
  run->series_ended = FALSE;
  run->scan_end_published = FALSE;
  run->finished = FALSE;
  run->refine_sweeps = 0;
  run->anchored = FALSE;
}

void
_ptl_engine_run_clear (PtlEngineRun *run)
{
  _ptl_engine_run_reset (run);
  g_clear_pointer (&run->incoming, g_ptr_array_unref);
  g_clear_pointer (&run->translation, g_array_unref);
  g_clear_pointer (&run->arrival, g_array_unref);
  g_clear_pointer (&run->backend, ptl_backend_free);
}

static void
frame_corner (PtlEngineRun *run,
              double        x,
              double        y,
              double       *corner)
{
  double row, col;

  ptl_axis_mapping_to_pixels (&run->mapping, run->pixel_size, x, y, &row, &col);
  corner[0] = row - run->offset_row;
  corner[1] = col - run->offset_col;
}

static void
remember_frame (PtlEngineRun  *run,
                const PtlItem *item)
{
  double arrival = (item->received_us - run->first_us) / (double) G_USEC_PER_SEC;

  g_array_append_val (run->translation, item->x);
  g_array_append_val (run->translation, item->y);
  g_array_append_val (run->arrival, arrival);
}

static void
log_reconstructed (PtlEngineRun *run,
                   guint         first,
                   guint         count,
                   guint         visited)
{
  PtlPipeline *self = run->self;
  gint64 now = g_get_monotonic_time ();

  for (guint k = first; k < first + count; k++)
    {
      PtlItem *item = g_ptr_array_index (run->incoming, k);
      if (item->first)
        {
          ptl_latency_log_add (self->preprocessed_to_reconstructed,
                               (now - item->preprocessed_us) / 1000.0);
          ptl_latency_log_add (self->paired_to_reconstructed, (now - item->paired_us) / 1000.0);
        }
    }
  g_mutex_lock (&self->stats_lock);
  self->counters.reconstructed += count;
  self->counters.skipped += count - visited;
  g_mutex_unlock (&self->stats_lock);
}

/* The first frames make the engine: the canvas holds their windows with a margin, the
 * probe comes from their mean pattern (or the model), the mask is where all are measured. */
static gboolean
create_engine (PtlEngineRun *run,
               GError      **error)
{
  PtlPipeline *self = run->self;
  guint n = run->incoming->len, m = run->geometry.frame_size;
  gsize mm = (gsize) m * m;
  double min_row = INFINITY, min_col = INFINITY, max_row = -INFINITY, max_col = -INFINITY;

  if (run->backend == NULL)
    {
      run->backend = ptl_backend_new (self->config.backend, self->config.recon_gpu,
                                      self->config.threads, error);
      if (run->backend == NULL)
        return FALSE;
    }
  g_autoptr (PtlScanData) scan = ptl_scan_data_new (&run->geometry, &run->mapping, n, error);
  if (scan == NULL)
    return FALSE;
  scan->mask = g_malloc (mm);
  memset (scan->mask, 1, mm);
  run->offset_row = run->offset_col = 0.0;
  for (guint k = 0; k < n; k++)
    {
      PtlItem *item = g_ptr_array_index (run->incoming, k);
      double corner[2];
      frame_corner (run, item->x, item->y, corner);
      min_row = MIN (min_row, corner[0]);
      min_col = MIN (min_col, corner[1]);
      max_row = MAX (max_row, corner[0]);
      max_col = MAX (max_col, corner[1]);
    }
  run->offset_row = floor (min_row) - CANVAS_MARGIN;
  run->offset_col = floor (min_col) - CANVAS_MARGIN;
  float *intensity = ptl_array_float (scan->intensity);
  for (guint k = 0; k < n; k++)
    {
      PtlItem *item = g_ptr_array_index (run->incoming, k);
      memcpy (intensity + k * mm, item->pattern, mm * sizeof (float));
      for (gsize i = 0; i < mm; i++)
        scan->mask[i] &= item->mask[i];
      frame_corner (run, item->x, item->y, scan->positions + 2 * k);
      scan->translation[2 * k] = item->x;
      scan->translation[2 * k + 1] = item->y;
    }
  scan->canvas_rows = (guint) ceil (max_row - min_row) + 2 * CANVAS_MARGIN + m + 1;
  scan->canvas_cols = (guint) ceil (max_col - min_col) + 2 * CANVAS_MARGIN + m + 1;

  run->engine = ptl_engine_new (run->backend, scan, &run->params, self->model_probe, error);
  if (run->engine == NULL)
    return FALSE;
  for (guint k = 0; k < n; k++)
    remember_frame (run, g_ptr_array_index (run->incoming, k));
  log_reconstructed (run, 0, n, n);
  g_ptr_array_set_size (run->incoming, 0);
  return TRUE;
}

/* Frames that came since the last step join the engine; the newest get their own update. */
static gboolean
add_incoming (PtlEngineRun *run,
              GError      **error)
{
  guint n = run->incoming->len, m = run->geometry.frame_size;
  gsize mm = (gsize) m * m;

  if (n == 0)
    return TRUE;
  g_autofree float *intensity = g_new (float, n * mm);
  g_autofree guint8 *masks = g_new (guint8, n * mm);
  g_autofree double *corners = g_new (double, 2 * n);
  for (guint k = 0; k < n; k++)
    {
      PtlItem *item = g_ptr_array_index (run->incoming, k);
      memcpy (intensity + k * mm, item->pattern, mm * sizeof (float));
      memcpy (masks + k * mm, item->mask, mm);
      frame_corner (run, item->x, item->y, corners + 2 * k);
    }
  guint first = ptl_engine_n_frames (run->engine);
  if (!ptl_engine_add_frames (run->engine, intensity, masks, corners, n, error))
    return FALSE;
  for (guint k = 0; k < n; k++)
    remember_frame (run, g_ptr_array_index (run->incoming, k));

  guint visits = MIN (n, PTL_MAX_VISITS);
  if (!ptl_engine_visit_frames (run->engine, first + n - visits, visits, error))
    return FALSE;
  log_reconstructed (run, 0, n, visits);
  g_ptr_array_set_size (run->incoming, 0);
  return TRUE;
}

static gboolean
position_usable (PtlEngineRun  *run,
                 const PtlItem *item)
{
  PtlPipeline *self = run->self;
  double row, col;

  ptl_axis_mapping_to_pixels (&run->mapping, run->pixel_size, item->x, item->y, &row, &col);
  if (isfinite (row) && isfinite (col)
      && (!run->anchored
          || (fabs (row - run->anchor_row) <= PTL_MAX_SPAN
              && fabs (col - run->anchor_col) <= PTL_MAX_SPAN)))
    {
      if (!run->anchored)
        {
          run->anchored = TRUE;
          run->anchor_row = row;
          run->anchor_col = col;
        }
      return TRUE;
    }
  g_message ("Image %" G_GUINT64_FORMAT " left out: its position (%g, %g) m is more than %.0f "
             "pixels from the first frame's", item->image_id, item->x, item->y, PTL_MAX_SPAN);
  g_mutex_lock (&self->stats_lock);
  self->ingest_errors++;
  self->counters.stream_errors++;
  g_mutex_unlock (&self->stats_lock);
  return FALSE;
}

/* Takes everything queued; waits only when there is nothing to compute. */
static void
drain (PtlEngineRun *run,
       gboolean      idle)
{
  PtlPipeline *self = run->self;
  PtlItem *item = ptl_queue_pop (self->engine_queue, idle ? 50000 : 0);

  for (; item != NULL; item = ptl_queue_pop (self->engine_queue, 0))
    switch (item->kind)
      {
      case PTL_ITEM_START:
        run->geometry = item->geometry;
        run->mapping = self->config.mapping;
        /* Translations arrive in metres: the stage scale was applied when they were
         * decoded. */
        run->mapping.scale = 1.0;
        run->pixel_size = ptl_geometry_pixel_size (&run->geometry);
        ptl_item_free (item);
        break;
      case PTL_ITEM_PATTERN:
        /* Made before the last new preprocessing: it comes again, made anew. */
        if (item->generation != run->generation)
          {
            ptl_item_free (item);
            break;
          }
        if (!position_usable (run, item))
          {
            ptl_item_free (item);
            break;
          }
        if (run->first_us == 0)
          run->first_us = item->received_us;
        g_ptr_array_add (run->incoming, item);
        break;
      case PTL_ITEM_END:
        run->series_ended = TRUE;
        ptl_item_free (item);
        break;
      case PTL_ITEM_RESTART:
        _ptl_engine_run_reset (run);
        run->generation = item->generation;
        /* The frames come again, made anew: the new engine counts them afresh. */
        g_mutex_lock (&self->stats_lock);
        self->counters.reconstructed = self->counters.skipped = 0;
        g_mutex_unlock (&self->stats_lock);
        _ptl_pipeline_set_state (self, PTL_PIPELINE_ACQUIRING);
        ptl_item_free (item);
        break;
      default:
        ptl_item_free (item);
        break;
      }
}

static void
apply_params (PtlEngineRun *run)
{
  PtlPipeline *self = run->self;
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->lock);
  gboolean pending = self->recon_pending;
  PtlReconParams params = self->recon_params;
  self->recon_pending = FALSE;
  g_mutex_unlock (&self->lock);
  if (!pending)
    return;
  if (run->engine != NULL && !ptl_engine_set_params (run->engine, &params, &error))
    {
      g_message ("New reconstruction parameters refused: %s", error->message);
      return;
    }
  run->params = params;
  if (run->finished)
    {
      /* New parameters after the end: refine again with them. */
      run->finished = FALSE;
      run->refine_sweeps = 0;
      run->refine_start_us = g_get_monotonic_time ();
      _ptl_pipeline_set_state (self, PTL_PIPELINE_REFINING);
    }
}

static gboolean
converged (PtlEngineRun *run)
{
  guint n;
  const double *errors = ptl_engine_errors (run->engine, &n);
  double tolerance = run->self->config.converged_change;

  if (tolerance <= 0.0 || run->refine_sweeps < CONVERGENCE_WINDOW || n < CONVERGENCE_WINDOW + 1)
    return FALSE;
  double now = errors[n - 1], before = errors[n - 1 - CONVERGENCE_WINDOW];
  return fabs (before - now) <= tolerance * fabs (before);
}

static gboolean
refinement_done (PtlEngineRun *run)
{
  PtlPipeline *self = run->self;
  double elapsed = (g_get_monotonic_time () - run->refine_start_us) / (double) G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  guint sweeps = self->refine_sweeps;
  double seconds = self->refine_seconds;
  g_mutex_unlock (&self->lock);
  return run->refine_sweeps >= sweeps || (seconds > 0.0 && elapsed >= seconds) || converged (run);
}

static gboolean
finish (PtlEngineRun *run,
        GError      **error)
{
  PtlPipeline *self = run->self;
  g_autoptr (PtlSnapshot) snapshot = _ptl_engine_snapshot (run, PTL_PIPELINE_FINISHED, TRUE, error);

  if (snapshot == NULL)
    return FALSE;
  if (self->config.result_file != NULL
      && !_ptl_pipeline_write_result (self->config.result_file, snapshot, error))
    return FALSE;
  g_mutex_lock (&self->stats_lock);
  gint64 last = self->last_received_us;
  g_mutex_unlock (&self->stats_lock);
  /* The user's wait: last frame received → final result ready (and written). */
  snapshot->timings.wait_after_scan_s = (g_get_monotonic_time () - last) / (double) G_USEC_PER_SEC;
  run->finished = TRUE;
  _ptl_pipeline_publish (self, g_steal_pointer (&snapshot), FALSE, TRUE);
  return TRUE;
}

static gboolean
step (PtlEngineRun *run,
      GError      **error)
{
  PtlPipeline *self = run->self;
  gboolean idle = run->engine == NULL || run->finished;

  drain (run, idle);
  apply_params (run);

  if (run->engine == NULL)
    {
      if (run->incoming->len == 0
          || (run->incoming->len < self->config.start_after && !run->series_ended))
        {
          if (run->series_ended && run->incoming->len == 0 && !run->finished)
            {
              PtlPipelineCounters counters = _ptl_pipeline_counters (self);
              g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ,
                           "The series ended without a frame to reconstruct: %" G_GUINT64_FORMAT
                           " images received, %" G_GUINT64_FORMAT " paired with a position",
                           counters.received, counters.paired);
              return FALSE;
            }
          return TRUE;
        }
      if (!create_engine (run, error))
        return FALSE;
    }
  else if (!add_incoming (run, error))
    return FALSE;
  if (run->finished)
    return TRUE;

  if (run->series_ended && !run->scan_end_published)
    {
      g_autoptr (PtlSnapshot) snapshot = _ptl_engine_snapshot (run, PTL_PIPELINE_REFINING, TRUE,
                                                              error);
      if (snapshot == NULL)
        return FALSE;
      run->scan_end_published = TRUE;
      run->refine_start_us = g_get_monotonic_time ();
      _ptl_pipeline_set_state (self, PTL_PIPELINE_REFINING);
      _ptl_pipeline_publish (self, g_steal_pointer (&snapshot), TRUE, FALSE);
    }
  else if (!run->series_ended)
    _ptl_pipeline_set_state (self, PTL_PIPELINE_ACQUIRING);

  if (!ptl_engine_iterate (run->engine, error))
    return FALSE;
  if (run->scan_end_published)
    {
      run->refine_sweeps++;
      if (refinement_done (run))
        return finish (run, error);
    }

  gint64 now = g_get_monotonic_time ();
  if (now - run->last_snapshot_us >= (gint64) (G_USEC_PER_SEC / self->config.snapshot_rate))
    {
      PtlSnapshot *snapshot = _ptl_engine_snapshot (run, PTL_PIPELINE_STATE_CURRENT, FALSE, error);
      if (snapshot == NULL)
        return FALSE;
      _ptl_pipeline_publish (self, snapshot, FALSE, FALSE);
    }
  return TRUE;
}

gpointer
_ptl_engine_thread (gpointer pipeline)
{
  PtlPipeline *self = pipeline;
  PtlEngineRun run;
  g_autoptr (GError) error = NULL;

  _ptl_engine_run_init (&run, self);
  while (!_ptl_pipeline_is_stopping (self))
    if (!step (&run, &error))
      {
        _ptl_pipeline_fail (self, error->message);
        break;
      }
  _ptl_engine_run_clear (&run);
  return NULL;
}
