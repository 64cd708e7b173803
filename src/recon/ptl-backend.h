/* Compute backend: where the reconstruction's arrays live and its FFTs and kernels run.
 * One interface, two implementations (CPU on FFTW, CUDA on cuFFT in a loaded module).
 *
 * Data layout shared by every backend: row-major, interleaved complex float. FFTs are
 * unnormalised; the 1/N of the unitary transform is applied inside the Fourier constraint
 * (the one place that needs it) or by ptl_backend_scale. Diffraction amplitudes on the
 * backend are stored with zero frequency at [0, 0] (ifftshifted once at upload) and a
 * negative amplitude marks a masked pixel. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "recon/ptl-device-image.h"

G_BEGIN_DECLS

typedef struct _PtlBackend PtlBackend;
typedef struct _PtlBuffer  PtlBuffer;
typedef struct _PtlFftPlan PtlFftPlan;

typedef enum
{
  PTL_BACKEND_AUTO,
  PTL_BACKEND_CPU,
  PTL_BACKEND_CUDA
} PtlBackendKind;

typedef enum
{
  PTL_FFT_FORWARD = -1, /* exp(-2πi k·r / M) */
  PTL_FFT_BACKWARD = 1
} PtlFftDirection;

typedef enum
{
  PTL_PIE_EPIE,
  PTL_PIE_RPIE
} PtlPieVariant;

/* Probe modes a backend kernel accepts (a bound on per-pixel work arrays). */
#define PTL_MAX_PROBE_MODES 16

/* Integer top-left corner of a frame's window on the object canvas. */
typedef struct
{
  gint32 row;
  gint32 col;
} PtlPosition;

/* One batch of frames for the PIE kernels. Frame k of the batch (k < count) is frame
 * order[first + k] of the scan; its exit waves (one per probe mode) are slot k of `exit`.
 * Within a batch, the exit waves are all formed from the model at the start of the batch
 * and the updates are then applied in batch order; with count = 1 this is exactly
 * sequential PIE. With K probe modes the probe is [K][m][m] and slot k of `exit` is
 * [K][m][m] (mode l of slot k at (k·K + l)·m²). */
typedef struct
{
  PtlBuffer    *object;     /* complex [canvas_rows][canvas_cols] */
  guint         canvas_rows;
  guint         canvas_cols;
  PtlBuffer    *probe;      /* complex [K][m][m] */
  guint         m;
  PtlBuffer    *exit;       /* complex [count][K][m][m], batch-local */
  PtlBuffer    *amplitudes; /* float [n_frames][m][m], sqrt of photons, < 0 = masked */
  PtlBuffer    *positions;  /* PtlPosition [n_frames] */
  PtlBuffer    *order;      /* guint32 [>= first + count] frame indices */
  guint         first;
  guint         count;
  PtlBuffer    *errors;     /* float [n_frames]: Fourier error of each frame's latest visit */
  PtlBuffer    *scratch;    /* float [2 * count]: per-slot max|P|², max|O_j|² */
  PtlPieVariant variant;
  float         alpha;
  float         beta;
  gboolean      update_probe;
  guint         n_modes;    /* K probe modes; 0 is read as 1 */
  /* Fourier constraint: a model amplitude within this of the measured one (in units of
   * sqrt(photons)) is kept, one further off moves only to this distance; 0 is the exact
   * modulus projection. */
  float         amplitude_tolerance;
} PtlPieBatch;

typedef enum
{
  PTL_NOISE_GAUSSIAN, /* L = Σ w (Î − I)², w = 1 / (1 + I) */
  PTL_NOISE_POISSON   /* L = Σ Î − I − I ln(Î / I) (the Poisson deviance / 2) */
} PtlNoiseModel;

/* One batch of frames for the batched engines (DM, AP, RAAR, ML) and position refinement.
 * Slot k (k < count) holds frame j = frames[first + k]; `work` is batch-local, `waves` is
 * indexed by frame. Waves, work slots and probe carry K modes as in PtlPieBatch. Buffers an
 * op does not read may be NULL. The accumulators are sums over every frame of every batch
 * since they were last divided out (ptl_backend_overlap_divide clears them). */
typedef struct
{
  PtlBuffer *object;      /* complex [canvas_rows][canvas_cols] */
  guint      canvas_rows;
  guint      canvas_cols;
  PtlBuffer *probe;       /* complex [K][m][m] */
  guint      m;
  guint      n_modes;     /* K ≥ 1 */
  PtlBuffer *positions;   /* PtlPosition [n_frames], indexed by frame */
  PtlBuffer *frames;      /* guint32 [≥ first + count] */
  guint      first;
  guint      count;
  PtlBuffer *work;        /* complex [count][K][m][m] (ML line search: [3][count][K][m][m]) */
  PtlBuffer *waves;       /* complex [n_frames][K][m][m]: DM's stored exit waves */
  PtlBuffer *amplitudes;  /* float [n_frames][m][m], as in PtlPieBatch */
  PtlBuffer *errors;      /* float [n_frames] (fourier_error: [≥ first + count]) */
  PtlBuffer *object_num;  /* complex [canvas]: Σ conj(P_l) w_jl  (accumulator) */
  PtlBuffer *object_den;  /* float [canvas]:   Σ |P_l|²          (accumulator) */
  PtlBuffer *probe_num;   /* complex [K][m][m]: Σ_j conj(O_j) w_jl (accumulator) */
  PtlBuffer *probe_den;   /* float [m][m]:      Σ_j |O_j|²         (accumulator) */
} PtlWaveBatch;

PtlBackend *ptl_backend_new (PtlBackendKind kind,
                             int            device,
                             guint          threads,
                             GError       **error);
void        ptl_backend_free (PtlBackend *backend);
const char *ptl_backend_name (PtlBackend *backend);
const char *ptl_backend_description (PtlBackend *backend);
guint       ptl_backend_threads (PtlBackend *backend);
gboolean    ptl_backend_kind_from_string (const char     *text,
                                          PtlBackendKind *kind,
                                          GError        **error);

PtlBuffer *ptl_backend_alloc (PtlBackend *backend,
                              gsize       bytes,
                              GError    **error);
void       ptl_backend_buffer_free (PtlBackend *backend,
                                    PtlBuffer  *buffer);
gboolean   ptl_backend_upload (PtlBackend *backend,
                               PtlBuffer  *dst,
                               gsize       offset,
                               const void *src,
                               gsize       bytes,
                               GError    **error);
gboolean   ptl_backend_download (PtlBackend      *backend,
                                 const PtlBuffer *src,
                                 gsize            offset,
                                 void            *dst,
                                 gsize            bytes,
                                 GError         **error);

PtlFftPlan *ptl_backend_fft_plan (PtlBackend *backend,
                                  guint       rows,
                                  guint       cols,
                                  guint       batch,
                                  GError    **error);
void        ptl_backend_fft_plan_free (PtlBackend *backend,
                                       PtlFftPlan *plan);
gboolean    ptl_backend_fft_execute (PtlBackend     *backend,
                                     PtlFftPlan     *plan,
                                     PtlBuffer      *data,
                                     gsize           offset,
                                     PtlFftDirection direction,
                                     GError        **error);
gboolean    ptl_backend_scale (PtlBackend *backend,
                               PtlBuffer  *data,
                               gsize       offset,
                               gsize       n_complex,
                               float       factor,
                               GError    **error);

gboolean ptl_backend_exit_wave (PtlBackend        *backend,
                                const PtlPieBatch *batch,
                                GError           **error);
gboolean ptl_backend_fourier_constraint (PtlBackend        *backend,
                                         const PtlPieBatch *batch,
                                         GError           **error);
gboolean ptl_backend_pie_update (PtlBackend        *backend,
                                 const PtlPieBatch *batch,
                                 GError           **error);
gboolean ptl_backend_synchronize (PtlBackend *backend,
                                  GError    **error);

/* The batched engines' kernels: semantics in ptl-backend-private.h. */
gboolean ptl_backend_projection_input (PtlBackend         *backend,
                                       const PtlWaveBatch *batch,
                                       float               c,
                                       GError            **error);
gboolean ptl_backend_exit_update (PtlBackend         *backend,
                                  const PtlWaveBatch *batch,
                                  float               a,
                                  float               b,
                                  GError            **error);
gboolean ptl_backend_overlap_accumulate (PtlBackend         *backend,
                                         const PtlWaveBatch *batch,
                                         GError            **error);
gboolean ptl_backend_overlap_divide (PtlBackend *backend,
                                     PtlBuffer  *dst,
                                     PtlBuffer  *num,
                                     PtlBuffer  *den,
                                     gsize       n,
                                     guint       layers,
                                     float       c_dst,
                                     float       c_den,
                                     GError    **error);
gboolean ptl_backend_ml_residual (PtlBackend         *backend,
                                  const PtlWaveBatch *batch,
                                  PtlNoiseModel       model,
                                  GError            **error);
gboolean ptl_backend_ml_line_waves (PtlBackend         *backend,
                                    const PtlWaveBatch *batch,
                                    PtlBuffer          *object_dir,
                                    PtlBuffer          *probe_dir,
                                    GError            **error);
gboolean ptl_backend_ml_line_coefficients (PtlBackend         *backend,
                                           const PtlWaveBatch *batch,
                                           PtlNoiseModel       model,
                                           PtlBuffer          *coefficients,
                                           GError            **error);
gboolean ptl_backend_fourier_error (PtlBackend         *backend,
                                    const PtlWaveBatch *batch,
                                    GError            **error);
gboolean ptl_backend_dot (PtlBackend      *backend,
                          const PtlBuffer *x,
                          const PtlBuffer *y,
                          gsize            n_complex,
                          PtlBuffer       *result,
                          guint            index,
                          GError         **error);
gboolean ptl_backend_axpby (PtlBackend      *backend,
                            PtlBuffer       *y,
                            const PtlBuffer *x,
                            gsize            n_complex,
                            float            a,
                            float            b,
                            GError         **error);
gboolean ptl_backend_momentum (PtlBackend *backend,
                               PtlBuffer  *x,
                               PtlBuffer  *snapshot,
                               PtlBuffer  *velocity,
                               gsize       n_complex,
                               float       friction,
                               float       feedback,
                               GError    **error);

/* A copy of device data for the display that does not stall the computation: begin
 * returns at once and the backend computes on; finish waits for that copy alone. Every
 * begun snapshot must be finished (that frees it), also when it is no longer wanted. */
typedef struct _PtlSnapshot PtlSnapshot;

PtlSnapshot *ptl_backend_snapshot_begin (PtlBackend      *backend,
                                         const PtlBuffer *src,
                                         gsize            offset,
                                         gsize            bytes,
                                         GError         **error);
/* `dst` takes the bytes given to begin; NULL only discards the snapshot. */
gboolean     ptl_backend_snapshot_finish (PtlBackend  *backend,
                                          PtlSnapshot *snapshot,
                                          void        *dst,
                                          GError     **error);
/* A copy of device data that stays on the device for the views (ptl-device-image.h);
 * PTL_BACKEND_ERROR_UNAVAILABLE on backends without one (the CPU's). */
PtlDeviceImage *ptl_backend_device_image (PtlBackend      *backend,
                                          const PtlBuffer *src,
                                          gsize            offset,
                                          gsize            bytes,
                                          GError         **error);
/* Memory bandwidth of the backend's device for the roofline floors of the benchmark, in
 * bytes/s on transfers of `bytes` bytes: a device-internal copy (bytes read + written) and
 * an upload from page-locked host memory. Fails on backends that have no such device. */
gboolean     ptl_backend_measure_bandwidth (PtlBackend *backend,
                                            gsize       bytes,
                                            double     *copy_bytes_per_s,
                                            double     *upload_bytes_per_s,
                                            GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlBackend, ptl_backend_free)

G_END_DECLS
