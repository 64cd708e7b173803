#include "config.h"

#include "ptl-sim-raw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-sim-private.h"

/* Streams of their own, numbered after those of PtlSimStream, so that a raw detector built
 * from a scan's seed repeats neither the scan's positions nor its noise. The fixed
 * properties and the frames draw from separate streams, so that a seed's frame noise does
 * not depend on how many draws building the detector took. */
#define STREAM_DETECTOR ((PtlSimStream) 3)
#define STREAM_FRAMES   ((PtlSimStream) 4)

/* sCMOS sensors of soft X-ray beamlines are 2048×2048; the limits only keep the arrays of
 * one detector (5 bytes a pixel) near a gigabyte. */
#define MAX_SIDE 16384
#define MAX_BIN 64
/* Bad pixels stay a sprinkle: at most one pixel in this many. */
#define BAD_PIXEL_RATIO 100

/* A hot pixel's mean lies (1 to 2)·(HOT_EXCESS_SPREADS·dark_spread + HOT_EXCESS_ADU)
 * above its dark offset, far outside the spread of good pixels. Its dark current also
 * fluctuates from read to read, with an rms of HOT_NOISE_FRACTION of that excess, so hot
 * pixels stand out in the variance of dark frames as well as in their mean. */
#define HOT_EXCESS_SPREADS 20.0
#define HOT_EXCESS_ADU 1000.0
#define HOT_NOISE_FRACTION 0.1

/* Read noise is drawn for every pixel of every frame, four million deviates for a 2048²
 * frame, more than an exact sampler (polar method: two uniforms, a log and a square root)
 * affords at 25 Hz. Instead one 32-bit draw of the generator gives two 16-bit indices into
 * a table of standard normal quantiles at (k + ½)/2¹⁶: normal up to steps of 2⁻¹⁶ in
 * probability, with tails cut at ±4.3σ, which read noise, rounded to whole ADU, never
 * needs. */
#define NORMAL_TABLE_BITS 16
#define NORMAL_TABLE_SIZE (1u << NORMAL_TABLE_BITS)
#define NORMAL_TABLE_MASK (NORMAL_TABLE_SIZE - 1)

/* Reading a frame advances the detector's noise stream and uses its row buffer: one
 * thread at a time per detector. */
struct _PtlRawDetector
{
  PtlRawParams params;
  float       *dark;      /* [rows][cols] mean offset, ADU; 0 for dead pixels */
  guint8      *mask;      /* [rows][cols] 1 = good */
  guint32     *hot;       /* pixel indices, ascending */
  float       *hot_noise; /* extra rms of each hot pixel, ADU */
  guint32     *dead;      /* pixel indices, ascending */
  float       *normal;    /* NORMAL_TABLE_SIZE quantiles, unit rms */
  float       *row;       /* the analogue values of the row being read out */
  GRand       *frames;    /* per-frame noise: read noise, photon counts, hot pixels */
};

void
ptl_raw_params_init (PtlRawParams *params)
{
  *params = (PtlRawParams) {
    .rows = 2048,
    .cols = 2048,
    .centre_row = 1024.0,
    .centre_col = 1024.0,
    .bin = 1,
    /* Soft X-rays free hundreds of electrons per photon, so one photon is many ADU and
     * stands well above the read noise. */
    .gain = 10.0,
    .dark_level = 100.0,
    .dark_spread = 5.0,
    .read_noise = 2.0,
    .saturation = G_MAXUINT16,
    .n_hot = 20,
    .n_dead = 20,
    .beam_stop_radius = 0.0,
    .seed = 1,
  };
}

static gboolean
check_non_negative (double      value,
                    const char *what,
                    GError    **error)
{
  if (!(value >= 0.0 && isfinite (value)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The %s must be zero or positive (got %g ADU)", what, value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_params (const PtlRawParams *p,
              GError            **error)
{
  if (p->rows < 1 || p->rows > MAX_SIDE || p->cols < 1 || p->cols > MAX_SIDE)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Detector sides must lie between 1 and %d pixels (got %u×%u)",
                   MAX_SIDE, p->rows, p->cols);
      return FALSE;
    }
  /* The centre pixel of every pattern lands at the rounded centre: it must be a pixel. */
  if (!(p->centre_row > -0.5 && p->centre_row < p->rows - 0.5
        && p->centre_col > -0.5 && p->centre_col < p->cols - 0.5))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The beam centre (%g, %g) is not on the %u×%u detector",
                   p->centre_row, p->centre_col, p->rows, p->cols);
      return FALSE;
    }
  if (p->bin < 1 || p->bin > MAX_BIN)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Binning must lie between 1 and %d detector pixels (got %u)",
                   MAX_BIN, p->bin);
      return FALSE;
    }
  if (!(p->gain > 0.0 && isfinite (p->gain)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The gain must be positive (got %g ADU per photon)", p->gain);
      return FALSE;
    }
  if (!check_non_negative (p->dark_level, "dark level", error)
      || !check_non_negative (p->dark_spread, "dark spread", error)
      || !check_non_negative (p->read_noise, "read noise", error))
    return FALSE;
  if (p->saturation < 1 || p->saturation > G_MAXUINT16)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Saturation must lie between 1 and %d ADU (got %u)",
                   G_MAXUINT16, p->saturation);
      return FALSE;
    }
  guint64 max_bad = (guint64) p->rows * p->cols / BAD_PIXEL_RATIO;
  if ((guint64) p->n_hot + p->n_dead > max_bad)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "%u hot and %u dead pixels are more than 1 %% of the %u×%u detector "
                   "(at most %" G_GUINT64_FORMAT ")",
                   p->n_hot, p->n_dead, p->rows, p->cols, max_bad);
      return FALSE;
    }
  if (!(p->beam_stop_radius >= 0.0 && isfinite (p->beam_stop_radius)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The beam stop radius must be zero or positive (got %g pixels)",
                   p->beam_stop_radius);
      return FALSE;
    }
  return TRUE;
}

static gboolean
behind_beam_stop (const PtlRawParams *p,
                  guint               row,
                  guint               col)
{
  double dr = row - p->centre_row, dc = col - p->centre_col;

  return dr * dr + dc * dc < p->beam_stop_radius * p->beam_stop_radius;
}

/* Standard normal quantiles at (k + ½)/N by Newton's method on Φ(x) = p. For p < ½, Φ is
 * convex left of 0, so the iterates from 0 fall monotonically onto the root. The table is
 * then scaled to unit rms: the midpoints lose a little of each stratum's variance. */
static void
fill_normal_table (float *table)
{
  double sum_squares = 0.0;

  for (guint k = 0; k < NORMAL_TABLE_SIZE / 2; k++)
    {
      double p = (k + 0.5) / NORMAL_TABLE_SIZE, x = 0.0, step;
      do
        {
          step = (0.5 * erfc (-x / G_SQRT2) - p) / (exp (-0.5 * x * x) / sqrt (2.0 * G_PI));
          x -= step;
        }
      while (fabs (step) > 1e-12);
      table[k] = (float) x;
      table[NORMAL_TABLE_SIZE - 1 - k] = (float) -x;
      sum_squares += 2.0 * x * x;
    }

  float scale = (float) (1.0 / sqrt (sum_squares / NORMAL_TABLE_SIZE));
  for (guint k = 0; k < NORMAL_TABLE_SIZE; k++)
    table[k] *= scale;
}

static int
compare_indices (const void *a,
                 const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

/* n distinct pixels not yet marked bad in `mask`, marked now, returned in ascending order
 * so that a read-out can walk them row by row. Bad pixels are at most 1 % of the detector,
 * so a redraw is rare. */
static guint32 *
pick_bad_pixels (GRand  *rand,
                 guint8 *mask,
                 guint32 n_pixels,
                 guint   n)
{
  guint32 *picked = g_new (guint32, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      guint32 k;
      do
        k = (guint32) g_rand_int_range (rand, 0, (gint32) n_pixels);
      while (mask[k] == 0);
      mask[k] = 0;
      picked[i] = k;
    }
  qsort (picked, n, sizeof *picked, compare_indices);
  return picked;
}

PtlRawDetector *
ptl_raw_detector_new (const PtlRawParams *params,
                      GError            **error)
{
  g_return_val_if_fail (params != NULL, NULL);

  if (!check_params (params, error))
    return NULL;

  guint32 n_pixels = params->rows * params->cols;
  g_autoptr (PtlRawDetector) self = g_new0 (PtlRawDetector, 1);
  self->params = *params;
  self->dark = g_try_new (float, n_pixels);
  self->mask = g_try_malloc (n_pixels);
  if (self->dark == NULL || self->mask == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Out of memory for a %u×%u detector", params->rows, params->cols);
      return NULL;
    }
  self->row = g_new (float, params->cols);
  self->normal = g_new (float, NORMAL_TABLE_SIZE);
  fill_normal_table (self->normal);
  self->frames = _ptl_sim_rand_new (params->seed, STREAM_FRAMES);

  /* Bad pixels first, so that where they sit depends on the seed and the size alone, not
   * on the dark spread. */
  g_autoptr (GRand) rand = _ptl_sim_rand_new (params->seed, STREAM_DETECTOR);
  memset (self->mask, 1, n_pixels);
  self->hot = pick_bad_pixels (rand, self->mask, n_pixels, params->n_hot);
  self->dead = pick_bad_pixels (rand, self->mask, n_pixels, params->n_dead);
  g_autofree double *hot_excess = g_new (double, MAX (params->n_hot, 1));
  self->hot_noise = g_new (float, MAX (params->n_hot, 1));
  for (guint h = 0; h < params->n_hot; h++)
    {
      hot_excess[h] = (HOT_EXCESS_SPREADS * params->dark_spread + HOT_EXCESS_ADU)
                      * (1.0 + g_rand_double (rand));
      self->hot_noise[h] = (float) (HOT_NOISE_FRACTION * hot_excess[h]);
    }

  for (guint32 k = 0; k < n_pixels; k++)
    {
      double offset = params->dark_level + params->dark_spread * _ptl_sim_normal (rand);
      self->dark[k] = (float) MAX (offset, 0.0);
    }
  for (guint h = 0; h < params->n_hot; h++)
    self->dark[self->hot[h]] += (float) hot_excess[h];
  for (guint d = 0; d < params->n_dead; d++)
    self->dark[self->dead[d]] = 0.0f;

  if (params->beam_stop_radius > 0.0)
    for (guint r = 0; r < params->rows; r++)
      for (guint c = 0; c < params->cols; c++)
        if (behind_beam_stop (params, r, c))
          self->mask[(gsize) r * params->cols + c] = 0;

  return g_steal_pointer (&self);
}

void
ptl_raw_detector_free (PtlRawDetector *detector)
{
  if (detector == NULL)
    return;
  g_free (detector->dark);
  g_free (detector->mask);
  g_free (detector->hot);
  g_free (detector->hot_noise);
  g_free (detector->dead);
  g_free (detector->normal);
  g_free (detector->row);
  g_clear_pointer (&detector->frames, g_rand_free);
  g_free (detector);
}

const PtlRawParams *
ptl_raw_detector_params (PtlRawDetector *detector)
{
  g_return_val_if_fail (detector != NULL, NULL);
  return &detector->params;
}

const guint8 *
ptl_raw_detector_truth_mask (PtlRawDetector *detector)
{
  g_return_val_if_fail (detector != NULL, NULL);
  return detector->mask;
}

const float *
ptl_raw_detector_truth_dark (PtlRawDetector *detector)
{
  g_return_val_if_fail (detector != NULL, NULL);
  return detector->dark;
}

/* Dark offset plus read noise for one row, two pixels per 32-bit draw. */
static void
add_dark (PtlRawDetector *self,
          const float    *dark,
          float          *value)
{
  guint cols = self->params.cols;
  float read_noise = (float) self->params.read_noise;
  const float *normal = self->normal;
  guint c = 0;

  for (; c + 1 < cols; c += 2)
    {
      guint32 bits = g_rand_int (self->frames);
      value[c] = dark[c] + read_noise * normal[bits & NORMAL_TABLE_MASK];
      value[c + 1] = dark[c + 1] + read_noise * normal[bits >> NORMAL_TABLE_BITS];
    }
  if (c < cols)
    value[c] = dark[c] + read_noise * normal[g_rand_int (self->frames) & NORMAL_TABLE_MASK];
}

/* Photons of pattern row i spread over detector row r, from column c0 on: each detector
 * pixel of a bin draws its own Poisson count with a bin²-th of the mean, so that the sum
 * over the bin is Poisson with the pattern's mean, as rebinning by summing expects. */
static void
add_photons (PtlRawDetector *self,
             const float    *pattern_row,
             guint           m,
             guint           r,
             guint           c0,
             float          *value)
{
  const PtlRawParams *p = &self->params;
  double per_pixel = 1.0 / ((double) p->bin * p->bin);
  gboolean stop = p->beam_stop_radius > 0.0;

  for (guint j = 0; j < m; j++)
    {
      double mean = pattern_row[j] * per_pixel;
      for (guint c = c0 + j * p->bin; c < c0 + (j + 1) * p->bin; c++)
        if (!stop || !behind_beam_stop (p, r, c))
          value[c] += (float) (p->gain * _ptl_sim_poisson (self->frames, mean));
    }
}

/* Reads the detector out row by row through one row of analogue values, so that the
 * photons, the hot pixels' extra noise and the clipping all act on a row that is still in
 * cache. A pattern (or NULL for a dark frame) covers rows and columns from (r0, c0). */
static void
read_out (PtlRawDetector *self,
          const float    *pattern,
          guint           m,
          guint           r0,
          guint           c0,
          guint16        *frame)
{
  const PtlRawParams *p = &self->params;
  float saturation = (float) p->saturation;
  float *value = self->row;
  guint h = 0, d = 0;

  for (guint r = 0; r < p->rows; r++)
    {
      gsize start = (gsize) r * p->cols, end = start + p->cols;
      guint16 *out = frame + start;

      add_dark (self, self->dark + start, value);
      if (pattern != NULL && r >= r0 && r < r0 + m * p->bin)
        add_photons (self, pattern + (gsize) ((r - r0) / p->bin) * m, m, r, c0, value);
      for (; h < p->n_hot && self->hot[h] < end; h++)
        value[self->hot[h] - start] += self->hot_noise[h] * (float) _ptl_sim_normal (self->frames);

      for (guint c = 0; c < p->cols; c++)
        {
          float v = value[c];
          out[c] = v >= saturation ? (guint16) p->saturation : v > 0.0f ? (guint16) (v + 0.5f) : 0;
        }
      for (; d < p->n_dead && self->dead[d] < end; d++)
        out[self->dead[d] - start] = 0;
    }
}

gboolean
ptl_raw_detector_expose (PtlRawDetector *detector,
                         const float    *pattern,
                         guint           m,
                         guint16        *frame,
                         GError        **error)
{
  g_return_val_if_fail (detector != NULL, FALSE);
  g_return_val_if_fail (pattern != NULL || m == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  const PtlRawParams *p = &detector->params;
  gint64 side = (gint64) m * p->bin;
  gint64 r0 = (gint64) round (p->centre_row) - (gint64) (m / 2) * p->bin;
  gint64 c0 = (gint64) round (p->centre_col) - (gint64) (m / 2) * p->bin;

  if (m == 0 || r0 < 0 || c0 < 0 || r0 + side > p->rows || c0 + side > p->cols)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "A %u×%u pattern binned by %u around (%g, %g) does not fit on the "
                   "%u×%u detector",
                   m, m, p->bin, p->centre_row, p->centre_col, p->rows, p->cols);
      return FALSE;
    }
  for (gsize k = 0; k < (gsize) m * m; k++)
    if (!(pattern[k] >= 0.0f && isfinite (pattern[k])))
      {
        g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                     "Pattern pixel (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") holds %g "
                     "photons; counts are finite and not negative",
                     k / m, k % m, pattern[k]);
        return FALSE;
      }

  read_out (detector, pattern, m, (guint) r0, (guint) c0, frame);
  return TRUE;
}

void
ptl_raw_detector_dark (PtlRawDetector *detector,
                       guint16        *frame)
{
  g_return_if_fail (detector != NULL);
  g_return_if_fail (frame != NULL);

  read_out (detector, NULL, 0, 0, 0, frame);
}
