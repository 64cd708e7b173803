/* The CPU backend's whole-array kernels: the overlap division of the batched engines and
 * the vector arithmetic of conjugate gradients and momentum, split over the pool. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include <string.h>

#include "core/ptl-simd.h"
#include "ptl-backend-cpu-private.h"

/* Below this many values a single thread is quicker than waking the pool. */
#define PARALLEL_MIN_VALUES 65536

static guint
vector_tasks (gpointer ctx,
              gsize    n)
{
  return n < PARALLEL_MIN_VALUES ? 1 : _ptl_cpu_tasks (ctx, n);
}

typedef struct
{
  float       *dst;
  float       *num;
  float       *den;
  const float *x;
  float       *snapshot;
  float       *velocity;
  gsize        n;
  guint        layers;
  float        a;
  float        b;
  double       partial[64];
} VectorTask;

PTL_PIXEL_LOOP static void
divide_range (float *restrict       dst,
              const float *restrict num,
              const float *restrict den,
              gsize                 n,
              float                 c_dst,
              float                 c_den)
{
  for (gsize i = 0; i < n; i++)
    {
      float w = 1.0f / (c_den + den[i]);
      dst[2 * i] = (c_dst * dst[2 * i] + num[2 * i]) * w;
      dst[2 * i + 1] = (c_dst * dst[2 * i + 1] + num[2 * i + 1]) * w;
    }
}

static void
divide_task (gpointer data,
             guint    task,
             guint    n_tasks)
{
  VectorTask *v = data;
  gsize begin, end;

  _ptl_cpu_range (v->n, task, n_tasks, &begin, &end);
  for (guint l = 0; l < v->layers; l++)
    {
      gsize offset = 2 * ((gsize) l * v->n + begin);
      divide_range (v->dst + offset, v->num + offset, v->den + begin, end - begin, v->a, v->b);
      memset (v->num + offset, 0, 2 * (end - begin) * sizeof (float));
    }
  memset (v->den + begin, 0, (end - begin) * sizeof (float));
}

gboolean
_ptl_cpu_overlap_divide (gpointer   ctx,
                         PtlBuffer *dst,
                         PtlBuffer *num,
                         PtlBuffer *den,
                         gsize      n,
                         guint      layers,
                         float      c_dst,
                         float      c_den,
                         GError   **error)
{
  VectorTask v = { .dst = dst->ptr, .num = num->ptr, .den = den->ptr, .n = n, .layers = layers,
                   .a = c_dst, .b = c_den };

  _ptl_cpu_parallel (ctx, vector_tasks (ctx, n * layers), divide_task, &v);
  return TRUE;
}

PTL_PIXEL_LOOP static double
dot_range (const float *restrict x,
           const float *restrict y,
           gsize                 n)
{
  double sum = 0.0;

  for (gsize i = 0; i < 2 * n; i++)
    sum += (double) x[i] * y[i];
  return sum;
}

static void
dot_task (gpointer data,
          guint    task,
          guint    n_tasks)
{
  VectorTask *v = data;
  gsize begin, end;

  _ptl_cpu_range (v->n, task, n_tasks, &begin, &end);
  v->partial[task] = dot_range (v->x + 2 * begin, v->dst + 2 * begin, end - begin);
}

gboolean
_ptl_cpu_dot (gpointer         ctx,
              const PtlBuffer *x,
              const PtlBuffer *y,
              gsize            n_complex,
              PtlBuffer       *result,
              guint            index,
              GError         **error)
{
  /* Re Σ conj(x) y = Σ (x_re y_re + x_im y_im): a plain dot product of the float pairs. */
  VectorTask v = { .x = x->ptr, .dst = y->ptr, .n = n_complex };
  guint tasks = MIN (vector_tasks (ctx, n_complex), G_N_ELEMENTS (v.partial));
  double sum = 0.0;

  _ptl_cpu_parallel (ctx, tasks, dot_task, &v);
  for (guint t = 0; t < tasks; t++)
    sum += v.partial[t];
  ((float *) result->ptr)[index] = (float) sum;
  return TRUE;
}

PTL_PIXEL_LOOP static void
axpby_range (float *restrict       y,
             const float *restrict x,
             gsize                 n,
             float                 a,
             float                 b)
{
  for (gsize i = 0; i < 2 * n; i++)
    y[i] = a * x[i] + b * y[i];
}

static void
axpby_task (gpointer data,
            guint    task,
            guint    n_tasks)
{
  VectorTask *v = data;
  gsize begin, end;

  _ptl_cpu_range (v->n, task, n_tasks, &begin, &end);
  axpby_range (v->dst + 2 * begin, v->x + 2 * begin, end - begin, v->a, v->b);
}

gboolean
_ptl_cpu_axpby (gpointer         ctx,
                PtlBuffer       *y,
                const PtlBuffer *x,
                gsize            n_complex,
                float            a,
                float            b,
                GError         **error)
{
  VectorTask v = { .dst = y->ptr, .x = x->ptr, .n = n_complex, .a = a, .b = b };

  _ptl_cpu_parallel (ctx, vector_tasks (ctx, n_complex), axpby_task, &v);
  return TRUE;
}

PTL_PIXEL_LOOP static void
momentum_range (float *restrict x,
                float *restrict s,
                float *restrict v,
                gsize           n,
                float           friction,
                float           feedback)
{
  for (gsize i = 0; i < 2 * n; i++)
    {
      float vel = friction * v[i] + (x[i] - s[i]);
      float moved = x[i] + feedback * vel;
      v[i] = vel;
      x[i] = moved;
      s[i] = moved;
    }
}

static void
momentum_task (gpointer data,
               guint    task,
               guint    n_tasks)
{
  VectorTask *v = data;
  gsize begin, end;

  _ptl_cpu_range (v->n, task, n_tasks, &begin, &end);
  momentum_range (v->dst + 2 * begin, v->snapshot + 2 * begin, v->velocity + 2 * begin,
                  end - begin, v->a, v->b);
}

gboolean
_ptl_cpu_momentum (gpointer   ctx,
                   PtlBuffer *x,
                   PtlBuffer *snapshot,
                   PtlBuffer *velocity,
                   gsize      n_complex,
                   float      friction,
                   float      feedback,
                   GError   **error)
{
  VectorTask v = { .dst = x->ptr, .snapshot = snapshot->ptr, .velocity = velocity->ptr,
                   .n = n_complex, .a = friction, .b = feedback };

  _ptl_cpu_parallel (ctx, vector_tasks (ctx, n_complex), momentum_task, &v);
  return TRUE;
}
