/* Object and probe before the first iteration: free space for the object, and a probe
 * either supplied (a model or a previous result) or found from the data alone. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-probe-init.h"

/* Free space: |O| = 1, flat phase, everywhere the scan may reach. */
gboolean
_ptl_engine_fill_free_space (PtlEngine *engine,
                             PtlBuffer *canvas,
                             GError   **error)
{
  g_autofree ptl_complex *ones = g_new (ptl_complex, engine->canvas_cols);

  for (guint c = 0; c < engine->canvas_cols; c++)
    ones[c] = 1.0f;
  for (guint r = 0; r < engine->canvas_rows; r++)
    if (!ptl_backend_upload (engine->backend, canvas,
                             (gsize) r * engine->canvas_cols * sizeof (ptl_complex), ones,
                             engine->canvas_cols * sizeof (ptl_complex), error))
      return FALSE;
  return TRUE;
}

/* One mode [M][M] or K modes [K][M][M]; a single mode gains the engine's extra modes. */
static gboolean
upload_probe (PtlEngine      *engine,
              const PtlArray *probe,
              GError        **error)
{
  g_autoptr (PtlArray) modes = NULL;

  if (probe->ndim == 3 && probe->shape[0] == engine->n_modes)
    return ptl_backend_upload (engine->backend, engine->probe, 0, probe->data,
                               ptl_array_bytes (probe), error);
  modes = _ptl_engine_modes_from_probe (probe, engine->n_modes);
  return ptl_backend_upload (engine->backend, engine->probe, 0, modes->data,
                             ptl_array_bytes (modes), error);
}

/* How well a candidate probe explains the first frames: the Fourier error after a few
 * object-only sweeps from free space. The first frames of a scan lie close together, so
 * they overlap and constrain the probe as the whole scan would. */
#define SEARCH_FRAMES 64
#define SEARCH_SWEEPS 8

static gboolean
candidate_error (PtlEngine      *engine,
                 const PtlPupil *pupil,
                 gboolean        bright_field_only,
                 double          defocus,
                 double         *error_value,
                 GError        **error)
{
  g_autoptr (PtlArray) probe = ptl_pupil_probe (pupil, bright_field_only, defocus);
  guint n = MIN (engine->n_frames, SEARCH_FRAMES);

  if (!upload_probe (engine, probe, error)
      || !_ptl_engine_fill_free_space (engine, engine->object, error))
    return FALSE;
  for (guint s = 0; s < SEARCH_SWEEPS; s++)
    if (!_ptl_engine_pie_sweep (engine, n, FALSE, error_value, error))
      return FALSE;
  return TRUE;
}

/* The probe from the data alone: the bright field of the mean pattern is the pupil, and
 * the defocus that turns it into the beam at the sample is found by a coarse scan over
 * the defocus range the window allows, refined twice around the best value. Without
 * it a defocused beam is started as a small focal spot, and PIE stagnates. A beam
 * without a sharp pupil (a Gaussian) is better described by the whole mean pattern at
 * focus, which is tried first. */
#define SEARCH_COARSE_STEPS 8 /* each side of focus */

static gboolean
probe_from_data (PtlEngine         *engine,
                 const PtlScanData *scan,
                 GError           **error)
{
  g_autoptr (PtlPupil) pupil = ptl_pupil_from_scan (scan);
  double step = pupil->max_defocus / SEARCH_COARSE_STEPS;
  double best = 0.0, best_error, value;
  gboolean bright_field_only = FALSE;

  if (!candidate_error (engine, pupil, FALSE, 0.0, &best_error, error))
    return FALSE;
  for (int k = -SEARCH_COARSE_STEPS; k <= SEARCH_COARSE_STEPS; k++)
    {
      if (!candidate_error (engine, pupil, TRUE, k * step, &value, error))
        return FALSE;
      if (value < best_error)
        best_error = value, best = k * step, bright_field_only = TRUE;
    }
  for (guint round = 0; bright_field_only && round < 2; round++)
    {
      double centre = best;
      step /= 3.0;
      for (int k = -1; k <= 1; k += 2)
        {
          if (!candidate_error (engine, pupil, TRUE, centre + k * step, &value, error))
            return FALSE;
          if (value < best_error)
            best_error = value, best = centre + k * step;
        }
    }

  engine->estimated_defocus = best;
  g_autoptr (PtlArray) probe = ptl_pupil_probe (pupil, bright_field_only, best);
  return upload_probe (engine, probe, error);
}

gboolean
_ptl_engine_init_object_and_probe (PtlEngine         *engine,
                                   const PtlScanData *scan,
                                   const PtlArray    *model_probe,
                                   GError           **error)
{
  if (engine->params.probe_init == PTL_PROBE_INIT_MODEL)
    {
      guint m = engine->m;
      if (model_probe == NULL || model_probe->dtype != PTL_DTYPE_COMPLEX
          || (model_probe->ndim != 2 && model_probe->ndim != 3)
          || ptl_array_rows (model_probe) != m || ptl_array_cols (model_probe) != m)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "A model probe of %u×%u complex values is required", m, m);
          return FALSE;
        }
      if (!upload_probe (engine, model_probe, error))
        return FALSE;
    }
  else if (!probe_from_data (engine, scan, error))
    return FALSE;

  return _ptl_engine_fill_free_space (engine, engine->object, error);
}
