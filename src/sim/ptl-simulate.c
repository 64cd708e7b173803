#include "config.h"

#include "ptl-sim.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-sim-private.h"

/* Empty canvas pixels around the outermost windows. */
#define CANVAS_MARGIN 8

/* Guards the canvas size arithmetic against absurd jitter or scan extents; the array
 * allocation bound refuses most canvases well before this. */
#define MAX_CANVAS_SIDE 65536.0

/* Below this mean, multiplying uniforms costs few draws; above it, transformed rejection
 * costs about two draws whatever the mean. */
#define POISSON_REJECTION_MIN_MEAN 10.0

/* The random stream of the reported positions' errors (after PtlSimStream and the raw
 * frames' streams). */
#define STREAM_POSITION_ERRORS ((PtlSimStream) 5)

/* Bound of the probe modes a simulation draws. */
#define MAX_PROBE_MODES 16

void
ptl_sim_params_init (PtlSimParams *params)
{
  *params = (PtlSimParams) {
    /* Soft X-rays onto an sCMOS camera: 1 keV (λ = 1.24 nm) at 20 mm on 11 µm pixels gives
     * dx = λz/(Mp) = 17.6 nm for M = 128, a 2.25 µm window. */
    .geometry = {
      .energy_ev = 1000.0,
      .distance = 0.02,
      .detector_pixel = 11e-6,
      .frame_size = 128,
      .bin = 1,
    },
    .mapping = PTL_AXIS_MAPPING_IDENTITY,
    /* Non-periodic, so that the raster-grid ambiguity cannot appear. */
    .pattern = PTL_SCAN_FERMAT,
    .n_frames = 300,
    .overlap = 0.6,
    .jitter = 0.0,
    .position_error = 0.0,
    .probe_modes = 1,
    .mode_ratio = 0.5,
    .probe_model = PTL_PROBE_APERTURE,
    /* A 0.7 µm focus is 40 px, 0.31 of the window: the patterns are oversampled 3 times. */
    .probe_diameter = 0.7e-6,
    /* The sample sits 40 µm behind the focus, as in most soft X-ray ptychography: the
     * beam is a 0.7 µm disc with a curved, ringed phase (NA 8.6e-3, focus 0.18 µm), so
     * the overlap is that of the whole disc, not only of a small focal spot. */
    .defocus = 40e-6,
    /* PtyPy's moonflower value: bright-field counts reach 1e6–1e7 per pixel. */
    .photons = 1e8,
    .poisson = TRUE,
    /* Below π, so that the phase of the truth needs no unwrapping. */
    .max_phase = 1.0,
    .object_image = NULL,
    .seed = 1,
  };
}

void
ptl_sim_params_clear (PtlSimParams *params)
{
  g_clear_pointer (&params->object_image, g_free);
}

gboolean
ptl_sim_params_validate (const PtlSimParams *params,
                         GError            **error)
{
  if (!_ptl_sim_check_probe (params, error) || !ptl_axis_mapping_validate (&params->mapping, error))
    return FALSE;
  if ((guint) params->pattern > PTL_SCAN_FERMAT)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown scan pattern %d (known: raster, snake, round, fermat)",
                   params->pattern);
      return FALSE;
    }
  if (params->n_frames == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A simulated scan needs at least one frame (got %u)", params->n_frames);
      return FALSE;
    }
  if (!(params->overlap > 0.0 && params->overlap < 1.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Overlap must lie strictly between 0 and 1 (got %g)", params->overlap);
      return FALSE;
    }
  if (!(params->jitter >= 0.0 && isfinite (params->jitter)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Position jitter must be zero or positive (got %g m)", params->jitter);
      return FALSE;
    }
  if (!(params->position_error >= 0.0 && isfinite (params->position_error)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Position error must be zero or positive (got %g m)", params->position_error);
      return FALSE;
    }
  if (params->probe_modes > MAX_PROBE_MODES
      || !(params->mode_ratio > 0.0 && params->mode_ratio <= 1.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A partially coherent beam has at most %u modes, each weaker than the one "
                   "before by a ratio in (0, 1] (got %u modes, ratio %g)",
                   MAX_PROBE_MODES, params->probe_modes, params->mode_ratio);
      return FALSE;
    }
  if (!(params->max_phase >= 0.0 && isfinite (params->max_phase)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Object phase range must be zero or positive (got %g rad)", params->max_phase);
      return FALSE;
    }
  return TRUE;
}

static gpointer
make_planner_thread_safe (gpointer data)
{
  fftwf_make_planner_thread_safe ();
  return NULL;
}

fftwf_plan
_ptl_sim_fft_plan (guint m,
                   int   sign)
{
  static GOnce planner_once = G_ONCE_INIT;
  static GMutex lock;
  /* (m, sign) → plan, kept for the life of the process: a handful of sizes at most. */
  static GHashTable *plans;

  g_once (&planner_once, make_planner_thread_safe, NULL);

  g_autoptr (GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&lock);
  if (plans == NULL)
    plans = g_hash_table_new (NULL, NULL);

  gpointer key = GUINT_TO_POINTER (2 * m + (sign == FFTW_BACKWARD));
  fftwf_plan plan = g_hash_table_lookup (plans, key);
  if (plan == NULL)
    {
      /* FFTW_ESTIMATE leaves the arrays untouched; they only fix the alignment. */
      fftwf_complex *in = fftwf_alloc_complex ((gsize) m * m);
      fftwf_complex *out = fftwf_alloc_complex ((gsize) m * m);
      plan = fftwf_plan_dft_2d ((int) m, (int) m, in, out, sign, FFTW_ESTIMATE);
      fftwf_free (in);
      fftwf_free (out);
      g_assert (plan != NULL);
      g_hash_table_insert (plans, key, plan);
    }
  return plan;
}

/* One pattern through caller-owned work arrays (fftwf_malloc'd, so the plan's alignment
 * holds): exit wave, unnormalised DFT, then |·|²/M² written with the zero frequency moved
 * to (M/2, M/2). */
static void
forward_into (fftwf_plan      plan,
              const PtlArray *probe,
              const PtlArray *object,
              guint           row,
              guint           col,
              fftwf_complex  *wave,
              fftwf_complex  *spectrum,
              float          *intensity)
{
  guint m = ptl_array_rows (probe);
  guint modes = probe->ndim == 3 ? (guint) probe->shape[0] : 1;
  gsize stride = ptl_array_cols (object), n = (gsize) m * m;
  const ptl_complex *o = ptl_array_complex (object) + (gsize) row * stride + col;
  float scale = 1.0f / ((float) m * (float) m);

  /* Modes add incoherently: the intensities of their patterns sum. */
  for (gsize i = 0; i < n; i++)
    intensity[i] = 0.0f;
  for (guint k = 0; k < modes; k++)
    {
      const ptl_complex *p = ptl_array_complex (probe) + k * n;
      for (guint y = 0; y < m; y++)
        for (guint x = 0; x < m; x++)
          wave[(gsize) y * m + x] = p[(gsize) y * m + x] * o[(gsize) y * stride + x];
      fftwf_execute_dft (plan, wave, spectrum);
      for (guint y = 0; y < m; y++)
        for (guint x = 0; x < m; x++)
          {
            ptl_complex v = spectrum[(gsize) y * m + x];
            intensity[(gsize) ((y + m / 2) % m) * m + (x + m / 2) % m]
              += (crealf (v) * crealf (v) + cimagf (v) * cimagf (v)) * scale;
          }
    }
}

void
ptl_sim_forward (const PtlArray *probe,
                 const PtlArray *object,
                 guint           row,
                 guint           col,
                 float          *intensity)
{
  g_return_if_fail (probe != NULL && probe->dtype == PTL_DTYPE_COMPLEX && probe->ndim == 2);
  g_return_if_fail (ptl_array_rows (probe) == ptl_array_cols (probe));
  g_return_if_fail (object != NULL && object->dtype == PTL_DTYPE_COMPLEX && object->ndim == 2);
  g_return_if_fail ((gsize) row + ptl_array_rows (probe) <= ptl_array_rows (object));
  g_return_if_fail ((gsize) col + ptl_array_cols (probe) <= ptl_array_cols (object));
  g_return_if_fail (intensity != NULL);

  guint m = ptl_array_rows (probe);
  fftwf_complex *wave = fftwf_alloc_complex ((gsize) m * m);
  fftwf_complex *spectrum = fftwf_alloc_complex ((gsize) m * m);

  forward_into (_ptl_sim_fft_plan (m, FFTW_FORWARD), probe, object, row, col, wave, spectrum,
                intensity);
  fftwf_free (wave);
  fftwf_free (spectrum);
}

/* Exact Poisson deviates for any mean. Small means count uniforms until their product
 * falls below e^−mean (Knuth); larger ones use Hörmann's transformed rejection with squeeze
 * (PTRS, Insurance: Math. Econ. 12, 39, 1993), the algorithm numpy uses. */
double
_ptl_sim_poisson (GRand *rand,
                  double mean)
{
  if (!(mean > 0.0))
    return 0.0;

  if (mean < POISSON_REJECTION_MIN_MEAN)
    {
      double limit = exp (-mean), product = g_rand_double (rand), k = 0.0;
      while (product > limit)
        {
          k += 1.0;
          product *= g_rand_double (rand);
        }
      return k;
    }

  double sqrt_mean = sqrt (mean), log_mean = log (mean);
  double b = 0.931 + 2.53 * sqrt_mean;
  double a = -0.059 + 0.02483 * b;
  double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  double v_r = 0.9277 - 3.6224 / (b - 2.0);

  for (;;)
    {
      double u = g_rand_double (rand) - 0.5, v = g_rand_double (rand);
      double us = 0.5 - fabs (u);
      double k = floor ((2.0 * a / us + b) * u + mean + 0.43);

      if (us >= 0.07 && v <= v_r)
        return k;
      if (k < 0.0 || (us < 0.013 && v > us))
        continue;
      if (log (v) + log (inv_alpha) - log (a / (us * us) + b)
          <= -mean + k * log_mean - lgamma (k + 1.0))
        return k;
    }
}

/* The forward model places windows at whole pixels. Rounding the corners, and moving the
 * stage translations by the same amounts, keeps the stored positions, translations and
 * patterns consistent with each other. */
static void
snap_to_pixels (PtlScanData *scan)
{
  double dx = ptl_geometry_pixel_size (&scan->geometry);

  for (guint i = 0; i < scan->n_frames; i++)
    {
      double *corner = scan->positions + 2 * i;
      double row = round (corner[0]), col = round (corner[1]);
      double shift_x, shift_y;

      ptl_axis_mapping_to_stage (&scan->mapping, dx, row - corner[0], col - corner[1],
                                 &shift_x, &shift_y);
      scan->translation[2 * i] += shift_x;
      scan->translation[2 * i + 1] += shift_y;
      corner[0] = row;
      corner[1] = col;
    }
}

/* Reported positions off the true ones by Gaussian errors (kept on the canvas, as a
 * scan file's canvas would hold them); the translations move with them. */
static void
add_position_errors (PtlScanData        *scan,
                     const PtlSimParams *params)
{
  g_autoptr (GRand) rand = _ptl_sim_rand_new (params->seed, STREAM_POSITION_ERRORS);
  double dx = ptl_geometry_pixel_size (&scan->geometry);
  double sigma = params->position_error / dx;
  guint m = scan->geometry.frame_size;

  for (guint i = 0; i < scan->n_frames; i++)
    {
      double *corner = scan->positions + 2 * i;
      double row = CLAMP (corner[0] + sigma * _ptl_sim_normal (rand), 0.0,
                          (double) (scan->canvas_rows - m));
      double col = CLAMP (corner[1] + sigma * _ptl_sim_normal (rand), 0.0,
                          (double) (scan->canvas_cols - m));
      double shift_x, shift_y;

      ptl_axis_mapping_to_stage (&scan->mapping, dx, row - corner[0], col - corner[1], &shift_x,
                                 &shift_y);
      scan->translation[2 * i] += shift_x;
      scan->translation[2 * i + 1] += shift_y;
      corner[0] = row;
      corner[1] = col;
    }
}

static gboolean
check_extent (const double *xy,
              guint         n,
              double        dx,
              GError      **error)
{
  double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;

  for (guint i = 0; i < n; i++)
    {
      min_x = MIN (min_x, xy[2 * i]);
      max_x = MAX (max_x, xy[2 * i]);
      min_y = MIN (min_y, xy[2 * i + 1]);
      max_y = MAX (max_y, xy[2 * i + 1]);
    }
  if ((max_x - min_x) / dx > MAX_CANVAS_SIDE || (max_y - min_y) / dx > MAX_CANVAS_SIDE)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "The scan spans %.0f×%.0f pixels of %.4g m, more than an object canvas holds",
                   (max_x - min_x) / dx, (max_y - min_y) / dx, dx);
      return FALSE;
    }
  return TRUE;
}

PtlScanData *
ptl_simulate_scan (const PtlSimParams *params,
                   PtlArray          **object_truth,
                   PtlArray          **probe_truth,
                   GError            **error)
{
  g_autofree double *xy = NULL;
  g_autoptr (PtlScanData) scan = NULL;
  g_autoptr (PtlArray) object = NULL;
  g_autoptr (PtlArray) probe = NULL;
  g_autoptr (GRand) noise = NULL;

  if (!ptl_sim_params_validate (params, error))
    return NULL;

  guint m = params->geometry.frame_size;
  double dx = ptl_geometry_pixel_size (&params->geometry);
  double step = (1.0 - params->overlap) * params->probe_diameter;

  xy = ptl_scan_pattern_positions (params->pattern, params->n_frames, step, params->jitter,
                                   params->seed, error);
  if (xy == NULL || !check_extent (xy, params->n_frames, dx, error))
    return NULL;
  scan = ptl_scan_data_new (&params->geometry, &params->mapping, params->n_frames, error);
  if (scan == NULL)
    return NULL;

  /* The stage reports in its own units (metres when the mapping's scale is 1). */
  for (gsize i = 0; i < 2 * (gsize) params->n_frames; i++)
    scan->translation[i] = xy[i] / params->mapping.scale;
  ptl_scan_data_place_on_canvas (scan, CANVAS_MARGIN);
  snap_to_pixels (scan);

  if (params->object_image != NULL)
    object = ptl_sim_object_from_image (params->object_image, scan->canvas_rows,
                                        scan->canvas_cols, params->max_phase, error);
  else
    object = ptl_sim_test_object (scan->canvas_rows, scan->canvas_cols, params->max_phase, error);
  if (object == NULL)
    return NULL;
  probe = params->probe_modes > 1 ? ptl_sim_probe_modes (params, error)
                                   : ptl_sim_probe (params, error);
  if (probe == NULL)
    return NULL;

  fftwf_plan plan = _ptl_sim_fft_plan (m, FFTW_FORWARD);
  fftwf_complex *wave = fftwf_alloc_complex ((gsize) m * m);
  fftwf_complex *spectrum = fftwf_alloc_complex ((gsize) m * m);
  float *intensity = ptl_array_float (scan->intensity);

  if (params->poisson)
    noise = _ptl_sim_rand_new (params->seed, PTL_SIM_STREAM_NOISE);
  for (guint j = 0; j < scan->n_frames; j++)
    {
      float *frame = intensity + (gsize) j * m * m;
      forward_into (plan, probe, object, (guint) scan->positions[2 * j],
                    (guint) scan->positions[2 * j + 1], wave, spectrum, frame);
      if (noise != NULL)
        for (gsize k = 0; k < (gsize) m * m; k++)
          frame[k] = (float) _ptl_sim_poisson (noise, frame[k]);
    }
  fftwf_free (wave);
  fftwf_free (spectrum);
  if (params->position_error > 0.0)
    add_position_errors (scan, params);

  /* scan->mask stays NULL: a simulated detector measures every pixel. */
  if (object_truth != NULL)
    *object_truth = g_steal_pointer (&object);
  if (probe_truth != NULL)
    *probe_truth = g_steal_pointer (&probe);
  return g_steal_pointer (&scan);
}
