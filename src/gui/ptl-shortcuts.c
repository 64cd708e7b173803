/* The keyboard shortcuts window (see ptl-shortcuts.h). GtkApplication loads a help overlay
 * by itself only from gtk/help-overlay.ui with the id "help_overlay"; ours is loaded here,
 * so that its id and place follow the project's names. */
#include "config.h"

#include "gui/ptl-shortcuts.h"

#include "ptl-resources.h"

void
ptl_shortcuts_attach (GtkApplicationWindow *window)
{
  g_autoptr (GtkBuilder) builder = gtk_builder_new ();
  g_autoptr (GBytes) ui = NULL;
  g_autoptr (GError) error = NULL;
  GObject *shortcuts;

  g_return_if_fail (GTK_IS_APPLICATION_WINDOW (window));

  /* Read from the bundle itself, which also links it into a program that uses nothing else
   * of it (its constructor registers it for the path lookups of the rest). */
  ui = g_resource_lookup_data (ptl_get_resource (), PTL_SHORTCUTS_RESOURCE,
                               G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (ui == NULL || !gtk_builder_add_from_string (builder, g_bytes_get_data (ui, NULL),
                                                  (gssize) g_bytes_get_size (ui), &error))
    {
      g_critical ("The shortcuts window does not load: %s", error->message);
      return;
    }
  shortcuts = gtk_builder_get_object (builder, "shortcuts");
  g_return_if_fail (GTK_IS_SHORTCUTS_WINDOW (shortcuts));
  gtk_application_window_set_help_overlay (window, GTK_SHORTCUTS_WINDOW (shortcuts));
}
