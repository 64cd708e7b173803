/* Plot axes (see ptl-plot-axis.h). */
#include "config.h"

#include "gui/ptl-plot-axis.h"

#include <math.h>

double
ptl_plot_nice_step (double span,
                    guint  max_ticks)
{
  static const double steps[] = { 1.0, 2.0, 5.0, 10.0 };

  if (!(span > 0.0) || !isfinite (span) || max_ticks < 2)
    return 1.0;

  double raw = span / (max_ticks - 1);
  double decade = pow (10.0, floor (log10 (raw)));

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * decade >= raw * (1.0 - 1e-9))
      return steps[i] * decade;
  return 10.0 * decade;
}

gboolean
ptl_plot_axis_range (const double *values,
                     guint         n,
                     gboolean      log_scale,
                     double       *low,
                     double       *high)
{
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  for (guint i = 0; i < n; i++)
    if (isfinite (values[i]) && (!log_scale || values[i] > 0.0))
      {
        lo = MIN (lo, values[i]);
        hi = MAX (hi, values[i]);
      }
  if (lo > hi)
    return FALSE;

  if (log_scale)
    {
      *low = pow (10.0, floor (log10 (lo)));
      *high = pow (10.0, ceil (log10 (hi)));
      if (*high <= *low)
        *high = *low * 10.0;
      return TRUE;
    }

  if (hi == lo)
    {
      double pad = lo != 0.0 ? fabs (lo) * 0.5 : 1.0;

      lo -= pad;
      hi += pad;
    }
  double step = ptl_plot_nice_step (hi - lo, 6);

  *low = floor (lo / step) * step;
  *high = ceil (hi / step) * step;
  return TRUE;
}

guint
ptl_plot_axis_ticks (double   low,
                     double   high,
                     gboolean log_scale,
                     guint    max_ticks,
                     double  *ticks)
{
  guint n = 0;

  max_ticks = MIN (max_ticks, PTL_PLOT_MAX_TICKS);
  if (!(high > low) || !isfinite (low) || !isfinite (high) || max_ticks == 0)
    return 0;

  if (log_scale && low > 0.0)
    {
      double first = ceil (log10 (low) - 1e-9), last = floor (log10 (high) + 1e-9);
      double every = MAX (1.0, ceil ((last - first + 1) / max_ticks));

      for (double e = first; e <= last && n < max_ticks; e += every)
        ticks[n++] = pow (10.0, e);
      if (n >= 2)
        return n;
      /* Less than a decade apart: the linear ticks read better. */
      n = 0;
    }

  double step = ptl_plot_nice_step (high - low, max_ticks);
  double first = ceil (low / step - 1e-9);

  for (double k = first; k * step <= high + step * 1e-9 && n < max_ticks; k++)
    ticks[n++] = k * step;
  return n;
}
