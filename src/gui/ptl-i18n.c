/* Translations (see ptl-i18n.h). */
#include "config.h"

#include "gui/ptl-i18n.h"

#include <glib/gi18n.h>

void
ptl_i18n_init (void)
{
  const char *localedir = g_getenv ("PTL_LOCALEDIR");

  if (localedir == NULL || *localedir == '\0')
    localedir = LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  /* The .po files are UTF-8 and so is every string GTK takes, whatever the locale's charset. */
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
