/* The settings behind the window: the parameter panel shows what GSettings holds and
 * writes back what the user sets, and the Connect dialog keeps its endpoints and protocol
 * there. Skips without the schema (GSETTINGS_SCHEMA_DIR) and exits 77 without a display. */
#include "config.h"

#include <gtk/gtk.h>

#include "gui/ptl-connect-dialog.h"
#include "gui/ptl-window.h"

/* The panel shows what the settings hold, and what the user sets goes back to them. */
static void
test_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
    source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

  if (schema == NULL)
    {
      g_test_skip ("settings schema not found (GSETTINGS_SCHEMA_DIR)");
      return;
    }

  g_autoptr (GSettings) settings = g_settings_new_full (schema, NULL, NULL);
  PtlReconParams params;
  PtlPreprocessParams pre;
  PtlDisplayOptions display;

  g_settings_set_double (settings, "alpha", 0.42);
  g_settings_set_string (settings, "algorithm", "dm");
  g_settings_set_uint (settings, "probe-modes", 3);
  g_settings_set_uint (settings, "crop-size", 256);
  g_settings_set_string (settings, "amplitude-colormap", "cividis");

  PtlWindow *window = ptl_window_new (NULL, settings);
  PtlParamPanel *panel = ptl_window_get_param_panel (window);

  ptl_recon_params_init (&params);
  ptl_param_panel_get_recon (panel, &params);
  g_assert_cmpfloat (params.alpha, ==, 0.42);
  g_assert_cmpint (params.algorithm, ==, PTL_ALGORITHM_DM);
  g_assert_cmpuint (params.n_modes, ==, 3);
  ptl_preprocess_params_init (&pre);
  ptl_param_panel_get_preprocess (panel, &pre);
  g_assert_cmpuint (pre.crop, ==, 256);
  ptl_param_panel_get_display (panel, &display);
  g_assert_cmpint (display.amplitude_colormap, ==, PTL_COLORMAP_CIVIDIS);

  GtkRange *alpha = GTK_RANGE (gtk_widget_get_template_child (GTK_WIDGET (panel),
                                                              PTL_TYPE_PARAM_PANEL, "alpha_scale"));
  GtkDropDown *algorithm = GTK_DROP_DOWN (
    gtk_widget_get_template_child (GTK_WIDGET (panel), PTL_TYPE_PARAM_PANEL, "algorithm_dropdown"));

  gtk_range_set_value (alpha, 0.55);
  gtk_drop_down_set_selected (algorithm, PTL_ALGORITHM_EPIE);
  g_assert_cmpfloat (g_settings_get_double (settings, "alpha"), ==, 0.55);
  g_autofree char *name = g_settings_get_string (settings, "algorithm");
  g_assert_cmpstr (name, ==, "epie");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The Connect dialog shows the endpoints kept in the settings, offers to connect only to
 * ZMQ addresses (and, for Stream V2, only with a detector distance), and keeps what the
 * user typed. */
static void
test_connect_dialog (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
    source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

  if (schema == NULL)
    {
      g_test_skip ("settings schema not found (GSETTINGS_SCHEMA_DIR)");
      return;
    }

  g_autoptr (GSettings) settings = g_settings_new_full (schema, NULL, NULL);
  g_settings_set_string (settings, "detector-endpoint", "tcp://eiger:9999");
  g_settings_set_string (settings, "positions-endpoint", "tcp://panda:8889");
  g_settings_set_string (settings, "protocol", "stream-v1");

  PtlConnectDialog *dialog = PTL_CONNECT_DIALOG (ptl_connect_dialog_new (NULL, settings));
  GtkWidget *button = gtk_window_get_default_widget (GTK_WINDOW (dialog));

  g_assert_cmpstr (ptl_connect_dialog_get_detector_endpoint (dialog), ==, "tcp://eiger:9999");
  g_assert_cmpstr (ptl_connect_dialog_get_positions_endpoint (dialog), ==, "tcp://panda:8889");
  g_assert_cmpint (ptl_connect_dialog_get_protocol (dialog), ==, PTL_DETECTOR_PROTOCOL_V1);
  g_assert_true (gtk_widget_get_sensitive (button));

  ptl_connect_dialog_set_endpoints (dialog, "eiger:9999", "tcp://panda:8889",
                                    PTL_DETECTOR_PROTOCOL_V2);
  g_assert_false (gtk_widget_get_sensitive (button));
  /* Stream V2 sends no detector distance: connecting waits until one is entered. */
  ptl_connect_dialog_set_endpoints (dialog, "tcp://10.0.0.5:31001", "tcp://panda:8889",
                                    PTL_DETECTOR_PROTOCOL_V2);
  g_assert_false (gtk_widget_get_sensitive (button));
  ptl_connect_dialog_set_distance (dialog, 1.5);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_cmpfloat (g_settings_get_double (settings, "detector-distance"), ==, 1.5);

  g_autofree char *detector = g_settings_get_string (settings, "detector-endpoint");
  g_autofree char *protocol = g_settings_get_string (settings, "protocol");
  g_assert_cmpstr (detector, ==, "tcp://10.0.0.5:31001");
  g_assert_cmpstr (protocol, ==, "stream-v2");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipped\n");
      return 77;
    }
  g_test_add_func ("/window-settings/panel", test_settings);
  g_test_add_func ("/window-settings/connect-dialog", test_connect_dialog);
  return g_test_run ();
}
