/* Judging a reconstruction against ground truth (reference/algorithms.md §6): remove the
 * ambiguities ptychography cannot resolve (global complex scale, translation, phase ramp),
 * then NRMSE over the illuminated region and FRC with the half-bit threshold. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"

G_BEGIN_DECLS

typedef struct
{
  double      nrmse;            /* sqrt(Σ w|f − γ g|² / Σ w|f|²) after registration and ramp */
  double      phase_rms;        /* rad: rms of wrap(arg f − arg g − φ0) over the region */
  double      shift_rows;       /* translation applied to the estimate, pixels */
  double      shift_cols;
  double      ramp_rows;        /* phase ramp removed, radians per pixel */
  double      ramp_cols;
  ptl_complex scale;            /* γ */
  double      frc_resolution;   /* first half-bit crossing, fraction of Nyquist (1 = none) */
} PtlQuality;

/* W(r) = Σ_j |P(r − r_j)|² on a canvas of rows×cols; positions are (row, col) corners. */
PtlArray *ptl_illumination_map (const PtlArray *probe,
                                const double   *positions,
                                guint           n_positions,
                                guint           rows,
                                guint           cols);
/* 1 where W ≥ fraction · max W, eroded by `erode` pixels, else 0. */
PtlArray *ptl_quality_region (const PtlArray *illumination,
                              double          fraction,
                              guint           erode);

/* truth and estimate: complex 2-D arrays of the same shape; region: float weights of the
 * same shape (NULL = everywhere). */
gboolean ptl_quality_compare (const PtlArray *truth,
                              const PtlArray *estimate,
                              const PtlArray *region,
                              PtlQuality     *quality,
                              GError        **error);

/* The project's figure of merit for a scan: compare over the region the scan illuminated
 * well (W ≥ 0.3·max W for the given probe and window corners, eroded by 2 pixels). */
gboolean ptl_quality_compare_scan (const PtlArray *truth,
                                   const PtlArray *estimate,
                                   const PtlArray *probe,
                                   const double   *positions,
                                   guint           n_positions,
                                   PtlQuality     *quality,
                                   GError        **error);

/* FRC between two complex 2-D arrays of the same shape, apodised with a Hann window, one
 * value per ring of width 1 frequency pixel; the half-bit threshold per ring in `threshold`.
 * ptl_quality_compare crops to the region's bounding box before calling it. */
gboolean ptl_frc (const PtlArray *a,
                  const PtlArray *b,
                  GArray        **curve,
                  GArray        **threshold,
                  GError        **error);

/* Sub-pixel translation between two complex images by upsampled cross-correlation
 * (Guizar-Sicairos et al. 2008): returns the shift that, applied to `moving`, aligns it to
 * `reference`. */
void ptl_register_translation (const PtlArray *reference,
                               const PtlArray *moving,
                               guint           upsample,
                               double         *shift_rows,
                               double         *shift_cols);

G_END_DECLS
