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

/* Integer top-left corner of a frame's window on the object canvas. */
typedef struct
{
  gint32 row;
  gint32 col;
} PtlPosition;

/* One batch of frames for the PIE kernels. Frame k of the batch (k < count) is frame
 * order[first + k] of the scan; its exit wave is slot k of `exit`. Within a batch, the exit
 * waves are all formed from the model at the start of the batch and the updates are then
 * applied in batch order; with count = 1 this is exactly sequential PIE. */
typedef struct
{
  PtlBuffer    *object;     /* complex [canvas_rows][canvas_cols] */
  guint         canvas_rows;
  guint         canvas_cols;
  PtlBuffer    *probe;      /* complex [m][m] */
  guint         m;
  PtlBuffer    *exit;       /* complex [count][m][m], batch-local */
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
} PtlPieBatch;

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlBackend, ptl_backend_free)

G_END_DECLS
