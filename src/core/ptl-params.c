#include "config.h"

#include "ptl-params.h"

#include <math.h>

#include "ptl-error.h"

static const char *const algorithm_names[] = {
  [PTL_ALGORITHM_EPIE] = "epie",
  [PTL_ALGORITHM_RPIE] = "rpie",
};

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
  return TRUE;
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
               "Unknown algorithm “%s” (known: epie, rpie)", text);
  return FALSE;
}
