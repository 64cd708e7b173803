/* ptycholive-bench MODE: performance figures, each measured against a baseline in the same
 * run and printed as one JSON object per line. */
#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdlib.h>

#include "ptl-bench.h"
#include "recon/ptl-backend.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"
#include "sim/ptl-sim.h"

/* The floor a PIE engine cannot beat on this backend: the forward and backward FFT that
 * every frame-iteration needs, timed on the same plan type the engine uses. */
static gboolean
fft_floor_us (PtlBackend *backend,
              guint       m,
              guint       reps,
              double     *us_per_pair,
              GError    **error)
{
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, m, m, 1, error);
  PtlBuffer *data = plan ? ptl_backend_alloc (backend, (gsize) m * m * sizeof (ptl_complex), error)
                         : NULL;
  gboolean ok = data != NULL;

  for (guint warm = 0; ok && warm < 10; warm++)
    ok = ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_FORWARD, error);
  g_autoptr (GTimer) timer = g_timer_new ();
  for (guint i = 0; ok && i < reps; i++)
    ok = ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_FORWARD, error)
         && ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_BACKWARD, error);
  ok = ok && ptl_backend_synchronize (backend, error);
  *us_per_pair = g_timer_elapsed (timer, NULL) * 1e6 / reps;
  ptl_backend_buffer_free (backend, data);
  if (plan != NULL)
    ptl_backend_fft_plan_free (backend, plan);
  return ok;
}

typedef struct
{
  guint          frames;
  guint          size;
  guint          iterations;
  guint          threads;
  PtlBackendKind backend;
} ReconOptions;

static gboolean
bench_engine (const ReconOptions *opts,
              PtlBackend         *backend,
              const char         *machine,
              PtlAlgorithm        algorithm,
              double              floor_us,
              GError            **error)
{
  PtlSimParams sim;
  PtlReconParams params;
  g_autoptr (PtlArray) object_truth = NULL;
  g_autoptr (PtlArray) probe_truth = NULL;

  ptl_sim_params_init (&sim);
  sim.n_frames = opts->frames;
  sim.geometry.frame_size = opts->size;
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, &object_truth, &probe_truth, error);
  if (scan == NULL)
    return FALSE;

  ptl_recon_params_init (&params);
  params.algorithm = algorithm;
  params.iterations = opts->iterations;
  if (algorithm == PTL_ALGORITHM_EPIE)
    params.alpha = params.beta = 1.0;
  /* The probe starts from the data alone, as in the headless run. */
  g_autoptr (PtlEngine) engine = ptl_engine_new (backend, scan, &params, NULL, error);
  if (engine == NULL || !ptl_engine_iterate (engine, error))
    return FALSE;

  g_autoptr (GTimer) timer = g_timer_new ();
  for (guint it = 1; it < opts->iterations; it++)
    if (!ptl_engine_iterate (engine, error))
      return FALSE;
  double us = g_timer_elapsed (timer, NULL) * 1e6 / ((double) (opts->iterations - 1) * scan->n_frames);

  g_autofree char *case_text = g_strdup_printf ("%s, %u frames of %u×%u, %s scan, %.0e photons",
                                                ptl_algorithm_to_string (algorithm), scan->n_frames,
                                                opts->size, opts->size,
                                                ptl_scan_pattern_to_string (sim.pattern), sim.photons);
  BenchRow row = {
    .bench = "recon",
    .case_text = case_text,
    .metric = "us_per_frame_iteration",
    .value = us,
    .unit = "us",
    .backend = ptl_backend_name (backend),
    .threads = ptl_backend_threads (backend),
    .machine = machine,
    .baseline = "forward + backward FFT per frame on the same backend (the floor)",
    .baseline_value = floor_us,
  };
  print_row (&row);

  /* Quality after the same run, against the simulation's ground truth. */
  g_autoptr (PtlArray) object = ptl_engine_get_object (engine, error);
  if (object == NULL)
    return FALSE;
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  PtlQuality quality;
  if (!ptl_quality_compare_scan (object_truth, object, probe_truth, positions, n, &quality, error))
    return FALSE;
  g_autofree char *quality_case = g_strdup_printf ("%s, probe from the mean pattern "
                                                   "(defocus searched) and refined, after %u "
                                                   "iterations",
                                                   case_text, opts->iterations);
  row.case_text = quality_case;
  row.metric = "nrmse";
  row.value = quality.nrmse;
  row.unit = "";
  row.baseline = NULL;
  print_row (&row);
  return TRUE;
}

static int
bench_recon (int    argc,
             char **argv)
{
  ReconOptions opts = { .frames = 300, .size = 128, .iterations = 100, .threads = 1 };
  g_autofree char *backend_name = NULL;
  g_autoptr (GError) error = NULL;
  int frames = (int) opts.frames, size = (int) opts.size, iterations = (int) opts.iterations;
  int threads = (int) opts.threads;
  const GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames in the simulated scan", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Frame size M", "M" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "Iterations (the first is not timed)",
      "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend_name, "cpu or cuda", "NAME" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("recon — engine cost per frame-iteration");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (frames < 1 || size < 8 || iterations < 2 || threads < 0)
    {
      g_printerr ("ptycholive-bench: need --frames ≥ 1, --size ≥ 8, --iterations ≥ 2\n");
      return EXIT_USAGE;
    }
  opts.frames = (guint) frames;
  opts.size = (guint) size;
  opts.iterations = (guint) iterations;
  opts.threads = (guint) threads;
  opts.backend = PTL_BACKEND_CPU;
  if (backend_name != NULL && !ptl_backend_kind_from_string (backend_name, &opts.backend, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }

  g_autoptr (PtlBackend) backend = ptl_backend_new (opts.backend, 0, opts.threads, &error);
  if (backend == NULL)
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_autofree char *machine = g_str_equal (ptl_backend_name (backend), "cpu")
                               ? cpu_model ()
                               : g_strdup (ptl_backend_description (backend));
  double floor_us;
  if (!fft_floor_us (backend, opts.size, 2000, &floor_us, &error)
      || !bench_engine (&opts, backend, machine, PTL_ALGORITHM_RPIE, floor_us, &error)
      || !bench_engine (&opts, backend, machine, PTL_ALGORITHM_EPIE, floor_us, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      g_print ("Usage: ptycholive-bench MODE [OPTIONS]\n\n"
               "Modes:\n"
               "  recon        engine cost per frame-iteration against the FFT floor, and NRMSE\n"
               "  preprocess   raw-frame preprocessing against the naive NumPy routine\n"
               "  stream       bitshuffle+LZ4 decoding of a whole frame and of a crop's rows\n\n"
               "Each result is one JSON object per line.\n");
      return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
  if (g_str_equal (argv[1], "recon"))
    return bench_recon (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "preprocess"))
    return bench_preprocess (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "stream"))
    return bench_stream (argc - 1, argv + 1);
  g_printerr ("ptycholive-bench: unknown mode “%s” (known: recon, preprocess, stream)\n", argv[1]);
  return EXIT_USAGE;
}
