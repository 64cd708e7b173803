#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "core/ptl-geometry.h"
#include "core/ptl-params.h"
#include "core/ptl-scan-data.h"

static void
test_wavelength (void)
{
  /* λ = h·c / E: 1 keV is 1.23984 nm, 12.398 keV is 1 Å. */
  g_assert_cmpfloat_with_epsilon (ptl_wavelength_from_energy_ev (1000.0), 1.23984198e-9, 1e-15);
  g_assert_cmpfloat_with_epsilon (ptl_wavelength_from_energy_ev (12398.4198), 1e-10, 1e-16);
  g_assert_cmpfloat_with_epsilon (ptl_energy_ev_from_wavelength (1.23984198e-9), 1000.0, 1e-6);
}

static void
test_pixel_size (void)
{
  /* PtyPy's moonflower: 7.2 keV, 7.19 m, 172 µm, 128 px → 56.3 nm. */
  PtlGeometry g = { 7200.0, 7.19, 172e-6, 128, 1 };
  g_assert_cmpfloat_with_epsilon (ptl_geometry_pixel_size (&g), 56.3e-9, 0.1e-9);
  /* Binning by 2 with half the frame keeps the detector width, so dx is unchanged. */
  PtlGeometry binned = { 7200.0, 7.19, 172e-6, 64, 2 };
  g_assert_cmpfloat_with_epsilon (ptl_geometry_pixel_size (&binned), ptl_geometry_pixel_size (&g),
                                  1e-15);
}

static void
test_validation (void)
{
  g_autoptr (GError) error = NULL;
  PtlGeometry bad_energy = { 0.0, 1.0, 1e-5, 128, 1 };
  PtlGeometry odd_frame = { 1000.0, 1.0, 1e-5, 127, 1 };
  PtlAxisMapping bad_sign = { 1.0, FALSE, 2, 1 };

  g_assert_false (ptl_geometry_validate (&bad_energy, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (ptl_geometry_validate (&odd_frame, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (ptl_axis_mapping_validate (&bad_sign, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
}

static void
test_axis_mapping (void)
{
  double dx = 10e-9, row, col, x, y;
  PtlAxisMapping identity = PTL_AXIS_MAPPING_IDENTITY;
  PtlAxisMapping swapped = { 1e-6, TRUE, -1, 1 }; /* stage in µm, x inverted, along rows */

  ptl_axis_mapping_to_pixels (&identity, dx, 1e-6, -2e-6, &row, &col);
  g_assert_cmpfloat_with_epsilon (col, 100.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (row, -200.0, 1e-9);

  ptl_axis_mapping_to_pixels (&swapped, dx, 1.0, -2.0, &row, &col);
  g_assert_cmpfloat_with_epsilon (row, -100.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (col, -200.0, 1e-9);
  ptl_axis_mapping_to_stage (&swapped, dx, row, col, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (y, -2.0, 1e-12);
}

static void
test_place_on_canvas (void)
{
  g_autoptr (GError) error = NULL;
  PtlGeometry g = { 1000.0, 0.5, 11e-6, 16, 1 };
  PtlAxisMapping mapping = PTL_AXIS_MAPPING_IDENTITY;
  g_autoptr (PtlScanData) scan = ptl_scan_data_new (&g, &mapping, 3, &error);
  double dx = ptl_geometry_pixel_size (&g);

  g_assert_no_error (error);
  double xy[] = { 0, 0, 10 * dx, 0, 0, -5 * dx };
  memcpy (scan->translation, xy, sizeof xy);
  ptl_scan_data_place_on_canvas (scan, 4);
  /* rows follow y (min −5 px → row 4), columns follow x (min 0 → col 4). */
  g_assert_cmpfloat_with_epsilon (scan->positions[0], 9.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (scan->positions[1], 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (scan->positions[3], 14.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (scan->positions[4], 4.0, 1e-9);
  g_assert_cmpuint (scan->canvas_cols, >=, 14 + 16 + 4);
  g_assert_cmpuint (scan->canvas_rows, >=, 9 + 16 + 4);
  g_assert_true (ptl_scan_data_validate (scan, &error));

  scan->canvas_cols = 20; /* the window at column 14 no longer fits */
  g_assert_false (ptl_scan_data_validate (scan, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
}

static void
test_params (void)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;
  PtlAlgorithm algorithm;

  ptl_recon_params_init (&params);
  g_assert_true (ptl_recon_params_validate (&params, &error));
  params.alpha = 0.0;
  g_assert_false (ptl_recon_params_validate (&params, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_true (ptl_algorithm_from_string ("ePIE", &algorithm, &error));
  g_assert_cmpint (algorithm, ==, PTL_ALGORITHM_EPIE);
  g_assert_cmpstr (ptl_algorithm_to_string (PTL_ALGORITHM_RPIE), ==, "rpie");
  g_assert_false (ptl_algorithm_from_string ("dm2", &algorithm, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/geometry/wavelength", test_wavelength);
  g_test_add_func ("/geometry/pixel-size", test_pixel_size);
  g_test_add_func ("/geometry/validation", test_validation);
  g_test_add_func ("/geometry/axis-mapping", test_axis_mapping);
  g_test_add_func ("/geometry/place-on-canvas", test_place_on_canvas);
  g_test_add_func ("/params/recon", test_params);
  return g_test_run ();
}
