/* Reconstruction parameters: a plain value type, copied whole when it travels between
 * threads so that nobody shares mutable state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PTL_ALGORITHM_EPIE,
  PTL_ALGORITHM_RPIE
} PtlAlgorithm;

typedef enum
{
  PTL_PROBE_INIT_MEAN_PATTERN, /* F^-1 of sqrt(mean measured pattern), scaled to the photon count */
  PTL_PROBE_INIT_MODEL         /* a probe supplied by the caller (a model or a previous result) */
} PtlProbeInit;

typedef struct
{
  PtlAlgorithm algorithm;
  guint        iterations;         /* full sweeps over all frames */
  double       alpha;              /* object step (ePIE) or object regularisation weight (rPIE) */
  double       beta;               /* probe step (ePIE) or probe regularisation weight (rPIE) */
  guint        probe_update_start; /* first iteration (0-based) that updates the probe */
  PtlProbeInit probe_init;
  guint64      seed;               /* random visiting order of each sweep */
} PtlReconParams;

void         ptl_recon_params_init (PtlReconParams *params);
gboolean     ptl_recon_params_validate (const PtlReconParams *params,
                                        GError              **error);
const char  *ptl_algorithm_to_string (PtlAlgorithm algorithm);
gboolean     ptl_algorithm_from_string (const char   *text,
                                        PtlAlgorithm *algorithm,
                                        GError      **error);

G_END_DECLS
