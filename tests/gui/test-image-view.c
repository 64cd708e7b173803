/* The image views and plots in a real window: rendered through GSK and read back, the
 * pixels are checked against the colormap applied to the data directly, once with GL
 * (GtkGLArea on Mesa) and once without (GDK_DEBUG=gl-disable). PTL_TEST_EXPECT_GL says
 * which of the two this run must have. Needs a display: exits 77 (skip) without one. */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>

#include "gui/ptl-image-view.h"
#include "gui/ptl-plot.h"
#include "sim/ptl-sim.h"

typedef struct
{
  GtkWidget *window;
  GtkWidget *view;
} Fixture;

static void
wait_for_draw (GtkWidget *window)
{
  gtk_test_widget_wait_for_draw (window);
  /* A few more frames so that allocation-driven redraws (the view refits) settle. */
  for (int i = 0; i < 20; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->window = gtk_window_new ();
  fixture->view = ptl_image_view_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 320, 200);
  gtk_window_set_child (GTK_WINDOW (fixture->window), fixture->view);
  gtk_window_present (GTK_WINDOW (fixture->window));
  wait_for_draw (fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
}

/* The widget as GSK renders it, ARGB32 (B, G, R, A bytes on little-endian). */
static guint8 *
render_widget (GtkWidget *widget,
               int       *width,
               int       *height,
               gsize     *stride)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  *width = gtk_widget_get_width (widget);
  *height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, *width, *height);

  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr (GdkTexture) texture =
    gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, *width, *height));

  g_assert_cmpint (gdk_texture_get_width (texture), ==, *width);
  *stride = 4 * (gsize) *width;
  guint8 *pixels = g_malloc (*stride * *height);
  gdk_texture_download (texture, pixels, *stride);

  const char *dir = g_getenv ("PTL_TEST_SCREENSHOT_DIR");
  if (dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s-%s.png", g_test_get_path () + 1,
                                               g_getenv ("PTL_TEST_EXPECT_GL"));
      g_strdelimit (name, "/", '-');
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gdk_texture_save_to_png (texture, path);
      g_test_message ("screenshot: %s", path);
    }
  return pixels;
}

static void
check_uses_gl (PtlImageView *view)
{
  const char *expect = g_getenv ("PTL_TEST_EXPECT_GL");

  if (expect != NULL)
    g_assert_cmpint (ptl_image_view_get_uses_gl (view), ==, atoi (expect) != 0);
}

/* Compares the rendered pixel at the centre of image pixel (row, col) with `rgb`. */
static void
check_pixel (PtlImageView *view,
             const guint8 *pixels,
             gsize         stride,
             double        row,
             double        col,
             const guint8 *rgb,
             int           tolerance)
{
  PtlViewTransform t;
  int              w = gtk_widget_get_width (GTK_WIDGET (view));
  int              h = gtk_widget_get_height (GTK_WIDGET (view));
  double           wx, wy;
  gsize            rows = 0, cols = 0;

  rows = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (view), "rows"));
  cols = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (view), "cols"));
  ptl_view_transform_fit (&t, w, h, rows, cols);
  ptl_view_transform_to_widget (&t, w, h, col + 0.5, row + 0.5, &wx, &wy);

  const guint8 *p = pixels + (gsize) floor (wy) * stride + 4 * (gsize) floor (wx);
  guint8        got[3] = { p[2], p[1], p[0] };

  for (int c = 0; c < 3; c++)
    if (abs (got[c] - rgb[c]) > tolerance)
      g_error ("pixel (%g, %g) at (%d, %d): got (%d, %d, %d), expected (%d, %d, %d)", row, col,
               (int) wx, (int) wy, got[0], got[1], got[2], rgb[0], rgb[1], rgb[2]);
}

static void
remember_shape (GtkWidget *view,
                gsize      rows,
                gsize      cols)
{
  g_object_set_data (G_OBJECT (view), "rows", GSIZE_TO_POINTER (rows));
  g_object_set_data (G_OBJECT (view), "cols", GSIZE_TO_POINTER (cols));
}

static void
check_grey_gradient (PtlImageView *view)
{
  int    w, h;
  gsize  stride;
  gsize  rows = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (view), "rows"));
  gsize  cols = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (view), "cols"));

  g_autofree guint8 *pixels = render_widget (GTK_WIDGET (view), &w, &h, &stride);
  for (gsize c = 0; c < cols; c++)
    for (gsize r = 4; r < rows; r += 9)
      {
        guint8 grey = (guint8) lround (c / 63.0 * 255.0);
        guint8 rgb[3] = { grey, grey, grey };

        check_pixel (view, pixels, stride, r, c, rgb, 1);
      }
}

/* A horizontal gradient 0…63 in grey with levels 0…63: column c shows round(c/63·255). */
static void
test_grey_gradient (Fixture       *fixture,
                    gconstpointer  data)
{
  PtlImageView *view = PTL_IMAGE_VIEW (fixture->view);
  const gsize   rows = 32, cols = 64;
  float         plane[32 * 64];

  for (gsize i = 0; i < rows * cols; i++)
    plane[i] = (float) (i % cols);
  remember_shape (fixture->view, rows, cols);
  ptl_image_view_set_show_scale_bar (view, FALSE);
  ptl_image_view_set_colormap (view, PTL_COLORMAP_GREY);
  ptl_image_view_set_levels (view, 0.0f, 63.0f);
  ptl_image_view_set_data (view, plane, rows, cols, 20e-9);
  wait_for_draw (fixture->window);
  check_uses_gl (view);

  check_grey_gradient (view);

  /* Moved to another window, the view is unrealized and realized again and must come
   * back with its GL objects made anew. */
  GtkWidget *window = gtk_window_new ();

  g_object_ref (fixture->view);
  gtk_window_set_child (GTK_WINDOW (fixture->window), NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 200, 300);
  gtk_window_set_child (GTK_WINDOW (window), fixture->view);
  g_object_unref (fixture->view);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_draw (window);
  check_uses_gl (view);
  check_grey_gradient (view);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Viridis on a log scale: values e^(c/8) − 1 against the table entry the CPU picks. */
static void
test_viridis_log (Fixture       *fixture,
                  gconstpointer  data)
{
  PtlImageView *view = PTL_IMAGE_VIEW (fixture->view);
  const gsize   rows = 16, cols = 40;
  float         plane[16 * 40];
  PtlLevels     levels = { 0.0f, (float) expm1 (39 / 8.0), TRUE };
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_VIRIDIS);
  int           w, h;
  gsize         stride;

  for (gsize i = 0; i < rows * cols; i++)
    plane[i] = (float) expm1 ((i % cols) / 8.0);
  remember_shape (fixture->view, rows, cols);
  ptl_image_view_set_show_scale_bar (view, FALSE);
  ptl_image_view_set_colormap (view, PTL_COLORMAP_VIRIDIS);
  ptl_image_view_set_log_scale (view, TRUE);
  ptl_image_view_set_levels (view, levels.low, levels.high);
  ptl_image_view_set_data (view, plane, rows, cols, 20e-9);
  wait_for_draw (fixture->window);

  g_autofree guint8 *pixels = render_widget (fixture->view, &w, &h, &stride);
  for (gsize c = 0; c < cols; c++)
    {
      guint index = ptl_colormap_index (ptl_levels_normalise (&levels, plane[c]));

      /* The shader's log may differ from log1pf in the last bits, so a value on the
       * edge of two entries may take the neighbour: 3 per channel covers that. */
      check_pixel (view, pixels, stride, 8, c, lut + 4 * index, 3);
    }
}

/* The complex view: hue = phase, value = amplitude. */
static void
test_complex_hsv (Fixture       *fixture,
                  gconstpointer  data)
{
  PtlImageView *view = PTL_IMAGE_VIEW (fixture->view);
  const gsize   rows = 12, cols = 36;
  ptl_complex   z[12 * 36];
  int           w, h;
  gsize         stride;

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      z[r * cols + c] = (float) ((r + 1) / 12.0)
                        * cexpf ((float) (-G_PI + 2 * G_PI * (c + 0.5) / cols) * I);
  remember_shape (fixture->view, rows, cols);
  ptl_image_view_set_show_scale_bar (view, FALSE);
  ptl_image_view_set_component (view, PTL_VIEW_COMPLEX);
  ptl_image_view_set_levels (view, 0.0f, 1.0f);
  ptl_image_view_set_complex (view, z, rows, cols, 20e-9);
  wait_for_draw (fixture->window);

  g_autofree guint8 *pixels = render_widget (fixture->view, &w, &h, &stride);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        guint8 rgba[4];

        ptl_colormap_complex_rgba (cabsf (z[r * cols + c]), cargf (z[r * cols + c]), rgba);
        check_pixel (view, pixels, stride, r, c, rgba, 2);
      }
}

/* The phase view of complex data with its ramp and offset removed: the GL path derives
 * the phase per texel from the complex values (as it does for an object copied on the GPU)
 * and must show what the CPU computes. Near an entry's edge the shader's float may take
 * the neighbouring entry; the cyclic map's two ends are neighbours too. */
static void
test_phase_less_ramp (Fixture       *fixture,
                      gconstpointer  data)
{
  PtlImageView *view = PTL_IMAGE_VIEW (fixture->view);
  const gsize   rows = 24, cols = 40;
  ptl_complex   z[24 * 40];
  float         phase[24 * 40];
  PtlLevels     levels = { (float) -G_PI, (float) G_PI, FALSE };
  const guint8 *lut = ptl_colormap_lut (PTL_COLORMAP_TWILIGHT);
  int           w, h;
  gsize         stride;
  guint         flat = 0;

  /* A ramp of 0.9 rad per row and −0.6 per column, offset 2 rad, over a structure of
   * ±1.2 rad that the removal must leave. */
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double structure = 1.2 * sin (2 * G_PI * c / 13.0) * cos (2 * G_PI * r / 9.0);

        z[r * cols + c] = (float) (0.5 + 0.02 * r)
                          * cexpf ((float) (2.0 + 0.9 * r - 0.6 * c + structure) * I);
      }
  ptl_image_phase (z, rows, cols, PTL_PHASE_REMOVE_RAMP | PTL_PHASE_REMOVE_OFFSET, phase);
  remember_shape (fixture->view, rows, cols);
  ptl_image_view_set_show_scale_bar (view, FALSE);
  ptl_image_view_set_component (view, PTL_VIEW_PHASE);
  ptl_image_view_set_phase_correction (view, PTL_PHASE_REMOVE_RAMP | PTL_PHASE_REMOVE_OFFSET);
  ptl_image_view_set_colormap (view, PTL_COLORMAP_TWILIGHT);
  ptl_image_view_set_complex (view, z, rows, cols, 20e-9);
  ptl_image_view_set_levels (view, levels.low, levels.high);
  wait_for_draw (fixture->window);

  g_autofree guint8 *pixels = render_widget (fixture->view, &w, &h, &stride);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        guint index = ptl_colormap_index (ptl_levels_normalise (&levels, phase[r * cols + c]));
        PtlViewTransform t;
        double           wx, wy;
        gboolean         matched = FALSE;

        ptl_view_transform_fit (&t, w, h, rows, cols);
        ptl_view_transform_to_widget (&t, w, h, c + 0.5, r + 0.5, &wx, &wy);
        const guint8 *p = pixels + (gsize) floor (wy) * stride + 4 * (gsize) floor (wx);
        for (int d = -1; d <= 1 && !matched; d++)
          {
            const guint8 *rgb = lut + 4 * ((index + PTL_COLORMAP_SIZE + d) % PTL_COLORMAP_SIZE);

            matched = abs (p[2] - rgb[0]) <= 1 && abs (p[1] - rgb[1]) <= 1
                      && abs (p[0] - rgb[2]) <= 1;
          }
        if (!matched)
          g_error ("pixel (%zu, %zu): got (%d, %d, %d) for phase %.4f (entry %u)", r, c, p[2],
                   p[1], p[0], phase[r * cols + c], index);
        flat += fabsf (phase[r * cols + c]) < 0.3f;
      }
  /* The removal left the structure, not a flat field nor the ramp's wraps. */
  g_assert_cmpuint (flat, <, rows * cols / 2);
}

static void
on_pointer_info (PtlImageView *view,
                 double        value,
                 double        x_um,
                 double        y_um,
                 double       *out)
{
  out[0] = value;
  out[1] = x_um;
  out[2] = y_um;
}

static void
on_crop_moved (PtlImageView *view,
               double        row,
               double        col,
               double       *out)
{
  out[0] = row;
  out[1] = col;
}

static GtkEventController *
find_controller (GtkWidget *widget,
                 GType      type)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;
    }
  g_assert_not_reached ();
}

/* Pointer readout (value and µm) and dragging the crop box. */
static void
test_readout_and_crop (Fixture       *fixture,
                       gconstpointer  data)
{
  PtlImageView    *view = PTL_IMAGE_VIEW (fixture->view);
  const gsize      rows = 32, cols = 64;
  const double     pixel = 50e-9;
  float            plane[32 * 64];
  double           info[3] = { 0 };
  double           moved[2] = { -1, -1 };
  PtlViewTransform t;
  double           wx, wy;
  int              w = 0, h = 0;

  for (gsize i = 0; i < rows * cols; i++)
    plane[i] = (float) i;
  ptl_image_view_set_data (view, plane, rows, cols, pixel);
  ptl_image_view_set_crop_box (view, 16, 32, 16);
  wait_for_draw (fixture->window);
  w = gtk_widget_get_width (fixture->view);
  h = gtk_widget_get_height (fixture->view);
  ptl_view_transform_fit (&t, w, h, rows, cols);

  /* Image point (col 10.25, row 3.75): pixel (3, 10). */
  ptl_view_transform_to_widget (&t, w, h, 10.25, 3.75, &wx, &wy);
  g_signal_connect (view, "pointer-info", G_CALLBACK (on_pointer_info), info);
  g_signal_emit_by_name (find_controller (fixture->view, GTK_TYPE_EVENT_CONTROLLER_MOTION),
                         "motion", wx, wy);
  g_assert_cmpfloat (info[0], ==, plane[3 * cols + 10]);
  g_assert_cmpfloat_with_epsilon (info[1], 10.25 * pixel * 1e6, 1e-9);
  g_assert_cmpfloat_with_epsilon (info[2], 3.75 * pixel * 1e6, 1e-9);
  /* Off the image: NaN. */
  g_signal_emit_by_name (find_controller (fixture->view, GTK_TYPE_EVENT_CONTROLLER_MOTION),
                         "motion", wx, -5.0);
  g_assert_true (isnan (info[0]));

  /* Drag the box by (+4 cols, +2 rows) from its centre. */
  GtkEventController *drag = find_controller (fixture->view, GTK_TYPE_GESTURE_DRAG);
  g_signal_connect (view, "crop-centre-changed", G_CALLBACK (on_crop_moved), moved);
  ptl_view_transform_to_widget (&t, w, h, 32, 16, &wx, &wy);
  g_signal_emit_by_name (drag, "drag-begin", wx, wy);
  g_signal_emit_by_name (drag, "drag-update", 4 * t.zoom, 2 * t.zoom);
  g_signal_emit_by_name (drag, "drag-end", 4 * t.zoom, 2 * t.zoom);
  g_assert_cmpfloat_with_epsilon (moved[0], 18.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (moved[1], 36.0, 1e-9);

  /* A drag that starts off the box pans: the image point under the pointer follows it. */
  double ix, iy, before_x, before_y;

  ptl_view_transform_to_widget (&t, w, h, 4, 4, &wx, &wy);
  ptl_view_transform_to_image (&t, w, h, wx, wy, &before_x, &before_y);
  g_signal_emit_by_name (drag, "drag-begin", wx, wy);
  g_signal_emit_by_name (drag, "drag-update", 10.0, 6.0);
  g_signal_emit_by_name (drag, "drag-end", 10.0, 6.0);
  g_assert_cmpfloat_with_epsilon (moved[0], 18.0, 1e-9);
  float  value;
  double x_um, y_um;
  g_assert_true (ptl_image_view_get_info_at (view, wx + 10.0, wy + 6.0, &value, &x_um, &y_um));
  ix = x_um / (pixel * 1e6);
  iy = y_um / (pixel * 1e6);
  g_assert_cmpfloat_with_epsilon (ix, before_x, 1e-6);
  g_assert_cmpfloat_with_epsilon (iy, before_y, 1e-6);
}

/* The object of the simulator, as the application shows it: phase with scan positions
 * and coverage, amplitude, complex, and a raw frame with its crop box; plus the plots.
 * The phase view's pixels are checked against the CPU colouring. */
static void
test_simulated_object (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) object = ptl_sim_test_object (256, 320, 1.2, &error);
  g_assert_no_error (error);

  GtkWidget *window = gtk_window_new ();
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *phase = ptl_image_view_new ();
  GtkWidget *amplitude = ptl_image_view_new ();
  GtkWidget *hsv = ptl_image_view_new ();
  GtkWidget *raw = ptl_image_view_new ();
  GtkWidget *errors = ptl_plot_new ();
  GtkWidget *fps = ptl_plot_new ();
  gsize      rows = ptl_array_rows (object), cols = ptl_array_cols (object);
  const guint window_px = 64, n = 120;
  double     positions[2 * 120], arrival[120];
  g_autofree float *coverage = g_new (float, rows * cols);
  g_autofree float *frame = g_new (float, 256 * 256);
  double     err[200];

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_grid_set_row_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_attach (GTK_GRID (grid), phase, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), amplitude, 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), hsv, 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), raw, 1, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), errors, 0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), fps, 1, 2, 1, 1);
  gtk_window_set_child (GTK_WINDOW (window), grid);

  /* A spiral of windows over the middle, arriving one per 40 ms. */
  for (guint i = 0; i < n; i++)
    {
      double r = 9.0 * sqrt (i), a = i * 2.39996;

      positions[2 * i] = rows / 2.0 - window_px / 2.0 + r * sin (a);
      positions[2 * i + 1] = cols / 2.0 - window_px / 2.0 + r * cos (a);
      arrival[i] = 0.04 * i;
    }
  ptl_image_coverage (positions, n, window_px, rows, cols, coverage);

  ptl_image_view_set_title (PTL_IMAGE_VIEW (phase), "object phase");
  ptl_image_view_set_colormap (PTL_IMAGE_VIEW (phase), PTL_COLORMAP_TWILIGHT);
  ptl_image_view_set_component (PTL_IMAGE_VIEW (phase), PTL_VIEW_PHASE);
  ptl_image_view_set_complex (PTL_IMAGE_VIEW (phase), ptl_array_complex (object), rows, cols,
                              35e-9);
  ptl_image_view_set_positions (PTL_IMAGE_VIEW (phase), positions, arrival, n, window_px);
  ptl_image_view_set_coverage (PTL_IMAGE_VIEW (phase), coverage, rows, cols);

  ptl_image_view_set_title (PTL_IMAGE_VIEW (amplitude), "object amplitude");
  ptl_image_view_set_colormap (PTL_IMAGE_VIEW (amplitude), PTL_COLORMAP_VIRIDIS);
  ptl_image_view_set_complex (PTL_IMAGE_VIEW (amplitude), ptl_array_complex (object), rows,
                              cols, 35e-9);

  ptl_image_view_set_title (PTL_IMAGE_VIEW (hsv), "object (complex)");
  ptl_image_view_set_component (PTL_IMAGE_VIEW (hsv), PTL_VIEW_COMPLEX);
  ptl_image_view_set_complex (PTL_IMAGE_VIEW (hsv), ptl_array_complex (object), rows,
                              cols, 35e-9);

  /* A raw frame: a bright disc off-centre on a dark background, log scale. */
  for (gsize r = 0; r < 256; r++)
    for (gsize c = 0; c < 256; c++)
      {
        double d = hypot (r - 120.0, c - 140.0);

        frame[r * 256 + c] = (float) (100.0 + 5e4 * exp (-d * d / 200.0) + 50.0 * (d < 40));
      }
  ptl_image_view_set_title (PTL_IMAGE_VIEW (raw), "raw frame");
  ptl_image_view_set_log_scale (PTL_IMAGE_VIEW (raw), TRUE);
  ptl_image_view_set_colormap (PTL_IMAGE_VIEW (raw), PTL_COLORMAP_CIVIDIS);
  ptl_image_view_set_data (PTL_IMAGE_VIEW (raw), frame, 256, 256, 0.0);
  ptl_image_view_set_crop_box (PTL_IMAGE_VIEW (raw), 120, 140, 96);

  for (guint i = 0; i < G_N_ELEMENTS (err); i++)
    err[i] = 0.5 * exp (-(double) i / 40.0) + 0.01;
  ptl_plot_set_title (PTL_PLOT (errors), "Fourier error");
  ptl_plot_set_axis_labels (PTL_PLOT (errors), "iteration", NULL);
  ptl_plot_set_log_y (PTL_PLOT (errors), TRUE);
  ptl_plot_set_series (PTL_PLOT (errors), NULL, err, G_N_ELEMENTS (err));
  ptl_plot_set_title (PTL_PLOT (fps), "frames per second");
  ptl_plot_set_axis_labels (PTL_PLOT (fps), "time (s)", NULL);
  for (guint i = 0; i < 60; i++)
    ptl_plot_append (PTL_PLOT (fps), i * 0.5, 25.0 + 2.0 * sin (i / 5.0));
  g_assert_cmpuint (ptl_plot_get_n_points (PTL_PLOT (fps)), ==, 60);

  gtk_window_present (GTK_WINDOW (window));
  wait_for_draw (window);
  check_uses_gl (PTL_IMAGE_VIEW (phase));

  int                w, h;
  gsize              stride;
  g_autofree guint8 *pixels = render_widget (window, &w, &h, &stride);

  /* The phase view: compare with the CPU colouring in its top-left quarter, away from
   * the scan (positions and coverage sit in the middle), where the coverage map dims
   * the image to 40 %. */
  g_autofree float *plane = g_new (float, rows * cols);
  float             low, high;
  PtlViewTransform  t;
  graphene_point_t  origin;
  const guint8     *lut = ptl_colormap_lut (PTL_COLORMAP_TWILIGHT);
  int               vw = gtk_widget_get_width (phase), vh = gtk_widget_get_height (phase);
  int               checked = 0;

  g_assert_true (gtk_widget_compute_point (phase, window, &GRAPHENE_POINT_INIT (0, 0), &origin));
  ptl_image_phase (ptl_array_complex (object), rows, cols, PTL_PHASE_KEEP, plane);
  ptl_image_view_get_levels (PTL_IMAGE_VIEW (phase), &low, &high);
  ptl_view_transform_fit (&t, vw, vh, rows, cols);
  for (gsize r = 2; r < rows / 4; r += 7)
    for (gsize c = 2; c < cols / 4; c += 7)
      {
        PtlLevels     levels = { low, high, FALSE };
        const guint8 *rgb = lut + 4 * ptl_colormap_index (ptl_levels_normalise (&levels,
                                                                               plane[r * cols + c]));
        double        wx, wy;

        ptl_view_transform_to_widget (&t, vw, vh, c + 0.5, r + 0.5, &wx, &wy);
        if (coverage[r * cols + c] > 0 || wy < 30) /* the title label */
          continue;
        const guint8 *p = pixels + (gsize) (origin.y + wy) * stride + 4 * (gsize) (origin.x + wx);
        for (int k = 0; k < 3; k++)
          g_assert_cmpint (abs (p[2 - k] - rgb[k] * 102 / 255), <=, 3);
        checked++;
      }
  g_assert_cmpint (checked, >, 20);

  /* The error plot draws its line in its own colour somewhere. */
  gboolean found_line = FALSE;
  graphene_point_t plot_origin;
  g_assert_true (gtk_widget_compute_point (errors, window, &GRAPHENE_POINT_INIT (0, 0),
                                           &plot_origin));
  for (int y = 0; y < gtk_widget_get_height (errors) && !found_line; y++)
    for (int x = 0; x < gtk_widget_get_width (errors) && !found_line; x++)
      {
        const guint8 *p = pixels + (gsize) (plot_origin.y + y) * stride
                          + 4 * (gsize) (plot_origin.x + x);

        found_line = abs (p[2] - 31) <= 3 && abs (p[1] - 120) <= 3 && abs (p[0] - 181) <= 3;
      }
  g_assert_true (found_line);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipped.\n");
      return 77;
    }

  g_test_add ("/image-view/grey-gradient", Fixture, NULL, fixture_set_up, test_grey_gradient,
              fixture_tear_down);
  g_test_add ("/image-view/viridis-log", Fixture, NULL, fixture_set_up, test_viridis_log,
              fixture_tear_down);
  g_test_add ("/image-view/complex-hsv", Fixture, NULL, fixture_set_up, test_complex_hsv,
              fixture_tear_down);
  g_test_add ("/image-view/phase-less-ramp", Fixture, NULL, fixture_set_up,
              test_phase_less_ramp, fixture_tear_down);
  g_test_add ("/image-view/readout-and-crop", Fixture, NULL, fixture_set_up,
              test_readout_and_crop, fixture_tear_down);
  g_test_add_func ("/image-view/simulated-object", test_simulated_object);
  return g_test_run ();
}
