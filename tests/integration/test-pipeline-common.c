#include "config.h"

#include "test-pipeline-common.h"

#include <glib/gstdio.h>

#include "pipeline/ptl-sim-truth.h"

char *
test_pipeline_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ptl-test-pipeline-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
test_pipeline_rmdir (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

void
test_pipeline_config (PtlPipelineConfig *config,
                      guint              n_frames,
                      guint              pattern_size)
{
  ptl_pipeline_config_init (config);
  config->source = PTL_SOURCE_SIMULATION;
  config->sim.n_frames = n_frames;
  config->sim.geometry.frame_size = pattern_size;
  /* Photon counts: the simulator's raw frames saturate in the bright field at its default
   * dose, which no preprocessing can undo. The raw path is run by the control tests. */
  config->sim_raw = FALSE;
  /* Stream V2 does not carry the distance: a run on a stream is told it, as a user would. */
  config->distance = config->sim.geometry.distance;
  config->backend = PTL_BACKEND_CPU;
  config->threads = 1;
  config->start_after = 10;
  config->final_iterations = 150;
  config->converged_change = 0.0;
  config->snapshot_rate = 10.0;
}

static void
on_snapshot (PtlPipeline *pipeline,
             gpointer     user_data)
{
  ((TestRun *) user_data)->snapshot_signals++;
}

static void
on_finished (PtlPipeline *pipeline,
             gpointer     user_data)
{
  ((TestRun *) user_data)->finished_signals++;
}

gboolean
test_pipeline_iterate_until (GMainContext *context,
                             gboolean     *done,
                             double        timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!*done && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (5000);
    }
  return *done;
}

static void
on_finished_flag (PtlPipeline *pipeline,
                  gpointer     user_data)
{
  *(gboolean *) user_data = TRUE;
}

void
test_pipeline_run (const PtlPipelineConfig *config,
                   TestRun                 *run,
                   guint                    timeout_s)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  gboolean finished = FALSE;

  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (pipeline, "snapshot", G_CALLBACK (on_snapshot), run);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished), run);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished_flag), &finished);
  g_assert_true (ptl_pipeline_start (pipeline, &error));
  g_assert_no_error (error);
  g_assert_true (test_pipeline_iterate_until (context, &finished, timeout_s));
  ptl_pipeline_stop (pipeline);
  run->final = ptl_pipeline_get_snapshot (pipeline);
  run->scan_end = ptl_pipeline_get_scan_end_snapshot (pipeline);
  g_assert_nonnull (run->final);
  g_assert_cmpuint (run->finished_signals, ==, 1);
  g_assert_cmpuint (run->snapshot_signals, >=, 1);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
}

void
test_run_clear (TestRun *run)
{
  g_clear_pointer (&run->final, ptl_snapshot_unref);
  g_clear_pointer (&run->scan_end, ptl_snapshot_unref);
}

double *
test_pipeline_truth_translations (const PtlPipelineConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanData) scan = ptl_pipeline_simulate_truth (config, NULL, NULL, &error);

  g_assert_no_error (error);
  return g_memdup2 (scan->translation, 2 * sizeof (double) * scan->n_frames);
}
