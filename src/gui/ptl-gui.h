/* The graphical application, callable from a program that includes no GTK header (the
 * `ptycholive` executable, the benchmark). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether a display can be opened (X11 or Wayland): FALSE means run headless. */
gboolean ptl_gui_display_available (void);
/* Opens the main window on a simulated live scan and runs until it is closed; returns the
 * exit status. */
int      ptl_gui_run (int    argc,
                      char **argv);

G_END_DECLS
