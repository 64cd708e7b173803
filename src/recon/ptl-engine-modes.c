/* Mixed-state probe modes (algorithms.md §3.7): extra modes start as the main mode times
 * smooth low-order patterns (without such diversity the modes would stay identical), and
 * after each iteration the modes are replaced by the natural modes, the eigenvectors of
 * their K×K Gram matrix, which are orthogonal and sorted by power. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"

/* Power of each extra mode at the start, relative to the main mode (PtyPy's 0.1). */
#define EXTRA_MODE_POWER 0.1

/* Smooth real patterns across the window: x, y, xy, x² − y², … in turn. */
static double
diversity_pattern (guint  mode,
                   double x,
                   double y)
{
  switch ((mode - 1) % 5)
    {
    case 0: return x;
    case 1: return y;
    case 2: return 4.0 * x * y;
    case 3: return 2.0 * (x * x - y * y);
    default: return 2.0 * (x * x + y * y) - 1.0;
    }
}

static double
power_of (const ptl_complex *p,
          gsize              n)
{
  double sum = 0.0;
  for (gsize i = 0; i < n; i++)
    sum += (double) crealf (p[i]) * crealf (p[i]) + (double) cimagf (p[i]) * cimagf (p[i]);
  return sum;
}

PtlArray *
_ptl_engine_modes_from_probe (const PtlArray *probe,
                              guint           n_modes)
{
  guint m = (guint) ptl_array_cols (probe);
  gsize n = (gsize) m * m;
  PtlArray *modes = ptl_array_new_3d (PTL_DTYPE_COMPLEX, n_modes, m, m);
  ptl_complex *out = ptl_array_complex (modes);
  const ptl_complex *main_mode = ptl_array_complex (probe);
  double total = power_of (main_mode, n);

  for (guint l = 1; l < n_modes; l++)
    {
      ptl_complex *p = out + l * n;
      for (guint r = 0; r < m; r++)
        for (guint c = 0; c < m; c++)
          p[(gsize) r * m + c] = main_mode[(gsize) r * m + c]
                                 * (float) diversity_pattern (l, (r - 0.5 * m) / (0.25 * m),
                                                              (c - 0.5 * m) / (0.25 * m));
      double power = power_of (p, n);
      float scale = power > 0.0 ? (float) sqrt (EXTRA_MODE_POWER * total / power) : 0.0f;
      for (gsize i = 0; i < n; i++)
        p[i] *= scale;
    }
  /* The main mode gives up what the others take, so the total stays the photon count. */
  float keep = (float) sqrt (1.0 / (1.0 + EXTRA_MODE_POWER * (n_modes - 1)));
  for (gsize i = 0; i < n; i++)
    out[i] = main_mode[i] * keep;
  for (guint l = 1; l < n_modes; l++)
    for (gsize i = 0; i < n; i++)
      out[l * n + i] *= keep;
  return modes;
}

/* Cyclic Jacobi on the real symmetric 2K×2K embedding [[Re, −Im], [Im, Re]] of the
 * Hermitian matrix: each complex eigenvalue appears twice, and x + iy of either vector
 * (x; y) of a pair is a complex eigenvector. K is small (≤ 16), so simplicity wins. */
void
_ptl_hermitian_eigen (const ptl_complex *matrix,
                      guint              k,
                      double            *values,
                      ptl_complex       *vectors)
{
  guint n = 2 * k;
  g_autofree double *a = g_new0 (double, (gsize) n * n);
  g_autofree double *v = g_new0 (double, (gsize) n * n);
  g_autofree guint *index = g_new (guint, n);

  for (guint i = 0; i < k; i++)
    for (guint j = 0; j < k; j++)
      {
        double re = crealf (matrix[i * k + j]), im = cimagf (matrix[i * k + j]);
        a[i * n + j] = re;
        a[(i + k) * n + j + k] = re;
        a[i * n + j + k] = -im;
        a[(i + k) * n + j] = im;
      }
  for (guint i = 0; i < n; i++)
    v[i * n + i] = 1.0;

  for (guint sweep = 0; sweep < 50; sweep++)
    {
      double off = 0.0, scale = 0.0;
      for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
          *(i == j ? &scale : &off) += a[i * n + j] * a[i * n + j];
      if (off <= 1e-24 * scale || off == 0.0)
        break;
      for (guint p = 0; p < n; p++)
        for (guint q = p + 1; q < n; q++)
          {
            double apq = a[p * n + q];
            if (fabs (apq) < 1e-300)
              continue;
            double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
            double t = (theta >= 0 ? 1.0 : -1.0) / (fabs (theta) + sqrt (theta * theta + 1.0));
            double c = 1.0 / sqrt (t * t + 1.0), s = t * c;
            for (guint r = 0; r < n; r++)
              {
                double arp = a[r * n + p], arq = a[r * n + q];
                a[r * n + p] = c * arp - s * arq;
                a[r * n + q] = s * arp + c * arq;
              }
            for (guint r = 0; r < n; r++)
              {
                double apr = a[p * n + r], aqr = a[q * n + r];
                a[p * n + r] = c * apr - s * aqr;
                a[q * n + r] = s * apr + c * aqr;
              }
            for (guint r = 0; r < n; r++)
              {
                double vrp = v[r * n + p], vrq = v[r * n + q];
                v[r * n + p] = c * vrp - s * vrq;
                v[r * n + q] = s * vrp + c * vrq;
              }
          }
    }

  for (guint i = 0; i < n; i++)
    index[i] = i;
  for (guint i = 1; i < n; i++) /* insertion sort, descending */
    for (guint j = i; j > 0 && a[index[j] * n + index[j]] > a[index[j - 1] * n + index[j - 1]]; j--)
      {
        guint t = index[j];
        index[j] = index[j - 1];
        index[j - 1] = t;
      }

  /* One vector of each pair, made orthogonal to those already taken (Gram–Schmidt), which
   * also separates genuinely degenerate eigenvalues. */
  guint taken = 0;
  for (guint e = 0; e < n && taken < k; e++)
    {
      guint col = index[e];
      ptl_complex *out = vectors + taken; /* column `taken`, stride k */
      double norm = 0.0;
      for (guint i = 0; i < k; i++)
        out[i * k] = (float) v[i * n + col] + I * (float) v[(i + k) * n + col];
      for (guint t = 0; t < taken; t++)
        {
          ptl_complex dot = 0.0f;
          for (guint i = 0; i < k; i++)
            dot += conjf (vectors[i * k + t]) * out[i * k];
          for (guint i = 0; i < k; i++)
            out[i * k] -= dot * vectors[i * k + t];
        }
      for (guint i = 0; i < k; i++)
        norm += (double) crealf (out[i * k]) * crealf (out[i * k])
                + (double) cimagf (out[i * k]) * cimagf (out[i * k]);
      if (norm < 0.25) /* the partner of a vector already taken */
        continue;
      for (guint i = 0; i < k; i++)
        out[i * k] /= (float) sqrt (norm);
      values[taken++] = a[col * n + col];
    }
}

PtlArray *
_ptl_engine_natural_modes (PtlEngine *engine,
                           GError   **error)
{
  guint k = engine->n_modes;
  gsize n = engine->pixels;
  g_autoptr (PtlArray) modes = ptl_array_new_3d (PTL_DTYPE_COMPLEX, k, engine->m, engine->m);
  if (!ptl_backend_download (engine->backend, engine->probe, 0, modes->data,
                             ptl_array_bytes (modes), error))
    return NULL;
  if (k == 1)
    return g_steal_pointer (&modes);
  const ptl_complex *p = ptl_array_complex (modes);
  g_autofree ptl_complex *gram = g_new0 (ptl_complex, (gsize) k * k);
  g_autofree ptl_complex *vectors = g_new0 (ptl_complex, (gsize) k * k);
  g_autofree double *values = g_new0 (double, k);

  for (guint a = 0; a < k; a++)
    for (guint b = a; b < k; b++)
      {
        double re = 0.0, im = 0.0;
        for (gsize i = 0; i < n; i++)
          {
            ptl_complex z = conjf (p[a * n + i]) * p[b * n + i];
            re += crealf (z);
            im += cimagf (z);
          }
        gram[a * k + b] = (float) re + I * (float) im;
        gram[b * k + a] = (float) re - I * (float) im;
      }
  _ptl_hermitian_eigen (gram, k, values, vectors);

  /* P'_e = Σ_l V[l][e] P_l: orthogonal, with powers the eigenvalues. */
  g_autoptr (PtlArray) natural = ptl_array_new_3d (PTL_DTYPE_COMPLEX, k, engine->m, engine->m);
  ptl_complex *q = ptl_array_complex (natural);
  for (guint e = 0; e < k; e++)
    for (guint l = 0; l < k; l++)
      {
        ptl_complex w = vectors[l * k + e];
        for (gsize i = 0; i < n; i++)
          q[e * n + i] += w * p[l * n + i];
      }
  return g_steal_pointer (&natural);
}

gboolean
_ptl_engine_orthogonalise_modes (PtlEngine *engine,
                                 GError   **error)
{
  g_autoptr (PtlArray) natural = _ptl_engine_natural_modes (engine, error);

  return natural != NULL
         && ptl_backend_upload (engine->backend, engine->probe, 0, natural->data,
                                ptl_array_bytes (natural), error);
}
