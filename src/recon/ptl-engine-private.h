/* Internals of the reconstruction engine shared by its files: the state every algorithm
 * works on (object, K probe modes, data, positions on the backend) and the interface an
 * algorithm implements. Switching algorithm keeps that state and replaces only the
 * algorithm's own (DM's exit waves, ML's search directions, mPIE's velocities). */
#pragma once

#include "ptl-engine.h"

G_BEGIN_DECLS

typedef struct _PtlEngineAlgorithm PtlEngineAlgorithm;

struct _PtlEngine
{
  PtlBackend    *backend; /* borrowed */
  PtlReconParams params;  /* defaults filled in */
  guint          m;
  gsize          pixels;  /* m² */
  guint          n_modes;
  guint          n_frames;
  guint          capacity; /* frames the per-frame buffers hold */
  guint          canvas_rows;
  guint          canvas_cols;
  gint           origin_row; /* where the creating scan's (0, 0) lies on the canvas */
  gint           origin_col;
  PtlPosition   *positions;  /* [capacity] window corners on the canvas, as used */
  PtlPosition   *arrival;    /* [capacity] corners as received: bound of position refinement */
  double        *offsets;    /* [capacity][2] (row, col) from each window corner to where the
                              * frame is thought to lie, within ±0.5 px: the fraction the
                              * corner was rounded from, until refinement estimates it. Only
                              * reported: the windows stay on whole pixels in every backend */
  double        *arrival_offsets; /* [capacity][2] the offsets as received */
  guint32       *order;      /* [capacity] scratch list of frame indices */
  float         *frame_errors;
  GRand         *rand;
  GArray        *errors;     /* double, mean error per iteration */
  double         estimated_defocus;
  double         max_frame_photons; /* Σ I of the brightest frame: scale of the regularisers */
  guint          slots;      /* frames the exit buffer holds: max(batch, chunk) */
  guint          chunk;      /* frames per call of the batched engines */

  PtlBuffer  *object;
  PtlBuffer  *probe;         /* [K][m][m] */
  PtlBuffer  *exit;          /* [slots][K][m][m] */
  PtlBuffer  *amplitudes;    /* [capacity][m][m] */
  PtlBuffer  *positions_buf; /* [capacity] */
  PtlBuffer  *order_buf;     /* [capacity] (PIE visiting order) */
  PtlBuffer  *frames_buf;    /* [capacity] 0, 1, 2, … (the batched engines' frame list) */
  PtlBuffer  *errors_buf;    /* [capacity] */
  PtlBuffer  *scratch;       /* [2 · slots] */
  PtlFftPlan *plan_batch;    /* batch_size · K frames */
  PtlFftPlan *plan_chunk;    /* chunk · K frames */
  PtlFftPlan *plan_single;   /* K frames */

  const PtlEngineAlgorithm *algorithm;
  gpointer                  state;
  PtlAlgorithm              state_of; /* the algorithm `state` was made for */
  gpointer                  momentum; /* mPIE velocities, NULL otherwise */
};

struct _PtlEngineAlgorithm
{
  gpointer (*create) (PtlEngine *engine,
                      GError   **error);
  void     (*destroy) (PtlEngine *engine,
                       gpointer   state);
  /* Frames first … first + count − 1 are new (the engine's per-frame buffers already hold
   * them) or have moved: their per-frame state starts again from the current model, and
   * grows to engine->capacity. */
  gboolean (*frames_changed) (PtlEngine *engine,
                            gpointer   state,
                            guint      first,
                            guint      count,
                            GError   **error);
  /* The canvas has grown: anything sized on it must follow (values may be reset). */
  gboolean (*canvas_grown) (PtlEngine *engine,
                            gpointer   state,
                            GError   **error);
  gboolean (*iterate) (PtlEngine *engine,
                       gpointer   state,
                       gboolean   update_probe,
                       double    *mean_error,
                       GError   **error);
  /* Optional: the object position trials are measured against, in *object (owned by the
   * state), when the algorithm's own would hold frames where they are. NULL: the engine's. */
  gboolean (*trial_object) (PtlEngine  *engine,
                            gpointer    state,
                            PtlBuffer **object,
                            GError    **error);
};

extern const PtlEngineAlgorithm _ptl_engine_pie;
extern const PtlEngineAlgorithm _ptl_engine_dm;
extern const PtlEngineAlgorithm _ptl_engine_ml;

/* PIE over frames[0 … n−1] in that order, in mini-batches of params.batch_size (mPIE's
 * momentum applied as configured when the engine runs mPIE). The mean error of those
 * frames in *mean_error unless it is NULL. */
gboolean _ptl_engine_pie_pass (PtlEngine     *engine,
                               const guint32 *frames,
                               guint          n,
                               gboolean       update_probe,
                               double        *mean_error,
                               GError       **error);
/* One PIE pass over frames 0 … n−1 in a fresh random order. */
gboolean _ptl_engine_pie_sweep (PtlEngine *engine,
                                guint      n,
                                gboolean   update_probe,
                                double    *mean_error,
                                GError   **error);
void     _ptl_engine_momentum_free (PtlEngine *engine);

/* Forward or backward FFT of `frames` consecutive K-mode slots of `buffer` from slot
 * `first`, on the batched plans where they fit and the single-frame plan otherwise. */
gboolean _ptl_engine_fft (PtlEngine      *engine,
                          PtlBuffer      *buffer,
                          guint           first,
                          guint           frames,
                          PtlFftDirection direction,
                          GError        **error);
/* The batch fields every batched kernel shares. */
void     _ptl_engine_wave_batch (PtlEngine    *engine,
                                 PtlWaveBatch *batch);
/* Mean of the per-frame errors over all frames. */
gboolean _ptl_engine_mean_error (PtlEngine *engine,
                                 double    *mean_error,
                                 GError   **error);
/* A new buffer of new_bytes holding the first used_bytes of *buffer, which it replaces. */
gboolean _ptl_engine_grow_buffer (PtlEngine  *engine,
                                  PtlBuffer **buffer,
                                  gsize       used_bytes,
                                  gsize       new_bytes,
                                  GError    **error);
gboolean _ptl_engine_upload_positions (PtlEngine *engine,
                                       GError   **error);

/* Object and probe at the start (ptl-engine-init.c). */
gboolean _ptl_engine_add_scan_frames (PtlEngine         *engine,
                                      const PtlScanData *scan,
                                      GError           **error);
gboolean _ptl_engine_init_object_and_probe (PtlEngine         *engine,
                                            const PtlScanData *scan,
                                            const PtlArray    *model_probe,
                                            GError           **error);
/* Free space (|O| = 1) in every pixel of a buffer the size of the canvas. */
gboolean _ptl_engine_fill_free_space (PtlEngine *engine,
                                      PtlBuffer *canvas,
                                      GError   **error);

/* Probe modes (ptl-engine-modes.c): K modes from one, with diversity, and their
 * orthogonalisation into the natural modes sorted by power. */
PtlArray *_ptl_engine_modes_from_probe (const PtlArray *probe,
                                        guint           n_modes);
/* The natural modes [K][M][M] of the engine's probe (a copy; the engine is unchanged). */
PtlArray *_ptl_engine_natural_modes (PtlEngine *engine,
                                     GError   **error);
/* Replaces the probe by its natural modes. The projection family keeps per-mode exit
 * waves, which a rotation of the modes would invalidate, so it is not called there. */
gboolean  _ptl_engine_orthogonalise_modes (PtlEngine *engine,
                                           GError   **error);
/* Eigen-decomposition of a Hermitian K×K matrix (row-major): eigenvalues descending in
 * `values`, eigenvectors as the columns of `vectors`. */
void      _ptl_hermitian_eigen (const ptl_complex *matrix,
                                guint              k,
                                double            *values,
                                ptl_complex       *vectors);

/* Position refinement (ptl-position-refine.c): one round of trial shifts for every frame;
 * `round` counts the rounds before this one. */
gboolean _ptl_engine_refine_positions (PtlEngine *engine,
                                       guint      round,
                                       GError   **error);

G_END_DECLS
