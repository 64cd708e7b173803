#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim.h"

#define STEP 1.5e-7

static double *
positions (PtlScanPattern pattern,
           guint          n,
           double         jitter,
           guint64        seed)
{
  g_autoptr (GError) error = NULL;
  double *xy = ptl_scan_pattern_positions (pattern, n, STEP, jitter, seed, &error);

  g_assert_no_error (error);
  g_assert_nonnull (xy);
  return xy;
}

static double
nearest_neighbour (const double *xy,
                   guint         n,
                   guint         i)
{
  double best = INFINITY;

  for (guint j = 0; j < n; j++)
    if (j != i)
      best = MIN (best, hypot (xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]));
  return best;
}

/* Every point is finite and no two coincide (the closest pair is at least half a step
 * apart without jitter). */
static void
check_distinct (const double *xy,
                guint         n)
{
  for (guint i = 0; i < 2 * n; i++)
    g_assert_true (isfinite (xy[i]));
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat (nearest_neighbour (xy, n, i), >, 0.5 * STEP);
}

static void
check_bbox_centred (const double *xy,
                    guint         n)
{
  double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;

  for (guint i = 0; i < n; i++)
    {
      min_x = MIN (min_x, xy[2 * i]);
      max_x = MAX (max_x, xy[2 * i]);
      min_y = MIN (min_y, xy[2 * i + 1]);
      max_y = MAX (max_y, xy[2 * i + 1]);
    }
  g_assert_cmpfloat (fabs (min_x + max_x), <, 1e-9 * STEP);
  g_assert_cmpfloat (fabs (min_y + max_y), <, 1e-9 * STEP);
}

static void
test_raster (void)
{
  /* 10 points: ceil(sqrt(10)) = 4 columns, 3 rows, the last one partial. */
  g_autofree double *xy = positions (PTL_SCAN_RASTER, 10, 0.0, 1);

  check_distinct (xy, 10);
  check_bbox_centred (xy, 10);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_cmpfloat_with_epsilon (xy[2 * i], ((double) (i % 4) - 1.5) * STEP, 1e-9 * STEP);
      g_assert_cmpfloat_with_epsilon (xy[2 * i + 1], ((double) (i / 4) - 1.0) * STEP, 1e-9 * STEP);
    }
  for (guint n = 1; n <= 50; n += 7)
    {
      g_autofree double *grid = positions (PTL_SCAN_RASTER, n, 0.0, 1);
      check_distinct (grid, n);
      check_bbox_centred (grid, n);
    }
}

static void
test_snake (void)
{
  guint n = 16;
  g_autofree double *xy = positions (PTL_SCAN_SNAKE, n, 0.0, 1);

  check_distinct (xy, n);
  check_bbox_centred (xy, n);
  /* Row 1 runs right to left: its first point sits under the last point of row 0. */
  g_assert_cmpfloat_with_epsilon (xy[2 * 4], 1.5 * STEP, 1e-9 * STEP);
  g_assert_cmpfloat_with_epsilon (xy[2 * 7], -1.5 * STEP, 1e-9 * STEP);
  g_assert_cmpfloat_with_epsilon (xy[2 * 8], -1.5 * STEP, 1e-9 * STEP);
  /* The path never jumps: consecutive points are exactly one step apart. */
  for (guint i = 1; i < n; i++)
    {
      double distance = hypot (xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
      g_assert_cmpfloat_with_epsilon (distance, STEP, 1e-9 * STEP);
    }
}

static void
test_round (void)
{
  guint n = 1 + 5 + 10 + 15 + 7; /* three full rings and part of the fourth */
  g_autofree double *xy = positions (PTL_SCAN_ROUND, n, 0.0, 1);
  guint k = 1;

  check_distinct (xy, n);
  g_assert_cmpfloat (fabs (xy[0]) + fabs (xy[1]), ==, 0.0);
  for (guint ring = 1; k < n; ring++)
    for (guint t = 0; t < 5 * ring && k < n; t++, k++)
      {
        double angle = atan2 (xy[2 * k + 1], xy[2 * k]);
        double expected = 2.0 * G_PI * t / (5.0 * ring);
        g_assert_cmpfloat_with_epsilon (hypot (xy[2 * k], xy[2 * k + 1]), ring * STEP, 1e-9 * STEP);
        g_assert_cmpfloat (fabs (remainder (angle - expected, 2.0 * G_PI)), <, 1e-9);
      }
  g_assert_cmpuint (k, ==, n);
}

static void
test_fermat (void)
{
  static const guint counts[] = { 20, 300, 1500 };

  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      guint n = counts[c];
      g_autofree double *xy = positions (PTL_SCAN_FERMAT, n, 0.0, 1);
      double sum = 0.0, previous_r = -1.0;

      check_distinct (xy, n);
      for (guint i = 0; i < n; i++)
        {
          double r = hypot (xy[2 * i], xy[2 * i + 1]);
          g_assert_cmpfloat (r, >, previous_r);
          previous_r = r;
          sum += nearest_neighbour (xy, n, i);
        }
      g_test_message ("Fermat, %u points: mean nearest neighbour %.3f steps", n, sum / n / STEP);
      g_assert_cmpfloat (fabs (sum / n / STEP - 1.0), <, 0.15);
    }
}

/* The jitter is the difference from the same pattern without it. */
static void
test_jitter (void)
{
  guint n = 2000;
  double jitter = 0.2 * STEP;
  g_autofree double *exact = positions (PTL_SCAN_RASTER, n, 0.0, 3);
  g_autofree double *xy = positions (PTL_SCAN_RASTER, n, jitter, 3);
  double sum[2] = { 0 }, sum2[2] = { 0 };

  for (guint i = 0; i < n; i++)
    for (guint axis = 0; axis < 2; axis++)
      {
        double d = xy[2 * i + axis] - exact[2 * i + axis];
        sum[axis] += d;
        sum2[axis] += d * d;
      }
  for (guint axis = 0; axis < 2; axis++)
    {
      g_assert_cmpfloat (fabs (sqrt (sum2[axis] / n) / jitter - 1.0), <, 0.1);
      g_assert_cmpfloat (fabs (sum[axis] / n), <, 5.0 * jitter / sqrt (n));
    }
}

static void
test_seed (void)
{
  guint n = 100;
  double jitter = 0.1 * STEP;
  g_autofree double *a = positions (PTL_SCAN_FERMAT, n, jitter, 42);
  g_autofree double *b = positions (PTL_SCAN_FERMAT, n, jitter, 42);
  g_autofree double *c = positions (PTL_SCAN_FERMAT, n, jitter, 43);
  g_autofree double *d = positions (PTL_SCAN_FERMAT, n, jitter, 42ull << 32);
  guint differ_c = 0, differ_d = 0;

  g_assert_cmpmem (a, 2 * n * sizeof (double), b, 2 * n * sizeof (double));
  for (guint i = 0; i < 2 * n; i++)
    {
      differ_c += a[i] != c[i];
      differ_d += a[i] != d[i];
    }
  g_assert_cmpuint (differ_c, ==, 2 * n);
  /* The high half of a 64-bit seed counts too. */
  g_assert_cmpuint (differ_d, ==, 2 * n);
}

static void
test_pattern_errors (void)
{
  struct
  {
    PtlScanPattern pattern;
    guint          n;
    double         step;
    double         jitter;
    int            code;
  } cases[] = {
    { PTL_SCAN_RASTER, 0, STEP, 0.0, PTL_PARAM_ERROR_RANGE },
    { PTL_SCAN_ROUND, 10, 0.0, 0.0, PTL_PARAM_ERROR_RANGE },
    { PTL_SCAN_SNAKE, 10, -STEP, 0.0, PTL_PARAM_ERROR_RANGE },
    { PTL_SCAN_FERMAT, 10, NAN, 0.0, PTL_PARAM_ERROR_RANGE },
    { PTL_SCAN_FERMAT, 10, STEP, -1e-9, PTL_PARAM_ERROR_RANGE },
    { PTL_SCAN_FERMAT, 10, STEP, INFINITY, PTL_PARAM_ERROR_RANGE },
    { (PtlScanPattern) 17, 10, STEP, 0.0, PTL_PARAM_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      double *xy = ptl_scan_pattern_positions (cases[i].pattern, cases[i].n, cases[i].step,
                                               cases[i].jitter, 1, &error);
      g_assert_null (xy);
      g_assert_error (error, PTL_PARAM_ERROR, cases[i].code);
    }
}

static void
test_pattern_names (void)
{
  static const PtlScanPattern all[] = {
    PTL_SCAN_RASTER, PTL_SCAN_SNAKE, PTL_SCAN_ROUND, PTL_SCAN_FERMAT
  };
  g_autoptr (GError) error = NULL;
  PtlScanPattern pattern;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      const char *name = ptl_scan_pattern_to_string (all[i]);
      g_assert_true (ptl_scan_pattern_from_string (name, &pattern, &error));
      g_assert_no_error (error);
      g_assert_cmpint (pattern, ==, all[i]);
    }
  g_assert_cmpstr (ptl_scan_pattern_to_string (PTL_SCAN_FERMAT), ==, "fermat");
  g_assert_false (ptl_scan_pattern_from_string ("spiral", &pattern, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "spiral"));
  g_assert_nonnull (strstr (error->message, "fermat"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scan-pattern/raster", test_raster);
  g_test_add_func ("/scan-pattern/snake", test_snake);
  g_test_add_func ("/scan-pattern/round", test_round);
  g_test_add_func ("/scan-pattern/fermat", test_fermat);
  g_test_add_func ("/scan-pattern/jitter", test_jitter);
  g_test_add_func ("/scan-pattern/seed", test_seed);
  g_test_add_func ("/scan-pattern/errors", test_pattern_errors);
  g_test_add_func ("/scan-pattern/names", test_pattern_names);
  return g_test_run ();
}
