/* Translations: binds the application's gettext domain. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Binds GETTEXT_PACKAGE to its catalogues (LOCALEDIR, or $PTL_LOCALEDIR for a run from the
 * build folder, whose po/ holds the compiled catalogues) and makes it the default domain of
 * _() and of GtkBuilder. Call once, after setlocale (LC_ALL, "") and before any window. */
void ptl_i18n_init (void);

G_END_DECLS
