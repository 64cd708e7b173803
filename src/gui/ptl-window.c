/* The main window: construction, actions and run control. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Window"

#include "gui/ptl-window-private.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (PtlWindow, ptl_window, GTK_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_RECORD,
  PROP_RECORD_FOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The scan `ptycholive` shows when it opens: a raw sCMOS stream at the I08-1 rate. */
#define DEFAULT_SIM_FRAMES 400
#define DEFAULT_SIM_RATE   25.0

static void
update_run_button (PtlWindow *window)
{
  gtk_button_set_icon_name (window->run_button, window->running ? "media-playback-stop-symbolic"
                                                                : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (window->run_button),
                               window->running ? _("Stop the run") : _("Start the run again"));
}

static void
on_pipeline_snapshot (PtlPipeline *pipeline,
                      PtlWindow   *window)
{
  _ptl_window_on_snapshot (window);
}

static void
on_pipeline_finished (PtlPipeline *pipeline,
                      PtlWindow   *window)
{
  window->running = FALSE;
  update_run_button (window);
  _ptl_window_on_snapshot (window);
}

void
ptl_window_stop (PtlWindow *window)
{
  g_return_if_fail (PTL_IS_WINDOW (window));

  g_clear_handle_id (&window->preprocess_timeout, g_source_remove);
  if (window->pipeline != NULL)
    ptl_pipeline_stop (window->pipeline);
  window->running = FALSE;
  update_run_button (window);
}

static void report_error (PtlWindow  *window,
                          const char *what,
                          GError     *error);

static void
drop_pipeline (PtlWindow *window)
{
  if (window->pipeline == NULL)
    return;
  ptl_pipeline_stop (window->pipeline);
  g_signal_handlers_disconnect_by_data (window->pipeline, window);
  g_clear_object (&window->pipeline);
}

gboolean
ptl_window_start_run (PtlWindow               *window,
                      const PtlPipelineConfig *config,
                      GError                 **error)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  PtlPipelineConfig c = *config;

  ptl_window_stop (window);
  drop_pipeline (window);
  _ptl_window_reset_views (window);

  ptl_param_panel_get_recon (window->param_panel, &c.recon);
  c.recon.iterations = ptl_param_panel_get_iteration_budget (window->param_panel);
  c.final_iterations = c.recon.iterations;
  window->refine_seconds = c.final_seconds;
  /* With the engine on a GPU, the object view fills its texture device to device when its
   * GL context runs on that GPU (ptl-gl-interop.c), and from the host copy otherwise. */
  c.device_snapshots = TRUE;
  if (c.source == PTL_SOURCE_STREAM)
    ptl_param_panel_get_preprocess (window->param_panel, &c.preprocess);
  if (c.dark_file == NULL && ptl_param_panel_get_dark_enabled (window->param_panel))
    c.dark_file = ptl_param_panel_get_dark_file (window->param_panel);

  /* A detector run records when the toggle says so; a folder that cannot be made leaves
   * the run unrecorded rather than not started. */
  g_autofree char *record_file = NULL;
  g_autoptr (GError) record_error = NULL;
  if (c.source == PTL_SOURCE_STREAM && c.record_file == NULL && window->record)
    {
      record_file = _ptl_window_new_record_path (window, &record_error);
      c.record_file = record_file;
    }

  window->pipeline = ptl_pipeline_new (&c, error);
  if (window->pipeline == NULL)
    return FALSE;
  g_signal_connect (window->pipeline, "snapshot", G_CALLBACK (on_pipeline_snapshot), window);
  g_signal_connect (window->pipeline, "finished", G_CALLBACK (on_pipeline_finished), window);

  window->source = c.source;
  window->protocol = c.protocol;
  g_free (window->detector_endpoint);
  window->detector_endpoint = g_strdup (c.detector_endpoint);
  g_free (window->positions_endpoint);
  window->positions_endpoint = g_strdup (c.positions_endpoint);
  window->distance = c.distance;
  g_free (window->replay_file);
  window->replay_file = g_strdup (c.replay_file);
  g_free (window->record_file);
  window->record_file = g_strdup (c.record_file);
  window->run_preprocess = c.preprocess;
  window->run_start_us = g_get_monotonic_time ();
  window->panel_synced = FALSE;
  gtk_revealer_set_reveal_child (window->replay_revealer, c.source == PTL_SOURCE_REPLAY);

  if (!ptl_pipeline_start (window->pipeline, error))
    {
      drop_pipeline (window);
      _ptl_window_update_header (window, NULL);
      return FALSE;
    }
  window->running = TRUE;
  update_run_button (window);
  _ptl_window_update_header (window, NULL);
  if (record_error != NULL)
    report_error (window, _("Not recording"), record_error);
  return TRUE;
}

gboolean
ptl_window_start_simulation (PtlWindow *window,
                             guint      n_frames,
                             double     rate,
                             GError   **error)
{
  PtlPipelineConfig config;

  g_return_val_if_fail (PTL_IS_WINDOW (window), FALSE);

  ptl_pipeline_config_init (&config);
  config.source = PTL_SOURCE_SIMULATION;
  config.sim.n_frames = n_frames;
  config.sim_raw = TRUE;
  config.sim_rate = rate;
  gboolean ok = ptl_window_start_run (window, &config, error);
  ptl_sim_params_clear (&config.sim);
  return ok;
}

/* Starts the kind of run last started again (a simulation when there was none). */
static gboolean
restart (PtlWindow *window,
         GError   **error)
{
  PtlPipelineConfig config;
  gboolean ok;

  if (window->pipeline == NULL || window->source == PTL_SOURCE_SIMULATION)
    return ptl_window_start_simulation (window, DEFAULT_SIM_FRAMES, DEFAULT_SIM_RATE, error);

  ptl_pipeline_config_init (&config);
  config.source = window->source;
  config.protocol = window->protocol;
  g_autofree char *detector = g_strdup (window->detector_endpoint);
  g_autofree char *positions = g_strdup (window->positions_endpoint);
  g_autofree char *replay = g_strdup (window->replay_file);
  config.detector_endpoint = detector;
  config.positions_endpoint = positions;
  config.replay_file = replay;
  config.replay_rate = 1.0;
  config.distance = window->distance;
  ok = ptl_window_start_run (window, &config, error);
  ptl_sim_params_clear (&config.sim);
  return ok;
}

static void
report_error (PtlWindow  *window,
              const char *what,
              GError     *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  g_warning ("%s", text);
  ptl_status_bar_set_message (window->status_bar, text);
}

static void
toggle_run_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (window->running)
    ptl_window_stop (window);
  else if (!restart (window, &error))
    report_error (window, _("Could not start"), error);
}

static void
restart_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (!restart (window, &error))
    report_error (window, _("Could not start"), error);
}

static void
reset_zoom_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);

  for (guint i = PTL_WINDOW_VIEW_OBJECT; i <= PTL_WINDOW_VIEW_RAW; i++)
    ptl_image_view_fit (ptl_window_get_view (window, i));
}

static void
simulate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PtlWindow *window = PTL_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (!ptl_window_start_simulation (window, DEFAULT_SIM_FRAMES, DEFAULT_SIM_RATE, &error))
    report_error (window, _("Could not start the simulation"), error);
}

/* Each change goes to the running reconstruction at once, as a value copy. */
static void
on_recon_changed (PtlWindow *window)
{
  g_autoptr (PtlSnapshot) snapshot = NULL;
  g_autoptr (GError) error = NULL;
  PtlReconParams params;

  if (window->pipeline == NULL || !window->running)
    return;
  snapshot = ptl_pipeline_get_snapshot (window->pipeline);
  if (snapshot != NULL)
    params = snapshot->params;
  else
    ptl_recon_params_init (&params);
  ptl_param_panel_get_recon (window->param_panel, &params);
  if (!ptl_pipeline_set_recon_params (window->pipeline, &params, &error))
    {
      report_error (window, _("Parameters not applied"), error);
      return;
    }
  /* The budget also bounds the refinement after the scan, running or to come. */
  if (!ptl_pipeline_set_refine_budget (window->pipeline,
                                       ptl_param_panel_get_iteration_budget (window->param_panel),
                                       window->refine_seconds, &error))
    report_error (window, _("Iteration budget not applied"), error);
}

static void
on_pointer_info (PtlImageView *view,
                 double        value,
                 double        x_um,
                 double        y_um,
                 PtlWindow    *window)
{
  g_autofree char *text = NULL;

  if (!isnan (value))
    text = g_strdup_printf ("%.4g at (%.3f, %.3f) µm", value, x_um, y_um);
  ptl_status_bar_set_message (window->status_bar, text);
}

PtlWindow *
ptl_window_new (GtkApplication *application,
                GSettings      *settings)
{
  PtlWindow *window = g_object_new (PTL_TYPE_WINDOW, "application", application, NULL);

  if (settings != NULL)
    {
      g_autoptr (GSettingsSchema) schema = NULL;
      const char *const keys[][2] = {
        { "window-width", "default-width" },
        { "window-height", "default-height" },
        { "window-maximized", "maximized" },
      };

      window->settings = g_object_ref (settings);
      g_object_get (settings, "settings-schema", &schema, NULL);
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        if (g_settings_schema_has_key (schema, keys[i][0]))
          g_settings_bind (settings, keys[i][0], window, keys[i][1], G_SETTINGS_BIND_DEFAULT);
      if (g_settings_schema_has_key (schema, "record"))
        g_settings_bind (settings, "record", window, "record", G_SETTINGS_BIND_DEFAULT);
      if (g_settings_schema_has_key (schema, "record-directory"))
        g_settings_bind (settings, "record-directory", window, "record-folder",
                         G_SETTINGS_BIND_DEFAULT);
      ptl_param_panel_bind_settings (window->param_panel, settings);
      _ptl_window_apply_display (window);
    }
  return window;
}

gboolean
ptl_window_is_running (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), FALSE);
  return window->running;
}

PtlPipeline *
ptl_window_get_pipeline (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), NULL);
  return window->pipeline;
}

PtlImageView *
ptl_window_get_view (PtlWindow    *window,
                     PtlWindowView which)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), NULL);

  switch (which)
    {
    case PTL_WINDOW_VIEW_OBJECT: return window->object_view;
    case PTL_WINDOW_VIEW_PROBE: return window->probe_view;
    case PTL_WINDOW_VIEW_PATTERN: return window->pattern_view;
    case PTL_WINDOW_VIEW_RAW: return window->raw_view;
    }
  g_return_val_if_reached (NULL);
}

PtlParamPanel *
ptl_window_get_param_panel (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), NULL);
  return window->param_panel;
}

PtlStatusBar *
ptl_window_get_status_bar (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), NULL);
  return window->status_bar;
}

const char *
ptl_window_get_record_file (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), NULL);
  return window->record_file;
}

guint64
ptl_window_get_view_updates (PtlWindow *window)
{
  g_return_val_if_fail (PTL_IS_WINDOW (window), 0);
  return window->view_updates;
}

static void
ptl_window_dispose (GObject *object)
{
  PtlWindow *window = PTL_WINDOW (object);

  /* Every thread of the run is joined before the widgets go. */
  g_clear_handle_id (&window->preprocess_timeout, g_source_remove);
  g_clear_handle_id (&window->update_source, g_source_remove);
  drop_pipeline (window);
  if (window->restart_dialog != NULL)
    gtk_window_destroy (window->restart_dialog);
  gtk_widget_dispose_template (GTK_WIDGET (window), PTL_TYPE_WINDOW);
  G_OBJECT_CLASS (ptl_window_parent_class)->dispose (object);
}

static void
ptl_window_finalize (GObject *object)
{
  PtlWindow *window = PTL_WINDOW (object);

  _ptl_window_history_clear (window);
  g_clear_pointer (&window->history, g_array_unref);
  g_clear_pointer (&window->shown, ptl_snapshot_unref);
  g_clear_pointer (&window->raw_snapshot, ptl_snapshot_unref);
  g_clear_pointer (&window->coverage, g_free);
  g_clear_pointer (&window->detector_endpoint, g_free);
  g_clear_pointer (&window->positions_endpoint, g_free);
  g_clear_pointer (&window->replay_file, g_free);
  g_clear_pointer (&window->record_file, g_free);
  g_clear_pointer (&window->record_folder, g_free);
  g_clear_object (&window->settings);
  G_OBJECT_CLASS (ptl_window_parent_class)->finalize (object);
}

static void
ptl_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PtlWindow *window = PTL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_RECORD:
      g_value_set_boolean (value, window->record);
      break;
    case PROP_RECORD_FOLDER:
      g_value_set_string (value, window->record_folder ? window->record_folder : "");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ptl_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PtlWindow *window = PTL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_RECORD:
      if (window->record != g_value_get_boolean (value))
        {
          window->record = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
          _ptl_window_on_record_toggled (window);
        }
      break;
    case PROP_RECORD_FOLDER:
      if (g_strcmp0 (window->record_folder, g_value_get_string (value)) != 0)
        {
          g_free (window->record_folder);
          window->record_folder = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ptl_window_class_init (PtlWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ptl_window_dispose;
  object_class->finalize = ptl_window_finalize;
  object_class->get_property = ptl_window_get_property;
  object_class->set_property = ptl_window_set_property;

  /* Whether the next run on a detector stream is recorded, and where to. */
  properties[PROP_RECORD] =
    g_param_spec_boolean ("record", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECORD_FOLDER] =
    g_param_spec_string ("record-folder", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PTL_TYPE_IMAGE_VIEW);
  g_type_ensure (PTL_TYPE_PLOT);
  g_type_ensure (PTL_TYPE_PARAM_PANEL);
  g_type_ensure (PTL_TYPE_STATUS_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ptycholive/PtychoLive/ui/ptl-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PtlWindow, name)
  BIND (connection_label);
  BIND (backend_label);
  BIND (run_button);
  BIND (record_button);
  BIND (object_component);
  BIND (probe_component);
  BIND (probe_mode);
  BIND (probe_modes);
  BIND (object_view);
  BIND (probe_view);
  BIND (pattern_view);
  BIND (raw_view);
  BIND (replay_revealer);
  BIND (time_adjustment);
  BIND (time_label);
  BIND (follow_button);
  BIND (error_plot);
  BIND (fps_plot);
  BIND (param_panel);
  BIND (status_bar);
#undef BIND

  gtk_widget_class_install_action (widget_class, "win.toggle-run", NULL, toggle_run_action);
  gtk_widget_class_install_action (widget_class, "win.simulate", NULL, simulate_action);
  gtk_widget_class_install_action (widget_class, "win.restart", NULL, restart_action);
  gtk_widget_class_install_action (widget_class, "win.reset-zoom", NULL, reset_zoom_action);
  _ptl_window_class_add_file_actions (widget_class);
  _ptl_window_class_add_record_actions (widget_class);
}

static void
ptl_window_init (PtlWindow *window)
{
  /* Before the template: the Record toggle takes its state from the property when it is
   * built. */
  window->record = TRUE;
  window->record_folder = g_strdup ("");
  gtk_widget_init_template (GTK_WIDGET (window));

  window->history = g_array_new (FALSE, FALSE, sizeof (PtlHistoryEntry));
  ptl_plot_set_title (window->error_plot, _("Error per iteration"));
  ptl_plot_set_axis_labels (window->error_plot, _("iteration"), _("Fourier error"));
  ptl_plot_set_log_y (window->error_plot, TRUE);
  ptl_plot_set_title (window->fps_plot, _("Frames per second"));
  ptl_plot_set_axis_labels (window->fps_plot, _("time (s)"), _("frames/s"));
  ptl_plot_set_max_points (window->fps_plot, 600);

  g_signal_connect_swapped (window->param_panel, "recon-changed", G_CALLBACK (on_recon_changed),
                            window);
  g_signal_connect_swapped (window->param_panel, "preprocess-changed",
                            G_CALLBACK (_ptl_window_on_preprocess_changed), window);
  g_signal_connect_swapped (window->param_panel, "display-changed",
                            G_CALLBACK (_ptl_window_apply_display), window);
  g_signal_connect_swapped (window->object_component, "notify::selected",
                            G_CALLBACK (_ptl_window_apply_display), window);
  g_signal_connect_swapped (window->probe_component, "notify::selected",
                            G_CALLBACK (_ptl_window_apply_display), window);
  g_signal_connect_swapped (window->probe_mode, "notify::selected",
                            G_CALLBACK (_ptl_window_apply_display), window);
  g_signal_connect_swapped (window->raw_view, "crop-centre-changed",
                            G_CALLBACK (_ptl_window_on_crop_dragged), window);
  g_signal_connect_swapped (window->time_adjustment, "value-changed",
                            G_CALLBACK (_ptl_window_on_time_changed), window);
  g_signal_connect_swapped (window->follow_button, "toggled",
                            G_CALLBACK (_ptl_window_on_follow_toggled), window);
  for (guint i = 0; i < 4; i++)
    g_signal_connect (ptl_window_get_view (window, i), "pointer-info",
                      G_CALLBACK (on_pointer_info), window);

  _ptl_window_apply_display (window);
  update_run_button (window);
}
