/* Files in and out of the window: open a recording (replayed at its own pace, with the
 * time slider), connect to a detector, export the views as PNG, save the result as CXI.
 * File choosers start in the last folder used. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Window"

#include "gui/ptl-window-private.h"

#include <glib/gi18n.h>

#include "gui/ptl-connect-dialog.h"
#include "gui/ptl-image-view-private.h"

static void
set_last_folder (PtlWindow *window,
                 GFile     *file)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GFile) parent = NULL;

  if (window->settings == NULL)
    return;
  g_object_get (window->settings, "settings-schema", &schema, NULL);
  if (!g_settings_schema_has_key (schema, "last-directory"))
    return;
  parent = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY
             ? g_object_ref (file) : g_file_get_parent (file);
  if (parent != NULL)
    {
      g_autofree char *path = g_file_get_path (parent);

      if (path != NULL)
        g_settings_set_string (window->settings, "last-directory", path);
    }
}

static GtkFileChooserNative *
new_chooser (PtlWindow           *window,
             const char          *title,
             GtkFileChooserAction action)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (window), action, NULL, NULL);
  g_autoptr (GSettingsSchema) schema = NULL;

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (window->settings != NULL)
    {
      g_object_get (window->settings, "settings-schema", &schema, NULL);
      if (g_settings_schema_has_key (schema, "last-directory"))
        {
          g_autofree char *folder = g_settings_get_string (window->settings, "last-directory");

          if (folder != NULL && *folder != '\0' && g_file_test (folder, G_FILE_TEST_IS_DIR))
            {
              g_autoptr (GFile) file = g_file_new_for_path (folder);

              gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), file, NULL);
            }
        }
    }
  return chooser;
}

static void
show_error (PtlWindow  *window,
            const char *what,
            GError     *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  g_warning ("%s", text);
  ptl_status_bar_set_message (window->status_bar, text);
}

/* Open a recording. */

static void
on_open_response (GtkNativeDialog *chooser,
                  int              response,
                  PtlWindow       *window)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      PtlPipelineConfig config;

      set_last_folder (window, file);
      ptl_pipeline_config_init (&config);
      config.source = PTL_SOURCE_REPLAY;
      config.replay_file = path;
      config.replay_rate = 1.0;
      if (!ptl_window_start_run (window, &config, &error))
        show_error (window, _("Could not open the recording"), error);
      ptl_sim_params_clear (&config.sim);
    }
  g_object_unref (chooser);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  GtkFileChooserNative *chooser = new_chooser (window, _("Open a Recording"),
                                               GTK_FILE_CHOOSER_ACTION_OPEN);
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Scans (CXI, NeXus, HDF5)"));
  gtk_file_filter_add_pattern (filter, "*.cxi");
  gtk_file_filter_add_pattern (filter, "*.nxs");
  gtk_file_filter_add_pattern (filter, "*.h5");
  gtk_file_filter_add_pattern (filter, "*.hdf5");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_unref (filter);
  g_signal_connect (chooser, "response", G_CALLBACK (on_open_response), window);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Connect. */

static void
on_connect (PtlConnectDialog *dialog,
            PtlWindow        *window)
{
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;

  ptl_pipeline_config_init (&config);
  config.source = PTL_SOURCE_STREAM;
  config.detector_endpoint = ptl_connect_dialog_get_detector_endpoint (dialog);
  config.positions_endpoint = ptl_connect_dialog_get_positions_endpoint (dialog);
  config.protocol = ptl_connect_dialog_get_protocol (dialog);
  config.distance = ptl_connect_dialog_get_distance (dialog);
  config.preprocess_from_file = FALSE;
  if (!ptl_window_start_run (window, &config, &error))
    show_error (window, _("Could not connect"), error);
  ptl_sim_params_clear (&config.sim);
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  GtkWidget *dialog = ptl_connect_dialog_new (GTK_WINDOW (window), window->settings);

  if (window->settings == NULL && window->detector_endpoint != NULL)
    {
      ptl_connect_dialog_set_endpoints (PTL_CONNECT_DIALOG (dialog), window->detector_endpoint,
                                        window->positions_endpoint, window->protocol);
      ptl_connect_dialog_set_distance (PTL_CONNECT_DIALOG (dialog), window->distance);
    }
  g_signal_connect (dialog, "connect", G_CALLBACK (on_connect), window);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Export the views. */

static gboolean
export_view (PtlImageView *view,
             const char   *path,
             GError      **error)
{
  g_autofree guint8 *rgba = ptl_image_view_colour_cpu (view);
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&rgba), 4 * view->rows * view->cols);
  g_autoptr (GdkTexture) texture = gdk_memory_texture_new ((int) view->cols, (int) view->rows,
                                                           GDK_MEMORY_R8G8B8A8, bytes,
                                                           4 * view->cols);

  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write %s"), path);
      return FALSE;
    }
  return TRUE;
}

guint
ptl_window_export_images (PtlWindow  *window,
                          const char *folder,
                          GError    **error)
{
  const char *const components[] = { "amplitude", "phase", "complex" };
  struct { PtlImageView *view; const char *name; } views[] = {
    { window->object_view, "object" },
    { window->probe_view, "probe" },
    { window->pattern_view, "pattern" },
    { window->raw_view, "raw-frame" },
  };
  guint written = 0;

  g_return_val_if_fail (PTL_IS_WINDOW (window), 0);
  g_return_val_if_fail (folder != NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      PtlImageView *view = views[i].view;

      if (!ptl_image_view_has_data (view) || view->cols > G_MAXINT || view->rows > G_MAXINT)
        continue;

      g_autofree char *name = view->complex_data != NULL
                                ? g_strdup_printf ("%s-%s.png", views[i].name,
                                                   components[view->component])
                                : g_strdup_printf ("%s.png", views[i].name);
      g_autofree char *path = g_build_filename (folder, name, NULL);

      if (!export_view (view, path, error))
        return 0;
      written++;
    }
  return written;
}

static void
on_export_response (GtkNativeDialog *chooser,
                    int              response,
                    PtlWindow       *window)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *folder = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      set_last_folder (window, file);
      guint n = ptl_window_export_images (window, folder, &error);
      if (error != NULL)
        show_error (window, _("Export failed"), error);
      else
        {
          g_autofree char *text = g_strdup_printf (_("%u images written to %s"), n, folder);
          ptl_status_bar_set_message (window->status_bar, text);
        }
    }
  g_object_unref (chooser);
}

static void
export_images_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  GtkFileChooserNative *chooser = new_chooser (window, _("Export the Images to a Folder"),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);

  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), window);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Save the result. */

static void
on_save_response (GtkNativeDialog *chooser,
                  int              response,
                  PtlWindow       *window)
{
  if (response == GTK_RESPONSE_ACCEPT && window->pipeline != NULL)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      set_last_folder (window, file);
      if (!ptl_pipeline_save_result (window->pipeline, path, &error))
        show_error (window, _("Could not save the result"), error);
      else
        {
          g_autofree char *text = g_strdup_printf (_("Result written to %s"), path);
          ptl_status_bar_set_message (window->status_bar, text);
        }
    }
  g_object_unref (chooser);
}

static void
save_result_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  GtkFileChooserNative *chooser;

  if (window->pipeline == NULL)
    {
      ptl_status_bar_set_message (window->status_bar, _("Nothing reconstructed yet"));
      return;
    }
  chooser = new_chooser (window, _("Save the Result"), GTK_FILE_CHOOSER_ACTION_SAVE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "result.cxi");
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_response), window);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_ptl_window_class_add_file_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "win.export-images", NULL,
                                   export_images_action);
  gtk_widget_class_install_action (widget_class, "win.save-result", NULL, save_result_action);
}
