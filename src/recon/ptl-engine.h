/* The reconstruction engine: owns the object, the K probe modes and the data on one
 * backend and runs one of the algorithms of PtlAlgorithm on them: the PIE family (ePIE,
 * rPIE, mPIE; sequential or in mini-batches) in a fresh random order each iteration, the
 * projection family (DM, AP, RAAR) and maximum likelihood, all batched over the frames.
 * The algorithm may change between iterations; object, probe and positions carry over. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-params.h"
#include "core/ptl-scan-data.h"
#include "ptl-backend.h"

G_BEGIN_DECLS

typedef struct _PtlEngine PtlEngine;

/* `probe` is required when params->probe_init is PTL_PROBE_INIT_MODEL and ignored otherwise.
 * The engine borrows the backend; the scan data are copied to the backend. */
PtlEngine *ptl_engine_new (PtlBackend           *backend,
                           const PtlScanData    *scan,
                           const PtlReconParams *params,
                           const PtlArray       *probe,
                           GError              **error);
void       ptl_engine_free (PtlEngine *engine);

/* One full sweep over every frame; appends the mean Fourier error to the history. */
gboolean ptl_engine_iterate (PtlEngine *engine,
                             GError   **error);
/* Applies at the next sweep; object and probe are kept. */
gboolean ptl_engine_set_params (PtlEngine            *engine,
                                const PtlReconParams *params,
                                GError              **error);

guint         ptl_engine_iteration (PtlEngine *engine);
const double *ptl_engine_errors (PtlEngine *engine,
                                 guint     *n_errors);
PtlArray     *ptl_engine_get_object (PtlEngine *engine,
                                     GError   **error);
/* The same object, canvas_rows × canvas_cols complex, as a copy that stays on the engine's
 * GPU; PTL_BACKEND_ERROR_UNAVAILABLE on the CPU backend. */
PtlDeviceImage *ptl_engine_get_object_on_device (PtlEngine *engine,
                                                 GError   **error);
/* The strongest probe mode [M][M] (the only one when K = 1). */
PtlArray     *ptl_engine_get_probe (PtlEngine *engine,
                                    GError   **error);
/* Every probe mode [K][M][M], orthogonal and sorted by decreasing power when K > 1. */
PtlArray     *ptl_engine_get_probe_modes (PtlEngine *engine,
                                          GError   **error);
guint         ptl_engine_n_modes (PtlEngine *engine);
/* Where each frame lies, (row, col) pixels per frame on the current canvas (the one
 * ptl_engine_get_object returns), newly allocated as [n][2] doubles (the form the quality
 * metrics and files take): the corners as received until position refinement moves them,
 * then its estimate. The windows the engine uses stay on whole pixels, each within half a
 * pixel of its frame's position here. */
double *ptl_engine_copy_positions (PtlEngine *engine,
                                   guint     *n_frames);
/* How far position refinement has moved each frame from where it arrived, sub-pixel part
 * included, (row, col) pixels per frame as [n][2] doubles (all zero without refinement):
 * added, through the axis mapping, to the stage translations a result file records. */
double *ptl_engine_copy_position_shifts (PtlEngine *engine,
                                         guint     *n_frames);

/* Streaming: frames arrive while the scan runs (the pipeline's engine thread).
 *
 * Adds n frames: patterns in photons [n][M][M] with zero frequency at (M/2, M/2), masks
 * [n][M][M] (1 = measured; NULL = all measured) and window corners [n][2] (row, col) in
 * pixels, in the frame of the scan the engine was created with. Corners may fall outside
 * the current canvas, negative included: the canvas grows (new area is free space, |O| = 1)
 * and the object already reconstructed keeps its values; frame count is bounded only by
 * memory. Per-frame state of the algorithm (exit waves of DM, ML's search directions) grows
 * with it. Fails, leaving the engine as it was, when an allocation fails. */
gboolean ptl_engine_add_frames (PtlEngine    *engine,
                                const float  *intensity,
                                const guint8 *masks,
                                const double *corners,
                                guint         n,
                                GError      **error);
/* One update of frames first…first+count−1 only (a new arrival gets its update at once,
 * whatever the algorithm: PIE-family engines visit them; DM and ML run one PIE visit). */
gboolean ptl_engine_visit_frames (PtlEngine *engine,
                                  guint      first,
                                  guint      count,
                                  GError   **error);
guint    ptl_engine_n_frames (PtlEngine *engine);
/* Current canvas, and where the creating scan's (0, 0) lies on it. */
void     ptl_engine_canvas (PtlEngine *engine,
                            guint     *rows,
                            guint     *cols,
                            gint      *origin_row,
                            gint      *origin_col);

/* Frames the batched engines (DM, AP, RAAR, ML) hand the backend per call: what one of
 * their batched FFTs transforms (times the modes). */
guint  ptl_engine_chunk_frames (PtlBackend *backend);

/* The defocus found for a probe started from the mean pattern, metres; NAN otherwise. */
double ptl_engine_estimated_defocus (PtlEngine *engine);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlEngine, ptl_engine_free)

G_END_DECLS
