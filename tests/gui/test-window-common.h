/* What the main-window tests share: the main loop run until a condition holds or drained,
 * a window presented at a fixed size, and the image point under a view's middle. */
#pragma once

#include <gtk/gtk.h>

#include "gui/ptl-window.h"

#define WAIT_TIMEOUT_S 30.0

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until `condition` holds; fails the test after WAIT_TIMEOUT_S. */
void       test_window_wait_until (Condition   condition,
                                   gpointer    data,
                                   const char *what);
/* Runs whatever the main loop has to do, for a while. */
void       test_window_drain (void);
/* A main window presented at 1280×800 and drawn once. */
PtlWindow *test_window_new (void);
/* A Condition: every view of the window has data, and the views were updated twice. */
gboolean   test_window_views_have_data (gpointer data);
/* The image point at the middle of the widget of a view that fits its image. */
void       test_window_centre_pixel (PtlImageView *view,
                                     gsize         rows,
                                     gsize         cols,
                                     gsize        *row,
                                     gsize        *col);
