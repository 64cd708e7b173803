/* Internals of the CPU backend shared by its files: the context and a small parallel-for
 * over a persistent pool, so that the batched kernels use every core the backend was given
 * (FFTW's own threads serve only the transforms). */
#pragma once

#include "ptl-backend-private.h"

G_BEGIN_DECLS

typedef struct _PtlCpuPool PtlCpuPool;

typedef struct
{
  guint       threads;
  char       *description;
  PtlCpuPool *pool; /* NULL with one thread */
} PtlCpuContext;

/* fn (data, task, n_tasks) for task = 0 … n_tasks − 1, in parallel on up to `threads`
 * threads (the caller's included); returns when every task has finished. */
typedef void (*PtlCpuTask) (gpointer data,
                            guint    task,
                            guint    n_tasks);

PtlCpuPool *_ptl_cpu_pool_new (guint threads);
void        _ptl_cpu_pool_free (PtlCpuPool *pool);
void        _ptl_cpu_parallel (PtlCpuContext *cpu,
                               guint          n_tasks,
                               PtlCpuTask     fn,
                               gpointer       data);
/* Tasks worth running for `items` independent items (one per thread at most). */
guint       _ptl_cpu_tasks (PtlCpuContext *cpu,
                            gsize          items);
/* The part [*begin, *end) of 0…n that task `task` of n_tasks owns. */
void        _ptl_cpu_range (gsize  n,
                            guint  task,
                            guint  n_tasks,
                            gsize *begin,
                            gsize *end);

/* The PIE kernels (ptl-backend-cpu-pie.c). */
gboolean _ptl_cpu_exit_wave (gpointer ctx, const PtlPieBatch *b, GError **error);
gboolean _ptl_cpu_fourier_constraint (gpointer ctx, const PtlPieBatch *b, GError **error);
gboolean _ptl_cpu_pie_update (gpointer ctx, const PtlPieBatch *b, GError **error);

/* The batched engines' kernels (ptl-backend-cpu-waves.c, ptl-backend-cpu-ml.c,
 * ptl-backend-cpu-vector.c). */
gboolean _ptl_cpu_projection_input (gpointer ctx, const PtlWaveBatch *b, float c, GError **error);
gboolean _ptl_cpu_exit_update (gpointer ctx, const PtlWaveBatch *b, float a, float bb,
                               GError **error);
gboolean _ptl_cpu_overlap_accumulate (gpointer ctx, const PtlWaveBatch *b, GError **error);
gboolean _ptl_cpu_ml_residual (gpointer ctx, const PtlWaveBatch *b, PtlNoiseModel model,
                               GError **error);
gboolean _ptl_cpu_ml_line_waves (gpointer ctx, const PtlWaveBatch *b, PtlBuffer *object_dir,
                                 PtlBuffer *probe_dir, GError **error);
gboolean _ptl_cpu_ml_line_coefficients (gpointer ctx, const PtlWaveBatch *b, PtlNoiseModel model,
                                        PtlBuffer *coefficients, GError **error);
gboolean _ptl_cpu_fourier_error (gpointer ctx, const PtlWaveBatch *b, GError **error);
gboolean _ptl_cpu_overlap_divide (gpointer ctx, PtlBuffer *dst, PtlBuffer *num, PtlBuffer *den,
                                  gsize n, guint layers, float c_dst, float c_den, GError **error);
gboolean _ptl_cpu_dot (gpointer ctx, const PtlBuffer *x, const PtlBuffer *y, gsize n_complex,
                       PtlBuffer *result, guint index, GError **error);
gboolean _ptl_cpu_axpby (gpointer ctx, PtlBuffer *y, const PtlBuffer *x, gsize n_complex,
                         float a, float b, GError **error);
gboolean _ptl_cpu_momentum (gpointer ctx, PtlBuffer *x, PtlBuffer *snapshot, PtlBuffer *velocity,
                            gsize n_complex, float friction, float feedback, GError **error);

/* Indexing of a PtlWaveBatch, for the batched kernels (ptl-backend-cpu-waves.c,
 * ptl-backend-cpu-ml.c). The frame of slot k: */
static inline gsize
_ptl_cpu_frame_of (const PtlWaveBatch *b,
                   gsize               k)
{
  return ((const guint32 *) b->frames->ptr)[b->first + k];
}

static inline PtlPosition
_ptl_cpu_position_of (const PtlWaveBatch *b,
                      gsize               j)
{
  return ((const PtlPosition *) b->positions->ptr)[j];
}

/* The object row under row r of frame j's window. */
static inline float *
_ptl_cpu_object_row (const PtlWaveBatch *b,
                     float              *object,
                     PtlPosition         pos,
                     guint               r)
{
  return object + 2 * ((gsize) (pos.row + r) * b->canvas_cols + pos.col);
}

/* Mode `mode` of entry `index` of a [index][K][m][m] array of complex waves. */
static inline float *
_ptl_cpu_wave_of (const PtlWaveBatch *b,
                  PtlBuffer          *buffer,
                  gsize               index,
                  guint               mode)
{
  gsize n = (gsize) b->m * b->m;
  return (float *) buffer->ptr + 2 * ((index * b->n_modes + mode) * n);
}

/* Modulus factor of one frame with K modes (ptl-backend-cpu-pie.c; shared by the PIE and
 * batched kernels):
 * f[i] = t/(A·m) measured, 1/N masked, with A² = Σ_l |Ψ_l|²/N and the target amplitude
 * t = a + clamp(A − a, −tolerance, tolerance); returns Σ (A − a)² over the measured pixels
 * and their count in *measured. */
float _ptl_cpu_modulus_factor (const float *psi,
                               const float *amp,
                               gsize        n,
                               guint        n_modes,
                               float        m,
                               float        tolerance,
                               float       *factor,
                               float       *measured);

G_END_DECLS
