#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"

/* A detector small enough for many frames per test, with the default electronics. */
static void
small_params (PtlRawParams *params,
              guint         side)
{
  ptl_raw_params_init (params);
  params->rows = side;
  params->cols = side;
  params->centre_row = side / 2;
  params->centre_col = side / 2;
}

static PtlRawDetector *
make_detector (const PtlRawParams *params)
{
  g_autoptr (GError) error = NULL;
  PtlRawDetector *detector = ptl_raw_detector_new (params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (detector);
  return detector;
}

static void
expose (PtlRawDetector *detector,
        const float    *pattern,
        guint           m,
        guint16        *frame)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));
  g_assert_no_error (error);
}

/* The rms of one read around the truth: read noise, and rounding to whole ADU. */
static double
read_rms (const PtlRawParams *params)
{
  return sqrt (params->read_noise * params->read_noise + 1.0 / 12.0);
}

static void
test_defaults (void)
{
  PtlRawParams params;

  ptl_raw_params_init (&params);
  g_assert_cmpuint (params.rows, ==, 2048);
  g_assert_cmpuint (params.cols, ==, 2048);
  g_assert_cmpfloat (params.centre_row, ==, 1024.0);
  g_assert_cmpfloat (params.centre_col, ==, 1024.0);
  g_assert_cmpuint (params.bin, ==, 1);
  g_assert_cmpfloat (params.gain, ==, 10.0);
  g_assert_cmpfloat (params.dark_level, ==, 100.0);
  g_assert_cmpfloat (params.dark_spread, ==, 5.0);
  g_assert_cmpfloat (params.read_noise, ==, 2.0);
  g_assert_cmpuint (params.saturation, ==, 65535);
  g_assert_cmpuint (params.n_hot, ==, 20);
  g_assert_cmpuint (params.n_dead, ==, 20);
  g_assert_cmpfloat (params.beam_stop_radius, ==, 0.0);
  g_assert_cmpuint (params.seed, ==, 1);

  small_params (&params, 64);
  params.gain = 3.5;
  params.seed = 99;
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const PtlRawParams *copy = ptl_raw_detector_params (detector);
  g_assert_cmpuint (copy->rows, ==, 64);
  g_assert_cmpfloat (copy->gain, ==, 3.5);
  g_assert_cmpuint (copy->seed, ==, 99);
}

#define N_DARK_FRAMES 100

/* Many dark frames: each good pixel averages to its truth dark with the read noise as its
 * spread; dead pixels read 0, hot ones far above; the mask marks exactly those. */
static void
test_dark_frames (void)
{
  PtlRawParams params;
  small_params (&params, 256);
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  gsize n = (gsize) params.rows * params.cols;
  g_autofree double *sum = g_new0 (double, n);
  g_autofree double *sum_squares = g_new0 (double, n);
  g_autofree guint16 *frame = g_new (guint16, n);
  double rms = read_rms (&params), neighbours = 0.0, power = 0.0;

  for (guint f = 0; f < N_DARK_FRAMES; f++)
    {
      ptl_raw_detector_dark (detector, frame);
      for (gsize k = 0; k < n; k++)
        {
          double deviation = frame[k] - (double) truth[k];
          sum[k] += frame[k];
          sum_squares[k] += deviation * deviation;
          /* Read noise is independent from pixel to pixel along a row. */
          if (k % params.cols + 1 < params.cols && mask[k] && mask[k + 1])
            {
              neighbours += deviation * (frame[k + 1] - (double) truth[k + 1]);
              power += deviation * deviation;
            }
        }
    }
  g_assert_cmpfloat (fabs (neighbours / power), <, 0.01);

  guint n_dead = 0, n_hot = 0, n_good = 0;
  double bias = 0.0, variance = 0.0, truth_sum = 0.0, truth_squares = 0.0;
  for (gsize k = 0; k < n; k++)
    {
      double mean = sum[k] / N_DARK_FRAMES;
      if (sum[k] == 0.0)
        {
          n_dead++;
          g_assert_cmpfloat (truth[k], ==, 0.0f);
          g_assert_cmpuint (mask[k], ==, 0);
        }
      else if (mean > params.dark_level + 500.0)
        {
          n_hot++;
          g_assert_cmpfloat (truth[k], >, params.dark_level + 1000.0);
          g_assert_cmpfloat (fabs (mean - truth[k]), <, 100.0);
          /* Their dark current fluctuates far more than the read noise. */
          g_assert_cmpfloat (sqrt (sum_squares[k] / N_DARK_FRAMES), >, 10.0 * rms);
          g_assert_cmpuint (mask[k], ==, 0);
        }
      else
        {
          n_good++;
          g_assert_cmpuint (mask[k], ==, 1);
          g_assert_cmpfloat (fabs (mean - truth[k]), <, 6.0 * rms / sqrt (N_DARK_FRAMES));
          bias += mean - truth[k];
          variance += sum_squares[k] / N_DARK_FRAMES;
          truth_sum += truth[k];
          truth_squares += (double) truth[k] * truth[k];
        }
    }
  g_assert_cmpuint (n_dead, ==, params.n_dead);
  g_assert_cmpuint (n_hot, ==, params.n_hot);

  g_assert_cmpfloat (fabs (bias / n_good), <, 0.01);
  g_assert_cmpfloat (fabs (sqrt (variance / n_good) / rms - 1.0), <, 0.02);
  double truth_mean = truth_sum / n_good;
  g_assert_cmpfloat (fabs (truth_mean - params.dark_level), <, 0.1);
  g_assert_cmpfloat (fabs (sqrt (truth_squares / n_good - truth_mean * truth_mean)
                           / params.dark_spread - 1.0), <, 0.02);

  guint n_masked = 0;
  for (gsize k = 0; k < n; k++)
    n_masked += mask[k] == 0;
  g_assert_cmpuint (n_masked, ==, params.n_hot + params.n_dead);
}

static gboolean
behind (const PtlRawParams *params,
        guint               row,
        guint               col)
{
  double dr = row - params->centre_row, dc = col - params->centre_col;

  return hypot (dr, dc) < params->beam_stop_radius;
}

/* The mask holds the beam stop's disc around an off-pixel centre, and the bad pixels. */
static void
test_beam_stop_mask (void)
{
  PtlRawParams params;
  small_params (&params, 256);
  params.centre_row = 100.3;
  params.centre_col = 140.7;
  params.beam_stop_radius = 10.5;
  params.n_hot = 50;
  params.n_dead = 50;
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  guint n_stop = 0, n_bad = 0;

  for (guint r = 0; r < params.rows; r++)
    for (guint c = 0; c < params.cols; c++)
      {
        gsize k = (gsize) r * params.cols + c;
        gboolean bad = truth[k] == 0.0f || truth[k] > params.dark_level + 500.0;
        gboolean stop = behind (&params, r, c);
        n_stop += stop;
        n_bad += bad;
        g_assert_cmpuint (mask[k], ==, !(bad || stop));
      }
  g_assert_cmpuint (n_bad, ==, params.n_hot + params.n_dead);
  g_assert_cmpfloat (fabs (n_stop - G_PI * 10.5 * 10.5), <, 2.0 * G_PI * 10.5);
}

/* Sums (ADU − truth dark)/gain over each bin of an off-centre exposure and compares with
 * the pattern: χ² per pixel near 1 when the photons are Poisson and placed right. Each
 * detector pixel of a bin carries its own share, and nothing falls outside the block. */
static void
check_binned_exposure (guint bin)
{
  PtlRawParams params;
  small_params (&params, 512);
  params.centre_row = 200.4;
  params.centre_col = 309.6;
  params.bin = bin;
  params.read_noise = 1.5;
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  const guint m = 64, background = 100 * bin * bin;
  float pattern[64 * 64];
  gsize n = (gsize) params.rows * params.cols;
  g_autofree guint16 *frame = g_new (guint16, n);
  double rms = read_rms (&params), gain = params.gain;
  guint r0 = 200 - (m / 2) * bin, c0 = 310 - (m / 2) * bin, side = m * bin;

  for (guint k = 0; k < m * m; k++)
    pattern[k] = background;
  pattern[32 * m + 32] = 2e4;
  pattern[5 * m + 60] = 5e3;
  pattern[63 * m + 0] = 8e3;
  pattern[0 * m + 63] = 3e3;
  expose (detector, pattern, m, frame);

  double chi_square = 0.0, photons = 0.0, photon_squares = 0.0;
  guint n_bins = 0, n_pixels = 0;
  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < m; j++)
      {
        double estimate = 0.0;
        gboolean good = TRUE;
        for (guint r = r0 + i * bin; r < r0 + (i + 1) * bin; r++)
          for (guint c = c0 + j * bin; c < c0 + (j + 1) * bin; c++)
            {
              gsize k = (gsize) r * params.cols + c;
              double x = (frame[k] - (double) truth[k]) / gain;
              good = good && mask[k];
              estimate += x;
              if (mask[k] && pattern[i * m + j] == background)
                {
                  photons += x;
                  photon_squares += x * x;
                  n_pixels++;
                }
            }
        if (!good)
          continue;
        double expected = pattern[i * m + j];
        double variance = expected + bin * bin * rms * rms / (gain * gain);
        chi_square += (estimate - expected) * (estimate - expected) / variance;
        n_bins++;
      }
  g_test_message ("bin %u: χ²/n = %.4f over %u bins", bin, chi_square / n_bins, n_bins);
  g_assert_cmpuint (n_bins, >, m * m - 50);
  g_assert_cmpfloat (fabs (chi_square / n_bins - 1.0), <, 0.1);

  double mean = photons / n_pixels;
  double variance = photon_squares / n_pixels - mean * mean;
  g_assert_cmpfloat (fabs (mean - 100.0), <, 0.5);
  g_assert_cmpfloat (fabs (variance / (100.0 + rms * rms / (gain * gain)) - 1.0), <, 0.05);

  double outside = 0.0, outside_squares = 0.0;
  guint n_outside = 0;
  for (guint r = 0; r < params.rows; r++)
    for (guint c = 0; c < params.cols; c++)
      {
        gsize k = (gsize) r * params.cols + c;
        if (!mask[k] || (r >= r0 && r < r0 + side && c >= c0 && c < c0 + side))
          continue;
        double deviation = frame[k] - (double) truth[k];
        g_assert_cmpfloat (fabs (deviation), <, 0.8 * gain);
        outside += deviation;
        outside_squares += deviation * deviation;
        n_outside++;
      }
  g_assert_cmpfloat (fabs (outside / n_outside), <, 5.0 * rms / sqrt (n_outside));
  g_assert_cmpfloat (fabs (sqrt (outside_squares / n_outside) / rms - 1.0), <, 0.02);
}

static void
test_expose_bin2 (void)
{
  check_binned_exposure (2);
}

static void
test_expose_bin4 (void)
{
  check_binned_exposure (4);
}

/* One bright pattern pixel lights exactly its bin×bin block, for even and odd sizes. */
static void
test_expose_placement (void)
{
  static const guint bins[] = { 1, 2, 4 };
  static const guint sizes[] = { 64, 63 };

  for (guint b = 0; b < G_N_ELEMENTS (bins); b++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      {
        PtlRawParams params;
        small_params (&params, 512);
        params.centre_row = 300.7;
        params.centre_col = 180.2;
        params.bin = bins[b];
        params.n_hot = 0;
        params.n_dead = 0;
        g_autoptr (PtlRawDetector) detector = make_detector (&params);
        const float *truth = ptl_raw_detector_truth_dark (detector);
        guint m = sizes[s], bin = bins[b];
        guint spots[][2] = { { 0, 0 }, { m / 2, m / 2 }, { m - 1, m - 1 }, { 3, m - 2 } };
        g_autofree float *pattern = g_new0 (float, m * m);
        g_autofree guint16 *frame = g_new (guint16, (gsize) params.rows * params.cols);

        for (guint t = 0; t < G_N_ELEMENTS (spots); t++)
          {
            guint i = spots[t][0], j = spots[t][1];
            guint r0 = 301 - (m / 2) * bin + i * bin, c0 = 180 - (m / 2) * bin + j * bin;
            guint n_lit = 0;

            memset (pattern, 0, m * m * sizeof *pattern);
            pattern[i * m + j] = 1e4;
            expose (detector, pattern, m, frame);
            for (guint r = 0; r < params.rows; r++)
              for (guint c = 0; c < params.cols; c++)
                {
                  gsize k = (gsize) r * params.cols + c;
                  gboolean lit = frame[k] - truth[k] > 100.0f;
                  gboolean in_block = r >= r0 && r < r0 + bin && c >= c0 && c < c0 + bin;
                  g_assert_cmpint (lit, ==, in_block);
                  n_lit += lit;
                }
            g_assert_cmpuint (n_lit, ==, bin * bin);
          }
      }
}

/* A pattern pixel bright enough reads exactly the saturation, and nothing reads more,
 * whether the converter clips early or at the end of uint16. */
static void
test_saturation (void)
{
  static const guint levels[] = { 1000, 65535 };

  for (guint s = 0; s < G_N_ELEMENTS (levels); s++)
    {
      PtlRawParams params;
      small_params (&params, 256);
      params.bin = 2;
      params.saturation = levels[s];
      g_autoptr (PtlRawDetector) detector = make_detector (&params);
      const guint8 *mask = ptl_raw_detector_truth_mask (detector);
      const guint m = 32;
      float pattern[32 * 32] = { 0 };
      gsize n = (gsize) params.rows * params.cols;
      g_autofree guint16 *frame = g_new (guint16, n);
      guint n_saturated = 0;

      pattern[(m / 2) * m + m / 2] = 1e9;
      pattern[3 * m + 7] = 1e6;
      expose (detector, pattern, m, frame);
      for (gsize k = 0; k < n; k++)
        g_assert_cmpuint (frame[k], <=, levels[s]);
      for (guint r = 128; r < 130; r++)
        for (guint c = 128; c < 130; c++)
          g_assert_cmpuint (frame[r * params.cols + c], ==, levels[s]);
      for (gsize k = 0; k < n; k++)
        n_saturated += mask[k] && frame[k] == levels[s];
      /* The 1e6-photon pixel reaches 2.5e6 ADU per detector pixel: it clips too. */
      g_assert_cmpuint (n_saturated, ==, 8);
    }
}

/* Pixels behind the beam stop carry dark and read noise only; the rest of the block its
 * photons, right up to the disc's edge. */
static void
test_beam_stop_expose (void)
{
  PtlRawParams params;
  small_params (&params, 512);
  params.beam_stop_radius = 5.0;
  params.read_noise = 1.5;
  params.n_hot = 0;
  params.n_dead = 0;
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint m = 64;
  float pattern[64 * 64];
  g_autofree guint16 *frame = g_new (guint16, (gsize) params.rows * params.cols);
  guint n_dark = 0, n_stop = 0;

  for (guint k = 0; k < m * m; k++)
    pattern[k] = 1000.0f;
  expose (detector, pattern, m, frame);
  for (guint r = 256 - m / 2; r < 256 + m / 2; r++)
    for (guint c = 256 - m / 2; c < 256 + m / 2; c++)
      {
        gsize k = (gsize) r * params.cols + c;
        double deviation = frame[k] - (double) truth[k];
        if (behind (&params, r, c))
          {
            g_assert_cmpfloat (fabs (deviation), <, 0.8 * params.gain);
            n_stop++;
          }
        else
          g_assert_cmpfloat (deviation, >, 5000.0);
        n_dark += deviation < 5000.0;
      }
  g_assert_cmpuint (n_dark, ==, n_stop);
  /* Pixels closer than 5 to a pixel centre: 9 + 2·(9 + 9 + 7 + 5) by columns; (261, 256)
   * lies at exactly 5, outside. */
  g_assert_cmpuint (n_stop, ==, 69);
  g_assert_cmpfloat (frame[261 * 512 + 256] - truth[261 * 512 + 256], >, 5000.0f);
  g_assert_cmpfloat (frame[260 * 512 + 259] - truth[260 * 512 + 259], >, 5000.0f);
  g_assert_cmpfloat (fabsf (frame[260 * 512 + 256] - truth[260 * 512 + 256]), <, 8.0f);
  g_assert_cmpfloat (fabsf (frame[259 * 512 + 259] - truth[259 * 512 + 259]), <, 8.0f);
}

static void
expect_no_fit (PtlRawDetector *detector,
               const float    *pattern,
               guint           m,
               int             code)
{
  const PtlRawParams *params = ptl_raw_detector_params (detector);
  g_autoptr (GError) error = NULL;
  g_autofree guint16 *frame = g_new (guint16, (gsize) params->rows * params->cols);

  g_assert_false (ptl_raw_detector_expose (detector, pattern, m, frame, &error));
  g_assert_error (error, PTL_PARAM_ERROR, code);
  g_test_message ("%s", error->message);
}

/* Patterns that overhang any one edge are refused; those that reach it are not. */
static void
test_expose_errors (void)
{
  static const double near_edges[][2] = { { 20, 128 }, { 128, 20 }, { 236, 128 }, { 128, 236 } };
  PtlRawParams params;
  small_params (&params, 256);
  params.bin = 2;
  g_autoptr (PtlRawDetector) centred = make_detector (&params);
  g_autofree float *pattern = g_new0 (float, 130 * 130);
  g_autofree guint16 *frame = g_new (guint16, 256 * 256);

  expose (centred, pattern, 128, frame);
  expect_no_fit (centred, pattern, 129, PTL_PARAM_ERROR_GEOMETRY);
  expect_no_fit (centred, pattern, 130, PTL_PARAM_ERROR_GEOMETRY);
  expect_no_fit (centred, pattern, 0, PTL_PARAM_ERROR_GEOMETRY);
  for (guint e = 0; e < G_N_ELEMENTS (near_edges); e++)
    {
      params.centre_row = near_edges[e][0];
      params.centre_col = near_edges[e][1];
      g_autoptr (PtlRawDetector) detector = make_detector (&params);
      expose (detector, pattern, 20, frame);
      expect_no_fit (detector, pattern, 22, PTL_PARAM_ERROR_GEOMETRY);
    }

  pattern[5] = -1.0f;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
  pattern[5] = NAN;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
  pattern[5] = INFINITY;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
}

static void
expect_invalid (const PtlRawParams *params,
                const char         *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlRawDetector) detector = ptl_raw_detector_new (params, &error);

  g_test_message ("%s: %s", what, error != NULL ? error->message : "accepted");
  g_assert_null (detector);
  g_assert_nonnull (error);
  g_assert_true (error->domain == PTL_PARAM_ERROR);
}

#define EXPECT_INVALID(field, value)                           \
  G_STMT_START                                                 \
  {                                                            \
    PtlRawParams invalid;                                      \
    small_params (&invalid, 100);                              \
    invalid.field = value;                                     \
    expect_invalid (&invalid, #field " = " #value);            \
  }                                                            \
  G_STMT_END

static void
test_validation (void)
{
  EXPECT_INVALID (rows, 0);
  EXPECT_INVALID (rows, 16385);
  EXPECT_INVALID (cols, 0);
  EXPECT_INVALID (cols, 16385);
  EXPECT_INVALID (centre_row, NAN);
  EXPECT_INVALID (centre_row, -0.5);
  EXPECT_INVALID (centre_col, 99.5);
  EXPECT_INVALID (centre_col, INFINITY);
  EXPECT_INVALID (bin, 0);
  EXPECT_INVALID (bin, 65);
  EXPECT_INVALID (gain, 0.0);
  EXPECT_INVALID (gain, -10.0);
  EXPECT_INVALID (gain, NAN);
  EXPECT_INVALID (gain, INFINITY);
  EXPECT_INVALID (dark_level, -1.0);
  EXPECT_INVALID (dark_level, NAN);
  EXPECT_INVALID (dark_spread, -0.1);
  EXPECT_INVALID (dark_spread, INFINITY);
  EXPECT_INVALID (read_noise, -2.0);
  EXPECT_INVALID (read_noise, NAN);
  EXPECT_INVALID (saturation, 0);
  EXPECT_INVALID (saturation, 65536);
  EXPECT_INVALID (n_hot, 81);
  EXPECT_INVALID (n_dead, 81);
  EXPECT_INVALID (n_hot, G_MAXUINT);
  EXPECT_INVALID (beam_stop_radius, -1.0);
  EXPECT_INVALID (beam_stop_radius, NAN);

  /* The limits themselves are accepted. */
  PtlRawParams params;
  small_params (&params, 100);
  params.n_hot = 50;
  params.n_dead = 50;
  params.bin = 64;
  params.saturation = 1;
  params.centre_row = 0.0;
  params.centre_col = 99.4;
  params.gain = 1e-3;
  params.dark_level = 0.0;
  params.dark_spread = 0.0;
  params.read_noise = 0.0;
  params.beam_stop_radius = 1e6;
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  for (guint k = 0; k < 100 * 100; k++)
    g_assert_cmpuint (mask[k], ==, 0);

  small_params (&params, 1);
  params.n_hot = 0;
  params.n_dead = 0;
  g_autoptr (PtlRawDetector) single = make_detector (&params);
  float photons = 5.0f;
  guint16 pixel;
  expose (single, &photons, 1, &pixel);
}

static gboolean
frames_equal (PtlRawDetector *a,
              PtlRawDetector *b,
              const float    *pattern,
              guint           m)
{
  const PtlRawParams *params = ptl_raw_detector_params (a);
  gsize n = (gsize) params->rows * params->cols;
  g_autofree guint16 *frame_a = g_new (guint16, n);
  g_autofree guint16 *frame_b = g_new (guint16, n);

  if (pattern == NULL)
    {
      ptl_raw_detector_dark (a, frame_a);
      ptl_raw_detector_dark (b, frame_b);
    }
  else
    {
      expose (a, pattern, m, frame_a);
      expose (b, pattern, m, frame_b);
    }
  return memcmp (frame_a, frame_b, n * sizeof *frame_a) == 0;
}

/* The same seed gives the same detector and the same sequence of frames; another seed
 * gives other ones. */
static void
test_seed (void)
{
  PtlRawParams params;
  small_params (&params, 128);
  params.seed = 7;
  g_autoptr (PtlRawDetector) a = make_detector (&params);
  g_autoptr (PtlRawDetector) b = make_detector (&params);
  params.seed = 8;
  g_autoptr (PtlRawDetector) c = make_detector (&params);
  gsize n = 128 * 128;
  float pattern[32 * 32];

  for (guint k = 0; k < 32 * 32; k++)
    pattern[k] = k % 7;
  g_assert_cmpmem (ptl_raw_detector_truth_dark (a), n * sizeof (float),
                   ptl_raw_detector_truth_dark (b), n * sizeof (float));
  g_assert_cmpmem (ptl_raw_detector_truth_mask (a), n, ptl_raw_detector_truth_mask (b), n);
  g_assert_true (memcmp (ptl_raw_detector_truth_dark (a), ptl_raw_detector_truth_dark (c),
                         n * sizeof (float)) != 0);
  g_assert_true (memcmp (ptl_raw_detector_truth_mask (a), ptl_raw_detector_truth_mask (c),
                         n) != 0);

  for (guint f = 0; f < 3; f++)
    {
      g_assert_true (frames_equal (a, b, NULL, 0));
      g_assert_true (frames_equal (a, b, pattern, 32));
    }
  g_assert_false (frames_equal (a, c, NULL, 0));
  g_assert_false (frames_equal (a, c, pattern, 32));
  /* Successive frames of one detector differ too. */
  g_assert_false (frames_equal (a, a, pattern, 32));
}

/* The default 2048² camera with a 256² pattern binned by 2, a typical crop: it runs, and
 * the frame looks like one. Timings are only reported. */
static void
test_full_size (void)
{
  PtlRawParams params;
  ptl_raw_params_init (&params);
  params.bin = 2;
  g_test_timer_start ();
  g_autoptr (PtlRawDetector) detector = make_detector (&params);
  g_test_message ("new: %.1f ms", 1e3 * g_test_timer_elapsed ());
  const guint m = 256;
  gsize n = (gsize) params.rows * params.cols;
  g_autofree float *pattern = g_new (float, m * m);
  g_autofree guint16 *frame = g_new (guint16, n);

  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < m; j++)
      pattern[i * m + j] = 4e6 / (1.0 + pow (hypot (i - m / 2.0, j - m / 2.0), 3.0));

  const guint repeats = 5;
  g_test_timer_start ();
  for (guint f = 0; f < repeats; f++)
    ptl_raw_detector_dark (detector, frame);
  g_test_message ("dark frame: %.1f ms", 1e3 * g_test_timer_elapsed () / repeats);

  g_test_timer_start ();
  for (guint f = 0; f < repeats; f++)
    expose (detector, pattern, m, frame);
  g_test_message ("exposure: %.1f ms", 1e3 * g_test_timer_elapsed () / repeats);

  double sum = 0.0;
  for (gsize k = 0; k < n; k++)
    sum += frame[k];
  g_assert_cmpfloat (sum / n, >, params.dark_level);
  g_assert_cmpuint (frame[1024 * params.cols + 1024], ==, params.saturation);
  g_assert_cmpuint (frame[0], <, params.dark_level + 50);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim-raw/defaults", test_defaults);
  g_test_add_func ("/sim-raw/dark-frames", test_dark_frames);
  g_test_add_func ("/sim-raw/beam-stop-mask", test_beam_stop_mask);
  g_test_add_func ("/sim-raw/expose/bin2", test_expose_bin2);
  g_test_add_func ("/sim-raw/expose/bin4", test_expose_bin4);
  g_test_add_func ("/sim-raw/expose/placement", test_expose_placement);
  g_test_add_func ("/sim-raw/expose/saturation", test_saturation);
  g_test_add_func ("/sim-raw/expose/beam-stop", test_beam_stop_expose);
  g_test_add_func ("/sim-raw/expose/errors", test_expose_errors);
  g_test_add_func ("/sim-raw/validation", test_validation);
  g_test_add_func ("/sim-raw/seed", test_seed);
  g_test_add_func ("/sim-raw/full-size", test_full_size);
  return g_test_run ();
}
