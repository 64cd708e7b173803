/* Recording from the window. The Record toggle in the header bar (win.record, kept in the
 * settings) makes each run on a detector stream write every frame it receives, with its
 * position, to a new CXI file in the recordings folder (win.record-folder chooses it).
 * Simulated scans and replays are not recorded: the first can be made again at will, the
 * second is a recording already. A folder that cannot be made does not stop the run: the
 * reconstruction goes on unrecorded, and the status bar says why. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Window"

#include "gui/ptl-window-private.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

/* Files of one second get -2, -3, … after their time stamp; past this, give up. */
#define MAX_SAME_SECOND 1000

char *
_ptl_window_record_folder (PtlWindow *window)
{
  if (window->record_folder != NULL && *window->record_folder != '\0')
    return g_strdup (window->record_folder);

  const char *documents = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  if (documents == NULL || g_strcmp0 (documents, g_get_home_dir ()) == 0)
    documents = g_get_home_dir ();
  return g_build_filename (documents, "PtychoLive", NULL);
}

/* A new file in the recordings folder, named by the local time the run starts; the folder
 * is made when missing. The recorder never overwrites, so two windows starting in the
 * same second cannot lose each other's scan either. */
char *
_ptl_window_new_record_path (PtlWindow *window,
                             GError   **error)
{
  g_autofree char *folder = _ptl_window_record_folder (window);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "scan-%Y%m%d-%H%M%S");

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int code = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code),
                   _("Cannot make the recordings folder %s: %s"), folder, g_strerror (code));
      return NULL;
    }
  for (guint n = 1; n <= MAX_SAME_SECOND; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup_printf ("%s.cxi", stamp)
                                     : g_strdup_printf ("%s-%u.cxi", stamp, n);
      char *path = g_build_filename (folder, name, NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
               _("Too many recordings started this second in %s"), folder);
  return NULL;
}

/* The toggle decides for the next run: a file cannot start halfway through a series. */
void
_ptl_window_on_record_toggled (PtlWindow *window)
{
  if (!window->running || window->source != PTL_SOURCE_STREAM)
    return;
  if (window->record && window->record_file == NULL)
    ptl_status_bar_set_message (window->status_bar,
                                _("Recording starts with the next run on the detector"));
  else if (!window->record && window->record_file != NULL)
    ptl_status_bar_set_message (window->status_bar,
                                _("This run goes on recording; the next one will not"));
}

static void
on_folder_response (GtkNativeDialog *chooser,
                    int              response,
                    PtlWindow       *window)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        g_object_set (window, "record-folder", path, NULL);
    }
  g_object_unref (chooser);
}

static void
record_folder_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Folder for Recordings"), GTK_WINDOW (window),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), NULL);
  g_autofree char *folder = _ptl_window_record_folder (window);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GFile) current = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), current, NULL);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_response), window);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_ptl_window_class_add_record_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_property_action (widget_class, "win.record", "record");
  gtk_widget_class_install_action (widget_class, "win.record-folder", NULL,
                                   record_folder_action);
}
