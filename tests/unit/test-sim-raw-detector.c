/* The simulated sCMOS detector itself: its default electronics, dark frames around the
 * truth dark with the read noise, hot and dead pixels and the beam stop in its mask,
 * parameters it refuses and the limits it accepts, and frames that its seed repeats.
 * Exposures: test-sim-raw-expose.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"
#include "test-sim-raw-common.h"

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

  test_sim_raw_small_params (&params, 64);
  params.gain = 3.5;
  params.seed = 99;
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
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
  test_sim_raw_small_params (&params, 256);
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  gsize n = (gsize) params.rows * params.cols;
  g_autofree double *sum = g_new0 (double, n);
  g_autofree double *sum_squares = g_new0 (double, n);
  g_autofree guint16 *frame = g_new (guint16, n);
  double rms = test_sim_raw_read_rms (&params), neighbours = 0.0, power = 0.0;

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

/* The mask holds the beam stop's disc around an off-pixel centre, and the bad pixels. */
static void
test_beam_stop_mask (void)
{
  PtlRawParams params;
  test_sim_raw_small_params (&params, 256);
  params.centre_row = 100.3;
  params.centre_col = 140.7;
  params.beam_stop_radius = 10.5;
  params.n_hot = 50;
  params.n_dead = 50;
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
  const float *truth = ptl_raw_detector_truth_dark (detector);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  guint n_stop = 0, n_bad = 0;

  for (guint r = 0; r < params.rows; r++)
    for (guint c = 0; c < params.cols; c++)
      {
        gsize k = (gsize) r * params.cols + c;
        gboolean bad = truth[k] == 0.0f || truth[k] > params.dark_level + 500.0;
        gboolean stop = test_sim_raw_behind (&params, r, c);
        n_stop += stop;
        n_bad += bad;
        g_assert_cmpuint (mask[k], ==, !(bad || stop));
      }
  g_assert_cmpuint (n_bad, ==, params.n_hot + params.n_dead);
  g_assert_cmpfloat (fabs (n_stop - G_PI * 10.5 * 10.5), <, 2.0 * G_PI * 10.5);
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
    test_sim_raw_small_params (&invalid, 100);                 \
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
  test_sim_raw_small_params (&params, 100);
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
  g_autoptr (PtlRawDetector) detector = test_sim_raw_make_detector (&params);
  const guint8 *mask = ptl_raw_detector_truth_mask (detector);
  for (guint k = 0; k < 100 * 100; k++)
    g_assert_cmpuint (mask[k], ==, 0);

  test_sim_raw_small_params (&params, 1);
  params.n_hot = 0;
  params.n_dead = 0;
  g_autoptr (PtlRawDetector) single = test_sim_raw_make_detector (&params);
  float photons = 5.0f;
  guint16 pixel;
  test_sim_raw_expose (single, &photons, 1, &pixel);
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
      test_sim_raw_expose (a, pattern, m, frame_a);
      test_sim_raw_expose (b, pattern, m, frame_b);
    }
  return memcmp (frame_a, frame_b, n * sizeof *frame_a) == 0;
}

/* The same seed gives the same detector and the same sequence of frames; another seed
 * gives other ones. */
static void
test_seed (void)
{
  PtlRawParams params;
  test_sim_raw_small_params (&params, 128);
  params.seed = 7;
  g_autoptr (PtlRawDetector) a = test_sim_raw_make_detector (&params);
  g_autoptr (PtlRawDetector) b = test_sim_raw_make_detector (&params);
  params.seed = 8;
  g_autoptr (PtlRawDetector) c = test_sim_raw_make_detector (&params);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim-raw/defaults", test_defaults);
  g_test_add_func ("/sim-raw/dark-frames", test_dark_frames);
  g_test_add_func ("/sim-raw/beam-stop-mask", test_beam_stop_mask);
  g_test_add_func ("/sim-raw/validation", test_validation);
  g_test_add_func ("/sim-raw/seed", test_seed);
  return g_test_run ();
}
