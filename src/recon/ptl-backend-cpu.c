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
#include "ptl-backend-cpu-private.h"

typedef PtlCpuContext CpuContext;

struct _PtlFftPlan
{
  fftwf_plan forward;
  fftwf_plan backward;
};

/* Below this many pixels per execution FFTW's threads cost more than they save (a single
 * 128×128 frame was 30 % slower on two threads than on one). */
#define THREADED_FFT_MIN_PIXELS (4 * 128 * 128)

static GMutex planner_lock;

/* FFTW's parallel loops run on the pool of the backend whose transform is running (a
 * second set of threads would fight the pool's for two cores). The pool is per backend,
 * FFTW's hook per process: the thread that executes a plan names its pool here. */
static GPrivate current_pool;

typedef struct
{
  void *(*work) (char *);
  char  *jobdata;
  gsize  elsize;
} FftwJobs;

static void
fftw_job (gpointer data,
          guint    task,
          guint    n_tasks)
{
  FftwJobs *jobs = data;
  jobs->work (jobs->jobdata + task * jobs->elsize);
}

static void
fftw_parallel_loop (void *(*work) (char *),
                    char  *jobdata,
                    size_t elsize,
                    int    njobs,
                    void  *data)
{
  CpuContext *cpu = g_private_get (&current_pool);
  FftwJobs jobs = { work, jobdata, elsize };

  if (cpu != NULL)
    _ptl_cpu_parallel (cpu, (guint) njobs, fftw_job, &jobs);
  else
    for (int i = 0; i < njobs; i++)
      work (jobdata + (gsize) i * elsize);
}

static void
cpu_destroy (gpointer ctx)
{
  CpuContext *cpu = ctx;
  _ptl_cpu_pool_free (cpu->pool);
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
  g_private_set (&current_pool, cpu);
  fftwf_plan_with_nthreads ((int) threads);
  plan->forward = fftwf_plan_many_dft (2, n, (int) batch, scratch, NULL, 1, dist, scratch, NULL, 1,
                                       dist, FFTW_FORWARD, FFTW_MEASURE);
  plan->backward = fftwf_plan_many_dft (2, n, (int) batch, scratch, NULL, 1, dist, scratch, NULL,
                                        1, dist, FFTW_BACKWARD, FFTW_MEASURE);
  g_private_set (&current_pool, NULL);
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
  g_private_set (&current_pool, ctx);
  fftwf_execute_dft (direction == PTL_FFT_FORWARD ? plan->forward : plan->backward, p, p);
  g_private_set (&current_pool, NULL);
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

/* Σ_l |P_l|² over one row, for the maximum of the mixed-state probe power. */
PTL_PIXEL_LOOP static void
mode_power_row (const float *restrict p,
                float *restrict       power,
                guint                 m)
{
  for (gsize c = 0; c < m; c++)
    power[c] += p[2 * c] * p[2 * c] + p[2 * c + 1] * p[2 * c + 1];
}

typedef struct
{
  const PtlPieBatch *b;
} PieTask;

static void
exit_wave_task (gpointer data,
                guint    task,
                guint    n_tasks)
{
  const PtlPieBatch *b = ((PieTask *) data)->b;
  const float *probe = b->probe->ptr;
  const float *object = b->object->ptr;
  const PtlPosition *positions = b->positions->ptr;
  const guint32 *order = b->order->ptr;
  float *scratch = b->scratch->ptr;
  guint m = b->m, modes = MAX (b->n_modes, 1);
  gsize n = (gsize) m * m, begin, end;
  g_autofree float *power = modes > 1 ? g_new (float, m) : NULL;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      PtlPosition pos = positions[order[b->first + k]];
      float max_p = 0.0f, max_o = 0.0f;

      for (guint r = 0; r < m; r++)
        {
          const float *o = object + 2 * ((gsize) (pos.row + r) * b->canvas_cols + pos.col);
          for (guint l = 0; l < modes; l++)
            {
              float mp = 0.0f;
              exit_wave_row (probe + 2 * (l * n + (gsize) r * m), o,
                             (float *) b->exit->ptr + 2 * ((k * modes + l) * n + (gsize) r * m), m,
                             modes > 1 ? &mp : &max_p, &max_o);
            }
          if (modes > 1)
            {
              memset (power, 0, m * sizeof (float));
              for (guint l = 0; l < modes; l++)
                mode_power_row (probe + 2 * (l * n + (gsize) r * m), power, m);
              for (guint c = 0; c < m; c++)
                max_p = MAX (max_p, power[c]);
            }
        }
      scratch[2 * k] = max_p;
      scratch[2 * k + 1] = max_o;
    }
}

static gboolean
cpu_exit_wave (gpointer           ctx,
               const PtlPieBatch *b,
               GError           **error)
{
  PieTask task = { b };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), exit_wave_task, &task);
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
                 float                 tolerance,
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
      float target = a + fminf (fmaxf (diff, -tolerance), tolerance);
      float factor = a >= 0.0f ? target * inv_abs * inv_m : inv_n;
      err += is_measured * diff * diff;
      count += is_measured;
      psi[2 * i] = re * factor;
      psi[2 * i + 1] = im * factor;
    }
  *measured = count;
  return err;
}

/* The mixed-state factor: one real factor per pixel shared by every mode. */
PTL_PIXEL_LOOP static float
modulus_factor (const float *restrict psi,
                const float *restrict amp,
                gsize                 n,
                guint                 n_modes,
                float                 m,
                float                 tolerance,
                float *restrict       factor,
                float                *measured)
{
  const float tiny = 1e-20f * m * m;
  const float inv_m = 1.0f / m, inv_n = 1.0f / n;
  float err = 0.0f, count = 0.0f;

  for (gsize i = 0; i < n; i++)
    factor[i] = 0.0f;
  for (guint l = 0; l < n_modes; l++)
    {
      const float *restrict p = psi + 2 * l * n;
      for (gsize i = 0; i < n; i++)
        factor[i] += p[2 * i] * p[2 * i] + p[2 * i + 1] * p[2 * i + 1];
    }
  for (gsize i = 0; i < n; i++)
    {
      float n2 = factor[i];
      float inv_abs = 1.0f / sqrtf (n2 + tiny);
      float model = n2 * inv_abs * inv_m;
      float a = amp[i];
      float is_measured = a >= 0.0f ? 1.0f : 0.0f;
      float diff = model - a;
      float target = a + fminf (fmaxf (diff, -tolerance), tolerance);
      err += is_measured * diff * diff;
      count += is_measured;
      factor[i] = a >= 0.0f ? target * inv_abs * inv_m : inv_n;
    }
  *measured = count;
  return err;
}

/* Exported without target clones (clang cannot clone a function other files call). */
float
_ptl_cpu_modulus_factor (const float *psi,
                         const float *amp,
                         gsize        n,
                         guint        n_modes,
                         float        m,
                         float        tolerance,
                         float       *factor,
                         float       *measured)
{
  return modulus_factor (psi, amp, n, n_modes, m, tolerance, factor, measured);
}

PTL_PIXEL_LOOP static void
apply_factor (float *restrict       psi,
              const float *restrict factor,
              gsize                 n)
{
  for (gsize i = 0; i < n; i++)
    {
      psi[2 * i] *= factor[i];
      psi[2 * i + 1] *= factor[i];
    }
}

static void
fourier_constraint_task (gpointer data,
                         guint    task,
                         guint    n_tasks)
{
  const PtlPieBatch *b = ((PieTask *) data)->b;
  const guint32 *order = b->order->ptr;
  float *errors = b->errors->ptr;
  guint modes = MAX (b->n_modes, 1);
  gsize n = (gsize) b->m * b->m, begin, end;
  g_autofree float *factor = modes > 1 ? g_new (float, n) : NULL;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      guint32 frame = order[b->first + k];
      float *psi = (float *) b->exit->ptr + 2 * k * modes * n;
      const float *amp = (const float *) b->amplitudes->ptr + (gsize) frame * n;
      float measured, err;

      if (modes == 1)
        err = constrain_frame (psi, amp, n, (float) b->m, b->amplitude_tolerance, &measured);
      else
        {
          err = _ptl_cpu_modulus_factor (psi, amp, n, modes, (float) b->m, b->amplitude_tolerance,
                                         factor, &measured);
          for (guint l = 0; l < modes; l++)
            apply_factor (psi + 2 * l * n, factor, n);
        }
      errors[frame] = measured > 0.0f ? err / measured : 0.0f;
    }
}

static gboolean
cpu_fourier_constraint (gpointer           ctx,
                        const PtlPieBatch *b,
                        GError           **error)
{
  PieTask task = { b };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), fourier_constraint_task, &task);
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

/* The mixed-state PIE update of one row: sums over modes for the object, each mode's own
 * correction for the probe, all from the values before the update. */
PTL_PIXEL_LOOP static void
update_modes_row (float *restrict       o,
                  float *restrict       p,
                  const float *restrict e,
                  guint                 m,
                  guint                 modes,
                  gsize                 stride,
                  float *restrict       num,
                  float *restrict       power,
                  float                 o_a,
                  float                 o_b,
                  float                 p_a,
                  float                 p_b,
                  gboolean              update_probe)
{
  for (gsize c = 0; c < m; c++)
    num[2 * c] = num[2 * c + 1] = power[c] = 0.0f;
  for (guint l = 0; l < modes; l++)
    {
      float *restrict pl = p + l * stride;
      const float *restrict el = e + l * stride;
      for (gsize c = 0; c < m; c++)
        {
          float pr = pl[2 * c], pi = pl[2 * c + 1], or = o[2 * c], oi = o[2 * c + 1];
          float dr = el[2 * c] - (pr * or - pi * oi);
          float di = el[2 * c + 1] - (pr * oi + pi * or);
          num[2 * c] += pr * dr + pi * di;
          num[2 * c + 1] += pr * di - pi * dr;
          power[c] += pr * pr + pi * pi;
          if (update_probe)
            {
              float wp = 1.0f / (p_a * (or * or + oi * oi) + p_b);
              pl[2 * c] = pr + (or * dr + oi * di) * wp;
              pl[2 * c + 1] = pi + (or * di - oi * dr) * wp;
            }
        }
    }
  for (gsize c = 0; c < m; c++)
    {
      float wo = 1.0f / (o_a * power[c] + o_b);
      o[2 * c] += num[2 * c] * wo;
      o[2 * c + 1] += num[2 * c + 1] * wo;
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
  guint m = b->m, modes = MAX (b->n_modes, 1);
  gsize n = (gsize) m * m;
  gboolean rpie = b->variant == PTL_PIE_RPIE;
  g_autofree float *num = modes > 1 ? g_new (float, 3 * (gsize) m) : NULL;

  for (guint k = 0; k < b->count; k++)
    {
      PtlPosition pos = positions[order[b->first + k]];
      const float *exit = (const float *) b->exit->ptr + 2 * (gsize) k * modes * n;
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
          if (modes > 1)
            update_modes_row (o, p, e, m, modes, 2 * n, num, num + 2 * m, o_a, o_b, p_a, p_b,
                              b->update_probe);
          else if (b->update_probe)
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
  .projection_input = _ptl_cpu_projection_input,
  .exit_update = _ptl_cpu_exit_update,
  .overlap_accumulate = _ptl_cpu_overlap_accumulate,
  .overlap_divide = _ptl_cpu_overlap_divide,
  .ml_residual = _ptl_cpu_ml_residual,
  .ml_line_waves = _ptl_cpu_ml_line_waves,
  .ml_line_coefficients = _ptl_cpu_ml_line_coefficients,
  .fourier_error = _ptl_cpu_fourier_error,
  .dot = _ptl_cpu_dot,
  .axpby = _ptl_cpu_axpby,
  .momentum = _ptl_cpu_momentum,
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
      fftwf_threads_set_callback (fftw_parallel_loop, NULL);
      g_once_init_leave (&initialised, 1);
    }

  CpuContext *cpu = g_new0 (CpuContext, 1);
  cpu->threads = MAX (threads, 1);
  cpu->pool = cpu->threads > 1 ? _ptl_cpu_pool_new (cpu->threads) : NULL;
  cpu->description = g_strdup_printf ("CPU, %s, %u thread%s", fftwf_version, cpu->threads,
                                      cpu->threads == 1 ? "" : "s");
  *ops = &cpu_ops;
  *ctx = cpu;
  return TRUE;
}
