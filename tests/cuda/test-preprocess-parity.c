/* CUDA preprocessing against the CPU path, through the public API only, on one seeded
 * random detector: a dark near 100 ADU, gains around 1, bad pixels, and frames with values
 * below the dark and at or above saturation, and a crop off the centre in both directions.
 * Masks must agree bit for bit and patterns to float rounding. Without a CUDA device the
 * whole program is skipped. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "preprocess/ptl-preprocess.h"

#define ROWS 256
#define COLS 320
#define CROP 128
#define SATURATION 4000
#define ADU_PER_PHOTON 10.0
#define MAX_FRAMES 37
/* Each detector pixel is computed alike; only the order of a bin's sum may differ. */
#define RELATIVE_TOLERANCE 1e-6
/* For pattern pixels at 0 (every pixel of the bin dark or bad): far below a photon. */
#define ABSOLUTE_FLOOR 1e-9

static PtlArray *dark;
static PtlArray *gain;
static guint8 *good_pixels;
static guint16 *frames; /* [MAX_FRAMES][ROWS][COLS], pageable */

static void
make_detector (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  gsize pixels = (gsize) ROWS * COLS;
  float *d, *g;

  dark = ptl_array_new_2d (PTL_DTYPE_FLOAT, ROWS, COLS);
  gain = ptl_array_new_2d (PTL_DTYPE_FLOAT, ROWS, COLS);
  good_pixels = g_new (guint8, pixels);
  d = ptl_array_float (dark);
  g = ptl_array_float (gain);
  for (gsize i = 0; i < pixels; i++)
    {
      d[i] = (float) g_rand_double_range (rand, 90.0, 110.0);
      g[i] = (float) g_rand_double_range (rand, 0.8, 1.2);
      good_pixels[i] = g_rand_double (rand) >= 0.01;
    }

  frames = g_new (guint16, MAX_FRAMES * pixels);
  for (gsize i = 0; i < MAX_FRAMES * pixels; i++)
    {
      double u = g_rand_double (rand);
      int level = (int) d[i % pixels];

      if (u < 0.02)
        frames[i] = (guint16) g_rand_int_range (rand, SATURATION, 65536);
      else if (u < 0.10)
        frames[i] = (guint16) g_rand_int_range (rand, level - 20, level + 1);
      else
        frames[i] = (guint16) g_rand_int_range (rand, level, SATURATION);
    }
}

static void
free_detector (void)
{
  g_clear_pointer (&dark, ptl_array_free);
  g_clear_pointer (&gain, ptl_array_free);
  g_clear_pointer (&good_pixels, g_free);
  g_clear_pointer (&frames, g_free);
}

static PtlPreprocessor *
make_preprocessor (guint               bin,
                   PtlPreprocessDevice device,
                   GError            **error)
{
  PtlDetectorCalibration calibration = {
    .rows = ROWS,
    .cols = COLS,
    .dark = dark,
    .gain = gain,
    .mask = good_pixels,
  };
  PtlPreprocessParams params;

  ptl_preprocess_params_init (&params);
  params.crop = CROP;
  params.bin = bin;
  /* Off the middle, and by different amounts, so that a swapped or lost offset shows. */
  params.centre_row = 141.0;
  params.centre_col = 97.0;
  params.adu_per_photon = ADU_PER_PHOTON;
  params.saturation = SATURATION;
  return ptl_preprocessor_new (&params, &calibration, device,
                               device == PTL_PREPROCESS_CPU ? 1 : 0, error);
}

typedef struct
{
  guint   n;
  gsize   pixels; /* n·M² */
  float  *patterns;
  guint8 *masks;
} Output;

static void
output_free (Output *out)
{
  g_free (out->patterns);
  g_free (out->masks);
  g_free (out);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Output, output_free)

static Output *
run (PtlPreprocessor *p,
     guint            n,
     gboolean         with_masks)
{
  g_autoptr (GError) error = NULL;
  guint m = ptl_preprocessor_pattern_size (p);
  Output *out = g_new0 (Output, 1);
  gboolean ok;

  out->n = n;
  out->pixels = (gsize) n * m * m;
  out->patterns = g_new (float, out->pixels);
  out->masks = with_masks ? g_new (guint8, out->pixels) : NULL;
  /* Values that neither path writes, so that a pixel left out shows. */
  memset (out->patterns, 0xff, out->pixels * sizeof (float));
  if (with_masks)
    memset (out->masks, 0x7f, out->pixels);
  ok = ptl_preprocessor_process (p, frames, n, out->patterns, out->masks, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return out;
}

/* The inputs must reach every branch: measured pixels, bad or saturated ones, signal. */
static void
assert_inputs_cover (const Output *cpu)
{
  gsize measured = 0, lit = 0;

  for (gsize i = 0; i < cpu->pixels; i++)
    {
      measured += cpu->masks[i] == 1;
      lit += cpu->patterns[i] > 0.0f;
    }
  g_assert_cmpuint (measured, >, cpu->pixels / 2);
  g_assert_cmpuint (measured, <, cpu->pixels);
  g_assert_cmpuint (lit, >, cpu->pixels / 2);
}

static void
assert_parity (const Output *cuda,
               const Output *cpu,
               guint         m)
{
  gsize frame_pixels = (gsize) m * m;

  for (gsize i = 0; i < cpu->pixels; i++)
    {
      guint frame = (guint) (i / frame_pixels), row = (guint) (i % frame_pixels / m);
      guint col = (guint) (i % m);
      double a = cpu->patterns[i], b = cuda->patterns[i];

      if (cuda->masks[i] != cpu->masks[i])
        {
          g_test_fail_printf ("Frame %u, pixel (%u, %u): mask %u on the CPU, %u on CUDA", frame,
                              row, col, cpu->masks[i], cuda->masks[i]);
          return;
        }
      if (!(fabs (b - a) <= RELATIVE_TOLERANCE * fabs (a) + ABSOLUTE_FLOOR))
        {
          g_test_fail_printf ("Frame %u, pixel (%u, %u): %.9g photons on the CPU, %.9g on CUDA",
                              frame, row, col, a, b);
          return;
        }
    }
}

static void
test_parity (gconstpointer data)
{
  guint bin = GPOINTER_TO_UINT (data);
  const guint counts[] = { 1, MAX_FRAMES };
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlPreprocessor) cpu = make_preprocessor (bin, PTL_PREPROCESS_CPU, &error);
  g_assert_no_error (error);
  g_autoptr (PtlPreprocessor) cuda = make_preprocessor (bin, PTL_PREPROCESS_CUDA, &error);
  g_assert_no_error (error);
  guint m = ptl_preprocessor_pattern_size (cpu);

  g_assert_cmpuint (ptl_preprocessor_pattern_size (cuda), ==, CROP / bin);
  /* The same pair for both counts: the CUDA one reuses its slots and streams. */
  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      g_autoptr (Output) expected = run (cpu, counts[c], TRUE);
      g_autoptr (Output) got = run (cuda, counts[c], TRUE);

      assert_inputs_cover (expected);
      assert_parity (got, expected, m);
    }

  /* The same frames again: the same bits, and patterns without masks are the same. */
  g_autoptr (Output) first = run (cuda, MAX_FRAMES, TRUE);
  g_autoptr (Output) again = run (cuda, MAX_FRAMES, TRUE);
  g_autoptr (Output) unmasked = run (cuda, MAX_FRAMES, FALSE);
  g_assert_cmpmem (again->patterns, again->pixels * sizeof (float), first->patterns,
                   first->pixels * sizeof (float));
  g_assert_cmpmem (again->masks, again->pixels, first->masks, first->pixels);
  g_assert_cmpmem (unmasked->patterns, unmasked->pixels * sizeof (float), first->patterns,
                   first->pixels * sizeof (float));
}

/* The centre found on the frames moves the crop, and the CUDA path follows it (its
 * calibration is cut and uploaded again). */
static void
test_moved_crop (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlPreprocessor) cpu = make_preprocessor (2, PTL_PREPROCESS_CPU, &error);
  g_assert_no_error (error);
  g_autoptr (PtlPreprocessor) cuda = make_preprocessor (2, PTL_PREPROCESS_CUDA, &error);
  g_assert_no_error (error);
  double cpu_row, cpu_col, cuda_row, cuda_col, old_row, old_col;
  gboolean ok;

  g_autoptr (Output) before G_GNUC_UNUSED = run (cuda, MAX_FRAMES, TRUE); /* places the crop first */
  ptl_preprocessor_get_centre (cuda, &old_row, &old_col);
  ok = ptl_preprocessor_find_centre (cpu, frames, MAX_FRAMES, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ok = ptl_preprocessor_find_centre (cuda, frames, MAX_FRAMES, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ptl_preprocessor_get_centre (cpu, &cpu_row, &cpu_col);
  ptl_preprocessor_get_centre (cuda, &cuda_row, &cuda_col);
  g_assert_cmpfloat (cuda_row, ==, cpu_row);
  g_assert_cmpfloat (cuda_col, ==, cpu_col);
  g_assert_cmpfloat (fabs (cuda_row - old_row) + fabs (cuda_col - old_col), >, 10.0);

  g_autoptr (Output) expected = run (cpu, MAX_FRAMES, TRUE);
  g_autoptr (Output) got = run (cuda, MAX_FRAMES, TRUE);
  assert_inputs_cover (expected);
  assert_parity (got, expected, ptl_preprocessor_pattern_size (cpu));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlPreprocessor) probe = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  make_detector ();

  probe = make_preprocessor (2, PTL_PREPROCESS_CUDA, &error);
  if (probe == NULL)
    {
      gboolean unavailable = g_error_matches (error, PTL_BACKEND_ERROR,
                                              PTL_BACKEND_ERROR_UNAVAILABLE);
      g_printerr ("%s: %s\n", unavailable ? "Skipped" : "CUDA preprocessing fails",
                  error->message);
      free_detector ();
      return unavailable ? 77 : 1;
    }
  g_clear_pointer (&probe, ptl_preprocessor_free);

  g_test_add_data_func ("/cuda/preprocess/bin-2", GUINT_TO_POINTER (2), test_parity);
  g_test_add_data_func ("/cuda/preprocess/bin-4", GUINT_TO_POINTER (4), test_parity);
  g_test_add_func ("/cuda/preprocess/moved-crop", test_moved_crop);

  status = g_test_run ();
  free_detector ();
  return status;
}
