/* The CPU backend's projection and overlap kernels for the batched engines (DM, AP, RAAR)
 * and position refinement: the projection input, the exit-wave update with its overlap sums,
 * the overlap sums alone, and the Fourier error. Per-frame kernels split the slots of a
 * batch over the pool; accumulations onto the canvas or the probe split the rows of the
 * target instead, so that no two threads ever write the same pixel and no atomics are
 * needed. ML's kernels, which share only the batch indexing, are in ptl-backend-cpu-ml.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include "core/ptl-simd.h"
#include "ptl-backend-cpu-private.h"

typedef struct
{
  const PtlWaveBatch *b;
  float               c;
} WaveTask;

PTL_PIXEL_LOOP static void
projection_input_row (const float *restrict p,
                      const float *restrict o,
                      const float *restrict w,
                      float *restrict       out,
                      guint                 m,
                      float                 c)
{
  float d = 1.0f - c;

  for (gsize x = 0; x < m; x++)
    {
      float pr = p[2 * x], pi = p[2 * x + 1], or = o[2 * x], oi = o[2 * x + 1];
      out[2 * x] = c * (pr * or - pi * oi) + d * w[2 * x];
      out[2 * x + 1] = c * (pr * oi + pi * or) + d * w[2 * x + 1];
    }
}

PTL_PIXEL_LOOP static void
product_row (const float *restrict p,
             const float *restrict o,
             float *restrict       out,
             guint                 m)
{
  for (gsize x = 0; x < m; x++)
    {
      float pr = p[2 * x], pi = p[2 * x + 1], or = o[2 * x], oi = o[2 * x + 1];
      out[2 * x] = pr * or - pi * oi;
      out[2 * x + 1] = pr * oi + pi * or;
    }
}

static void
projection_input_task (gpointer data,
                       guint    task,
                       guint    n_tasks)
{
  WaveTask *t = data;
  const PtlWaveBatch *b = t->b;
  guint m = b->m;
  gsize begin, end;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      gsize j = _ptl_cpu_frame_of (b, k);
      PtlPosition pos = _ptl_cpu_position_of (b, j);
      for (guint l = 0; l < b->n_modes; l++)
        {
          const float *p = _ptl_cpu_wave_of (b, b->probe, 0, l);
          const float *w = t->c != 1.0f ? _ptl_cpu_wave_of (b, b->waves, j, l) : NULL;
          float *out = _ptl_cpu_wave_of (b, b->work, k, l);
          for (guint r = 0; r < m; r++)
            if (w != NULL)
              projection_input_row (p + 2 * (gsize) r * m,
                                    _ptl_cpu_object_row (b, b->object->ptr, pos, r),
                                    w + 2 * (gsize) r * m, out + 2 * (gsize) r * m, m, t->c);
            else
              product_row (p + 2 * (gsize) r * m, _ptl_cpu_object_row (b, b->object->ptr, pos, r),
                           out + 2 * (gsize) r * m, m);
        }
    }
}

gboolean
_ptl_cpu_projection_input (gpointer            ctx,
                           const PtlWaveBatch *b,
                           float               c,
                           GError            **error)
{
  WaveTask t = { .b = b, .c = c };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), projection_input_task, &t);
  return TRUE;
}

/* The new exit wave of one row, and its terms of the overlap sums: conj(P)·ψ and |P|² for
 * the object, conj(O)·ψ and |O|² for the probe (either pair may be skipped). One pass reads
 * each operand once, which is what keeps DM near its FFT floor. */
PTL_PIXEL_LOOP static void
exit_update_row (const float *restrict p,
                 const float *restrict o,
                 const float *restrict projected,
                 float *restrict       w,
                 float *restrict       object_num,
                 float *restrict       object_den,
                 float *restrict       probe_num,
                 float *restrict       probe_den,
                 guint                 m,
                 float                 a,
                 float                 b)
{
  float keep = 1.0f - a - b;

  for (gsize x = 0; x < m; x++)
    {
      float pr = p[2 * x], pi = p[2 * x + 1], or = o[2 * x], oi = o[2 * x + 1];
      float wr = keep * w[2 * x] + b * projected[2 * x] + a * (pr * or - pi * oi);
      float wi = keep * w[2 * x + 1] + b * projected[2 * x + 1] + a * (pr * oi + pi * or);
      w[2 * x] = wr;
      w[2 * x + 1] = wi;
      object_num[2 * x] += pr * wr + pi * wi;
      object_num[2 * x + 1] += pr * wi - pi * wr;
      object_den[x] += pr * pr + pi * pi;
      probe_num[2 * x] += or * wr + oi * wi;
      probe_num[2 * x + 1] += or * wi - oi * wr;
      probe_den[x] += or * or + oi * oi;
    }
}

/* num += conj(x)·w and den += |x|² over one row (x = probe for the object, object patch for
 * the probe). */
PTL_PIXEL_LOOP static void
accumulate_overlap_row (float *restrict       num,
                float *restrict       den,
                const float *restrict x,
                const float *restrict w,
                guint                 m)
{
  for (gsize c = 0; c < m; c++)
    {
      float xr = x[2 * c], xi = x[2 * c + 1], wr = w[2 * c], wi = w[2 * c + 1];
      num[2 * c] += xr * wr + xi * wi;
      num[2 * c + 1] += xr * wi - xi * wr;
      den[c] += xr * xr + xi * xi;
    }
}

PTL_PIXEL_LOOP static void
accumulate_num_row (float *restrict       num,
                    const float *restrict x,
                    const float *restrict w,
                    guint                 m)
{
  for (gsize c = 0; c < m; c++)
    {
      float xr = x[2 * c], xi = x[2 * c + 1], wr = w[2 * c], wi = w[2 * c + 1];
      num[2 * c] += xr * wr + xi * wi;
      num[2 * c + 1] += xr * wi - xi * wr;
    }
}

static const float *
source_wave (const PtlWaveBatch *b,
             gsize               k,
             guint               l)
{
  return b->waves ? _ptl_cpu_wave_of (b, b->waves, _ptl_cpu_frame_of (b, k), l)
                  : _ptl_cpu_wave_of (b, b->work, k, l);
}

typedef struct
{
  const PtlWaveBatch *b;
  float               a;
  float               bb;
  gboolean            update;     /* exit_update (else accumulate only) */
  float             **probe_num;  /* [task], or NULL: several canvas bands touch the same */
  float             **probe_den;  /* probe pixels, so each task sums into its own */
} AccumulateTask;

/* Rows of the canvas in [begin, end) only, so that no two tasks write the same object
 * pixel; probe terms go to the task's own sums. */
static void
canvas_band_task (gpointer data,
                  guint    task,
                  guint    n_tasks)
{
  AccumulateTask *t = data;
  const PtlWaveBatch *b = t->b;
  guint m = b->m, k_modes = b->n_modes;
  gsize n = (gsize) m * m, begin, end;
  /* Where the sums nobody asked for go (never read). */
  g_autofree float *sink = g_new (float, 6 * (gsize) m);
  float *object_num = b->object_num ? b->object_num->ptr : NULL;
  float *object_den = b->object_den ? b->object_den->ptr : NULL;
  float *probe_num = t->probe_num ? t->probe_num[task] : NULL;
  float *probe_den = t->probe_den ? t->probe_den[task] : NULL;
  _ptl_cpu_range (b->canvas_rows, task, n_tasks, &begin, &end);
  for (gsize k = 0; k < b->count; k++)
    {
      gsize j = _ptl_cpu_frame_of (b, k);
      PtlPosition pos = _ptl_cpu_position_of (b, j);
      gssize first_row = MAX ((gssize) begin - pos.row, 0);
      gssize end_row = MIN ((gssize) end - pos.row, (gssize) m);
      if (end_row <= first_row)
        continue; /* the window lies outside this task's band */
      gsize r0 = (gsize) first_row, r1 = (gsize) end_row;
      for (guint l = 0; l < k_modes; l++)
        {
          const float *p = _ptl_cpu_wave_of (b, b->probe, 0, l);
          for (gsize r = r0; r < r1; r++)
            {
              gsize at = (gsize) (pos.row + r) * b->canvas_cols + pos.col;
              const float *o = (const float *) b->object->ptr + 2 * at;
              if (t->update)
                exit_update_row (p + 2 * r * m, o,
                                 _ptl_cpu_wave_of (b, b->work, k, l) + 2 * r * m,
                                 _ptl_cpu_wave_of (b, b->waves, j, l) + 2 * r * m,
                                 object_num ? object_num + 2 * at : sink,
                                 object_num ? object_den + at : sink + 2 * m,
                                 probe_num ? probe_num + 2 * (l * n + r * m) : sink + 3 * m,
                                 probe_den && l == 0 ? probe_den + r * m : sink + 5 * m, m, t->a,
                                 t->bb);
              else
                {
                  const float *w = source_wave (b, k, l) + 2 * r * m;
                  if (object_num != NULL && object_den != NULL)
                    accumulate_overlap_row (object_num + 2 * at, object_den + at, p + 2 * r * m, w,
                                            m);
                  else if (object_num != NULL)
                    accumulate_num_row (object_num + 2 * at, p + 2 * r * m, w, m);
                  if (probe_num != NULL && probe_den != NULL && l == 0)
                    accumulate_overlap_row (probe_num + 2 * (l * n + r * m), probe_den + r * m, o,
                                            w, m);
                  else if (probe_num != NULL)
                    accumulate_num_row (probe_num + 2 * (l * n + r * m), o, w, m);
                }
            }
        }
    }
}

PTL_PIXEL_LOOP static void
add_into (float *restrict       dst,
          const float *restrict src,
          gsize                 n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] += src[i];
}

/* One pass over the batch: exit update (when asked) and the overlap sums named in it. */
static void
canvas_pass (gpointer            ctx,
             const PtlWaveBatch *b,
             gboolean            update,
             float               a,
             float               bb)
{
  guint tasks = _ptl_cpu_tasks (ctx, b->canvas_rows / 8);
  gsize n = (gsize) b->m * b->m, probe_floats = 2 * (gsize) b->n_modes * n;
  AccumulateTask t = { .b = b, .a = a, .bb = bb, .update = update };
  g_autofree float **num = g_new0 (float *, tasks);
  g_autofree float **den = g_new0 (float *, tasks);

  if (b->probe_num != NULL)
    {
      /* Task 0 sums into the caller's buffers, the others into their own. */
      num[0] = b->probe_num->ptr;
      den[0] = b->probe_den ? b->probe_den->ptr : NULL;
      for (guint i = 1; i < tasks; i++)
        {
          num[i] = g_new0 (float, probe_floats);
          den[i] = b->probe_den ? g_new0 (float, n) : NULL;
        }
      t.probe_num = num;
      t.probe_den = den;
    }
  _ptl_cpu_parallel (ctx, tasks, canvas_band_task, &t);
  for (guint i = 1; b->probe_num != NULL && i < tasks; i++)
    {
      add_into (num[0], num[i], probe_floats);
      if (den[0] != NULL)
        add_into (den[0], den[i], n);
      g_free (num[i]);
      g_free (den[i]);
    }
}

gboolean
_ptl_cpu_exit_update (gpointer            ctx,
                      const PtlWaveBatch *b,
                      float               a,
                      float               bb,
                      GError            **error)
{
  canvas_pass (ctx, b, TRUE, a, bb);
  return TRUE;
}

gboolean
_ptl_cpu_overlap_accumulate (gpointer            ctx,
                             const PtlWaveBatch *b,
                             GError            **error)
{
  canvas_pass (ctx, b, FALSE, 0.0f, 0.0f);
  return TRUE;
}

static void
fourier_error_task (gpointer data,
                    guint    task,
                    guint    n_tasks)
{
  const PtlWaveBatch *b = ((WaveTask *) data)->b;
  gsize n = (gsize) b->m * b->m, begin, end;
  g_autofree float *factor = g_new (float, n);
  float *errors = b->errors->ptr;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      float measured;
      const float *amp = (const float *) b->amplitudes->ptr + _ptl_cpu_frame_of (b, k) * n;
      float err = _ptl_cpu_modulus_factor (_ptl_cpu_wave_of (b, b->work, k, 0), amp, n,
                                           b->n_modes, (float) b->m, 0.0f, factor, &measured);
      errors[b->first + k] = measured > 0.0f ? err / measured : 0.0f;
    }
}

gboolean
_ptl_cpu_fourier_error (gpointer            ctx,
                        const PtlWaveBatch *b,
                        GError            **error)
{
  WaveTask t = { .b = b };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), fourier_error_task, &t);
  return TRUE;
}
