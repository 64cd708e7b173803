/* Kernels of the batched engines (DM, AP, RAAR, ML) and of position refinement. A batch
 * is one launch: grid.x covers the pixels of a frame, grid.y the slots. Per-frame sums
 * (errors, line-search coefficients) are reduced in the kernel that forms their terms, in
 * a fixed order; sums onto the canvas use atomics, since any number of windows may cover a
 * pixel; sums onto the probe are gathered per probe pixel over chunks of slots, so that
 * only a few atomics land on each. */
#include "ptl-cuda-reduce.cuh"

/* Slots whose probe-accumulation terms one thread gathers before its atomic add (more
 * when the batch would need more chunks than grid.y allows). */
#define PROBE_SLOTS_PER_CHUNK 32u

__device__ inline unsigned
slot_frame (const PtlCudaWaveArgs &a,
            unsigned               slot)
{
  return a.frames[a.first + slot];
}

__device__ inline size_t
window (const PtlCudaWaveArgs &a,
        unsigned               frame,
        unsigned               i)
{
  return ptl_cuda_window_offset (a.positions[2 * (size_t) frame],
                                 a.positions[2 * (size_t) frame + 1], a.canvas_cols, a.m, i);
}

/* Pixel i of mode l of entry `index` (a slot or a frame) of a [..][modes][m][m] array. */
__device__ inline size_t
mode_pixel (const PtlCudaWaveArgs &a,
            size_t                 index,
            unsigned               l,
            unsigned               i)
{
  return (index * a.modes + l) * ((size_t) a.m * a.m) + i;
}

__device__ inline void
add_to (float2 *target,
        float2  value)
{
#if __CUDA_ARCH__ >= 900
  atomicAdd (target, value);
#else
  atomicAdd (&target->x, value.x);
  atomicAdd (&target->y, value.y);
#endif
}

/* The pixels of this thread in the frame of its block: PTL_CUDA_PIXELS_PER_THREAD steps. */
#define FOR_EACH_PIXEL(i, n)                                                    \
  _Pragma ("unroll")                                                            \
  for (unsigned step_ = 0, i = ptl_cuda_frame_pixel (blockIdx.x, threadIdx.x, 0); \
       step_ < PTL_CUDA_PIXELS_PER_THREAD && i < (n);                           \
       step_++, i = ptl_cuda_frame_pixel (blockIdx.x, threadIdx.x, step_))

/* work[k][l] = c · P_l·O_j + (1 − c) · waves[j][l] */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
projection_input_kernel (PtlCudaWaveArgs a,
                         float           c,
                         unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;
  float d = 1.0f - c;

  FOR_EACH_PIXEL (i, n)
    {
      cuFloatComplex o = a.object[window (a, frame, i)];
      for (unsigned l = 0; l < a.modes; l++)
        {
          cuFloatComplex po = cuCmulf (a.probe[(size_t) l * n + i], o);
          cuFloatComplex w = c != 1.0f ? a.waves[mode_pixel (a, frame, l, i)]
                                       : make_cuFloatComplex (0.0f, 0.0f);
          a.work[mode_pixel (a, slot, l, i)] = cuCaddf (ptl_scale (po, c), ptl_scale (w, d));
        }
    }
}

/* waves[j][l] = (1 − a − b) waves[j][l] + b work[k][l] + a P_l·O_j, and the object terms of
 * the new waves onto the accumulators in the same pass (the probe terms follow in
 * accumulate_probe_kernel). */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
exit_update_kernel (PtlCudaWaveArgs w,
                    float           a,
                    float           b,
                    unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (w, slot), n = w.m * w.m;
  float keep = 1.0f - a - b;

  FOR_EACH_PIXEL (i, n)
    {
      size_t oi = window (w, frame, i);
      cuFloatComplex o = w.object[oi];
      cuFloatComplex num = make_cuFloatComplex (0.0f, 0.0f);
      float den = 0.0f;
      for (unsigned l = 0; l < w.modes; l++)
        {
          cuFloatComplex p = w.probe[(size_t) l * n + i];
          size_t wi = mode_pixel (w, frame, l, i);
          cuFloatComplex projected = w.work[mode_pixel (w, slot, l, i)];
          cuFloatComplex fresh = cuCaddf (cuCaddf (ptl_scale (w.waves[wi], keep),
                                                   ptl_scale (projected, b)),
                                          ptl_scale (cuCmulf (p, o), a));
          w.waves[wi] = fresh;
          num = cuCaddf (num, ptl_conj_mul (p, fresh));
          den += ptl_norm2 (p);
        }
      if (w.object_num != NULL)
        {
          add_to (&w.object_num[oi], num);
          if (w.object_den != NULL)
            atomicAdd (&w.object_den[oi], den);
        }
    }
}

/* The wave an accumulation reads: the stored exit waves when there are any, else work. */
__device__ inline cuFloatComplex
source_wave (const PtlCudaWaveArgs &a,
             unsigned               slot,
             unsigned               frame,
             unsigned               l,
             unsigned               i)
{
  return a.waves != NULL ? a.waves[mode_pixel (a, frame, l, i)]
                         : a.work[mode_pixel (a, slot, l, i)];
}

/* object_num += Σ_l conj(P_l) w_l, object_den += Σ_l |P_l|² under every window. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
accumulate_object_kernel (PtlCudaWaveArgs a,
                          unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;

  FOR_EACH_PIXEL (i, n)
    {
      cuFloatComplex num = make_cuFloatComplex (0.0f, 0.0f);
      float den = 0.0f;
      for (unsigned l = 0; l < a.modes; l++)
        {
          cuFloatComplex p = a.probe[(size_t) l * n + i];
          num = cuCaddf (num, ptl_conj_mul (p, source_wave (a, slot, frame, l, i)));
          den += ptl_norm2 (p);
        }
      size_t oi = window (a, frame, i);
      add_to (&a.object_num[oi], num);
      if (a.object_den != NULL)
        atomicAdd (&a.object_den[oi], den);
    }
}

/* probe_num[l] += Σ_j conj(O_j) w_jl, probe_den += Σ_j |O_j|²: thread i gathers probe pixel
 * i over the `chunk` slots of chunk blockIdx.y, then adds once. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
accumulate_probe_kernel (PtlCudaWaveArgs a,
                         unsigned        chunk)
{
  unsigned n = a.m * a.m, i = blockIdx.x * PTL_CUDA_BLOCK + threadIdx.x;
  unsigned begin = blockIdx.y * chunk;
  unsigned end = a.count - begin < chunk ? a.count : begin + chunk;

  if (i >= n)
    return;
  for (unsigned l = 0; l < a.modes; l++)
    {
      cuFloatComplex num = make_cuFloatComplex (0.0f, 0.0f);
      float den = 0.0f;
      for (unsigned k = begin; k < end; k++)
        {
          unsigned frame = slot_frame (a, k);
          cuFloatComplex o = a.object[window (a, frame, i)];
          num = cuCaddf (num, ptl_conj_mul (o, source_wave (a, k, frame, l, i)));
          den += ptl_norm2 (o);
        }
      add_to (&a.probe_num[(size_t) l * n + i], num);
      if (l == 0 && a.probe_den != NULL)
        atomicAdd (&a.probe_den[i], den);
    }
}

/* Σ_l |Ψ_l|² / N at pixel i of slot `slot` of work set `set`. */
__device__ inline float
model_intensity (const PtlCudaWaveArgs &a,
                 size_t                 slot,
                 unsigned               i,
                 float                  inv_n)
{
  float model = 0.0f;

  for (unsigned l = 0; l < a.modes; l++)
    model += ptl_norm2 (a.work[mode_pixel (a, slot, l, i)]) * inv_n;
  return model;
}

/* The ML residual factor r/N on every mode, and errors[j] = L_j / n_unmasked. The Poisson
 * logarithm is taken in double precision: near convergence the cost is a small difference
 * of large terms. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
ml_residual_kernel (PtlCudaWaveArgs a,
                    int             poisson,
                    unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;
  const float *amp = a.amplitudes + (size_t) frame * n;
  float inv_n = 1.0f / n;
  double sums[2] = { 0.0, 0.0 }; /* cost, measured pixels */

  FOR_EACH_PIXEL (i, n)
    {
      float amplitude = amp[i], obs = amplitude * amplitude;
      float model = model_intensity (a, slot, i, inv_n);
      float factor = 0.0f;
      if (amplitude >= 0.0f)
        {
          float r;
          double term;
          if (poisson)
            {
              float shifted = model + 1e-6f;
              r = 1.0f - obs / shifted;
              term = (double) model - obs
                     - obs * log ((double) shifted / (obs + (obs == 0.0f ? 1.0f : 0.0f)));
            }
          else
            {
              r = (model - obs) / (1.0f + obs);
              term = (double) (model - obs) * r;
            }
          factor = r * inv_n;
          sums[0] += term;
          sums[1] += 1.0;
        }
      for (unsigned l = 0; l < a.modes; l++)
        {
          size_t wi = mode_pixel (a, slot, l, i);
          a.work[wi] = ptl_scale (a.work[wi], factor);
        }
    }
  if (ptl_slot_reduce (sums, PtlSumOp (), a.workspace, blockIdx.y) && threadIdx.x == 0)
    a.errors[frame] = sums[1] > 0.0 ? (float) (sums[0] / sums[1]) : 0.0f;
}

/* The three exit-wave terms of the line search, in work sets 0, 1 and 2. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
ml_line_waves_kernel (PtlCudaWaveArgs a,
                      const float2   *object_dir,
                      const float2   *probe_dir,
                      unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;

  FOR_EACH_PIXEL (i, n)
    {
      size_t oi = window (a, frame, i);
      cuFloatComplex o = a.object[oi], ho = object_dir[oi];
      for (unsigned l = 0; l < a.modes; l++)
        {
          cuFloatComplex p = a.probe[(size_t) l * n + i], hp = probe_dir[(size_t) l * n + i];
          a.work[mode_pixel (a, slot, l, i)] = cuCmulf (p, o);
          a.work[mode_pixel (a, (size_t) a.count + slot, l, i)] = cuCaddf (cuCmulf (p, ho),
                                                                         cuCmulf (hp, o));
          a.work[mode_pixel (a, 2 * (size_t) a.count + slot, l, i)] = cuCmulf (hp, ho);
        }
    }
}

/* B0, B1, B2 of the quadratic model of the cost along the line, per frame, summed in
 * double precision (B1 is a sum of terms of both signs that nearly cancel at the
 * minimum). */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
ml_line_coefficients_kernel (PtlCudaWaveArgs a,
                             int             poisson,
                             float          *coefficients,
                             unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;
  const float *amp = a.amplitudes + (size_t) frame * n;
  size_t set = a.count;
  float inv_n = 1.0f / n;
  double b[3] = { 0.0, 0.0, 0.0 };

  FOR_EACH_PIXEL (i, n)
    {
      float amplitude = amp[i];
      if (amplitude < 0.0f)
        continue;
      float obs = amplitude * amplitude, model = 0.0f, a1 = 0.0f, a2 = 0.0f;
      for (unsigned l = 0; l < a.modes; l++)
        {
          cuFloatComplex f = a.work[mode_pixel (a, slot, l, i)];
          cuFloatComplex u = a.work[mode_pixel (a, set + slot, l, i)];
          cuFloatComplex v = a.work[mode_pixel (a, 2 * set + slot, l, i)];
          model += ptl_norm2 (f) * inv_n;
          a1 += 2.0f * (f.x * u.x + f.y * u.y) * inv_n;
          a2 += (2.0f * (f.x * v.x + f.y * v.y) + ptl_norm2 (u)) * inv_n;
        }
      if (poisson)
        {
          float shifted = model + 1e-6f, r = 1.0f - obs / shifted;
          b[0] += (double) model - obs * log ((double) shifted);
          b[1] += (double) r * a1;
          b[2] += (double) r * a2 + (double) obs * a1 * a1 / (2.0 * shifted * shifted);
        }
      else
        {
          float w = 1.0f / (1.0f + obs), d = model - obs;
          b[0] += (double) w * d * d;
          b[1] += 2.0 * w * d * a1;
          b[2] += (double) w * (a1 * a1 + 2.0f * d * a2);
        }
    }
  if (ptl_slot_reduce (b, PtlSumOp (), a.workspace, blockIdx.y) && threadIdx.x == 0)
    for (unsigned c = 0; c < 3; c++)
      coefficients[3 * (size_t) frame + c] = (float) b[c];
}

/* errors[first + k] = Σ_unmasked (A − a)² / n_unmasked; work is only read. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
fourier_error_kernel (PtlCudaWaveArgs a,
                      unsigned        slot_base)
{
  unsigned slot = slot_base + blockIdx.y, frame = slot_frame (a, slot), n = a.m * a.m;
  const float *amp = a.amplitudes + (size_t) frame * n;
  float inv_m = 1.0f / a.m, tiny = 1e-20f * a.m * a.m;
  float sums[2] = { 0.0f, 0.0f };

  FOR_EACH_PIXEL (i, n)
    {
      float amplitude = amp[i];
      if (amplitude < 0.0f)
        continue;
      float n2 = 0.0f;
      for (unsigned l = 0; l < a.modes; l++)
        n2 += ptl_norm2 (a.work[mode_pixel (a, slot, l, i)]);
      float diff = n2 * rsqrtf (n2 + tiny) * inv_m - amplitude;
      sums[0] += diff * diff;
      sums[1] += 1.0f;
    }
  if (ptl_slot_reduce (sums, PtlSumOp (), a.workspace, blockIdx.y) && threadIdx.x == 0)
    a.errors[a.first + slot] = sums[1] > 0.0f ? sums[0] / sums[1] : 0.0f;
}

/* Calls launch (grid, slot_base) for every PTL_CUDA_MAX_SLOTS_PER_LAUNCH slots of the
 * batch (usually exactly once); grid.x covers a frame, grid.y the slots of the launch. */
template <typename Launch>
static cudaError_t
over_slots (const PtlCudaWaveArgs *args,
            Launch                 launch)
{
  dim3 grid (ptl_cuda_blocks_per_frame (args->m * args->m));

  for (unsigned base = 0; base < args->count; base += PTL_CUDA_MAX_SLOTS_PER_LAUNCH)
    {
      grid.y = args->count - base < PTL_CUDA_MAX_SLOTS_PER_LAUNCH
                 ? args->count - base : PTL_CUDA_MAX_SLOTS_PER_LAUNCH;
      launch (grid, base);
      cudaError_t status = cudaGetLastError ();
      if (status != cudaSuccess)
        return status;
    }
  return cudaSuccess;
}

#define LAUNCH(kernel, ...)                                                     \
  over_slots (args, [&] (dim3 grid, unsigned base) {                            \
    kernel<<<grid, PTL_CUDA_BLOCK, 0, stream>>> (*args, __VA_ARGS__);            \
  })

/* Three double values per block: the most any of these kernels reduces. */
extern "C" size_t
ptl_cuda_wave_partials (const PtlCudaWaveArgs *args)
{
  return ptl_cuda_partials_needed (args->count, args->m * args->m, 3) * 2;
}

extern "C" cudaError_t
ptl_cuda_projection_input (cudaStream_t           stream,
                           const PtlCudaWaveArgs *args,
                           float                  c)
{
  return LAUNCH (projection_input_kernel, c, base);
}

/* The probe terms of the batch onto probe_num (and probe_den), when there is one. */
static cudaError_t
accumulate_probe (cudaStream_t           stream,
                  const PtlCudaWaveArgs *args)
{
  if (args->probe_num == NULL)
    return cudaSuccess;

  unsigned n = args->m * args->m;
  unsigned chunk = (args->count + PTL_CUDA_MAX_SLOTS_PER_LAUNCH - 1)
                   / PTL_CUDA_MAX_SLOTS_PER_LAUNCH;
  chunk = chunk > PROBE_SLOTS_PER_CHUNK ? chunk : PROBE_SLOTS_PER_CHUNK;
  dim3 grid ((n + PTL_CUDA_BLOCK - 1) / PTL_CUDA_BLOCK, (args->count + chunk - 1) / chunk);
  accumulate_probe_kernel<<<grid, PTL_CUDA_BLOCK, 0, stream>>> (*args, chunk);
  return cudaGetLastError ();
}

/* The new waves' object terms are summed in the update's own pass; the probe terms, which
 * every slot adds to the same pixels, are gathered per probe pixel afterwards. */
extern "C" cudaError_t
ptl_cuda_exit_update (cudaStream_t           stream,
                      const PtlCudaWaveArgs *args,
                      float                  a,
                      float                  b)
{
  cudaError_t status = LAUNCH (exit_update_kernel, a, b, base);

  return status == cudaSuccess ? accumulate_probe (stream, args) : status;
}

extern "C" cudaError_t
ptl_cuda_overlap_accumulate (cudaStream_t           stream,
                             const PtlCudaWaveArgs *args)
{
  cudaError_t status = cudaSuccess;

  if (args->object_num != NULL)
    status = LAUNCH (accumulate_object_kernel, base);
  return status == cudaSuccess ? accumulate_probe (stream, args) : status;
}

extern "C" cudaError_t
ptl_cuda_ml_residual (cudaStream_t           stream,
                      const PtlCudaWaveArgs *args,
                      int                    poisson)
{
  return LAUNCH (ml_residual_kernel, poisson, base);
}

extern "C" cudaError_t
ptl_cuda_ml_line_waves (cudaStream_t           stream,
                        const PtlCudaWaveArgs *args,
                        const float2          *object_dir,
                        const float2          *probe_dir)
{
  return LAUNCH (ml_line_waves_kernel, object_dir, probe_dir, base);
}

extern "C" cudaError_t
ptl_cuda_ml_line_coefficients (cudaStream_t           stream,
                               const PtlCudaWaveArgs *args,
                               int                    poisson,
                               float                 *coefficients)
{
  return LAUNCH (ml_line_coefficients_kernel, poisson, coefficients, base);
}

extern "C" cudaError_t
ptl_cuda_fourier_error (cudaStream_t           stream,
                        const PtlCudaWaveArgs *args)
{
  return LAUNCH (fourier_error_kernel, base);
}
