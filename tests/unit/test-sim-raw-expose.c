/* Exposures of the simulated sCMOS detector: Poisson photons placed in the right bin of
 * an off-centre crop at each binning, saturation, the beam stop's shadow, patterns that do
 * not fit, and a full-size frame (timings only reported). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"
#include "test-sim-raw-common.h"

/* Sums (ADU − truth dark)/gain over each bin of an off-centre exposure and compares with
 * the pattern: χ² per pixel near 1 when the photons are Poisson and placed right. Each
 * detector pixel of a bin carries its own share, and nothing falls outside the block. */
static void
check_binned_exposure (guint bin)
{
  PtlRawParams params;
  test_sim_raw_small_params (&params, 512);
  params.centre_row = 200.4;
  params.centre_col = 309.6;
  params.bin = bin;
  params.read_noise = 1.5;
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  const guint m = 64, background = 100 * bin * bin;
  float pattern[64 * 64];
  gsize n = (gsize) params.rows * params.cols;
  g_autofree guint16 *frame = g_new (guint16, n);
  double rms = test_sim_raw_read_rms (&params), gain = params.gain;
  guint r0 = 200 - (m / 2) * bin, c0 = 310 - (m / 2) * bin, side = m * bin;

  for (guint k = 0; k < m * m; k++)
    pattern[k] = background;
  pattern[32 * m + 32] = 2e4;
  pattern[5 * m + 60] = 5e3;
  pattern[63 * m + 0] = 8e3;
  pattern[0 * m + 63] = 3e3;
  test_sim_raw_expose (detector, pattern, m, frame);

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
        test_sim_raw_small_params (&params, 512);
        params.centre_row = 300.7;
        params.centre_col = 180.2;
        params.bin = bins[b];
        params.n_hot = 0;
        params.n_dead = 0;
        g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
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
            test_sim_raw_expose (detector, pattern, m, frame);
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
      test_sim_raw_small_params (&params, 256);
      params.bin = 2;
      params.saturation = levels[s];
      g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
      const guint8 *mask = ptl_raw_detector_truth_mask (detector);
      const guint m = 32;
      float pattern[32 * 32] = { 0 };
      gsize n = (gsize) params.rows * params.cols;
      g_autofree guint16 *frame = g_new (guint16, n);
      guint n_saturated = 0;

      pattern[(m / 2) * m + m / 2] = 1e9;
      pattern[3 * m + 7] = 1e6;
      test_sim_raw_expose (detector, pattern, m, frame);
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
  test_sim_raw_small_params (&params, 512);
  params.beam_stop_radius = 5.0;
  params.read_noise = 1.5;
  params.n_hot = 0;
  params.n_dead = 0;
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint m = 64;
  float pattern[64 * 64];
  g_autofree guint16 *frame = g_new (guint16, (gsize) params.rows * params.cols);
  guint n_dark = 0, n_stop = 0;

  for (guint k = 0; k < m * m; k++)
    pattern[k] = 1000.0f;
  test_sim_raw_expose (detector, pattern, m, frame);
  for (guint r = 256 - m / 2; r < 256 + m / 2; r++)
    for (guint c = 256 - m / 2; c < 256 + m / 2; c++)
      {
        gsize k = (gsize) r * params.cols + c;
        double deviation = frame[k] - (double) truth[k];
        if (test_sim_raw_behind (&params, r, c))
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
  test_sim_raw_small_params (&params, 256);
  params.bin = 2;
  g_autoptr (PtlRawDetector) centred = test_sim_raw_make_detector (&params);
  g_autofree float *pattern = g_new0 (float, 130 * 130);
  g_autofree guint16 *frame = g_new (guint16, 256 * 256);

  test_sim_raw_expose (centred, pattern, 128, frame);
  expect_no_fit (centred, pattern, 129, PTL_PARAM_ERROR_GEOMETRY);
  expect_no_fit (centred, pattern, 130, PTL_PARAM_ERROR_GEOMETRY);
  expect_no_fit (centred, pattern, 0, PTL_PARAM_ERROR_GEOMETRY);
  for (guint e = 0; e < G_N_ELEMENTS (near_edges); e++)
    {
      params.centre_row = near_edges[e][0];
      params.centre_col = near_edges[e][1];
      g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
      test_sim_raw_expose (detector, pattern, 20, frame);
      expect_no_fit (detector, pattern, 22, PTL_PARAM_ERROR_GEOMETRY);
    }

  pattern[5] = -1.0f;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
  pattern[5] = NAN;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
  pattern[5] = INFINITY;
  expect_no_fit (centred, pattern, 16, PTL_PARAM_ERROR_RANGE);
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
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
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
    test_sim_raw_expose (detector, pattern, m, frame);
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
  g_test_add_func ("/sim-raw/expose/bin2", test_expose_bin2);
  g_test_add_func ("/sim-raw/expose/bin4", test_expose_bin4);
  g_test_add_func ("/sim-raw/expose/placement", test_expose_placement);
  g_test_add_func ("/sim-raw/expose/saturation", test_saturation);
  g_test_add_func ("/sim-raw/expose/beam-stop", test_beam_stop_expose);
  g_test_add_func ("/sim-raw/expose/errors", test_expose_errors);
  g_test_add_func ("/sim-raw/full-size", test_full_size);
  return g_test_run ();
}
