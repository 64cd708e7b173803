/* Shared by ptl-quality.c and ptl-registration.c only. */
#pragma once

#include "ptl-quality.h"

G_BEGIN_DECLS

static inline double
_ptl_norm2 (ptl_complex z)
{
  return (double) crealf (z) * crealf (z) + (double) cimagf (z) * cimagf (z);
}

/* Grid index as a signed frequency or shift: 0, 1, …, n/2, −(n−1)/2, …, −1. */
static inline double
_ptl_signed_index (gsize k,
                   gsize n)
{
  return k > n / 2 ? (double) k - (double) n : (double) k;
}

/* In place and unnormalised; sign is FFTW_FORWARD or FFTW_BACKWARD. */
void _ptl_fft_2d (ptl_complex *data,
                  gsize        rows,
                  gsize        cols,
                  int          sign);

/* F(a) · conj(F(b)), a new rows×cols array. */
PtlArray *_ptl_cross_power (const ptl_complex *a,
                            const ptl_complex *b,
                            gsize              rows,
                            gsize              cols);

/* Where Σ_i |Σ_x inputs[i][x] exp(+2πi k·x / N)|², divided by the same transform of
 * `normaliser` (NULL: none), peaks, to about 1/upsample of a grid step. With `spectral` the
 * inputs are spectra and the peak is a shift in pixels; otherwise they are images and the
 * peak is a frequency in bins. */
void _ptl_locate_peak (const ptl_complex *const *inputs,
                       guint                     n_inputs,
                       const ptl_complex        *normaliser,
                       gsize                     rows,
                       gsize                     cols,
                       gboolean                  spectral,
                       guint                     upsample,
                       double                   *peak_row,
                       double                   *peak_col);

/* Moves the content of a complex 2-D image by (shift_rows, shift_cols) pixels. */
void _ptl_fourier_shift (PtlArray *image,
                         double    shift_rows,
                         double    shift_cols);

G_END_DECLS
