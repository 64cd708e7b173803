/* The fused preprocessing kernel: each pattern pixel takes its b×b detector pixels of the
 * crop through the formula of ptl-preprocess-plan.h, sums them and forms its mask.
 *
 * One thread per pattern pixel, one grid row per frame. A warp covers neighbouring pattern
 * pixels of one row, so each of its loads is one contiguous run of a crop row, and every
 * crop pixel is read once. The sum runs in the CPU path's order (down each column of the
 * bin, then across the column sums), so that both paths give the same bits. */
#include "ptl-cuda-kernels.h"

#define BLOCK_SIZE 256

/* The b values of one row of a bin, read as one vector load: b divides the crop, so the
 * bin's first column, a multiple of b in a row that starts at a multiple of b, is aligned
 * to b values. */
template <typename T, int N>
struct alignas (sizeof (T) * N) Run
{
  T v[N];
};

template <typename T, int N>
__device__ inline Run<T, N>
load_run (const T *p)
{
  return *reinterpret_cast<const Run<T, N> *> (p);
}

/* Intrinsics, so that no FMA contraction or other reordering under the module's fast-math
 * flags departs from the CPU's float32 steps. Flushing to zero can only differ for results
 * below 1e-38 photons. */
__device__ inline float
photons (unsigned raw,
         float    dark,
         float    scale,
         unsigned saturation)
{
  float v = __fsub_rn ((float) raw, dark);

  v = v > 0.0f ? v : 0.0f;
  return raw >= saturation ? 0.0f : __fmul_rn (v, scale);
}

/* B = 1, 2, 4 or 8: the bin given at compile time, one vector load per row and array;
 * B = 0: any bin, read column by column with scalar loads. */
template <int B>
__global__ void
preprocess_kernel (PtlCudaPreprocessArgs a)
{
  unsigned m = a.crop / a.bin;
  unsigned p = blockIdx.x * blockDim.x + threadIdx.x;

  if (p >= m * m)
    return;

  size_t frame = blockIdx.y;
  unsigned i = p / m, j = p % m;
  size_t corner = (size_t) i * a.bin * a.crop + (size_t) j * a.bin;
  const unsigned short *raw = a.raw + frame * a.crop * a.crop;
  float sum = 0.0f;
  bool saturated = false;

  if constexpr (B == 0)
    {
      for (unsigned t = 0; t < a.bin; t++)
        {
          float column = 0.0f;
          for (unsigned s = 0; s < a.bin; s++)
            {
              size_t k = corner + (size_t) s * a.crop + t;
              unsigned r = raw[k];
              column = __fadd_rn (column, photons (r, a.dark[k], a.scale[k], a.saturation));
              saturated |= r >= a.saturation;
            }
          sum = __fadd_rn (sum, column);
        }
    }
  else
    {
      float column[B] = {};

#pragma unroll
      for (int s = 0; s < B; s++)
        {
          size_t k = corner + (size_t) s * a.crop;
          Run<unsigned short, B> r = load_run<unsigned short, B> (raw + k);
          Run<float, B> dark = load_run<float, B> (a.dark + k);
          Run<float, B> scale = load_run<float, B> (a.scale + k);
#pragma unroll
          for (int t = 0; t < B; t++)
            {
              column[t] = __fadd_rn (column[t],
                                     photons (r.v[t], dark.v[t], scale.v[t], a.saturation));
              saturated |= r.v[t] >= a.saturation;
            }
        }
#pragma unroll
      for (int t = 0; t < B; t++)
        sum = __fadd_rn (sum, column[t]);
    }

  size_t out = frame * m * m + p;
  a.patterns[out] = sum;
  a.masks[out] = a.static_mask[p] && !saturated;
}

extern "C" cudaError_t
ptl_cuda_preprocess (cudaStream_t                 stream,
                     const PtlCudaPreprocessArgs *args)
{
  unsigned m = args->crop / args->bin;
  dim3 grid ((m * m + BLOCK_SIZE - 1) / BLOCK_SIZE, args->frames);

  if (m == 0 || args->frames == 0)
    return cudaSuccess;
  switch (args->bin)
    {
    case 1: preprocess_kernel<1><<<grid, BLOCK_SIZE, 0, stream>>> (*args); break;
    case 2: preprocess_kernel<2><<<grid, BLOCK_SIZE, 0, stream>>> (*args); break;
    case 4: preprocess_kernel<4><<<grid, BLOCK_SIZE, 0, stream>>> (*args); break;
    case 8: preprocess_kernel<8><<<grid, BLOCK_SIZE, 0, stream>>> (*args); break;
    default: preprocess_kernel<0><<<grid, BLOCK_SIZE, 0, stream>>> (*args); break;
    }
  return cudaGetLastError ();
}
