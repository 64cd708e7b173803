/* Whole-array kernels: the overlap division of the batched engines and the vector
 * arithmetic of conjugate gradients and momentum. Element-wise work is grid-stride; the
 * dot product reduces in double precision, as the CPU backend does, in a fixed order. */
#include "ptl-cuda-reduce.cuh"

/* Enough blocks to fill any current GPU; larger arrays are covered by grid-stride loops. */
#define MAX_BLOCKS 4096u

static unsigned
grid_for (size_t n)
{
  size_t blocks = (n + PTL_CUDA_BLOCK - 1) / PTL_CUDA_BLOCK;

  /* An empty array still gets a block: the dot product must write its 0. */
  return blocks == 0 ? 1u : (unsigned) (blocks < MAX_BLOCKS ? blocks : MAX_BLOCKS);
}

#define GRID_STRIDE(i, n)                                                       \
  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < (n);     \
       i += (size_t) gridDim.x * blockDim.x)

/* Each thread owns pixel i of every layer, so the denominator is cleared after its last
 * use. */
__global__ void
overlap_divide_kernel (float2 *dst,
                       float2 *num,
                       float  *den,
                       size_t  n,
                       unsigned layers,
                       float   c_dst,
                       float   c_den)
{
  GRID_STRIDE (i, n)
    {
      float w = 1.0f / (c_den + den[i]);
      for (unsigned l = 0; l < layers; l++)
        {
          size_t j = (size_t) l * n + i;
          float2 d = dst[j], u = num[j];
          dst[j] = make_float2 ((c_dst * d.x + u.x) * w, (c_dst * d.y + u.y) * w);
          num[j] = make_float2 (0.0f, 0.0f);
        }
      den[i] = 0.0f;
    }
}

__global__ void
axpby_kernel (float2       *y,
              const float2 *x,
              size_t        n,
              float         a,
              float         b)
{
  GRID_STRIDE (i, n)
    {
      float2 u = x[i], v = y[i];
      y[i] = make_float2 (a * u.x + b * v.x, a * u.y + b * v.y);
    }
}

__global__ void
momentum_kernel (float2 *x,
                 float2 *snapshot,
                 float2 *velocity,
                 size_t  n,
                 float   friction,
                 float   feedback)
{
  GRID_STRIDE (i, n)
    {
      float2 xi = x[i], s = snapshot[i], v = velocity[i];
      float2 vel = make_float2 (friction * v.x + (xi.x - s.x), friction * v.y + (xi.y - s.y));
      float2 moved = make_float2 (xi.x + feedback * vel.x, xi.y + feedback * vel.y);
      velocity[i] = vel;
      x[i] = moved;
      snapshot[i] = moved;
    }
}

__device__ double
block_sum_double (double v)
{
  __shared__ double partial[PTL_CUDA_BLOCK / PTL_WARP];
  unsigned lane = threadIdx.x % PTL_WARP, warp = threadIdx.x / PTL_WARP;

  for (unsigned offset = PTL_WARP / 2; offset > 0; offset /= 2)
    v += __shfl_down_sync (0xffffffffu, v, offset);
  if (lane == 0)
    partial[warp] = v;
  __syncthreads ();
  if (warp == 0)
    {
      v = lane < PTL_CUDA_BLOCK / PTL_WARP ? partial[lane] : 0.0;
      for (unsigned offset = PTL_WARP / 2; offset > 0; offset /= 2)
        v += __shfl_down_sync (0xffffffffu, v, offset);
    }
  __syncthreads ();
  return v;
}

/* result[index] = Re Σ conj(x) y. Each block leaves its sum in `partials` (as doubles);
 * the last block to finish adds them in block order. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
dot_kernel (const float2    *x,
            const float2    *y,
            size_t           n,
            float           *result,
            PtlCudaWorkspace ws)
{
  __shared__ bool is_last;
  double *partials = (double *) ws.partials;
  double sum = 0.0;

  GRID_STRIDE (i, n)
    {
      float2 u = x[i], v = y[i];
      sum += (double) u.x * v.x + (double) u.y * v.y;
    }
  sum = block_sum_double (sum);
  if (threadIdx.x == 0)
    {
      partials[blockIdx.x] = sum;
      __threadfence ();
      is_last = atomicAdd (&ws.counters[0], 1u) == gridDim.x - 1;
    }
  __syncthreads ();
  if (!is_last)
    return;
  __threadfence ();
  sum = 0.0;
  for (unsigned b = threadIdx.x; b < gridDim.x; b += PTL_CUDA_BLOCK)
    sum += __ldcg (&partials[b]);
  sum = block_sum_double (sum);
  if (threadIdx.x == 0)
    {
      *result = (float) sum;
      ws.counters[0] = 0;
    }
}

extern "C" cudaError_t
ptl_cuda_overlap_divide (cudaStream_t stream,
                         float2      *dst,
                         float2      *num,
                         float       *den,
                         size_t       n,
                         unsigned     layers,
                         float        c_dst,
                         float        c_den)
{
  overlap_divide_kernel<<<grid_for (n), PTL_CUDA_BLOCK, 0, stream>>> (dst, num, den, n, layers,
                                                                      c_dst, c_den);
  return cudaGetLastError ();
}

extern "C" cudaError_t
ptl_cuda_axpby (cudaStream_t  stream,
                float2       *y,
                const float2 *x,
                size_t        n,
                float         a,
                float         b)
{
  axpby_kernel<<<grid_for (n), PTL_CUDA_BLOCK, 0, stream>>> (y, x, n, a, b);
  return cudaGetLastError ();
}

extern "C" cudaError_t
ptl_cuda_momentum (cudaStream_t stream,
                   float2      *x,
                   float2      *snapshot,
                   float2      *velocity,
                   size_t       n,
                   float        friction,
                   float        feedback)
{
  momentum_kernel<<<grid_for (n), PTL_CUDA_BLOCK, 0, stream>>> (x, snapshot, velocity, n,
                                                                friction, feedback);
  return cudaGetLastError ();
}

extern "C" size_t
ptl_cuda_dot_workspace (size_t n)
{
  /* One double per block. */
  return 2 * (size_t) grid_for (n);
}

extern "C" cudaError_t
ptl_cuda_dot (cudaStream_t     stream,
              const float2    *x,
              const float2    *y,
              size_t           n,
              float           *result,
              PtlCudaWorkspace workspace)
{
  dot_kernel<<<grid_for (n), PTL_CUDA_BLOCK, 0, stream>>> (x, y, n, result, workspace);
  return cudaGetLastError ();
}
