/* The About dialog: version, licence and website, and for bug reports the versions of the
 * libraries and the compute backends that this copy runs on. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Presents the About dialog, transient for `parent` (may be NULL). A parent keeps its dialog:
 * closing hides it and the next call presents the same one. The compute backends are
 * looked up in a worker thread (opening a GPU can take a while) and fill in when found. */
void ptl_show_about (GtkWindow *parent);

G_END_DECLS
