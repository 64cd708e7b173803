/* The CPU backend's kernels for the ML engine: the residual that turns the far-field
 * waves into the exit-wave gradient (with each frame's cost), and the two halves of the
 * line search (the exit-wave terms along the search direction, and the per-frame
 * coefficients of the cost along it). Apart from the projection and overlap kernels of
 * ptl-backend-cpu-waves.c because they serve ML's noise models alone; every kernel here
 * splits the slots of a batch over the pool. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include <math.h>
#include <string.h>

#include "core/ptl-simd.h"
#include "ptl-backend-cpu-private.h"

typedef struct
{
  const PtlWaveBatch *b;
  PtlNoiseModel       model;
  const float        *object_dir;
  const float        *probe_dir;
  float              *coefficients;
} MlTask;

/* Î and the residual factor r/N of one frame; returns the frame's cost L_j. */
PTL_PIXEL_LOOP static double
residual_factor (const float *restrict amp,
                 const float *restrict intensity_model,
                 float *restrict       factor,
                 gsize                 n,
                 gboolean              poisson,
                 double               *measured)
{
  double cost = 0.0, count = 0.0;
  float inv_n = 1.0f / n;

  for (gsize i = 0; i < n; i++)
    {
      float a = amp[i], meas = a >= 0.0f ? 1.0f : 0.0f;
      float obs = a * a, model = intensity_model[i];
      float r, term;
      if (poisson)
        {
          float shifted = model + 1e-6f;
          r = 1.0f - obs / shifted;
          term = model - obs - obs * logf (shifted / (obs + (obs == 0.0f)));
        }
      else
        {
          float w = 1.0f / (1.0f + obs);
          r = (model - obs) * w;
          term = (model - obs) * r;
        }
      factor[i] = meas * r * inv_n;
      cost += meas * term;
      count += meas;
    }
  *measured = count;
  return cost;
}

/* Σ_l |Ψ_l|² / N per pixel into `out`. */
PTL_PIXEL_LOOP static void
mode_intensity (const float *restrict psi,
                float *restrict       out,
                gsize                 n,
                guint                 modes)
{
  float inv_n = 1.0f / n;

  for (gsize i = 0; i < n; i++)
    out[i] = 0.0f;
  for (guint l = 0; l < modes; l++)
    for (gsize i = 0; i < n; i++)
      {
        const float *p = psi + 2 * (l * n + i);
        out[i] += (p[0] * p[0] + p[1] * p[1]) * inv_n;
      }
}

PTL_PIXEL_LOOP static void
scale_by (float *restrict       psi,
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
ml_residual_task (gpointer data,
                  guint    task,
                  guint    n_tasks)
{
  MlTask *t = data;
  const PtlWaveBatch *b = t->b;
  gsize n = (gsize) b->m * b->m, begin, end;
  g_autofree float *tmp = g_new (float, 2 * n);
  float *errors = b->errors->ptr;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      gsize j = _ptl_cpu_frame_of (b, k);
      float *psi = _ptl_cpu_wave_of (b, b->work, k, 0);
      double measured;
      mode_intensity (psi, tmp, n, b->n_modes);
      double cost = residual_factor ((const float *) b->amplitudes->ptr + j * n, tmp, tmp + n, n,
                                     t->model == PTL_NOISE_POISSON, &measured);
      for (guint l = 0; l < b->n_modes; l++)
        scale_by (psi + 2 * l * n, tmp + n, n);
      errors[j] = measured > 0.0 ? (float) (cost / measured) : 0.0f;
    }
}

gboolean
_ptl_cpu_ml_residual (gpointer            ctx,
                      const PtlWaveBatch *b,
                      PtlNoiseModel       model,
                      GError            **error)
{
  MlTask t = { .b = b, .model = model };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), ml_residual_task, &t);
  return TRUE;
}

/* f = P·O, u = P·hO + hP·O, v = hP·hO over one row. */
PTL_PIXEL_LOOP static void
line_waves_row (const float *restrict p,
                const float *restrict o,
                const float *restrict hp,
                const float *restrict ho,
                float *restrict       f,
                float *restrict       u,
                float *restrict       v,
                guint                 m)
{
  for (gsize x = 0; x < m; x++)
    {
      float pr = p[2 * x], pi = p[2 * x + 1], or = o[2 * x], oi = o[2 * x + 1];
      float hpr = hp[2 * x], hpi = hp[2 * x + 1], hor = ho[2 * x], hoi = ho[2 * x + 1];
      f[2 * x] = pr * or - pi * oi;
      f[2 * x + 1] = pr * oi + pi * or;
      u[2 * x] = pr * hor - pi * hoi + hpr * or - hpi * oi;
      u[2 * x + 1] = pr * hoi + pi * hor + hpr * oi + hpi * or;
      v[2 * x] = hpr * hor - hpi * hoi;
      v[2 * x + 1] = hpr * hoi + hpi * hor;
    }
}

static void
line_waves_task (gpointer data,
                 guint    task,
                 guint    n_tasks)
{
  MlTask *t = data;
  const PtlWaveBatch *b = t->b;
  guint m = b->m;
  gsize begin, end, set = (gsize) b->count;

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      PtlPosition pos = _ptl_cpu_position_of (b, _ptl_cpu_frame_of (b, k));
      for (guint l = 0; l < b->n_modes; l++)
        {
          const float *p = _ptl_cpu_wave_of (b, b->probe, 0, l);
          const float *hp = t->probe_dir + 2 * (gsize) l * m * m;
          float *f = _ptl_cpu_wave_of (b, b->work, k, l);
          float *u = _ptl_cpu_wave_of (b, b->work, set + k, l);
          float *v = _ptl_cpu_wave_of (b, b->work, 2 * set + k, l);
          for (guint r = 0; r < m; r++)
            {
              gsize at = 2 * (gsize) r * m;
              line_waves_row (p + at, _ptl_cpu_object_row (b, b->object->ptr, pos, r), hp + at,
                              _ptl_cpu_object_row (b, (float *) t->object_dir, pos, r), f + at,
                              u + at, v + at, m);
            }
        }
    }
}

gboolean
_ptl_cpu_ml_line_waves (gpointer            ctx,
                        const PtlWaveBatch *b,
                        PtlBuffer          *object_dir,
                        PtlBuffer          *probe_dir,
                        GError            **error)
{
  MlTask t = { .b = b, .object_dir = object_dir->ptr, .probe_dir = probe_dir->ptr };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), line_waves_task, &t);
  return TRUE;
}

/* Î, A1 and A2 of one mode added into the per-pixel sums. */
PTL_PIXEL_LOOP static void
line_terms (const float *restrict f,
            const float *restrict u,
            const float *restrict v,
            float *restrict       model,
            float *restrict       a1,
            float *restrict       a2,
            gsize                 n)
{
  float inv_n = 1.0f / n;

  for (gsize i = 0; i < n; i++)
    {
      float fr = f[2 * i], fi = f[2 * i + 1], ur = u[2 * i], ui = u[2 * i + 1];
      float vr = v[2 * i], vi = v[2 * i + 1];
      model[i] += (fr * fr + fi * fi) * inv_n;
      a1[i] += 2.0f * (fr * ur + fi * ui) * inv_n;
      a2[i] += (2.0f * (fr * vr + fi * vi) + ur * ur + ui * ui) * inv_n;
    }
}

PTL_PIXEL_LOOP static void
line_coefficients (const float *restrict amp,
                   const float *restrict model,
                   const float *restrict a1,
                   const float *restrict a2,
                   gsize                 n,
                   gboolean              poisson,
                   double               *out)
{
  double b0 = 0.0, b1 = 0.0, b2 = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      float a = amp[i], meas = a >= 0.0f ? 1.0f : 0.0f, obs = a * a;
      float t0, t1, t2;
      if (poisson)
        {
          float shifted = model[i] + 1e-6f, r = 1.0f - obs / shifted;
          t0 = model[i] - obs * logf (shifted);
          t1 = r * a1[i];
          t2 = r * a2[i] + obs * a1[i] * a1[i] / (2.0f * shifted * shifted);
        }
      else
        {
          float w = 1.0f / (1.0f + obs), d = model[i] - obs;
          t0 = w * d * d;
          t1 = 2.0f * w * d * a1[i];
          t2 = w * (a1[i] * a1[i] + 2.0f * d * a2[i]);
        }
      b0 += meas * t0;
      b1 += meas * t1;
      b2 += meas * t2;
    }
  out[0] = b0;
  out[1] = b1;
  out[2] = b2;
}

static void
line_coefficients_task (gpointer data,
                        guint    task,
                        guint    n_tasks)
{
  MlTask *t = data;
  const PtlWaveBatch *b = t->b;
  gsize n = (gsize) b->m * b->m, begin, end, set = (gsize) b->count;
  g_autofree float *tmp = g_new (float, 3 * n);

  _ptl_cpu_range (b->count, task, n_tasks, &begin, &end);
  for (gsize k = begin; k < end; k++)
    {
      gsize j = _ptl_cpu_frame_of (b, k);
      double out[3];
      memset (tmp, 0, 3 * n * sizeof (float));
      for (guint l = 0; l < b->n_modes; l++)
        line_terms (_ptl_cpu_wave_of (b, b->work, k, l),
                    _ptl_cpu_wave_of (b, b->work, set + k, l),
                    _ptl_cpu_wave_of (b, b->work, 2 * set + k, l), tmp, tmp + n, tmp + 2 * n, n);
      line_coefficients ((const float *) b->amplitudes->ptr + j * n, tmp, tmp + n, tmp + 2 * n, n,
                         t->model == PTL_NOISE_POISSON, out);
      for (guint c = 0; c < 3; c++)
        t->coefficients[3 * j + c] = (float) out[c];
    }
}

gboolean
_ptl_cpu_ml_line_coefficients (gpointer            ctx,
                               const PtlWaveBatch *b,
                               PtlNoiseModel       model,
                               PtlBuffer          *coefficients,
                               GError            **error)
{
  MlTask t = { .b = b, .model = model, .coefficients = coefficients->ptr };

  _ptl_cpu_parallel (ctx, _ptl_cpu_tasks (ctx, b->count), line_coefficients_task, &t);
  return TRUE;
}
