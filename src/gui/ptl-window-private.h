/* The main window's state, shared by its files: construction and run control
 * (ptl-window.c), snapshots to views, plots and the time slider (ptl-window-update.c),
 * preprocessing tuning (ptl-window-preprocess.c), and files in and out
 * (ptl-window-files.c). */
#pragma once

#include "gui/ptl-plot.h"
#include "gui/ptl-window.h"

G_BEGIN_DECLS

typedef struct
{
  PtlSnapshot *snapshot;
  double       seconds; /* from the start of the run */
} PtlHistoryEntry;

struct _PtlWindow
{
  GtkApplicationWindow parent_instance;

  /* Template children. */
  GtkLabel        *connection_label;
  GtkLabel        *backend_label;
  GtkButton       *run_button;
  GtkToggleButton *record_button;
  GtkDropDown     *object_component;
  GtkDropDown     *probe_component;
  GtkDropDown     *probe_mode;
  GtkStringList   *probe_modes;
  PtlImageView    *object_view;
  PtlImageView    *probe_view;
  PtlImageView    *pattern_view;
  PtlImageView    *raw_view;
  GtkRevealer     *replay_revealer;
  GtkAdjustment   *time_adjustment;
  GtkLabel        *time_label;
  GtkToggleButton *follow_button;
  PtlPlot         *error_plot;
  PtlPlot         *fps_plot;
  PtlParamPanel   *param_panel;
  PtlStatusBar    *status_bar;

  GSettings   *settings;

  /* Recording of detector runs (ptl-window-record.c). */
  gboolean record;        /* the next detector run records */
  char    *record_folder; /* "" or NULL: PtychoLive in the documents folder */
  char    *record_file;   /* what the current run records to, or NULL */

  /* The run. */
  PtlPipeline        *pipeline;
  gboolean            running;
  double              refine_seconds; /* time limit of the refinement after the scan */
  PtlSourceKind       source;
  PtlDetectorProtocol protocol;
  char               *detector_endpoint;
  char               *positions_endpoint;
  double              distance;        /* metres given with the connection; 0: the stream's */
  char               *replay_file;
  PtlPreprocessParams run_preprocess; /* what the run preprocesses with */
  gint64              run_start_us;
  gboolean            panel_synced; /* the panel shows the run's crop */

  /* Snapshots to views: the newest is taken in one idle however many arrived. */
  guint        update_source;
  gint64       last_update_us;
  guint64      view_updates;
  PtlSnapshot *shown;        /* on screen */
  PtlSnapshot *raw_snapshot; /* the newest with a raw frame, for the preprocessing preview */
  double       last_fps_s;

  /* Coverage of the object canvas, accumulated as positions arrive. */
  float *coverage;
  gsize  coverage_rows, coverage_cols;
  guint  coverage_n, coverage_window;

  /* The time slider: snapshots kept at about one a second, thinned out past a bound. */
  GArray  *history;
  gsize    history_bytes;
  gboolean showing_history;

  /* Preprocessing changed during a run: asked about once the user stops changing it. */
  guint      preprocess_timeout;
  GtkWindow *restart_dialog;
};

/* ptl-window-update.c */
void _ptl_window_on_snapshot (PtlWindow *window);
void _ptl_window_show_snapshot (PtlWindow         *window,
                                const PtlSnapshot *snapshot);
void _ptl_window_apply_display (PtlWindow *window);
void _ptl_window_reset_views (PtlWindow *window);
void _ptl_window_history_clear (PtlWindow *window);
void _ptl_window_on_time_changed (PtlWindow *window);
void _ptl_window_on_follow_toggled (PtlWindow *window);
void _ptl_window_update_header (PtlWindow         *window,
                                const PtlSnapshot *snapshot);

/* ptl-window-preprocess.c */
void _ptl_window_on_preprocess_changed (PtlWindow *window);
void _ptl_window_on_crop_dragged (PtlWindow *window,
                                  double     row,
                                  double     col);
void _ptl_window_update_preview (PtlWindow *window);

/* ptl-window-record.c */
char *_ptl_window_record_folder (PtlWindow *window);
char *_ptl_window_new_record_path (PtlWindow *window,
                                   GError   **error);
void  _ptl_window_on_record_toggled (PtlWindow *window);
void  _ptl_window_class_add_record_actions (GtkWidgetClass *widget_class);

/* ptl-window-files.c */
void _ptl_window_class_add_file_actions (GtkWidgetClass *widget_class);

G_END_DECLS
