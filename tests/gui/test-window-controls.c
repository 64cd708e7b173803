/* The main window's controls on a simulated live scan (raw sCMOS frames streamed over
 * loopback, preprocessed and reconstructed on the CPU): the panel's sliders reach the
 * running reconstruction, the crop box follows a drag and the pattern view previews the
 * new crop, and quitting the application joins every thread of the run. The views:
 * test-window-views.c. Needs a display: exits 77 (skip) without one. */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gui/ptl-application.h"
#include "gui/ptl-preprocess-preview.h"
#include "gui/ptl-window.h"
#include "test-window-common.h"

typedef struct
{
  PtlWindow *window;
  double     alpha;
  double     beta;
} ParamsWait;

/* The nice value of this process's thread called `name`; fails when there is none. */
static int
thread_nice (const char *name)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *task;

  g_assert_nonnull (dir);
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", task, "stat", NULL);
      g_autofree char *stat = NULL;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* "tid (name) state ppid …": the name in parentheses, nice is field 19. */
      char *open = strchr (stat, '('), *close = strrchr (stat, ')');
      if (open == NULL || close == NULL
          || strncmp (open + 1, name, close - open - 1) != 0 || strlen (name) != (gsize) (close - open - 1))
        continue;
      g_auto (GStrv) fields = g_strsplit (close + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 16);
      return atoi (fields[16]);
    }
  g_error ("no thread %s", name);
}

static gboolean
engine_running (gpointer data)
{
  PtlWindow *window = data;
  g_autoptr (PtlSnapshot) s = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));

  return s != NULL && s->n_errors > 0;
}

static gboolean
params_applied (gpointer data)
{
  ParamsWait *wait = data;
  g_autoptr (PtlSnapshot) s = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (wait->window));

  return s != NULL && fabs (s->params.alpha - wait->alpha) < 1e-9
         && fabs (s->params.beta - wait->beta) < 1e-9 && s->params.algorithm == PTL_ALGORITHM_EPIE;
}

static void
test_sliders (void)
{
  PtlWindow *window = test_window_new ();
  PtlParamPanel *panel = ptl_window_get_param_panel (window);
  g_autoptr (GError) error = NULL;
  ParamsWait wait = { window, 0.37, 0.64 };

  g_assert_true (ptl_window_start_simulation (window, 2000, 20.0, &error));
  test_window_wait_until (engine_running, window, "the reconstruction to start");

  g_autoptr (PtlSnapshot) before = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  g_assert_cmpfloat (fabs (before->params.alpha - wait.alpha), >, 1e-3);
  g_assert_cmpint (before->params.algorithm, !=, PTL_ALGORITHM_EPIE);

  GtkRange *alpha = GTK_RANGE (gtk_widget_get_template_child (GTK_WIDGET (panel),
                                                              PTL_TYPE_PARAM_PANEL, "alpha_scale"));
  GtkRange *beta = GTK_RANGE (gtk_widget_get_template_child (GTK_WIDGET (panel),
                                                             PTL_TYPE_PARAM_PANEL, "beta_scale"));
  GtkDropDown *algorithm = GTK_DROP_DOWN (
    gtk_widget_get_template_child (GTK_WIDGET (panel), PTL_TYPE_PARAM_PANEL, "algorithm_dropdown"));

  gtk_range_set_value (alpha, wait.alpha);
  gtk_range_set_value (beta, wait.beta);
  gtk_drop_down_set_selected (algorithm, PTL_ALGORITHM_EPIE);
  test_window_wait_until (params_applied, &wait, "the engine to take the new parameters");

  /* The engine yields the CPU to the main loop: its thread runs at a lower priority. */
  test_window_drain ();
  g_assert_cmpint (thread_nice ("ptl-engine"), >=, 10);

  ptl_window_stop (window);
  g_assert_false (ptl_window_is_running (window));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
emit_drag (PtlImageView *view,
           double        x,
           double        y,
           double        dx,
           double        dy)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (view));
  GtkGesture *drag = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && drag == NULL; i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_GESTURE_DRAG (controller))
        drag = GTK_GESTURE (controller);
    }
  g_assert_nonnull (drag);
  g_signal_emit_by_name (drag, "drag-begin", x, y);
  g_signal_emit_by_name (drag, "drag-update", dx / 2, dy / 2);
  g_signal_emit_by_name (drag, "drag-update", dx, dy);
  g_signal_emit_by_name (drag, "drag-end", dx, dy);
}

static void
test_crop_drag (void)
{
  PtlWindow *window = test_window_new ();
  PtlParamPanel *panel = ptl_window_get_param_panel (window);
  PtlImageView *raw = ptl_window_get_view (window, PTL_WINDOW_VIEW_RAW);
  PtlImageView *pattern = ptl_window_get_view (window, PTL_WINDOW_VIEW_PATTERN);
  g_autoptr (GError) error = NULL;
  PtlPreprocessParams params;

  g_assert_true (ptl_window_start_simulation (window, 30, 0.0, &error));
  test_window_wait_until (test_window_views_have_data, window, "the raw frames");
  ptl_window_stop (window);
  test_window_drain ();

  g_autoptr (PtlSnapshot) s = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  g_assert_nonnull (s->raw_frame);
  gsize rows = ptl_array_rows (s->raw_frame), cols = ptl_array_cols (s->raw_frame);

  /* The simulation's crop, which the panel shows, leaves room to move the box. */
  ptl_param_panel_get_preprocess (panel, &params);
  g_assert_cmpuint (params.crop + 2 * 32, <=, MIN (rows, cols));

  /* A quarter-size crop in the middle of the frame, then dragged down and to the left. */
  ptl_param_panel_get_preprocess (panel, &params);
  params.crop = (guint) rows / 2;
  params.bin = 2;
  params.centre_row = rows / 2.0;
  params.centre_col = cols / 2.0;
  ptl_param_panel_set_preprocess (panel, &params);
  g_signal_emit_by_name (panel, "preprocess-changed");
  test_window_drain ();

  PtlViewTransform t;
  int w = gtk_widget_get_width (GTK_WIDGET (raw)), h = gtk_widget_get_height (GTK_WIDGET (raw));
  double wx, wy, dx = -12.0, dy = 9.0;

  ptl_view_transform_fit (&t, w, h, rows, cols);
  /* Grab the box on its top edge. */
  ptl_view_transform_to_widget (&t, w, h, params.centre_col, params.centre_row - params.crop / 2.0,
                                &wx, &wy);
  emit_drag (raw, wx, wy, dx, dy);
  test_window_drain ();

  /* The window previews with the preprocessing defaults for what the panel does not set. */
  PtlPreprocessParams moved;
  ptl_preprocess_params_init (&moved);
  ptl_param_panel_get_preprocess (panel, &moved);
  g_assert_cmpfloat_with_epsilon (moved.centre_col, params.centre_col + dx / t.zoom, 0.05);
  g_assert_cmpfloat_with_epsilon (moved.centre_row, params.centre_row + dy / t.zoom, 0.05);

  /* The pattern view shows the preprocessing of the latest raw frame at the new crop. */
  g_autoptr (PtlArray) expected = ptl_preprocess_preview (s->raw_frame, &moved, NULL, &error);
  g_assert_no_error (error);
  gsize m = ptl_array_rows (expected), row, col;
  int pw = gtk_widget_get_width (GTK_WIDGET (pattern)), ph = gtk_widget_get_height (GTK_WIDGET (pattern));
  float value;
  double x_um, y_um;

  g_assert_cmpuint (m, ==, params.crop / 2);
  test_window_centre_pixel (pattern, m, m, &row, &col);
  g_assert_true (ptl_image_view_get_info_at (pattern, pw / 2.0, ph / 2.0, &value, &x_um, &y_um));
  g_assert_cmpfloat_with_epsilon (value, ptl_array_float (expected)[row * m + col], 1e-4);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Quitting the application. */

typedef struct
{
  PtlApplication *application;
  PtlPipeline    *pipeline; /* weak */
  gboolean        quit_sent;
} AppRun;

static gboolean
quit_when_live (gpointer data)
{
  AppRun *run = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (run->application));

  if (window == NULL || ptl_window_get_view_updates (PTL_WINDOW (window)) < 3)
    return G_SOURCE_CONTINUE;
  run->pipeline = ptl_window_get_pipeline (PTL_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (run->pipeline), (gpointer *) &run->pipeline);
  run->quit_sent = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (run->application), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static guint
count_run_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *task;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", task, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_has_prefix (comm, "ptl-"))
        n++;
    }
  return n;
}

static void
test_app_quits_cleanly (void)
{
  AppRun run = { ptl_application_new () };
  char *argv[] = { (char *) "test-window", NULL };

  g_timeout_add (50, quit_when_live, &run);
  int status = g_application_run (G_APPLICATION (run.application), 1, argv);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.quit_sent);
  /* The window took its pipeline with it, and no thread of the run is left. */
  g_assert_null (run.pipeline);
  g_assert_cmpuint (count_run_threads (), ==, 0);
  g_object_unref (run.application);
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
  /* Sizes settle at once: no sliding revealers between a layout and its check. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/window/sliders", test_sliders);
  g_test_add_func ("/window/crop-drag", test_crop_drag);
  g_test_add_func ("/window/app-quits-cleanly", test_app_quits_cleanly);
  return g_test_run ();
}
