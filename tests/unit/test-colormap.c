#include "config.h"

#include <math.h>

#include "gui/ptl-colormap.h"

/* Entries of matplotlib's published tables (_cm_listed.py), including ones between the
 * knots the tables are rebuilt from. */
typedef struct
{
  guint  index;
  double rgb[3];
} Entry;

static const Entry viridis_published[] = {
  {   0, { 0.267004, 0.004874, 0.329415 } },
  { 100, { 0.166617, 0.463708, 0.558119 } },
  { 140, { 0.119423, 0.611141, 0.538982 } },
  { 180, { 0.274149, 0.751988, 0.436601 } },
  { 250, { 0.945636, 0.899815, 0.112838 } },
  { 255, { 0.993248, 0.906157, 0.143936 } },
};

static const Entry cividis_published[] = {
  {   0, { 0.000000, 0.135112, 0.304751 } },
  {  21, { 0.000000, 0.190950, 0.441085 } },
  {  26, { 0.046205, 0.203903, 0.440196 } },
  { 100, { 0.394568, 0.406236, 0.438986 } },
  { 190, { 0.728334, 0.674107, 0.427554 } },
  { 253, { 0.995249, 0.898384, 0.207561 } },
  { 255, { 0.995737, 0.909344, 0.217772 } },
};

static void
check_published (PtlColormap  map,
                 const Entry *entries,
                 gsize        n)
{
  const guint8 *lut = ptl_colormap_lut (map);

  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      {
        int expected = (int) lround (entries[i].rgb[c] * 255.0);

        g_assert_cmpint (abs (lut[4 * entries[i].index + c] - expected), <=, 1);
        g_assert_cmpint (lut[4 * entries[i].index + 3], ==, 255);
      }
}

static void
test_viridis (void)
{
  double rgb[3];

  check_published (PTL_COLORMAP_VIRIDIS, viridis_published, G_N_ELEMENTS (viridis_published));
  /* The endpoints are the published values themselves. */
  ptl_colormap_sample (PTL_COLORMAP_VIRIDIS, 0.0, rgb);
  g_assert_cmpfloat_with_epsilon (rgb[0], 0.267004, 1e-6);
  g_assert_cmpfloat_with_epsilon (rgb[2], 0.329415, 1e-6);
  ptl_colormap_sample (PTL_COLORMAP_VIRIDIS, 1.0, rgb);
  g_assert_cmpfloat_with_epsilon (rgb[0], 0.993248, 1e-6);
  g_assert_cmpfloat_with_epsilon (rgb[1], 0.906157, 1e-6);
  g_assert_cmpfloat_with_epsilon (rgb[2], 0.143936, 1e-6);
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_VIRIDIS);
  g_assert_cmpint (lut[0], ==, 68);
  g_assert_cmpint (lut[1], ==, 1);
  g_assert_cmpint (lut[2], ==, 84);
  g_assert_cmpint (lut[4 * 255], ==, 253);
  g_assert_cmpint (lut[4 * 255 + 1], ==, 231);
  g_assert_cmpint (lut[4 * 255 + 2], ==, 37);
}

static void
test_cividis (void)
{
  check_published (PTL_COLORMAP_CIVIDIS, cividis_published, G_N_ELEMENTS (cividis_published));
}

static void
test_grey (void)
{
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_GREY);

  for (int i = 0; i < PTL_COLORMAP_SIZE; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (lut[4 * i + c], ==, i);
}

static double
luminance (const guint8 *rgb)
{
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

static void
test_twilight_cyclic (void)
{
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_TWILIGHT);

  /* −π and π meet. */
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (abs (lut[c] - lut[4 * 255 + c]), <=, 1);
  /* Light at the ends, dark in the middle, and monotone between (allowing the rounding
   * of each channel to bytes). */
  g_assert_cmpfloat (luminance (lut), >, 200);
  g_assert_cmpfloat (luminance (lut + 4 * 128), <, 70);
  for (int i = 1; i < PTL_COLORMAP_SIZE; i++)
    {
      double step = luminance (lut + 4 * i) - luminance (lut + 4 * (i - 1));

      if (i <= 127)
        g_assert_cmpfloat (step, <=, 1.0);
      else if (i >= 129)
        g_assert_cmpfloat (step, >=, -1.0);
      /* No jumps: neighbouring entries look alike. */
      for (int c = 0; c < 3; c++)
        g_assert_cmpint (abs (lut[4 * i + c] - lut[4 * (i - 1) + c]), <=, 6);
    }
  /* The two halves are told apart by hue: blue before the middle, red after. */
  g_assert_cmpint (lut[4 * 64 + 2], >, lut[4 * 64 + 0] + 30);
  g_assert_cmpint (lut[4 * 192 + 0], >, lut[4 * 192 + 2] + 30);
}

/* The textbook sector form of HSV → RGB, as an independent reference. */
static void
reference_hsv (double h,
               double s,
               double v,
               double rgb[3])
{
  h = fmod (h, 1.0);
  if (h < 0)
    h += 1.0;
  double sector = h * 6.0;
  int    i = (int) floor (sector) % 6;
  double f = sector - floor (sector);
  double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  const double table[6][3] = {
    { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q },
  };

  for (int c = 0; c < 3; c++)
    rgb[c] = table[i][c];
}

static void
test_complex_hsv (void)
{
  static const struct { float phase; guint8 rgb[3]; } primaries[] = {
    { 0.0f, { 255, 0, 0 } },
    { (float) (G_PI / 3), { 255, 255, 0 } },
    { (float) (2 * G_PI / 3), { 0, 255, 0 } },
    { (float) G_PI, { 0, 255, 255 } },
    { (float) (-2 * G_PI / 3), { 0, 0, 255 } },
    { (float) (-G_PI / 3), { 255, 0, 255 } },
  };
  guint8 rgba[4];

  for (gsize i = 0; i < G_N_ELEMENTS (primaries); i++)
    {
      ptl_colormap_complex_rgba (1.0f, primaries[i].phase, rgba);
      for (int c = 0; c < 3; c++)
        g_assert_cmpint (abs (rgba[c] - primaries[i].rgb[c]), <=, 1);
      g_assert_cmpint (rgba[3], ==, 255);
    }

  /* Any phase and amplitude against the reference; amplitude 0 is black. */
  for (int k = 0; k < 200; k++)
    {
      double phase = -G_PI + 2 * G_PI * k / 199.0 + 0.001;
      double t = (k % 7) / 6.0;
      double expected[3];

      ptl_colormap_complex_rgba ((float) t, (float) phase, rgba);
      reference_hsv (phase / (2 * G_PI), 1.0, t, expected);
      for (int c = 0; c < 3; c++)
        g_assert_cmpint (abs (rgba[c] - (int) lround (expected[c] * 255)), <=, 1);
    }
  ptl_colormap_complex_rgba (0.0f, 1.0f, rgba);
  g_assert_cmpint (rgba[0] + rgba[1] + rgba[2], ==, 0);
  ptl_colormap_complex_rgba (NAN, 1.0f, rgba);
  g_assert_cmpint (rgba[0] + rgba[1] + rgba[2], ==, 0);
}

static void
test_index_and_names (void)
{
  PtlColormap map = PTL_COLORMAP_GREY;

  g_assert_cmpuint (ptl_colormap_index (0.0f), ==, 0);
  g_assert_cmpuint (ptl_colormap_index (0.5f), ==, 128);
  g_assert_cmpuint (ptl_colormap_index (1.0f), ==, 255);
  g_assert_cmpuint (ptl_colormap_index (-3.0f), ==, 0);
  g_assert_cmpuint (ptl_colormap_index (7.0f), ==, 255);
  g_assert_cmpuint (ptl_colormap_index (NAN), ==, 0);
  for (int m = 0; m < PTL_COLORMAP_N; m++)
    {
      g_assert_true (ptl_colormap_from_string (ptl_colormap_to_string (m), &map));
      g_assert_cmpint (map, ==, m);
    }
  g_assert_true (ptl_colormap_from_string ("Viridis", &map));
  g_assert_cmpint (map, ==, PTL_COLORMAP_VIRIDIS);
  g_assert_false (ptl_colormap_from_string ("jet", &map));
  g_assert_false (ptl_colormap_from_string (NULL, &map));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/colormap/viridis", test_viridis);
  g_test_add_func ("/colormap/cividis", test_cividis);
  g_test_add_func ("/colormap/grey", test_grey);
  g_test_add_func ("/colormap/twilight-cyclic", test_twilight_cyclic);
  g_test_add_func ("/colormap/complex-hsv", test_complex_hsv);
  g_test_add_func ("/colormap/index-and-names", test_index_and_names);
  return g_test_run ();
}
