/* Axis ranges and tick positions for the plots, without GTK (unit-tested). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PTL_PLOT_MAX_TICKS 16

/* The range of the finite values (and, with log_scale, only the positive ones), widened
 * to whole ticks. FALSE when no value qualifies. */
gboolean ptl_plot_axis_range (const double *values,
                              guint         n,
                              gboolean      log_scale,
                              double       *low,
                              double       *high);
/* Ticks inside [low, high]: multiples of a {1, 2, 5}·10^k step giving at most
 * `max_ticks` of them (linear), or the powers of ten (log; 1-2-5 decades when fewer
 * than two fit). Returns how many were written (≤ PTL_PLOT_MAX_TICKS). */
guint    ptl_plot_axis_ticks (double   low,
                              double   high,
                              gboolean log_scale,
                              guint    max_ticks,
                              double  *ticks);
/* The {1, 2, 5}·10^k step for about `max_ticks` ticks across `span`. */
double   ptl_plot_nice_step (double span,
                             guint  max_ticks);

G_END_DECLS
