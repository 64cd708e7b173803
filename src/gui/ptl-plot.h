/* A line plot drawn with GtkSnapshot and cairo: the error per iteration (log y) and the
 * frames per second over time. The data is copied; the plot keeps at most `max-points`
 * of the newest points of an appended series. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PTL_TYPE_PLOT (ptl_plot_get_type ())
G_DECLARE_FINAL_TYPE (PtlPlot, ptl_plot, PTL, PLOT, GtkWidget)

GtkWidget *ptl_plot_new (void);
void       ptl_plot_set_title (PtlPlot    *plot,
                               const char *title);
void       ptl_plot_set_axis_labels (PtlPlot    *plot,
                                     const char *x_label,
                                     const char *y_label);
void       ptl_plot_set_log_y (PtlPlot *plot,
                               gboolean log_y);
/* Replaces the series; x NULL: 1, 2, … n (iterations). */
void       ptl_plot_set_series (PtlPlot      *plot,
                                const double *x,
                                const double *y,
                                guint         n);
/* Adds one point (e.g. frames per second at a time), dropping the oldest beyond
 * max-points. */
void       ptl_plot_append (PtlPlot *plot,
                            double   x,
                            double   y);
void       ptl_plot_set_max_points (PtlPlot *plot,
                                    guint    max_points);
guint      ptl_plot_get_n_points (PtlPlot *plot);

G_END_DECLS
