/* The simulator's measurement model against the definitions of DESIGN.md: a unitary DFT
 * with sign −, zero frequency stored at (M/2, M/2), and Poisson counting. */
#include "config.h"

#include <math.h>

#include "sim/ptl-sim-private.h"
#include "sim/ptl-sim.h"

static PtlArray *
random_complex (gsize  rows,
                gsize  cols,
                GRand *rand)
{
  PtlArray *array = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  ptl_complex *a = ptl_array_complex (array);

  for (gsize k = 0; k < array->n; k++)
    a[k] = (float) g_rand_double_range (rand, -1.0, 1.0)
           + I * (float) g_rand_double_range (rand, -1.0, 1.0);
  return array;
}

/* The definition, in double precision: I[(ky + M/2) mod M][(kx + M/2) mod M] =
 * |1/M Σ ψ[y][x] exp(−2πi (ky·y + kx·x)/M)|². */
static double *
direct_intensity (const PtlArray *probe,
                  const PtlArray *object,
                  guint           row,
                  guint           col)
{
  guint m = ptl_array_rows (probe);
  gsize stride = ptl_array_cols (object);
  const ptl_complex *p = ptl_array_complex (probe);
  const ptl_complex *o = ptl_array_complex (object);
  double complex *wave = g_new (double complex, (gsize) m * m);
  double *intensity = g_new (double, (gsize) m * m);

  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      wave[y * m + x] = (double complex) p[y * m + x] * o[(row + y) * stride + col + x];
  for (guint ky = 0; ky < m; ky++)
    for (guint kx = 0; kx < m; kx++)
      {
        double complex sum = 0.0;
        for (guint y = 0; y < m; y++)
          for (guint x = 0; x < m; x++)
            sum += wave[y * m + x] * cexp (-2.0 * G_PI * I * (double) (ky * y + kx * x) / m);
        sum /= m;
        intensity[((ky + m / 2) % m) * m + (kx + m / 2) % m] = creal (sum * conj (sum));
      }
  g_free (wave);
  return intensity;
}

static void
check_against_direct (guint m,
                      guint row,
                      guint col)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (m);
  g_autoptr (PtlArray) probe = random_complex (m, m, rand);
  g_autoptr (PtlArray) object = random_complex (m + 9, m + 5, rand);
  g_autofree float *intensity = g_new (float, (gsize) m * m);
  g_autofree double *expected = direct_intensity (probe, object, row, col);
  double peak = 0.0, worst = 0.0;

  ptl_sim_forward (probe, object, row, col, intensity);
  for (gsize k = 0; k < (gsize) m * m; k++)
    peak = MAX (peak, expected[k]);
  for (gsize k = 0; k < (gsize) m * m; k++)
    worst = MAX (worst, fabs (intensity[k] - expected[k]));
  g_test_message ("M = %u: largest difference %.3g of a peak of %.3g", m, worst, peak);
  g_assert_cmpfloat (worst, <=, 1e-4 * peak);
}

static void
test_forward_direct_dft (void)
{
  check_against_direct (8, 3, 5);
  check_against_direct (16, 9, 0);
  /* Even but not a power of two, and a second size interleaved with the first. */
  check_against_direct (10, 2, 4);
  check_against_direct (8, 0, 0);
}

static void
test_forward_parseval (void)
{
  guint m = 32;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (PtlArray) probe = random_complex (m, m, rand);
  g_autoptr (PtlArray) object = random_complex (50, 40, rand);
  g_autofree float *intensity = g_new (float, (gsize) m * m);
  const ptl_complex *p = ptl_array_complex (probe), *o = ptl_array_complex (object);
  guint row = 11, col = 6;
  double exit_power = 0.0, pattern_power = 0.0;

  ptl_sim_forward (probe, object, row, col, intensity);
  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      {
        ptl_complex v = p[y * m + x] * o[(row + y) * 40 + col + x];
        exit_power += (double) crealf (v) * crealf (v) + (double) cimagf (v) * cimagf (v);
      }
  for (gsize k = 0; k < (gsize) m * m; k++)
    {
      g_assert_cmpfloat (intensity[k], >=, 0.0f);
      pattern_power += intensity[k];
    }
  g_assert_cmpfloat_with_epsilon (pattern_power / exit_power, 1.0, 1e-5);
}

/* A plane wave exp(+2πi·a·x/M) must land a pixels right of the centre with the forward
 * sign −; the opposite sign would put it left. A flat wave lands exactly on (M/2, M/2). */
static void
test_forward_centre_and_sign (void)
{
  guint m = 16;
  int tilt_x = 3, tilt_y = -2;
  g_autoptr (PtlArray) probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  g_autoptr (PtlArray) flat = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  g_autoptr (PtlArray) tilted = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m + 4, m + 4);
  g_autofree float *intensity = g_new (float, (gsize) m * m);
  ptl_complex *p = ptl_array_complex (probe), *f = ptl_array_complex (flat);
  ptl_complex *t = ptl_array_complex (tilted);

  for (gsize k = 0; k < probe->n; k++)
    p[k] = f[k] = 1.0f;
  for (guint y = 0; y < m + 4; y++)
    for (guint x = 0; x < m + 4; x++)
      {
        float turns = (float) (tilt_x * (int) x + tilt_y * (int) y) / m;
        t[y * (m + 4) + x] = cexpf (2.0f * (float) G_PI * I * turns);
      }

  ptl_sim_forward (probe, flat, 0, 0, intensity);
  g_assert_cmpfloat_with_epsilon (intensity[(m / 2) * m + m / 2], (double) m * m, 1e-3 * m * m);
  for (gsize k = 0; k < (gsize) m * m; k++)
    if (k != (m / 2) * m + m / 2)
      g_assert_cmpfloat (intensity[k], <, 1e-6 * m * m);

  ptl_sim_forward (probe, tilted, 3, 1, intensity);
  g_assert_cmpfloat_with_epsilon (intensity[(m / 2 + tilt_y) * m + m / 2 + tilt_x], (double) m * m,
                                  1e-3 * m * m);
}

/* Counting noise: mean and variance of the Poisson sampler over the whole range of pattern
 * intensities, from the dark corners to the bright-field centre. */
static void
test_poisson_sampler (void)
{
  static const double means[] = { 1e-3, 0.3, 2.5, 9.99, 10.0, 47.5, 1e3, 1e5, 1e7 };
  const guint n = 20000;
  g_autoptr (GRand) rand = _ptl_sim_rand_new (5, PTL_SIM_STREAM_NOISE);

  for (guint i = 0; i < G_N_ELEMENTS (means); i++)
    {
      double lambda = means[i], sum = 0.0, sum2 = 0.0;
      for (guint j = 0; j < n; j++)
        {
          double k = _ptl_sim_poisson (rand, lambda);
          g_assert_cmpfloat (k, >=, 0.0);
          g_assert_cmpfloat (k, ==, floor (k));
          sum += k;
          sum2 += (k - lambda) * (k - lambda);
        }
      double mean = sum / n, variance = sum2 / n;
      g_test_message ("mean %g: sample mean %g, variance %g", lambda, mean, variance);
      g_assert_cmpfloat (fabs (mean - lambda), <, 5.0 * sqrt (lambda / n));
      double variance_sd = sqrt ((lambda + 2.0 * lambda * lambda) / n);
      g_assert_cmpfloat (fabs (variance - lambda), <, 5.0 * variance_sd);
    }
  g_assert_cmpfloat (_ptl_sim_poisson (rand, 0.0), ==, 0.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/forward-model/direct-dft", test_forward_direct_dft);
  g_test_add_func ("/forward-model/parseval", test_forward_parseval);
  g_test_add_func ("/forward-model/centre-and-sign", test_forward_centre_and_sign);
  g_test_add_func ("/forward-model/poisson-counts", test_poisson_sampler);
  return g_test_run ();
}
