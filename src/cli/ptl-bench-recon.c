/* ptycholive-bench recon: every engine on the backends asked for, for each frame size,
 * scan length and thread count: seconds per iteration and µs per frame-iteration against
 * the floor of the FFTs that engine must do, timed in the same run on the same plans; and
 * the bandwidth floors of algorithms.md §5.3 for this device, from its bandwidth measured
 * in the same run; DM's speed-up on each CPU thread count over the first one. With
 * --quality, the NRMSE each engine reaches against the truth. */
#include "config.h"

#include <glib.h>
#include <stdlib.h>

#include "ptl-bench.h"
#include "recon/ptl-backend.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"
#include "sim/ptl-sim.h"

/* Each timing runs at least this long, so that a fast device still gives stable figures. */
#define MIN_TIMING_SECONDS 0.3

typedef struct
{
  const char  *name;
  PtlAlgorithm algorithm;
  guint        batch;      /* PIE mini-batch */
  guint        transforms; /* FFTs per frame-iteration */
  gboolean     batched;    /* on the engine's batched plans (else single-frame plans) */
} EngineCase;

static const EngineCase engine_cases[] = {
  { "epie", PTL_ALGORITHM_EPIE, 1, 2, FALSE },
  { "rpie", PTL_ALGORITHM_RPIE, 1, 2, FALSE },
  { "mpie", PTL_ALGORITHM_MPIE, 1, 2, FALSE },
  { "rpie-batch", PTL_ALGORITHM_RPIE, 0, 2, TRUE }, /* batch = the chunk */
  { "dm", PTL_ALGORITHM_DM, 1, 2, TRUE },
  { "ap", PTL_ALGORITHM_AP, 1, 2, TRUE },
  { "raar", PTL_ALGORITHM_RAAR, 1, 2, TRUE },
  { "ml", PTL_ALGORITHM_ML, 1, 5, TRUE },
};

typedef struct
{
  char   **backends;
  GArray  *sizes;
  GArray  *frames;
  GArray  *threads;
  char   **engines;
  guint    iterations;
  gboolean quality;
  /* DM's seconds per iteration on the first thread count, by "size/frames": the baseline
   * of its scaling on the others. */
  GHashTable *dm_first_threads;
} ReconOptions;

/* Forward + backward FFT per frame on a plan of `batch` frames, µs. */
static gboolean
fft_pair_us (PtlBackend *backend,
             guint       m,
             guint       batch,
             double     *us,
             GError    **error)
{
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, m, m, batch, error);
  PtlBuffer *data = plan ? ptl_backend_alloc (backend, (gsize) m * m * batch * sizeof (ptl_complex),
                                              error)
                         : NULL;
  gboolean ok = data != NULL;
  guint reps = 0;

  for (guint warm = 0; ok && warm < 3; warm++)
    ok = ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_FORWARD, error);
  g_autoptr (GTimer) timer = g_timer_new ();
  while (ok && (reps < 3 || g_timer_elapsed (timer, NULL) < MIN_TIMING_SECONDS))
    {
      ok = ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_FORWARD, error)
           && ptl_backend_fft_execute (backend, plan, data, 0, PTL_FFT_BACKWARD, error)
           && ptl_backend_synchronize (backend, error);
      reps++;
    }
  *us = g_timer_elapsed (timer, NULL) * 1e6 / ((double) reps * batch);
  ptl_backend_buffer_free (backend, data);
  if (plan != NULL)
    ptl_backend_fft_plan_free (backend, plan);
  return ok;
}

/* Device bandwidth from y = a·x + b·y on 64 MiB vectors: 24 bytes per complex value. */
static gboolean
bandwidth_gbs (PtlBackend *backend,
               double     *gbs,
               GError    **error)
{
  gsize n = (gsize) 8 << 20;
  PtlBuffer *x = ptl_backend_alloc (backend, n * sizeof (ptl_complex), error);
  PtlBuffer *y = x ? ptl_backend_alloc (backend, n * sizeof (ptl_complex), error) : NULL;
  gboolean ok = y != NULL && ptl_backend_axpby (backend, y, x, n, 1.0f, 0.5f, error);
  guint reps = 0;

  g_autoptr (GTimer) timer = g_timer_new ();
  while (ok && (reps < 3 || g_timer_elapsed (timer, NULL) < MIN_TIMING_SECONDS))
    {
      ok = ptl_backend_axpby (backend, y, x, n, 1.0f, 0.5f, error)
           && ptl_backend_synchronize (backend, error);
      reps++;
    }
  *gbs = 24.0 * n * reps / g_timer_elapsed (timer, NULL) / 1e9;
  ptl_backend_buffer_free (backend, x);
  ptl_backend_buffer_free (backend, y);
  return ok;
}

typedef struct
{
  PtlBackend *backend;
  const char *machine;
  guint       size;
  guint       threads;
  double      single_pair_us;  /* single-frame plans */
  double      batched_pair_us; /* the engines' batched plans */
} Setting;

static void
row_init (BenchRow      *row,
          const Setting *s,
          const char    *case_text,
          const char    *metric,
          double         value,
          const char    *unit)
{
  *row = (BenchRow) {
    .bench = "recon",
    .case_text = case_text,
    .metric = metric,
    .value = value,
    .unit = unit,
    .backend = ptl_backend_name (s->backend),
    .threads = s->threads,
    .machine = s->machine,
  };
}

/* §5.3's bytes per frame-iteration over the bandwidth this device showed. */
static gboolean
print_bandwidth_floors (const Setting *s,
                        GError       **error)
{
  static const struct
  {
    const char *what;
    double      bytes_per_pixel;
  } models[] = {
    { "unfused DM (~300 N bytes per frame-iteration)", 300.0 },
    { "fused DM (~20 N bytes)", 20.0 },
    { "fused batched PIE/AP (~4 N bytes)", 4.0 },
  };
  double gbs;
  BenchRow row;

  if (!bandwidth_gbs (s->backend, &gbs, error))
    return FALSE;
  row_init (&row, s, "device bandwidth, y = a·x + b·y on 64 MiB vectors", "bandwidth", gbs, "GB/s");
  print_row (&row);
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *text = g_strdup_printf ("bandwidth floor, %s, %u×%u", models[i].what,
                                               s->size, s->size);
      double us = models[i].bytes_per_pixel * s->size * s->size / (gbs * 1e3);
      row_init (&row, s, text, "us_per_frame_iteration", us, "us");
      print_row (&row);
    }
  return TRUE;
}

static PtlScanData *
simulate (guint      size,
          guint      frames,
          PtlArray **object,
          PtlArray **probe,
          GError   **error)
{
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.n_frames = frames;
  sim.geometry.frame_size = size;
  return ptl_simulate_scan (&sim, object, probe, error);
}

static void
engine_params (const EngineCase *e,
               PtlBackend       *backend,
               PtlReconParams   *params)
{
  ptl_recon_params_init (params);
  params->algorithm = e->algorithm;
  params->batch_size = e->batch ? e->batch : ptl_engine_chunk_frames (backend);
  params->probe_init = PTL_PROBE_INIT_MODEL;
  if (e->algorithm == PTL_ALGORITHM_EPIE)
    params->alpha = params->beta = 1.0;
}

/* DM on more threads against DM on the first count asked (the CPU's scaling). */
static void
print_scaling (const ReconOptions *opts,
               const Setting      *s,
               const char         *text,
               guint               frames,
               double              seconds)
{
  g_autofree char *key = g_strdup_printf ("%u/%u", s->size, frames);
  guint first = g_array_index (opts->threads, guint, 0);
  double *one = g_hash_table_lookup (opts->dm_first_threads, key);
  BenchRow row;

  if (g_strcmp0 (ptl_backend_name (s->backend), "cpu") != 0)
    return;
  if (one == NULL)
    {
      g_hash_table_insert (opts->dm_first_threads, g_steal_pointer (&key),
                           g_memdup2 (&seconds, sizeof seconds));
      return;
    }
  g_autofree char *case_text = g_strdup_printf ("%s: %u threads against %u", text, s->threads,
                                                first);
  g_autofree char *baseline = g_strdup_printf ("seconds per iteration on %u thread%s", first,
                                               first == 1 ? "" : "s");
  row_init (&row, s, case_text, "speedup", *one / seconds, "x");
  print_row (&row);
  row_init (&row, s, case_text, "s_per_iteration", seconds, "s");
  row.baseline = baseline;
  row.baseline_value = *one;
  print_row (&row);
}

static gboolean
bench_engine (const ReconOptions *opts,
              const Setting      *s,
              const EngineCase   *e,
              const PtlScanData  *scan,
              const PtlArray     *probe,
              GError            **error)
{
  PtlReconParams params;
  BenchRow row;

  engine_params (e, s->backend, &params);
  g_autoptr (PtlEngine) engine = ptl_engine_new (s->backend, scan, &params, probe, error);
  /* The first iteration (the algorithm's own state, first plans) is not timed. */
  if (engine == NULL || !ptl_engine_iterate (engine, error))
    return FALSE;
  g_autoptr (GTimer) timer = g_timer_new ();
  for (guint it = 0; it < opts->iterations; it++)
    if (!ptl_engine_iterate (engine, error))
      return FALSE;
  double seconds = g_timer_elapsed (timer, NULL) / opts->iterations;
  double us = seconds * 1e6 / scan->n_frames;
  double floor_us = e->transforms / 2.0 * (e->batched ? s->batched_pair_us : s->single_pair_us);

  g_autofree char *text = g_strdup_printf ("%s, %u frames of %u×%u", e->name, scan->n_frames,
                                           s->size, s->size);
  row_init (&row, s, text, "s_per_iteration", seconds, "s");
  print_row (&row);
  g_autofree char *baseline = g_strdup_printf ("the %u FFTs per frame it must do, on its %s plans, "
                                               "timed in this run (the floor)",
                                               e->transforms,
                                               e->batched ? "batched" : "single-frame");
  row_init (&row, s, text, "us_per_frame_iteration", us, "us");
  row.baseline = baseline;
  row.baseline_value = floor_us;
  print_row (&row);
  if (e->algorithm == PTL_ALGORITHM_DM)
    print_scaling (opts, s, text, scan->n_frames, seconds);
  return TRUE;
}

/* NRMSE after 100 iterations (ML: 50 of DM, then 50 of ML), from the optics model. */
static gboolean
bench_quality (const Setting    *s,
               const EngineCase *e,
               const PtlScanData *scan,
               const PtlArray   *object_truth,
               const PtlArray   *probe_truth,
               GError          **error)
{
  PtlReconParams params;
  BenchRow row;

  engine_params (e, s->backend, &params);
  if (e->algorithm == PTL_ALGORITHM_ML)
    params.algorithm = PTL_ALGORITHM_DM;
  g_autoptr (PtlEngine) engine = ptl_engine_new (s->backend, scan, &params, probe_truth, error);
  for (guint it = 0; engine != NULL && it < 100; it++)
    {
      if (it == 50 && e->algorithm == PTL_ALGORITHM_ML)
        {
          params.algorithm = PTL_ALGORITHM_ML;
          if (!ptl_engine_set_params (engine, &params, error))
            return FALSE;
        }
      if (!ptl_engine_iterate (engine, error))
        return FALSE;
    }
  if (engine == NULL)
    return FALSE;
  g_autoptr (PtlArray) object = ptl_engine_get_object (engine, error);
  g_autoptr (PtlArray) probe = object ? ptl_engine_get_probe (engine, error) : NULL;
  if (probe == NULL)
    return FALSE;
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  PtlQuality quality;
  if (!ptl_quality_compare_scan (object_truth, object, probe, positions, n, &quality, error))
    return FALSE;
  g_autofree char *text = g_strdup_printf ("%s, %u frames of %u×%u, Poisson noise, probe from "
                                           "the optics model and refined, 100 iterations%s",
                                           e->name, scan->n_frames, s->size, s->size,
                                           e->algorithm == PTL_ALGORITHM_ML ? " (50 DM + 50 ML)"
                                                                            : "");
  row_init (&row, s, text, "nrmse", quality.nrmse, "");
  print_row (&row);
  return TRUE;
}

static gboolean
wanted (const ReconOptions *opts,
        const EngineCase   *e)
{
  return opts->engines == NULL || g_strv_contains ((const char *const *) opts->engines, e->name);
}

static gboolean
bench_setting (const ReconOptions *opts,
               Setting            *s,
               GError            **error)
{
  if (!fft_pair_us (s->backend, s->size, 1, &s->single_pair_us, error)
      || !fft_pair_us (s->backend, s->size, ptl_engine_chunk_frames (s->backend),
                       &s->batched_pair_us, error)
      || !print_bandwidth_floors (s, error))
    return FALSE;
  for (guint f = 0; f < opts->frames->len; f++)
    {
      g_autoptr (PtlArray) object = NULL;
      g_autoptr (PtlArray) probe = NULL;
      g_autoptr (PtlScanData) scan = simulate (s->size, g_array_index (opts->frames, guint, f),
                                               &object, &probe, error);
      if (scan == NULL)
        return FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (engine_cases); i++)
        if (wanted (opts, &engine_cases[i])
            && (!bench_engine (opts, s, &engine_cases[i], scan, probe, error)
                || (opts->quality
                    && !bench_quality (s, &engine_cases[i], scan, object, probe, error))))
          return FALSE;
    }
  return TRUE;
}

static gboolean
parse_list (const char *text,
            GArray     *out,
            guint       min,
            guint       max,
            const char *what,
            GError    **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  g_array_set_size (out, 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, min, max, &v, error))
        {
          g_prefix_error (error, "%s: ", what);
          return FALSE;
        }
      guint value = (guint) v;
      g_array_append_val (out, value);
    }
  return TRUE;
}

int
bench_recon (int    argc,
             char **argv)
{
  g_autofree char *backends = NULL, *sizes = NULL, *frames = NULL, *threads = NULL;
  g_autofree char *engines = NULL;
  g_autoptr (GError) error = NULL;
  int iterations = 5;
  gboolean quality = FALSE;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backends,
      "Backends, comma-separated (default cpu,cuda)", "LIST" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &sizes, "Frame sizes M (default 128,256)", "LIST" },
    { "frames", 0, 0, G_OPTION_ARG_STRING, &frames, "Scan lengths (default 300,1257)", "LIST" },
    { "threads", 0, 0, G_OPTION_ARG_STRING, &threads, "CPU threads (default 1,2)", "LIST" },
    { "engines", 0, 0, G_OPTION_ARG_STRING, &engines,
      "Engines (default all: epie,rpie,mpie,rpie-batch,dm,ap,raar,ml)", "LIST" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "Timed iterations (after one untimed)",
      "N" },
    { "quality", 0, 0, G_OPTION_ARG_NONE, &quality, "Also the NRMSE after 100 iterations", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context
    = g_option_context_new ("recon — engine cost per frame-iteration");
  g_option_context_add_main_entries (context, entries, NULL);
  ReconOptions opts = { .iterations = 5 };
  g_autoptr (GArray) size_list = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) frame_list = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) thread_list = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto (GStrv) backend_list = NULL;
  g_auto (GStrv) engine_list = NULL;

  if (!g_option_context_parse (context, &argc, &argv, &error)
      || !parse_list (sizes ? sizes : "128,256", size_list, 16, 4096, "--size", &error)
      || !parse_list (frames ? frames : "300,1257", frame_list, 1, 1000000, "--frames", &error)
      || !parse_list (threads ? threads : "1,2", thread_list, 1, 1024, "--threads", &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (iterations < 1)
    {
      g_printerr ("ptycholive-bench: need --iterations ≥ 1\n");
      return EXIT_USAGE;
    }
  backend_list = g_strsplit (backends ? backends : "cpu,cuda", ",", -1);
  engine_list = engines ? g_strsplit (engines, ",", -1) : NULL;
  for (guint i = 0; engine_list && engine_list[i]; i++)
    {
      gboolean known = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (engine_cases); k++)
        known |= g_str_equal (engine_list[i], engine_cases[k].name);
      if (!known)
        {
          g_printerr ("ptycholive-bench: unknown engine “%s”\n", engine_list[i]);
          return EXIT_USAGE;
        }
    }
  g_autoptr (GHashTable) dm_first_threads = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                                   g_free, g_free);
  opts = (ReconOptions) { backend_list, size_list, frame_list, thread_list, engine_list,
                          (guint) iterations, quality, dm_first_threads };

  for (guint b = 0; backend_list[b] != NULL; b++)
    {
      PtlBackendKind kind;
      if (!ptl_backend_kind_from_string (backend_list[b], &kind, &error))
        {
          g_printerr ("ptycholive-bench: %s\n", error->message);
          return EXIT_USAGE;
        }
      /* One thread count for a device; the CPU's FFTW and kernels use each count asked. */
      guint n_threads = kind == PTL_BACKEND_CPU ? thread_list->len : 1;
      for (guint t = 0; t < n_threads; t++)
        {
          guint count = g_array_index (thread_list, guint, t);
          g_autoptr (PtlBackend) backend = ptl_backend_new (kind, 0, count, &error);
          if (backend == NULL)
            {
              /* A missing device is reported, and the other backends still run. */
              g_printerr ("ptycholive-bench: %s backend: %s\n", backend_list[b], error->message);
              g_clear_error (&error);
              continue;
            }
          g_autofree char *machine = kind == PTL_BACKEND_CPU
                                       ? cpu_model ()
                                       : g_strdup (ptl_backend_description (backend));
          for (guint z = 0; z < size_list->len; z++)
            {
              Setting s = { .backend = backend, .machine = machine,
                            .size = g_array_index (size_list, guint, z),
                            .threads = ptl_backend_threads (backend) };
              if (!bench_setting (&opts, &s, &error))
                {
                  g_printerr ("ptycholive-bench: %s\n", error->message);
                  return EXIT_FAILURE;
                }
            }
        }
    }
  return EXIT_SUCCESS;
}
