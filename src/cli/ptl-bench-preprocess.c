/* ptycholive-bench preprocess: raw uint16 frames to binned float32 patterns on the CPU (one
 * thread and every core) and on CUDA, each against a baseline measured in the same run: the
 * naive NumPy routine of the reference beamline (tests/bench/preprocess_numpy.py) and, for
 * CUDA with transfers, the frame rate the bus itself allows. */
#include "config.h"

#include "ptl-bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ptl-error.h"
#include "preprocess/ptl-preprocess.h"
#include "sim/ptl-sim-raw.h"
#include "sim/ptl-sim.h"

/* Enough for a dark and a mask that look like a real calibration; their quality is not
 * what is measured here. */
#define DARK_FRAMES 16
#define MASK_THRESHOLD 6.0
/* The crops of the ring of frames fill at least this much memory, so that, as in a live
 * stream, frames come from memory rather than from the last-level cache of the CPU. */
#define RING_CROP_BYTES ((gsize) 64 << 20)

#define NUMPY_BASELINE "naive NumPy preprocessing (tests/bench/preprocess_numpy.py), same case"

typedef struct
{
  guint crop;
  guint bin;
} Case;

/* Reference beamline settings for its 2048² sCMOS (reference/algorithms.md §7). */
static const Case cases[] = { { 512, 2 }, { 1024, 4 } };

typedef struct
{
  guint    rows;
  guint    cols;
  guint    frames;      /* simulated frames, handed over in one call */
  double   seconds;     /* least time each measurement runs */
  char    *cpu;         /* machine texts */
  char    *gpu;
  gboolean no_numpy;    /* told once that the baseline is missing */
  gboolean no_cuda;     /* told once that the CUDA rows are skipped */
} Options;

typedef struct
{
  const Options      *opts;
  const Case         *c;
  char               *size_text;
  char               *calls_text;
  guint               ring;      /* frames in the ring, a multiple of opts->frames */
  guint16            *frames;    /* [ring][rows][cols]: the simulated ones, repeated */
  PtlArray           *dark;
  guint8             *mask;
  PtlPreprocessParams params;
  float              *patterns;  /* results of one call */
  guint8             *masks;
  double              numpy_fps; /* 0 without the baseline */
} Run;

static void
run_clear (Run *run)
{
  g_free (run->size_text);
  g_free (run->calls_text);
  g_free (run->frames);
  ptl_array_free (run->dark);
  g_free (run->mask);
  g_free (run->patterns);
  g_free (run->masks);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* The system's Python first: Debian's python3-numpy belongs to it, not to a python3 that a
 * version manager puts first on PATH. */
static char *
find_python (void)
{
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup ("/usr/bin/python3");
  return g_find_program_in_path ("python3");
}

static char *
last_line (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = g_strv_length (lines); i > 0; i--)
    if (*g_strstrip (lines[i - 1]) != '\0')
      return g_strdup (lines[i - 1]);
  return g_strdup ("no output");
}

/* The value after "key": in the script's one JSON object. */
static gboolean
json_number (const char *json,
             const char *key,
             double     *value)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\":", key);
  const char *at = strstr (json, quoted);
  char *end;

  if (at == NULL)
    return FALSE;
  at += strlen (quoted);
  *value = g_ascii_strtod (at, &end);
  return end != at && isfinite (*value) && *value > 0.0;
}

static char *
json_string_value (const char *json,
                   const char *key)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\": \"", key);
  const char *at = strstr (json, quoted);
  const char *end = at != NULL ? strchr (at + strlen (quoted), '"') : NULL;

  if (end == NULL)
    return g_strdup ("(unknown version)");
  at += strlen (quoted);
  return g_strndup (at, end - at);
}

static gboolean
run_numpy (const Options *opts,
           const Case    *c,
           double        *fps,
           char         **version,
           GError       **error)
{
  const char *script = g_getenv ("PTL_BENCH_NUMPY");
  g_autofree char *python = find_python ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *rows = g_strdup_printf ("--rows=%u", opts->rows);
  g_autofree char *cols = g_strdup_printf ("--cols=%u", opts->cols);
  g_autofree char *crop = g_strdup_printf ("--crop=%u", c->crop);
  g_autofree char *bin = g_strdup_printf ("--bin=%u", c->bin);
  g_autofree char *frames = g_strdup_printf ("--frames=%u", opts->frames);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  /* Not printf: the locale may write a decimal comma. */
  g_autofree char *seconds = g_strconcat ("--seconds=",
                                          g_ascii_dtostr (number, sizeof number, opts->seconds),
                                          NULL);
  int status;

  if (python == NULL)
    {
      g_set_error_literal (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                           "no python3 found");
      return FALSE;
    }
  if (script == NULL)
    script = PTL_BENCH_NUMPY_SCRIPT;
  const char *argv[] = { python, script, rows, cols, crop, bin, frames, seconds, NULL };

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, &local))
    {
      g_autofree char *why = last_line (err);
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE, "%s %s: %s (%s)",
                   python, script, why, local->message);
      return FALSE;
    }
  if (!json_number (out, "frames_per_second", fps))
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "%s printed no frame rate: %s", script, out);
      return FALSE;
    }
  *version = json_string_value (out, "numpy");
  return TRUE;
}

/* The NumPy row, and the baseline of the others; without NumPy they go without it. */
static void
bench_numpy (Options *opts,
             Run     *run)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;

  if (opts->no_numpy)
    return;
  if (!run_numpy (opts, run->c, &run->numpy_fps, &version, &error))
    {
      g_printerr ("ptycholive-bench: no NumPy baseline (%s); the other rows are printed "
                  "without it\n", error->message);
      opts->no_numpy = TRUE;
      run->numpy_fps = 0.0;
      return;
    }

  g_autofree char *case_text = g_strdup_printf ("%s, NumPy %s as the reference beamline ran it: "
                                                "dark subtracted from the whole frame, clamped, "
                                                "then cropped and binned by summing",
                                                run->size_text, version);
  BenchRow row = {
    .bench = "preprocess",
    .case_text = case_text,
    .metric = "frames_per_second",
    .value = run->numpy_fps,
    .unit = "frames/s",
    .backend = "numpy",
    .threads = 1,
    .machine = opts->cpu,
  };
  print_row (&row);
}

static double
crop_bytes (const Run *run)
{
  return 2.0 * run->c->crop * run->c->crop;
}

/* A ring of raw frames of simulated far-field patterns, a dark series, and the calibration
 * a beamline would take from it: dark, bad pixels, saturation, ADU per photon. */
static gboolean
simulate (Run     *run,
          GError **error)
{
  const Options *opts = run->opts;
  gsize pixels = (gsize) opts->rows * opts->cols;
  guint m = run->c->crop / run->c->bin;
  PtlSimParams sim;
  PtlRawParams raw;

  ptl_sim_params_init (&sim);
  sim.n_frames = opts->frames;
  sim.geometry.frame_size = m;
  sim.geometry.bin = run->c->bin;
  /* The default binned pixel, so that the window, and the probe in it, stay the default. */
  sim.geometry.detector_pixel /= run->c->bin;
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, NULL, error);
  ptl_sim_params_clear (&sim);
  if (scan == NULL)
    return FALSE;

  ptl_raw_params_init (&raw);
  raw.rows = opts->rows;
  raw.cols = opts->cols;
  raw.centre_row = opts->rows / 2;
  raw.centre_col = opts->cols / 2;
  raw.bin = run->c->bin;
  g_autoptr (PtlRawDetector) detector = ptl_raw_detector_new (&raw, error);
  if (detector == NULL)
    return FALSE;

  guint calls = (guint) ceil (RING_CROP_BYTES / (crop_bytes (run) * opts->frames));
  run->ring = opts->frames * MAX (calls, 1);
  run->frames = g_try_new (guint16, pixels * run->ring);
  g_autofree guint16 *darks = g_try_new (guint16, pixels * DARK_FRAMES);
  g_autofree float *sigma = g_try_new (float, pixels);
  run->dark = ptl_array_try_new (PTL_DTYPE_FLOAT, 2, (gsize[]) { opts->rows, opts->cols }, error);
  if (run->dark == NULL)
    return FALSE;
  if (run->frames == NULL || darks == NULL || sigma == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Out of memory for %u frames of %u×%u", run->ring + DARK_FRAMES,
                   opts->rows, opts->cols);
      return FALSE;
    }
  const float *intensity = ptl_array_float (scan->intensity);
  for (guint k = 0; k < opts->frames; k++)
    if (!ptl_raw_detector_expose (detector, intensity + (gsize) k * m * m, m,
                                  run->frames + k * pixels, error))
      return FALSE;
  for (guint k = opts->frames; k < run->ring; k++)
    memcpy (run->frames + k * pixels, run->frames + (k % opts->frames) * pixels,
            pixels * sizeof (guint16));
  run->calls_text = g_strdup_printf ("%u frames per call, round a ring of %u whose crops hold "
                                     "%.0f MiB",
                                     opts->frames, run->ring,
                                     run->ring * crop_bytes (run) / (1 << 20));
  for (guint k = 0; k < DARK_FRAMES; k++)
    ptl_raw_detector_dark (detector, darks + k * pixels);
  if (!ptl_dark_from_series (darks, DARK_FRAMES, opts->rows, opts->cols,
                             ptl_array_float (run->dark), sigma, error))
    return FALSE;
  run->mask = g_malloc (pixels);
  memset (run->mask, 1, pixels);
  ptl_mask_from_dark (ptl_array_float (run->dark), sigma, pixels, MASK_THRESHOLD, run->mask);

  ptl_preprocess_params_init (&run->params);
  run->params.crop = run->c->crop;
  run->params.bin = run->c->bin;
  run->params.centre_row = raw.centre_row;
  run->params.centre_col = raw.centre_col;
  run->params.adu_per_photon = raw.gain;
  run->params.saturation = raw.saturation;
  run->patterns = g_new (float, (gsize) opts->frames * m * m);
  run->masks = g_new (guint8, (gsize) opts->frames * m * m);
  return TRUE;
}

static PtlPreprocessor *
preprocessor_new (Run                *run,
                  PtlPreprocessDevice device,
                  guint               threads,
                  GError            **error)
{
  PtlDetectorCalibration calibration = {
    .rows = run->opts->rows,
    .cols = run->opts->cols,
    .dark = run->dark,
    .mask = run->mask,
  };

  return ptl_preprocessor_new (&run->params, &calibration, device, threads, error);
}

/* Calls of opts->frames frames each, round the ring, for at least opts->seconds after one
 * untimed call. */
static gboolean
time_process (Run             *run,
              PtlPreprocessor *preprocessor,
              double          *fps,
              GError         **error)
{
  guint n = run->opts->frames;
  gsize pixels = (gsize) run->opts->rows * run->opts->cols;
  guint64 done = 0;

  if (!ptl_preprocessor_process (preprocessor, run->frames, n, run->patterns, run->masks, error))
    return FALSE;
  g_autoptr (GTimer) timer = g_timer_new ();
  do
    {
      const guint16 *frames = run->frames + (done % run->ring) * pixels;
      if (!ptl_preprocessor_process (preprocessor, frames, n, run->patterns, run->masks, error))
        return FALSE;
      done += n;
    }
  while (g_timer_elapsed (timer, NULL) < run->opts->seconds);
  *fps = done / g_timer_elapsed (timer, NULL);
  return TRUE;
}

static gboolean
bench_cpu (Run     *run,
           guint    threads,
           GError **error)
{
  g_autoptr (PtlPreprocessor) preprocessor = preprocessor_new (run, PTL_PREPROCESS_CPU, threads,
                                                               error);
  double fps;

  if (preprocessor == NULL || !time_process (run, preprocessor, &fps, error))
    return FALSE;

  g_autofree char *case_text = g_strdup_printf ("%s, dark, bad-pixel mask, saturation and "
                                                "ADU→photons on the crop only, %u thread%s, %s",
                                                run->size_text, threads, threads == 1 ? "" : "s",
                                                run->calls_text);
  BenchRow row = {
    .bench = "preprocess",
    .case_text = case_text,
    .metric = "frames_per_second",
    .value = fps,
    .unit = "frames/s",
    .backend = "cpu",
    .threads = threads,
    .machine = run->opts->cpu,
    .baseline = run->numpy_fps > 0.0 ? NUMPY_BASELINE : NULL,
    .baseline_value = run->numpy_fps,
  };
  print_row (&row);

  g_autofree char *bytes_case = g_strdup_printf ("%s; bytes = the raw uint16 of the crop read, "
                                                 "%u²·2 per frame",
                                                 case_text, run->c->crop);
  row.case_text = bytes_case;
  row.metric = "gbytes_per_second";
  row.value = fps * crop_bytes (run) / 1e9;
  row.unit = "GB/s";
  row.baseline_value = run->numpy_fps * crop_bytes (run) / 1e9;
  print_row (&row);
  return TRUE;
}

/* Calls of opts->frames frames each on one set of frames in page-locked memory: only the
 * crops cross the bus, so the host side's cache does not matter, and pinned memory is what
 * the bus limit of the baseline assumes. */
static gboolean
time_pinned (Run             *run,
             PtlPreprocessor *preprocessor,
             double          *fps,
             GError         **error)
{
  guint n = run->opts->frames;
  gsize bytes = (gsize) n * run->opts->rows * run->opts->cols * sizeof (guint16);
  guint16 *pinned = ptl_preprocessor_host_alloc (preprocessor, bytes, error);
  guint64 done = 0;
  gboolean ok;

  if (pinned == NULL)
    return FALSE;
  memcpy (pinned, run->frames, bytes);
  ok = ptl_preprocessor_process (preprocessor, pinned, n, run->patterns, run->masks, error);
  g_autoptr (GTimer) timer = g_timer_new ();
  while (ok && (done == 0 || g_timer_elapsed (timer, NULL) < run->opts->seconds))
    {
      ok = ptl_preprocessor_process (preprocessor, pinned, n, run->patterns, run->masks, error);
      done += n;
    }
  *fps = done / g_timer_elapsed (timer, NULL);
  ptl_preprocessor_host_free (preprocessor, pinned);
  return ok;
}

static gboolean
bench_cuda (Options *opts,
            Run     *run,
            GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (PtlPreprocessor) preprocessor = NULL;
  double kernel_fps, fps, bandwidth, kernel_seconds = 0.0;
  guint64 done = 0;

  if (opts->no_cuda)
    return TRUE;
  preprocessor = preprocessor_new (run, PTL_PREPROCESS_CUDA, 1, &local);
  if (preprocessor == NULL)
    {
      g_printerr ("ptycholive-bench: CUDA rows skipped: %s\n", local->message);
      opts->no_cuda = TRUE;
      return TRUE;
    }
  if (opts->gpu == NULL)
    opts->gpu = g_strdup (ptl_preprocessor_device_description (preprocessor));

  g_autoptr (GTimer) timer = g_timer_new ();
  do
    {
      double seconds;
      if (!ptl_preprocessor_time_kernel (preprocessor, opts->frames, &seconds, error))
        return FALSE;
      kernel_seconds += seconds;
      done += opts->frames;
    }
  while (g_timer_elapsed (timer, NULL) < opts->seconds);
  kernel_fps = done / kernel_seconds;
  if (!time_pinned (run, preprocessor, &fps, error)
      || !ptl_preprocessor_bus_bandwidth (preprocessor, (gsize) crop_bytes (run), &bandwidth,
                                          error))
    return FALSE;

  g_autofree char *kernel_case = g_strdup_printf ("%s, CUDA kernel alone on frames already on "
                                                  "the device",
                                                  run->size_text);
  BenchRow row = {
    .bench = "preprocess",
    .case_text = kernel_case,
    .metric = "frames_per_second",
    .value = kernel_fps,
    .unit = "frames/s",
    .backend = "cuda",
    .threads = 1,
    .machine = opts->gpu,
    .baseline = run->numpy_fps > 0.0 ? NUMPY_BASELINE : NULL,
    .baseline_value = run->numpy_fps,
  };
  print_row (&row);

  g_autofree char *transfer_case = g_strdup_printf ("%s, CUDA from page-locked host frames: "
                                                    "crops over the bus, patterns and masks back, "
                                                    "%u frames per call",
                                                    run->size_text, run->opts->frames);
  g_autofree char *bus_baseline = g_strdup_printf ("frames/s that the measured pinned "
                                                   "host→device bandwidth (%.2f GB/s) allows "
                                                   "for %u²·2 bytes per frame",
                                                   bandwidth / 1e9, run->c->crop);
  row.case_text = transfer_case;
  row.value = fps;
  row.baseline = bus_baseline;
  row.baseline_value = bandwidth / crop_bytes (run);
  print_row (&row);
  return TRUE;
}

static gboolean
bench_case (Options    *opts,
            const Case *c,
            GError    **error)
{
  g_auto (Run) run = { .opts = opts, .c = c };
  guint m = c->crop / c->bin;
  guint cores = g_get_num_processors ();

  run.size_text = g_strdup_printf ("%u×%u uint16 → crop %u → bin %u → %u×%u float32",
                                   opts->rows, opts->cols, c->crop, c->bin, m, m);
  bench_numpy (opts, &run);
  return simulate (&run, error)
         && bench_cpu (&run, 1, error)
         && (cores == 1 || bench_cpu (&run, cores, error))
         && bench_cuda (opts, &run, error);
}

int
bench_preprocess (int    argc,
                  char **argv)
{
  g_autoptr (GError) error = NULL;
  int rows = 2048, cols = 2048, frames = 16;
  double seconds = 2.0;
  const GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT, &rows, "Detector rows", "N" },
    { "cols", 0, 0, G_OPTION_ARG_INT, &cols, "Detector columns", "N" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Simulated frames, processed in one call", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Least time of each measurement", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("preprocess — raw frames to "
                                                             "patterns against naive NumPy");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }
  /* The largest crop must fit on the detector. */
  if (rows < 1024 || cols < 1024 || frames < 1 || !(seconds > 0.0 && seconds <= 3600.0))
    {
      g_printerr ("ptycholive-bench: need --rows, --cols ≥ 1024, --frames ≥ 1 and 0 < "
                  "--seconds ≤ 3600\n");
      return EXIT_USAGE;
    }

  Options opts = {
    .rows = (guint) rows,
    .cols = (guint) cols,
    .frames = (guint) frames,
    .seconds = seconds,
    .cpu = cpu_model (),
  };
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < G_N_ELEMENTS (cases); i++)
    ok = bench_case (&opts, &cases[i], &error);
  g_free (opts.cpu);
  g_free (opts.gpu);
  if (!ok)
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
