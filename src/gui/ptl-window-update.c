/* Snapshots to the screen: views, overlays, plots, header and status bar, and the time
 * slider's history. The pipeline signals on the main thread when a newer snapshot is in
 * its mailbox; the views take the newest one in a low-priority idle, so that however many
 * snapshots arrive, input and drawing go first and the main loop never waits on them. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Window"

#include "gui/ptl-window-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gui/ptl-worker-priority.h"

/* The time slider keeps about one snapshot a second, at most this many and this much. */
#define HISTORY_INTERVAL_S 1.0
#define HISTORY_MAX        240
#define HISTORY_MAX_BYTES  ((gsize) 512 << 20)
#define FPS_INTERVAL_S     0.5
/* The run's threads yield the CPU to the main loop when both want it (see
 * ptl-worker-priority.h); checked for new threads about once a second. */
#define WORKER_NICE        10
/* The views take a new result at most this often: enough to watch the object grow, and
 * under software GL each refresh costs the main loop tens of milliseconds of drawing. */
#define MIN_UPDATE_INTERVAL_US (G_USEC_PER_SEC / 20)

static gsize
snapshot_bytes (const PtlSnapshot *s)
{
  gsize bytes = sizeof (*s);

  if (s->object != NULL)
    bytes += ptl_array_bytes (s->object);
  if (s->probe != NULL)
    bytes += ptl_array_bytes (s->probe);
  if (s->pattern != NULL)
    bytes += ptl_array_bytes (s->pattern);
  if (s->raw_frame != NULL)
    bytes += ptl_array_bytes (s->raw_frame);
  return bytes + s->n_positions * 3 * sizeof (double) + s->n_errors * sizeof (double);
}

void
_ptl_window_history_clear (PtlWindow *window)
{
  if (window->history == NULL)
    return;
  for (guint i = 0; i < window->history->len; i++)
    ptl_snapshot_unref (g_array_index (window->history, PtlHistoryEntry, i).snapshot);
  g_array_set_size (window->history, 0);
  window->history_bytes = 0;
}

/* Drops every second entry but the last, so the slider keeps spanning the whole run. */
static void
history_thin_out (PtlWindow *window)
{
  GArray *h = window->history;
  guint kept = 0;

  for (guint i = 0; i < h->len; i++)
    {
      PtlHistoryEntry entry = g_array_index (h, PtlHistoryEntry, i);

      if (i % 2 == 1 && i + 1 < h->len)
        {
          window->history_bytes -= snapshot_bytes (entry.snapshot);
          ptl_snapshot_unref (entry.snapshot);
        }
      else
        g_array_index (h, PtlHistoryEntry, kept++) = entry;
    }
  g_array_set_size (h, kept);
}

static void
update_time_label (PtlWindow *window,
                   guint      index)
{
  g_autofree char *text = NULL;

  if (index < window->history->len)
    {
      PtlHistoryEntry *e = &g_array_index (window->history, PtlHistoryEntry, index);

      g_autofree char *frames = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                 e->snapshot->counters.received);

      text = g_strdup_printf (_("%.1f s · %s frames · it %u"), e->seconds, frames,
                              e->snapshot->counters.iteration);
    }
  gtk_label_set_label (window->time_label, text != NULL ? text : "");
}

static void
history_add (PtlWindow   *window,
             PtlSnapshot *snapshot)
{
  double seconds = (g_get_monotonic_time () - window->run_start_us) / (double) G_USEC_PER_SEC;
  GArray *h = window->history;
  gboolean final = snapshot->state == PTL_PIPELINE_FINISHED
                   || snapshot->state == PTL_PIPELINE_FAILED;

  if (h->len > 0 && !final
      && seconds - g_array_index (h, PtlHistoryEntry, h->len - 1).seconds < HISTORY_INTERVAL_S)
    return;

  PtlHistoryEntry entry = { ptl_snapshot_ref (snapshot), seconds };

  g_array_append_val (h, entry);
  window->history_bytes += snapshot_bytes (snapshot);
  while (h->len > 2 && (h->len > HISTORY_MAX || window->history_bytes > HISTORY_MAX_BYTES))
    history_thin_out (window);

  window->showing_history = TRUE;
  gtk_adjustment_set_upper (window->time_adjustment, h->len - 1);
  if (gtk_toggle_button_get_active (window->follow_button))
    gtk_adjustment_set_value (window->time_adjustment, h->len - 1);
  window->showing_history = FALSE;
  if (gtk_toggle_button_get_active (window->follow_button))
    update_time_label (window, h->len - 1);
  if (final)
    gtk_revealer_set_reveal_child (window->replay_revealer, TRUE);
}

void
_ptl_window_on_time_changed (PtlWindow *window)
{
  guint index = (guint) gtk_adjustment_get_value (window->time_adjustment);

  if (window->showing_history || index >= window->history->len)
    return;
  /* Moving the slider leaves the newest result behind until "Latest" is pressed. */
  if (index + 1 < window->history->len)
    gtk_toggle_button_set_active (window->follow_button, FALSE);
  update_time_label (window, index);
  _ptl_window_show_snapshot (window,
                             g_array_index (window->history, PtlHistoryEntry, index).snapshot);
}

void
_ptl_window_on_follow_toggled (PtlWindow *window)
{
  if (!gtk_toggle_button_get_active (window->follow_button) || window->pipeline == NULL)
    return;

  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (window->pipeline);

  if (window->history->len > 0)
    {
      window->showing_history = TRUE;
      gtk_adjustment_set_value (window->time_adjustment, window->history->len - 1);
      window->showing_history = FALSE;
      update_time_label (window, window->history->len - 1);
    }
  if (snapshot != NULL)
    _ptl_window_show_snapshot (window, snapshot);
}

/* Adds the windows of the positions not counted yet (positions only ever arrive; a new
 * canvas size or window starts the count again). */
static void
update_coverage (PtlWindow         *window,
                 const PtlSnapshot *s,
                 guint              m)
{
  gsize rows = ptl_array_rows (s->object), cols = ptl_array_cols (s->object);

  if (window->coverage == NULL || rows != window->coverage_rows || cols != window->coverage_cols
      || m != window->coverage_window || s->n_positions < window->coverage_n)
    {
      g_free (window->coverage);
      window->coverage = g_new0 (float, rows * cols);
      window->coverage_rows = rows;
      window->coverage_cols = cols;
      window->coverage_window = m;
      window->coverage_n = 0;
    }
  if (s->n_positions > window->coverage_n)
    {
      g_autofree float *added = g_new (float, rows * cols);
      guint n = s->n_positions - window->coverage_n;

      ptl_image_coverage (s->positions + 2 * window->coverage_n, n, m, rows, cols, added);
      for (gsize i = 0; i < rows * cols; i++)
        window->coverage[i] += added[i];
      window->coverage_n = s->n_positions;
    }
  ptl_image_view_set_coverage (window->object_view, window->coverage, rows, cols);
}

static guint
probe_size (const PtlSnapshot *s)
{
  return s->probe != NULL ? (guint) ptl_array_cols (s->probe) : 0;
}

static void
show_probe_mode (PtlWindow         *window,
                 const PtlSnapshot *s)
{
  guint m = probe_size (s);
  guint n_modes = MAX (s->n_modes, 1);
  guint old = g_list_model_get_n_items (G_LIST_MODEL (window->probe_modes));

  if (s->probe == NULL || m == 0)
    return;
  if (old != n_modes)
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

      for (guint k = 0; k < n_modes; k++)
        g_ptr_array_add (names, g_strdup_printf (_("mode %u"), k + 1));
      g_ptr_array_add (names, NULL);
      gtk_string_list_splice (window->probe_modes, 0, old, (const char *const *) names->pdata);
    }

  guint mode = MIN (gtk_drop_down_get_selected (window->probe_mode), n_modes - 1);

  if (ptl_array_rows (s->probe) < (gsize) (mode + 1) * m)
    return;
  ptl_image_view_set_complex (window->probe_view,
                              ptl_array_complex (s->probe) + (gsize) mode * m * m, m, m,
                              s->pixel_size);
}

void
_ptl_window_update_header (PtlWindow         *window,
                           const PtlSnapshot *s)
{
  const char *state = s != NULL ? ptl_pipeline_state_to_string (s->state)
                      : window->running ? _("starting") : _("stopped");
  g_autofree char *markup = NULL;

  switch (window->source)
    {
    case PTL_SOURCE_SIMULATION:
      markup = g_markup_printf_escaped (_("simulated scan · %s"), state);
      break;
    case PTL_SOURCE_REPLAY:
      {
        g_autofree char *name = g_path_get_basename (window->replay_file ? window->replay_file : "");
        markup = g_markup_printf_escaped (_("recording %s · %s"), name, state);
      }
      break;
    case PTL_SOURCE_STREAM:
      {
        /* A green dot once the stream delivers, grey before. */
        const char *detector_colour = s != NULL && s->counters.received > 0 ? "#2ec27e" : "#9a9996";
        const char *positions_colour = s != NULL && s->counters.paired > 0 ? "#2ec27e" : "#9a9996";

        markup = g_markup_printf_escaped (
          "detector %s %s <span foreground=\"%s\">●</span> · positions %s "
          "<span foreground=\"%s\">●</span> · %s",
          window->protocol == PTL_DETECTOR_PROTOCOL_V1 ? "V1" : "V2", window->detector_endpoint,
          detector_colour, window->positions_endpoint, positions_colour, state);
        /* Whether the scan will be there to reconstruct again is always in sight. */
        g_autofree char *name = window->record_file ? g_path_get_basename (window->record_file)
                                                    : NULL;
        g_autofree char *recording = name ? g_markup_printf_escaped (_(" · recording to %s"), name)
                                          : g_strdup (_(" · not recorded"));
        g_autofree char *both = g_strconcat (markup, recording, NULL);

        g_free (markup);
        markup = g_steal_pointer (&both);
      }
      break;
    }
  if (window->pipeline == NULL)
    {
      g_free (markup);
      markup = g_strdup (_("not connected"));
    }
  gtk_label_set_markup (window->connection_label, markup);

  if (s != NULL && s->backend != NULL)
    {
      g_autofree char *backend = g_strdup_printf (_("reconstruction: %s · preprocessing: %s"),
                                                  s->backend,
                                                  s->preprocess_device ? s->preprocess_device
                                                                       : "-");
      gtk_label_set_label (window->backend_label, backend);
      gtk_widget_set_tooltip_text (GTK_WIDGET (window->backend_label), backend);
    }
}

void
_ptl_window_show_snapshot (PtlWindow         *window,
                           const PtlSnapshot *s)
{
  PtlDisplayOptions display;
  guint m = probe_size (s);

  ptl_param_panel_get_display (window->param_panel, &display);
  if (window->shown != s)
    {
      PtlSnapshot *previous = window->shown;

      window->shown = ptl_snapshot_ref ((PtlSnapshot *) s);
      g_clear_pointer (&previous, ptl_snapshot_unref);
    }
  window->view_updates++;

  if (s->object != NULL)
    {
      ptl_image_view_set_complex (window->object_view, ptl_array_complex (s->object),
                                  ptl_array_rows (s->object), ptl_array_cols (s->object),
                                  s->pixel_size);
      ptl_image_view_set_device_image (window->object_view, s->object_device);
      if (display.show_positions && m > 0)
        ptl_image_view_set_positions (window->object_view, s->positions, s->arrival_s,
                                      s->n_positions, m);
      else
        ptl_image_view_set_positions (window->object_view, NULL, NULL, 0, 0);
      if (display.show_coverage && m > 0)
        update_coverage (window, s, m);
      else
        ptl_image_view_set_coverage (window->object_view, NULL, 0, 0);
    }
  show_probe_mode (window, s);
  if (s->pattern != NULL && !window->running && window->raw_snapshot != NULL
      && window->raw_snapshot->raw_frame != NULL)
    _ptl_window_update_preview (window);
  else if (s->pattern != NULL)
    ptl_image_view_set_data (window->pattern_view, ptl_array_float (s->pattern),
                             ptl_array_rows (s->pattern), ptl_array_cols (s->pattern), 0.0);
  if (s->raw_frame != NULL)
    {
      ptl_image_view_set_data (window->raw_view, ptl_array_float (s->raw_frame),
                               ptl_array_rows (s->raw_frame), ptl_array_cols (s->raw_frame), 0.0);
      if (window->running)
        ptl_image_view_set_crop_box (window->raw_view, s->crop_centre_row, s->crop_centre_col,
                                     s->crop);
    }
  if (s->errors != NULL && s->n_errors > 0)
    ptl_plot_set_series (window->error_plot, NULL, s->errors, s->n_errors);
  ptl_status_bar_update (window->status_bar, s);
  _ptl_window_update_header (window, s);
}

static gboolean
update_views (gpointer user_data)
{
  PtlWindow *window = user_data;

  window->update_source = 0;
  window->last_update_us = g_get_monotonic_time ();
  if (window->pipeline == NULL)
    return G_SOURCE_REMOVE;

  g_autoptr (PtlSnapshot) snapshot = ptl_pipeline_get_snapshot (window->pipeline);

  if (snapshot == NULL || (window->shown != NULL && window->shown->sequence == snapshot->sequence
                           && window->shown->state == snapshot->state))
    return G_SOURCE_REMOVE;

  /* The panel shows the crop the run actually uses (a recording or the simulator may
   * bring their own). */
  if (window->running && !window->panel_synced && snapshot->crop > 0 && snapshot->pattern != NULL
      && ptl_array_rows (snapshot->pattern) > 0)
    {
      PtlPreprocessParams params = window->run_preprocess;

      params.crop = snapshot->crop;
      params.bin = MAX (snapshot->crop / (guint) ptl_array_rows (snapshot->pattern), 1);
      params.centre_row = snapshot->crop_centre_row;
      params.centre_col = snapshot->crop_centre_col;
      window->run_preprocess = params;
      ptl_param_panel_set_preprocess (window->param_panel, &params);
      window->panel_synced = TRUE;
    }
  if (snapshot->raw_frame != NULL && window->raw_snapshot != snapshot)
    {
      g_clear_pointer (&window->raw_snapshot, ptl_snapshot_unref);
      window->raw_snapshot = ptl_snapshot_ref (snapshot);
    }

  double seconds = (g_get_monotonic_time () - window->run_start_us) / (double) G_USEC_PER_SEC;

  if (seconds - window->last_fps_s >= FPS_INTERVAL_S)
    {
      if ((guint) seconds != (guint) window->last_fps_s)
        ptl_worker_priority_lower (WORKER_NICE);
      window->last_fps_s = seconds;
      ptl_plot_append (window->fps_plot, seconds, snapshot->counters.frames_per_second);
    }
  history_add (window, snapshot);
  if (gtk_toggle_button_get_active (window->follow_button))
    _ptl_window_show_snapshot (window, snapshot);
  else
    {
      ptl_status_bar_update (window->status_bar, snapshot);
      _ptl_window_update_header (window, snapshot);
    }
  return G_SOURCE_REMOVE;
}

void
_ptl_window_on_snapshot (PtlWindow *window)
{
  gint64 wait_us = window->last_update_us + MIN_UPDATE_INTERVAL_US - g_get_monotonic_time ();

  if (window->update_source != 0)
    return;
  if (wait_us <= 0)
    window->update_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, update_views, window, NULL);
  else
    window->update_source = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE,
                                                (guint) (wait_us / 1000) + 1, update_views,
                                                window, NULL);
}

void
_ptl_window_apply_display (PtlWindow *window)
{
  PtlDisplayOptions display;
  PtlViewComponent object_component = gtk_drop_down_get_selected (window->object_component);
  PtlViewComponent probe_component = gtk_drop_down_get_selected (window->probe_component);

  ptl_param_panel_get_display (window->param_panel, &display);
  object_component = MIN (object_component, PTL_VIEW_COMPLEX);
  probe_component = MIN (probe_component, PTL_VIEW_COMPLEX);

  ptl_image_view_set_component (window->object_view, object_component);
  ptl_image_view_set_colormap (window->object_view, object_component == PTL_VIEW_PHASE
                                                      ? display.phase_colormap
                                                      : display.amplitude_colormap);
  ptl_image_view_set_phase_correction (window->object_view, display.phase_correction);
  ptl_image_view_set_component (window->probe_view, probe_component);
  ptl_image_view_set_colormap (window->probe_view, probe_component == PTL_VIEW_PHASE
                                                     ? display.phase_colormap
                                                     : display.amplitude_colormap);
  /* The probe's phase curvature is what the user wants to see: only its offset goes. */
  ptl_image_view_set_phase_correction (window->probe_view,
                                       display.phase_correction & PTL_PHASE_REMOVE_OFFSET);
  ptl_image_view_set_log_scale (window->pattern_view, display.pattern_log);
  ptl_image_view_set_colormap (window->pattern_view, display.amplitude_colormap);
  if (window->shown != NULL)
    {
      g_autoptr (PtlSnapshot) shown = ptl_snapshot_ref (window->shown);

      _ptl_window_show_snapshot (window, shown);
    }
}

void
_ptl_window_reset_views (PtlWindow *window)
{
  g_clear_handle_id (&window->update_source, g_source_remove);
  g_clear_pointer (&window->shown, ptl_snapshot_unref);
  g_clear_pointer (&window->coverage, g_free);
  window->coverage_n = 0;
  window->last_fps_s = -FPS_INTERVAL_S;
  _ptl_window_history_clear (window);
  gtk_adjustment_set_upper (window->time_adjustment, 0);
  gtk_toggle_button_set_active (window->follow_button, TRUE);
  ptl_image_view_clear (window->object_view);
  ptl_image_view_set_positions (window->object_view, NULL, NULL, 0, 0);
  ptl_image_view_set_coverage (window->object_view, NULL, 0, 0);
  ptl_image_view_clear (window->probe_view);
  ptl_plot_set_series (window->error_plot, NULL, NULL, 0);
  ptl_plot_set_series (window->fps_plot, NULL, NULL, 0);
  ptl_status_bar_update (window->status_bar, NULL);
  ptl_status_bar_set_message (window->status_bar, NULL);
}
