/* Preprocessing tuning. Before a run (or after it), crop, centre, binning and dark update
 * the pattern view at once from the latest raw frame; during a run a change would
 * invalidate what was reconstructed, so the window asks whether to restart from the
 * recording with it, once the user has stopped changing things. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Window"

#include "gui/ptl-window-private.h"

#include <glib/gi18n.h>

#include "gui/ptl-preprocess-preview.h"
#include "pipeline/ptl-dark-file.h"

/* How long the settings must rest before a running reconstruction is asked to restart. */
#define RESTART_QUESTION_DELAY_MS 700

/* The panel's crop over the run's other preprocessing settings (photon conversion,
 * saturation), which the panel does not show. */
static void
panel_preprocess (PtlWindow           *window,
                  PtlPreprocessParams *params)
{
  *params = window->run_preprocess;
  if (params->crop == 0)
    ptl_preprocess_params_init (params);
  ptl_param_panel_get_preprocess (window->param_panel, params);
}

void
_ptl_window_update_preview (PtlWindow *window)
{
  const PtlSnapshot *s = window->raw_snapshot;
  PtlPreprocessParams params;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) dark = NULL;

  panel_preprocess (window, &params);
  ptl_image_view_set_crop_box (window->raw_view, params.centre_row, params.centre_col,
                               params.crop);
  if (s == NULL || s->raw_frame == NULL)
    return;

  const char *dark_file = ptl_param_panel_get_dark_file (window->param_panel);

  if (ptl_param_panel_get_dark_enabled (window->param_panel) && dark_file != NULL)
    {
      dark = ptl_dark_file_read (dark_file, ptl_array_rows (s->raw_frame),
                                 ptl_array_cols (s->raw_frame), &error);
      if (dark == NULL)
        {
          ptl_status_bar_set_message (window->status_bar, error->message);
          g_clear_error (&error);
        }
    }

  g_autoptr (PtlArray) pattern = ptl_preprocess_preview (s->raw_frame, &params, dark, &error);

  if (pattern == NULL)
    {
      ptl_status_bar_set_message (window->status_bar, error->message);
      return;
    }
  ptl_image_view_set_data (window->pattern_view, ptl_array_float (pattern),
                           ptl_array_rows (pattern), ptl_array_cols (pattern), 0.0);
}

static void
revert_panel (PtlWindow *window)
{
  g_autoptr (PtlSnapshot) s = window->pipeline ? ptl_pipeline_get_snapshot (window->pipeline)
                                               : NULL;
  PtlPreprocessParams params = window->run_preprocess;

  if (s != NULL && s->crop > 0)
    {
      params.crop = s->crop;
      params.centre_row = s->crop_centre_row;
      params.centre_col = s->crop_centre_col;
    }
  ptl_param_panel_set_preprocess (window->param_panel, &params);
  if (s != NULL && s->crop > 0)
    ptl_image_view_set_crop_box (window->raw_view, s->crop_centre_row, s->crop_centre_col, s->crop);
}

static void
on_restart_response (GtkDialog *dialog,
                     int        response,
                     PtlWindow *window)
{
  g_autoptr (GError) error = NULL;

  window->restart_dialog = NULL;
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT || window->pipeline == NULL || !window->running)
    {
      revert_panel (window);
      return;
    }

  PtlPreprocessParams params;

  panel_preprocess (window, &params);
  if (!ptl_pipeline_set_preprocess_params (window->pipeline, &params, &error))
    {
      ptl_status_bar_set_message (window->status_bar, error->message);
      revert_panel (window);
      return;
    }
  window->run_preprocess = params;
  ptl_status_bar_set_message (window->status_bar,
                              _("Restarting from the recording with the new preprocessing"));
}

static gboolean
ask_restart (gpointer user_data)
{
  PtlWindow *window = user_data;
  PtlPreprocessParams params;

  window->preprocess_timeout = 0;
  if (window->restart_dialog != NULL || !window->running)
    return G_SOURCE_REMOVE;

  panel_preprocess (window, &params);
  GtkWidget *dialog = gtk_message_dialog_new (
    GTK_WINDOW (window), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_QUESTION,
    GTK_BUTTONS_NONE, _("Restart the reconstruction with the new preprocessing?"));

  gtk_message_dialog_format_secondary_text (
    GTK_MESSAGE_DIALOG (dialog),
    _("Crop %u px around (%.1f, %.1f), bin %u. The reconstruction starts again from the "
      "frames recorded so far; the scan goes on."),
    params.crop, params.centre_row, params.centre_col, params.bin);
  gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Keep the Current One"), GTK_RESPONSE_CANCEL,
                          _("_Restart"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  g_signal_connect (dialog, "response", G_CALLBACK (on_restart_response), window);
  window->restart_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  return G_SOURCE_REMOVE;
}

void
_ptl_window_on_preprocess_changed (PtlWindow *window)
{
  if (!window->running)
    {
      _ptl_window_update_preview (window);
      return;
    }
  g_clear_handle_id (&window->preprocess_timeout, g_source_remove);
  window->preprocess_timeout = g_timeout_add (RESTART_QUESTION_DELAY_MS, ask_restart, window);
}

void
_ptl_window_on_crop_dragged (PtlWindow *window,
                             double     row,
                             double     col)
{
  PtlPreprocessParams params;

  ptl_param_panel_get_preprocess (window->param_panel, &params);
  params.centre_row = row;
  params.centre_col = col;
  ptl_param_panel_set_preprocess (window->param_panel, &params);
  _ptl_window_on_preprocess_changed (window);
}
