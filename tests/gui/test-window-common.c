/* Shared by the main-window tests (test-window-common.h). */
#include "config.h"

#include "test-window-common.h"

#include <math.h>

void
test_window_wait_until (Condition   condition,
                        gpointer    data,
                        const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (WAIT_TIMEOUT_S * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          if (PTL_IS_WINDOW (data))
            for (PtlWindowView v = PTL_WINDOW_VIEW_OBJECT; v <= PTL_WINDOW_VIEW_RAW; v++)
              g_printerr ("view %d: %s\n", v,
                          ptl_image_view_has_data (ptl_window_get_view (data, v)) ? "data" : "none");
          g_error ("timed out waiting for %s", what);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

void
test_window_drain (void)
{
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

PtlWindow *
test_window_new (void)
{
  PtlWindow *window = ptl_window_new (NULL, NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  return window;
}

gboolean
test_window_views_have_data (gpointer data)
{
  PtlWindow *window = data;

  for (PtlWindowView v = PTL_WINDOW_VIEW_OBJECT; v <= PTL_WINDOW_VIEW_RAW; v++)
    if (!ptl_image_view_has_data (ptl_window_get_view (window, v)))
      return FALSE;
  return ptl_window_get_view_updates (window) >= 2;
}

void
test_window_centre_pixel (PtlImageView *view,
                          gsize         rows,
                          gsize         cols,
                          gsize        *row,
                          gsize        *col)
{
  PtlViewTransform t;
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  double ix, iy;

  ptl_view_transform_fit (&t, w, h, rows, cols);
  ptl_view_transform_to_image (&t, w, h, w / 2.0, h / 2.0, &ix, &iy);
  *row = (gsize) floor (iy);
  *col = (gsize) floor (ix);
}

