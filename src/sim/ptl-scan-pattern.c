#include "config.h"

#include "ptl-sim.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-sim-private.h"

/* Same bound as a scan's frame count: the positions array stays well below a gigabyte. */
#define MAX_POSITIONS 10000000u

#define GOLDEN_ANGLE_DEG 137.508

/* Mean nearest-neighbour distance of the golden-angle spiral r = c·sqrt(k), measured for
 * 50 to 5000 points: 1.64c to 1.71c (hexagonal packing of the same density, one point per
 * πc², would give 1.90c; the spiral's neighbours sit closer along its parastichies). So
 * c = step / 1.68 ≈ 1.06 · step / sqrt(π) makes the mean spacing the requested step. */
#define FERMAT_SPACING_PER_C 1.68

static const char *const pattern_names[] = {
  [PTL_SCAN_RASTER] = "raster",
  [PTL_SCAN_SNAKE] = "snake",
  [PTL_SCAN_ROUND] = "round",
  [PTL_SCAN_FERMAT] = "fermat",
};

const char *
ptl_scan_pattern_to_string (PtlScanPattern pattern)
{
  g_return_val_if_fail ((guint) pattern < G_N_ELEMENTS (pattern_names), "unknown");
  return pattern_names[pattern];
}

gboolean
ptl_scan_pattern_from_string (const char     *text,
                              PtlScanPattern *pattern,
                              GError        **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (pattern_names); i++)
    if (g_ascii_strcasecmp (text, pattern_names[i]) == 0)
      {
        *pattern = i;
        return TRUE;
      }
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "Unknown scan pattern “%s” (known: raster, snake, round, fermat)", text);
  return FALSE;
}

GRand *
_ptl_sim_rand_new (guint64      seed,
                   PtlSimStream stream)
{
  guint32 words[] = { (guint32) seed, (guint32) (seed >> 32), stream };

  return g_rand_new_with_seed_array (words, G_N_ELEMENTS (words));
}

/* Marsaglia's polar method: exact standard normal deviates from uniform ones. */
double
_ptl_sim_normal (GRand *rand)
{
  double u, v, s;

  do
    {
      u = 2.0 * g_rand_double (rand) - 1.0;
      v = 2.0 * g_rand_double (rand) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  return u * sqrt (-2.0 * log (s) / s);
}

/* A near-square grid of ceil(sqrt(n)) columns, its bounding box centred on the origin;
 * the last row may be partial. */
static void
fill_grid (double  *xy,
           guint    n,
           double   step,
           gboolean snake)
{
  guint cols = (guint) ceil (sqrt ((double) n));
  guint rows = (n + cols - 1) / cols;

  for (guint i = 0; i < n; i++)
    {
      guint row = i / cols, col = i % cols;
      if (snake && row % 2 == 1)
        col = cols - 1 - col;
      xy[2 * i] = (col - 0.5 * (cols - 1)) * step;
      xy[2 * i + 1] = (row - 0.5 * (rows - 1)) * step;
    }
}

/* PtyPy's concentric rings: the centre, then ring i at radius i·step with 5·i points at
 * angles 2πt/(5i), as many rings as it takes to reach n points. */
static void
fill_round (double *xy,
            guint   n,
            double  step)
{
  guint k = 1;

  xy[0] = xy[1] = 0.0;
  for (guint ring = 1; k < n; ring++)
    for (guint t = 0; t < 5 * ring && k < n; t++, k++)
      {
        double angle = 2.0 * G_PI * t / (5.0 * ring);
        xy[2 * k] = ring * step * cos (angle);
        xy[2 * k + 1] = ring * step * sin (angle);
      }
}

/* Fermat spiral from the centre outwards: point k at radius c·sqrt(k), angle k times the
 * golden angle, which fills the disc evenly without any periodic structure. */
static void
fill_fermat (double *xy,
             guint   n,
             double  step)
{
  double c = step / FERMAT_SPACING_PER_C;
  double golden = GOLDEN_ANGLE_DEG * G_PI / 180.0;

  for (guint k = 0; k < n; k++)
    {
      double r = c * sqrt ((double) k), angle = k * golden;
      xy[2 * k] = r * cos (angle);
      xy[2 * k + 1] = r * sin (angle);
    }
}

double *
ptl_scan_pattern_positions (PtlScanPattern pattern,
                            guint          n,
                            double         step,
                            double         jitter,
                            guint64        seed,
                            GError       **error)
{
  if ((guint) pattern >= G_N_ELEMENTS (pattern_names))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown scan pattern %d (known: raster, snake, round, fermat)", pattern);
      return NULL;
    }
  if (n == 0 || n > MAX_POSITIONS)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A scan pattern has 1 to %u points (got %u)", MAX_POSITIONS, n);
      return NULL;
    }
  if (!(step > 0.0 && isfinite (step)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Scan step must be positive (got %g m)", step);
      return NULL;
    }
  if (!(jitter >= 0.0 && isfinite (jitter)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Position jitter must be zero or positive (got %g m)", jitter);
      return NULL;
    }

  double *xy = g_new (double, 2 * (gsize) n);
  switch (pattern)
    {
    case PTL_SCAN_RASTER:
    case PTL_SCAN_SNAKE:
      fill_grid (xy, n, step, pattern == PTL_SCAN_SNAKE);
      break;
    case PTL_SCAN_ROUND:
      fill_round (xy, n, step);
      break;
    case PTL_SCAN_FERMAT:
      fill_fermat (xy, n, step);
      break;
    default:
      g_assert_not_reached ();
    }

  /* Independent Gaussian errors on each axis, rms `jitter`, as a stage's repeatability. */
  if (jitter > 0.0)
    {
      g_autoptr (GRand) rand = _ptl_sim_rand_new (seed, PTL_SIM_STREAM_POSITIONS);
      for (gsize i = 0; i < 2 * (gsize) n; i++)
        xy[i] += jitter * _ptl_sim_normal (rand);
    }
  return xy;
}
