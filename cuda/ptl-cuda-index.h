/* Index arithmetic of the CUDA kernels: which pixel a thread takes, where a frame's window
 * lies on the canvas, where a block leaves its partial sums. Plain C without CUDA headers,
 * so that a CPU test checks the very functions the kernels run. */
#pragma once

#include <stddef.h>

#ifdef __CUDACC__
#define PTL_CUDA_INDEX_FN static inline __host__ __device__
#else
#define PTL_CUDA_INDEX_FN static inline
#endif

/* Threads per block of every frame kernel, and pixels each thread takes: four loads in
 * flight per thread hide the memory latency that one would expose. */
#define PTL_CUDA_BLOCK            256u
#define PTL_CUDA_PIXELS_PER_THREAD 4u
#define PTL_CUDA_PIXELS_PER_BLOCK (PTL_CUDA_BLOCK * PTL_CUDA_PIXELS_PER_THREAD)

/* Batches are a 2-D grid: x = blocks of one frame, y = batch slot. CUDA caps grid.y at
 * 65535, so larger batches are split into launches of at most this many slots. */
#define PTL_CUDA_MAX_SLOTS_PER_LAUNCH 65535u

/* Pixels of a frame are numbered in 32 bits on the device (cheap division by the row
 * length); larger frames are refused with an error before any launch. */
#define PTL_CUDA_MAX_FRAME_PIXELS (1u << 30)

/* Values a block can hand to the reduction across the blocks of its slot. */
#define PTL_CUDA_MAX_REDUCED_VALUES 8u

/* Blocks that cover one frame of n pixels. */
PTL_CUDA_INDEX_FN unsigned
ptl_cuda_blocks_per_frame (unsigned n)
{
  return (n + PTL_CUDA_PIXELS_PER_BLOCK - 1) / PTL_CUDA_PIXELS_PER_BLOCK;
}

/* The pixel that thread `thread` of block `block` takes at step `step` (0 ≤ step <
 * PTL_CUDA_PIXELS_PER_THREAD): at each step a block's threads read consecutive pixels, so
 * that loads coalesce. It may lie past the frame's end; the caller checks. */
PTL_CUDA_INDEX_FN unsigned
ptl_cuda_frame_pixel (unsigned block,
                      unsigned thread,
                      unsigned step)
{
  return block * PTL_CUDA_PIXELS_PER_BLOCK + step * PTL_CUDA_BLOCK + thread;
}

/* Offset on a canvas `canvas_cols` wide of pixel i (row-major in an m×m window) of the
 * window whose top-left corner is (row, col). */
PTL_CUDA_INDEX_FN size_t
ptl_cuda_window_offset (int      row,
                        int      col,
                        unsigned canvas_cols,
                        unsigned m,
                        unsigned i)
{
  return (size_t) (row + (int) (i / m)) * canvas_cols + (size_t) (col + (int) (i % m));
}

/* Whether the m×m windows with top-left corners (row_a, col_a) and (row_b, col_b) share a
 * pixel: the batched PIE update must then apply the later one after the earlier one. */
PTL_CUDA_INDEX_FN int
ptl_cuda_windows_overlap (int      row_a,
                          int      col_a,
                          int      row_b,
                          int      col_b,
                          unsigned m)
{
  int dr = row_a - row_b, dc = col_a - col_b;

  return dr < (int) m && -dr < (int) m && dc < (int) m && -dc < (int) m;
}

/* Where block `block` of slot `slot` leaves value `v` of its `n_values` partial results,
 * in a launch whose frames have `blocks_per_frame` blocks each. */
PTL_CUDA_INDEX_FN size_t
ptl_cuda_partial_index (unsigned slot,
                        unsigned block,
                        unsigned blocks_per_frame,
                        unsigned n_values,
                        unsigned v)
{
  return ((size_t) slot * blocks_per_frame + block) * n_values + v;
}

/* Floats of partial results that one launch of at most PTL_CUDA_MAX_SLOTS_PER_LAUNCH
 * slots needs for a batch of `count` frames of n pixels. */
PTL_CUDA_INDEX_FN size_t
ptl_cuda_partials_needed (unsigned count,
                          unsigned n,
                          unsigned n_values)
{
  unsigned slots = count < PTL_CUDA_MAX_SLOTS_PER_LAUNCH ? count : PTL_CUDA_MAX_SLOTS_PER_LAUNCH;

  return (size_t) slots * ptl_cuda_blocks_per_frame (n) * n_values;
}
