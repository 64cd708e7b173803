#include "config.h"

#include <math.h>
#include <string.h>

#include "gui/ptl-image-data.h"
#include "gui/ptl-plot-axis.h"

static double
wrap (double phi)
{
  return remainder (phi, 2 * G_PI);
}

static void
test_amplitude (void)
{
  ptl_complex z[3] = { 3.0f + 4.0f * I, -1.0f, 0.0f };
  float       out[3];

  ptl_image_amplitude (z, 3, out);
  g_assert_cmpfloat_with_epsilon (out[0], 5.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], 1.0, 1e-6);
  g_assert_cmpfloat (out[2], ==, 0.0);
}

/* A phase ramp that wraps many times, on a varying amplitude, is removed to < 1e-5 and
 * the plane is recovered. */
static void
test_phase_ramp (void)
{
  const gsize rows = 48, cols = 64;
  const double ramp_row = -0.2, ramp_col = 2.5, offset = 1.1;
  g_autofree ptl_complex *z = g_new (ptl_complex, rows * cols);
  g_autofree float *phase = g_new (float, rows * cols);
  PtlPhasePlane plane;

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double a = 0.5 + 0.4 * sin (0.3 * r) * cos (0.2 * c);

        z[r * cols + c] = (float) a * cexpf ((float) (offset + ramp_row * r + ramp_col * c) * I);
      }

  ptl_image_phase_plane (z, rows, cols, PTL_PHASE_REMOVE_RAMP | PTL_PHASE_REMOVE_OFFSET,
                         &plane);
  g_assert_cmpfloat_with_epsilon (plane.ramp_row, ramp_row, 1e-5);
  g_assert_cmpfloat_with_epsilon (plane.ramp_col, ramp_col, 1e-5);
  g_assert_cmpfloat_with_epsilon (wrap (plane.offset - offset), 0.0, 1e-5);

  ptl_image_phase (z, rows, cols, PTL_PHASE_REMOVE_RAMP | PTL_PHASE_REMOVE_OFFSET, phase);
  for (gsize i = 0; i < rows * cols; i++)
    g_assert_cmpfloat (fabsf (phase[i]), <, 1e-5);

  /* Untouched: the phase of each value, in (−π, π]. */
  ptl_image_phase (z, rows, cols, PTL_PHASE_KEEP, phase);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double expected = wrap (offset + ramp_row * r + ramp_col * c);

        g_assert_cmpfloat (fabs (wrap (phase[r * cols + c] - expected)), <, 1e-5);
        g_assert_cmpfloat (fabsf (phase[r * cols + c]), <=, G_PI + 1e-6);
      }
}

/* Removing only the offset keeps a feature's shape: the amplitude-weighted mean phase
 * becomes 0. */
static void
test_phase_offset (void)
{
  const gsize n = 32;
  g_autofree ptl_complex *z = g_new (ptl_complex, n * n);
  g_autofree float *phase = g_new (float, n * n);

  for (gsize i = 0; i < n * n; i++)
    z[i] = cexpf ((float) (3.0 + (i % n < n / 2 ? 0.2 : -0.2)) * I);

  ptl_image_phase (z, n, n, PTL_PHASE_REMOVE_OFFSET, phase);
  for (gsize i = 0; i < n * n; i++)
    g_assert_cmpfloat_with_epsilon (phase[i], i % n < n / 2 ? 0.2 : -0.2, 1e-5);
}

static void
test_levels_auto (void)
{
  const gsize n = 10000;
  g_autofree float *plane = g_new (float, n + 3);
  PtlLevels levels = { 0 };

  /* A shuffled 0…9999 with NaN and infinities, which are ignored. */
  for (gsize i = 0; i < n; i++)
    plane[i] = (float) ((i * 7919) % n);
  plane[n] = NAN;
  plane[n + 1] = INFINITY;
  plane[n + 2] = -INFINITY;
  ptl_image_levels_auto (plane, n + 3, 1.0, 99.0, &levels);
  g_assert_cmpfloat_with_epsilon (levels.low, 0.01 * 9999, 1e-3);
  g_assert_cmpfloat_with_epsilon (levels.high, 0.99 * 9999, 1e-2);

  for (gsize i = 0; i < n; i++)
    plane[i] = 4.0f;
  ptl_image_levels_auto (plane, n, 1.0, 99.0, &levels);
  g_assert_cmpfloat (levels.low, ==, 3.5);
  g_assert_cmpfloat (levels.high, ==, 4.5);

  plane[0] = NAN;
  ptl_image_levels_auto (plane, 1, 1.0, 99.0, &levels);
  g_assert_cmpfloat (levels.low, ==, 0.0);
  g_assert_cmpfloat (levels.high, ==, 1.0);

  /* A large plane is subsampled: the percentiles stay within the sampling stride. */
  const gsize big = 1500 * 1500;
  g_autofree float *ramp = g_new (float, big);

  for (gsize i = 0; i < big; i++)
    ramp[i] = (float) i;
  ptl_image_levels_auto (ramp, big, 10.0, 90.0, &levels);
  g_assert_cmpfloat (fabs (levels.low - 0.1 * big), <, big / (double) PTL_LEVELS_SAMPLES + 2);
  g_assert_cmpfloat (fabs (levels.high - 0.9 * big), <, big / (double) PTL_LEVELS_SAMPLES + 2);
}

static void
test_levels_normalise (void)
{
  PtlLevels linear = { 10.0f, 20.0f, FALSE };
  PtlLevels logarithmic = { 0.0f, (float) (exp (2.0) - 1.0), TRUE };
  PtlLevels flat = { 1.0f, 1.0f, FALSE };

  g_assert_cmpfloat_with_epsilon (ptl_levels_normalise (&linear, 15.0f), 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (ptl_levels_normalise (&linear, 10.0f), 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (ptl_levels_normalise (&linear, 25.0f), 1.5, 1e-6);
  /* log(1 + v): e − 1 is halfway (in log) between 0 and e² − 1. */
  g_assert_cmpfloat_with_epsilon (ptl_levels_normalise (&logarithmic, (float) (G_E - 1.0)), 0.5,
                                  1e-5);
  g_assert_cmpfloat_with_epsilon (ptl_levels_normalise (&logarithmic, -5.0f), 0.0, 1e-6);
  g_assert_cmpfloat (ptl_levels_normalise (&flat, 2.0f), ==, 1.0);
  g_assert_cmpfloat (ptl_levels_normalise (&flat, 0.5f), ==, 0.0);
}

static void
test_transform (void)
{
  PtlViewTransform t;
  double           ix, iy, wx, wy, before_x, before_y;

  ptl_view_transform_fit (&t, 400, 200, 50, 100);
  g_assert_cmpfloat (t.zoom, ==, 2.0 * 2.0);
  ptl_view_transform_to_image (&t, 400, 200, 200, 100, &ix, &iy);
  g_assert_cmpfloat_with_epsilon (ix, 50.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (iy, 25.0, 1e-12);
  ptl_view_transform_to_image (&t, 400, 200, 0, 0, &ix, &iy);
  g_assert_cmpfloat_with_epsilon (ix, 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (iy, 0.0, 1e-12);

  ptl_view_transform_to_image (&t, 400, 200, 123, 45, &before_x, &before_y);
  ptl_view_transform_zoom_at (&t, 400, 200, 123, 45, 1.7);
  g_assert_cmpfloat_with_epsilon (t.zoom, 4.0 * 1.7, 1e-12);
  ptl_view_transform_to_image (&t, 400, 200, 123, 45, &ix, &iy);
  g_assert_cmpfloat_with_epsilon (ix, before_x, 1e-9);
  g_assert_cmpfloat_with_epsilon (iy, before_y, 1e-9);
  ptl_view_transform_to_widget (&t, 400, 200, ix, iy, &wx, &wy);
  g_assert_cmpfloat_with_epsilon (wx, 123, 1e-9);
  g_assert_cmpfloat_with_epsilon (wy, 45, 1e-9);

  ptl_view_transform_zoom_at (&t, 400, 200, 0, 0, 1e9);
  g_assert_cmpfloat (t.zoom, ==, PTL_VIEW_ZOOM_MAX);
}

static void
test_readout (void)
{
  float  plane[4 * 5];
  float  value;
  double x_um, y_um;

  for (int i = 0; i < 20; i++)
    plane[i] = i * 1.5f;
  g_assert_true (ptl_image_readout (plane, 4, 5, 50e-9, 2.5, 1.2, &value, &x_um, &y_um));
  g_assert_cmpfloat (value, ==, plane[1 * 5 + 2]);
  g_assert_cmpfloat_with_epsilon (x_um, 0.125, 1e-12);
  g_assert_cmpfloat_with_epsilon (y_um, 0.06, 1e-12);
  g_assert_false (ptl_image_readout (plane, 4, 5, 50e-9, 5.0, 1.0, &value, &x_um, &y_um));
  g_assert_false (ptl_image_readout (plane, 4, 5, 50e-9, -0.1, 1.0, &value, &x_um, &y_um));
  g_assert_false (ptl_image_readout (plane, 4, 5, 50e-9, 1.0, NAN, &value, &x_um, &y_um));
  g_assert_false (ptl_image_readout (NULL, 4, 5, 50e-9, 1.0, 1.0, &value, &x_um, &y_um));
}

static gboolean
is_nice (double length)
{
  double decade = pow (10.0, floor (log10 (length) + 1e-9));
  double m = length / decade;

  return fabs (m - 1) < 1e-6 || fabs (m - 2) < 1e-6 || fabs (m - 5) < 1e-6;
}

/* 1 → 2 → 5 → 10. */
static double
next_nice (double length)
{
  double decade = pow (10.0, floor (log10 (length) + 1e-9));
  double m = length / decade;

  return (m < 1.5 ? 2.0 : m < 3.5 ? 5.0 : 10.0) * decade;
}

static void
test_scale_bar (void)
{
  double px;

  g_assert_cmpfloat_with_epsilon (ptl_scale_bar_length (10e-9, 2.0, 100, &px), 500e-9, 1e-15);
  g_assert_cmpfloat_with_epsilon (px, 100.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ptl_scale_bar_length (10e-9, 1.0, 130, &px), 1e-6, 1e-15);
  g_assert_cmpfloat_with_epsilon (px, 100.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ptl_scale_bar_length (10e-9, 1.0, 35, &px), 200e-9, 1e-15);
  g_assert_cmpfloat (ptl_scale_bar_length (0.0, 1.0, 100, &px), ==, 0.0);
  g_assert_cmpfloat (px, ==, 0.0);

  /* Any case: the length is nice, fits, and the next nice length would not. */
  GRand *rand = g_rand_new_with_seed (7);
  for (int k = 0; k < 1000; k++)
    {
      double pixel = pow (10.0, g_rand_double_range (rand, -10, -5));
      double zoom = pow (10.0, g_rand_double_range (rand, -1, 2));
      double max_px = g_rand_double_range (rand, 20, 500);
      double length = ptl_scale_bar_length (pixel, zoom, max_px, &px);
      double max_m = max_px / zoom * pixel;

      g_assert_true (is_nice (length));
      g_assert_cmpfloat (length, <=, max_m * (1 + 1e-9));
      g_assert_cmpfloat (next_nice (length), >, max_m);
      g_assert_cmpfloat_with_epsilon (px, length / pixel * zoom, 1e-6 * px);
    }
  g_rand_free (rand);
}

static void
test_format_length (void)
{
  static const struct { double metres; const char *text; } cases[] = {
    { 500e-9, "500 nm" }, { 2e-6, "2 µm" }, { 1e-6, "1 µm" }, { 1e-3, "1 mm" },
    { 50e-9, "50 nm" }, { 2.0, "2 m" }, { 0.2e-9, "0.2 nm" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ptl_format_length (cases[i].metres);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_coverage (void)
{
  const gsize rows = 40, cols = 50;
  const guint window = 16, n = 60;
  double      positions[2 * 60];
  g_autofree float *coverage = g_new (float, rows * cols);
  GRand      *rand = g_rand_new_with_seed (3);

  /* Some windows hang over every edge. */
  for (guint i = 0; i < n; i++)
    {
      positions[2 * i] = g_rand_double_range (rand, -10, rows - 4);
      positions[2 * i + 1] = g_rand_double_range (rand, -10, cols - 4);
    }
  ptl_image_coverage (positions, n, window, rows, cols, coverage);

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        int count = 0;

        for (guint i = 0; i < n; i++)
          {
            double r0 = round (positions[2 * i]), c0 = round (positions[2 * i + 1]);

            count += r >= r0 && r < r0 + window && c >= c0 && c < c0 + window;
          }
        g_assert_cmpfloat (coverage[r * cols + c], ==, count);
      }
  g_rand_free (rand);
}

static void
test_plot_axis (void)
{
  double ticks[PTL_PLOT_MAX_TICKS], low, high;
  guint  n;

  g_assert_cmpfloat (ptl_plot_nice_step (10.0, 6), ==, 2.0);
  g_assert_cmpfloat (ptl_plot_nice_step (0.9, 4), ==, 0.5);
  n = ptl_plot_axis_ticks (0.0, 10.0, FALSE, 6, ticks);
  g_assert_cmpuint (n, ==, 6);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ticks[i], 2.0 * i, 1e-12);

  n = ptl_plot_axis_ticks (1e-3, 10.0, TRUE, 8, ticks);
  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ticks[i], pow (10.0, i - 3.0), 1e-12);

  double errors[] = { 0.2, 0.05, NAN, 0.003, -1.0 };
  g_assert_true (ptl_plot_axis_range (errors, G_N_ELEMENTS (errors), TRUE, &low, &high));
  g_assert_cmpfloat_with_epsilon (low, 1e-3, 1e-15);
  g_assert_cmpfloat_with_epsilon (high, 1.0, 1e-12);
  g_assert_true (ptl_plot_axis_range (errors, G_N_ELEMENTS (errors), FALSE, &low, &high));
  g_assert_cmpfloat (low, <=, -1.0);
  g_assert_cmpfloat (high, >=, 0.2);
  double none[] = { NAN, -1.0 };
  g_assert_false (ptl_plot_axis_range (none, 2, TRUE, &low, &high));

  /* Negative ranges get ticks too, all inside and evenly spaced. */
  n = ptl_plot_axis_ticks (-7.3, -2.1, FALSE, 6, ticks);
  g_assert_cmpuint (n, >=, 2);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (ticks[i], >=, -7.3);
      g_assert_cmpfloat (ticks[i], <=, -2.1);
      g_assert_cmpfloat_with_epsilon (ticks[i], -6.0 + 2.0 * i, 1e-12);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image-data/amplitude", test_amplitude);
  g_test_add_func ("/image-data/phase-ramp", test_phase_ramp);
  g_test_add_func ("/image-data/phase-offset", test_phase_offset);
  g_test_add_func ("/image-data/levels-auto", test_levels_auto);
  g_test_add_func ("/image-data/levels-normalise", test_levels_normalise);
  g_test_add_func ("/image-data/transform", test_transform);
  g_test_add_func ("/image-data/readout", test_readout);
  g_test_add_func ("/image-data/scale-bar", test_scale_bar);
  g_test_add_func ("/image-data/format-length", test_format_length);
  g_test_add_func ("/image-data/coverage", test_coverage);
  g_test_add_func ("/plot/axis", test_plot_axis);
  return g_test_run ();
}
