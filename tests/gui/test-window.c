/* The main window on a simulated live scan (raw sCMOS frames streamed over loopback,
 * preprocessed and reconstructed on the CPU): the views receive the run's images, the
 * panel's sliders reach the running reconstruction, the crop box follows a drag, the
 * pixels on screen are the data through the colormap (with GL, and without it when
 * PTL_TEST_EXPECT_GL=0), and quitting the application joins every thread of the run.
 * Needs a display: exits 77 (skip) without one. */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gui/ptl-application.h"
#include "gui/ptl-preprocess-preview.h"
#include "gui/ptl-window.h"

#define WAIT_TIMEOUT_S 30.0

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until `condition` holds; fails the test after WAIT_TIMEOUT_S. */
static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (WAIT_TIMEOUT_S * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          if (PTL_IS_WINDOW (data))
            for (PtlWindowView v = PTL_WINDOW_VIEW_OBJECT; v <= PTL_WINDOW_VIEW_RAW; v++)
              g_printerr ("view %d: %s\n", v,
                          ptl_image_view_has_data (ptl_window_get_view (data, v)) ? "data" : "none");
          g_error ("timed out waiting for %s", what);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
drain (void)
{
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

static PtlWindow *
new_window (void)
{
  PtlWindow *window = ptl_window_new (NULL, NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  return window;
}

/* The widget as GSK renders it, ARGB32 (B, G, R, A bytes on little-endian). */
static guint8 *
render_widget (GtkWidget  *widget,
               const char *name,
               gsize      *stride)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr (GdkTexture) texture =
    gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  *stride = 4 * (gsize) width;
  guint8 *pixels = g_malloc (*stride * height);
  gdk_texture_download (texture, pixels, *stride);

  const char *dir = g_getenv ("PTL_TEST_SCREENSHOT_DIR");
  if (dir != NULL && name != NULL)
    {
      g_autofree char *file = g_strdup_printf ("window-%s-gl%s.png", name,
                                               g_getenv ("PTL_TEST_EXPECT_GL"));
      g_autofree char *path = g_build_filename (dir, file, NULL);
      gdk_texture_save_to_png (texture, path);
      g_test_message ("screenshot: %s", path);
    }
  return pixels;
}

static gboolean
views_have_data (gpointer data)
{
  PtlWindow *window = data;

  for (PtlWindowView v = PTL_WINDOW_VIEW_OBJECT; v <= PTL_WINDOW_VIEW_RAW; v++)
    if (!ptl_image_view_has_data (ptl_window_get_view (window, v)))
      return FALSE;
  return ptl_window_get_view_updates (window) >= 2;
}

static gboolean
run_ended (gpointer data)
{
  return !ptl_window_is_running (data);
}

/* The image point at the middle of the widget of a view that fits its image. */
static void
centre_pixel (PtlImageView *view,
              gsize         rows,
              gsize         cols,
              gsize        *row,
              gsize        *col)
{
  PtlViewTransform t;
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  double ix, iy;

  ptl_view_transform_fit (&t, w, h, rows, cols);
  ptl_view_transform_to_image (&t, w, h, w / 2.0, h / 2.0, &ix, &iy);
  *row = (gsize) floor (iy);
  *col = (gsize) floor (ix);
}

/* The rendered colour at image pixels of `view` against its colormap applied to the value
 * the view reads out there: what is on screen is the data, with GL or without. */
static void
check_view_pixels (PtlImageView *view,
                   const char   *name,
                   gsize         rows,
                   gsize         cols)
{
  gsize stride;
  g_autofree guint8 *pixels = render_widget (GTK_WIDGET (view), name, &stride);
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  PtlViewTransform t;
  PtlLevels levels;
  const guint8 *lut = ptl_colormap_lut (ptl_image_view_get_colormap (view));
  guint checked = 0, distinct = 0;
  guint32 first = 0;

  ptl_view_transform_fit (&t, w, h, rows, cols);
  ptl_image_view_get_levels (view, &levels.low, &levels.high);
  g_object_get (view, "log-scale", &levels.log_scale, NULL);
  for (int k = 1; k < 8; k++)
    for (int j = 1; j < 8; j++)
      {
        double ix = floor (cols * j / 8.0) + 0.5, iy = floor (rows * k / 8.0) + 0.5, wx, wy;
        float value;
        double x_um, y_um;

        ptl_view_transform_to_widget (&t, w, h, ix, iy, &wx, &wy);
        /* Stay clear of the title and scale bar drawn over the image. */
        if (wy < 30 || wy > h - 40 || wx < 0 || wx >= w)
          continue;
        g_assert_true (ptl_image_view_get_info_at (view, wx, wy, &value, &x_um, &y_um));

        const guint8 *p = pixels + (gsize) floor (wy) * stride + 4 * (gsize) floor (wx);
        guint32 colour = (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16;

        /* Shrunk to fit, the screen pixel shows the image pixel under it or, where the
         * renderer rounds the other way, a neighbour of it: any of the nine will do.
         * The position marks of the object view may cover a pixel: those are skipped. */
        gboolean match = FALSE;
        for (int di = -1; di <= 1 && !match; di++)
          for (int dj = -1; dj <= 1 && !match; dj++)
            {
              double nx, ny;
              float near;

              ptl_view_transform_to_widget (&t, w, h, ix + dj, iy + di, &nx, &ny);
              if (!ptl_image_view_get_info_at (view, nx, ny, &near, &x_um, &y_um))
                continue;
              const guint8 *expected =
                lut + 4 * ptl_colormap_index (ptl_levels_normalise (&levels, near));
              match = abs (p[2] - expected[0]) <= 3 && abs (p[1] - expected[1]) <= 3
                      && abs (p[0] - expected[2]) <= 3;
            }
        if (match)
          checked++;
        if (checked == 1 && first == 0)
          first = colour;
        else if (colour != first)
          distinct++;
      }
  /* Most points match, and the image is not one flat colour. */
  g_assert_cmpuint (checked, >=, 20);
  g_assert_cmpuint (distinct, >=, 5);
}

/* The exported PNG has the image's own size, and its pixel at the middle is the colour
 * of the value there. */
static void
check_export (PtlWindow    *window,
              PtlImageView *object,
              gsize         rows,
              gsize         cols)
{
  g_autofree char *folder = g_dir_make_tmp ("ptl-export-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  guint n = ptl_window_export_images (window, folder, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);

  g_autofree char *path = g_build_filename (folder, "object-amplitude.png", NULL);
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, (int) cols);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, (int) rows);

  g_autofree guint8 *pixels = g_malloc (4 * rows * cols);
  gdk_texture_download (texture, pixels, 4 * cols);

  int w = gtk_widget_get_width (GTK_WIDGET (object)), h = gtk_widget_get_height (GTK_WIDGET (object));
  gsize row, col;
  float value;
  double x_um, y_um;
  PtlLevels levels;

  centre_pixel (object, rows, cols, &row, &col);
  g_assert_true (ptl_image_view_get_info_at (object, w / 2.0, h / 2.0, &value, &x_um, &y_um));
  ptl_image_view_get_levels (object, &levels.low, &levels.high);
  levels.log_scale = FALSE;

  const guint8 *expected = ptl_colormap_lut (ptl_image_view_get_colormap (object))
                           + 4 * ptl_colormap_index (ptl_levels_normalise (&levels, value));
  const guint8 *p = pixels + 4 * (row * cols + col);

  /* gdk_texture_download gives B, G, R, A on little-endian. */
  g_assert_cmpint (p[2], ==, expected[0]);
  g_assert_cmpint (p[1], ==, expected[1]);
  g_assert_cmpint (p[0], ==, expected[2]);

  const char *names[] = { "object-amplitude.png", "probe-complex.png", "pattern.png",
                          "raw-frame.png" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (folder, names[i], NULL);
      g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (folder), ==, 0);
}

static void
test_live_scan (void)
{
  PtlWindow *window = new_window ();
  g_autoptr (GError) error = NULL;
  const char *expect_gl = g_getenv ("PTL_TEST_EXPECT_GL");

  g_assert_true (ptl_window_start_simulation (window, 60, 0.0, &error));
  g_assert_no_error (error);
  wait_until (views_have_data, window, "the views to show the live scan");

  /* The status bar counts what the pipeline received. */
  g_assert_nonnull (strstr (ptl_status_bar_get_counters_text (ptl_window_get_status_bar (window)),
                            "received"));

  wait_until (run_ended, window, "the end of the run");
  drain ();

  g_autoptr (PtlSnapshot) s = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  g_assert_nonnull (s);
  g_assert_cmpint (s->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (s->counters.received, ==, 60);
  g_free (render_widget (GTK_WIDGET (window), "live-scan", &(gsize) { 0 }));

  /* The object view shows the final object's amplitude: read it back at the middle. */
  PtlImageView *object = ptl_window_get_view (window, PTL_WINDOW_VIEW_OBJECT);
  gsize rows = ptl_array_rows (s->object), cols = ptl_array_cols (s->object), row, col;
  float value;
  double x_um, y_um;

  ptl_image_view_set_component (object, PTL_VIEW_AMPLITUDE);
  drain ();
  int w = gtk_widget_get_width (GTK_WIDGET (object)), h = gtk_widget_get_height (GTK_WIDGET (object));
  centre_pixel (object, rows, cols, &row, &col);
  g_assert_true (ptl_image_view_get_info_at (object, w / 2.0, h / 2.0, &value, &x_um, &y_um));
  g_assert_cmpfloat_with_epsilon (value, cabsf (ptl_array_complex (s->object)[row * cols + col]),
                                  1e-6);

  if (expect_gl != NULL)
    for (PtlWindowView v = PTL_WINDOW_VIEW_OBJECT; v <= PTL_WINDOW_VIEW_RAW; v++)
      g_assert_cmpint (ptl_image_view_get_uses_gl (ptl_window_get_view (window, v)), ==,
                       atoi (expect_gl) != 0);
  check_view_pixels (object, "object", rows, cols);
  check_export (window, object, rows, cols);
  check_view_pixels (ptl_window_get_view (window, PTL_WINDOW_VIEW_RAW), "raw",
                     ptl_array_rows (s->raw_frame), ptl_array_cols (s->raw_frame));
  gtk_window_destroy (GTK_WINDOW (window));
}

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
  PtlWindow *window = new_window ();
  PtlParamPanel *panel = ptl_window_get_param_panel (window);
  g_autoptr (GError) error = NULL;
  ParamsWait wait = { window, 0.37, 0.64 };

  g_assert_true (ptl_window_start_simulation (window, 2000, 20.0, &error));
  wait_until (engine_running, window, "the reconstruction to start");

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
  wait_until (params_applied, &wait, "the engine to take the new parameters");

  /* The engine yields the CPU to the main loop: its thread runs at a lower priority. */
  drain ();
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
  PtlWindow *window = new_window ();
  PtlParamPanel *panel = ptl_window_get_param_panel (window);
  PtlImageView *raw = ptl_window_get_view (window, PTL_WINDOW_VIEW_RAW);
  PtlImageView *pattern = ptl_window_get_view (window, PTL_WINDOW_VIEW_PATTERN);
  g_autoptr (GError) error = NULL;
  PtlPreprocessParams params;

  g_assert_true (ptl_window_start_simulation (window, 30, 0.0, &error));
  wait_until (views_have_data, window, "the raw frames");
  ptl_window_stop (window);
  drain ();

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
  drain ();

  PtlViewTransform t;
  int w = gtk_widget_get_width (GTK_WIDGET (raw)), h = gtk_widget_get_height (GTK_WIDGET (raw));
  double wx, wy, dx = -12.0, dy = 9.0;

  ptl_view_transform_fit (&t, w, h, rows, cols);
  /* Grab the box on its top edge. */
  ptl_view_transform_to_widget (&t, w, h, params.centre_col, params.centre_row - params.crop / 2.0,
                                &wx, &wy);
  emit_drag (raw, wx, wy, dx, dy);
  drain ();

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
  centre_pixel (pattern, m, m, &row, &col);
  g_assert_true (ptl_image_view_get_info_at (pattern, pw / 2.0, ph / 2.0, &value, &x_um, &y_um));
  g_assert_cmpfloat_with_epsilon (value, ptl_array_float (expected)[row * m + col], 1e-4);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A recording made by a live run, opened again: the replay fills the time slider, and
 * moving the slider back shows an earlier result. */
static void
test_replay_time_slider (void)
{
  PtlWindow *window = new_window ();
  g_autofree char *folder = g_dir_make_tmp ("ptl-replay-XXXXXX", NULL);
  g_autofree char *recording = g_build_filename (folder, "scan.cxi", NULL);
  g_autoptr (GError) error = NULL;
  PtlPipelineConfig config;
  const guint n_frames = 40;

  ptl_pipeline_config_init (&config);
  config.sim.n_frames = n_frames;
  config.sim_raw = TRUE;
  config.sim_rate = 20.0;
  config.record_file = recording;
  g_assert_true (ptl_window_start_run (window, &config, &error));
  g_assert_no_error (error);
  wait_until (run_ended, window, "the recorded run to end");
  ptl_sim_params_clear (&config.sim);

  ptl_pipeline_config_init (&config);
  config.source = PTL_SOURCE_REPLAY;
  config.replay_file = recording;
  config.replay_rate = 0.5; /* half the recorded rate: four seconds */
  g_assert_true (ptl_window_start_run (window, &config, &error));
  g_assert_no_error (error);
  ptl_sim_params_clear (&config.sim);

  GtkRevealer *revealer = GTK_REVEALER (
    gtk_widget_get_template_child (GTK_WIDGET (window), PTL_TYPE_WINDOW, "replay_revealer"));
  GtkAdjustment *time = GTK_ADJUSTMENT (
    gtk_widget_get_template_child (GTK_WIDGET (window), PTL_TYPE_WINDOW, "time_adjustment"));

  g_assert_true (gtk_revealer_get_reveal_child (revealer));
  wait_until (run_ended, window, "the replay to end");
  drain ();

  g_autoptr (PtlSnapshot) last = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n_frames);
  /* About one entry a second over a four-second replay, and the final result. */
  g_assert_cmpfloat (gtk_adjustment_get_upper (time), >=, 2.0);
  g_assert_cmpfloat (gtk_adjustment_get_value (time), ==, gtk_adjustment_get_upper (time));

  g_autofree char *final_text =
    g_strdup (ptl_status_bar_get_counters_text (ptl_window_get_status_bar (window)));
  gtk_adjustment_set_value (time, 0.0);
  drain ();
  const char *early_text = ptl_status_bar_get_counters_text (ptl_window_get_status_bar (window));
  guint64 early_received = 0;

  g_assert_true (g_str_has_prefix (early_text, "received "));
  early_received = g_ascii_strtoull (early_text + strlen ("received "), NULL, 10);
  g_assert_cmpuint (early_received, <, n_frames);
  g_assert_cmpstr (early_text, !=, final_text);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_cmpint (g_unlink (recording), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
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

  g_test_add_func ("/window/live-scan", test_live_scan);
  g_test_add_func ("/window/sliders", test_sliders);
  g_test_add_func ("/window/crop-drag", test_crop_drag);
  g_test_add_func ("/window/replay-time-slider", test_replay_time_slider);
  g_test_add_func ("/window/app-quits-cleanly", test_app_quits_cleanly);
  return g_test_run ();
}
