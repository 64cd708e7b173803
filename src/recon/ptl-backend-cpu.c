/* CPU backend: the context, its memory and FFTW single precision with plans made once and
 * reused, run on the backend's own pool; and the ops table, which binds the kernels of
 * ptl-backend-cpu-pie.c, ptl-backend-cpu-waves.c, ptl-backend-cpu-ml.c and
 * ptl-backend-cpu-vector.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include <fftw3.h>
#include <string.h>

#include "core/ptl-error.h"
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
  .exit_wave = _ptl_cpu_exit_wave,
  .fourier_constraint = _ptl_cpu_fourier_constraint,
  .pie_update = _ptl_cpu_pie_update,
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
