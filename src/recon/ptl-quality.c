/* Judging a reconstruction against ground truth (reference/algorithms.md §6.2).
 *
 * Conventions, pinned down by tests/unit/test-quality.c:
 * - shifting an image by d moves its content from r to r + d (a Fourier phase ramp, so the
 *   image is taken as periodic);
 * - ptl_quality_compare reports shift d, ramp q and scale γ such that
 *     truth(r) ≈ γ · S_d[estimate(r) · exp(−i q·r)],   r = (row, col) from the array origin:
 *   q is the ramp the estimate carries, removed before the shift so that the Fourier shift
 *   sees an image without the jump a ramp makes at the edges;
 * - FRC rings are one frequency pixel of the smaller dimension wide, each axis' frequency
 *   scaled by its own length, so rings are circles in cycles per pixel for any shape. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Quality"

#include <complex.h> /* first, so that fftwf_complex is float _Complex like ptl_complex */
#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-quality-private.h"

/* The ramp-blind registration only prepares the ramp measurement: 0.1 pixel is plenty. */
#define COARSE_UPSAMPLE 10
#define FINE_UPSAMPLE 50

typedef struct
{
  gsize row, col, rows, cols;
} Box;

/* out = S_shift[estimate · exp(−i q·r)]: the ramp goes first, so that the Fourier shift sees
 * an image without the phase jump a ramp makes across the edges. */
static void
align (const PtlArray *estimate,
       const double    q[2],
       const double    shift[2],
       PtlArray       *out)
{
  gsize rows = ptl_array_rows (estimate), cols = ptl_array_cols (estimate);
  const ptl_complex *x = ptl_array_complex (estimate);
  ptl_complex *y = ptl_array_complex (out);
  g_autofree double complex *col_phase = g_new (double complex, cols);

  for (gsize c = 0; c < cols; c++)
    col_phase[c] = cexp (-I * q[1] * (double) c);
  for (gsize r = 0; r < rows; r++)
    {
      double complex row_phase = cexp (-I * q[0] * (double) r);
      for (gsize c = 0; c < cols; c++)
        y[r * cols + c] = x[r * cols + c] * (ptl_complex) (row_phase * col_phase[c]);
    }
  if (shift != NULL)
    _ptl_fourier_shift (out, shift[0], shift[1]);
}

/* x(r) · conj(x(r + one pixel along the axis)), wrapping at the edge like the FFT does. */
static void
neighbour_product (const ptl_complex *x,
                   gsize              rows,
                   gsize              cols,
                   gboolean           along_rows,
                   ptl_complex       *out)
{
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        gsize next = along_rows ? ((r + 1) % rows) * cols + c : r * cols + (c + 1) % cols;
        out[r * cols + c] = x[r * cols + c] * conjf (x[next]);
      }
}

/* Shift d that aligns `estimate` to the truth inside the region: the maximum of
 * |Σ w f conj(S_d g)|² / Σ w |S_d g|², which is what the NRMSE after the scale fit rewards.
 * Weighting only the truth keeps a common window edge from pulling d towards zero, and the
 * denominator keeps the estimate's energy entering the window from biasing it instead.
 * With `ramp_invariant`, f and g are replaced by their neighbour products along each axis,
 * which turn a phase ramp and a complex scale into a constant factor: a ramp of any slope
 * cannot mislead this search, and phase-only objects still have structure to register on
 * (amplitudes alone would not). */
static void
register_to_truth (const ptl_complex *truth,
                   const ptl_complex *estimate,
                   const float       *weights,
                   gsize              rows,
                   gsize              cols,
                   gboolean           ramp_invariant,
                   guint              upsample,
                   double             shift[2])
{
  gsize n = rows * cols;
  g_autoptr (PtlArray) reference = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) moving = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) energy = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) window = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) normaliser = NULL;
  ptl_complex *ref = ptl_array_complex (reference), *mov = ptl_array_complex (moving);
  ptl_complex *e = ptl_array_complex (energy), *win = ptl_array_complex (window);
  PtlArray *cross[2] = { NULL, NULL };
  const ptl_complex *inputs[2];
  guint n_inputs = ramp_invariant ? 2 : 1;

  for (guint axis = 0; axis < n_inputs; axis++)
    {
      if (ramp_invariant)
        {
          neighbour_product (truth, rows, cols, axis == 0, ref);
          neighbour_product (estimate, rows, cols, axis == 0, mov);
        }
      else
        {
          memcpy (ref, truth, n * sizeof *ref);
          memcpy (mov, estimate, n * sizeof *mov);
        }
      for (gsize i = 0; i < n; i++)
        {
          ref[i] *= weights[i];
          e[i] += (float) _ptl_norm2 (mov[i]);
        }
      cross[axis] = _ptl_cross_power (ref, mov, rows, cols);
      inputs[axis] = ptl_array_complex (cross[axis]);
    }
  for (gsize i = 0; i < n; i++)
    win[i] = weights[i];
  normaliser = _ptl_cross_power (win, e, rows, cols);
  _ptl_locate_peak (inputs, n_inputs, ptl_array_complex (normaliser), rows, cols, TRUE,
                    upsample, &shift[0], &shift[1]);
  for (guint axis = 0; axis < n_inputs; axis++)
    ptl_array_free (cross[axis]);
}

/* Slope q (rad/px along rows, cols) of the phase ramp the aligned estimate g carries relative
 * to the truth f: w f conj(g) ∝ w |f|² e^{−iq·r}, so Σ w f conj(g) e^{+iκ·r} peaks at κ = q
 * (exactly, since w|f|² ≥ 0). Searched over the region's bounding box only. */
static void
find_ramp (const ptl_complex *truth,
           const ptl_complex *aligned,
           const float       *weights,
           gsize              cols,
           const Box         *box,
           guint              upsample,
           double             q[2])
{
  g_autoptr (PtlArray) product = ptl_array_new_2d (PTL_DTYPE_COMPLEX, box->rows, box->cols);
  ptl_complex *h = ptl_array_complex (product);
  const ptl_complex *inputs[] = { h };
  double peak_row, peak_col;

  for (gsize r = 0; r < box->rows; r++)
    for (gsize c = 0; c < box->cols; c++)
      {
        gsize i = (box->row + r) * cols + box->col + c;
        h[r * box->cols + c] = weights[i] * truth[i] * conjf (aligned[i]);
      }
  _ptl_locate_peak (inputs, 1, NULL, box->rows, box->cols, FALSE, upsample, &peak_row,
                    &peak_col);
  q[0] = 2 * G_PI * peak_row / box->rows;
  q[1] = 2 * G_PI * peak_col / box->cols;
}

static gboolean
check_complex_image (const PtlArray *array,
                     const char     *name,
                     GError        **error)
{
  if (array->dtype != PTL_DTYPE_COMPLEX || array->ndim != 2)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The %s must be a complex 2-D array, not a %s %u-D one", name,
                   array->dtype == PTL_DTYPE_COMPLEX ? "complex" : "real", array->ndim);
      return FALSE;
    }
  if (ptl_array_rows (array) < 2 || ptl_array_cols (array) < 2)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The %s (%" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT ") must be at least 2×2",
                   name, ptl_array_rows (array), ptl_array_cols (array));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_same_shape (const PtlArray *a,
                  const PtlArray *b,
                  const char     *name_a,
                  const char     *name_b,
                  GError        **error)
{
  if (b->ndim == 2 && ptl_array_same_shape (a, b))
    return TRUE;
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
               "The %s (%" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT ") and the %s (%u-D, "
               "%" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT ") differ in shape",
               name_a, ptl_array_rows (a), ptl_array_cols (a), name_b, b->ndim,
               ptl_array_rows (b), ptl_array_cols (b));
  return FALSE;
}

/* The comparison weights (all ones without a region) and the bounding box of w > 0. */
static PtlArray *
make_weights (const PtlArray *region,
              gsize           rows,
              gsize           cols,
              Box            *box,
              GError        **error)
{
  g_autoptr (PtlArray) weights = NULL;
  gsize last_row = 0, last_col = 0;
  float *w;

  if (region == NULL)
    {
      weights = ptl_array_new_2d (PTL_DTYPE_FLOAT, rows, cols);
      w = ptl_array_float (weights);
      for (gsize i = 0; i < rows * cols; i++)
        w[i] = 1.0f;
    }
  else if (region->dtype != PTL_DTYPE_FLOAT)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The region must hold real weights, not complex values");
      return NULL;
    }
  else
    {
      weights = ptl_array_copy (region);
      w = ptl_array_float (weights);
    }

  *box = (Box) { rows, cols, 0, 0 };
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        float v = w[r * cols + c];
        if (!isfinite (v) || v < 0)
          {
            g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                         "The region's weight at (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") "
                         "is %g; weights must be finite and non-negative", r, c, v);
            return NULL;
          }
        if (v > 0)
          {
            box->row = MIN (box->row, r);
            box->col = MIN (box->col, c);
            last_row = MAX (last_row, r);
            last_col = MAX (last_col, c);
          }
      }
  if (box->row == rows)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The region has no positive weight: there is nothing to compare");
      return NULL;
    }
  box->rows = last_row - box->row + 1;
  box->cols = last_col - box->col + 1;
  if (box->rows < 2 || box->cols < 2)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The region spans %" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT " pixels, too few "
                   "to compare", box->rows, box->cols);
      return NULL;
    }
  return g_steal_pointer (&weights);
}

static PtlArray *
crop (const PtlArray *image,
      const Box      *box)
{
  PtlArray *out = ptl_array_new_2d (PTL_DTYPE_COMPLEX, box->rows, box->cols);
  gsize cols = ptl_array_cols (image);

  for (gsize r = 0; r < box->rows; r++)
    memcpy (ptl_array_complex (out) + r * box->cols,
            ptl_array_complex (image) + (box->row + r) * cols + box->col,
            box->cols * sizeof (ptl_complex));
  return out;
}

/* First ring (after the always-correlated zero frequency) below the threshold, as a
 * fraction of Nyquist. */
static double
frc_resolution (GArray *curve,
                GArray *threshold,
                gsize   size)
{
  for (guint i = 1; i < curve->len; i++)
    if (g_array_index (curve, double, i) < g_array_index (threshold, double, i))
      return i / (size / 2.0);
  return 1.0;
}

gboolean
ptl_quality_compare (const PtlArray *truth,
                     const PtlArray *estimate,
                     const PtlArray *region,
                     PtlQuality     *quality,
                     GError        **error)
{
  g_return_val_if_fail (truth != NULL && estimate != NULL && quality != NULL, FALSE);

  if (!check_complex_image (truth, "truth", error)
      || !check_complex_image (estimate, "estimate", error)
      || !check_same_shape (truth, estimate, "truth", "estimate", error)
      || (region != NULL && !check_same_shape (truth, region, "truth", "region", error)))
    return FALSE;

  gsize rows = ptl_array_rows (truth), cols = ptl_array_cols (truth);
  Box box;
  g_autoptr (PtlArray) weights = make_weights (region, rows, cols, &box, error);
  if (weights == NULL)
    return FALSE;

  const float *w = ptl_array_float (weights);
  const ptl_complex *f = ptl_array_complex (truth);
  g_autoptr (PtlArray) ramp_free = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  g_autoptr (PtlArray) aligned = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  double shift[2], ramp[2] = { 0, 0 }, residual[2];

  /* A ramp decorrelates the images, so first align roughly in a way blind to it and measure
   * the ramp, then register the ramp-free estimate precisely and measure what ramp is left. */
  register_to_truth (f, ptl_array_complex (estimate), w, rows, cols, TRUE, COARSE_UPSAMPLE,
                     shift);
  align (estimate, ramp, shift, aligned);
  find_ramp (f, ptl_array_complex (aligned), w, cols, &box, FINE_UPSAMPLE, ramp);

  align (estimate, ramp, NULL, ramp_free);
  register_to_truth (f, ptl_array_complex (ramp_free), w, rows, cols, FALSE, FINE_UPSAMPLE,
                     shift);
  align (estimate, ramp, shift, aligned);
  find_ramp (f, ptl_array_complex (aligned), w, cols, &box, FINE_UPSAMPLE, residual);
  ramp[0] += residual[0];
  ramp[1] += residual[1];
  align (estimate, ramp, shift, aligned);

  const ptl_complex *g = ptl_array_complex (aligned);
  double complex cross = 0;
  double power_f = 0, power_g = 0, weight = 0;
  for (gsize i = 0; i < rows * cols; i++)
    {
      cross += w[i] * (f[i] * conj (g[i]));
      power_f += w[i] * _ptl_norm2 (f[i]);
      power_g += w[i] * _ptl_norm2 (g[i]);
    }
  if (power_f == 0 || power_g == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE, "The %s is zero over the region",
                   power_f == 0 ? "truth" : "estimate");
      return FALSE;
    }

  double complex gamma = cross / power_g;
  double misfit = 0, phase2 = 0;
  for (gsize i = 0; i < rows * cols; i++)
    {
      double complex fitted = gamma * g[i], difference = f[i] - fitted;
      double phase = carg (f[i] * conj (fitted));
      misfit += w[i] * (creal (difference) * creal (difference)
                        + cimag (difference) * cimag (difference));
      phase2 += w[i] * phase * phase;
      weight += w[i];
    }

  g_autoptr (PtlArray) truth_box = crop (truth, &box);
  g_autoptr (PtlArray) estimate_box = crop (aligned, &box);
  g_autoptr (GArray) curve = NULL;
  g_autoptr (GArray) threshold = NULL;
  if (!ptl_frc (truth_box, estimate_box, &curve, &threshold, error))
    return FALSE;

  *quality = (PtlQuality) {
    .nrmse = sqrt (misfit / power_f),
    .phase_rms = sqrt (phase2 / weight),
    .shift_rows = shift[0],
    .shift_cols = shift[1],
    .ramp_rows = ramp[0],
    .ramp_cols = ramp[1],
    .scale = (ptl_complex) gamma,
    .frc_resolution = frc_resolution (curve, threshold, MIN (box.rows, box.cols)),
  };
  return TRUE;
}

/* van Heel & Schatz (2005), for n pixels in the ring. */
static double
half_bit_threshold (double n)
{
  return (0.2071 + 1.9102 / sqrt (n)) / (1.2071 + 0.9102 / sqrt (n));
}

/* Spectrum of the image under a separable Hann window, sin²(π (x + ½) / n) along each axis. */
static PtlArray *
apodised_spectrum (const PtlArray *image)
{
  gsize rows = ptl_array_rows (image), cols = ptl_array_cols (image);
  PtlArray *spectrum = ptl_array_copy (image);
  ptl_complex *x = ptl_array_complex (spectrum);
  g_autofree float *col_window = g_new (float, cols);

  for (gsize c = 0; c < cols; c++)
    col_window[c] = (float) pow (sin (G_PI * (c + 0.5) / cols), 2);
  for (gsize r = 0; r < rows; r++)
    {
      float row_window = (float) pow (sin (G_PI * (r + 0.5) / rows), 2);
      for (gsize c = 0; c < cols; c++)
        x[r * cols + c] *= row_window * col_window[c];
    }
  _ptl_fft_2d (x, rows, cols, FFTW_FORWARD);
  return spectrum;
}

gboolean
ptl_frc (const PtlArray *a,
         const PtlArray *b,
         GArray        **curve,
         GArray        **threshold,
         GError        **error)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (!check_complex_image (a, "first image", error)
      || !check_complex_image (b, "second image", error)
      || !check_same_shape (a, b, "first image", "second image", error))
    return FALSE;

  gsize rows = ptl_array_rows (a), cols = ptl_array_cols (a);
  gsize size = MIN (rows, cols), n_rings = size / 2;
  g_autoptr (PtlArray) spectrum_a = apodised_spectrum (a);
  g_autoptr (PtlArray) spectrum_b = apodised_spectrum (b);
  const ptl_complex *fa = ptl_array_complex (spectrum_a), *fb = ptl_array_complex (spectrum_b);
  g_autofree double complex *cross = g_new0 (double complex, n_rings);
  g_autofree double *power_a = g_new0 (double, n_rings);
  g_autofree double *power_b = g_new0 (double, n_rings);
  g_autofree gsize *count = g_new0 (gsize, n_rings);

  for (gsize r = 0; r < rows; r++)
    {
      double fr = _ptl_signed_index (r, rows) / rows;
      for (gsize c = 0; c < cols; c++)
        {
          double fc = _ptl_signed_index (c, cols) / cols;
          gsize ring = (gsize) (sqrt (fr * fr + fc * fc) * size + 0.5), i = r * cols + c;
          if (ring >= n_rings)
            continue;
          cross[ring] += fa[i] * conj (fb[i]);
          power_a[ring] += _ptl_norm2 (fa[i]);
          power_b[ring] += _ptl_norm2 (fb[i]);
          count[ring]++;
        }
    }

  GArray *values = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) n_rings);
  GArray *limits = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) n_rings);
  for (gsize i = 0; i < n_rings; i++)
    {
      double denominator = sqrt (power_a[i] * power_b[i]);
      double value = denominator > 0 ? cabs (cross[i]) / denominator : 0.0;
      double limit = half_bit_threshold ((double) count[i]);
      g_array_append_val (values, value);
      g_array_append_val (limits, limit);
    }
  if (curve != NULL)
    *curve = values;
  else
    g_array_unref (values);
  if (threshold != NULL)
    *threshold = limits;
  else
    g_array_unref (limits);
  return TRUE;
}

PtlArray *
ptl_illumination_map (const PtlArray *probe,
                      const double   *positions,
                      guint           n_positions,
                      guint           rows,
                      guint           cols)
{
  g_return_val_if_fail (probe != NULL && probe->dtype == PTL_DTYPE_COMPLEX, NULL);
  g_return_val_if_fail (probe->ndim == 2 || probe->ndim == 3, NULL);
  g_return_val_if_fail (positions != NULL || n_positions == 0, NULL);
  g_return_val_if_fail (rows > 0 && cols > 0, NULL);

  gsize probe_rows = ptl_array_rows (probe), probe_cols = ptl_array_cols (probe);
  gsize pixels = probe_rows * probe_cols, modes = probe->n / pixels;
  const ptl_complex *p = ptl_array_complex (probe);
  g_autofree float *intensity = g_new0 (float, pixels);
  PtlArray *map = ptl_array_new_2d (PTL_DTYPE_FLOAT, rows, cols);
  float *out = ptl_array_float (map);

  /* Incoherent modes add their intensities. */
  for (gsize m = 0; m < modes; m++)
    for (gsize i = 0; i < pixels; i++)
      intensity[i] += (float) _ptl_norm2 (p[m * pixels + i]);

  for (guint j = 0; j < n_positions; j++)
    {
      double row = round (positions[2 * j]), col = round (positions[2 * j + 1]);
      /* The engines refuse windows not wholly inside the canvas; the map skips them. */
      if (!(row >= 0 && col >= 0 && row + probe_rows <= rows && col + probe_cols <= cols))
        continue;
      for (gsize r = 0; r < probe_rows; r++)
        for (gsize c = 0; c < probe_cols; c++)
          out[((gsize) row + r) * cols + (gsize) col + c] += intensity[r * probe_cols + c];
    }
  return map;
}

/* Erosion of a 0/1 line by a segment of half-width `radius`; outside the canvas counts as 0.
 * `run` (length entries) receives the ones ending at each pixel. */
static void
erode_line (float *line,
            gsize  length,
            gsize  stride,
            guint  radius,
            gsize *run)
{
  gsize ones = 0;

  for (gsize i = 0; i < length; i++)
    run[i] = ones = line[i * stride] > 0 ? ones + 1 : 0;
  ones = 0;
  for (gsize i = length; i-- > 0;)
    {
      ones = run[i] > 0 ? ones + 1 : 0;
      line[i * stride] = run[i] > radius && ones > radius ? 1.0f : 0.0f;
    }
}

PtlArray *
ptl_quality_region (const PtlArray *illumination,
                    double          fraction,
                    guint           erode)
{
  g_return_val_if_fail (illumination != NULL && illumination->dtype == PTL_DTYPE_FLOAT, NULL);
  g_return_val_if_fail (illumination->ndim == 2, NULL);

  gsize rows = ptl_array_rows (illumination), cols = ptl_array_cols (illumination);
  const float *map = ptl_array_float (illumination);
  PtlArray *region = ptl_array_new_2d (PTL_DTYPE_FLOAT, rows, cols);
  float *out = ptl_array_float (region);
  g_autofree gsize *run = g_new (gsize, MAX (rows, cols));
  float peak = 0;

  for (gsize i = 0; i < rows * cols; i++)
    peak = MAX (peak, map[i]);
  /* Pixels no window reaches never count, whatever the fraction. */
  for (gsize i = 0; i < rows * cols; i++)
    out[i] = map[i] > 0 && map[i] >= fraction * peak ? 1.0f : 0.0f;
  /* A square structuring element is a row segment followed by a column segment. */
  for (gsize r = 0; r < rows; r++)
    erode_line (out + r * cols, cols, 1, erode, run);
  for (gsize c = 0; c < cols; c++)
    erode_line (out + c, rows, cols, erode, run);
  return region;
}

gboolean
ptl_quality_compare_scan (const PtlArray *truth,
                          const PtlArray *estimate,
                          const PtlArray *probe,
                          const double   *positions,
                          guint           n_positions,
                          PtlQuality     *quality,
                          GError        **error)
{
  g_autoptr (PtlArray) illumination = ptl_illumination_map (probe, positions, n_positions,
                                                            ptl_array_rows (truth),
                                                            ptl_array_cols (truth));
  g_autoptr (PtlArray) region = ptl_quality_region (illumination, 0.3, 2);

  return ptl_quality_compare (truth, estimate, region, quality, error);
}
