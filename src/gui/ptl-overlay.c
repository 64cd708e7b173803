/* What the image view draws over the image, the same on the GL and the CPU path: the
 * coverage map, the scan positions coloured by arrival, the crop box with its centre,
 * the scale bar and the title. */
#include "config.h"

#include "gui/ptl-image-view-private.h"

#include <math.h>

#define COVERAGE_ALPHA    0.6
#define POSITION_RADIUS   2.5
#define SCALE_BAR_FRACTION 0.25
#define MARGIN            8.0

static void
to_widget (PtlImageView *view,
           double        ix,
           double        iy,
           double       *wx,
           double       *wy)
{
  ptl_view_transform_to_widget (&view->transform, gtk_widget_get_width (GTK_WIDGET (view)),
                                gtk_widget_get_height (GTK_WIDGET (view)), ix, iy, wx, wy);
}

/* The coverage map dims the object where few windows fell, black in proportion to how
 * far the count is below the most any pixel got: the well-measured region stays as it is
 * and the edges of the scan fade, so the map reads at a glance over any colormap. */
GdkTexture *
ptl_overlay_coverage_texture (const float *coverage,
                              gsize        rows,
                              gsize        cols)
{
  gsize   n = rows * cols;
  guint8 *rgba = g_new0 (guint8, 4 * n);
  float   most = 0.0f;

  for (gsize i = 0; i < n; i++)
    most = MAX (most, coverage[i]);

  /* Premultiplied black: only the alpha is set. */
  for (gsize i = 0; i < n; i++)
    {
      double shortfall = most > 0.0f ? 1.0 - CLAMP (coverage[i] / most, 0.0f, 1.0f) : 1.0;

      rgba[4 * i + 3] = (guint8) lround (255 * COVERAGE_ALPHA * shortfall * shortfall);
    }

  g_autoptr (GBytes) bytes = g_bytes_new_take (rgba, 4 * n);
  return gdk_memory_texture_new (cols, rows, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED, bytes,
                                 4 * cols);
}

static void
snapshot_coverage (PtlImageView *view,
                   GtkSnapshot  *snapshot)
{
  double x0, y0, x1, y1;

  to_widget (view, 0, 0, &x0, &y0);
  to_widget (view, view->coverage_cols, view->coverage_rows, &x1, &y1);
  gtk_snapshot_append_texture (snapshot, view->coverage_texture,
                               &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
}

static void
draw_positions (PtlImageView *view,
                cairo_t      *cr)
{
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_VIRIDIS);
  double        first = G_MAXDOUBLE, last = -G_MAXDOUBLE;

  for (guint i = 0; view->arrival_s != NULL && i < view->n_positions; i++)
    {
      first = MIN (first, view->arrival_s[i]);
      last = MAX (last, view->arrival_s[i]);
    }

  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i < view->n_positions; i++)
    {
      double        x, y;
      float         t = 1.0f;
      const guint8 *colour;

      if (view->arrival_s != NULL && last > first)
        t = (float) ((view->arrival_s[i] - first) / (last - first));
      colour = lut + 4 * ptl_colormap_index (t);
      to_widget (view, view->positions[2 * i + 1] + view->window / 2.0,
                 view->positions[2 * i] + view->window / 2.0, &x, &y);
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, POSITION_RADIUS, 0, 2 * G_PI);
      cairo_set_source_rgb (cr, colour[0] / 255.0, colour[1] / 255.0, colour[2] / 255.0);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
      cairo_stroke (cr);
    }
}

static void
crop_box_widget_rect (PtlImageView *view,
                      double       *x0,
                      double       *y0,
                      double       *x1,
                      double       *y1)
{
  double half = view->crop_size / 2.0;

  to_widget (view, view->drag_crop_col - half, view->drag_crop_row - half, x0, y0);
  to_widget (view, view->drag_crop_col + half, view->drag_crop_row + half, x1, y1);
}

gboolean
ptl_overlay_hits_crop_box (PtlImageView *view,
                           double        x,
                           double        y)
{
  double x0, y0, x1, y1;

  if (view->crop_size == 0)
    return FALSE;
  crop_box_widget_rect (view, &x0, &y0, &x1, &y1);
  return x >= x0 && x <= x1 && y >= y0 && y <= y1;
}

static void
draw_crop_box (PtlImageView *view,
               cairo_t      *cr)
{
  double x0, y0, x1, y1, cx, cy;

  crop_box_widget_rect (view, &x0, &y0, &x1, &y1);
  to_widget (view, view->drag_crop_col, view->drag_crop_row, &cx, &cy);

  /* A dark outline under a bright line stays visible on any colormap. */
  for (int pass = 0; pass < 2; pass++)
    {
      cairo_set_line_width (cr, pass == 0 ? 3.0 : 1.5);
      if (pass == 0)
        cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
      else
        cairo_set_source_rgb (cr, 1.0, 0.55, 0.1);
      cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
      cairo_move_to (cr, cx - 8, cy);
      cairo_line_to (cr, cx + 8, cy);
      cairo_move_to (cr, cx, cy - 8);
      cairo_line_to (cr, cx, cy + 8);
      cairo_stroke (cr);
    }
}

static void
snapshot_label (PtlImageView *view,
                GtkSnapshot  *snapshot,
                const char   *text,
                double        x,
                double        y,
                gboolean      above)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), text);
  int          w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  if (above)
    y -= h;
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.55f },
                             &GRAPHENE_RECT_INIT (x - 3, y - 1, w + 6, h + 2));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 1, 1, 1, 1 });
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
snapshot_scale_bar (PtlImageView *view,
                    GtkSnapshot  *snapshot,
                    double        width,
                    double        height)
{
  double length_px;
  double length = ptl_scale_bar_length (view->pixel_size, view->transform.zoom,
                                        width * SCALE_BAR_FRACTION, &length_px);

  if (length <= 0.0 || length_px < 4.0)
    return;

  g_autofree char *label = ptl_format_length (length);
  double           x = MARGIN, y = height - MARGIN - 4;

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.7f },
                             &GRAPHENE_RECT_INIT (x - 1, y - 1, length_px + 2, 6));
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 1, 1, 1, 1 },
                             &GRAPHENE_RECT_INIT (x, y, length_px, 4));
  snapshot_label (view, snapshot, label, x, y - 3, TRUE);
}

void
ptl_overlay_snapshot (PtlImageView *view,
                      GtkSnapshot  *snapshot)
{
  double width = gtk_widget_get_width (GTK_WIDGET (view));
  double height = gtk_widget_get_height (GTK_WIDGET (view));

  if (width <= 0 || height <= 0)
    return;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (view->coverage_texture != NULL)
    snapshot_coverage (view, snapshot);

  if (view->n_positions > 0 || view->crop_size > 0)
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot,
                                               &GRAPHENE_RECT_INIT (0, 0, width, height));

      if (view->n_positions > 0)
        draw_positions (view, cr);
      if (view->crop_size > 0)
        draw_crop_box (view, cr);
      cairo_destroy (cr);
    }

  if (view->show_scale_bar && view->plane != NULL)
    snapshot_scale_bar (view, snapshot, width, height);
  if (view->title != NULL && *view->title != '\0')
    snapshot_label (view, snapshot, view->title, MARGIN, MARGIN, FALSE);
  gtk_snapshot_pop (snapshot);
}
