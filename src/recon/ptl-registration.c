/* Sub-pixel peak finding by upsampled DFT (Guizar-Sicairos, Thurman & Fienup, Opt. Lett. 33,
 * 156, 2008), used to register images and to measure phase ramps; and the Fourier shift.
 * A shift d moves an image's content from r to r + d, the image taken as periodic. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Quality"

#include <complex.h> /* first, so that fftwf_complex is float _Complex like ptl_complex */
#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "ptl-quality-private.h"

static gpointer
make_planner_thread_safe (gpointer data)
{
  fftwf_make_planner_thread_safe ();
  return NULL;
}

void
_ptl_fft_2d (ptl_complex *data,
             gsize        rows,
             gsize        cols,
             int          sign)
{
  static GOnce once = G_ONCE_INIT;
  fftwf_plan plan;

  g_once (&once, make_planner_thread_safe, NULL);
  plan = fftwf_plan_dft_2d ((int) rows, (int) cols, data, data, sign, FFTW_ESTIMATE);
  fftwf_execute (plan);
  fftwf_destroy_plan (plan);
}

PtlArray *
_ptl_cross_power (const ptl_complex *a,
                  const ptl_complex *b,
                  gsize              rows,
                  gsize              cols)
{
  PtlArray *cross = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) spectrum_b = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  ptl_complex *fa = ptl_array_complex (cross), *fb = ptl_array_complex (spectrum_b);

  memcpy (fa, a, rows * cols * sizeof *fa);
  memcpy (fb, b, rows * cols * sizeof *fb);
  _ptl_fft_2d (fa, rows, cols, FFTW_FORWARD);
  _ptl_fft_2d (fb, rows, cols, FFTW_FORWARD);
  for (gsize i = 0; i < rows * cols; i++)
    fa[i] *= conjf (fb[i]);
  return cross;
}

/* exp(+2πi κ_j x / n) for κ_j = centre + (j − half) / upsample, j < 2·half + 1, and x the
 * grid index (signed when the input is a spectrum). */
static double complex *
dft_kernel (gsize    n,
            double   centre,
            guint    half,
            guint    upsample,
            gboolean spectral)
{
  gsize m = 2 * (gsize) half + 1;
  double complex *kernel = g_new (double complex, m * n);

  for (gsize j = 0; j < m; j++)
    {
      double kappa = centre + ((double) j - half) / upsample;
      for (gsize x = 0; x < n; x++)
        {
          double index = spectral ? _ptl_signed_index (x, n) : (double) x;
          kernel[j * n + x] = cexp (2 * G_PI * I * kappa * index / n);
        }
    }
  return kernel;
}

static double
parabola_vertex (double before,
                 double at,
                 double after)
{
  double curvature = before - 2 * at + after;
  return curvature < 0 ? 0.5 * (before - after) / curvature : 0.0;
}

/* The m×m samples of Σ_x input[x] exp(+2πi k·x / N) that the kernels select: one matrix
 * product along columns, then one along rows. */
static void
upsampled_dft (const ptl_complex    *input,
               gsize                 rows,
               gsize                 cols,
               const double complex *row_kernel,
               const double complex *col_kernel,
               gsize                 m,
               double complex       *out)
{
  g_autofree double complex *partial = g_new (double complex, rows * m);

  for (gsize r = 0; r < rows; r++)
    for (gsize j = 0; j < m; j++)
      {
        const ptl_complex *x = input + r * cols;
        const double complex *k = col_kernel + j * cols;
        double complex sum = 0;
        for (gsize c = 0; c < cols; c++)
          sum += x[c] * k[c];
        partial[r * m + j] = sum;
      }
  memset (out, 0, m * m * sizeof *out);
  for (gsize a = 0; a < m; a++)
    for (gsize r = 0; r < rows; r++)
      {
        double complex k = row_kernel[a * rows + r];
        for (gsize j = 0; j < m; j++)
          out[a * m + j] += k * partial[r * m + j];
      }
}

static inline double
normalised (double power,
            double energy)
{
  return energy > 0 ? power / energy : 0.0;
}

/* The maximum over inverse FFTs, then a matrix-multiply DFT upsampled over ±0.75 of a grid
 * step around it (the coarse maximum is within ±0.5 of the true one) and a parabola through
 * the best three samples. Summing powers lets inputs with unrelated phases vote together. */
void
_ptl_locate_peak (const ptl_complex *const *inputs,
                  guint                     n_inputs,
                  const ptl_complex        *normaliser,
                  gsize                     rows,
                  gsize                     cols,
                  gboolean                  spectral,
                  guint                     upsample,
                  double                   *peak_row,
                  double                   *peak_col)
{
  gsize n = rows * cols, best = 0;
  g_autofree double *objective = g_new0 (double, n);
  g_autoptr (PtlArray) work = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  ptl_complex *w = ptl_array_complex (work);

  for (guint i = 0; i < n_inputs; i++)
    {
      memcpy (w, inputs[i], n * sizeof *w);
      _ptl_fft_2d (w, rows, cols, FFTW_BACKWARD);
      for (gsize p = 0; p < n; p++)
        objective[p] += _ptl_norm2 (w[p]);
    }
  if (normaliser != NULL)
    {
      memcpy (w, normaliser, n * sizeof *w);
      _ptl_fft_2d (w, rows, cols, FFTW_BACKWARD);
      for (gsize p = 0; p < n; p++)
        objective[p] = normalised (objective[p], crealf (w[p]));
    }
  for (gsize p = 1; p < n; p++)
    if (objective[p] > objective[best])
      best = p;
  *peak_row = _ptl_signed_index (best / cols, rows);
  *peak_col = _ptl_signed_index (best % cols, cols);
  if (upsample <= 1)
    return;

  guint half = (guint) ceil (0.75 * upsample);
  gsize m = 2 * (gsize) half + 1, bi = half, bj = half;
  g_autofree double complex *row_kernel = dft_kernel (rows, *peak_row, half, upsample, spectral);
  g_autofree double complex *col_kernel = dft_kernel (cols, *peak_col, half, upsample, spectral);
  g_autofree double complex *samples = g_new (double complex, m * m);
  g_autofree double *fine = g_new0 (double, m * m);

  for (guint i = 0; i < n_inputs; i++)
    {
      upsampled_dft (inputs[i], rows, cols, row_kernel, col_kernel, m, samples);
      for (gsize p = 0; p < m * m; p++)
        fine[p] += creal (samples[p] * conj (samples[p]));
    }
  if (normaliser != NULL)
    {
      upsampled_dft (normaliser, rows, cols, row_kernel, col_kernel, m, samples);
      for (gsize p = 0; p < m * m; p++)
        fine[p] = normalised (fine[p], creal (samples[p]));
    }
  for (gsize a = 0; a < m; a++)
    for (gsize j = 0; j < m; j++)
      if (fine[a * m + j] > fine[bi * m + bj])
        bi = a, bj = j;

  double di = 0, dj = 0;
  if (bi > 0 && bi + 1 < m)
    di = parabola_vertex (fine[(bi - 1) * m + bj], fine[bi * m + bj], fine[(bi + 1) * m + bj]);
  if (bj > 0 && bj + 1 < m)
    dj = parabola_vertex (fine[bi * m + bj - 1], fine[bi * m + bj], fine[bi * m + bj + 1]);
  *peak_row += ((double) bi - half + di) / upsample;
  *peak_col += ((double) bj - half + dj) / upsample;
}

void
ptl_register_translation (const PtlArray *reference,
                          const PtlArray *moving,
                          guint           upsample,
                          double         *shift_rows,
                          double         *shift_cols)
{
  g_return_if_fail (reference != NULL && moving != NULL);
  g_return_if_fail (reference->dtype == PTL_DTYPE_COMPLEX && reference->ndim == 2);
  g_return_if_fail (ptl_array_same_shape (reference, moving) && moving->dtype == reference->dtype);
  g_return_if_fail (shift_rows != NULL && shift_cols != NULL);

  gsize rows = ptl_array_rows (reference), cols = ptl_array_cols (reference);
  /* If moving(r) = reference(r − s), the correlation Σ_k F_ref conj(F_mov) e^{+2πik·x/N}
   * peaks at x = −s: the shift to apply. */
  g_autoptr (PtlArray) cross = _ptl_cross_power (ptl_array_complex (reference),
                                                 ptl_array_complex (moving), rows, cols);
  const ptl_complex *inputs[] = { ptl_array_complex (cross) };

  _ptl_locate_peak (inputs, 1, NULL, rows, cols, TRUE, upsample, shift_rows, shift_cols);
}

/* The spectrum times exp(−2πi k·d / N). */
void
_ptl_fourier_shift (PtlArray *image,
                    double    shift_rows,
                    double    shift_cols)
{
  gsize rows = ptl_array_rows (image), cols = ptl_array_cols (image);
  ptl_complex *x = ptl_array_complex (image);
  g_autofree double complex *col_phase = g_new (double complex, cols);

  for (gsize c = 0; c < cols; c++)
    col_phase[c] = cexp (-2 * G_PI * I * _ptl_signed_index (c, cols) * shift_cols / cols)
                   / (double) (rows * cols);
  _ptl_fft_2d (x, rows, cols, FFTW_FORWARD);
  for (gsize r = 0; r < rows; r++)
    {
      double complex row_phase =
        cexp (-2 * G_PI * I * _ptl_signed_index (r, rows) * shift_rows / rows);
      for (gsize c = 0; c < cols; c++)
        x[r * cols + c] *= (ptl_complex) (row_phase * col_phase[c]);
    }
  _ptl_fft_2d (x, rows, cols, FFTW_BACKWARD);
}

