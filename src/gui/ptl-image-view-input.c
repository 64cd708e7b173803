/* The image view's input: the readout under the pointer, zoom with the wheel about the
 * pointer, pan by dragging, dragging the crop box (its new centre is only proposed: the
 * owner confirms it), and a double click to fit the whole image. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-View"

#include "gui/ptl-image-view-private.h"

#include <math.h>

/* Zoom factor per wheel step. */
#define ZOOM_STEP 1.2

static void
emit_pointer_info (PtlImageView *view)
{
  float  value = NAN;
  double x_um = NAN, y_um = NAN;

  if (!view->pointer_inside
      || !ptl_image_view_get_info_at (view, view->pointer_x, view->pointer_y, &value,
                                      &x_um, &y_um))
    value = NAN;
  g_signal_emit (view, _ptl_image_view_signals[PTL_IMAGE_VIEW_SIGNAL_POINTER_INFO], 0,
                 (double) value, x_um, y_um);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           PtlImageView             *view)
{
  view->pointer_x = x;
  view->pointer_y = y;
  view->pointer_inside = TRUE;
  emit_pointer_info (view);
}

static void
on_leave (GtkEventControllerMotion *controller,
          PtlImageView             *view)
{
  view->pointer_inside = FALSE;
  emit_pointer_info (view);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           PtlImageView             *view)
{
  GtkWidget *widget = GTK_WIDGET (view);
  double     x = view->pointer_inside ? view->pointer_x : gtk_widget_get_width (widget) / 2.0;
  double     y = view->pointer_inside ? view->pointer_y : gtk_widget_get_height (widget) / 2.0;

  ptl_view_transform_zoom_at (&view->transform, gtk_widget_get_width (widget),
                              gtk_widget_get_height (widget), x, y, pow (ZOOM_STEP, -dy));
  view->follow_fit = FALSE;
  _ptl_image_view_redraw (view);
  emit_pointer_info (view);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               PtlImageView   *view)
{
  view->drag_transform = view->transform;
  view->dragging_crop = ptl_overlay_hits_crop_box (view, x, y);
  view->drag_crop_row = view->crop_row;
  view->drag_crop_col = view->crop_col;
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                PtlImageView   *view)
{
  double zoom = view->drag_transform.zoom;

  if (view->dragging_crop)
    {
      view->drag_crop_col = view->crop_col + dx / zoom;
      view->drag_crop_row = view->crop_row + dy / zoom;
      gtk_widget_queue_draw (GTK_WIDGET (view));
      return;
    }
  view->transform.centre_x = view->drag_transform.centre_x - dx / zoom;
  view->transform.centre_y = view->drag_transform.centre_y - dy / zoom;
  view->follow_fit = FALSE;
  _ptl_image_view_redraw (view);
}

static void
on_drag_end (GtkGestureDrag *gesture,
             double          dx,
             double          dy,
             PtlImageView   *view)
{
  if (!view->dragging_crop)
    return;
  on_drag_update (gesture, dx, dy, view);
  view->dragging_crop = FALSE;
  if (dx != 0.0 || dy != 0.0)
    {
      /* The box stays where it was dropped until the owner confirms the new crop. */
      view->crop_row = view->drag_crop_row;
      view->crop_col = view->drag_crop_col;
      g_signal_emit (view, _ptl_image_view_signals[PTL_IMAGE_VIEW_SIGNAL_CROP_CENTRE_CHANGED],
                     0, view->crop_row, view->crop_col);
    }
}

static void
on_click (GtkGestureClick *gesture,
          int              n_press,
          double           x,
          double           y,
          PtlImageView    *view)
{
  if (n_press == 2)
    ptl_image_view_fit (view);
}

void
_ptl_image_view_add_input (PtlImageView *view)
{
  GtkEventController *controller;
  GtkGesture         *gesture;

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), view);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), view);
  gtk_widget_add_controller (GTK_WIDGET (view), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), view);
  gtk_widget_add_controller (GTK_WIDGET (view), controller);

  gesture = gtk_gesture_drag_new ();
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), view);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), view);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), view);
  gtk_widget_add_controller (GTK_WIDGET (view), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_click_new ();
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_click), view);
  gtk_widget_add_controller (GTK_WIDGET (view), GTK_EVENT_CONTROLLER (gesture));
}
