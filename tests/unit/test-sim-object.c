/* The simulator's test object: amplitude and phase in their ranges with sharp edges,
 * contrast in every probe-sized region, the same every time but not periodic; and an
 * object made from an image file, with missing and corrupt files as errors. */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim.h"

static void
split_object (const PtlArray *object,
              float         **amplitude,
              float         **phase)
{
  const ptl_complex *o = ptl_array_complex (object);

  *amplitude = g_new (float, object->n);
  *phase = g_new (float, object->n);
  for (gsize k = 0; k < object->n; k++)
    {
      (*amplitude)[k] = cabsf (o[k]);
      (*phase)[k] = cargf (o[k]);
    }
}

static PtlArray *
make_test_object (guint  rows,
                  guint  cols,
                  double max_phase)
{
  g_autoptr (GError) error = NULL;
  PtlArray *object = ptl_sim_test_object (rows, cols, max_phase, &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_cmpuint (ptl_array_rows (object), ==, rows);
  g_assert_cmpuint (ptl_array_cols (object), ==, cols);
  return object;
}

/* Fraction of horizontally neighbouring pixels that differ by more than `jump`. */
static double
edge_fraction (const float *v,
               guint        rows,
               guint        cols,
               double       jump)
{
  guint edges = 0;

  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x + 1 < cols; x++)
      edges += fabsf (v[y * cols + x + 1] - v[y * cols + x]) > jump;
  return (double) edges / (rows * (cols - 1));
}

static void
test_object_ranges_and_edges (void)
{
  guint rows = 300, cols = 360;
  double max_phase = 1.3;
  g_autoptr (PtlArray) object = make_test_object (rows, cols, max_phase);
  g_autofree float *amplitude = NULL;
  g_autofree float *phase = NULL;
  float amp_min = INFINITY, amp_max = -INFINITY, ph_min = INFINITY, ph_max = -INFINITY;

  split_object (object, &amplitude, &phase);
  for (gsize k = 0; k < object->n; k++)
    {
      amp_min = MIN (amp_min, amplitude[k]);
      amp_max = MAX (amp_max, amplitude[k]);
      ph_min = MIN (ph_min, phase[k]);
      ph_max = MAX (ph_max, phase[k]);
    }
  g_test_message ("amplitude %.3f..%.3f, phase %.3f..%.3f", amp_min, amp_max, ph_min, ph_max);
  g_assert_cmpfloat (amp_min, >=, 0.4 - 1e-5);
  g_assert_cmpfloat (amp_max, <=, 1.0 + 1e-5);
  g_assert_cmpfloat (ph_min, >=, -1e-5);
  g_assert_cmpfloat (ph_max, <=, max_phase + 1e-5);
  /* The ranges are used, not only respected. */
  g_assert_cmpfloat (amp_min, <, 0.5);
  g_assert_cmpfloat (amp_max, >, 0.9);
  g_assert_cmpfloat (ph_min, <, 0.1 * max_phase);
  g_assert_cmpfloat (ph_max, >, 0.9 * max_phase);

  double amp_edges = edge_fraction (amplitude, rows, cols, 0.2);
  double ph_edges = edge_fraction (phase, rows, cols, 0.3 * max_phase);
  g_test_message ("sharp edges: %.1f %% in amplitude, %.1f %% in phase",
                  100 * amp_edges, 100 * ph_edges);
  g_assert_cmpfloat (amp_edges, >, 0.05);
  g_assert_cmpfloat (ph_edges, >, 0.05);
}

static double
block_std (const float *v,
           guint        cols,
           guint        y0,
           guint        x0,
           guint        block)
{
  double sum = 0.0, sum2 = 0.0, n = block * block;

  for (guint y = y0; y < y0 + block; y++)
    for (guint x = x0; x < x0 + block; x++)
      {
        sum += v[y * cols + x];
        sum2 += v[y * cols + x] * v[y * cols + x];
      }
  return sqrt (MAX (sum2 / n - sum * sum / (n * n), 0.0));
}

/* Any probe-sized region has contrast in both amplitude and phase. */
static void
test_object_structure_everywhere (void)
{
  guint rows = 480, cols = 520, block = 40;
  double max_phase = 1.0, least_amp = INFINITY, least_phase = INFINITY;
  g_autoptr (PtlArray) object = make_test_object (rows, cols, max_phase);
  g_autofree float *amplitude = NULL;
  g_autofree float *phase = NULL;

  split_object (object, &amplitude, &phase);
  for (guint y0 = 0; y0 + block <= rows; y0 += block / 2)
    for (guint x0 = 0; x0 + block <= cols; x0 += block / 2)
      {
        least_amp = MIN (least_amp, block_std (amplitude, cols, y0, x0, block));
        least_phase = MIN (least_phase, block_std (phase, cols, y0, x0, block));
      }
  g_test_message ("least contrast of a %u px block: %.3f amplitude, %.3f rad phase",
                  block, least_amp, least_phase);
  g_assert_cmpfloat (least_amp, >, 0.05);
  g_assert_cmpfloat (least_phase, >, 0.05 * max_phase);
}

static void
test_object_deterministic (void)
{
  guint rows = 200, cols = 260, shift = 64;
  g_autoptr (PtlArray) a = make_test_object (rows, cols, 1.0);
  g_autoptr (PtlArray) b = make_test_object (rows, cols, 1.0);
  const ptl_complex *o = ptl_array_complex (a);
  double difference = 0.0;

  g_assert_cmpmem (a->data, ptl_array_bytes (a), b->data, ptl_array_bytes (b));
  /* Not periodic with the feature cell. */
  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x + shift < cols; x++)
      difference += cabsf (o[y * cols + x + shift] - o[y * cols + x]);
  g_assert_cmpfloat (difference / (rows * (cols - shift)), >, 0.05);
}

static char *
write_gradient_png (const char *dir,
                    gboolean    transparent)
{
  int width = 40, height = 30;
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, transparent, 8, width, height);
  g_autoptr (GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf), channels = gdk_pixbuf_get_n_channels (pixbuf);
  char *path = g_build_filename (dir, transparent ? "clear.png" : "gradient.png", NULL);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *px = pixels + y * stride + x * channels;
        px[0] = px[1] = px[2] = (guint8) (255 * x / (width - 1));
        if (transparent)
          px[3] = 0;
      }
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
  return path;
}

static void
test_object_from_image (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ptl-sim-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *gradient = write_gradient_png (dir, FALSE);
  g_autofree char *clear = write_gradient_png (dir, TRUE);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "corrupt.png", NULL);
  guint rows = 60, cols = 80;
  double max_phase = 0.8;

  g_autoptr (PtlArray) object = ptl_sim_object_from_image (gradient, rows, cols, max_phase, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_array_rows (object), ==, rows);
  g_assert_cmpuint (ptl_array_cols (object), ==, cols);
  const ptl_complex *o = ptl_array_complex (object);
  for (guint y = 0; y < rows; y++)
    {
      /* Black is thick (amplitude 0.4, full phase), white is empty, monotonic between. */
      g_assert_cmpfloat_with_epsilon (cabsf (o[y * cols]), 0.4, 0.02);
      g_assert_cmpfloat_with_epsilon (cargf (o[y * cols]), max_phase, 0.03);
      g_assert_cmpfloat_with_epsilon (cabsf (o[y * cols + cols - 1]), 1.0, 0.02);
      g_assert_cmpfloat_with_epsilon (cargf (o[y * cols + cols - 1]), 0.0, 0.03);
      for (guint x = 1; x < cols; x++)
        g_assert_cmpfloat (cabsf (o[y * cols + x]), >=, cabsf (o[y * cols + x - 1]) - 1e-6);
    }

  g_autoptr (PtlArray) empty = ptl_sim_object_from_image (clear, rows, cols, max_phase, &error);
  g_assert_no_error (error);
  for (gsize k = 0; k < empty->n; k++)
    g_assert_cmpfloat_with_epsilon (cabsf (ptl_array_complex (empty)[k]), 1.0, 1e-5);

  g_assert_null (ptl_sim_object_from_image (missing, rows, cols, max_phase, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "missing.png"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (corrupt, "not an image at all", -1, &error));
  g_assert_null (ptl_sim_object_from_image (corrupt, rows, cols, max_phase, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_clear_error (&error);

  g_assert_cmpint (g_remove (gradient), ==, 0);
  g_assert_cmpint (g_remove (clear), ==, 0);
  g_assert_cmpint (g_remove (corrupt), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/object/ranges-and-edges", test_object_ranges_and_edges);
  g_test_add_func ("/sim/object/structure-everywhere", test_object_structure_everywhere);
  g_test_add_func ("/sim/object/deterministic", test_object_deterministic);
  g_test_add_func ("/sim/object/from-image", test_object_from_image);
  return g_test_run ();
}
