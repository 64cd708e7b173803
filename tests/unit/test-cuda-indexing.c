/* The index arithmetic of the CUDA kernels (cuda/ptl-cuda-index.h), run on the CPU against
 * direct enumeration: every pixel of a frame is taken by exactly one thread, windows land
 * where their corners say, and reduction partials never share a place. These are the
 * functions the kernels call, so a device is not needed to check them. */
#include "config.h"

#include <glib.h>

#include "../../cuda/ptl-cuda-index.h"

static const unsigned frame_sides[] = { 1, 7, 31, 32, 33, 64, 100, 128, 256, 257, 512 };

/* Walks the launch shape of one frame the way a kernel does and counts each pixel. */
static void
test_pixels_covered_once (void)
{
  for (guint s = 0; s < G_N_ELEMENTS (frame_sides); s++)
    {
      unsigned m = frame_sides[s], n = m * m;
      unsigned blocks = ptl_cuda_blocks_per_frame (n);
      g_autofree guint8 *seen = g_new0 (guint8, n);
      gboolean last_block_used = FALSE;

      g_assert_cmpuint (blocks, >=, 1);
      for (unsigned b = 0; b < blocks; b++)
        for (unsigned t = 0; t < PTL_CUDA_BLOCK; t++)
          for (unsigned step = 0; step < PTL_CUDA_PIXELS_PER_THREAD; step++)
            {
              unsigned i = ptl_cuda_frame_pixel (b, t, step);
              if (i >= n)
                continue;
              g_assert_cmpuint (seen[i], ==, 0);
              seen[i] = 1;
              last_block_used |= b == blocks - 1;
            }
      for (unsigned i = 0; i < n; i++)
        g_assert_cmpuint (seen[i], ==, 1);
      /* No block is launched for nothing. */
      g_assert_true (last_block_used);
    }
}

/* At each step, a warp's threads read one run of consecutive pixels (coalesced loads),
 * and a thread's steps are a block apart. */
static void
test_pixels_coalesced (void)
{
  for (unsigned b = 0; b < 3; b++)
    for (unsigned step = 0; step < PTL_CUDA_PIXELS_PER_THREAD; step++)
      for (unsigned t = 1; t < PTL_CUDA_BLOCK; t++)
        {
          g_assert_cmpuint (ptl_cuda_frame_pixel (b, t, step), ==,
                            ptl_cuda_frame_pixel (b, t - 1, step) + 1);
          if (step > 0)
            g_assert_cmpuint (ptl_cuda_frame_pixel (b, t, step), ==,
                              ptl_cuda_frame_pixel (b, t, step - 1) + PTL_CUDA_BLOCK);
        }
}

/* Window pixel i = (r, c) at corner (row, col) is canvas pixel (row + r, col + c), for
 * corners at every edge of a non-square canvas. */
static void
test_window_offsets (void)
{
  const unsigned m = 33, rows = 70, cols = 91;
  const int corners[][2] = { { 0, 0 }, { 0, cols - m }, { rows - m, 0 }, { rows - m, cols - m },
                             { 17, 5 } };

  for (guint k = 0; k < G_N_ELEMENTS (corners); k++)
    {
      g_autofree guint8 *seen = g_new0 (guint8, rows * cols);

      for (unsigned r = 0; r < m; r++)
        for (unsigned c = 0; c < m; c++)
          {
            size_t offset = ptl_cuda_window_offset (corners[k][0], corners[k][1], cols, m,
                                                    r * m + c);
            g_assert_cmpuint (offset, ==, (size_t) (corners[k][0] + r) * cols + corners[k][1] + c);
            g_assert_cmpuint (offset, <, (size_t) rows * cols);
            g_assert_cmpuint (seen[offset], ==, 0);
            seen[offset] = 1;
          }
    }
}

/* The batched update splits a window offset into the window's base and the pixel's place
 * within it; the sum must be the offset itself. */
static void
test_window_offset_split (void)
{
  const unsigned m = 17, cols = 53;

  for (int row = 0; row < 20; row += 7)
    for (int col = 0; col < 36; col += 5)
      for (unsigned i = 0; i < m * m; i++)
        g_assert_cmpuint (ptl_cuda_window_offset (row, col, cols, m, 0)
                            + ptl_cuda_window_offset (0, 0, cols, m, i),
                          ==, ptl_cuda_window_offset (row, col, cols, m, i));
}

/* Two windows overlap exactly when their pixel sets on the canvas intersect: checked by
 * marking the pixels of one and looking for them under the other, for every relative
 * shift around the touching distance. */
static void
test_windows_overlap (void)
{
  const unsigned m = 5, side = 3 * m + 1;
  const int centre = (int) m;

  for (int row = 0; row <= (int) (side - m); row++)
    for (int col = 0; col <= (int) (side - m); col++)
      {
        guint8 marked[16 * 16] = { 0 };
        gboolean shared = FALSE;

        for (unsigned i = 0; i < m * m; i++)
          marked[ptl_cuda_window_offset (centre, centre, side, m, i)] = 1;
        for (unsigned i = 0; i < m * m; i++)
          shared |= marked[ptl_cuda_window_offset (row, col, side, m, i)];
        g_assert_cmpint (ptl_cuda_windows_overlap (row, col, centre, centre, m), ==, shared);
        g_assert_cmpint (ptl_cuda_windows_overlap (centre, centre, row, col, m), ==, shared);
      }
}

/* Offsets on a canvas larger than 4 GiB elements do not wrap around in 32 bits. */
static void
test_window_offsets_large_canvas (void)
{
  const unsigned cols = 70000, m = 256;
  size_t offset = ptl_cuda_window_offset (69000, 60000, cols, m, m * m - 1);

  g_assert_cmpuint (offset, ==, (size_t) (69000 + m - 1) * cols + 60000 + m - 1);
  g_assert_cmpuint (offset, >, G_MAXUINT32);
}

/* Every (slot, block, value) of a launch has its own place, and the places fill exactly
 * the space ptl_cuda_partials_needed reserves. */
static void
test_partials_distinct_and_dense (void)
{
  const unsigned counts[] = { 1, 3, 17 };
  const unsigned values[] = { 1, 2, PTL_CUDA_MAX_REDUCED_VALUES };

  for (guint a = 0; a < G_N_ELEMENTS (counts); a++)
    for (guint v = 0; v < G_N_ELEMENTS (values); v++)
      for (guint s = 0; s < G_N_ELEMENTS (frame_sides); s++)
        {
          unsigned n = frame_sides[s] * frame_sides[s];
          unsigned blocks = ptl_cuda_blocks_per_frame (n);
          size_t needed = ptl_cuda_partials_needed (counts[a], n, values[v]);
          g_autofree guint8 *seen = g_new0 (guint8, needed);

          g_assert_cmpuint (needed, ==, (size_t) counts[a] * blocks * values[v]);
          for (unsigned slot = 0; slot < counts[a]; slot++)
            for (unsigned b = 0; b < blocks; b++)
              for (unsigned q = 0; q < values[v]; q++)
                {
                  size_t p = ptl_cuda_partial_index (slot, b, blocks, values[v], q);
                  g_assert_cmpuint (p, <, needed);
                  g_assert_cmpuint (seen[p], ==, 0);
                  seen[p] = 1;
                }
        }
}

/* A batch larger than one launch's grid needs only one launch's worth of partials. */
static void
test_partials_capped_per_launch (void)
{
  unsigned n = 64 * 64;

  g_assert_cmpuint (ptl_cuda_partials_needed (PTL_CUDA_MAX_SLOTS_PER_LAUNCH + 1000, n, 2), ==,
                    ptl_cuda_partials_needed (PTL_CUDA_MAX_SLOTS_PER_LAUNCH, n, 2));
  g_assert_cmpuint (ptl_cuda_partials_needed (PTL_CUDA_MAX_SLOTS_PER_LAUNCH, n, 2), ==,
                    (size_t) PTL_CUDA_MAX_SLOTS_PER_LAUNCH * ptl_cuda_blocks_per_frame (n) * 2);
}

/* The largest frame the kernels accept still numbers its pixels within 32 bits, including
 * the last block's overhang. */
static void
test_largest_frame (void)
{
  unsigned n = PTL_CUDA_MAX_FRAME_PIXELS;
  unsigned blocks = ptl_cuda_blocks_per_frame (n);
  guint64 last = (guint64) (blocks - 1) * PTL_CUDA_PIXELS_PER_BLOCK
                 + (PTL_CUDA_PIXELS_PER_THREAD - 1) * PTL_CUDA_BLOCK + PTL_CUDA_BLOCK - 1;

  g_assert_cmpuint (last, <=, G_MAXUINT32);
  g_assert_cmpuint (ptl_cuda_frame_pixel (blocks - 1, PTL_CUDA_BLOCK - 1,
                                          PTL_CUDA_PIXELS_PER_THREAD - 1), ==, last);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cuda-indexing/pixels-covered-once", test_pixels_covered_once);
  g_test_add_func ("/cuda-indexing/pixels-coalesced", test_pixels_coalesced);
  g_test_add_func ("/cuda-indexing/window-offsets", test_window_offsets);
  g_test_add_func ("/cuda-indexing/window-offset-split", test_window_offset_split);
  g_test_add_func ("/cuda-indexing/windows-overlap", test_windows_overlap);
  g_test_add_func ("/cuda-indexing/window-offsets-large-canvas", test_window_offsets_large_canvas);
  g_test_add_func ("/cuda-indexing/partials-distinct-and-dense", test_partials_distinct_and_dense);
  g_test_add_func ("/cuda-indexing/partials-capped-per-launch", test_partials_capped_per_launch);
  g_test_add_func ("/cuda-indexing/largest-frame", test_largest_frame);
  return g_test_run ();
}
