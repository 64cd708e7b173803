/* The simulator's probes: the power is the photon count, the beam fits its window, the
 * focus has its first dark ring where the diameter says and is real, a defocused beam is a
 * disc with a curved phase, the Gaussian has its FWHM, and impossible sizes are errors. */
#include "config.h"

#include <math.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim.h"

static double
power (const PtlArray *array)
{
  const ptl_complex *a = ptl_array_complex (array);
  double sum = 0.0;

  for (gsize k = 0; k < array->n; k++)
    sum += (double) crealf (a[k]) * crealf (a[k]) + (double) cimagf (a[k]) * cimagf (a[k]);
  return sum;
}

static double
intensity_at (const PtlArray *probe,
              guint           y,
              guint           x)
{
  ptl_complex v = ptl_array_complex (probe)[(gsize) y * ptl_array_cols (probe) + x];

  return (double) crealf (v) * crealf (v) + (double) cimagf (v) * cimagf (v);
}

/* Share of the power in the imaginary part once the central pixel's phase is removed:
 * zero for a probe that is real up to one global phase. */
static double
imaginary_fraction (const PtlArray *probe)
{
  guint m = ptl_array_rows (probe);
  const ptl_complex *p = ptl_array_complex (probe);
  ptl_complex centre = p[(gsize) (m / 2) * m + m / 2];
  ptl_complex unit = conjf (centre) / cabsf (centre);
  double imaginary = 0.0;

  for (gsize k = 0; k < probe->n; k++)
    imaginary += (double) cimagf (p[k] * unit) * cimagf (p[k] * unit);
  return imaginary / power (probe);
}

static PtlArray *
make_probe (PtlSimParams *params)
{
  g_autoptr (GError) error = NULL;
  PtlArray *probe = ptl_sim_probe (params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (probe);
  g_assert_cmpuint (ptl_array_rows (probe), ==, params->geometry.frame_size);
  g_assert_cmpuint (ptl_array_cols (probe), ==, params->geometry.frame_size);
  return probe;
}

static void
test_probe_power (void)
{
  static const double defocus[] = { 0.0, 40e-6, -60e-6 };
  static const double photons[] = { 1e8, 3.5e4 };
  PtlSimParams params;

  ptl_sim_params_init (&params);
  for (guint i = 0; i < G_N_ELEMENTS (photons); i++)
    {
      params.photons = photons[i];
      params.probe_model = PTL_PROBE_APERTURE;
      for (guint j = 0; j < G_N_ELEMENTS (defocus); j++)
        {
          params.defocus = defocus[j];
          g_autoptr (PtlArray) probe = make_probe (&params);
          g_assert_cmpfloat_with_epsilon (power (probe) / photons[i], 1.0, 1e-4);
        }
      params.probe_model = PTL_PROBE_GAUSSIAN;
      g_autoptr (PtlArray) gaussian = make_probe (&params);
      g_assert_cmpfloat_with_epsilon (power (gaussian) / photons[i], 1.0, 1e-4);
    }
}

/* Dark border, nearly all power well inside the window, centred on (M/2, M/2). */
static void
test_probe_fits_window (void)
{
  static const PtlProbeModel models[] = { PTL_PROBE_APERTURE, PTL_PROBE_GAUSSIAN };
  PtlSimParams params;

  ptl_sim_params_init (&params);
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      params.probe_model = models[i];
      g_autoptr (PtlArray) probe = make_probe (&params);
      guint m = params.geometry.frame_size;
      double total = power (probe), inner = 0.0, cy = 0.0, cx = 0.0;

      for (guint y = 0; y < m; y++)
        for (guint x = 0; x < m; x++)
          {
            double v = intensity_at (probe, y, x);
            if (y == 0 || x == 0 || y == m - 1 || x == m - 1)
              g_assert_cmpfloat (v, ==, 0.0);
            if (hypot ((double) y - m / 2, (double) x - m / 2) < 0.4 * m)
              inner += v;
            cy += v * y;
            cx += v * x;
          }
      g_assert_cmpfloat (inner / total, >, 0.99);
      g_assert_cmpfloat (fabs (cy / total - m / 2), <, 0.5);
      g_assert_cmpfloat (fabs (cx / total - m / 2), <, 0.5);
    }
}

/* The first dark ring of the focus sits at half the probe diameter; the focus is real up
 * to one global phase. */
static void
test_probe_focus (void)
{
  static const double fractions[] = { 0.3, 0.15 };
  PtlSimParams params;

  ptl_sim_params_init (&params);
  params.defocus = 0.0;
  double dx = ptl_geometry_pixel_size (&params.geometry);
  guint m = params.geometry.frame_size;

  for (guint i = 0; i < G_N_ELEMENTS (fractions); i++)
    {
      params.probe_diameter = fractions[i] * m * dx;
      g_autoptr (PtlArray) probe = make_probe (&params);
      double radius_px = 0.5 * params.probe_diameter / dx;
      guint first_zero = 0;

      for (guint k = 1; k + 1 < m / 2 && first_zero == 0; k++)
        if (intensity_at (probe, m / 2, m / 2 + k) < intensity_at (probe, m / 2, m / 2 + k + 1))
          first_zero = k;
      g_test_message ("focus of %.1f px: first zero at %u px", 2 * radius_px, first_zero);
      g_assert_cmpfloat (fabs (first_zero - radius_px), <=, 1.5);
      g_assert_cmpfloat (imaginary_fraction (probe), <, 1e-8);
    }
}

/* Away from the focus the beam is a disc of the requested diameter with a curved phase,
 * not a small focal spot; a defocus no aperture can reach is an error. */
static void
test_probe_defocus (void)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams params;

  ptl_sim_params_init (&params);
  params.defocus = 40e-6;
  g_autoptr (PtlArray) probe = make_probe (&params);
  guint m = params.geometry.frame_size;
  double radius_px = 0.5 * params.probe_diameter / ptl_geometry_pixel_size (&params.geometry);
  double total = power (probe), inside = 0.0, core = 0.0;

  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      {
        double r = hypot ((double) y - m / 2, (double) x - m / 2);
        inside += r <= 1.2 * radius_px ? intensity_at (probe, y, x) : 0.0;
        core += r <= 0.5 * radius_px ? intensity_at (probe, y, x) : 0.0;
      }
  g_test_message ("defocused beam: %.3f of the power within 1.2 radii, %.3f within 0.5",
                  inside / total, core / total);
  g_assert_cmpfloat (inside / total, >, 0.85);
  g_assert_cmpfloat (core / total, <, 0.5);
  g_assert_cmpfloat (imaginary_fraction (probe), >, 0.05);

  params.defocus = 100e-6; /* beyond D²/(4.88 λ) = 81 µm for a 0.7 µm beam */
  g_assert_null (ptl_sim_probe (&params, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
}

static void
test_probe_gaussian (void)
{
  PtlSimParams params;

  ptl_sim_params_init (&params);
  params.probe_model = PTL_PROBE_GAUSSIAN;
  g_autoptr (PtlArray) probe = make_probe (&params);
  guint m = params.geometry.frame_size;
  double fwhm_px = params.probe_diameter / ptl_geometry_pixel_size (&params.geometry);
  double peak = intensity_at (probe, m / 2, m / 2);

  for (guint k = 0; k < 0.35 * m; k++)
    {
      double expected = exp (-4.0 * G_LN2 * k * k / (fwhm_px * fwhm_px));
      double along_row = intensity_at (probe, m / 2, m / 2 + k) / peak;
      double along_col = intensity_at (probe, m / 2 - k, m / 2) / peak;
      g_assert_cmpfloat_with_epsilon (along_row, expected, 1e-4);
      g_assert_cmpfloat_with_epsilon (along_col, expected, 1e-4);
    }
}

static void
test_probe_size_errors (void)
{
  static const double fractions[] = { 0.51, 1.0, 0.01 };
  PtlSimParams params;

  ptl_sim_params_init (&params);
  double window = params.geometry.frame_size * ptl_geometry_pixel_size (&params.geometry);
  for (guint i = 0; i < G_N_ELEMENTS (fractions); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) validate_error = NULL;
      params.probe_diameter = fractions[i] * window;
      g_autoptr (PtlArray) probe = ptl_sim_probe (&params, &error);
      g_assert_null (probe);
      g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
      g_assert_false (ptl_sim_params_validate (&params, &validate_error));
      g_assert_error (validate_error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
    }
  params.probe_diameter = 0.49 * window;
  g_autoptr (PtlArray) largest = make_probe (&params);
  g_assert_nonnull (largest);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/probe/power", test_probe_power);
  g_test_add_func ("/sim/probe/fits-window", test_probe_fits_window);
  g_test_add_func ("/sim/probe/focus", test_probe_focus);
  g_test_add_func ("/sim/probe/defocus", test_probe_defocus);
  g_test_add_func ("/sim/probe/gaussian", test_probe_gaussian);
  g_test_add_func ("/sim/probe/size-errors", test_probe_size_errors);
  return g_test_run ();
}
