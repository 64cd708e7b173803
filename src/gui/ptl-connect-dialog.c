/* The Connect dialog: a small modal window, its values bound to GSettings when there are. */
#include "config.h"

#include "gui/ptl-connect-dialog.h"

#include <glib/gi18n.h>

struct _PtlConnectDialog
{
  GtkWindow parent_instance;

  GtkEntry    *detector_entry;
  GtkEntry    *positions_entry;
  GtkDropDown *protocol_dropdown;
  GtkSpinButton *distance_spin;
  GtkLabel      *distance_hint;
  GtkButton     *connect_button;
};

G_DEFINE_FINAL_TYPE (PtlConnectDialog, ptl_connect_dialog, GTK_TYPE_WINDOW)

enum
{
  SIGNAL_CONNECT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The drop-down lists PtlDetectorProtocol in its enum order; these are the settings' names. */
static const char *const protocol_names[] = { "stream-v2", "stream-v1" };

const char *
ptl_connect_dialog_get_detector_endpoint (PtlConnectDialog *dialog)
{
  g_return_val_if_fail (PTL_IS_CONNECT_DIALOG (dialog), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (dialog->detector_entry));
}

const char *
ptl_connect_dialog_get_positions_endpoint (PtlConnectDialog *dialog)
{
  g_return_val_if_fail (PTL_IS_CONNECT_DIALOG (dialog), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (dialog->positions_entry));
}

PtlDetectorProtocol
ptl_connect_dialog_get_protocol (PtlConnectDialog *dialog)
{
  g_return_val_if_fail (PTL_IS_CONNECT_DIALOG (dialog), PTL_DETECTOR_PROTOCOL_V2);
  return gtk_drop_down_get_selected (dialog->protocol_dropdown) == 1 ? PTL_DETECTOR_PROTOCOL_V1
                                                                     : PTL_DETECTOR_PROTOCOL_V2;
}

double
ptl_connect_dialog_get_distance (PtlConnectDialog *dialog)
{
  g_return_val_if_fail (PTL_IS_CONNECT_DIALOG (dialog), 0.0);
  return gtk_spin_button_get_value (dialog->distance_spin);
}

void
ptl_connect_dialog_set_distance (PtlConnectDialog *dialog,
                                 double            metres)
{
  g_return_if_fail (PTL_IS_CONNECT_DIALOG (dialog));
  gtk_spin_button_set_value (dialog->distance_spin, metres);
}

void
ptl_connect_dialog_set_endpoints (PtlConnectDialog   *dialog,
                                  const char         *detector,
                                  const char         *positions,
                                  PtlDetectorProtocol protocol)
{
  g_return_if_fail (PTL_IS_CONNECT_DIALOG (dialog));

  gtk_editable_set_text (GTK_EDITABLE (dialog->detector_entry), detector ? detector : "");
  gtk_editable_set_text (GTK_EDITABLE (dialog->positions_entry), positions ? positions : "");
  gtk_drop_down_set_selected (dialog->protocol_dropdown,
                              protocol == PTL_DETECTOR_PROTOCOL_V1 ? 1 : 0);
}

/* Both endpoints must look like ZMQ addresses before the button is offered. */
static gboolean
endpoint_valid (const char *text)
{
  return g_str_has_prefix (text, "tcp://") || g_str_has_prefix (text, "ipc://")
         || g_str_has_prefix (text, "inproc://");
}

/* Stream V2's start message has no detector distance (Stream V1's header has one): a V2
 * run cannot turn angles into pixels without the distance typed here. */
static void
update_button (PtlConnectDialog *dialog)
{
  gboolean v2 = ptl_connect_dialog_get_protocol (dialog) == PTL_DETECTOR_PROTOCOL_V2;
  gboolean distance_known = !v2 || ptl_connect_dialog_get_distance (dialog) > 0.0;

  gtk_label_set_text (dialog->distance_hint,
                      v2 ? _("Stream V2 does not send the distance: enter it")
                         : _("0: the distance the detector sends"));
  gtk_widget_set_sensitive (GTK_WIDGET (dialog->connect_button),
                            endpoint_valid (ptl_connect_dialog_get_detector_endpoint (dialog))
                            && endpoint_valid (ptl_connect_dialog_get_positions_endpoint (dialog))
                            && distance_known);
}

static void
on_connect_clicked (PtlConnectDialog *dialog)
{
  g_signal_emit (dialog, signals[SIGNAL_CONNECT], 0);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
get_protocol_index (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *name = g_variant_get_string (variant, NULL);

  g_value_set_uint (value, g_str_equal (name, protocol_names[1]) ? 1 : 0);
  return TRUE;
}

static GVariant *
set_protocol_name (const GValue       *value,
                   const GVariantType *type,
                   gpointer            user_data)
{
  return g_variant_new_string (protocol_names[g_value_get_uint (value) == 1 ? 1 : 0]);
}

static void
bind_settings (PtlConnectDialog *dialog,
               GSettings        *settings)
{
  g_autoptr (GSettingsSchema) schema = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  if (g_settings_schema_has_key (schema, "detector-endpoint"))
    g_settings_bind (settings, "detector-endpoint", dialog->detector_entry, "text",
                     G_SETTINGS_BIND_DEFAULT);
  if (g_settings_schema_has_key (schema, "positions-endpoint"))
    g_settings_bind (settings, "positions-endpoint", dialog->positions_entry, "text",
                     G_SETTINGS_BIND_DEFAULT);
  if (g_settings_schema_has_key (schema, "protocol"))
    g_settings_bind_with_mapping (settings, "protocol", dialog->protocol_dropdown, "selected",
                                  G_SETTINGS_BIND_DEFAULT, get_protocol_index, set_protocol_name,
                                  NULL, NULL);
  if (g_settings_schema_has_key (schema, "detector-distance"))
    g_settings_bind (settings, "detector-distance", dialog->distance_spin, "value",
                     G_SETTINGS_BIND_DEFAULT);
}

static GtkWidget *
add_row (GtkGrid    *grid,
         int         row,
         const char *label_text,
         GtkWidget  *widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, widget, 1, row, 1, 1);
  return widget;
}

static void
ptl_connect_dialog_class_init (PtlConnectDialogClass *klass)
{
  signals[SIGNAL_CONNECT] = g_signal_new ("connect", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
ptl_connect_dialog_init (PtlConnectDialog *dialog)
{
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *positions_protocol = gtk_label_new (_("PandA (JSON over ZMQ)"));

  gtk_window_set_title (GTK_WINDOW (dialog), _("Connect to a detector"));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 460, -1);

  gtk_header_bar_set_show_title_buttons (GTK_HEADER_BAR (header), FALSE);
  dialog->connect_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("C_onnect")));
  gtk_widget_add_css_class (GTK_WIDGET (dialog->connect_button), "suggested-action");
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), cancel);
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), GTK_WIDGET (dialog->connect_button));
  gtk_window_set_titlebar (GTK_WINDOW (dialog), header);
  gtk_window_set_default_widget (GTK_WINDOW (dialog), GTK_WIDGET (dialog->connect_button));

  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_margin_start (grid, 18);
  gtk_widget_set_margin_end (grid, 18);
  gtk_widget_set_margin_top (grid, 18);
  gtk_widget_set_margin_bottom (grid, 18);

  dialog->detector_entry = GTK_ENTRY (add_row (GTK_GRID (grid), 0, _("_Detector"),
                                               gtk_entry_new ()));
  gtk_entry_set_placeholder_text (dialog->detector_entry, "tcp://detector:9999");
  gtk_entry_set_activates_default (dialog->detector_entry, TRUE);
  dialog->protocol_dropdown =
    GTK_DROP_DOWN (add_row (GTK_GRID (grid), 1, _("_Protocol"),
                            gtk_drop_down_new_from_strings ((const char *[]) {
                              "DECTRIS Stream V2 (CBOR)", "DECTRIS Stream V1 (JSON)", NULL })));
  dialog->positions_entry = GTK_ENTRY (add_row (GTK_GRID (grid), 2, _("P_ositions"),
                                                gtk_entry_new ()));
  gtk_entry_set_placeholder_text (dialog->positions_entry, "tcp://panda:8889");
  gtk_entry_set_activates_default (dialog->positions_entry, TRUE);
  gtk_label_set_xalign (GTK_LABEL (positions_protocol), 0.0f);
  gtk_widget_add_css_class (positions_protocol, "dim-label");
  gtk_grid_attach (GTK_GRID (grid), positions_protocol, 1, 3, 1, 1);
  /* Metres to 0.1 mm, as the stream gives it; up to the longest beamline flight tubes. */
  dialog->distance_spin = GTK_SPIN_BUTTON (
    add_row (GTK_GRID (grid), 4, _("Detector _distance (m)"),
             gtk_spin_button_new_with_range (0.0, 100.0, 0.001)));
  gtk_spin_button_set_digits (dialog->distance_spin, 4);
  dialog->distance_hint = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (dialog->distance_hint, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (dialog->distance_hint), "dim-label");
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (dialog->distance_hint), 1, 5, 1, 1);
  gtk_window_set_child (GTK_WINDOW (dialog), grid);

  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), dialog);
  g_signal_connect_swapped (dialog->connect_button, "clicked", G_CALLBACK (on_connect_clicked),
                            dialog);
  g_signal_connect_swapped (dialog->detector_entry, "changed", G_CALLBACK (update_button),
                            dialog);
  g_signal_connect_swapped (dialog->positions_entry, "changed", G_CALLBACK (update_button),
                            dialog);
  g_signal_connect_swapped (dialog->protocol_dropdown, "notify::selected",
                            G_CALLBACK (update_button), dialog);
  g_signal_connect_swapped (dialog->distance_spin, "value-changed", G_CALLBACK (update_button),
                            dialog);
  update_button (dialog);
}

GtkWidget *
ptl_connect_dialog_new (GtkWindow *parent,
                        GSettings *settings)
{
  PtlConnectDialog *dialog = g_object_new (PTL_TYPE_CONNECT_DIALOG, "transient-for", parent,
                                           NULL);

  if (settings != NULL)
    bind_settings (dialog, settings);
  update_button (dialog);
  return GTK_WIDGET (dialog);
}
