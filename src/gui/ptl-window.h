/* The main window: header bar (connection state, backends), the live views (object,
 * probe per mode, latest pattern, raw frame with the crop box), plots, the parameter
 * panel and the status bar. It owns the pipeline of the current run. */
#pragma once

#include <gtk/gtk.h>

#include "gui/ptl-image-view.h"
#include "gui/ptl-param-panel.h"
#include "gui/ptl-status-bar.h"
#include "pipeline/ptl-pipeline.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_WINDOW_VIEW_OBJECT,
  PTL_WINDOW_VIEW_PROBE,
  PTL_WINDOW_VIEW_PATTERN,
  PTL_WINDOW_VIEW_RAW
} PtlWindowView;

#define PTL_TYPE_WINDOW (ptl_window_get_type ())
G_DECLARE_FINAL_TYPE (PtlWindow, ptl_window, PTL, WINDOW, GtkApplicationWindow)

/* `settings` (may be NULL) keeps the window's size, parameters and last folder. */
PtlWindow     *ptl_window_new (GtkApplication *application,
                               GSettings      *settings);

/* Stops the current run, if any, and starts one with `config`, whose reconstruction
 * parameters and refinement budget are replaced by the panel's. */
gboolean       ptl_window_start_run (PtlWindow               *window,
                                     const PtlPipelineConfig *config,
                                     GError                 **error);
/* A simulated live scan of `n_frames` at `rate` frames/s (0: as fast as possible), raw
 * sCMOS frames through the preprocessing, streamed over loopback. */
gboolean       ptl_window_start_simulation (PtlWindow *window,
                                            guint      n_frames,
                                            double     rate,
                                            GError   **error);
/* Stops the run and joins its threads; the last result stays on screen. */
void           ptl_window_stop (PtlWindow *window);
gboolean       ptl_window_is_running (PtlWindow *window);
/* The pipeline of the current (or last) run, or NULL. */
PtlPipeline   *ptl_window_get_pipeline (PtlWindow *window);

PtlImageView  *ptl_window_get_view (PtlWindow    *window,
                                    PtlWindowView which);
PtlParamPanel *ptl_window_get_param_panel (PtlWindow *window);
PtlStatusBar  *ptl_window_get_status_bar (PtlWindow *window);
/* Writes each view that shows an image, at its own resolution and as it is coloured, to
 * `folder` as object-phase.png, probe-complex.png, pattern.png, raw-frame.png (the
 * component in the name for complex data); returns how many, or 0 with `error` set. */
guint          ptl_window_export_images (PtlWindow  *window,
                                         const char *folder,
                                         GError    **error);
/* How many times the views took a newer snapshot. */
guint64        ptl_window_get_view_updates (PtlWindow *window);
/* The file the current run records to; NULL when it records nothing. */
const char    *ptl_window_get_record_file (PtlWindow *window);

G_END_DECLS
