#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

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

static void
split_object (const PtlArray *object,
              float         **amplitude,
              float         **phase)
{
  const ptl_complex *o = ptl_array_complex (object);

  *amplitude = g_new (float, object->n);
  *phase = g_new (float, object->n);
  for (gsize k = 0; k < object->n; k++)
    {
      (*amplitude)[k] = cabsf (o[k]);
      (*phase)[k] = cargf (o[k]);
    }
}

static PtlArray *
make_test_object (guint  rows,
                  guint  cols,
                  double max_phase)
{
  g_autoptr (GError) error = NULL;
  PtlArray *object = ptl_sim_test_object (rows, cols, max_phase, &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_cmpuint (ptl_array_rows (object), ==, rows);
  g_assert_cmpuint (ptl_array_cols (object), ==, cols);
  return object;
}

/* Fraction of horizontally neighbouring pixels that differ by more than `jump`. */
static double
edge_fraction (const float *v,
               guint        rows,
               guint        cols,
               double       jump)
{
  guint edges = 0;

  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x + 1 < cols; x++)
      edges += fabsf (v[y * cols + x + 1] - v[y * cols + x]) > jump;
  return (double) edges / (rows * (cols - 1));
}

static void
test_object_ranges_and_edges (void)
{
  guint rows = 300, cols = 360;
  double max_phase = 1.3;
  g_autoptr (PtlArray) object = make_test_object (rows, cols, max_phase);
  g_autofree float *amplitude = NULL;
  g_autofree float *phase = NULL;
  float amp_min = INFINITY, amp_max = -INFINITY, ph_min = INFINITY, ph_max = -INFINITY;

  split_object (object, &amplitude, &phase);
  for (gsize k = 0; k < object->n; k++)
    {
      amp_min = MIN (amp_min, amplitude[k]);
      amp_max = MAX (amp_max, amplitude[k]);
      ph_min = MIN (ph_min, phase[k]);
      ph_max = MAX (ph_max, phase[k]);
    }
  g_test_message ("amplitude %.3f..%.3f, phase %.3f..%.3f", amp_min, amp_max, ph_min, ph_max);
  g_assert_cmpfloat (amp_min, >=, 0.4 - 1e-5);
  g_assert_cmpfloat (amp_max, <=, 1.0 + 1e-5);
  g_assert_cmpfloat (ph_min, >=, -1e-5);
  g_assert_cmpfloat (ph_max, <=, max_phase + 1e-5);
  /* The ranges are used, not only respected. */
  g_assert_cmpfloat (amp_min, <, 0.5);
  g_assert_cmpfloat (amp_max, >, 0.9);
  g_assert_cmpfloat (ph_min, <, 0.1 * max_phase);
  g_assert_cmpfloat (ph_max, >, 0.9 * max_phase);

  double amp_edges = edge_fraction (amplitude, rows, cols, 0.2);
  double ph_edges = edge_fraction (phase, rows, cols, 0.3 * max_phase);
  g_test_message ("sharp edges: %.1f %% in amplitude, %.1f %% in phase",
                  100 * amp_edges, 100 * ph_edges);
  g_assert_cmpfloat (amp_edges, >, 0.05);
  g_assert_cmpfloat (ph_edges, >, 0.05);
}

static double
block_std (const float *v,
           guint        cols,
           guint        y0,
           guint        x0,
           guint        block)
{
  double sum = 0.0, sum2 = 0.0, n = block * block;

  for (guint y = y0; y < y0 + block; y++)
    for (guint x = x0; x < x0 + block; x++)
      {
        sum += v[y * cols + x];
        sum2 += v[y * cols + x] * v[y * cols + x];
      }
  return sqrt (MAX (sum2 / n - sum * sum / (n * n), 0.0));
}

/* Any probe-sized region has contrast in both amplitude and phase. */
static void
test_object_structure_everywhere (void)
{
  guint rows = 480, cols = 520, block = 40;
  double max_phase = 1.0, least_amp = INFINITY, least_phase = INFINITY;
  g_autoptr (PtlArray) object = make_test_object (rows, cols, max_phase);
  g_autofree float *amplitude = NULL;
  g_autofree float *phase = NULL;

  split_object (object, &amplitude, &phase);
  for (guint y0 = 0; y0 + block <= rows; y0 += block / 2)
    for (guint x0 = 0; x0 + block <= cols; x0 += block / 2)
      {
        least_amp = MIN (least_amp, block_std (amplitude, cols, y0, x0, block));
        least_phase = MIN (least_phase, block_std (phase, cols, y0, x0, block));
      }
  g_test_message ("least contrast of a %u px block: %.3f amplitude, %.3f rad phase",
                  block, least_amp, least_phase);
  g_assert_cmpfloat (least_amp, >, 0.05);
  g_assert_cmpfloat (least_phase, >, 0.05 * max_phase);
}

static void
test_object_deterministic (void)
{
  guint rows = 200, cols = 260, shift = 64;
  g_autoptr (PtlArray) a = make_test_object (rows, cols, 1.0);
  g_autoptr (PtlArray) b = make_test_object (rows, cols, 1.0);
  const ptl_complex *o = ptl_array_complex (a);
  double difference = 0.0;

  g_assert_cmpmem (a->data, ptl_array_bytes (a), b->data, ptl_array_bytes (b));
  /* Not periodic with the feature cell. */
  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x + shift < cols; x++)
      difference += cabsf (o[y * cols + x + shift] - o[y * cols + x]);
  g_assert_cmpfloat (difference / (rows * (cols - shift)), >, 0.05);
}

static char *
write_gradient_png (const char *dir,
                    gboolean    transparent)
{
  int width = 40, height = 30;
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, transparent, 8, width, height);
  g_autoptr (GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf), channels = gdk_pixbuf_get_n_channels (pixbuf);
  char *path = g_build_filename (dir, transparent ? "clear.png" : "gradient.png", NULL);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *px = pixels + y * stride + x * channels;
        px[0] = px[1] = px[2] = (guint8) (255 * x / (width - 1));
        if (transparent)
          px[3] = 0;
      }
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
  return path;
}

static void
test_object_from_image (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ptl-sim-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *gradient = write_gradient_png (dir, FALSE);
  g_autofree char *clear = write_gradient_png (dir, TRUE);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "corrupt.png", NULL);
  guint rows = 60, cols = 80;
  double max_phase = 0.8;

  g_autoptr (PtlArray) object = ptl_sim_object_from_image (gradient, rows, cols, max_phase, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_array_rows (object), ==, rows);
  g_assert_cmpuint (ptl_array_cols (object), ==, cols);
  const ptl_complex *o = ptl_array_complex (object);
  for (guint y = 0; y < rows; y++)
    {
      /* Black is thick (amplitude 0.4, full phase), white is empty, monotonic between. */
      g_assert_cmpfloat_with_epsilon (cabsf (o[y * cols]), 0.4, 0.02);
      g_assert_cmpfloat_with_epsilon (cargf (o[y * cols]), max_phase, 0.03);
      g_assert_cmpfloat_with_epsilon (cabsf (o[y * cols + cols - 1]), 1.0, 0.02);
      g_assert_cmpfloat_with_epsilon (cargf (o[y * cols + cols - 1]), 0.0, 0.03);
      for (guint x = 1; x < cols; x++)
        g_assert_cmpfloat (cabsf (o[y * cols + x]), >=, cabsf (o[y * cols + x - 1]) - 1e-6);
    }

  g_autoptr (PtlArray) empty = ptl_sim_object_from_image (clear, rows, cols, max_phase, &error);
  g_assert_no_error (error);
  for (gsize k = 0; k < empty->n; k++)
    g_assert_cmpfloat_with_epsilon (cabsf (ptl_array_complex (empty)[k]), 1.0, 1e-5);

  g_assert_null (ptl_sim_object_from_image (missing, rows, cols, max_phase, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "missing.png"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (corrupt, "not an image at all", -1, &error));
  g_assert_null (ptl_sim_object_from_image (corrupt, rows, cols, max_phase, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_clear_error (&error);

  g_assert_cmpint (g_remove (gradient), ==, 0);
  g_assert_cmpint (g_remove (clear), ==, 0);
  g_assert_cmpint (g_remove (corrupt), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

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
  g_test_add_func ("/sim/probe/power", test_probe_power);
  g_test_add_func ("/sim/probe/fits-window", test_probe_fits_window);
  g_test_add_func ("/sim/probe/focus", test_probe_focus);
  g_test_add_func ("/sim/probe/defocus", test_probe_defocus);
  g_test_add_func ("/sim/probe/gaussian", test_probe_gaussian);
  g_test_add_func ("/sim/probe/size-errors", test_probe_size_errors);
  g_test_add_func ("/sim/object/ranges-and-edges", test_object_ranges_and_edges);
  g_test_add_func ("/sim/object/structure-everywhere", test_object_structure_everywhere);
  g_test_add_func ("/sim/object/deterministic", test_object_deterministic);
  g_test_add_func ("/sim/object/from-image", test_object_from_image);
  g_test_add_func ("/sim/scan/noise-free", test_scan_noise_free);
  g_test_add_func ("/sim/scan/poisson", test_scan_poisson);
  g_test_add_func ("/sim/scan/seed", test_scan_seed);
  g_test_add_func ("/sim/errors", test_scan_errors);
  g_test_add_func ("/sim/names", test_names);
  g_test_add_func ("/sim/defaults", test_defaults);
  return g_test_run ();
}
