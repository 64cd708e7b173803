/* Simulated scans: positions on whole pixels that the stored stage translations give
 * back, patterns that are exactly the forward model of the returned truth, Poisson counts
 * around them, the seed; and the simulator's parameters: errors, names and defaults. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim.h"

static void
small_scan_params (PtlSimParams *params,
                   gboolean      poisson)
{
  ptl_sim_params_init (params);
  params->geometry.frame_size = 64;
  params->n_frames = 40;
  params->poisson = poisson;
}

static PtlScanData *
simulate (const PtlSimParams *params,
          PtlArray          **object,
          PtlArray          **probe)
{
  g_autoptr (GError) error = NULL;
  PtlScanData *scan = ptl_simulate_scan (params, object, probe, &error);

  g_assert_no_error (error);
  g_assert_nonnull (scan);
  g_assert_true (ptl_scan_data_validate (scan, &error));
  g_assert_no_error (error);
  return scan;
}

/* Integer corners, consistent stage translations, and patterns that are exactly the
 * forward model of the returned truth. */
static void
check_noise_free_scan (const PtlSimParams *params)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) object = NULL;
  g_autoptr (PtlArray) probe = NULL;
  g_autoptr (PtlScanData) scan = simulate (params, &object, &probe);
  guint m = params->geometry.frame_size;
  g_autofree float *expected = g_new (float, (gsize) m * m);

  g_assert_cmpuint (scan->n_frames, ==, params->n_frames);
  g_assert_null (scan->mask);
  g_assert_cmpuint (ptl_array_rows (object), ==, scan->canvas_rows);
  g_assert_cmpuint (ptl_array_cols (object), ==, scan->canvas_cols);
  g_assert_cmpuint (ptl_array_rows (probe), ==, m);

  for (guint j = 0; j < scan->n_frames; j++)
    {
      double row = scan->positions[2 * j], col = scan->positions[2 * j + 1];
      const float *frame = ptl_array_float (scan->intensity) + (gsize) j * m * m;
      double total = 0.0;

      g_assert_cmpfloat (row, ==, round (row));
      g_assert_cmpfloat (col, ==, round (col));
      ptl_sim_forward (probe, object, (guint) row, (guint) col, expected);
      g_assert_cmpmem (frame, (gsize) m * m * sizeof (float), expected,
                       (gsize) m * m * sizeof (float));
      for (gsize k = 0; k < (gsize) m * m; k++)
        total += frame[k];
      /* |O| ≤ 1: no frame holds more than the incident photons. */
      g_assert_cmpfloat (total, <=, params->photons * (1.0 + 1e-5));
      g_assert_cmpfloat (total, >=, 0.16 * params->photons);
    }

  /* The stored translations lead back to the same corners. */
  g_autoptr (PtlScanData) replay = ptl_scan_data_new (&scan->geometry, &scan->mapping,
                                                      scan->n_frames, &error);
  g_assert_no_error (error);
  memcpy (replay->translation, scan->translation, 2 * scan->n_frames * sizeof (double));
  ptl_scan_data_place_on_canvas (replay, 8);
  for (guint i = 0; i < 2 * scan->n_frames; i++)
    g_assert_cmpfloat_with_epsilon (replay->positions[i], scan->positions[i], 1e-6);
}

static void
test_scan_noise_free (void)
{
  PtlSimParams params;

  small_scan_params (&params, FALSE);
  check_noise_free_scan (&params);

  params.pattern = PTL_SCAN_SNAKE;
  params.jitter = 0.7 * ptl_geometry_pixel_size (&params.geometry);
  params.mapping = (PtlAxisMapping) { 1e-6, TRUE, -1, 1 };
  check_noise_free_scan (&params);

  params.pattern = PTL_SCAN_ROUND;
  params.probe_model = PTL_PROBE_GAUSSIAN;
  params.geometry.frame_size = 48;
  check_noise_free_scan (&params);
}

/* Counts against the exact intensities of the same scan: unbiased, and variance = mean. */
static void
test_scan_poisson (void)
{
  static const double photons[] = { 1e8, 1e3 };

  for (guint i = 0; i < G_N_ELEMENTS (photons); i++)
    {
      PtlSimParams params;
      small_scan_params (&params, TRUE);
      params.photons = photons[i];
      g_autoptr (PtlScanData) noisy = simulate (&params, NULL, NULL);
      params.poisson = FALSE;
      g_autoptr (PtlScanData) exact = simulate (&params, NULL, NULL);
      const float *counts = ptl_array_float (noisy->intensity);
      const float *mean = ptl_array_float (exact->intensity);
      double sum_diff = 0.0, sum_mean = 0.0, chi2 = 0.0;
      gsize n_chi2 = 0;

      g_assert_cmpmem (noisy->positions, 2 * noisy->n_frames * sizeof (double),
                       exact->positions, 2 * exact->n_frames * sizeof (double));
      for (gsize k = 0; k < noisy->intensity->n; k++)
        {
          g_assert_cmpfloat (counts[k], >=, 0.0f);
          g_assert_cmpfloat (counts[k], ==, roundf (counts[k]));
          sum_diff += counts[k] - (double) mean[k];
          sum_mean += mean[k];
          if (mean[k] > 1.0f)
            {
              chi2 += (counts[k] - (double) mean[k]) * (counts[k] - (double) mean[k]) / mean[k];
              n_chi2++;
            }
        }
      double z = sum_diff / sqrt (sum_mean);
      g_test_message ("%.0e photons: total off by %.2f sigma; variance/mean %.4f over %"
                      G_GSIZE_FORMAT " pixels", photons[i], z, n_chi2 ? chi2 / n_chi2 : 0.0, n_chi2);
      g_assert_cmpfloat (fabs (z), <, 5.0);
      if (n_chi2 > 10000)
        g_assert_cmpfloat (fabs (chi2 / n_chi2 - 1.0), <, 5.0 * sqrt (3.0 / n_chi2));
    }
}

static void
test_scan_seed (void)
{
  PtlSimParams params;

  small_scan_params (&params, TRUE);
  params.jitter = 1e-8;
  g_autoptr (PtlScanData) a = simulate (&params, NULL, NULL);
  g_autoptr (PtlScanData) b = simulate (&params, NULL, NULL);
  params.seed = 2;
  g_autoptr (PtlScanData) c = simulate (&params, NULL, NULL);

  g_assert_cmpmem (a->intensity->data, ptl_array_bytes (a->intensity), b->intensity->data,
                   ptl_array_bytes (b->intensity));
  g_assert_cmpmem (a->translation, 2 * a->n_frames * sizeof (double), b->translation,
                   2 * b->n_frames * sizeof (double));
  g_assert_true (memcmp (a->translation, c->translation, 2 * a->n_frames * sizeof (double)) != 0);
  g_assert_true (memcmp (a->intensity->data, c->intensity->data,
                         ptl_array_bytes (a->intensity)) != 0);
}

static void
expect_param_error (const PtlSimParams *params,
                    GQuark              domain,
                    int                 code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) scan_error = NULL;
  g_autoptr (PtlArray) object = NULL;
  g_autoptr (PtlArray) probe = NULL;

  /* The file and the canvas size only show once the scan is simulated. */
  if (domain == PTL_PARAM_ERROR && code != PTL_PARAM_ERROR_TOO_LARGE)
    {
      g_assert_false (ptl_sim_params_validate (params, &error));
      g_assert_error (error, domain, code);
    }
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (params, &object, &probe, &scan_error);
  g_assert_null (scan);
  g_assert_null (object);
  g_assert_null (probe);
  g_assert_error (scan_error, domain, code);
  g_test_message ("%s", scan_error->message);
}

static void
test_scan_errors (void)
{
  PtlSimParams params;

#define EXPECT(field, value, domain, code) \
  G_STMT_START { \
    small_scan_params (&params, FALSE); \
    params.field = value; \
    expect_param_error (&params, domain, code); \
  } G_STMT_END

  EXPECT (overlap, 0.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (overlap, 1.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (overlap, NAN, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (photons, 0.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (photons, -5.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (photons, NAN, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (photons, INFINITY, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (n_frames, 0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (jitter, -1e-9, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (max_phase, NAN, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (defocus, INFINITY, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (probe_diameter, 2e-6, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  EXPECT (pattern, (PtlScanPattern) 9, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  EXPECT (probe_model, (PtlProbeModel) 5, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  EXPECT (geometry.energy_ev, 0.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (geometry.frame_size, 63, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  EXPECT (mapping.sign_x, 0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  /* A jitter of metres would need a canvas of millions of pixels. */
  EXPECT (jitter, 1.0, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE);
  EXPECT (object_image, (char *) "/nonexistent/ptycholive/object.png",
          PTL_IO_ERROR, PTL_IO_ERROR_OPEN);

#undef EXPECT
}

static void
test_names (void)
{
  g_autoptr (GError) error = NULL;
  PtlScanPattern pattern;
  PtlProbeModel model;

  g_assert_true (ptl_probe_model_from_string ("gaussian", &model, &error));
  g_assert_cmpint (model, ==, PTL_PROBE_GAUSSIAN);
  g_assert_true (ptl_probe_model_from_string ("Aperture", &model, &error));
  g_assert_cmpint (model, ==, PTL_PROBE_APERTURE);
  g_assert_cmpstr (ptl_probe_model_to_string (PTL_PROBE_GAUSSIAN), ==, "gaussian");
  g_assert_no_error (error);

  g_assert_false (ptl_probe_model_from_string ("zoneplate", &model, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "zoneplate"));
  g_assert_nonnull (strstr (error->message, "aperture, gaussian"));
  g_clear_error (&error);

  g_assert_false (ptl_scan_pattern_from_string ("zigzag", &pattern, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "raster, snake, round, fermat"));
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams params;

  ptl_sim_params_init (&params);
  g_assert_true (ptl_sim_params_validate (&params, &error));
  g_assert_no_error (error);

  double dx = ptl_geometry_pixel_size (&params.geometry);
  double window = params.geometry.frame_size * dx;
  g_test_message ("default pixel %.2f nm, probe %.1f px", dx * 1e9, params.probe_diameter / dx);
  g_assert_cmpuint (params.geometry.frame_size, ==, 128);
  g_assert_cmpfloat (dx, >=, 10e-9);
  g_assert_cmpfloat (dx, <=, 20e-9);
  g_assert_cmpfloat (params.probe_diameter / window, >, 0.25);
  g_assert_cmpfloat (params.probe_diameter / window, <, 0.35);
  g_assert_cmpint (params.pattern, ==, PTL_SCAN_FERMAT);
  g_assert_true (params.poisson);

  params.object_image = g_strdup ("object.png");
  ptl_sim_params_clear (&params);
  g_assert_null (params.object_image);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/scan/noise-free", test_scan_noise_free);
  g_test_add_func ("/sim/scan/poisson", test_scan_poisson);
  g_test_add_func ("/sim/scan/seed", test_scan_seed);
  g_test_add_func ("/sim/errors", test_scan_errors);
  g_test_add_func ("/sim/names", test_names);
  g_test_add_func ("/sim/defaults", test_defaults);
  return g_test_run ();
}
