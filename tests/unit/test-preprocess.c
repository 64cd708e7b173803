/* Preprocessing against a direct computation of its formula, and against the raw-frame
 * simulator's ground truth (pattern, bad pixels, centre). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "preprocess/ptl-preprocess.h"
#include "sim/ptl-sim-raw.h"

#define ROWS 96
#define COLS 80

typedef struct
{
  guint16  *frames;
  PtlArray *dark;
  PtlArray *gain;
  guint8   *mask;
} Detector;

static void
detector_init (Detector *d,
               guint     n)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  d->frames = g_new (guint16, (gsize) n * ROWS * COLS);
  d->dark = ptl_array_new_2d (PTL_DTYPE_FLOAT, ROWS, COLS);
  d->gain = ptl_array_new_2d (PTL_DTYPE_FLOAT, ROWS, COLS);
  d->mask = g_new (guint8, ROWS * COLS);
  for (gsize i = 0; i < (gsize) n * ROWS * COLS; i++)
    d->frames[i] = (guint16) g_rand_int_range (rand, 80, i % 53 == 0 ? 6000 : 400);
  for (gsize i = 0; i < ROWS * COLS; i++)
    {
      ptl_array_float (d->dark)[i] = (float) g_rand_double_range (rand, 90, 130);
      ptl_array_float (d->gain)[i] = (float) g_rand_double_range (rand, 0.8, 1.2);
      d->mask[i] = i % 97 != 0;
    }
}

static void
detector_clear (Detector *d)
{
  g_free (d->frames);
  ptl_array_free (d->dark);
  ptl_array_free (d->gain);
  g_free (d->mask);
}

static PtlPreprocessParams
small_params (guint bin)
{
  PtlPreprocessParams params;

  ptl_preprocess_params_init (&params);
  params.crop = 32;
  params.bin = bin;
  params.centre_row = 40.3;
  params.centre_col = 37.8;
  params.adu_per_photon = 10.0;
  params.saturation = 4000;
  return params;
}

/* The formula of ptl-preprocess-plan.h, pixel by pixel, in double. */
static void
check_against_direct (const Detector            *d,
                      const PtlPreprocessParams *params,
                      guint                      n,
                      const float               *patterns,
                      const guint8              *masks)
{
  guint crop = params->crop, bin = params->bin, m = crop / bin;
  guint row0 = (guint) round (params->centre_row - crop / 2.0);
  guint col0 = (guint) round (params->centre_col - crop / 2.0);

  for (guint k = 0; k < n; k++)
    for (guint i = 0; i < m; i++)
      for (guint j = 0; j < m; j++)
        {
          double sum = 0.0;
          gboolean good = TRUE;
          for (guint s = 0; s < bin; s++)
            for (guint t = 0; t < bin; t++)
              {
                gsize p = (gsize) (row0 + i * bin + s) * COLS + col0 + j * bin + t;
                guint16 raw = d->frames[(gsize) k * ROWS * COLS + p];
                gboolean saturated = raw >= params->saturation;
                double v = MAX (raw - ptl_array_float (d->dark)[p], 0.0)
                           * ptl_array_float (d->gain)[p] / params->adu_per_photon;
                sum += saturated || !d->mask[p] ? 0.0 : v;
                good = good && !saturated && d->mask[p];
              }
          gsize o = ((gsize) k * m + i) * m + j;
          g_assert_cmpfloat (fabs (patterns[o] - sum), <=, 1e-5 * (1.0 + sum));
          g_assert_cmpint (masks[o], ==, good);
        }
}

static void
test_formula (void)
{
  g_autoptr (GError) error = NULL;
  Detector d;
  const guint n = 5;

  detector_init (&d, n);
  PtlDetectorCalibration cal = { ROWS, COLS, d.dark, d.gain, d.mask };
  for (guint bin = 1; bin <= 4; bin *= 2)
    {
      PtlPreprocessParams params = small_params (bin);
      guint m = params.crop / bin;
      g_autofree float *one = g_new (float, n * m * m);
      g_autofree float *many = g_new (float, n * m * m);
      g_autofree guint8 *one_mask = g_new (guint8, n * m * m);
      g_autofree guint8 *many_mask = g_new (guint8, n * m * m);

      g_autoptr (PtlPreprocessor) single = ptl_preprocessor_new (&params, &cal, PTL_PREPROCESS_CPU,
                                                                 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ptl_preprocessor_pattern_size (single), ==, m);
      g_assert_true (ptl_preprocessor_process (single, d.frames, n, one, one_mask, &error));
      check_against_direct (&d, &params, n, one, one_mask);

      /* Threads split frames (or rows of one frame) without changing a bit. */
      g_autoptr (PtlPreprocessor) threaded = ptl_preprocessor_new (&params, &cal,
                                                                   PTL_PREPROCESS_CPU, 3, &error);
      g_assert_true (ptl_preprocessor_process (threaded, d.frames, n, many, many_mask, &error));
      g_assert_cmpmem (one, n * m * m * sizeof (float), many, n * m * m * sizeof (float));
      g_assert_cmpmem (one_mask, n * m * m, many_mask, n * m * m);
      g_assert_true (ptl_preprocessor_process (threaded, d.frames, 1, many, NULL, &error));
      g_assert_cmpmem (one, m * m * sizeof (float), many, m * m * sizeof (float));
    }
  detector_clear (&d);
}

static void
expect_invalid (PtlPreprocessParams          *params,
                const PtlDetectorCalibration *cal,
                gint                          code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlPreprocessor) p = ptl_preprocessor_new (params, cal, PTL_PREPROCESS_CPU, 1,
                                                        &error);
  g_assert_null (p);
  g_assert_error (error, PTL_PARAM_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
test_validation (void)
{
  Detector d;
  PtlPreprocessParams params;

  detector_init (&d, 1);
  PtlDetectorCalibration cal = { ROWS, COLS, d.dark, d.gain, d.mask };

  params = small_params (2);
  params.centre_row = 10.0; /* the 32-pixel crop would start above the frame */
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_GEOMETRY);
  params = small_params (3); /* 3 does not divide 32 */
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_GEOMETRY);
  params = small_params (2);
  params.crop = 128; /* larger than the frame */
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_GEOMETRY);
  params = small_params (2);
  params.adu_per_photon = 0.0;
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_RANGE);

  g_autoptr (PtlArray) small_dark = ptl_array_new_2d (PTL_DTYPE_FLOAT, ROWS / 2, COLS);
  PtlDetectorCalibration wrong_dark = { ROWS, COLS, small_dark, NULL, NULL };
  params = small_params (2);
  expect_invalid (&params, &wrong_dark, PTL_PARAM_ERROR_GEOMETRY);

  ptl_array_float (d.gain)[123] = NAN;
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_INVALID);
  ptl_array_float (d.gain)[123] = INFINITY;
  expect_invalid (&params, &cal, PTL_PARAM_ERROR_INVALID);
  detector_clear (&d);
}

/* A smooth, centro-symmetric test pattern: a Gaussian beam on a faint flat background. */
static void
gaussian_pattern (float *pattern,
                  guint  m,
                  double peak,
                  double width)
{
  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < m; j++)
      {
        double r2 = pow ((double) i - m / 2, 2) + pow ((double) j - m / 2, 2);
        pattern[i * m + j] = (float) (peak * exp (-r2 / (2 * width * width)) + 5.0);
      }
}

static PtlRawDetector *
raw_detector (guint  bin,
              double centre_row,
              double centre_col)
{
  g_autoptr (GError) error = NULL;
  PtlRawParams raw;

  ptl_raw_params_init (&raw);
  raw.rows = raw.cols = 384;
  raw.bin = bin;
  raw.centre_row = centre_row;
  raw.centre_col = centre_col;
  PtlRawDetector *detector = ptl_raw_detector_new (&raw, &error);
  g_assert_no_error (error);
  return detector;
}

static PtlArray *
measured_dark (PtlRawDetector *detector,
               guint           n,
               PtlArray      **sigma)
{
  g_autoptr (GError) error = NULL;
  const PtlRawParams *raw = ptl_raw_detector_params (detector);
  gsize pixels = (gsize) raw->rows * raw->cols;
  g_autofree guint16 *series = g_new (guint16, n * pixels);
  PtlArray *mean = ptl_array_new_2d (PTL_DTYPE_FLOAT, raw->rows, raw->cols);

  *sigma = ptl_array_new_2d (PTL_DTYPE_FLOAT, raw->rows, raw->cols);
  for (guint k = 0; k < n; k++)
    ptl_raw_detector_dark (detector, series + k * pixels);
  g_assert_true (ptl_dark_from_series (series, n, raw->rows, raw->cols, ptl_array_float (mean),
                                       ptl_array_float (*sigma), &error));
  return mean;
}

/* Raw frames of a known pattern come back as that pattern, within Poisson and read noise. */
static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  const guint m = 64, bin = 2;
  g_autoptr (PtlRawDetector) detector = raw_detector (bin, 190.0, 171.0);
  const PtlRawParams *raw = ptl_raw_detector_params (detector);
  g_autoptr (PtlArray) sigma = NULL;
  g_autoptr (PtlArray) dark = measured_dark (detector, 64, &sigma);
  g_autofree float *pattern = g_new (float, m * m);
  g_autofree guint16 *frame = g_new (guint16, (gsize) raw->rows * raw->cols);
  g_autofree float *out = g_new (float, m * m);
  g_autofree guint8 *mask = g_new (guint8, m * m);

  gaussian_pattern (pattern, m, 2000.0, 6.0);
  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));

  PtlPreprocessParams params;
  ptl_preprocess_params_init (&params);
  params.crop = m * bin;
  params.bin = bin;
  params.centre_row = raw->centre_row;
  params.centre_col = raw->centre_col;
  params.adu_per_photon = raw->gain;
  params.saturation = raw->saturation;
  PtlDetectorCalibration cal = { raw->rows, raw->cols, dark, NULL,
                                 ptl_raw_detector_truth_mask (detector) };
  g_autoptr (PtlPreprocessor) p = ptl_preprocessor_new (&params, &cal, PTL_PREPROCESS_CPU, 2,
                                                        &error);
  g_assert_no_error (error);
  g_assert_true (ptl_preprocessor_process (p, frame, 1, out, mask, &error));

  /* χ² per measured pixel: the variance is the Poisson count plus the read noise of the b²
   * detector pixels (in photons); a misplaced crop or a wrong scale is far off 1. */
  double chi2 = 0.0;
  guint measured = 0;
  double read_var = bin * bin * pow (raw->read_noise / raw->gain, 2);
  for (guint i = 0; i < m * m; i++)
    if (mask[i])
      {
        chi2 += pow (out[i] - pattern[i], 2) / (pattern[i] + read_var);
        measured++;
      }
  chi2 /= measured;
  g_test_message ("round trip: chi2 per pixel %.3f over %u pixels", chi2, measured);
  g_assert_cmpuint (measured, >, m * m * 9 / 10);
  g_assert_cmpfloat (chi2, >, 0.8);
  g_assert_cmpfloat (chi2, <, 1.25);
}

/* Hot and dead pixels from the dark series, the beam stop from a mask, and saturation per
 * frame. */
static void
test_masks (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlRawDetector) detector = raw_detector (1, 192.0, 192.0);
  const PtlRawParams *raw = ptl_raw_detector_params (detector);
  gsize pixels = (gsize) raw->rows * raw->cols;
  g_autoptr (PtlArray) sigma = NULL;
  g_autoptr (PtlArray) dark = measured_dark (detector, 64, &sigma);
  g_autofree guint8 *mask = g_malloc (pixels);
  const guint8 *truth = ptl_raw_detector_truth_mask (detector);

  memset (mask, 1, pixels);
  guint marked = ptl_mask_from_dark (ptl_array_float (dark), ptl_array_float (sigma), pixels, 6.0,
                                     mask);
  guint missed = 0, false_alarms = 0;
  for (gsize i = 0; i < pixels; i++)
    {
      missed += !truth[i] && mask[i];
      false_alarms += truth[i] && !mask[i];
    }
  g_test_message ("dark statistics marked %u pixels: %u bad ones missed, %u good ones marked",
                  marked, missed, false_alarms);
  g_assert_cmpuint (missed, ==, 0);
  g_assert_cmpuint (false_alarms, <=, 2);
  g_assert_cmpuint (marked, ==, raw->n_hot + raw->n_dead + false_alarms);

  /* A pattern pixel bright enough to saturate is masked in that frame only. */
  const guint m = 32;
  g_autofree float *pattern = g_new (float, m * m);
  g_autofree guint16 *frame = g_new (guint16, pixels);
  g_autofree float *out = g_new (float, m * m);
  g_autofree guint8 *out_mask = g_new (guint8, m * m);
  gaussian_pattern (pattern, m, 100.0, 3.0);
  pattern[5 * m + 7] = 1e5f; /* ×10 ADU per photon: far beyond 65535 */
  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));

  PtlPreprocessParams params;
  ptl_preprocess_params_init (&params);
  params.crop = m;
  params.bin = 1;
  params.centre_row = raw->centre_row;
  params.centre_col = raw->centre_col;
  params.adu_per_photon = raw->gain;
  params.saturation = raw->saturation;
  PtlDetectorCalibration cal = { raw->rows, raw->cols, dark, NULL, mask };
  g_autoptr (PtlPreprocessor) p = ptl_preprocessor_new (&params, &cal, PTL_PREPROCESS_CPU, 1,
                                                        &error);
  g_assert_no_error (error);
  g_assert_true (ptl_preprocessor_process (p, frame, 1, out, out_mask, &error));
  g_assert_cmpint (out_mask[5 * m + 7], ==, 0);
  g_assert_cmpint (out_mask[5 * m + 8], ==, 1);
  gaussian_pattern (pattern, m, 100.0, 3.0);
  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));
  g_assert_true (ptl_preprocessor_process (p, frame, 1, out, out_mask, &error));
  g_assert_cmpint (out_mask[5 * m + 7], ==, 1);

  /* Bad detector pixels inside the crop are masked in every frame. */
  guint row0 = (guint) round (raw->centre_row - m / 2.0), col0 = (guint) round (raw->centre_col - m / 2.0);
  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < m; j++)
      if (!mask[(gsize) (row0 + i) * raw->cols + col0 + j])
        g_assert_cmpint (out_mask[i * m + j], ==, 0);
}

/* The centre of an off-centre beam, found to half a pixel from the first frames. */
static void
check_auto_centre (guint  bin,
                   double row,
                   double col)
{
  g_autoptr (GError) error = NULL;
  const guint m = 32;
  g_autoptr (PtlRawDetector) detector = raw_detector (bin, row, col);
  const PtlRawParams *raw = ptl_raw_detector_params (detector);
  gsize pixels = (gsize) raw->rows * raw->cols;
  g_autoptr (PtlArray) sigma = NULL;
  g_autoptr (PtlArray) dark = measured_dark (detector, 32, &sigma);
  g_autofree float *pattern = g_new (float, m * m);
  g_autofree guint16 *frames = g_new (guint16, 3 * pixels);
  g_autofree float *out = g_new (float, 3 * m * m);

  gaussian_pattern (pattern, m, 3000.0, 2.5);
  for (guint k = 0; k < 3; k++)
    g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frames + k * pixels, &error));

  PtlPreprocessParams params;
  ptl_preprocess_params_init (&params);
  params.crop = m * bin;
  params.bin = bin;
  params.auto_centre = TRUE;
  params.auto_centre_frames = 3;
  params.adu_per_photon = raw->gain;
  PtlDetectorCalibration cal = { raw->rows, raw->cols, dark, NULL,
                                 ptl_raw_detector_truth_mask (detector) };
  g_autoptr (PtlPreprocessor) p = ptl_preprocessor_new (&params, &cal, PTL_PREPROCESS_CPU, 1,
                                                        &error);
  g_assert_no_error (error);
  g_assert_true (ptl_preprocessor_process (p, frames, 3, out, NULL, &error));
  double found_row, found_col;
  ptl_preprocessor_get_centre (p, &found_row, &found_col);
  g_test_message ("bin %u: centre (%.2f, %.2f) found at (%.2f, %.2f)", bin, row, col, found_row,
                  found_col);
  g_assert_cmpfloat (fabs (found_row - row), <=, 0.5);
  g_assert_cmpfloat (fabs (found_col - col), <=, 0.5);
  /* The pattern's peak now sits at (M/2, M/2). */
  guint peak = 0;
  for (guint i = 1; i < m * m; i++)
    if (out[i] > out[peak])
      peak = i;
  g_assert_cmpuint (peak, ==, (m / 2) * m + m / 2);
}

static void
test_auto_centre (void)
{
  check_auto_centre (1, 201.0, 157.0);
  check_auto_centre (2, 170.0, 215.0);
}

/* An automatic centre that would put the crop off the frame is an error, and nothing is
 * processed. */
static void
test_auto_centre_outside (void)
{
  g_autoptr (GError) error = NULL;
  const guint m = 32;
  g_autoptr (PtlRawDetector) detector = raw_detector (1, 30.0, 200.0);
  const PtlRawParams *raw = ptl_raw_detector_params (detector);
  g_autofree float *pattern = g_new (float, m * m);
  g_autofree guint16 *frame = g_new (guint16, (gsize) raw->rows * raw->cols);
  g_autofree float *out = g_new (float, 4 * m * m);
  g_autoptr (PtlArray) sigma = NULL;
  g_autoptr (PtlArray) dark = measured_dark (detector, 16, &sigma);

  gaussian_pattern (pattern, m, 3000.0, 2.5);
  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));
  PtlPreprocessParams params;
  ptl_preprocess_params_init (&params);
  params.crop = 4 * m; /* 128 pixels around row 30 cannot fit */
  params.bin = 4;
  params.auto_centre = TRUE;
  PtlDetectorCalibration cal = { raw->rows, raw->cols, dark, NULL, NULL };
  g_autoptr (PtlPreprocessor) p = ptl_preprocessor_new (&params, &cal, PTL_PREPROCESS_CPU, 1,
                                                        &error);
  g_assert_no_error (error);
  g_assert_false (ptl_preprocessor_process (p, frame, 1, out, NULL, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/preprocess/formula", test_formula);
  g_test_add_func ("/preprocess/validation", test_validation);
  g_test_add_func ("/preprocess/round-trip", test_round_trip);
  g_test_add_func ("/preprocess/masks", test_masks);
  g_test_add_func ("/preprocess/auto-centre", test_auto_centre);
  g_test_add_func ("/preprocess/auto-centre-outside", test_auto_centre_outside);
  return g_test_run ();
}
