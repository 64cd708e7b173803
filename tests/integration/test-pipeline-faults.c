/* The live pipeline against the faults of a beamline, one test each: the detector
 * restarted in the middle of a series, a missing frame, positions late or missing, a slow
 * disk, the output folder removed during the run, a stop in the middle of a sweep, and a
 * second series while the first is being refined. Each checks what was received,
 * recorded and reconstructed against what the publisher sent, and, where a result is
 * made, its quality against the simulation's truth. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-recording.h"
#include "io/ptl-result-file.h"
#include "pipeline/ptl-pipeline.h"
#include "pipeline/ptl-sim-truth.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-zmq.h"
#include "test-pipeline-common.h"

#define PATTERN 64
/* Quality bound against the truth for these short scans (NRMSE, ambiguities removed). */
#define MAX_NRMSE 0.05

typedef struct
{
  GMainContext *context;
  PtlPipeline  *pipeline;
  gboolean      finished;
} Live;

static void
on_finished (PtlPipeline *pipeline,
             gpointer     user_data)
{
  ((Live *) user_data)->finished = TRUE;
}

static void
live_start (Live                    *live,
            const PtlPipelineConfig *config)
{
  g_autoptr (GError) error = NULL;

  live->context = g_main_context_new ();
  g_main_context_push_thread_default (live->context);
  live->pipeline = ptl_pipeline_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (live->pipeline, "finished", G_CALLBACK (on_finished), live);
  g_assert_true (ptl_pipeline_start (live->pipeline, &error));
  g_assert_no_error (error);
}

/* Stops the pipeline and returns its last snapshot (with the final counters). */
static PtlSnapshot *
live_stop (Live *live)
{
  ptl_pipeline_stop (live->pipeline);
  PtlSnapshot *snapshot = ptl_pipeline_get_snapshot (live->pipeline);
  g_clear_object (&live->pipeline);
  g_main_context_pop_thread_default (live->context);
  g_clear_pointer (&live->context, g_main_context_unref);
  return snapshot;
}

/* Iterates the main context until `done` returns TRUE (asserting it does in time). */
static void
live_wait (Live    *live,
           gboolean (*done) (Live *live),
           double   timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!done (live))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (live->context, FALSE))
        g_usleep (5000);
    }
}

static gboolean
is_finished (Live *live)
{
  return live->finished;
}

static PtlPipelineCounters
counters_now (Live *live)
{
  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (live->pipeline);
  PtlPipelineCounters none = { 0 };

  return snapshot != NULL ? snapshot->counters : none;
}

static gboolean
is_refining (Live *live)
{
  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (live->pipeline);

  return snapshot != NULL && snapshot->state == PTL_PIPELINE_REFINING
         && snapshot->counters.iteration > 2;
}

/* Refining, with 60 sweeps done since the end of the scan (however fast the machine). */
static gboolean
refined_60 (Live *live)
{
  g_autoptr (PtlSnapshot) end = ptl_pipeline_get_scan_end_snapshot (live->pipeline);
  g_autoptr (PtlSnapshot) now = ptl_pipeline_get_snapshot (live->pipeline);

  return end != NULL && now != NULL && now->state == PTL_PIPELINE_REFINING
         && now->n_errors >= end->n_errors + 60;
}

static gboolean
recorded_20 (Live *live)
{
  return counters_now (live).recorded >= 20;
}

/* A publisher of n photon-count frames of PATTERN² (the simulation that
 * ptl_pipeline_simulate_truth makes for test_pipeline_config's configuration). Endpoints
 * NULL: any free port; positions NO_POSITIONS: a detector without a PandA. */
#define NO_POSITIONS ""
static PtlStreamPublisher *
publisher_new (PtlPublisherParams *params,
               const char         *detector,
               const char         *positions)
{
  g_autoptr (GError) error = NULL;

  params->detector_endpoint = detector != NULL ? detector : "tcp://127.0.0.1:*";
  params->positions_endpoint = positions == NULL ? "tcp://127.0.0.1:*"
                               : *positions != '\0' ? positions : NULL;
  params->frame_size = PATTERN;
  params->wait_for_peer = 0.3;
  params->stage_scale = 1.0;
  /* A port just released may take ZMQ's I/O thread a moment to let go of. */
  for (guint attempt = 0;; attempt++)
    {
      PtlStreamPublisher *publisher = ptl_stream_publisher_new (params, &error);
      if (publisher != NULL || attempt == 100)
        {
          g_assert_no_error (error);
          return publisher;
        }
      g_clear_error (&error);
      g_usleep (20000);
    }
}

static gpointer
publish (gpointer user_data)
{
  PtlPublisherCounters counters = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_stream_publisher_run (user_data, NULL, &counters, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
stream_config (PtlPipelineConfig  *config,
               guint               n,
               const char         *detector,
               const char         *positions)
{
  test_pipeline_config (config, n, PATTERN);
  config->source = PTL_SOURCE_STREAM;
  config->detector_endpoint = detector;
  config->positions_endpoint = positions;
  config->stage_scale = 1.0;
  config->pairing_timeout_s = 1.0;
  config->preprocess.crop = PATTERN;
  config->preprocess.bin = 1;
  config->preprocess.centre_row = config->preprocess.centre_col = PATTERN / 2;
  config->final_iterations = 60;
}

/* The simulated truth of a stream configuration's scan. */
static double
nrmse (const PtlPipelineConfig *config,
       const PtlSnapshot       *snapshot)
{
  PtlPipelineConfig truth = *config;
  g_autoptr (GError) error = NULL;
  PtlQuality quality;

  truth.source = PTL_SOURCE_SIMULATION;
  g_assert_true (ptl_pipeline_compare_with_truth (&truth, snapshot, &quality, &error));
  g_assert_no_error (error);
  return quality.nrmse;
}

/* Frames in the recording, each with its translation when `with_positions`. */
static guint
recorded_frames (const char *path,
                 gboolean    with_positions)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (path, &error);

  g_assert_no_error (error);
  guint n = ptl_scan_file_n_frames (file);
  for (guint k = 0; k < n; k++)
    {
      double x, y;
      g_assert_cmpint (ptl_scan_file_translation (file, k, &x, &y), ==, with_positions);
    }
  return n;
}

/* Runs a stream configuration on a publisher to the end and returns the last snapshot. */
static PtlSnapshot *
run_stream (PtlPipelineConfig  *config,
            PtlStreamPublisher *publisher)
{
  Live live = { 0 };

  live_start (&live, config);
  GThread *thread = g_thread_new ("publisher", publish, publisher);
  live_wait (&live, is_finished, 60);
  g_thread_join (thread);
  return live_stop (&live);
}

/* The detector goes away in the middle of the series and listens again on the same port:
 * the client connects again, and every image is received, recorded and reconstructed. */
static void
test_publisher_restart (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  PtlPublisherParams params;
  PtlPipelineConfig config;
  const guint n = 60;

  ptl_publisher_params_init (&params);
  params.n_frames = n;
  params.rate = 100.0;
  params.restart_at = 25;
  g_autoptr (PtlStreamPublisher) publisher = publisher_new (&params, NULL, NULL);
  stream_config (&config, n, ptl_stream_publisher_detector_endpoint (publisher),
                 ptl_stream_publisher_positions_endpoint (publisher));
  config.record_file = record;
  g_autoptr (PtlSnapshot) last = run_stream (&config, publisher);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.paired, ==, n);
  g_assert_cmpuint (last->counters.reconstructed, ==, n);
  g_assert_cmpuint (last->counters.recorded, ==, n);
  g_assert_cmpuint (last->counters.dropped, ==, 0);
  g_assert_cmpuint (recorded_frames (record, TRUE), ==, n);
  double e = nrmse (&config, last);
  g_test_message ("after a detector restart: NRMSE %.4f", e);
  g_assert_cmpfloat (e, <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* An image that never comes: its position waits out the pairing timeout and is counted as
 * dropped; every other image is paired, recorded and reconstructed. */
static void
test_missing_frame (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  PtlPublisherParams params;
  PtlPipelineConfig config;
  const guint n = 60;

  ptl_publisher_params_init (&params);
  params.n_frames = n;
  params.rate = 100.0;
  params.drop_frame = 7;
  g_autoptr (PtlStreamPublisher) publisher = publisher_new (&params, NULL, NULL);
  stream_config (&config, n, ptl_stream_publisher_detector_endpoint (publisher),
                 ptl_stream_publisher_positions_endpoint (publisher));
  config.record_file = record;
  g_autoptr (PtlSnapshot) last = run_stream (&config, publisher);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n - 1);
  g_assert_cmpuint (last->counters.paired, ==, n - 1);
  g_assert_cmpuint (last->counters.reconstructed, ==, n - 1);
  g_assert_cmpuint (last->counters.dropped, ==, 1);
  g_assert_cmpuint (last->n_positions, ==, n - 1);
  g_assert_cmpuint (recorded_frames (record, TRUE), ==, n - 1);
  double e = nrmse (&config, last);
  g_test_message ("one frame missing: NRMSE %.4f", e);
  g_assert_cmpfloat (e, <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* Positions five images behind their images, PandA messages out of order: every image
 * waits for its position and is paired with the right one (the quality says so). */
static void
test_late_positions (void)
{
  PtlPublisherParams params;
  PtlPipelineConfig config;
  const guint n = 60;

  ptl_publisher_params_init (&params);
  params.n_frames = n;
  params.rate = 100.0;
  params.late_positions = 5;
  params.swap_every = 2;
  params.chunk_size = 1;
  g_autoptr (PtlStreamPublisher) publisher = publisher_new (&params, NULL, NULL);
  stream_config (&config, n, ptl_stream_publisher_detector_endpoint (publisher),
                 ptl_stream_publisher_positions_endpoint (publisher));
  g_autoptr (PtlSnapshot) last = run_stream (&config, publisher);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.paired, ==, n);
  g_assert_cmpuint (last->counters.reconstructed, ==, n);
  g_assert_cmpuint (last->counters.dropped, ==, 0);
  double e = nrmse (&config, last);
  g_test_message ("late positions: NRMSE %.4f", e);
  g_assert_cmpfloat (e, <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
}

/* A PandA that never sends: every image waits out the pairing timeout and is dropped,
 * the run fails with a message that says why, and the recording still holds every image
 * (without positions): nothing received is lost. */
static void
test_missing_positions (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  g_autoptr (GError) error = NULL;
  PtlPublisherParams params;
  PtlPipelineConfig config;
  const guint n = 30;

  ptl_publisher_params_init (&params);
  params.n_frames = n;
  params.rate = 100.0;
  g_autoptr (PtlStreamPublisher) publisher = publisher_new (&params, NULL, NO_POSITIONS);
  g_autoptr (PtlZmqSender) silent = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUB, TRUE,
                                                        &error);
  g_assert_no_error (error);
  stream_config (&config, n, ptl_stream_publisher_detector_endpoint (publisher),
                 ptl_zmq_sender_endpoint (silent));
  config.pairing_timeout_s = 0.5;
  config.record_file = record;
  g_autoptr (PtlSnapshot) last = run_stream (&config, publisher);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FAILED);
  g_assert_nonnull (strstr (last->message, "without a frame to reconstruct"));
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.paired, ==, 0);
  g_assert_cmpuint (last->counters.dropped, ==, n);
  g_assert_cmpuint (last->counters.recorded, ==, n);
  g_assert_cmpuint (recorded_frames (record, FALSE), ==, n);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* A disk slower than the detector: the recorder's queue fills to its bound, the receive
 * threads wait for it (back-pressure, counted), and every frame is in the file with its
 * position; the reconstruction finishes as well. */
static void
test_slow_disk (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  PtlPipelineConfig config;
  Live live = { 0 };
  const guint n = 60;

  test_pipeline_config (&config, n, PATTERN);
  config.sim_rate = 200.0;
  config.record_file = record;
  /* 20 ms per frame against 5 ms between frames; room for a few frames only. */
  config.record_delay_s = 0.02;
  config.record_queue_bytes = 4 * PATTERN * PATTERN;
  config.final_iterations = 20;
  live_start (&live, &config);
  live_wait (&live, is_finished, 60);
  g_autoptr (PtlSnapshot) last = live_stop (&live);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_test_message ("receive threads held back %.0f ms", last->counters.record_wait_ms);
  g_assert_cmpfloat (last->counters.record_wait_ms, >, 0.0);
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.recorded, ==, n);
  g_assert_cmpuint (last->counters.not_recorded, ==, 0);
  g_assert_cmpuint (last->counters.reconstructed, ==, n);
  g_assert_cmpuint (recorded_frames (record, TRUE), ==, n);
  g_assert_cmpfloat (nrmse (&config, last), <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* The recording's folder removed while frames are written: the run goes on to its
 * result, and says that the recording is gone and that no frame is recorded. */
static void
test_output_removed (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *folder = g_build_filename (dir, "scans", NULL);
  g_autofree char *record = g_build_filename (folder, "scan.cxi", NULL);
  PtlPipelineConfig config;
  Live live = { 0 };
  const guint n = 60;

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  test_pipeline_config (&config, n, PATTERN);
  config.sim_rate = 40.0;
  config.record_file = record;
  config.final_iterations = 30;
  live_start (&live, &config);
  live_wait (&live, recorded_20, 30);
  g_assert_cmpint (g_unlink (record), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
  live_wait (&live, is_finished, 60);
  g_autoptr (PtlSnapshot) last = live_stop (&live);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_nonnull (last->record_message);
  g_test_message ("%s", last->record_message);
  g_assert_nonnull (strstr (last->record_message, "removed"));
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.recorded, ==, 0);
  g_assert_cmpuint (last->counters.not_recorded, ==, n);
  g_assert_cmpuint (last->counters.reconstructed, ==, n);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_assert_cmpfloat (nrmse (&config, last), <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* Stop while the engine sweeps back to back (refinement with a large budget, so a stop
 * lands inside a sweep): stop returns within about a sweep, measured here, the run does
 * not claim to have finished, no result file is written behind the user's back, and what
 * was reconstructed can still be saved. */
static void
test_stop_mid_iteration (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *result = g_build_filename (dir, "result.cxi", NULL);
  g_autofree char *saved = g_build_filename (dir, "saved.cxi", NULL);
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  Live live = { 0 };

  /* 128² patterns: sweeps long enough to be interrupted. */
  test_pipeline_config (&config, 100, 2 * PATTERN);
  config.final_iterations = 100000;
  config.result_file = result;
  live_start (&live, &config);
  live_wait (&live, refined_60, 60);
  g_autoptr (PtlSnapshot) early = ptl_pipeline_get_snapshot (live.pipeline);
  gint64 t0 = g_get_monotonic_time ();
  while (g_get_monotonic_time () - t0 < G_USEC_PER_SEC / 2)
    if (!g_main_context_iteration (live.context, FALSE))
      g_usleep (5000);
  g_autoptr (PtlSnapshot) later = ptl_pipeline_get_snapshot (live.pipeline);
  double sweep_s = (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC
                   / MAX (later->counters.iteration - early->counters.iteration, 1);

  gint64 start = g_get_monotonic_time ();
  ptl_pipeline_stop (live.pipeline);
  double stop_s = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("stop took %.3f s; a sweep takes %.3f s", stop_s, sweep_s);
  g_assert_cmpfloat (stop_s, <, sweep_s + 0.5);

  g_autoptr (PtlSnapshot) last = ptl_pipeline_get_snapshot (live.pipeline);
  g_assert_cmpint (ptl_pipeline_get_state (live.pipeline), ==, PTL_PIPELINE_REFINING);
  g_assert_false (live.finished);
  g_assert_false (g_file_test (result, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (last->counters.reconstructed, ==, 100);
  g_assert_true (ptl_pipeline_save_result (live.pipeline, saved, &error));
  g_assert_no_error (error);
  g_autoptr (PtlResult) written = ptl_result_file_read (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written->n_positions, ==, 100);
  g_assert_cmpmem (written->object->data, ptl_array_bytes (written->object), last->object->data,
                   ptl_array_bytes (last->object));
  /* A reconstruction cut short: on its way (a blank object is at 1), not necessarily at the
   * quality of a finished run, which depends on how many sweeps the stop interrupted. */
  g_assert_cmpfloat (nrmse (&config, last), <, 0.15);
  ptl_snapshot_unref (live_stop (&live));
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* The detector armed again (series 2, another publisher on the same ports) while series
 * 1 is refined: series 1 finishes undisturbed with all its frames and nothing of series
 * 2, whose images are counted, neither reconstructed nor recorded. */
static void
test_second_series (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  PtlPublisherParams params, second;
  PtlPipelineConfig config;
  Live live = { 0 };
  const guint n = 40, n2 = 25;

  ptl_publisher_params_init (&params);
  params.n_frames = n;
  params.rate = 100.0;
  PtlStreamPublisher *publisher = publisher_new (&params, NULL, NULL);
  g_autofree char *detector = g_strdup (ptl_stream_publisher_detector_endpoint (publisher));
  g_autofree char *positions = g_strdup (ptl_stream_publisher_positions_endpoint (publisher));
  stream_config (&config, n, detector, positions);
  config.record_file = record;
  config.final_iterations = 100000;
  config.final_seconds = 4.0;
  live_start (&live, &config);
  GThread *thread = g_thread_new ("publisher", publish, publisher);
  live_wait (&live, is_refining, 60);
  g_thread_join (thread);
  ptl_stream_publisher_free (publisher);

  ptl_publisher_params_init (&second);
  second.n_frames = n2;
  second.series_id = "2";
  second.seed = 7;
  publisher = publisher_new (&second, detector, positions);
  thread = g_thread_new ("publisher", publish, publisher);
  live_wait (&live, is_finished, 60);
  g_thread_join (thread);
  ptl_stream_publisher_free (publisher);
  g_autoptr (PtlSnapshot) last = live_stop (&live);

  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n);
  g_assert_cmpuint (last->counters.reconstructed, ==, n);
  g_assert_cmpuint (last->counters.recorded, ==, n);
  g_assert_cmpuint (last->counters.other_series, ==, n2);
  g_assert_cmpuint (last->counters.stream_errors, ==, 0);
  g_assert_cmpuint (last->n_positions, ==, n);
  g_assert_cmpuint (recorded_frames (record, TRUE), ==, n);
  double e = nrmse (&config, last);
  g_test_message ("series 1 with series 2 arriving during its refinement: NRMSE %.4f", e);
  g_assert_cmpfloat (e, <, MAX_NRMSE);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/faults/publisher-restart", test_publisher_restart);
  g_test_add_func ("/pipeline/faults/missing-frame", test_missing_frame);
  g_test_add_func ("/pipeline/faults/late-positions", test_late_positions);
  g_test_add_func ("/pipeline/faults/missing-positions", test_missing_positions);
  g_test_add_func ("/pipeline/faults/slow-disk", test_slow_disk);
  g_test_add_func ("/pipeline/faults/output-removed", test_output_removed);
  g_test_add_func ("/pipeline/faults/stop-mid-iteration", test_stop_mid_iteration);
  g_test_add_func ("/pipeline/faults/second-series", test_second_series);
  return g_test_run ();
}
