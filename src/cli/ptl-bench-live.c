/* ptycholive-bench live: what the user waits for. A simulated scan is published on
 * loopback at the detector's rate (raw sCMOS frames by default), and the whole live
 * pipeline runs on it: pairing, preprocessing, recording, streaming reconstruction,
 * refinement, result file. Prints the wait after the scan (last frame received → final
 * result written), the NRMSE against the truth at scan end and at the final result, the
 * frame counters and each stage's latency (median, p99). */
#include "config.h"

#include "ptl-bench-live.h"
#include "ptl-bench-live-source.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "ptl-bench.h"
#include "ptl-headless-live.h"
#include "core/ptl-error.h"
#include "io/ptl-recording.h"
#include "pipeline/ptl-sim-truth.h"

typedef struct
{
  int      frames;
  int      size;
  int      raw_size;
  int      bin;
  double   photons;
  double   gain;
  double   rate;
  int      threads;
  int      start_after;
  int      final_iterations;
  double   final_seconds;
  gboolean patterns;
  char    *backend;
} LiveOptions;

static void
row (const char *case_text,
     const char *metric,
     double      value,
     const char *unit,
     const char *backend,
     guint       threads,
     const char *machine,
     const char *baseline,
     double      baseline_value)
{
  BenchRow r = {
    .bench = "live",
    .case_text = case_text,
    .metric = metric,
    .value = value,
    .unit = unit,
    .backend = backend,
    .threads = threads,
    .machine = machine,
    .baseline = baseline,
    .baseline_value = baseline_value,
  };
  print_row (&r);
}

static void
latency_rows (const char       *case_text,
              const char       *stage,
              const PtlLatency *latency,
              const char       *backend,
              guint             threads,
              const char       *machine)
{
  g_autofree char *median = g_strdup_printf ("%s_median_ms", stage);
  g_autofree char *p99 = g_strdup_printf ("%s_p99_ms", stage);

  row (case_text, median, latency->median_ms, "ms", backend, threads, machine, NULL, 0);
  row (case_text, p99, latency->p99_ms, "ms", backend, threads, machine, NULL, 0);
}

static gboolean
run (const LiveOptions *opts,
     GError           **error)
{
  PtlLiveOptions live = { .silent = TRUE, .series_timeout = 60 };
  PtlPipelineConfig *c = &live.config;
  g_autofree char *dir = g_dir_make_tmp ("ptycholive-bench-live-XXXXXX", error);
  g_autoptr (PtlSnapshot) final = NULL;
  g_autoptr (PtlSnapshot) scan_end = NULL;

  if (dir == NULL)
    return FALSE;
  g_autofree char *record = g_build_filename (dir, "scan.cxi", NULL);
  g_autofree char *result = g_build_filename (dir, "result.cxi", NULL);

  ptl_pipeline_config_init (c);
  c->sim.n_frames = (guint) opts->frames;
  c->sim.geometry.frame_size = (guint) opts->size;
  c->threads = (guint) opts->threads;
  c->backend = PTL_BACKEND_CPU;
  if (opts->backend != NULL && !ptl_backend_kind_from_string (opts->backend, &c->backend, error))
    return FALSE;
  c->start_after = (guint) opts->start_after;
  c->final_iterations = (guint) opts->final_iterations;
  c->final_seconds = opts->final_seconds;
  c->record_file = record;
  c->result_file = result;
  c->snapshot_rate = 5.0;

  g_autoptr (BenchSource) source = NULL;
  if (opts->patterns)
    {
      c->source = PTL_SOURCE_SIMULATION;
      c->sim_rate = opts->rate;
    }
  else
    {
      BenchSourceParams params = {
        .n_frames = (guint) opts->frames, .pattern = (guint) opts->size,
        .side = (guint) opts->raw_size, .bin = (guint) opts->bin, .photons = opts->photons,
        .gain = opts->gain, .rate = opts->rate, .seed = 1,
      };
      source = bench_source_new (&params, dir, error);
      if (source == NULL)
        return FALSE;
      c->source = PTL_SOURCE_STREAM;
      c->detector_endpoint = bench_source_detector_endpoint (source);
      c->positions_endpoint = bench_source_positions_endpoint (source);
      c->x_name = "INENC1.VAL.Mean";
      c->y_name = "INENC2.VAL.Mean";
      c->stage_scale = 1.0;
      c->distance = c->sim.geometry.distance;
      c->dark_file = bench_source_dark_file (source);
      c->mask_file = bench_source_mask_file (source);
      c->preprocess.crop = (guint) (opts->size * opts->bin);
      c->preprocess.bin = (guint) opts->bin;
      c->preprocess.centre_row = c->preprocess.centre_col = opts->raw_size / 2;
      c->preprocess.adu_per_photon = opts->gain;
      c->preprocess.saturation = G_MAXUINT16;
      bench_source_start (source);
    }

  gboolean ok = ptl_headless_live_run (&live, &final, &scan_end, error)
                && (source == NULL || bench_source_join (source, error));
  if (ok && (final == NULL || final->state != PTL_PIPELINE_FINISHED || scan_end == NULL))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "The live run did not finish");
      ok = FALSE;
    }

  PtlQuality at_end = { 0 }, at_final = { 0 };
  if (ok && source != NULL)
    {
      const PtlArray *object, *probe;
      const PtlScanData *truth = bench_source_truth (source, &object, &probe);
      ok = ptl_pipeline_compare_with_scan (scan_end, truth, object, probe, &at_end, error)
           && ptl_pipeline_compare_with_scan (final, truth, object, probe, &at_final, error);
    }
  else if (ok)
    ok = ptl_pipeline_compare_with_truth (c, scan_end, &at_end, error)
         && ptl_pipeline_compare_with_truth (c, final, &at_final, error);

  /* What the recording holds, read back: the frames the recorder did not lose. */
  guint in_file = 0;
  if (ok)
    {
      g_autoptr (PtlScanFile) file = ptl_scan_file_open (record, error);
      ok = file != NULL;
      in_file = ok ? ptl_scan_file_n_frames (file) : 0;
    }

  if (source != NULL)
    {
      g_unlink (bench_source_dark_file (source));
      g_unlink (bench_source_mask_file (source));
    }
  g_unlink (record);
  g_unlink (result);
  g_rmdir (dir);
  if (!ok)
    return FALSE;

  g_autofree char *machine = cpu_model ();
  const char *backend = c->backend == PTL_BACKEND_CUDA ? "cuda" : "cpu";
  guint threads = c->threads;
  g_autofree char *input = opts->patterns
                             ? g_strdup ("photon counts from the built-in simulator")
                             : g_strdup_printf ("from %d² raw uint16 bslz4 frames, crop %d, bin %d, "
                                                "%.0e photons, dark and mask from files",
                                                opts->raw_size, opts->size * opts->bin, opts->bin,
                                                opts->photons);
  g_autofree char *case_text = g_strdup_printf (
    "%d frames of %d×%d (%s) at %.0f Hz over loopback, recorded, start after %d, refine ≤ %d "
    "sweeps / %.1f s",
    opts->frames, opts->size, opts->size, input, opts->rate, opts->start_after,
    opts->final_iterations, opts->final_seconds);
  const PtlPipelineCounters *n = &final->counters;
  row (case_text, "wait_after_scan_s", final->timings.wait_after_scan_s, "s", backend, threads,
       machine, NULL, 0);
  row (case_text, "nrmse_at_scan_end", at_end.nrmse, "", backend, threads, machine,
       "nrmse of the final result", at_final.nrmse);
  row (case_text, "nrmse_final", at_final.nrmse, "", backend, threads, machine, NULL, 0);
  row (case_text, "frames_received", n->received, "frames", backend, threads, machine, NULL, 0);
  row (case_text, "frames_recorded", n->recorded, "frames", backend, threads, machine, NULL, 0);
  row (case_text, "frames_not_recorded", n->not_recorded, "frames", backend, threads, machine,
       NULL, 0);
  row (case_text, "frames_in_recording", in_file, "frames", backend, threads, machine,
       "frames received", n->received);
  row (case_text, "frames_reconstructed", n->reconstructed, "frames", backend, threads, machine,
       NULL, 0);
  row (case_text, "frames_skipped", n->skipped, "frames", backend, threads, machine, NULL, 0);
  row (case_text, "iterations", n->iteration, "sweeps", backend, threads, machine, NULL, 0);
  latency_rows (case_text, "receive_to_preprocessed", &final->timings.receive_to_preprocessed,
                backend, threads, machine);
  latency_rows (case_text, "preprocessed_to_reconstructed",
                &final->timings.preprocessed_to_reconstructed, backend, threads, machine);
  latency_rows (case_text, "paired_to_reconstructed", &final->timings.paired_to_reconstructed,
                backend, threads, machine);
  latency_rows (case_text, "receive_to_recorded", &final->timings.receive_to_recorded, backend,
                threads, machine);
  return TRUE;
}

int
bench_live (int    argc,
            char **argv)
{
  LiveOptions opts = {
    .frames = 300, .size = 128, .raw_size = 2048, .bin = 4, .photons = 1e8, .gain = 2.0,
    .rate = 25.0, .threads = 2, .start_after = 20,
    .final_iterations = 200, .final_seconds = 1.5,
  };
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &opts.frames, "Frames in the simulated scan", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &opts.size, "Pattern size M", "M" },
    { "raw-size", 0, 0, G_OPTION_ARG_INT, &opts.raw_size, "Raw detector frame side", "N" },
    { "bin", 0, 0, G_OPTION_ARG_INT, &opts.bin, "Detector pixels per pattern pixel", "B" },
    { "photons", 0, 0, G_OPTION_ARG_DOUBLE, &opts.photons, "Incident photons per frame", "N" },
    { "gain", 0, 0, G_OPTION_ARG_DOUBLE, &opts.gain, "ADU per photon", "ADU" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.rate, "Frames/s of the stream", "HZ" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &opts.threads, "CPU threads of the reconstruction", "N" },
    { "start-after", 0, 0, G_OPTION_ARG_INT, &opts.start_after,
      "Frames before the reconstruction starts", "N" },
    { "final-iterations", 0, 0, G_OPTION_ARG_INT, &opts.final_iterations,
      "Refinement sweeps after the scan at most", "N" },
    { "final-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opts.final_seconds,
      "Refinement time after the scan at most", "S" },
    { "patterns", 0, 0, G_OPTION_ARG_NONE, &opts.patterns,
      "Stream the built-in simulator's photon counts instead of raw sCMOS frames", NULL },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &opts.backend, "cpu or cuda", "NAME" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("live — the user's wait after a live scan");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (opts.frames < 1 || opts.size < 16 || opts.rate <= 0 || opts.threads < 0 || opts.bin < 1
      || (guint64) opts.size * opts.bin > (guint64) MAX (opts.raw_size, 0) || opts.photons <= 0
      || opts.gain <= 0
      || opts.start_after < 1 || opts.final_iterations < 0 || opts.final_seconds < 0)
    {
      g_printerr ("ptycholive-bench: need --frames ≥ 1, --size ≥ 16, --start-after ≥ 1, a "
                  "positive rate, photons and gain, size × bin ≤ raw size, and threads and "
                  "budgets not negative\n");
      g_free (opts.backend);
      return EXIT_USAGE;
    }
  gboolean ok = run (&opts, &error);
  g_free (opts.backend);
  if (!ok)
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
