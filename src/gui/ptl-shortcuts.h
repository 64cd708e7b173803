/* The keyboard shortcuts window (ui/ptl-shortcuts.ui). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The resource of the shortcuts window; its GtkShortcutsWindow has the id "shortcuts". */
#define PTL_SHORTCUTS_RESOURCE "/io/github/ptycholive/PtychoLive/ui/ptl-shortcuts.ui"

/* Makes the shortcuts window the help overlay of `window`: the window gains GTK's action
 * win.show-help-overlay, to which the application binds Ctrl+? and F1. */
void ptl_shortcuts_attach (GtkApplicationWindow *window);

G_END_DECLS
