/* The image view's drawing without GL (GDK_DEBUG=gl-disable, or an image larger than a GL
 * texture): the shown plane coloured on the CPU with the same level window and colormap
 * index as the shader. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-View"

#include "gui/ptl-image-view-private.h"

#include <string.h>

guint8 *
ptl_image_view_colour_cpu (PtlImageView *view)
{
  gsize         n = view->rows * view->cols;
  guint8       *rgba = g_new (guint8, 4 * n);
  const guint8 *lut = ptl_colormap_lut (view->colormap);

  for (gsize i = 0; i < n; i++)
    {
      float t = ptl_levels_normalise (&view->levels, view->plane[i]);

      if (view->amplitude_phase != NULL)
        ptl_colormap_complex_rgba (t, view->amplitude_phase[2 * i + 1], rgba + 4 * i);
      else
        memcpy (rgba + 4 * i, lut + 4 * ptl_colormap_index (t), 4);
    }
  return rgba;
}

/* The CPU path: the coloured image as a cairo surface, drawn with nearest-neighbour
 * sampling so that zoomed pixels stay square (GSK's texture nodes filter linearly). */
void
_ptl_image_view_snapshot_cpu (PtlImageView *view,
                              GtkSnapshot  *snapshot,
                              double        width,
                              double        height)
{
  if (view->fallback_surface == NULL)
    {
      g_autofree guint8 *rgba = ptl_image_view_colour_cpu (view);
      cairo_surface_t   *surface;
      int                stride;

      if (view->cols > G_MAXINT / 4 || view->rows > G_MAXINT)
        return;
      surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, view->cols, view->rows);
      stride = cairo_image_surface_get_stride (surface);
      cairo_surface_flush (surface);
      for (gsize r = 0; r < view->rows; r++)
        {
          guint32      *row = (guint32 *) (cairo_image_surface_get_data (surface) + r * stride);
          const guint8 *src = rgba + 4 * r * view->cols;

          for (gsize c = 0; c < view->cols; c++)
            row[c] = (guint32) src[4 * c] << 16 | (guint32) src[4 * c + 1] << 8 | src[4 * c + 2];
        }
      cairo_surface_mark_dirty (surface);
      view->fallback_surface = surface;
    }

  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  double   x0, y0;

  ptl_view_transform_to_widget (&view->transform, width, height, 0, 0, &x0, &y0);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, view->transform.zoom, view->transform.zoom);
  cairo_set_source_surface (cr, view->fallback_surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, view->cols, view->rows);
  cairo_fill (cr);
  cairo_destroy (cr);
}
