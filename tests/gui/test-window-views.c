/* The main window's views on a simulated live scan (raw sCMOS frames streamed over
 * loopback, preprocessed and reconstructed on the CPU) and on its replay: the views receive
 * the run's images, the pixels on screen are the data through the colormap (with GL, and
 * without it when PTL_TEST_EXPECT_GL=0), the exported images hold the same colours, and
 * the replay's time slider shows earlier results. The controls: test-window-controls.c.
 * Needs a display: exits 77 (skip) without one. */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gui/ptl-window.h"
#include "test-window-common.h"

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
run_ended (gpointer data)
{
  return !ptl_window_is_running (data);
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

  test_window_centre_pixel (object, rows, cols, &row, &col);
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
  PtlWindow *window = test_window_new ();
  g_autoptr (GError) error = NULL;
  const char *expect_gl = g_getenv ("PTL_TEST_EXPECT_GL");

  g_assert_true (ptl_window_start_simulation (window, 60, 0.0, &error));
  g_assert_no_error (error);
  test_window_wait_until (test_window_views_have_data, window, "the views to show the live scan");

  /* The status bar counts what the pipeline received. */
  g_assert_nonnull (strstr (ptl_status_bar_get_counters_text (ptl_window_get_status_bar (window)),
                            "received"));

  test_window_wait_until (run_ended, window, "the end of the run");
  test_window_drain ();

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
  test_window_drain ();
  int w = gtk_widget_get_width (GTK_WIDGET (object)), h = gtk_widget_get_height (GTK_WIDGET (object));
  test_window_centre_pixel (object, rows, cols, &row, &col);
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

/* A recording made by a live run, opened again: the replay fills the time slider, and
 * moving the slider back shows an earlier result. */
static void
test_replay_time_slider (void)
{
  PtlWindow *window = test_window_new ();
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
  test_window_wait_until (run_ended, window, "the recorded run to end");
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
  test_window_wait_until (run_ended, window, "the replay to end");
  test_window_drain ();

  g_autoptr (PtlSnapshot) last = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  g_assert_cmpint (last->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (last->counters.received, ==, n_frames);
  /* About one entry a second over a four-second replay, and the final result. */
  g_assert_cmpfloat (gtk_adjustment_get_upper (time), >=, 2.0);
  g_assert_cmpfloat (gtk_adjustment_get_value (time), ==, gtk_adjustment_get_upper (time));

  g_autofree char *final_text =
    g_strdup (ptl_status_bar_get_counters_text (ptl_window_get_status_bar (window)));
  gtk_adjustment_set_value (time, 0.0);
  test_window_drain ();
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
  g_test_add_func ("/window/replay-time-slider", test_replay_time_slider);
  return g_test_run ();
}
