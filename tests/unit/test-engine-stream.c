/* The streaming engine: frames added in chunks while it iterates reach the quality of the
 * whole scan reconstructed at once, the canvas grows (towards negative corners too)
 * without touching what was reconstructed, per-frame masks are honoured, and bad input is
 * refused with the engine left as it was. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"
#include "sim/ptl-sim.h"

#define M 64
#define FRAMES 120
#define FIRST 20  /* frames the engine is created with */
#define CHUNK 20  /* frames per later arrival */

typedef struct
{
  PtlScanData *scan;
  PtlArray    *object;
  PtlArray    *probe;
  PtlBackend  *backend;
} Case;

static void
case_init (Case *c)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = M;
  sim.n_frames = FRAMES;
  c->scan = ptl_simulate_scan (&sim, &c->object, &c->probe, &error);
  g_assert_no_error (error);
  c->backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  g_assert_no_error (error);
  ptl_sim_params_clear (&sim);
}

static void
case_clear (Case *c)
{
  ptl_scan_data_free (c->scan);
  ptl_array_free (c->object);
  ptl_array_free (c->probe);
  ptl_backend_free (c->backend);
}

/* The first n frames as a scan of their own, on the smallest canvas that holds them; its
 * (0, 0) lies at (*row0, *col0) of the full scan's canvas. */
static PtlScanData *
head_scan (const PtlScanData *full,
           guint              n,
           double            *row0,
           double            *col0)
{
  g_autoptr (GError) error = NULL;
  PtlScanData *scan = ptl_scan_data_new (&full->geometry, &full->mapping, n, &error);
  double max_r = 0, max_c = 0;

  g_assert_no_error (error);
  *row0 = *col0 = G_MAXDOUBLE;
  for (guint j = 0; j < n; j++)
    {
      *row0 = MIN (*row0, full->positions[2 * j]);
      *col0 = MIN (*col0, full->positions[2 * j + 1]);
      max_r = MAX (max_r, full->positions[2 * j]);
      max_c = MAX (max_c, full->positions[2 * j + 1]);
    }
  for (guint j = 0; j < n; j++)
    {
      scan->positions[2 * j] = full->positions[2 * j] - *row0;
      scan->positions[2 * j + 1] = full->positions[2 * j + 1] - *col0;
    }
  memcpy (scan->intensity->data, full->intensity->data, (gsize) n * M * M * sizeof (float));
  memcpy (scan->translation, full->translation, 2 * (gsize) n * sizeof (double));
  scan->canvas_rows = (guint) (max_r - *row0) + M;
  scan->canvas_cols = (guint) (max_c - *col0) + M;
  return scan;
}

/* The engine's object cut to the truth's canvas (the engine's canvas differs in size and
 * origin), then the project's figure of merit over the illuminated region. */
static double
nrmse_on_truth_canvas (Case      *c,
                       PtlEngine *engine,
                       double     row0,
                       double     col0)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) object = ptl_engine_get_object (engine, &error);
  g_autoptr (PtlArray) cut = ptl_array_new_2d (PTL_DTYPE_COMPLEX, c->scan->canvas_rows,
                                               c->scan->canvas_cols);
  guint rows, cols;
  gint origin_row, origin_col;
  PtlQuality quality;

  g_assert_no_error (error);
  ptl_engine_canvas (engine, &rows, &cols, &origin_row, &origin_col);
  ptl_complex *dst = ptl_array_complex (cut);
  const ptl_complex *src = ptl_array_complex (object);
  for (guint r = 0; r < c->scan->canvas_rows; r++)
    for (guint q = 0; q < c->scan->canvas_cols; q++)
      {
        long er = (long) r - (long) row0 + origin_row, ec = (long) q - (long) col0 + origin_col;
        dst[(gsize) r * c->scan->canvas_cols + q]
          = er >= 0 && ec >= 0 && er < rows && ec < cols ? src[(gsize) er * cols + ec] : 1.0f;
      }
  g_assert_true (ptl_quality_compare_scan (c->object, cut, c->probe, c->scan->positions,
                                           c->scan->n_frames, &quality, &error));
  g_assert_no_error (error);
  return quality.nrmse;
}

static PtlEngine *
new_engine (Case              *c,
            const PtlScanData *scan,
            PtlAlgorithm       algorithm)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;

  ptl_recon_params_init (&params);
  params.algorithm = algorithm;
  params.probe_init = PTL_PROBE_INIT_MODEL;
  PtlEngine *engine = ptl_engine_new (c->backend, scan, &params, c->probe, &error);
  g_assert_no_error (error);
  return engine;
}

static void
iterate (PtlEngine *engine,
         guint      n)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (ptl_engine_iterate (engine, &error));
      g_assert_no_error (error);
    }
}

/* Masked pixels of the streamed frames carry absurd counts: they must stay free. */
static void
masked_chunk (const PtlScanData *full,
              guint              first,
              guint              n,
              GRand             *rand,
              float             *intensity,
              guint8            *masks)
{
  gsize pixels = (gsize) M * M;

  memcpy (intensity, ptl_array_float (full->intensity) + first * pixels, n * pixels * sizeof (float));
  for (gsize i = 0; i < n * pixels; i++)
    {
      masks[i] = g_rand_double (rand) >= 0.05;
      if (!masks[i])
        intensity[i] = 1e9f;
    }
}

/* Frames in chunks, each visited at once and followed by a few iterations, then the same
 * number of iterations in total as the whole scan gets. */
static void
check_streamed_quality (PtlAlgorithm algorithm,
                        guint        iterations)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  Case c;
  double row0, col0;

  case_init (&c);
  g_autoptr (PtlEngine) whole = new_engine (&c, c.scan, algorithm);
  iterate (whole, iterations);
  double whole_nrmse = nrmse_on_truth_canvas (&c, whole, 0, 0);

  g_autoptr (PtlScanData) head = head_scan (c.scan, FIRST, &row0, &col0);
  g_autoptr (PtlEngine) streamed = new_engine (&c, head, algorithm);
  g_autofree float *intensity = g_new (float, (gsize) CHUNK * M * M);
  g_autofree guint8 *masks = g_new (guint8, (gsize) CHUNK * M * M);
  g_autofree double *corners = g_new (double, 2 * CHUNK);
  guint done = 0;
  iterate (streamed, 2), done += 2;
  for (guint first = FIRST; first < FRAMES; first += CHUNK)
    {
      guint n = MIN (CHUNK, FRAMES - first);
      masked_chunk (c.scan, first, n, rand, intensity, masks);
      for (guint j = 0; j < n; j++)
        {
          corners[2 * j] = c.scan->positions[2 * (first + j)] - row0;
          corners[2 * j + 1] = c.scan->positions[2 * (first + j) + 1] - col0;
        }
      g_assert_true (ptl_engine_add_frames (streamed, intensity, masks, corners, n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (ptl_engine_n_frames (streamed), ==, first + n);
      g_assert_true (ptl_engine_visit_frames (streamed, first, n, &error));
      g_assert_no_error (error);
      iterate (streamed, 2), done += 2;
    }
  iterate (streamed, iterations - done);
  double streamed_nrmse = nrmse_on_truth_canvas (&c, streamed, row0, col0);

  g_test_message ("%s: whole scan NRMSE %.4f, streamed in chunks of %u with masks %.4f",
                  ptl_algorithm_to_string (algorithm), whole_nrmse, CHUNK, streamed_nrmse);
  g_assert_cmpfloat (whole_nrmse, <, 0.03);
  g_assert_cmpfloat (streamed_nrmse, <, 0.03);
  g_assert_cmpfloat (streamed_nrmse, <, 1.5 * whole_nrmse + 0.005);
  g_clear_pointer (&whole, ptl_engine_free);
  g_clear_pointer (&streamed, ptl_engine_free);
  case_clear (&c);
}

static void
test_streamed_rpie (void)
{
  check_streamed_quality (PTL_ALGORITHM_RPIE, 60);
}

static void
test_streamed_dm (void)
{
  check_streamed_quality (PTL_ALGORITHM_DM, 100);
}

/* Frames above and to the left of the canvas: it grows there, the object keeps its values
 * (shifted by the new origin), the new area is free space and positions follow. */
static void
test_canvas_growth (void)
{
  g_autoptr (GError) error = NULL;
  Case c;
  double row0, col0;
  guint rows0, cols0, rows, cols;
  gint orow0, ocol0, orow, ocol;

  case_init (&c);
  g_autoptr (PtlScanData) head = head_scan (c.scan, FIRST, &row0, &col0);
  g_autoptr (PtlEngine) engine = new_engine (&c, head, PTL_ALGORITHM_DM);
  iterate (engine, 3);
  g_autoptr (PtlArray) before = ptl_engine_get_object (engine, &error);
  ptl_engine_canvas (engine, &rows0, &cols0, &orow0, &ocol0);
  g_assert_cmpint (orow0, ==, 0);
  g_assert_cmpint (ocol0, ==, 0);

  double corners[] = { -30.4, -7.0, 5.0, (double) cols0 + 3.0 };
  g_assert_true (ptl_engine_add_frames (engine, ptl_array_float (c.scan->intensity), NULL, corners,
                                        2, &error));
  g_assert_no_error (error);
  ptl_engine_canvas (engine, &rows, &cols, &orow, &ocol);
  g_assert_cmpint (orow, >=, 30);
  g_assert_cmpint (ocol, >=, 7);
  g_assert_cmpuint (rows, >=, rows0 + 30);
  g_assert_cmpuint (cols, >=, cols0 + 7 + 3 + M);

  g_autoptr (PtlArray) after = ptl_engine_get_object (engine, &error);
  const ptl_complex *a = ptl_array_complex (before), *b = ptl_array_complex (after);
  for (guint r = 0; r < rows0; r++)
    g_assert_cmpmem (a + (gsize) r * cols0, cols0 * sizeof (ptl_complex),
                     b + (gsize) (r + orow) * cols + ocol, cols0 * sizeof (ptl_complex));
  g_assert_cmpfloat (crealf (b[0]), ==, 1.0f);
  g_assert_cmpfloat (cimagf (b[0]), ==, 0.0f);
  g_assert_cmpfloat (crealf (b[(gsize) rows * cols - 1]), ==, 1.0f);

  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  g_assert_cmpuint (n, ==, FIRST + 2);
  g_assert_cmpfloat (positions[2 * FIRST], ==, -30.4 + orow);
  g_assert_cmpfloat (positions[2 * FIRST + 1], ==, -7.0 + ocol);
  g_assert_cmpfloat (positions[0], ==, head->positions[0] + orow);
  g_assert_cmpfloat (positions[2 * FIRST + 3], ==, (double) cols0 + 3.0 + ocol);

  /* The grown engine goes on iterating (DM's exit waves grew with the frames). */
  iterate (engine, 2);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

static void
test_bad_input (void)
{
  g_autoptr (GError) error = NULL;
  Case c;
  double row0, col0;

  case_init (&c);
  g_autoptr (PtlScanData) head = head_scan (c.scan, FIRST, &row0, &col0);
  g_autoptr (PtlEngine) engine = new_engine (&c, head, PTL_ALGORITHM_RPIE);

  g_assert_false (ptl_engine_visit_frames (engine, FIRST - 1, 2, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);

  double corners[] = { 0.0, 0.0, NAN, 3.0 };
  g_assert_false (ptl_engine_add_frames (engine, ptl_array_float (c.scan->intensity), NULL,
                                         corners, 2, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_cmpuint (ptl_engine_n_frames (engine), ==, FIRST);

  double far[] = { 0.0, 2e5 }; /* a canvas wider than any allowed */
  g_assert_false (ptl_engine_add_frames (engine, ptl_array_float (c.scan->intensity), NULL, far,
                                         1, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpuint (ptl_engine_n_frames (engine), ==, FIRST);
  iterate (engine, 1);

  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine-stream/rpie-in-chunks", test_streamed_rpie);
  g_test_add_func ("/engine-stream/dm-in-chunks", test_streamed_dm);
  g_test_add_func ("/engine-stream/canvas-growth", test_canvas_growth);
  g_test_add_func ("/engine-stream/bad-input", test_bad_input);
  return g_test_run ();
}
