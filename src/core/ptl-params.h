/* Reconstruction parameters: a plain value type, copied whole when it travels between
 * threads so that nobody shares mutable state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PTL_ALGORITHM_EPIE,
  PTL_ALGORITHM_RPIE,
  PTL_ALGORITHM_MPIE, /* rPIE with momentum (algorithms.md §3.3) */
  PTL_ALGORITHM_DM,   /* difference map with probe refinement (§3.4) */
  PTL_ALGORITHM_AP,   /* alternating projections (error reduction) */
  PTL_ALGORITHM_RAAR, /* relaxed averaged alternating reflections, β = relax */
  PTL_ALGORITHM_ML    /* maximum likelihood by conjugate gradients (§3.5) */
} PtlAlgorithm;

typedef enum
{
  PTL_ML_NOISE_GAUSSIAN, /* Σ (Î − I)² / (1 + I) */
  PTL_ML_NOISE_POISSON
} PtlMlNoise;

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

  /* Below, a zero (as in a zero-initialised struct) means the default of
   * ptl_recon_params_init, except for momentum and refine_positions. */
  guint        n_modes;            /* mixed-state probe modes K (1 = fully coherent) */
  guint        batch_size;         /* PIE family: frames whose exit waves come from one model
                                    * (1 = sequential PIE; larger fills a GPU) */
  double       momentum;           /* mPIE friction η in [0, 1) */
  double       momentum_step;      /* mPIE feedback γ in (0, 1] */
  guint        momentum_interval;  /* mPIE: frames between momentum steps; 0 (the default):
                                    * a sixteenth of the frames so far, at least 20 */
  double       relax;              /* DM blend (1 = classic DM) or RAAR β, in (0, 1];
                                    * 0: DM 1, RAAR 0.75 */
  guint        overlap_iterations; /* DM/AP/RAAR object–probe refinement passes */
  PtlMlNoise   ml_noise;
  gboolean     refine_positions;   /* off by default */
  guint        position_start;     /* first iteration that refines positions */
  guint        position_interval;  /* iterations between refinements */
  double       position_max_shift; /* pixels from the original position */
} PtlReconParams;

void         ptl_recon_params_init (PtlReconParams *params);
gboolean     ptl_recon_params_validate (const PtlReconParams *params,
                                        GError              **error);
const char  *ptl_algorithm_to_string (PtlAlgorithm algorithm);
gboolean     ptl_algorithm_from_string (const char   *text,
                                        PtlAlgorithm *algorithm,
                                        GError      **error);

/* Replaces the zeros that stand for defaults by the defaults. */
void         ptl_recon_params_fill_defaults (PtlReconParams *params);
const char  *ptl_ml_noise_to_string (PtlMlNoise noise);
gboolean     ptl_ml_noise_from_string (const char *text,
                                       PtlMlNoise *noise,
                                       GError    **error);
/* Whether the algorithm keeps the PIE sweep (sequential or mini-batch). */
gboolean     ptl_algorithm_is_pie (PtlAlgorithm algorithm);

G_END_DECLS
