#include "config.h"

#include "ptl-headless-live.h"

#include <glib-unix.h>
#include <signal.h>

#include "core/ptl-error.h"
#include "pipeline/ptl-sim-truth.h"

typedef struct
{
  GMainLoop   *loop;
  PtlPipeline *pipeline;
  gboolean     quiet;
  gint64       last_print_us;
  guint64      last_received;
  gint64       last_progress_us;
  gint64       timeout_us;
  gboolean     timed_out;
} Run;

static void
print_progress (const PtlSnapshot *s)
{
  const PtlPipelineCounters *c = &s->counters;

  g_print ("%s: received %" G_GUINT64_FORMAT " · paired %" G_GUINT64_FORMAT
           " · recorded %" G_GUINT64_FORMAT " · reconstructed %" G_GUINT64_FORMAT
           " · skipped %" G_GUINT64_FORMAT " · %.1f frames/s · iteration %u · error %.4g\n",
           ptl_pipeline_state_to_string (s->state), c->received, c->paired, c->recorded,
           c->reconstructed, c->skipped, c->frames_per_second, c->iteration, c->error);
}

void
ptl_headless_live_print_summary (const PtlSnapshot *s)
{
  const PtlPipelineCounters *c = &s->counters;
  const PtlPipelineTimings *t = &s->timings;

  g_print ("%s%s%s\n", ptl_pipeline_state_to_string (s->state), s->message ? ": " : "",
           s->message ? s->message : "");
  g_print ("frames: received %" G_GUINT64_FORMAT " · paired %" G_GUINT64_FORMAT
           " · recorded %" G_GUINT64_FORMAT " · not recorded %" G_GUINT64_FORMAT
           " · preprocessed %" G_GUINT64_FORMAT " · reconstructed %" G_GUINT64_FORMAT
           " · skipped %" G_GUINT64_FORMAT " · dropped %" G_GUINT64_FORMAT
           " · stream errors %" G_GUINT64_FORMAT "\n",
           c->received, c->paired, c->recorded, c->not_recorded, c->preprocessed,
           c->reconstructed, c->skipped, c->dropped, c->stream_errors);
  if (c->other_series > 0)
    g_print ("later series: %" G_GUINT64_FORMAT " images not taken (one series per run)\n",
             c->other_series);
  if (s->record_message != NULL)
    g_print ("recording: %s\n", s->record_message);
  g_print ("reconstruction: %u iterations · error %.4g · backend %s · preprocessing %s\n",
           c->iteration, c->error, s->backend ? s->backend : "-",
           s->preprocess_device ? s->preprocess_device : "-");
  g_print ("latency (median / p99 ms): receive→preprocessed %.1f / %.1f · "
           "preprocessed→reconstructed %.1f / %.1f (paired→reconstructed %.1f / %.1f) · "
           "receive→recorded %.1f / %.1f\n",
           t->receive_to_preprocessed.median_ms, t->receive_to_preprocessed.p99_ms,
           t->preprocessed_to_reconstructed.median_ms, t->preprocessed_to_reconstructed.p99_ms,
           t->paired_to_reconstructed.median_ms, t->paired_to_reconstructed.p99_ms,
           t->receive_to_recorded.median_ms, t->receive_to_recorded.p99_ms);
  if (t->wait_after_scan_s >= 0)
    g_print ("wait after the scan: %.2f s\n", t->wait_after_scan_s);
}

static void
on_snapshot (PtlPipeline *pipeline,
             gpointer     user_data)
{
  Run *run = user_data;
  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (pipeline);
  gint64 now = g_get_monotonic_time ();

  if (snapshot == NULL)
    return;
  if (snapshot->counters.received != run->last_received)
    {
      run->last_received = snapshot->counters.received;
      run->last_progress_us = now;
    }
  if (!run->quiet && now - run->last_print_us >= G_USEC_PER_SEC)
    {
      run->last_print_us = now;
      print_progress (snapshot);
    }
}

static void
on_finished (PtlPipeline *pipeline,
             gpointer     user_data)
{
  g_main_loop_quit (((Run *) user_data)->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (((Run *) user_data)->loop);
  return G_SOURCE_CONTINUE;
}

/* Ends a run whose source went quiet before its series was complete. */
static gboolean
check_timeout (gpointer user_data)
{
  Run *run = user_data;
  PtlPipelineState state = ptl_pipeline_get_state (run->pipeline);

  if (state != PTL_PIPELINE_REFINING
      && g_get_monotonic_time () - run->last_progress_us >= run->timeout_us)
    {
      run->timed_out = TRUE;
      g_main_loop_quit (run->loop);
    }
  return G_SOURCE_CONTINUE;
}

/* A run ended by a signal or the timeout before its final result: what was reconstructed
 * so far is written to the result file, so that an interrupted run is not lost. */
static void
save_interrupted (const PtlLiveOptions *options,
                  PtlPipeline          *pipeline,
                  const PtlSnapshot    *snapshot)
{
  g_autoptr (GError) error = NULL;
  const char *path = options->config.result_file;

  if (path == NULL || snapshot == NULL || snapshot->object == NULL
      || snapshot->state == PTL_PIPELINE_FINISHED)
    return;
  if (ptl_pipeline_save_result (pipeline, path, &error))
    g_print ("result so far written to %s\n", path);
  else
    g_printerr ("ptycholive: %s\n", error->message);
}

/* A simulated run knows its truth: the NRMSE at the end of the scan and at the end. */
static void
print_quality (const PtlPipelineConfig *config,
               const PtlSnapshot       *final,
               PtlSnapshot             *scan_end)
{
  g_autoptr (PtlSnapshot) end = scan_end;
  g_autoptr (GError) error = NULL;
  PtlQuality at_end, at_final;

  if (final->object == NULL)
    return;
  if (!ptl_pipeline_compare_with_truth (config, final, &at_final, &error))
    {
      g_printerr ("ptycholive: quality against the truth: %s\n", error->message);
      return;
    }
  if (end != NULL && end->object != NULL
      && ptl_pipeline_compare_with_truth (config, end, &at_end, NULL))
    g_print ("object NRMSE %.4f (at the end of the scan %.4f)\n", at_final.nrmse, at_end.nrmse);
  else
    g_print ("object NRMSE %.4f\n", at_final.nrmse);
}

gboolean
ptl_headless_live_run (const PtlLiveOptions *options,
                       PtlSnapshot         **final,
                       PtlSnapshot         **scan_end,
                       GError              **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  Run run = { .quiet = options->quiet || options->silent };
  GSource *signals[2] = { NULL, NULL };
  guint timeout = 0;

  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (&options->config, error);
  if (pipeline == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  run.pipeline = pipeline;
  run.loop = g_main_loop_new (context, FALSE);
  run.last_progress_us = g_get_monotonic_time ();
  run.timeout_us = (gint64) options->series_timeout * G_USEC_PER_SEC;
  g_signal_connect (pipeline, "snapshot", G_CALLBACK (on_snapshot), &run);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished), &run);

  gboolean ok = ptl_pipeline_start (pipeline, error);
  if (ok)
    {
      GSource *source;

      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        {
          signals[i] = g_unix_signal_source_new (i == 0 ? SIGINT : SIGTERM);
          g_source_set_callback (signals[i], on_signal, &run, NULL);
          g_source_attach (signals[i], context);
        }
      if (run.timeout_us > 0)
        {
          source = g_timeout_source_new (250);
          g_source_set_callback (source, check_timeout, &run, NULL);
          timeout = g_source_attach (source, context);
          g_source_unref (source);
        }
      g_main_loop_run (run.loop);
      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        {
          g_source_destroy (signals[i]);
          g_source_unref (signals[i]);
        }
      if (timeout != 0)
        g_source_destroy (g_main_context_find_source_by_id (context, timeout));
      ptl_pipeline_stop (pipeline);

      g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (pipeline);
      if (options->silent)
        ;
      else if (snapshot != NULL)
        ptl_headless_live_print_summary (snapshot);
      else
        g_print ("nothing reconstructed%s\n", run.timed_out ? " (no frames before the timeout)" : "");
      save_interrupted (options, pipeline, snapshot);
      if (snapshot != NULL && options->config.source == PTL_SOURCE_SIMULATION && !options->silent)
        print_quality (&options->config, snapshot, ptl_pipeline_get_scan_end_snapshot (pipeline));
      if (snapshot != NULL && snapshot->state == PTL_PIPELINE_FAILED)
        {
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s", snapshot->message);
          ok = FALSE;
        }
      if (final != NULL)
        *final = g_steal_pointer (&snapshot);
      if (scan_end != NULL)
        *scan_end = ptl_pipeline_get_scan_end_snapshot (pipeline);
    }
  g_main_loop_unref (run.loop);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
  return ok;
}
