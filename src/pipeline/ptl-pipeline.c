/* The pipeline object: assembles the threads, owns the mailbox, and relays the engine's
 * news to the thread that made it (signals are emitted only there). */
#include "config.h"

#include "ptl-pipeline-private.h"

#include <math.h>

#include "core/ptl-error.h"
#include "io/ptl-result-file.h"

G_DEFINE_FINAL_TYPE (PtlPipeline, ptl_pipeline, G_TYPE_OBJECT)

enum
{
  SIGNAL_SNAPSHOT,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
ptl_pipeline_finalize (GObject *object)
{
  PtlPipeline *self = PTL_PIPELINE (object);

  ptl_pipeline_stop (self);
  g_clear_pointer (&self->snapshot, ptl_snapshot_unref);
  g_clear_pointer (&self->scan_end_snapshot, ptl_snapshot_unref);
  g_clear_pointer (&self->record_queue, ptl_queue_free);
  g_clear_pointer (&self->preprocess_queue, ptl_queue_free);
  g_clear_pointer (&self->engine_queue, ptl_queue_free);
  g_clear_pointer (&self->series, ptl_series_info_free);
  g_clear_pointer (&self->scan_file, ptl_scan_file_free);
  g_clear_pointer (&self->model_probe, ptl_array_free);
  g_clear_pointer (&self->calibration_dark, ptl_array_free);
  g_clear_pointer (&self->calibration_mask, g_free);
  g_clear_pointer (&self->latest_pattern, ptl_array_free);
  g_clear_pointer (&self->latest_raw, ptl_array_free);
  g_clear_object (&self->cancellable);
  g_free (self->failure);
  g_free (self->preprocess_device);
  g_free (self->record_message);
  ptl_latency_log_free (self->receive_to_preprocessed);
  ptl_latency_log_free (self->preprocessed_to_reconstructed);
  ptl_latency_log_free (self->paired_to_reconstructed);
  ptl_latency_log_free (self->receive_to_recorded);
  _ptl_pipeline_config_clear (&self->config);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->ingest_lock);
  g_mutex_clear (&self->stats_lock);
  G_OBJECT_CLASS (ptl_pipeline_parent_class)->finalize (object);
}

static void
ptl_pipeline_class_init (PtlPipelineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ptl_pipeline_finalize;
  signals[SIGNAL_SNAPSHOT] = g_signal_new ("snapshot", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
}

static void
ptl_pipeline_init (PtlPipeline *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->ingest_lock);
  g_mutex_init (&self->stats_lock);
  self->receive_to_preprocessed = ptl_latency_log_new ();
  self->preprocessed_to_reconstructed = ptl_latency_log_new ();
  self->paired_to_reconstructed = ptl_latency_log_new ();
  self->receive_to_recorded = ptl_latency_log_new ();
}

PtlPipeline *
ptl_pipeline_new (const PtlPipelineConfig *config,
                  GError                 **error)
{
  g_autoptr (PtlArray) model_probe = NULL;

  if (!_ptl_pipeline_config_validate (config, error))
    return NULL;
  if (config->recon.probe_init == PTL_PROBE_INIT_MODEL)
    {
      if (config->probe_file == NULL)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "A model probe needs a result file to take it from");
          return NULL;
        }
      g_autoptr (PtlResult) result = ptl_result_file_read (config->probe_file, error);
      if (result == NULL)
        return NULL;
      gsize m = ptl_array_cols (result->probe);
      model_probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
      memcpy (model_probe->data, result->probe->data, ptl_array_bytes (model_probe));
    }

  PtlPipeline *self = g_object_new (PTL_TYPE_PIPELINE, NULL);
  _ptl_pipeline_config_copy (&self->config, config);
  self->config.probe_file = NULL;
  self->model_probe = g_steal_pointer (&model_probe);
  self->context = g_main_context_ref_thread_default ();
  self->state = PTL_PIPELINE_IDLE;
  self->recon_params = config->recon;
  self->refine_sweeps = config->final_iterations;
  self->refine_seconds = config->final_seconds;
  return self;
}

gboolean
ptl_pipeline_start (PtlPipeline *self,
                    GError     **error)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), FALSE);

  if (self->started)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The pipeline was already started");
      return FALSE;
    }
  if (!_ptl_source_prepare (self, error))
    return FALSE;
  self->started = TRUE;
  self->preprocess_queue = ptl_queue_new (PTL_PREPROCESS_QUEUE_BYTES,
                                          (GDestroyNotify) ptl_item_free);
  self->engine_queue = ptl_queue_new (0, (GDestroyNotify) ptl_item_free);
  if (self->config.record_file != NULL)
    self->record_queue = ptl_queue_new (self->config.record_queue_bytes > 0
                                          ? self->config.record_queue_bytes
                                          : PTL_RECORD_QUEUE_BYTES,
                                        (GDestroyNotify) ptl_item_free);

  /* The consumers first, so that nothing the sources deliver waits for a thread. */
  self->engine_thread = g_thread_new ("ptl-engine", _ptl_engine_thread, self);
  self->preprocess_thread = g_thread_new ("ptl-preprocess", _ptl_preprocess_worker, self);
  if (self->record_queue != NULL)
    self->record_thread = g_thread_new ("ptl-recorder", _ptl_record_thread, self);
  _ptl_pipeline_set_state (self, PTL_PIPELINE_WAITING);
  if (!_ptl_source_start (self, error))
    {
      ptl_pipeline_stop (self);
      return FALSE;
    }
  return TRUE;
}

void
ptl_pipeline_stop (PtlPipeline *self)
{
  g_return_if_fail (PTL_IS_PIPELINE (self));

  if (!self->started || self->stopped)
    return;
  self->stopped = TRUE;
  g_atomic_int_set (&self->stopping, 1);
  ptl_queue_close (self->preprocess_queue);
  ptl_queue_close (self->engine_queue);
  g_clear_pointer (&self->engine_thread, g_thread_join);
  g_clear_pointer (&self->preprocess_thread, g_thread_join);
  _ptl_source_stop (self);
  /* Every receive thread is gone: what they queued for the recorder is written, then the
   * file is closed. */
  if (self->record_queue != NULL)
    ptl_queue_close (self->record_queue);
  g_clear_pointer (&self->record_thread, g_thread_join);

  g_mutex_lock (&self->lock);
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_clear_pointer (&self->notify_source, g_source_unref);
    }
  if (self->snapshot != NULL)
    {
      /* Every thread is gone: the counters are final now (the recorder may have written
       * frames after the engine's last snapshot). */
      PtlSnapshot *last = _ptl_snapshot_copy (self->snapshot);
      PtlPipelineCounters engine = last->counters;
      last->counters = _ptl_pipeline_counters (self);
      last->counters.iteration = engine.iteration;
      last->counters.error = engine.error;
      last->counters.frames_per_second = 0.0;
      g_free (last->record_message);
      last->record_message = g_strdup (self->record_message);
      last->sequence = self->snapshot->sequence + 1;
      ptl_snapshot_unref (self->snapshot);
      self->snapshot = last;
    }
  g_mutex_unlock (&self->lock);
}

gboolean
_ptl_pipeline_is_stopping (PtlPipeline *self)
{
  return g_atomic_int_get (&self->stopping) != 0;
}

PtlPipelineCounters
_ptl_pipeline_counters (PtlPipeline *self)
{
  g_mutex_lock (&self->stats_lock);
  PtlPipelineCounters counters = self->counters;
  gint64 last = self->last_received_us, now = g_get_monotonic_time ();
  /* The rate of the last full second (of the first frames until a second has passed); a
   * stream quiet for a second runs at 0. */
  double rate = self->rate_last;
  if (rate == 0.0 && self->rate_window_count > 1 && last > self->rate_window_us)
    rate = (self->rate_window_count - 1) * (double) G_USEC_PER_SEC / (last - self->rate_window_us);
  counters.frames_per_second = last > 0 && now - last < G_USEC_PER_SEC ? rate : 0.0;
  g_mutex_unlock (&self->stats_lock);
  return counters;
}

/* Runs in the pipeline's context: emits what the threads announced since the last time. */
static gboolean
notify_main (gpointer user_data)
{
  PtlPipeline *self = user_data;

  g_mutex_lock (&self->lock);
  gboolean snapshot = self->notify_snapshot, finished = self->notify_finished;
  self->notify_snapshot = self->notify_finished = FALSE;
  g_clear_pointer (&self->notify_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  g_object_ref (self);
  if (snapshot)
    g_signal_emit (self, signals[SIGNAL_SNAPSHOT], 0);
  if (finished)
    g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Under self->lock. One pending source at most: a slow main loop sees the newest only. */
static void
schedule_notify (PtlPipeline *self)
{
  if (self->notify_source != NULL || self->stopped)
    return;
  self->notify_source = g_idle_source_new ();
  g_source_set_priority (self->notify_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->notify_source, notify_main, self, NULL);
  g_source_attach (self->notify_source, self->context);
}

void
_ptl_pipeline_publish (PtlPipeline *self,
                       PtlSnapshot *snapshot,
                       gboolean     scan_end,
                       gboolean     finished)
{
  g_mutex_lock (&self->lock);
  snapshot->sequence = self->snapshot != NULL ? self->snapshot->sequence + 1 : 1;
  if (finished)
    self->state = snapshot->state;
  if (scan_end)
    {
      g_clear_pointer (&self->scan_end_snapshot, ptl_snapshot_unref);
      self->scan_end_snapshot = ptl_snapshot_ref (snapshot);
    }
  g_clear_pointer (&self->snapshot, ptl_snapshot_unref);
  self->snapshot = snapshot;
  self->notify_snapshot = TRUE;
  self->notify_finished |= finished;
  schedule_notify (self);
  g_mutex_unlock (&self->lock);
}

void
_ptl_pipeline_set_state (PtlPipeline     *self,
                         PtlPipelineState state)
{
  g_mutex_lock (&self->lock);
  if (self->state != PTL_PIPELINE_FAILED)
    self->state = state;
  g_mutex_unlock (&self->lock);
}

/* A failure ends the series: the message travels in a snapshot of its own (keeping the
 * last object and probe, so that nothing reconstructed is lost). */
void
_ptl_pipeline_fail (PtlPipeline *self,
                    const char  *message)
{
  g_mutex_lock (&self->lock);
  if (self->state == PTL_PIPELINE_FAILED)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->state = PTL_PIPELINE_FAILED;
  PtlSnapshot *previous = self->snapshot != NULL ? ptl_snapshot_ref (self->snapshot) : NULL;
  g_mutex_unlock (&self->lock);

  g_message ("Pipeline stopped: %s", message);
  PtlSnapshot *snapshot = _ptl_snapshot_new ();
  snapshot->state = PTL_PIPELINE_FAILED;
  snapshot->message = g_strdup (message);
  snapshot->counters = _ptl_pipeline_counters (self);
  snapshot->timings.wait_after_scan_s = -1.0;
  if (previous != NULL)
    {
      snapshot->object = previous->object ? ptl_array_copy (previous->object) : NULL;
      snapshot->probe = previous->probe ? ptl_array_copy (previous->probe) : NULL;
      snapshot->n_modes = previous->n_modes;
      snapshot->pixel_size = previous->pixel_size;
      ptl_snapshot_unref (previous);
    }
  _ptl_pipeline_publish (self, snapshot, FALSE, TRUE);
}

PtlSnapshot *
ptl_pipeline_get_snapshot (PtlPipeline *self)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), NULL);
  g_mutex_lock (&self->lock);
  PtlSnapshot *snapshot = self->snapshot != NULL ? ptl_snapshot_ref (self->snapshot) : NULL;
  g_mutex_unlock (&self->lock);
  return snapshot;
}

PtlSnapshot *
ptl_pipeline_get_scan_end_snapshot (PtlPipeline *self)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), NULL);
  g_mutex_lock (&self->lock);
  PtlSnapshot *snapshot = self->scan_end_snapshot != NULL
                            ? ptl_snapshot_ref (self->scan_end_snapshot) : NULL;
  g_mutex_unlock (&self->lock);
  return snapshot;
}

PtlPipelineState
ptl_pipeline_get_state (PtlPipeline *self)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), PTL_PIPELINE_FAILED);
  g_mutex_lock (&self->lock);
  PtlPipelineState state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

gboolean
ptl_pipeline_set_recon_params (PtlPipeline          *self,
                               const PtlReconParams *params,
                               GError              **error)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), FALSE);
  if (!ptl_recon_params_validate (params, error))
    return FALSE;
  if (params->probe_init != self->config.recon.probe_init)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The probe initialisation cannot change during a run");
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->recon_params = *params;
  self->recon_pending = TRUE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
ptl_pipeline_set_preprocess_params (PtlPipeline               *self,
                                    const PtlPreprocessParams *params,
                                    GError                   **error)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), FALSE);
  if (params->bin == 0 || params->crop == 0 || params->crop % params->bin != 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The bin (%u) must divide the crop (%u)", params->bin, params->crop);
      return FALSE;
    }
  if (!(params->adu_per_photon > 0.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "ADU per photon must be positive (%g)", params->adu_per_photon);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->preprocess_params = *params;
  self->preprocess_pending = TRUE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
ptl_pipeline_set_refine_budget (PtlPipeline *self,
                                guint        sweeps,
                                double       seconds,
                                GError     **error)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), FALSE);
  if (!(seconds >= 0.0 && isfinite (seconds)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Refinement time out of range (%g)", seconds);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->refine_sweeps = sweeps;
  self->refine_seconds = seconds;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
ptl_pipeline_restart (PtlPipeline *self)
{
  g_return_if_fail (PTL_IS_PIPELINE (self));
  g_mutex_lock (&self->lock);
  self->restart_pending = TRUE;
  g_mutex_unlock (&self->lock);
}

gboolean
ptl_pipeline_save_result (PtlPipeline *self,
                          const char  *path,
                          GError     **error)
{
  g_return_val_if_fail (PTL_IS_PIPELINE (self), FALSE);
  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (self);

  if (snapshot == NULL || snapshot->object == NULL || snapshot->probe == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Nothing reconstructed yet");
      return FALSE;
    }
  return _ptl_pipeline_write_result (path, snapshot, error);
}
