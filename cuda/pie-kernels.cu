/* The PIE kernel family: exit waves, the Fourier-modulus constraint and the object/probe
 * update, plus the scaling that normalises FFTs. Element-wise work is one thread per pixel;
 * per-frame reductions (max|P|², max|O|², the Fourier error) are one block per batch slot so
 * that each slot's result is formed in one place, without atomics, in a fixed order. */
#include <cuComplex.h>

#include "ptl-cuda-kernels.h"

#define BLOCK_SIZE 256
#define WARP_SIZE 32
/* Enough blocks to fill any current GPU; larger arrays are covered by grid-stride loops. */
#define MAX_BLOCKS 65535

static_assert (BLOCK_SIZE % WARP_SIZE == 0, "blocks are made of whole warps");

struct MaxOp
{
  __device__ float operator() (float a, float b) const { return fmaxf (a, b); }
};

struct SumOp
{
  __device__ float operator() (float a, float b) const { return a + b; }
};

/* Reduces one value per thread over a BLOCK_SIZE block; the result is valid in thread 0.
 * `identity` must be neutral for `op` (0 for sums and for maxima of non-negative values). */
template <typename Op>
__device__ float
block_reduce (float v,
              Op    op,
              float identity)
{
  __shared__ float partial[BLOCK_SIZE / WARP_SIZE];
  unsigned lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;

  for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2)
    v = op (v, __shfl_down_sync (0xffffffffu, v, offset));
  if (lane == 0)
    partial[warp] = v;
  __syncthreads ();
  if (warp == 0)
    {
      v = lane < BLOCK_SIZE / WARP_SIZE ? partial[lane] : identity;
      for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2)
        v = op (v, __shfl_down_sync (0xffffffffu, v, offset));
    }
  /* `partial` is reused by the next reduction of the same kind. */
  __syncthreads ();
  return v;
}

__device__ inline float
norm2 (cuFloatComplex z)
{
  return z.x * z.x + z.y * z.y;
}

__device__ inline cuFloatComplex
scale_complex (cuFloatComplex z,
               float          s)
{
  return make_cuFloatComplex (z.x * s, z.y * s);
}

/* Offset of pixel i (row-major in an m×m window) of slot k's window on the canvas. */
__device__ inline size_t
window_offset (const PtlCudaPieArgs &a,
               unsigned              frame,
               size_t                i)
{
  size_t r = i / a.m, c = i % a.m;
  size_t row = (size_t) a.positions[2 * (size_t) frame] + r;
  size_t col = (size_t) a.positions[2 * (size_t) frame + 1] + c;

  return row * a.canvas_cols + col;
}

__global__ void
scale_kernel (float2 *data,
              size_t  n,
              float   factor)
{
  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t) gridDim.x * blockDim.x)
    data[i] = scale_complex (data[i], factor);
}

/* One block per slot: exit[k] = P · O_j and the slot's maxima for the update step. */
__global__ void
exit_wave_kernel (PtlCudaPieArgs a)
{
  unsigned k = blockIdx.x;
  unsigned frame = a.order[a.first + k];
  size_t n = (size_t) a.m * a.m;
  float2 *exit = a.exit + k * n;
  float max_p = 0.0f, max_o = 0.0f;

  for (size_t i = threadIdx.x; i < n; i += blockDim.x)
    {
      cuFloatComplex p = a.probe[i];
      cuFloatComplex o = a.object[window_offset (a, frame, i)];
      exit[i] = cuCmulf (p, o);
      max_p = fmaxf (max_p, norm2 (p));
      max_o = fmaxf (max_o, norm2 (o));
    }
  max_p = block_reduce (max_p, MaxOp (), 0.0f);
  max_o = block_reduce (max_o, MaxOp (), 0.0f);
  if (threadIdx.x == 0)
    {
      a.scratch[2 * k] = max_p;
      a.scratch[2 * k + 1] = max_o;
    }
}

/* One block per slot. exit[k] holds the unnormalised FFT Ψ_u, so the unitary modulus is
 * |Ψ_u|/m; the 1/N folded into the factor lets an unnormalised inverse FFT give ψ'. */
__global__ void
fourier_constraint_kernel (PtlCudaPieArgs a)
{
  unsigned k = blockIdx.x;
  unsigned frame = a.order[a.first + k];
  size_t n = (size_t) a.m * a.m;
  const float *amp = a.amplitudes + frame * n;
  float2 *psi = a.exit + k * n;
  float inv_m = 1.0f / a.m, inv_n = 1.0f / n;
  float err = 0.0f, measured = 0.0f;

  for (size_t i = threadIdx.x; i < n; i += blockDim.x)
    {
      float model = sqrtf (norm2 (psi[i])) * inv_m;
      float amplitude = amp[i];
      float factor = inv_n;

      if (amplitude >= 0.0f)
        {
          float diff = model - amplitude;
          err += diff * diff;
          measured += 1.0f;
          factor = amplitude / (model + 1e-10f) * inv_n;
        }
      psi[i] = scale_complex (psi[i], factor);
    }
  err = block_reduce (err, SumOp (), 0.0f);
  measured = block_reduce (measured, SumOp (), 0.0f);
  if (threadIdx.x == 0)
    a.errors[frame] = measured > 0.0f ? err / measured : 0.0f;
}

/* Slot k only: slots run as successive launches on one stream, so a later slot sees the
 * earlier slots' updates even where their windows overlap. Within a slot each thread owns
 * one pixel of O_j and of P. */
__global__ void
pie_update_kernel (PtlCudaPieArgs a,
                   unsigned       k)
{
  unsigned frame = a.order[a.first + k];
  size_t n = (size_t) a.m * a.m;
  const float2 *exit = a.exit + k * n;
  float max_p = a.scratch[2 * k], max_o = a.scratch[2 * k + 1];
  /* ePIE's constant steps α/max|P|², β/max|O|² and rPIE's per-pixel weights are both
   * 1/(w_a·|x|² + w_b). */
  float o_a = a.rpie ? 1.0f - a.alpha : 0.0f;
  float o_b = a.rpie ? a.alpha * max_p : max_p / a.alpha;
  float p_a = a.rpie ? 1.0f - a.beta : 0.0f;
  float p_b = a.rpie ? a.beta * max_o : max_o / a.beta;

  /* A dark probe or an empty object window carries no information (as on the CPU). */
  if (o_b <= 0.0f || p_b <= 0.0f)
    return;

  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t) gridDim.x * blockDim.x)
    {
      size_t oi = window_offset (a, frame, i);
      cuFloatComplex p = a.probe[i];
      cuFloatComplex o = a.object[oi];
      cuFloatComplex delta = cuCsubf (exit[i], cuCmulf (p, o));

      a.object[oi] = cuCaddf (o, scale_complex (cuCmulf (cuConjf (p), delta),
                                                1.0f / (o_a * norm2 (p) + o_b)));
      if (a.update_probe)
        a.probe[i] = cuCaddf (p, scale_complex (cuCmulf (cuConjf (o), delta),
                                                1.0f / (p_a * norm2 (o) + p_b)));
    }
}

static unsigned
blocks_for (size_t n)
{
  size_t blocks = (n + BLOCK_SIZE - 1) / BLOCK_SIZE;

  return (unsigned) (blocks < MAX_BLOCKS ? blocks : MAX_BLOCKS);
}

extern "C" cudaError_t
ptl_cuda_scale (cudaStream_t stream,
                float2      *data,
                size_t       n,
                float        factor)
{
  if (n == 0)
    return cudaSuccess;
  scale_kernel<<<blocks_for (n), BLOCK_SIZE, 0, stream>>> (data, n, factor);
  return cudaGetLastError ();
}

extern "C" cudaError_t
ptl_cuda_exit_wave (cudaStream_t          stream,
                    const PtlCudaPieArgs *args)
{
  exit_wave_kernel<<<args->count, BLOCK_SIZE, 0, stream>>> (*args);
  return cudaGetLastError ();
}

extern "C" cudaError_t
ptl_cuda_fourier_constraint (cudaStream_t          stream,
                             const PtlCudaPieArgs *args)
{
  fourier_constraint_kernel<<<args->count, BLOCK_SIZE, 0, stream>>> (*args);
  return cudaGetLastError ();
}

extern "C" cudaError_t
ptl_cuda_pie_update (cudaStream_t          stream,
                     const PtlCudaPieArgs *args)
{
  unsigned blocks = blocks_for ((size_t) args->m * args->m);

  for (unsigned k = 0; k < args->count; k++)
    {
      pie_update_kernel<<<blocks, BLOCK_SIZE, 0, stream>>> (*args, k);
      cudaError_t status = cudaGetLastError ();
      if (status != cudaSuccess)
        return status;
    }
  return cudaSuccess;
}
