/* What the owner gives the image view to show: the image (a float plane, or complex data
 * with the planes derived from it for the shown component, and the automatic level window
 * fitted to each new image) and the overlays' data (scan positions, coverage, crop box).
 * Apart from the widget (ptl-image-view.c), whose properties only choose how this is
 * shown. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-View"

#include "gui/ptl-image-view-private.h"

#include <math.h>
#include <string.h>

#define LEVELS_LOW_PERCENT  0.5
#define LEVELS_HIGH_PERCENT 99.5

void
_ptl_image_view_invalidate_pixels (PtlImageView *view)
{
  view->gl.data_dirty = TRUE;
  g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);
  _ptl_image_view_redraw (view);
}

void
_ptl_image_view_update_auto_levels (PtlImageView *view)
{
  gsize n = view->rows * view->cols;

  if (!view->auto_levels || view->plane == NULL)
    return;

  gboolean log_scale = view->levels.log_scale;

  ptl_image_levels_auto (view->plane, n, LEVELS_LOW_PERCENT, LEVELS_HIGH_PERCENT,
                         &view->levels);
  view->levels.log_scale = log_scale;

  if (view->complex_data != NULL && view->component == PTL_VIEW_PHASE)
    {
      /* Symmetric about 0 so that the cyclic map's dark middle is phase 0. */
      float half = MIN (MAX (fabsf (view->levels.low), fabsf (view->levels.high)),
                        (float) G_PI);

      view->levels.low = -half;
      view->levels.high = half;
    }
  else if (view->complex_data != NULL && view->component == PTL_VIEW_COMPLEX)
    view->levels.low = 0.0f;
}

/* Recomputes the shown plane(s) from the complex data for the current component. */
void
_ptl_image_view_derive_planes (PtlImageView *view)
{
  gsize n = view->rows * view->cols;

  g_clear_pointer (&view->amplitude_phase, g_free);
  if (view->complex_data == NULL)
    return;

  ptl_image_phase_plane (view->complex_data, view->rows, view->cols,
                         view->component == PTL_VIEW_AMPLITUDE ? PTL_PHASE_KEEP
                                                               : view->phase_correction,
                         &view->phase_plane);
  if (view->component == PTL_VIEW_PHASE)
    ptl_image_phase_less_plane (view->complex_data, view->rows, view->cols, &view->phase_plane,
                                view->plane);
  else
    ptl_image_amplitude (view->complex_data, n, view->plane);

  if (view->component == PTL_VIEW_COMPLEX)
    {
      g_autofree float *phase = g_new (float, n);

      ptl_image_phase_less_plane (view->complex_data, view->rows, view->cols,
                                  &view->phase_plane, phase);
      view->amplitude_phase = g_new (float, 2 * n);
      for (gsize i = 0; i < n; i++)
        {
          view->amplitude_phase[2 * i] = view->plane[i];
          view->amplitude_phase[2 * i + 1] = phase[i];
        }
    }
}

static void
set_shape (PtlImageView *view,
           gsize         rows,
           gsize         cols,
           double        pixel_size_m)
{
  gboolean same = rows == view->rows && cols == view->cols;

  if (!same)
    {
      g_free (view->plane);
      view->plane = g_new (float, rows * cols);
      view->rows = rows;
      view->cols = cols;
    }
  view->pixel_size = pixel_size_m;
  if (!same || view->follow_fit)
    ptl_image_view_fit (view);
}

void
ptl_image_view_set_data (PtlImageView *view,
                         const float  *plane,
                         gsize         rows,
                         gsize         cols,
                         double        pixel_size_m)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (plane != NULL || rows * cols == 0);

  if (rows == 0 || cols == 0)
    {
      ptl_image_view_clear (view);
      return;
    }
  g_clear_pointer (&view->complex_data, ptl_aligned_free);
  g_clear_pointer (&view->device_image, ptl_device_image_unref);
  g_clear_pointer (&view->amplitude_phase, g_free);
  set_shape (view, rows, cols, pixel_size_m);
  memcpy (view->plane, plane, rows * cols * sizeof (float));
  _ptl_image_view_update_auto_levels (view);
  _ptl_image_view_invalidate_pixels (view);
}

void
ptl_image_view_set_complex (PtlImageView      *view,
                            const ptl_complex *data,
                            gsize              rows,
                            gsize              cols,
                            double             pixel_size_m)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (data != NULL || rows * cols == 0);

  if (rows == 0 || cols == 0)
    {
      ptl_image_view_clear (view);
      return;
    }
  if (view->complex_data == NULL || rows != view->rows || cols != view->cols)
    {
      g_clear_pointer (&view->complex_data, ptl_aligned_free);
      view->complex_data = ptl_aligned_alloc0 (rows * cols * sizeof (ptl_complex));
    }
  g_clear_pointer (&view->device_image, ptl_device_image_unref);
  set_shape (view, rows, cols, pixel_size_m);
  memcpy (view->complex_data, data, rows * cols * sizeof (ptl_complex));
  _ptl_image_view_derive_planes (view);
  _ptl_image_view_update_auto_levels (view);
  _ptl_image_view_invalidate_pixels (view);
}

void
ptl_image_view_set_device_image (PtlImageView   *view,
                                 PtlDeviceImage *image)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (image == NULL || view->complex_data != NULL);

  if (image != NULL)
    ptl_device_image_ref (image);
  g_clear_pointer (&view->device_image, ptl_device_image_unref);
  view->device_image = image;
  view->gl.data_dirty = TRUE;
}

void
ptl_image_view_clear (PtlImageView *view)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  g_clear_pointer (&view->complex_data, ptl_aligned_free);
  g_clear_pointer (&view->device_image, ptl_device_image_unref);
  g_clear_pointer (&view->plane, g_free);
  g_clear_pointer (&view->amplitude_phase, g_free);
  view->rows = view->cols = 0;
  _ptl_image_view_invalidate_pixels (view);
}

gboolean
ptl_image_view_has_data (PtlImageView *view)
{
  g_return_val_if_fail (PTL_IS_IMAGE_VIEW (view), FALSE);
  return view->plane != NULL;
}

void
ptl_image_view_set_positions (PtlImageView *view,
                              const double *positions,
                              const double *arrival_s,
                              guint         n_positions,
                              guint         window)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (positions != NULL || n_positions == 0);

  g_clear_pointer (&view->positions, g_free);
  g_clear_pointer (&view->arrival_s, g_free);
  view->n_positions = n_positions;
  view->window = window;
  if (n_positions > 0)
    {
      view->positions = g_memdup2 (positions, 2 * sizeof (double) * n_positions);
      if (arrival_s != NULL)
        view->arrival_s = g_memdup2 (arrival_s, sizeof (double) * n_positions);
    }
  gtk_widget_queue_draw (GTK_WIDGET (view));
}

void
ptl_image_view_set_coverage (PtlImageView *view,
                             const float  *coverage,
                             gsize         rows,
                             gsize         cols)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  g_clear_object (&view->coverage_texture);
  if (coverage != NULL && rows > 0 && cols > 0)
    {
      view->coverage_texture = ptl_overlay_coverage_texture (coverage, rows, cols);
      view->coverage_rows = rows;
      view->coverage_cols = cols;
    }
  gtk_widget_queue_draw (GTK_WIDGET (view));
}

void
ptl_image_view_set_crop_box (PtlImageView *view,
                             double        centre_row,
                             double        centre_col,
                             guint         size)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  view->crop_row = centre_row;
  view->crop_col = centre_col;
  view->crop_size = size;
  if (!view->dragging_crop)
    {
      view->drag_crop_row = centre_row;
      view->drag_crop_col = centre_col;
    }
  gtk_widget_queue_draw (GTK_WIDGET (view));
}
