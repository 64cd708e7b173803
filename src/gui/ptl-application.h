/* The application: one main window that opens on a simulated live scan, the app-wide
 * actions (about, quit) and the keyboard accelerators. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PTL_TYPE_APPLICATION (ptl_application_get_type ())
G_DECLARE_FINAL_TYPE (PtlApplication, ptl_application, PTL, APPLICATION, GtkApplication)

PtlApplication *ptl_application_new (void);
/* Whether the first window starts a simulated live scan when it opens (default TRUE). */
void            ptl_application_set_simulate_on_start (PtlApplication *application,
                                                       gboolean        simulate);
/* The settings of the installed (or $GSETTINGS_SCHEMA_DIR) schema, or NULL without one. */
GSettings      *ptl_application_get_settings (PtlApplication *application);

G_END_DECLS
