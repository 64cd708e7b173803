/* Quality metrics against ground truth: registration, ambiguity removal, NRMSE, FRC,
 * illumination map and region. The test images are built here (smooth random field plus
 * sharp shapes) so that these tests depend on nothing but the metrics themselves. */
#include "config.h"

#include <complex.h> /* before fftw3.h, so that fftwf_complex is float _Complex */
#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "recon/ptl-quality.h"

static double
gaussian (GRand *rand)
{
  double u = g_rand_double (rand), v = g_rand_double (rand);
  return sqrt (-2 * log (1 - u)) * cos (2 * G_PI * v);
}

static double
signed_index (gsize k,
              gsize n)
{
  return k > n / 2 ? (double) k - (double) n : (double) k;
}

static void
fft (PtlArray *image,
     int       sign)
{
  ptl_complex *x = ptl_array_complex (image);
  fftwf_plan plan = fftwf_plan_dft_2d ((int) ptl_array_rows (image), (int) ptl_array_cols (image),
                                       x, x, sign, FFTW_ESTIMATE);
  fftwf_execute (plan);
  fftwf_destroy_plan (plan);
}

/* Complex Gaussian noise low-passed to a correlation length of about `sigma` pixels, unit rms. */
static PtlArray *
smooth_field (gsize  rows,
              gsize  cols,
              double sigma,
              GRand *rand)
{
  PtlArray *field = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  ptl_complex *x = ptl_array_complex (field);
  double power = 0;

  for (gsize i = 0; i < rows * cols; i++)
    x[i] = (float) gaussian (rand) + I * (float) gaussian (rand);
  fft (field, FFTW_FORWARD);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double fr = signed_index (r, rows) / rows, fc = signed_index (c, cols) / cols;
        x[r * cols + c] *= (float) exp (-2 * G_PI * G_PI * sigma * sigma * (fr * fr + fc * fc));
      }
  fft (field, FFTW_BACKWARD);
  for (gsize i = 0; i < rows * cols; i++)
    power += crealf (x[i]) * crealf (x[i]) + cimagf (x[i]) * cimagf (x[i]);
  for (gsize i = 0; i < rows * cols; i++)
    x[i] /= (float) sqrt (power / (rows * cols));
  return field;
}

/* Amplitude in [0.3, 0.9] and phase spanning several radians, with a rectangle and a disc
 * whose sharp edges carry high frequencies. */
static PtlArray *
make_object (gsize   rows,
             gsize   cols,
             guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  PtlArray *object = smooth_field (rows, cols, 4.0, rand);
  ptl_complex *x = ptl_array_complex (object);
  double disc_row = 0.6 * rows, disc_col = 0.4 * cols, disc_radius = MIN (rows, cols) / 8.0;

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        ptl_complex v = x[r * cols + c];
        double amplitude = 0.6 + 0.2 * tanh (crealf (v)), phase = 1.5 * cimagf (v);
        if (r >= rows / 5 && r < rows / 5 + rows / 6 && c >= cols / 3 && c < cols / 3 + cols / 4)
          {
            amplitude *= 0.5;
            phase += 1.0;
          }
        if (hypot (r - disc_row, c - disc_col) < disc_radius)
          {
            amplitude = 0.9;
            phase -= 1.2;
          }
        x[r * cols + c] = (float) amplitude * cexpf (I * (float) phase);
      }
  return object;
}

/* Moves the content by (dr, dc): the spectrum times exp(−2πi k·d / N). */
static void
shift_image (PtlArray *image,
             double    dr,
             double    dc)
{
  gsize rows = ptl_array_rows (image), cols = ptl_array_cols (image);
  ptl_complex *x = ptl_array_complex (image);

  fft (image, FFTW_FORWARD);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double angle = -2 * G_PI * (signed_index (r, rows) * dr / rows
                                    + signed_index (c, cols) * dc / cols);
        x[r * cols + c] *= (float) (1.0 / (rows * cols)) * cexpf (I * (float) angle);
      }
  fft (image, FFTW_BACKWARD);
}

/* A disc of ones covering the middle of the image. */
static PtlArray *
make_region (gsize  rows,
             gsize  cols,
             double radius)
{
  PtlArray *region = ptl_array_new_2d (PTL_DTYPE_FLOAT, rows, cols);

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      if (hypot (r - (rows - 1) / 2.0, c - (cols - 1) / 2.0) < radius)
        ptl_array_float (region)[r * cols + c] = 1.0f;
  return region;
}

static double
direct_nrmse (const PtlArray *truth,
              const PtlArray *estimate,
              const PtlArray *region)
{
  const ptl_complex *f = ptl_array_complex (truth), *g = ptl_array_complex (estimate);
  const float *w = ptl_array_float (region);
  double misfit = 0, power = 0;

  for (gsize i = 0; i < truth->n; i++)
    {
      misfit += w[i] * pow (cabsf (f[i] - g[i]), 2);
      power += w[i] * pow (cabsf (f[i]), 2);
    }
  return sqrt (misfit / power);
}

/* Anchors the test's own shift convention: an integer shift is a roll of the content. */
static void
test_shift_convention (void)
{
  g_autoptr (PtlArray) object = make_object (24, 20, 1);
  g_autoptr (PtlArray) moved = ptl_array_copy (object);
  const ptl_complex *x = ptl_array_complex (object), *y = ptl_array_complex (moved);

  shift_image (moved, 3, -2);
  for (gsize r = 0; r < 24; r++)
    for (gsize c = 0; c < 20; c++)
      g_assert_cmpfloat (cabsf (y[((r + 3) % 24) * 20 + (c + 18) % 20] - x[r * 20 + c]), <, 1e-4);
}

static void
check_registration (gsize  rows,
                    gsize  cols,
                    double dr,
                    double dc)
{
  g_autoptr (PtlArray) reference = make_object (rows, cols, 2);
  g_autoptr (PtlArray) moving = ptl_array_copy (reference);
  double shift_rows = 0, shift_cols = 0;

  shift_image (moving, dr, dc);
  for (gsize i = 0; i < moving->n; i++)
    ptl_array_complex (moving)[i] *= 0.5f * cexpf (0.8f * I);
  ptl_register_translation (reference, moving, 50, &shift_rows, &shift_cols);
  g_test_message ("moved by (%g, %g), registered (%g, %g)", dr, dc, shift_rows, shift_cols);
  /* The shift that aligns `moving` undoes the move. */
  g_assert_cmpfloat_with_epsilon (shift_rows, -dr, 0.05);
  g_assert_cmpfloat_with_epsilon (shift_cols, -dc, 0.05);
}

static void
test_registration (void)
{
  check_registration (128, 96, 1.3, -2.7);
  check_registration (128, 96, -0.45, 0.2);
  check_registration (75, 90, 4.6, 3.25);
  check_registration (75, 90, -7.8, -0.6);
}

static void
test_registration_integer (void)
{
  g_autoptr (PtlArray) reference = make_object (64, 64, 3);
  g_autoptr (PtlArray) moving = ptl_array_copy (reference);
  double shift_rows, shift_cols;

  shift_image (moving, 5, -9);
  ptl_register_translation (reference, moving, 1, &shift_rows, &shift_cols);
  g_assert_cmpfloat (shift_rows, ==, -5);
  g_assert_cmpfloat (shift_cols, ==, 9);
}

/* estimate = s · exp(i q·r) · truth moved by d, plus noise: what a reconstruction looks like
 * when the scale, diffraction centre and position origin are off. */
static PtlArray *
make_estimate (const PtlArray *truth,
               ptl_complex     s,
               const double    q[2],
               const double    d[2],
               double          noise,
               guint32         seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  PtlArray *estimate = ptl_array_copy (truth);
  gsize rows = ptl_array_rows (truth), cols = ptl_array_cols (truth);
  ptl_complex *x = ptl_array_complex (estimate);
  double power = 0;

  for (gsize i = 0; i < truth->n; i++)
    power += pow (cabsf (ptl_array_complex (truth)[i]), 2);
  double sigma = noise * cabsf (s) * sqrt (power / truth->n / 2);

  shift_image (estimate, d[0], d[1]);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        ptl_complex *v = &x[r * cols + c];
        *v *= s * cexpf (I * (float) (q[0] * r + q[1] * c));
        *v += (float) (sigma * gaussian (rand)) + I * (float) (sigma * gaussian (rand));
      }
  return estimate;
}

static void
check_ambiguities (const PtlArray *truth,
                   const double    q[2],
                   const double    d[2])
{
  const ptl_complex s = 0.7f * cexpf (1.1f * I);
  gsize rows = ptl_array_rows (truth), cols = ptl_array_cols (truth);
  g_autoptr (PtlArray) region = make_region (rows, cols, 0.35 * MIN (rows, cols));
  g_autoptr (PtlArray) estimate = make_estimate (truth, s, q, d, 0.01, 5);
  g_autoptr (GError) error = NULL;
  PtlQuality quality;

  g_assert_true (ptl_quality_compare (truth, estimate, region, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("nrmse %g phase %g shift (%g, %g) ramp (%g, %g) scale %g%+gi frc %g",
                  quality.nrmse, quality.phase_rms, quality.shift_rows, quality.shift_cols,
                  quality.ramp_rows, quality.ramp_cols, crealf (quality.scale),
                  cimagf (quality.scale), quality.frc_resolution);

  /* Without removing the ambiguities the two would not look alike at all. */
  g_assert_cmpfloat (direct_nrmse (truth, estimate, region), >, 0.5);
  /* With them removed only the 1 % noise is left. */
  g_assert_cmpfloat (quality.nrmse, <, 0.015);
  g_assert_cmpfloat (quality.nrmse, >, 0.01 / 1.5);
  g_assert_cmpfloat (quality.phase_rms, <, 0.05);
  g_assert_cmpfloat_with_epsilon (quality.shift_rows, -d[0], 0.05);
  g_assert_cmpfloat_with_epsilon (quality.shift_cols, -d[1], 0.05);
  g_assert_cmpfloat_with_epsilon (quality.ramp_rows, q[0], 5e-4);
  g_assert_cmpfloat_with_epsilon (quality.ramp_cols, q[1], 5e-4);
  /* truth ≈ γ · estimate with the ramp and shift undone, so γ undoes s. */
  g_assert_cmpfloat (cabsf (quality.scale * s - 1), <, 0.01);
  g_assert_cmpfloat (quality.frc_resolution, >, 0.5);
}

static void
test_compare_ambiguities (void)
{
  const double q[2] = { 0.03, -0.02 }, d[2] = { 1.35, -2.6 };
  g_autoptr (PtlArray) truth = make_object (161, 143, 4);

  check_ambiguities (truth, q, d);
}

/* A ramp of several fringes across the image (a diffraction centre off by a few pixels)
 * on an object with no amplitude contrast at all. */
static void
test_compare_phase_object (void)
{
  const double q[2] = { -0.2, 0.15 }, d[2] = { -0.6, 3.3 };
  g_autoptr (PtlArray) truth = make_object (128, 150, 17);

  for (gsize i = 0; i < truth->n; i++)
    ptl_array_complex (truth)[i] /= cabsf (ptl_array_complex (truth)[i]);
  check_ambiguities (truth, q, d);
}

static void
test_compare_different_object (void)
{
  g_autoptr (PtlArray) truth = make_object (95, 111, 6);
  g_autoptr (PtlArray) other = make_object (95, 111, 7);
  g_autoptr (PtlArray) region = make_region (95, 111, 40);
  g_autoptr (GError) error = NULL;
  PtlQuality quality;

  g_assert_true (ptl_quality_compare (truth, other, region, &quality, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (quality.nrmse, >, 0.5);
  g_assert_cmpfloat (quality.frc_resolution, <, 0.5);
}

static void
test_compare_identical (void)
{
  g_autoptr (PtlArray) truth = make_object (80, 70, 8);
  g_autoptr (GError) error = NULL;
  PtlQuality quality;

  g_assert_true (ptl_quality_compare (truth, truth, NULL, &quality, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (quality.nrmse, <, 1e-4);
  g_assert_cmpfloat (quality.phase_rms, <, 1e-4);
  g_assert_cmpfloat (fabs (quality.shift_rows) + fabs (quality.shift_cols), <, 0.01);
  g_assert_cmpfloat (fabs (quality.ramp_rows) + fabs (quality.ramp_cols), <, 1e-4);
  g_assert_cmpfloat (cabsf (quality.scale - 1), <, 1e-4);
  g_assert_cmpfloat (quality.frc_resolution, ==, 1.0);
}

/* A 600×600 comparison, the size of a moonflower object, reports its time. */
static void
test_compare_large (void)
{
  const double q[2] = { -0.012, 0.007 }, d[2] = { -3.4, 0.75 };
  g_autoptr (PtlArray) truth = make_object (600, 600, 9);
  g_autoptr (PtlArray) region = make_region (600, 600, 250);
  g_autoptr (PtlArray) estimate = make_estimate (truth, 1.3f * cexpf (-0.4f * I), q, d, 0.01, 10);
  g_autoptr (GError) error = NULL;
  PtlQuality quality;

  g_test_timer_start ();
  g_assert_true (ptl_quality_compare (truth, estimate, region, &quality, &error));
  double elapsed = g_test_timer_elapsed ();
  g_assert_no_error (error);
  g_test_message ("600×600 compare: %.3f s, nrmse %g", elapsed, quality.nrmse);
  g_assert_cmpfloat (quality.nrmse, <, 0.015);
  g_assert_cmpfloat_with_epsilon (quality.shift_rows, -d[0], 0.05);
  g_assert_cmpfloat_with_epsilon (quality.shift_cols, -d[1], 0.05);
  g_assert_cmpfloat_with_epsilon (quality.ramp_rows, q[0], 2e-4);
  g_assert_cmpfloat_with_epsilon (quality.ramp_cols, q[1], 2e-4);
  /* Far above the expected fraction of a second, to catch only an accidental blow-up. */
  g_assert_cmpfloat (elapsed, <, 10);
}

static void
test_frc_identical (void)
{
  g_autoptr (PtlArray) image = make_object (64, 48, 11);
  g_autoptr (GArray) curve = NULL;
  g_autoptr (GArray) threshold = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_frc (image, image, &curve, &threshold, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (curve->len, ==, 24);
  g_assert_cmpuint (threshold->len, ==, 24);
  for (guint i = 0; i < curve->len; i++)
    g_assert_cmpfloat_with_epsilon (g_array_index (curve, double, i), 1.0, 1e-5);
}

static void
test_frc_noise (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  g_autoptr (PtlArray) image = smooth_field (128, 128, 2.0, rand);
  g_autoptr (PtlArray) noisy = ptl_array_copy (image);
  g_autoptr (GArray) curve = NULL;
  g_autoptr (GArray) threshold = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) region = make_region (128, 128, 60);
  PtlQuality quality;
  guint crossing = 0;

  for (gsize i = 0; i < noisy->n; i++)
    ptl_array_complex (noisy)[i] += (float) (0.3 * gaussian (rand))
                                    + I * (float) (0.3 * gaussian (rand));
  g_assert_true (ptl_frc (image, noisy, &curve, &threshold, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (curve->len, ==, 64);

  /* Signal dominates at low frequencies, noise at high ones. */
  for (guint i = 1; i < 6; i++)
    g_assert_cmpfloat (g_array_index (curve, double, i), >, 0.9);
  for (guint i = 56; i < 64; i++)
    g_assert_cmpfloat (g_array_index (curve, double, i), <, 0.3);
  for (guint i = 1; i < curve->len && crossing == 0; i++)
    if (g_array_index (curve, double, i) < g_array_index (threshold, double, i))
      crossing = i;
  g_test_message ("half-bit crossing at ring %u of 64", crossing);
  g_assert_cmpuint (crossing, >, 6);
  g_assert_cmpuint (crossing, <, 56);

  /* Nothing to remove here, so compare finds the same crossing on the whole image. */
  g_assert_true (ptl_quality_compare (image, noisy, NULL, &quality, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (quality.frc_resolution, crossing / 64.0, 1e-9);

  g_assert_true (ptl_quality_compare (image, noisy, region, &quality, &error));
  g_assert_no_error (error);
  g_test_message ("compare over a disc: frc resolution %g", quality.frc_resolution);
  g_assert_cmpfloat (quality.frc_resolution, >, 0.1);
  g_assert_cmpfloat (quality.frc_resolution, <, 0.9);
}

/* On 8×8, rings 0–3 hold 1, 8, 12 and 16 frequency pixels; T(n) by hand from
 * (0.2071 + 1.9102/√n) / (1.2071 + 0.9102/√n). */
static void
test_frc_threshold (void)
{
  const double expected[] = { 1.0, 0.577183, 0.516057, 0.477224 };
  g_autoptr (PtlArray) image = make_object (8, 8, 13);
  g_autoptr (GArray) threshold = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_frc (image, image, NULL, &threshold, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (threshold->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < threshold->len; i++)
    g_assert_cmpfloat_with_epsilon (g_array_index (threshold, double, i), expected[i], 1e-5);
}

static void
test_illumination_map (void)
{
  const gsize probe_rows = 5, probe_cols = 4, rows = 12, cols = 11;
  /* Rounded to (2, 4), (4, 3) and (8, 7); the last window crosses the edge and is skipped. */
  const double positions[] = { 2.4, 3.6, 3.5, 3.2, 8.1, 7.0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  g_autoptr (PtlArray) probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, probe_rows, probe_cols);
  const int corners[][2] = { { 2, 4 }, { 4, 3 } };

  for (gsize i = 0; i < probe->n; i++)
    ptl_array_complex (probe)[i] = (float) gaussian (rand) + I * (float) gaussian (rand);

  g_autoptr (PtlArray) map = ptl_illumination_map (probe, positions, 3, rows, cols);
  g_assert_cmpuint (ptl_array_rows (map), ==, rows);
  g_assert_cmpuint (ptl_array_cols (map), ==, cols);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double expected = 0;
        for (guint j = 0; j < G_N_ELEMENTS (corners); j++)
          {
            int pr = (int) r - corners[j][0], pc = (int) c - corners[j][1];
            if (pr >= 0 && pr < (int) probe_rows && pc >= 0 && pc < (int) probe_cols)
              expected += pow (cabsf (ptl_array_complex (probe)[pr * probe_cols + pc]), 2);
          }
        g_assert_cmpfloat_with_epsilon (ptl_array_float (map)[r * cols + c], expected, 1e-5);
      }
}

static void
test_quality_region (void)
{
  /* A 5×7 block at full illumination with a dim pixel inside, a dim border, and one
   * bright pixel touching the canvas edge. */
  static const float illumination[7][9] = {
    { 0, 0, 0, 0, 0, 0, 0, 0, 4 },
    { 0, 1, 1, 1, 1, 1, 1, 1, 1 },
    { 0, 1, 4, 4, 4, 4, 4, 4, 4 },
    { 0, 1, 4, 4, 4, 4, 4, 4, 4 },
    { 0, 1, 4, 4, 4, 4, 1, 4, 4 },
    { 0, 1, 4, 4, 4, 4, 4, 4, 4 },
    { 0, 1, 4, 4, 4, 4, 4, 4, 4 },
  };
  static const float expected_plain[7][9] = {
    { 0, 0, 0, 0, 0, 0, 0, 0, 1 },
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 1, 1, 1, 1, 1, 1, 1 },
    { 0, 0, 1, 1, 1, 1, 1, 1, 1 },
    { 0, 0, 1, 1, 1, 1, 0, 1, 1 },
    { 0, 0, 1, 1, 1, 1, 1, 1, 1 },
    { 0, 0, 1, 1, 1, 1, 1, 1, 1 },
  };
  /* Eroding by one pixel removes the edge of the block, the 3×3 around the dim pixel, and
   * everything within one pixel of the canvas edge. */
  static const float expected_eroded[7][9] = {
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 1, 1, 0, 0, 0, 0 },
    { 0, 0, 0, 1, 1, 0, 0, 0, 0 },
    { 0, 0, 0, 1, 1, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
  };
  g_autoptr (PtlArray) map = ptl_array_new_2d (PTL_DTYPE_FLOAT, 7, 9);

  memcpy (map->data, illumination, sizeof illumination);
  g_autoptr (PtlArray) plain = ptl_quality_region (map, 0.5, 0);
  g_autoptr (PtlArray) eroded = ptl_quality_region (map, 0.5, 1);
  g_autoptr (PtlArray) gone = ptl_quality_region (map, 0.5, 3);
  for (gsize i = 0; i < 7 * 9; i++)
    {
      g_assert_cmpfloat (ptl_array_float (plain)[i], ==, (&expected_plain[0][0])[i]);
      g_assert_cmpfloat (ptl_array_float (eroded)[i], ==, (&expected_eroded[0][0])[i]);
      g_assert_cmpfloat (ptl_array_float (gone)[i], ==, 0);
    }
}

static void
test_bad_inputs (void)
{
  g_autoptr (PtlArray) truth = make_object (32, 32, 15);
  g_autoptr (PtlArray) narrow = make_object (32, 30, 16);
  g_autoptr (PtlArray) real = ptl_array_new_2d (PTL_DTYPE_FLOAT, 32, 32);
  g_autoptr (PtlArray) stack = ptl_array_new_3d (PTL_DTYPE_COMPLEX, 2, 32, 32);
  g_autoptr (PtlArray) empty_region = ptl_array_new_2d (PTL_DTYPE_FLOAT, 32, 32);
  g_autoptr (PtlArray) small_region = ptl_array_new_2d (PTL_DTYPE_FLOAT, 32, 30);
  g_autoptr (PtlArray) negative_region = make_region (32, 32, 10);
  g_autoptr (PtlArray) zero = ptl_array_new_2d (PTL_DTYPE_COMPLEX, 32, 32);
  g_autoptr (GArray) curve = NULL;
  PtlQuality quality;
  struct
  {
    const PtlArray *estimate, *region;
    int             code;
  } cases[] = {
    { narrow, NULL, PTL_PARAM_ERROR_GEOMETRY },
    { real, NULL, PTL_PARAM_ERROR_INVALID },
    { stack, NULL, PTL_PARAM_ERROR_INVALID },
    { truth, real, PTL_PARAM_ERROR_RANGE },
    { truth, empty_region, PTL_PARAM_ERROR_RANGE },
    { truth, small_region, PTL_PARAM_ERROR_GEOMETRY },
    { truth, truth, PTL_PARAM_ERROR_INVALID },
    { truth, negative_region, PTL_PARAM_ERROR_RANGE },
    { zero, NULL, PTL_PARAM_ERROR_RANGE },
  };

  ptl_array_float (negative_region)[0] = -1.0f;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (ptl_quality_compare (truth, cases[i].estimate, cases[i].region, &quality,
                                           &error));
      g_assert_error (error, PTL_PARAM_ERROR, cases[i].code);
      g_test_message ("case %u: %s", i, error->message);
    }

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (ptl_frc (truth, i == 0 ? narrow : real, &curve, NULL, &error));
      g_assert_nonnull (error);
      g_assert_null (curve);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/quality/shift-convention", test_shift_convention);
  g_test_add_func ("/quality/registration/subpixel", test_registration);
  g_test_add_func ("/quality/registration/integer", test_registration_integer);
  g_test_add_func ("/quality/compare/ambiguities", test_compare_ambiguities);
  g_test_add_func ("/quality/compare/phase-object", test_compare_phase_object);
  g_test_add_func ("/quality/compare/different-object", test_compare_different_object);
  g_test_add_func ("/quality/compare/identical", test_compare_identical);
  g_test_add_func ("/quality/compare/large", test_compare_large);
  g_test_add_func ("/quality/frc/identical", test_frc_identical);
  g_test_add_func ("/quality/frc/noise", test_frc_noise);
  g_test_add_func ("/quality/frc/threshold", test_frc_threshold);
  g_test_add_func ("/quality/illumination-map", test_illumination_map);
  g_test_add_func ("/quality/region", test_quality_region);
  g_test_add_func ("/quality/bad-inputs", test_bad_inputs);

  return g_test_run ();
}
