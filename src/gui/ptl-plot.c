/* A line plot (see ptl-plot.h). */
#include "config.h"

#include "gui/ptl-plot.h"

#include <math.h>
#include <pango/pangocairo.h>

#include "gui/ptl-plot-axis.h"

#define DEFAULT_MAX_POINTS 100000
#define PAD                6.0
#define TICK_LENGTH        4.0

struct _PtlPlot
{
  GtkWidget parent_instance;

  char    *title;
  char    *x_label;
  char    *y_label;
  gboolean log_y;
  GArray  *x; /* double */
  GArray  *y;
  guint    max_points;
};

G_DEFINE_FINAL_TYPE (PtlPlot, ptl_plot, GTK_TYPE_WIDGET)

static char *
format_tick (double   value,
             gboolean log_scale)
{
  if (log_scale)
    return g_strdup_printf ("%.0e", value);
  return g_strdup_printf ("%g", fabs (value) < 1e-12 ? 0.0 : value);
}

static PangoLayout *
new_layout (PtlPlot    *plot,
            cairo_t    *cr,
            const char *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);

  pango_layout_set_font_description (layout, pango_context_get_font_description (
                                       gtk_widget_get_pango_context (GTK_WIDGET (plot))));
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static void
show_text (PtlPlot    *plot,
           cairo_t    *cr,
           const char *text,
           double      x,
           double      y,
           double      align_x, /* 0 left, 0.5 centre, 1 right of x */
           double      align_y)
{
  PangoLayout *layout = new_layout (plot, cr, text);
  int          w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align_x * w, y - align_y * h);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static double
axis_position (double   value,
               double   low,
               double   high,
               gboolean log_scale,
               double   from,
               double   to)
{
  double t = log_scale ? (log10 (value) - log10 (low)) / (log10 (high) - log10 (low))
                       : (value - low) / (high - low);

  return from + t * (to - from);
}

static void
draw (PtlPlot *plot,
      cairo_t *cr,
      double   width,
      double   height)
{
  GdkRGBA      fg;
  const double *xs = (const double *) plot->x->data, *ys = (const double *) plot->y->data;
  guint         n = plot->x->len;
  double        x_lo, x_hi, y_lo, y_hi, ticks[PTL_PLOT_MAX_TICKS];
  int           line_h;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (plot)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  PangoLayout *probe = new_layout (plot, cr, "0");
  pango_layout_get_pixel_size (probe, NULL, &line_h);
  g_object_unref (probe);

  double left = PAD + 6.5 * line_h, right = width - PAD - line_h;
  double top = PAD + (plot->title ? 1.3 * line_h : 0.0);
  double bottom = height - PAD - 1.2 * line_h - (plot->x_label ? 1.2 * line_h : 0.0);

  gdk_cairo_set_source_rgba (cr, &fg);
  if (plot->title != NULL)
    show_text (plot, cr, plot->title, (left + right) / 2, PAD, 0.5, 0.0);
  if (plot->x_label != NULL)
    show_text (plot, cr, plot->x_label, (left + right) / 2, height - PAD, 0.5, 1.0);
  if (plot->y_label != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, PAD, (top + bottom) / 2);
      cairo_rotate (cr, -G_PI / 2);
      show_text (plot, cr, plot->y_label, 0, 0, 0.5, 0.0);
      cairo_restore (cr);
    }
  if (right - left < 20 || bottom - top < 20)
    return;

  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, floor (left) + 0.5, floor (top) + 0.5, floor (right - left),
                   floor (bottom - top));
  cairo_stroke (cr);

  if (n == 0 || !ptl_plot_axis_range (xs, n, FALSE, &x_lo, &x_hi)
      || !ptl_plot_axis_range (ys, n, plot->log_y, &y_lo, &y_hi))
    return;

  guint max_x_ticks = CLAMP ((guint) ((right - left) / (5.0 * line_h)), 2, 10);
  guint nt = ptl_plot_axis_ticks (x_lo, x_hi, FALSE, max_x_ticks, ticks);

  for (guint i = 0; i < nt; i++)
    {
      double           px = axis_position (ticks[i], x_lo, x_hi, FALSE, left, right);
      g_autofree char *label = format_tick (ticks[i], FALSE);

      cairo_move_to (cr, px, bottom);
      cairo_line_to (cr, px, bottom - TICK_LENGTH);
      cairo_stroke (cr);
      show_text (plot, cr, label, px, bottom + 2, 0.5, 0.0);
    }

  guint max_y_ticks = CLAMP ((guint) ((bottom - top) / (2.0 * line_h)), 2, 8);

  nt = ptl_plot_axis_ticks (y_lo, y_hi, plot->log_y, max_y_ticks, ticks);
  for (guint i = 0; i < nt; i++)
    {
      double           py = axis_position (ticks[i], y_lo, y_hi, plot->log_y, bottom, top);
      g_autofree char *label = format_tick (ticks[i], plot->log_y);

      cairo_move_to (cr, left, py);
      cairo_line_to (cr, left + TICK_LENGTH, py);
      cairo_stroke (cr);
      show_text (plot, cr, label, left - 3, py, 1.0, 0.5);
    }

  cairo_save (cr);
  cairo_rectangle (cr, left, top, right - left, bottom - top);
  cairo_clip (cr);
  cairo_set_source_rgb (cr, 0.12, 0.47, 0.71);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  gboolean pen_down = FALSE;

  for (guint i = 0; i < n; i++)
    {
      /* Points the axis cannot show (NaN, ≤ 0 on a log axis) break the line. */
      if (!isfinite (xs[i]) || !isfinite (ys[i]) || (plot->log_y && ys[i] <= 0.0))
        {
          pen_down = FALSE;
          continue;
        }
      double px = axis_position (xs[i], x_lo, x_hi, FALSE, left, right);
      double py = axis_position (ys[i], y_lo, y_hi, plot->log_y, bottom, top);

      if (pen_down)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen_down = TRUE;
    }
  if (n == 1)
    cairo_rel_line_to (cr, 0.01, 0);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
ptl_plot_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  PtlPlot *plot = PTL_PLOT (widget);
  double   width = gtk_widget_get_width (widget);
  double   height = gtk_widget_get_height (widget);

  if (width <= 0 || height <= 0)
    return;

  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  draw (plot, cr, width, height);
  cairo_destroy (cr);
}

static void
ptl_plot_finalize (GObject *object)
{
  PtlPlot *plot = PTL_PLOT (object);

  g_free (plot->title);
  g_free (plot->x_label);
  g_free (plot->y_label);
  g_array_unref (plot->x);
  g_array_unref (plot->y);
  G_OBJECT_CLASS (ptl_plot_parent_class)->finalize (object);
}

static void
ptl_plot_class_init (PtlPlotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ptl_plot_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = ptl_plot_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "ptl-plot");
}

static void
ptl_plot_init (PtlPlot *plot)
{
  plot->x = g_array_new (FALSE, FALSE, sizeof (double));
  plot->y = g_array_new (FALSE, FALSE, sizeof (double));
  plot->max_points = DEFAULT_MAX_POINTS;
  gtk_widget_set_size_request (GTK_WIDGET (plot), 160, 100);
}

GtkWidget *
ptl_plot_new (void)
{
  return g_object_new (PTL_TYPE_PLOT, NULL);
}

void
ptl_plot_set_title (PtlPlot    *plot,
                    const char *title)
{
  g_return_if_fail (PTL_IS_PLOT (plot));

  g_free (plot->title);
  plot->title = g_strdup (title);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

void
ptl_plot_set_axis_labels (PtlPlot    *plot,
                          const char *x_label,
                          const char *y_label)
{
  g_return_if_fail (PTL_IS_PLOT (plot));

  g_free (plot->x_label);
  g_free (plot->y_label);
  plot->x_label = g_strdup (x_label);
  plot->y_label = g_strdup (y_label);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

void
ptl_plot_set_log_y (PtlPlot *plot,
                    gboolean log_y)
{
  g_return_if_fail (PTL_IS_PLOT (plot));

  plot->log_y = !!log_y;
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

static void
trim (PtlPlot *plot)
{
  if (plot->x->len > plot->max_points)
    {
      guint extra = plot->x->len - plot->max_points;

      g_array_remove_range (plot->x, 0, extra);
      g_array_remove_range (plot->y, 0, extra);
    }
}

void
ptl_plot_set_series (PtlPlot      *plot,
                     const double *x,
                     const double *y,
                     guint         n)
{
  g_return_if_fail (PTL_IS_PLOT (plot));
  g_return_if_fail (y != NULL || n == 0);

  g_array_set_size (plot->x, 0);
  g_array_set_size (plot->y, 0);
  for (guint i = 0; i < n; i++)
    {
      double xi = x != NULL ? x[i] : i + 1.0;

      g_array_append_val (plot->x, xi);
    }
  if (n > 0)
    g_array_append_vals (plot->y, y, n);
  trim (plot);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

void
ptl_plot_append (PtlPlot *plot,
                 double   x,
                 double   y)
{
  g_return_if_fail (PTL_IS_PLOT (plot));

  g_array_append_val (plot->x, x);
  g_array_append_val (plot->y, y);
  trim (plot);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

void
ptl_plot_set_max_points (PtlPlot *plot,
                         guint    max_points)
{
  g_return_if_fail (PTL_IS_PLOT (plot));
  g_return_if_fail (max_points > 0);

  plot->max_points = max_points;
  trim (plot);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
}

guint
ptl_plot_get_n_points (PtlPlot *plot)
{
  g_return_val_if_fail (PTL_IS_PLOT (plot), 0);
  return plot->x->len;
}
