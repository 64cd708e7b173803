#include "config.h"

#include "ptl-params.h"

#include <math.h>

#include "ptl-error.h"

static const char *const algorithm_names[] = {
  [PTL_ALGORITHM_EPIE] = "epie",
  [PTL_ALGORITHM_RPIE] = "rpie",
  [PTL_ALGORITHM_MPIE] = "mpie",
  [PTL_ALGORITHM_DM] = "dm",
  [PTL_ALGORITHM_AP] = "ap",
  [PTL_ALGORITHM_RAAR] = "raar",
  [PTL_ALGORITHM_ML] = "ml",
};

static const char *const noise_names[] = {
  [PTL_ML_NOISE_GAUSSIAN] = "gaussian",
  [PTL_ML_NOISE_POISSON] = "poisson",
};

/* Bounds that keep a typing mistake from exhausting memory or time. */
#define MAX_MODES 16
#define MAX_BATCH 65536

void
ptl_recon_params_init (PtlReconParams *params)
{
  *params = (PtlReconParams) {
    .algorithm = PTL_ALGORITHM_RPIE,
    .iterations = 100,
    .alpha = 0.1,
    .beta = 1.0,
    .probe_update_start = 2,
    .probe_init = PTL_PROBE_INIT_MEAN_PATTERN,
    .seed = 1,
    .n_modes = 1,
    .batch_size = 1,
    /* PtyLab's mPIE values (algorithms.md §3.3). */
    .momentum = 0.7,
    .momentum_step = 0.3,
    .momentum_interval = 0, /* a fraction of the scan: see ptl-engine-pie.c */
    .relax = 0.0, /* each algorithm's own: see ptl_recon_params_fill_defaults */
    .overlap_iterations = 1,
    .ml_noise = PTL_ML_NOISE_GAUSSIAN,
    .refine_positions = FALSE,
    .position_start = 10,
    .position_interval = 2,
    .position_max_shift = 4.0,
  };
}

gboolean
ptl_recon_params_validate (const PtlReconParams *params,
                           GError              **error)
{
  if ((guint) params->algorithm >= G_N_ELEMENTS (algorithm_names))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Unknown algorithm %d",
                   params->algorithm);
      return FALSE;
    }
  if (!(params->alpha > 0.0 && params->alpha <= 1.0) || !(params->beta > 0.0 && params->beta <= 1.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "alpha and beta must lie in (0, 1] (got %g, %g)", params->alpha, params->beta);
      return FALSE;
    }
  if (params->iterations > 1000000)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "At most 1000000 iterations (got %u)", params->iterations);
      return FALSE;
    }
  if (params->n_modes > MAX_MODES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "At most %u probe modes (got %u)", MAX_MODES, params->n_modes);
      return FALSE;
    }
  if (params->batch_size > MAX_BATCH)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The PIE batch holds at most %u frames (got %u)", MAX_BATCH, params->batch_size);
      return FALSE;
    }
  if (!(params->momentum >= 0.0 && params->momentum < 1.0)
      || !(params->momentum_step >= 0.0 && params->momentum_step <= 1.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Momentum must lie in [0, 1) and its step in [0, 1] (got %g, %g)",
                   params->momentum, params->momentum_step);
      return FALSE;
    }
  if (!(params->relax >= 0.0 && params->relax <= 1.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The relaxation must lie in [0, 1] (got %g)", params->relax);
      return FALSE;
    }
  if (params->overlap_iterations > 100)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "At most 100 overlap iterations (got %u)", params->overlap_iterations);
      return FALSE;
    }
  if ((guint) params->ml_noise >= G_N_ELEMENTS (noise_names))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Unknown noise model %d",
                   params->ml_noise);
      return FALSE;
    }
  if (!(params->position_max_shift >= 0.0 && params->position_max_shift <= 1000.0))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The largest position shift must lie in 0…1000 pixels (got %g)",
                   params->position_max_shift);
      return FALSE;
    }
  return TRUE;
}

void
ptl_recon_params_fill_defaults (PtlReconParams *params)
{
  PtlReconParams defaults;

  ptl_recon_params_init (&defaults);
  if (params->n_modes == 0)
    params->n_modes = defaults.n_modes;
  if (params->batch_size == 0)
    params->batch_size = defaults.batch_size;
  if (params->momentum_step == 0.0)
    params->momentum_step = defaults.momentum_step;
  /* Classic DM, and RAAR with PtyPy's β (at 1 it would be DM itself). */
  if (params->relax == 0.0)
    params->relax = params->algorithm == PTL_ALGORITHM_RAAR ? 0.75 : 1.0;
  if (params->overlap_iterations == 0)
    params->overlap_iterations = defaults.overlap_iterations;
  if (params->position_interval == 0)
    params->position_interval = defaults.position_interval;
  if (params->position_max_shift == 0.0)
    params->position_max_shift = defaults.position_max_shift;
}

gboolean
ptl_algorithm_is_pie (PtlAlgorithm algorithm)
{
  return algorithm == PTL_ALGORITHM_EPIE || algorithm == PTL_ALGORITHM_RPIE
         || algorithm == PTL_ALGORITHM_MPIE;
}

const char *
ptl_ml_noise_to_string (PtlMlNoise noise)
{
  g_return_val_if_fail ((guint) noise < G_N_ELEMENTS (noise_names), "unknown");
  return noise_names[noise];
}

gboolean
ptl_ml_noise_from_string (const char *text,
                          PtlMlNoise *noise,
                          GError    **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (noise_names); i++)
    if (g_ascii_strcasecmp (text, noise_names[i]) == 0)
      {
        *noise = i;
        return TRUE;
      }
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "Unknown noise model “%s” (known: gaussian, poisson)", text);
  return FALSE;
}

const char *
ptl_algorithm_to_string (PtlAlgorithm algorithm)
{
  g_return_val_if_fail ((guint) algorithm < G_N_ELEMENTS (algorithm_names), "unknown");
  return algorithm_names[algorithm];
}

gboolean
ptl_algorithm_from_string (const char   *text,
                           PtlAlgorithm *algorithm,
                           GError      **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (algorithm_names); i++)
    if (g_ascii_strcasecmp (text, algorithm_names[i]) == 0)
      {
        *algorithm = i;
        return TRUE;
      }
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "Unknown algorithm “%s” (known: epie, rpie, mpie, dm, ap, raar, ml)", text);
  return FALSE;
}
