/* Device-side reductions shared by the kernel files: within a block, and across the blocks
 * of one batch slot. Every reduction here runs in a fixed order, so that its result does not
 * depend on which block finishes first and repeats bit for bit. The batched engines' sums
 * onto the canvas and the probe (waves-kernels.cu) use atomics instead, in whatever order
 * the blocks arrive: DM, AP, RAAR and ML do not repeat bit for bit on CUDA. */
#pragma once

#include <cuComplex.h>

#include "ptl-cuda-index.h"
#include "ptl-cuda-kernels.h"

#define PTL_WARP 32u

static_assert (PTL_CUDA_BLOCK % PTL_WARP == 0, "blocks are made of whole warps");

/* Both operations have 0 as identity (maxima of non-negative values only). */
struct PtlSumOp
{
  template <typename T>
  __device__ T operator() (T a, T b) const { return a + b; }
};

struct PtlMaxOp
{
  template <typename T>
  __device__ T operator() (T a, T b) const { return a > b ? a : b; }
};

/* Reduces `v` over a PTL_CUDA_BLOCK-thread block; the result is valid in thread 0. */
template <typename T, typename Op>
__device__ T
ptl_block_reduce (T  v,
                  Op op)
{
  __shared__ T partial[PTL_CUDA_BLOCK / PTL_WARP];
  unsigned lane = threadIdx.x % PTL_WARP, warp = threadIdx.x / PTL_WARP;

  for (unsigned offset = PTL_WARP / 2; offset > 0; offset /= 2)
    v = op (v, __shfl_down_sync (0xffffffffu, v, offset));
  if (lane == 0)
    partial[warp] = v;
  __syncthreads ();
  if (warp == 0)
    {
      v = lane < PTL_CUDA_BLOCK / PTL_WARP ? partial[lane] : T (0);
      for (unsigned offset = PTL_WARP / 2; offset > 0; offset /= 2)
        v = op (v, __shfl_down_sync (0xffffffffu, v, offset));
    }
  /* `partial` is reused by the next reduction. */
  __syncthreads ();
  return v;
}

/* Reduces N values per thread over every block of slot `slot` (blockIdx.x numbers the
 * blocks of a slot, gridDim.x of them). Each block leaves its partial results in the
 * workspace (as T: sizeof (T) / sizeof (float) floats each); the last block of the slot
 * to arrive combines them in block order and returns true, with the totals in `v` valid in
 * its thread 0. Every other block returns false. The slot's counter is left at 0 for the
 * next launch. */
template <typename T, unsigned N, typename Op>
__device__ bool
ptl_slot_reduce (T                      (&v)[N],
                 Op                      op,
                 const PtlCudaWorkspace &ws,
                 unsigned                slot)
{
  static_assert (N <= PTL_CUDA_MAX_REDUCED_VALUES, "the workspace holds this many values");
  __shared__ bool is_last;
  T *partials = (T *) ws.partials;
  unsigned blocks = gridDim.x;

  for (unsigned q = 0; q < N; q++)
    v[q] = ptl_block_reduce (v[q], op);
  if (blocks == 1)
    return true;

  if (threadIdx.x == 0)
    {
      for (unsigned q = 0; q < N; q++)
        partials[ptl_cuda_partial_index (slot, blockIdx.x, blocks, N, q)] = v[q];
      /* The partials must be visible device-wide before the counter says they are there. */
      __threadfence ();
      is_last = atomicAdd (&ws.counters[slot], 1u) == blocks - 1;
    }
  __syncthreads ();
  if (!is_last)
    return false;

  __threadfence ();
  for (unsigned q = 0; q < N; q++)
    {
      T t = T (0);
      for (unsigned b = threadIdx.x; b < blocks; b += PTL_CUDA_BLOCK)
        t = op (t, __ldcg (&partials[ptl_cuda_partial_index (slot, b, blocks, N, q)]));
      v[q] = ptl_block_reduce (t, op);
    }
  if (threadIdx.x == 0)
    ws.counters[slot] = 0;
  return true;
}

__device__ inline float
ptl_norm2 (cuFloatComplex z)
{
  return z.x * z.x + z.y * z.y;
}

__device__ inline cuFloatComplex
ptl_scale (cuFloatComplex z,
           float          s)
{
  return make_cuFloatComplex (z.x * s, z.y * s);
}

/* conj(a) · b */
__device__ inline cuFloatComplex
ptl_conj_mul (cuFloatComplex a,
              cuFloatComplex b)
{
  return make_cuFloatComplex (a.x * b.x + a.y * b.y, a.x * b.y - a.y * b.x);
}
