/* The CPU backend's PIE kernels: a batch of exit waves, the Fourier constraint with its
 * error and the object/probe update, and the modulus factor that the batched engines'
 * Fourier error shares. Apart from ptl-backend-cpu.c (memory and FFTW plans) because these
 * are element-wise kernels, written so that GCC vectorises them (no branches and no libm
 * calls in the pixel loops). */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include <math.h>
#include <string.h>

#include "core/ptl-simd.h"
#include "ptl-backend-cpu-private.h"

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

gboolean
_ptl_cpu_exit_wave (gpointer           ctx,
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

gboolean
_ptl_cpu_fourier_constraint (gpointer           ctx,
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

gboolean
_ptl_cpu_pie_update (gpointer           ctx,
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
