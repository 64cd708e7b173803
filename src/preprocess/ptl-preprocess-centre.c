/* The automatic centre: the crop placed on the centre of mass of the first frames, which
 * is where the beam falls on the detector. Apart from the preprocessor's life because it
 * runs once, on data, and only moves the plan. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Preprocess"

#include "ptl-preprocess-private.h"

#include "core/ptl-error.h"

/* Centre of mass of w = max(mean − dark, 0) over good pixels, first over the whole frame
 * and then again within the crop's reach of that first estimate, so that the faint
 * background far from the beam (read noise left positive by the clamp) does not pull the
 * estimate towards the middle of the detector. */
static void
centre_of_mass (const PtlPreprocessor *p,
                const float           *mean,
                double                 radius,
                double                *row,
                double                *col)
{
  for (guint pass = 0; pass < 2; pass++)
    {
      double sw = 0.0, sr = 0.0, sc = 0.0;
      double r_lo = pass ? MAX (0.0, *row - radius) : 0.0;
      double r_hi = pass ? MIN ((double) p->rows, *row + radius) : p->rows;
      double c_lo = pass ? MAX (0.0, *col - radius) : 0.0;
      double c_hi = pass ? MIN ((double) p->cols, *col + radius) : p->cols;

      for (guint r = (guint) r_lo; r < (guint) r_hi; r++)
        for (guint c = (guint) c_lo; c < (guint) c_hi; c++)
          {
            gsize i = (gsize) r * p->cols + c;
            double w = mean[i] - (p->dark ? p->dark[i] : 0.0);
            if (w <= 0.0 || (p->mask != NULL && !p->mask[i]))
              continue;
            sw += w;
            sr += w * r;
            sc += w * c;
          }
      if (sw > 0.0)
        {
          *row = sr / sw;
          *col = sc / sw;
        }
    }
}

gboolean
ptl_preprocessor_find_centre (PtlPreprocessor *p,
                              const guint16   *frames,
                              guint            n,
                              GError         **error)
{
  gsize pixels = (gsize) p->rows * p->cols;
  g_autofree float *mean = g_new0 (float, pixels);
  double row = p->rows / 2.0, col = p->cols / 2.0;

  if (n == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Finding the centre needs at least one frame");
      return FALSE;
    }
  n = MIN (n, p->params.auto_centre_frames);
  for (guint k = 0; k < n; k++)
    for (gsize i = 0; i < pixels; i++)
      mean[i] += frames[k * pixels + i] / (float) n;

  centre_of_mass (p, mean, p->params.crop / 2.0, &row, &col);
  /* A pattern pixel spans a b×b block whose top-left is the centre's convention, while
   * the centre of mass falls in the middle of the block. */
  double half_bin = (p->params.bin - 1) / 2.0;
  double saved_row = p->params.centre_row, saved_col = p->params.centre_col;
  p->params.centre_row = row - half_bin;
  p->params.centre_col = col - half_bin;
  if (!_ptl_preprocessor_build_plan (p, error))
    {
      p->params.centre_row = saved_row;
      p->params.centre_col = saved_col;
      return FALSE;
    }
  p->params.auto_centre = FALSE; /* held fixed from now on */
  return TRUE;
}
