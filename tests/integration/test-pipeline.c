/* The live pipeline end to end over loopback: the simulator publishes raw sCMOS frames and
 * PandA positions, the pipeline pairs, preprocesses, records and reconstructs them while
 * they arrive. Checked against the simulation's ground truth and against the recording
 * read back: the reconstruction reaches a quality bound, every frame is recorded with its
 * position, a replay of the recording reconstructs as well, and the result file holds what
 * the run used. */
#include "config.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "io/ptl-hdf5-util.h"
#include "io/ptl-recording.h"
#include "io/ptl-result-file.h"
#include "pipeline/ptl-pipeline.h"
#include "pipeline/ptl-sim-truth.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-bslz4.h"
#include "test-pipeline-common.h"

/* Small enough for two loaded cores: 64² patterns. */
#define N_FRAMES 80
#define PATTERN 64
/* The bound of the quality against the truth (NRMSE after the ambiguities are removed). */
#define MAX_NRMSE 0.05

/* Every frame of the recording, decoded, is the frame the simulator sent: a publisher made
 * as the pipeline's own (ptl-source.c) holds the same frames. */
static void
assert_recorded_frames_as_sent (const char              *record,
                                const PtlPipelineConfig *config)
{
  g_autoptr (GError) error = NULL;
  PtlPublisherParams params;

  ptl_publisher_params_init (&params);
  params.detector_endpoint = "tcp://127.0.0.1:*";
  params.n_frames = config->sim.n_frames;
  params.frame_size = config->sim.geometry.frame_size;
  params.seed = config->sim.seed;
  params.stage_scale = 1.0;
  g_autoptr (PtlStreamPublisher) publisher = ptl_stream_publisher_new (&params, &error);
  g_assert_no_error (error);
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (record, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, config->sim.n_frames);
  for (guint k = 0; k < config->sim.n_frames; k++)
    {
      guint rows, cols, element_size;
      const void *sent = ptl_stream_publisher_frame (publisher, k, &rows, &cols, &element_size);
      PtlImageInfo *image = NULL;
      gsize n_bytes = (gsize) rows * cols * element_size, size;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (image->image_id, ==, k);
      g_assert_cmpuint (image->rows, ==, rows);
      g_assert_cmpuint (image->cols, ==, cols);
      g_assert_cmpuint (image->element_size, ==, element_size);
      g_assert_cmpint (image->encoding, ==, PTL_ENCODING_BSLZ4);
      const guint8 *data = g_bytes_get_data (image->data, &size);
      g_autofree guint8 *decoded = g_malloc (n_bytes);
      g_assert_true (ptl_bslz4_decode (data, size, element_size, decoded, n_bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, n_bytes, sent, n_bytes);
      ptl_image_info_free (image);
    }
}

static void
test_live_record_replay (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  g_autofree char *result = g_build_filename (dir, "result.cxi", NULL);
  g_autofree char *replay_result = g_build_filename (dir, "replay.cxi", NULL);
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  PtlQuality quality;

  test_pipeline_config (&config, N_FRAMES, PATTERN);
  config.record_file = record;
  config.result_file = result;
  TestRun live = { 0 };
  test_pipeline_run (&config, &live, 120);
  g_assert_cmpint (live.final->state, ==, PTL_PIPELINE_FINISHED);

  /* Every frame arrived, was paired, recorded and reconstructed. */
  const PtlPipelineCounters *c = &live.final->counters;
  g_assert_cmpuint (c->received, ==, N_FRAMES);
  g_assert_cmpuint (c->paired, ==, N_FRAMES);
  g_assert_cmpuint (c->recorded, ==, N_FRAMES);
  g_assert_cmpuint (c->not_recorded, ==, 0);
  g_assert_cmpuint (c->preprocessed, ==, N_FRAMES);
  g_assert_cmpuint (c->reconstructed, ==, N_FRAMES);
  g_assert_cmpuint (live.final->n_positions, ==, N_FRAMES);
  g_assert_cmpfloat (live.final->timings.wait_after_scan_s, >=, 0.0);
  g_assert_null (live.final->record_message);

  g_assert_true (ptl_pipeline_compare_with_truth (&config, live.final, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("live: NRMSE %.4f after %u sweeps", quality.nrmse, c->iteration);
  g_assert_cmpfloat (quality.nrmse, <, MAX_NRMSE);

  /* The recording holds every frame as it was sent, with the translation sent with it. */
  assert_recorded_frames_as_sent (record, &config);
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (record, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, N_FRAMES);
  g_assert_true (ptl_scan_file_is_raw (file));
  g_autofree double *truth = test_pipeline_truth_translations (&config);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      double x, y;
      g_assert_true (ptl_scan_file_translation (file, k, &x, &y));
      g_assert_cmpfloat_with_epsilon (x, truth[2 * k], 1e-12);
      g_assert_cmpfloat_with_epsilon (y, truth[2 * k + 1], 1e-12);
    }

  /* The result file: object and probe of the final snapshot, every position used. */
  g_autoptr (PtlResult) written = ptl_result_file_read (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written->n_positions, ==, N_FRAMES);
  g_assert_true (ptl_array_same_shape (written->object, live.final->object));
  g_assert_cmpuint (written->n_iterations, ==, live.final->n_errors);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      /* Positions used are the integer corners: within half a pixel of the truth. */
      double dx = live.final->pixel_size;
      g_assert_cmpfloat (fabs (written->translation[2 * k] - truth[2 * k]), <=, 0.51 * dx);
      g_assert_cmpfloat (fabs (written->translation[2 * k + 1] - truth[2 * k + 1]), <=, 0.51 * dx);
    }

  /* The run's counters and latencies go with the result. */
  g_auto (PtlH5Id) h5 = H5Fopen (result, H5F_ACC_RDONLY, H5P_DEFAULT);
  g_assert_cmpint (h5, >=, 0);
  g_autofree char *counters = ptl_h5_read_string (h5, "/entry_1/ptycholive/live_counters", &error);
  g_assert_no_error (error);
  g_autofree char *timings = ptl_h5_read_string (h5, "/entry_1/ptycholive/live_timings", &error);
  g_assert_no_error (error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, counters, -1, &error));
  g_assert_no_error (error);
  JsonObject *fields = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (fields, "received"), ==, N_FRAMES);
  g_assert_cmpint (json_object_get_int_member (fields, "reconstructed"), ==, N_FRAMES);
  g_assert_cmpint (json_object_get_int_member (fields, "iterations"), ==,
                   live.final->counters.iteration);
  g_assert_true (json_parser_load_from_data (parser, timings, -1, &error));
  g_assert_no_error (error);
  fields = json_node_get_object (json_parser_get_root (parser));
  JsonObject *engine = json_object_get_object_member (fields, "paired_to_reconstructed_ms");
  g_assert_nonnull (engine);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (engine, "median"),
                                  live.final->timings.paired_to_reconstructed.median_ms, 1e-3);

  /* The replay of the recording reconstructs the same scan as well. */
  PtlPipelineConfig replay;
  test_pipeline_config (&replay, N_FRAMES, PATTERN);
  replay.source = PTL_SOURCE_REPLAY;
  replay.replay_file = record;
  replay.result_file = replay_result;
  /* The live run was told the distance (Stream V2 does not carry it); the recording keeps
   * it, and the replay needs nothing but the file. */
  replay.distance = 0.0;
  TestRun again = { 0 };
  test_pipeline_run (&replay, &again, 120);
  g_assert_cmpint (again.final->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (again.final->counters.reconstructed, ==, N_FRAMES);
  /* The truth is the simulation's: compare as the live run would. */
  replay.source = PTL_SOURCE_SIMULATION;
  g_assert_true (ptl_pipeline_compare_with_truth (&replay, again.final, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("replay: NRMSE %.4f", quality.nrmse);
  g_assert_cmpfloat (quality.nrmse, <, MAX_NRMSE);

  /* The recording read with another crop and bin: the patterns are preprocessed anew. */
  PtlPipelineConfig rebinned;
  test_pipeline_config (&rebinned, N_FRAMES, PATTERN);
  rebinned.source = PTL_SOURCE_REPLAY;
  rebinned.replay_file = record;
  rebinned.distance = 0.0;
  rebinned.preprocess_from_file = FALSE;
  rebinned.preprocess.crop = PATTERN;
  rebinned.preprocess.bin = 2;
  rebinned.preprocess.centre_row = rebinned.preprocess.centre_col = PATTERN / 2;
  rebinned.final_iterations = 5;
  TestRun third = { 0 };
  test_pipeline_run (&rebinned, &third, 120);
  g_assert_cmpint (third.final->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (third.final->counters.reconstructed, ==, N_FRAMES);
  g_assert_cmpuint (ptl_array_rows (third.final->probe), ==, PATTERN / 2);
  g_assert_cmpuint (third.final->geometry.bin, ==, 2);

  test_run_clear (&live);
  test_run_clear (&again);
  test_run_clear (&third);
  ptl_sim_params_clear (&rebinned.sim);
  ptl_sim_params_clear (&config.sim);
  ptl_sim_params_clear (&replay.sim);
  test_pipeline_rmdir (dir);
}

/* A recording that cannot be made: the run goes on, reconstructs, and says what was not
 * recorded. */
static void
test_bad_record_path (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *record = g_build_filename (dir, "no-such-folder", "scan.cxi", NULL);
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  PtlQuality quality;

  test_pipeline_config (&config, N_FRAMES / 2, PATTERN);
  config.record_file = record;
  TestRun run = { 0 };
  test_pipeline_run (&config, &run, 120);
  g_assert_cmpint (run.final->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (run.final->counters.received, ==, N_FRAMES / 2);
  g_assert_cmpuint (run.final->counters.recorded, ==, 0);
  g_assert_cmpuint (run.final->counters.not_recorded, ==, N_FRAMES / 2);
  g_assert_cmpuint (run.final->counters.reconstructed, ==, N_FRAMES / 2);
  g_assert_nonnull (run.final->record_message);
  g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  g_assert_true (ptl_pipeline_compare_with_truth (&config, run.final, &quality, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (quality.nrmse, <, MAX_NRMSE);
  test_run_clear (&run);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

static void
write_dataset (hid_t          file,
               const char    *path,
               int            rank,
               const hsize_t *dims,
               gconstpointer  data)
{
  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  H5Pset_create_intermediate_group (lcpl, 1);
  hid_t space = rank > 0 ? H5Screate_simple (rank, dims, NULL) : H5Screate (H5S_SCALAR);
  hid_t type = rank == 3 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
  hid_t set = H5Dcreate2 (file, path, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (H5Dwrite (set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), >=, 0);
  H5Dclose (set);
  H5Sclose (space);
  H5Pclose (lcpl);
}

/* A CXI file of another program (processed intensities, translation N×3 in metres,
 * energy in J, distance and pixel size in metres) replayed through the pipeline: every
 * frame reconstructed, at the quality of the live run, against the truth it was made of,
 * but one whose translation is a metre off (a stage glitch): it is left out and counted,
 * and no canvas of gigabytes is made for it. */
static void
test_replay_foreign (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "other.cxi", NULL);
  g_autoptr (PtlArray) object_truth = NULL;
  g_autoptr (PtlArray) probe_truth = NULL;
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  PtlQuality quality;

  test_pipeline_config (&config, N_FRAMES, PATTERN);
  g_autoptr (PtlScanData) scan = ptl_pipeline_simulate_truth (&config, &object_truth,
                                                              &probe_truth, &error);
  g_assert_no_error (error);
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  hsize_t data_dims[] = { N_FRAMES, PATTERN, PATTERN }, xyz_dims[] = { N_FRAMES, 3 };
  g_autofree double *xyz = g_new0 (double, 3 * N_FRAMES);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      xyz[3 * k] = scan->translation[2 * k];
      xyz[3 * k + 1] = scan->translation[2 * k + 1];
    }
  xyz[3 * 5] += 1.0;
  double energy_j = scan->geometry.energy_ev * PTL_ELECTRONVOLT_J;
  write_dataset (file, "/entry_1/data_1/data", 3, data_dims, ptl_array_float (scan->intensity));
  write_dataset (file, "/entry_1/sample_1/geometry_1/translation", 2, xyz_dims, xyz);
  write_dataset (file, "/entry_1/instrument_1/source_1/energy", 0, NULL, &energy_j);
  write_dataset (file, "/entry_1/instrument_1/detector_1/distance", 0, NULL,
                 &scan->geometry.distance);
  write_dataset (file, "/entry_1/instrument_1/detector_1/x_pixel_size", 0, NULL,
                 &scan->geometry.detector_pixel);
  write_dataset (file, "/entry_1/instrument_1/detector_1/y_pixel_size", 0, NULL,
                 &scan->geometry.detector_pixel);
  H5Fclose (file);

  PtlPipelineConfig replay = config;
  replay.source = PTL_SOURCE_REPLAY;
  replay.replay_file = path;
  replay.distance = 0.0;
  TestRun run = { 0 };
  test_pipeline_run (&replay, &run, 120);
  g_assert_cmpint (run.final->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (run.final->counters.received, ==, N_FRAMES);
  g_assert_cmpuint (run.final->counters.reconstructed, ==, N_FRAMES - 1);
  g_assert_cmpuint (run.final->counters.stream_errors, ==, 1);
  g_assert_cmpuint (ptl_array_rows (run.final->object), <, 4 * ptl_array_rows (object_truth));
  g_assert_cmpfloat_with_epsilon (run.final->pixel_size, ptl_geometry_pixel_size (&scan->geometry),
                                  1e-6 * run.final->pixel_size);
  g_assert_true (ptl_pipeline_compare_with_scan (run.final, scan, object_truth, probe_truth,
                                                 &quality, &error));
  g_assert_no_error (error);
  g_test_message ("another program's CXI file: NRMSE %.4f", quality.nrmse);
  g_assert_cmpfloat (quality.nrmse, <, MAX_NRMSE);
  test_run_clear (&run);
  ptl_sim_params_clear (&config.sim);
  test_pipeline_rmdir (dir);
}

/* The detector speaking Stream V1 (JSON multipart, bitshuffle+LZ4) instead of V2: the same
 * frames arrive, and the reconstruction is as good. */
static void
test_stream_v1 (void)
{
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  PtlQuality quality;

  test_pipeline_config (&config, N_FRAMES / 2, PATTERN);
  config.protocol = PTL_DETECTOR_PROTOCOL_V1;
  TestRun run = { 0 };
  test_pipeline_run (&config, &run, 120);
  g_assert_cmpint (run.final->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (run.final->counters.received, ==, N_FRAMES / 2);
  g_assert_cmpuint (run.final->counters.reconstructed, ==, N_FRAMES / 2);
  g_assert_cmpuint (run.final->counters.stream_errors, ==, 0);
  g_assert_true (ptl_pipeline_compare_with_truth (&config, run.final, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("Stream V1: NRMSE %.4f", quality.nrmse);
  g_assert_cmpfloat (quality.nrmse, <, MAX_NRMSE);
  test_run_clear (&run);
  ptl_sim_params_clear (&config.sim);
}

/* Runs a program to its end: its standard output, then its standard error. */
static char *
run_program (const char *const *argv,
             int               *status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               status, &error));
  g_assert_no_error (error);
  g_test_message ("%s%s", out, err);
  return g_strconcat (out, err, NULL);
}

/* The command line: a simulated scan streamed through the live pipeline writes its result
 * and says how close it came to the truth; a recording that does not exist and a device
 * that does not exist are clear errors. */
static void
test_command_line (void)
{
  g_autofree char *dir = test_pipeline_tmpdir ();
  g_autofree char *result = g_build_filename (dir, "result.cxi", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.cxi", NULL);
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "..", "src", "cli",
                                                    "ptycholive", NULL);
  g_autoptr (GError) error = NULL;
  int status;

  const char *live[] = {
    program, "--headless", "--simulate", "--live", "--frames", "40", "--frame-size", "64",
    "--backend", "cpu", "--threads", "1", "--start-after", "10", "--final-iterations", "30",
    "-o", result, NULL
  };
  g_autofree char *out = run_program (live, &status);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "finished"));
  g_assert_nonnull (strstr (out, "received 40 · paired 40"));
  /* The simulated run knows its truth and says how close it came: checked here. */
  const char *quality = strstr (out, "object NRMSE ");
  g_assert_nonnull (quality);
  double e = g_ascii_strtod (quality + strlen ("object NRMSE "), NULL);
  g_assert_cmpfloat (e, >, 0.0);
  g_assert_cmpfloat (e, <, MAX_NRMSE);
  g_autoptr (PtlResult) written = ptl_result_file_read (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written->n_positions, ==, 40);

  const char *replay[] = { program, "--headless", "--replay", missing, NULL };
  g_free (run_program (replay, &status));
  g_assert_false (g_spawn_check_wait_status (status, NULL));

  /* A device that does not exist is a usage error that names the option. */
  const char *device[] = { program, "--headless", "--simulate", "--live", "--recon-device",
                           "gpu-nine", NULL };
  g_autofree char *refused = run_program (device, &status);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_nonnull (strstr (refused, "--recon-device"));
  test_pipeline_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/live-record-replay", test_live_record_replay);
  g_test_add_func ("/pipeline/bad-record-path", test_bad_record_path);
  g_test_add_func ("/pipeline/replay-foreign", test_replay_foreign);
  g_test_add_func ("/pipeline/stream-v1", test_stream_v1);
  g_test_add_func ("/pipeline/command-line", test_command_line);
  return g_test_run ();
}
