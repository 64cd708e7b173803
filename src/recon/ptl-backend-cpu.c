/* CPU backend: FFTW single precision with plans made once and reused, and element-wise
 * kernels written so that GCC vectorises them (no branches and no libm calls in the pixel
 * loops). */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "core/ptl-simd.h"
#include "ptl-backend-private.h"

typedef struct
{
  guint threads;
  char *description;
} CpuContext;

struct _PtlFftPlan
{
  fftwf_plan forward;
  fftwf_plan backward;
};

/* Below this many pixels per execution FFTW's threads cost more than they save (a single
 * 128×128 frame was 30 % slower on two threads than on one). */
#define THREADED_FFT_MIN_PIXELS (4 * 128 * 128)

static GMutex planner_lock;

static void
cpu_destroy (gpointer ctx)
{
  CpuContext *cpu = ctx;
  g_free (cpu->description);
  g_free (cpu);
}

static const char *
cpu_describe (gpointer ctx)
{
  return ((CpuContext *) ctx)->description;
}

static guint
cpu_threads (gpointer ctx)
{
  return ((CpuContext *) ctx)->threads;
}

static PtlBuffer *
cpu_alloc (gpointer ctx,
           gsize    bytes,
           GError **error)
{
  gpointer p = ptl_aligned_alloc0 (bytes);

  if (p == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_MEMORY,
                   "Out of memory allocating %" G_GSIZE_FORMAT " bytes", bytes);
      return NULL;
    }
  PtlBuffer *buffer = g_new (PtlBuffer, 1);
  buffer->ptr = p;
  buffer->bytes = bytes;
  return buffer;
}

static void
cpu_buffer_free (gpointer   ctx,
                 PtlBuffer *buffer)
{
  ptl_aligned_free (buffer->ptr);
  g_free (buffer);
}

static gboolean
cpu_upload (gpointer    ctx,
            PtlBuffer  *dst,
            gsize       offset,
            const void *src,
            gsize       bytes,
            GError    **error)
{
  memcpy ((char *) dst->ptr + offset, src, bytes);
  return TRUE;
}

static gboolean
cpu_download (gpointer         ctx,
              const PtlBuffer *src,
              gsize            offset,
              void            *dst,
              gsize            bytes,
              GError         **error)
{
  memcpy (dst, (const char *) src->ptr + offset, bytes);
  return TRUE;
}

static PtlFftPlan *
cpu_fft_plan (gpointer ctx,
              guint    rows,
              guint    cols,
              guint    batch,
              GError **error)
{
  CpuContext *cpu = ctx;
  int n[] = { (int) rows, (int) cols };
  int dist = (int) (rows * cols);
  gsize bytes = (gsize) dist * batch * sizeof (fftwf_complex);
  /* FFTW_MEASURE overwrites its arrays while planning, so plan on scratch memory; execution
   * uses the new-array interface on any buffer with the same (64-byte) alignment. */
  fftwf_complex *scratch = fftwf_alloc_complex ((gsize) dist * batch);
  PtlFftPlan *plan = g_new0 (PtlFftPlan, 1);
  guint threads = (gsize) rows * cols * batch >= THREADED_FFT_MIN_PIXELS ? cpu->threads : 1;

  if (scratch == NULL)
    {
      g_free (plan);
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_MEMORY,
                   "Out of memory planning an FFT of %" G_GSIZE_FORMAT " bytes", bytes);
      return NULL;
    }

  g_mutex_lock (&planner_lock);
  fftwf_plan_with_nthreads ((int) threads);
  plan->forward = fftwf_plan_many_dft (2, n, (int) batch, scratch, NULL, 1, dist, scratch, NULL, 1,
                                       dist, FFTW_FORWARD, FFTW_MEASURE);
  plan->backward = fftwf_plan_many_dft (2, n, (int) batch, scratch, NULL, 1, dist, scratch, NULL,
                                        1, dist, FFTW_BACKWARD, FFTW_MEASURE);
  g_mutex_unlock (&planner_lock);
  fftwf_free (scratch);

  if (plan->forward == NULL || plan->backward == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_FFT,
                   "FFTW could not plan %u transforms of %u×%u", batch, rows, cols);
      if (plan->forward)
        fftwf_destroy_plan (plan->forward);
      if (plan->backward)
        fftwf_destroy_plan (plan->backward);
      g_free (plan);
      return NULL;
    }
  return plan;
}

static void
cpu_fft_plan_free (gpointer    ctx,
                   PtlFftPlan *plan)
{
  g_mutex_lock (&planner_lock);
  fftwf_destroy_plan (plan->forward);
  fftwf_destroy_plan (plan->backward);
  g_mutex_unlock (&planner_lock);
  g_free (plan);
}

static gboolean
cpu_fft_execute (gpointer        ctx,
                 PtlFftPlan     *plan,
                 PtlBuffer      *data,
                 gsize           offset,
                 PtlFftDirection direction,
                 GError        **error)
{
  fftwf_complex *p = (fftwf_complex *) ((char *) data->ptr + offset);

  if (((guintptr) p) % PTL_ARRAY_ALIGNMENT != 0)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_FFT,
                   "FFT data at offset %" G_GSIZE_FORMAT " is not %d-byte aligned", offset,
                   PTL_ARRAY_ALIGNMENT);
      return FALSE;
    }
  fftwf_execute_dft (direction == PTL_FFT_FORWARD ? plan->forward : plan->backward, p, p);
  return TRUE;
}

static gboolean
cpu_scale (gpointer   ctx,
           PtlBuffer *data,
           gsize      offset,
           gsize      n_complex,
           float      factor,
           GError   **error)
{
  float *restrict p = (float *) ((char *) data->ptr + offset);

  for (gsize i = 0; i < 2 * n_complex; i++)
    p[i] *= factor;
  return TRUE;
}

/* exit = P · O and the maxima of |P|² and |O|² over one row. */
PTL_PIXEL_LOOP static void
exit_wave_row (const float *restrict p,
               const float *restrict o,
               float *restrict       e,
               guint                 m,
               float                *max_p,
               float                *max_o)
{
  float mp = *max_p, mo = *max_o;

  for (gsize c = 0; c < m; c++)
    {
      float pr = p[2 * c], pi = p[2 * c + 1], or = o[2 * c], oi = o[2 * c + 1];
      float np = pr * pr + pi * pi, no = or * or + oi * oi;
      e[2 * c] = pr * or - pi * oi;
      e[2 * c + 1] = pr * oi + pi * or;
      mp = np > mp ? np : mp;
      mo = no > mo ? no : mo;
    }
  *max_p = mp;
  *max_o = mo;
}

static gboolean
cpu_exit_wave (gpointer           ctx,
               const PtlPieBatch *b,
               GError           **error)
{
  const float *probe = b->probe->ptr;
  const float *object = b->object->ptr;
  const PtlPosition *positions = b->positions->ptr;
  const guint32 *order = b->order->ptr;
  float *scratch = b->scratch->ptr;
  guint m = b->m;

  for (guint k = 0; k < b->count; k++)
    {
      PtlPosition pos = positions[order[b->first + k]];
      float *exit = (float *) b->exit->ptr + 2 * (gsize) k * m * m;
      float max_p = 0.0f, max_o = 0.0f;

      for (guint r = 0; r < m; r++)
        exit_wave_row (probe + 2 * (gsize) r * m,
                       object + 2 * ((gsize) (pos.row + r) * b->canvas_cols + pos.col),
                       exit + 2 * (gsize) r * m, m, &max_p, &max_o);
      scratch[2 * k] = max_p;
      scratch[2 * k + 1] = max_o;
    }
  return TRUE;
}

/* Modulus replacement on one frame; returns Σ (|Ψ| − a)² over measured pixels and counts
 * them. A negative amplitude marks a masked pixel, which keeps the model. One reciprocal
 * square root per pixel serves both the modulus and the factor. */
PTL_PIXEL_LOOP static float
constrain_frame (float *restrict       psi,
                 const float *restrict amp,
                 gsize                 n,
                 float                 m,
                 float                *measured)
{
  /* Keeps 1/|Ψ| finite where the model is dark, as the 1e-10 of the contract does. */
  const float tiny = 1e-20f * m * m;
  const float inv_m = 1.0f / m, inv_n = 1.0f / n;
  float err = 0.0f, count = 0.0f;

  for (gsize i = 0; i < n; i++)
    {
      float re = psi[2 * i], im = psi[2 * i + 1];
      float n2 = re * re + im * im;
      float inv_abs = 1.0f / sqrtf (n2 + tiny);
      float model = n2 * inv_abs * inv_m; /* modulus of the unitary transform */
      float a = amp[i];
      float is_measured = a >= 0.0f ? 1.0f : 0.0f;
      float diff = model - a;
      float factor = a >= 0.0f ? a * inv_abs * inv_m : inv_n;
      err += is_measured * diff * diff;
      count += is_measured;
      psi[2 * i] = re * factor;
      psi[2 * i + 1] = im * factor;
    }
  *measured = count;
  return err;
}

static gboolean
cpu_fourier_constraint (gpointer           ctx,
                        const PtlPieBatch *b,
                        GError           **error)
{
  const guint32 *order = b->order->ptr;
  float *errors = b->errors->ptr;
  gsize n = (gsize) b->m * b->m;

  for (guint k = 0; k < b->count; k++)
    {
      guint32 frame = order[b->first + k];
      float measured;
      float err = constrain_frame ((float *) b->exit->ptr + 2 * (gsize) k * n,
                                   (const float *) b->amplitudes->ptr + (gsize) frame * n, n,
                                   (float) b->m, &measured);
      errors[frame] = measured > 0.0f ? err / measured : 0.0f;
    }
  return TRUE;
}

/* One row of the PIE update. Both variants are written as step = 1 / (a·|x|² + b):
 * ePIE has a = 0, b = max/step; rPIE has a = 1 − α, b = α·max. */
PTL_PIXEL_LOOP static void
update_object_and_probe_row (float *restrict       o,
                             float *restrict       p,
                             const float *restrict e,
                             guint                 m,
                             float                 o_a,
                             float                 o_b,
                             float                 p_a,
                             float                 p_b)
{
  for (gsize c = 0; c < m; c++)
    {
      float pr = p[2 * c], pi = p[2 * c + 1], or = o[2 * c], oi = o[2 * c + 1];
      float dr = e[2 * c] - (pr * or - pi * oi);
      float di = e[2 * c + 1] - (pr * oi + pi * or);
      float wo = 1.0f / (o_a * (pr * pr + pi * pi) + o_b);
      float wp = 1.0f / (p_a * (or * or + oi * oi) + p_b);
      /* conj(P)·Δ and conj(O)·Δ */
      o[2 * c] = or + (pr * dr + pi * di) * wo;
      o[2 * c + 1] = oi + (pr * di - pi * dr) * wo;
      p[2 * c] = pr + (or * dr + oi * di) * wp;
      p[2 * c + 1] = pi + (or * di - oi * dr) * wp;
    }
}

PTL_PIXEL_LOOP static void
update_object_row (float *restrict       o,
                   const float *restrict p,
                   const float *restrict e,
                   guint                 m,
                   float                 o_a,
                   float                 o_b)
{
  for (gsize c = 0; c < m; c++)
    {
      float pr = p[2 * c], pi = p[2 * c + 1], or = o[2 * c], oi = o[2 * c + 1];
      float dr = e[2 * c] - (pr * or - pi * oi);
      float di = e[2 * c + 1] - (pr * oi + pi * or);
      float wo = 1.0f / (o_a * (pr * pr + pi * pi) + o_b);
      o[2 * c] = or + (pr * dr + pi * di) * wo;
      o[2 * c + 1] = oi + (pr * di - pi * dr) * wo;
    }
}

static gboolean
cpu_pie_update (gpointer           ctx,
                const PtlPieBatch *b,
                GError           **error)
{
  const PtlPosition *positions = b->positions->ptr;
  const guint32 *order = b->order->ptr;
  const float *scratch = b->scratch->ptr;
  float *probe = b->probe->ptr;
  float *object = b->object->ptr;
  guint m = b->m;
  gboolean rpie = b->variant == PTL_PIE_RPIE;

  for (guint k = 0; k < b->count; k++)
    {
      PtlPosition pos = positions[order[b->first + k]];
      const float *exit = (const float *) b->exit->ptr + 2 * (gsize) k * m * m;
      float max_p = scratch[2 * k], max_o = scratch[2 * k + 1];
      float o_a = rpie ? 1.0f - b->alpha : 0.0f;
      float o_b = rpie ? b->alpha * max_p : max_p / b->alpha;
      float p_a = rpie ? 1.0f - b->beta : 0.0f;
      float p_b = rpie ? b->beta * max_o : max_o / b->beta;

      if (o_b <= 0.0f || p_b <= 0.0f)
        continue; /* a dark probe or an empty object window carries no information */

      for (guint r = 0; r < m; r++)
        {
          float *o = object + 2 * ((gsize) (pos.row + r) * b->canvas_cols + pos.col);
          float *p = probe + 2 * (gsize) r * m;
          const float *e = exit + 2 * (gsize) r * m;
          if (b->update_probe)
            update_object_and_probe_row (o, p, e, m, o_a, o_b, p_a, p_b);
          else
            update_object_row (o, p, e, m, o_a, o_b);
        }
    }
  return TRUE;
}

static const PtlBackendOps cpu_ops = {
  .name = "cpu",
  .destroy = cpu_destroy,
  .describe = cpu_describe,
  .threads = cpu_threads,
  .alloc = cpu_alloc,
  .buffer_free = cpu_buffer_free,
  .upload = cpu_upload,
  .download = cpu_download,
  .fft_plan = cpu_fft_plan,
  .fft_plan_free = cpu_fft_plan_free,
  .fft_execute = cpu_fft_execute,
  .scale = cpu_scale,
  .exit_wave = cpu_exit_wave,
  .fourier_constraint = cpu_fourier_constraint,
  .pie_update = cpu_pie_update,
  .synchronize = NULL,
};

gboolean
_ptl_backend_cpu_open (guint                 threads,
                       const PtlBackendOps **ops,
                       gpointer             *ctx,
                       GError              **error)
{
  static gsize initialised;

  if (g_once_init_enter (&initialised))
    {
      fftwf_init_threads ();
      fftwf_make_planner_thread_safe ();
      g_once_init_leave (&initialised, 1);
    }

  CpuContext *cpu = g_new0 (CpuContext, 1);
  cpu->threads = MAX (threads, 1);
  cpu->description = g_strdup_printf ("CPU, %s, %u thread%s", fftwf_version, cpu->threads,
                                      cpu->threads == 1 ? "" : "s");
  *ops = &cpu_ops;
  *ctx = cpu;
  return TRUE;
}
