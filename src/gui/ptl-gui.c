#include "config.h"

#include "gui/ptl-gui.h"

#include <gtk/gtk.h>

#include "gui/ptl-application.h"
#include "gui/ptl-i18n.h"

gboolean
ptl_gui_display_available (void)
{
  const char *x11 = g_getenv ("DISPLAY");
  const char *wayland = g_getenv ("WAYLAND_DISPLAY");

  /* Without either variable GTK would only fail, after trying. */
  if ((x11 == NULL || *x11 == '\0') && (wayland == NULL || *wayland == '\0'))
    return FALSE;
  return gtk_init_check ();
}

int
ptl_gui_run (int    argc,
             char **argv)
{
  g_autoptr (PtlApplication) application = NULL;

  ptl_i18n_init ();
  application = ptl_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
