/* The side panel: its controls, what they mean as parameters, and their GSettings keys. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Panel"

#include "gui/ptl-param-panel.h"

#include <glib/gi18n.h>
#include <math.h>

struct _PtlParamPanel
{
  GtkWidget parent_instance;

  GtkDropDown    *algorithm_dropdown;
  GtkScale       *alpha_scale;
  GtkScale       *beta_scale;
  GtkAdjustment  *alpha_adjustment;
  GtkAdjustment  *beta_adjustment;
  GtkSwitch      *probe_update_switch;
  GtkSpinButton  *probe_start_spin;
  GtkAdjustment  *probe_start_adjustment;
  GtkAdjustment  *modes_adjustment;
  GtkAdjustment  *budget_adjustment;
  GtkAdjustment  *crop_adjustment;
  GtkAdjustment  *centre_row_adjustment;
  GtkAdjustment  *centre_col_adjustment;
  GtkAdjustment  *bin_adjustment;
  GtkSwitch      *dark_switch;
  GtkButton      *dark_file_button;
  GtkLabel       *dark_file_label;
  GtkDropDown    *amplitude_colormap_dropdown;
  GtkDropDown    *phase_colormap_dropdown;
  GtkCheckButton *remove_ramp_check;
  GtkCheckButton *remove_offset_check;
  GtkCheckButton *show_positions_check;
  GtkCheckButton *show_coverage_check;
  GtkCheckButton *pattern_log_check;

  char     *dark_file;
  guint     updating; /* > 0 while the panel itself sets its controls: no signals */
};

G_DEFINE_FINAL_TYPE (PtlParamPanel, ptl_param_panel, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_RECON_CHANGED,
  SIGNAL_PREPROCESS_CHANGED,
  SIGNAL_DISPLAY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A switched-off probe update starts at an iteration no run reaches. */
#define PROBE_UPDATE_NEVER G_MAXINT

/* The algorithm drop-down lists PtlAlgorithm in its enum order. */
#define N_ALGORITHMS (PTL_ALGORITHM_ML + 1)

void
ptl_param_panel_get_recon (PtlParamPanel  *panel,
                           PtlReconParams *params)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));

  guint algorithm = gtk_drop_down_get_selected (panel->algorithm_dropdown);

  if (algorithm < N_ALGORITHMS)
    params->algorithm = (PtlAlgorithm) algorithm;
  params->alpha = gtk_adjustment_get_value (panel->alpha_adjustment);
  params->beta = gtk_adjustment_get_value (panel->beta_adjustment);
  params->probe_update_start = gtk_switch_get_active (panel->probe_update_switch)
                                 ? (guint) gtk_adjustment_get_value (panel->probe_start_adjustment)
                                 : PROBE_UPDATE_NEVER;
  params->n_modes = (guint) gtk_adjustment_get_value (panel->modes_adjustment);
}

void
ptl_param_panel_set_recon (PtlParamPanel        *panel,
                           const PtlReconParams *params)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));

  panel->updating++;
  gtk_drop_down_set_selected (panel->algorithm_dropdown, params->algorithm);
  gtk_adjustment_set_value (panel->alpha_adjustment, params->alpha);
  gtk_adjustment_set_value (panel->beta_adjustment, params->beta);
  gtk_switch_set_active (panel->probe_update_switch,
                         params->probe_update_start != PROBE_UPDATE_NEVER);
  if (params->probe_update_start != PROBE_UPDATE_NEVER)
    gtk_adjustment_set_value (panel->probe_start_adjustment, params->probe_update_start);
  gtk_adjustment_set_value (panel->modes_adjustment, MAX (params->n_modes, 1));
  panel->updating--;
}

guint
ptl_param_panel_get_iteration_budget (PtlParamPanel *panel)
{
  g_return_val_if_fail (PTL_IS_PARAM_PANEL (panel), 0);
  return (guint) gtk_adjustment_get_value (panel->budget_adjustment);
}

void
ptl_param_panel_get_preprocess (PtlParamPanel       *panel,
                                PtlPreprocessParams *params)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));

  params->crop = (guint) gtk_adjustment_get_value (panel->crop_adjustment);
  params->bin = (guint) gtk_adjustment_get_value (panel->bin_adjustment);
  params->centre_row = gtk_adjustment_get_value (panel->centre_row_adjustment);
  params->centre_col = gtk_adjustment_get_value (panel->centre_col_adjustment);
  params->auto_centre = FALSE;
}

void
ptl_param_panel_set_preprocess (PtlParamPanel             *panel,
                                const PtlPreprocessParams *params)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));

  panel->updating++;
  gtk_adjustment_set_value (panel->crop_adjustment, params->crop);
  gtk_adjustment_set_value (panel->bin_adjustment, params->bin);
  gtk_adjustment_set_value (panel->centre_row_adjustment, params->centre_row);
  gtk_adjustment_set_value (panel->centre_col_adjustment, params->centre_col);
  panel->updating--;
}

gboolean
ptl_param_panel_get_dark_enabled (PtlParamPanel *panel)
{
  g_return_val_if_fail (PTL_IS_PARAM_PANEL (panel), FALSE);
  return gtk_switch_get_active (panel->dark_switch);
}

const char *
ptl_param_panel_get_dark_file (PtlParamPanel *panel)
{
  g_return_val_if_fail (PTL_IS_PARAM_PANEL (panel), NULL);
  return panel->dark_file;
}

void
ptl_param_panel_get_display (PtlParamPanel     *panel,
                             PtlDisplayOptions *options)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));

  options->amplitude_colormap =
    MIN (gtk_drop_down_get_selected (panel->amplitude_colormap_dropdown), PTL_COLORMAP_N - 1);
  options->phase_colormap =
    MIN (gtk_drop_down_get_selected (panel->phase_colormap_dropdown), PTL_COLORMAP_N - 1);
  options->phase_correction =
    (gtk_check_button_get_active (panel->remove_ramp_check) ? PTL_PHASE_REMOVE_RAMP : 0)
    | (gtk_check_button_get_active (panel->remove_offset_check) ? PTL_PHASE_REMOVE_OFFSET : 0);
  options->show_positions = gtk_check_button_get_active (panel->show_positions_check);
  options->show_coverage = gtk_check_button_get_active (panel->show_coverage_check);
  options->pattern_log = gtk_check_button_get_active (panel->pattern_log_check);
}

static void
emit_recon (PtlParamPanel *panel)
{
  if (panel->updating == 0)
    g_signal_emit (panel, signals[SIGNAL_RECON_CHANGED], 0);
}

static void
emit_preprocess (PtlParamPanel *panel)
{
  if (panel->updating == 0)
    g_signal_emit (panel, signals[SIGNAL_PREPROCESS_CHANGED], 0);
}

static void
emit_display (PtlParamPanel *panel)
{
  if (panel->updating == 0)
    g_signal_emit (panel, signals[SIGNAL_DISPLAY_CHANGED], 0);
}

static void
on_probe_update_active (PtlParamPanel *panel)
{
  gtk_widget_set_sensitive (GTK_WIDGET (panel->probe_start_spin),
                            gtk_switch_get_active (panel->probe_update_switch));
  emit_recon (panel);
}

/* The bin must divide the crop: the crop snaps to the nearest multiple of the bin. */
static void
on_crop_or_bin_changed (PtlParamPanel *panel)
{
  guint crop = (guint) gtk_adjustment_get_value (panel->crop_adjustment);
  guint bin = MAX ((guint) gtk_adjustment_get_value (panel->bin_adjustment), 1);

  if (crop % bin != 0)
    {
      guint snapped = MAX (bin, (crop + bin / 2) / bin * bin);

      panel->updating++;
      gtk_adjustment_set_value (panel->crop_adjustment, snapped);
      panel->updating--;
    }
  emit_preprocess (panel);
}

static void
on_dark_file_response (GtkNativeDialog *dialog,
                       int              response,
                       PtlParamPanel   *panel)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *name = g_file_get_basename (file);

      g_free (panel->dark_file);
      panel->dark_file = g_file_get_path (file);
      gtk_label_set_label (panel->dark_file_label, name);
      gtk_switch_set_active (panel->dark_switch, TRUE);
      emit_preprocess (panel);
    }
  g_object_unref (dialog);
}

static void
on_dark_file_clicked (PtlParamPanel *panel)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (panel));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Dark frames"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_OPEN, NULL, NULL);
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("HDF5 files"));
  gtk_file_filter_add_pattern (filter, "*.h5");
  gtk_file_filter_add_pattern (filter, "*.hdf5");
  gtk_file_filter_add_pattern (filter, "*.nxs");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_dark_file_response), panel);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* GSettings ↔ controls. Unsigned keys drive double-valued adjustments; string keys
 * (algorithm, colormaps) drive drop-down positions. */
static gboolean
get_uint_as_double (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_uint32 (variant));
  return TRUE;
}

static GVariant *
set_double_as_uint (const GValue       *value,
                    const GVariantType *type,
                    gpointer            user_data)
{
  double v = round (g_value_get_double (value));

  return g_variant_new_uint32 ((guint32) CLAMP (v, 0.0, (double) G_MAXUINT32));
}

typedef gboolean (*NameToIndex) (const char *name, guint *index);
typedef const char *(*IndexToName) (guint index);

static gboolean
algorithm_from_name (const char *name,
                     guint      *index)
{
  PtlAlgorithm algorithm;

  if (!ptl_algorithm_from_string (name, &algorithm, NULL))
    return FALSE;
  *index = algorithm;
  return TRUE;
}

static const char *
algorithm_name (guint index)
{
  return index < N_ALGORITHMS ? ptl_algorithm_to_string ((PtlAlgorithm) index) : NULL;
}

static gboolean
colormap_from_name (const char *name,
                    guint      *index)
{
  PtlColormap map;

  if (!ptl_colormap_from_string (name, &map))
    return FALSE;
  *index = map;
  return TRUE;
}

static const char *
colormap_name (guint index)
{
  return index < PTL_COLORMAP_N ? ptl_colormap_to_string ((PtlColormap) index) : NULL;
}

typedef struct
{
  NameToIndex to_index;
  IndexToName to_name;
} NameMapping;

static const NameMapping algorithm_mapping = { algorithm_from_name, algorithm_name };
static const NameMapping colormap_mapping = { colormap_from_name, colormap_name };

static gboolean
get_name_as_index (GValue   *value,
                   GVariant *variant,
                   gpointer  user_data)
{
  const NameMapping *mapping = user_data;
  guint index;

  if (!mapping->to_index (g_variant_get_string (variant, NULL), &index))
    return FALSE;
  g_value_set_uint (value, index);
  return TRUE;
}

static GVariant *
set_index_as_name (const GValue       *value,
                   const GVariantType *type,
                   gpointer            user_data)
{
  const NameMapping *mapping = user_data;
  const char *name = mapping->to_name (g_value_get_uint (value));

  return name != NULL ? g_variant_new_string (name) : NULL;
}

static void
bind_key (GSettings  *settings,
          const char *key,
          gpointer    object,
          const char *property,
          const NameMapping *names)
{
  g_autoptr (GSettingsSchema) schema = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  if (!g_settings_schema_has_key (schema, key))
    return;

  g_autoptr (GSettingsSchemaKey) schema_key = g_settings_schema_get_key (schema, key);
  const GVariantType *type = g_settings_schema_key_get_value_type (schema_key);

  if (names != NULL && g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    g_settings_bind_with_mapping (settings, key, object, property, G_SETTINGS_BIND_DEFAULT,
                                  get_name_as_index, set_index_as_name, (gpointer) names, NULL);
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32)
           && GTK_IS_ADJUSTMENT (object))
    g_settings_bind_with_mapping (settings, key, object, property, G_SETTINGS_BIND_DEFAULT,
                                  get_uint_as_double, set_double_as_uint, NULL, NULL);
  else
    g_settings_bind (settings, key, object, property, G_SETTINGS_BIND_DEFAULT);
}

void
ptl_param_panel_bind_settings (PtlParamPanel *panel,
                               GSettings     *settings)
{
  g_return_if_fail (PTL_IS_PARAM_PANEL (panel));
  g_return_if_fail (G_IS_SETTINGS (settings));

  bind_key (settings, "algorithm", panel->algorithm_dropdown, "selected", &algorithm_mapping);
  bind_key (settings, "alpha", panel->alpha_adjustment, "value", NULL);
  bind_key (settings, "beta", panel->beta_adjustment, "value", NULL);
  bind_key (settings, "probe-update", panel->probe_update_switch, "active", NULL);
  bind_key (settings, "probe-update-start", panel->probe_start_adjustment, "value", NULL);
  bind_key (settings, "probe-modes", panel->modes_adjustment, "value", NULL);
  bind_key (settings, "iterations-budget", panel->budget_adjustment, "value", NULL);
  bind_key (settings, "crop-size", panel->crop_adjustment, "value", NULL);
  bind_key (settings, "binning", panel->bin_adjustment, "value", NULL);
  bind_key (settings, "dark-enabled", panel->dark_switch, "active", NULL);
  bind_key (settings, "amplitude-colormap", panel->amplitude_colormap_dropdown, "selected",
            &colormap_mapping);
  bind_key (settings, "phase-colormap", panel->phase_colormap_dropdown, "selected",
            &colormap_mapping);
}

static void
ptl_param_panel_dispose (GObject *object)
{
  PtlParamPanel *panel = PTL_PARAM_PANEL (object);

  GtkWidget     *child;

  gtk_widget_dispose_template (GTK_WIDGET (panel), PTL_TYPE_PARAM_PANEL);
  /* The template's root box is not a bound child: GTK 4.8 leaves it to us. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (panel))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&panel->dark_file, g_free);
  G_OBJECT_CLASS (ptl_param_panel_parent_class)->dispose (object);
}

static void
ptl_param_panel_class_init (PtlParamPanelClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ptl_param_panel_dispose;

  signals[SIGNAL_RECON_CHANGED] =
    g_signal_new ("recon-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_PREPROCESS_CHANGED] =
    g_signal_new ("preprocess-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DISPLAY_CHANGED] =
    g_signal_new ("display-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ptycholive/PtychoLive/ui/ptl-param-panel.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ptl-param-panel");

#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PtlParamPanel, name)
  BIND (algorithm_dropdown);
  BIND (alpha_scale);
  BIND (beta_scale);
  BIND (alpha_adjustment);
  BIND (beta_adjustment);
  BIND (probe_update_switch);
  BIND (probe_start_spin);
  BIND (probe_start_adjustment);
  BIND (modes_adjustment);
  BIND (budget_adjustment);
  BIND (crop_adjustment);
  BIND (centre_row_adjustment);
  BIND (centre_col_adjustment);
  BIND (bin_adjustment);
  BIND (dark_switch);
  BIND (dark_file_button);
  BIND (dark_file_label);
  BIND (amplitude_colormap_dropdown);
  BIND (phase_colormap_dropdown);
  BIND (remove_ramp_check);
  BIND (remove_offset_check);
  BIND (show_positions_check);
  BIND (show_coverage_check);
  BIND (pattern_log_check);
#undef BIND
}

static void
ptl_param_panel_init (PtlParamPanel *panel)
{
  PtlReconParams defaults;

  gtk_widget_init_template (GTK_WIDGET (panel));
  /* The controls start at the reconstruction's own defaults (the settings, when bound,
   * replace them). */
  ptl_recon_params_init (&defaults);
  ptl_param_panel_set_recon (panel, &defaults);

  g_signal_connect_swapped (panel->algorithm_dropdown, "notify::selected",
                            G_CALLBACK (emit_recon), panel);
  g_signal_connect_swapped (panel->alpha_adjustment, "value-changed", G_CALLBACK (emit_recon),
                            panel);
  g_signal_connect_swapped (panel->beta_adjustment, "value-changed", G_CALLBACK (emit_recon),
                            panel);
  g_signal_connect_swapped (panel->probe_update_switch, "notify::active",
                            G_CALLBACK (on_probe_update_active), panel);
  g_signal_connect_swapped (panel->probe_start_adjustment, "value-changed",
                            G_CALLBACK (emit_recon), panel);
  g_signal_connect_swapped (panel->modes_adjustment, "value-changed", G_CALLBACK (emit_recon),
                            panel);
  g_signal_connect_swapped (panel->budget_adjustment, "value-changed", G_CALLBACK (emit_recon),
                            panel);

  g_signal_connect_swapped (panel->crop_adjustment, "value-changed",
                            G_CALLBACK (on_crop_or_bin_changed), panel);
  g_signal_connect_swapped (panel->bin_adjustment, "value-changed",
                            G_CALLBACK (on_crop_or_bin_changed), panel);
  g_signal_connect_swapped (panel->centre_row_adjustment, "value-changed",
                            G_CALLBACK (emit_preprocess), panel);
  g_signal_connect_swapped (panel->centre_col_adjustment, "value-changed",
                            G_CALLBACK (emit_preprocess), panel);
  g_signal_connect_swapped (panel->dark_switch, "notify::active", G_CALLBACK (emit_preprocess),
                            panel);
  g_signal_connect_swapped (panel->dark_file_button, "clicked",
                            G_CALLBACK (on_dark_file_clicked), panel);

  g_signal_connect_swapped (panel->amplitude_colormap_dropdown, "notify::selected",
                            G_CALLBACK (emit_display), panel);
  g_signal_connect_swapped (panel->phase_colormap_dropdown, "notify::selected",
                            G_CALLBACK (emit_display), panel);
  g_signal_connect_swapped (panel->remove_ramp_check, "toggled", G_CALLBACK (emit_display),
                            panel);
  g_signal_connect_swapped (panel->remove_offset_check, "toggled", G_CALLBACK (emit_display),
                            panel);
  g_signal_connect_swapped (panel->show_positions_check, "toggled", G_CALLBACK (emit_display),
                            panel);
  g_signal_connect_swapped (panel->show_coverage_check, "toggled", G_CALLBACK (emit_display),
                            panel);
  g_signal_connect_swapped (panel->pattern_log_check, "toggled", G_CALLBACK (emit_display),
                            panel);
}

GtkWidget *
ptl_param_panel_new (void)
{
  return g_object_new (PTL_TYPE_PARAM_PANEL, NULL);
}
