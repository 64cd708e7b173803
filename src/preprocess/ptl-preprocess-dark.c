/* Calibration from dark frames: the mean and noise of each pixel, and the bad pixels
 * found from them. Free functions on whole frames, used before a preprocessor exists (the
 * dark and mask it is given are made here). */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Preprocess"

#include "ptl-preprocess.h"

#include <math.h>
#include <stdlib.h>

#include "core/ptl-error.h"

gboolean
ptl_dark_from_series (const guint16 *frames,
                      guint          n,
                      guint          rows,
                      guint          cols,
                      float         *mean,
                      float         *sigma,
                      GError       **error)
{
  gsize pixels = (gsize) rows * cols;

  if (n == 0 || rows == 0 || cols == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A dark series needs at least one frame of at least one pixel (got %u of "
                   "%u×%u)", n, rows, cols);
      return FALSE;
    }
  /* Two passes in double: dark levels are large and their variance small, and a one-pass
   * sum of squares would lose it to cancellation. */
  for (gsize i = 0; i < pixels; i++)
    {
      double sum = 0.0;
      for (guint k = 0; k < n; k++)
        sum += frames[k * pixels + i];
      double m = sum / n, var = 0.0;
      for (guint k = 0; k < n; k++)
        var += (frames[k * pixels + i] - m) * (frames[k * pixels + i] - m);
      mean[i] = (float) m;
      if (sigma != NULL)
        sigma[i] = (float) sqrt (n > 1 ? var / (n - 1) : 0.0);
    }
  return TRUE;
}

static int
compare_floats (gconstpointer a,
                gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* Median and the MAD scaled to a standard deviation (1.4826·MAD) of n values. */
static void
robust_stats (const float *values,
              gsize        n,
              double      *median,
              double      *spread)
{
  g_autofree float *sorted = g_memdup2 (values, n * sizeof (float));

  qsort (sorted, n, sizeof (float), compare_floats);
  *median = sorted[n / 2];
  for (gsize i = 0; i < n; i++)
    sorted[i] = fabsf (sorted[i] - (float) *median);
  qsort (sorted, n, sizeof (float), compare_floats);
  *spread = 1.4826 * sorted[n / 2];
}

guint
ptl_mask_from_dark (const float *mean,
                    const float *sigma,
                    gsize        n_pixels,
                    double       threshold,
                    guint8      *mask)
{
  double mean_median, mean_spread, sigma_median, sigma_spread;
  guint marked = 0;

  robust_stats (mean, n_pixels, &mean_median, &mean_spread);
  robust_stats (sigma, n_pixels, &sigma_median, &sigma_spread);
  /* A perfectly uniform detector has no spread; a floor keeps the test meaningful. */
  mean_spread = MAX (mean_spread, 0.5);
  sigma_spread = MAX (sigma_spread, 0.1);

  for (gsize i = 0; i < n_pixels; i++)
    {
      gboolean hot = mean[i] > mean_median + threshold * mean_spread;
      gboolean dead = mean[i] < mean_median - threshold * mean_spread
                      || (sigma[i] == 0.0f && sigma_median > 0.0);
      gboolean noisy = sigma[i] > sigma_median + threshold * sigma_spread;
      if ((hot || dead || noisy) && mask[i])
        {
          mask[i] = 0;
          marked++;
        }
    }
  return marked;
}
