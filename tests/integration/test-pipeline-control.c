/* Run control of the live pipeline: a stop in the middle of a series is prompt and leaves
 * a valid recording of what was received; new reconstruction parameters apply to the
 * running engine without losing its object and probe; new preprocessing restarts the
 * reconstruction from every frame received. */
#include "config.h"

#include <math.h>

#include "core/ptl-error.h"
#include "io/ptl-recording.h"
#include "pipeline/ptl-pipeline.h"
#include "pipeline/ptl-sim-truth.h"
#include "test-pipeline-common.h"

#define PATTERN 64

typedef struct
{
  PtlPipeline *pipeline;
  gboolean     flag;
  guint        min_reconstructed;
} Waiter;

static void
on_snapshot_until (PtlPipeline *pipeline,
                   gpointer     user_data)
{
  Waiter *waiter = user_data;
  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (pipeline);

  if (snapshot != NULL && snapshot->counters.reconstructed >= waiter->min_reconstructed)
    waiter->flag = TRUE;
}

static void
on_finished_flag (PtlPipeline *pipeline,
                  gpointer     user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A scan at 20 frames/s stopped after about 30 frames: stop returns promptly, the series
 * did not finish, and the recording is valid with every frame counted as recorded. */
static void
test_stop_mid_series (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  Waiter waiter = { .min_reconstructed = 20 };

  test_pipeline_config (&config, 200, PATTERN);
  config.sim_raw = TRUE;
  config.sim_rate = 20.0;
  config.record_file = record;
  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (pipeline, "snapshot", G_CALLBACK (on_snapshot_until), &waiter);
  g_assert_true (ptl_pipeline_start (pipeline, &error));
  g_assert_no_error (error);
  g_assert_true (test_pipeline_iterate_until (context, &waiter.flag, 60));

  gint64 start = g_get_monotonic_time ();
  ptl_pipeline_stop (pipeline);
  double stop_s = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("stop took %.3f s", stop_s);
  g_assert_cmpfloat (stop_s, <, 3.0);
  /* Idempotent. */
  ptl_pipeline_stop (pipeline);

  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpint (ptl_pipeline_get_state (pipeline), !=, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (snapshot->counters.received, <, 200);
  g_assert_cmpuint (snapshot->counters.reconstructed, >=, 20);

  /* Everything received by the time the receive threads stopped was recorded; the snapshot
   * was taken before the last frames were, so it counts at most as many. */
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (record, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), >=, snapshot->counters.recorded);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), <, 200);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* Parameters changed during the scan reach the engine at its next sweep; the object and
 * probe go on from where they were (the error history continues; it does not restart),
 * the refinement takes the new budget, and the result is as good as without the change. */
static void
test_live_parameters (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  Waiter waiter = { .min_reconstructed = 30 };
  gboolean finished = FALSE;
  PtlQuality quality;

  test_pipeline_config (&config, 80, PATTERN);
  config.sim_rate = 40.0;
  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (pipeline, "snapshot", G_CALLBACK (on_snapshot_until), &waiter);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished_flag), &finished);
  g_assert_true (ptl_pipeline_start (pipeline, &error));
  g_assert_no_error (error);
  g_assert_true (test_pipeline_iterate_until (context, &waiter.flag, 60));

  g_autoptr (PtlSnapshot) before = ptl_pipeline_get_snapshot (pipeline);
  PtlReconParams params = config.recon;
  params.algorithm = PTL_ALGORITHM_EPIE;
  params.alpha = 0.9;
  params.beta = 0.5;
  g_assert_true (ptl_pipeline_set_recon_params (pipeline, &params, &error));
  g_assert_no_error (error);
  /* Impossible parameters are refused and change nothing. */
  PtlReconParams bad = params;
  bad.alpha = -1.0;
  g_assert_false (ptl_pipeline_set_recon_params (pipeline, &bad, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  /* The refinement budget too: 12 sweeps instead of the configured 150. */
  g_assert_false (ptl_pipeline_set_refine_budget (pipeline, 12, -1.0, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_true (ptl_pipeline_set_refine_budget (pipeline, 12, 0.0, &error));
  g_assert_no_error (error);

  g_assert_true (test_pipeline_iterate_until (context, &finished, 90));
  ptl_pipeline_stop (pipeline);
  g_autoptr (PtlSnapshot) after = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpint (after->state, ==, PTL_PIPELINE_FINISHED);
  g_autoptr (PtlSnapshot) scan_end = ptl_pipeline_get_scan_end_snapshot (pipeline);
  g_assert_cmpuint (after->n_errors, ==, scan_end->n_errors + 12);
  g_assert_cmpint (after->params.algorithm, ==, PTL_ALGORITHM_EPIE);
  g_assert_cmpfloat (after->params.alpha, ==, 0.9);
  /* The history continues from where it was: the engine was not made anew. */
  g_assert_cmpuint (after->n_errors, >, before->n_errors);
  for (guint k = 0; k < before->n_errors; k++)
    g_assert_cmpfloat (after->errors[k], ==, before->errors[k]);
  g_assert_true (ptl_pipeline_compare_with_truth (&config, after, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("after the change: NRMSE %.4f", quality.nrmse);
  g_assert_cmpfloat (quality.nrmse, <, 0.05);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
  ptl_sim_params_clear (&config.sim);
}

/* New preprocessing (a coarser bin) restarts the reconstruction from every frame received:
 * the patterns become half as large and every frame is reconstructed again. */
static void
test_new_preprocessing (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  Waiter waiter = { .min_reconstructed = 20 };
  gboolean finished = FALSE;

  test_pipeline_config (&config, 60, PATTERN);
  config.sim_raw = TRUE;
  config.sim_rate = 40.0;
  config.final_iterations = 20;
  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (pipeline, "snapshot", G_CALLBACK (on_snapshot_until), &waiter);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished_flag), &finished);
  g_assert_true (ptl_pipeline_start (pipeline, &error));
  g_assert_no_error (error);
  g_assert_true (test_pipeline_iterate_until (context, &waiter.flag, 60));
  g_autoptr (PtlSnapshot) before = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpuint (ptl_array_rows (before->probe), ==, PATTERN);

  /* The simulator's patterns cover 2·PATTERN pixels in the middle of its raw frames,
   * binned by 2: bin 4 halves the pattern. */
  g_assert_nonnull (before->raw_frame);
  g_assert_cmpuint (ptl_array_rows (before->raw_frame), >, 2 * PATTERN);
  PtlPreprocessParams params;
  ptl_preprocess_params_init (&params);
  params.crop = 2 * PATTERN;
  params.bin = 4;
  params.centre_row = params.centre_col = ptl_array_rows (before->raw_frame) / 2;
  params.adu_per_photon = 10.0;
  params.saturation = G_MAXUINT16;
  PtlPreprocessParams bad = params;
  bad.bin = 3;
  g_assert_false (ptl_pipeline_set_preprocess_params (pipeline, &bad, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  g_clear_error (&error);
  g_assert_true (ptl_pipeline_set_preprocess_params (pipeline, &params, &error));
  g_assert_no_error (error);

  g_assert_true (test_pipeline_iterate_until (context, &finished, 90));
  ptl_pipeline_stop (pipeline);
  g_autoptr (PtlSnapshot) after = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpint (after->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (ptl_array_rows (after->probe), ==, PATTERN / 2);
  g_assert_cmpuint (after->n_positions, ==, 60);
  g_assert_cmpuint (after->geometry.bin, ==, 4);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
  ptl_sim_params_clear (&config.sim);
}

static void
on_finished_count (PtlPipeline *pipeline,
                   gpointer     user_data)
{
  (*(guint *) user_data)++;
}

/* A restart after the series: the reconstruction starts again from every frame received
 * (a new engine: its error history starts afresh, without the sweeps made while the scan
 * ran), finishes a second time, counts each frame once, and is as good as the first. */
static void
test_restart (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  PtlQuality first, second;
  guint finished = 0;
  gboolean once = FALSE;
  const guint n = 60, budget = 30;

  test_pipeline_config (&config, n, PATTERN);
  config.sim_rate = 40.0;
  config.final_iterations = budget;
  g_main_context_push_thread_default (context);
  g_autoptr (PtlPipeline) pipeline = ptl_pipeline_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished_count), &finished);
  g_signal_connect (pipeline, "finished", G_CALLBACK (on_finished_flag), &once);
  g_assert_true (ptl_pipeline_start (pipeline, &error));
  g_assert_no_error (error);
  g_assert_true (test_pipeline_iterate_until (context, &once, 60));
  g_autoptr (PtlSnapshot) before = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpint (before->state, ==, PTL_PIPELINE_FINISHED);
  /* The scan's 1.5 s gave the engine sweeps before the refinement. */
  g_assert_cmpuint (before->n_errors, >, budget + 10);

  once = FALSE;
  ptl_pipeline_restart (pipeline);
  g_assert_true (test_pipeline_iterate_until (context, &once, 60));
  ptl_pipeline_stop (pipeline);
  g_autoptr (PtlSnapshot) after = ptl_pipeline_get_snapshot (pipeline);
  g_assert_cmpint (after->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (finished, ==, 2);
  g_assert_cmpuint (after->counters.received, ==, n);
  g_assert_cmpuint (after->counters.preprocessed, ==, n);
  g_assert_cmpuint (after->counters.reconstructed, ==, n);
  g_assert_cmpuint (after->n_positions, ==, n);
  g_assert_cmpuint (after->n_errors, <=, budget + 5);
  g_assert_true (ptl_pipeline_compare_with_truth (&config, before, &first, &error));
  g_assert_no_error (error);
  g_assert_true (ptl_pipeline_compare_with_truth (&config, after, &second, &error));
  g_assert_no_error (error);
  g_test_message ("NRMSE %.4f live, %.4f after the restart", first.nrmse, second.nrmse);
  g_assert_cmpfloat (second.nrmse, <, 0.05);
  g_clear_object (&pipeline);
  g_main_context_pop_thread_default (context);
  ptl_sim_params_clear (&config.sim);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/stop-mid-series", test_stop_mid_series);
  g_test_add_func ("/pipeline/live-parameters", test_live_parameters);
  g_test_add_func ("/pipeline/new-preprocessing", test_new_preprocessing);
  g_test_add_func ("/pipeline/restart", test_restart);
  return g_test_run ();
}
