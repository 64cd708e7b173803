/* The PIE kernel family: exit waves, the Fourier-modulus constraint and the object/probe
 * update, plus the scaling that normalises FFTs. A batch is one launch: grid.x covers the
 * pixels of a frame, grid.y the batch slots. Per-frame reductions (max|P|², max|O|², the
 * Fourier error) are fused into the kernels that produce their inputs and combined across
 * a slot's blocks in a fixed order (ptl-cuda-reduce.cuh). */
#include <cooperative_groups.h>

#include "ptl-cuda-reduce.cuh"

namespace cg = cooperative_groups;

/* Enough blocks to fill any current GPU; larger arrays are covered by grid-stride loops. */
#define MAX_BLOCKS 65535u

__global__ void
scale_kernel (float2 *data,
              size_t  n,
              float   factor)
{
  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t) gridDim.x * blockDim.x)
    data[i] = ptl_scale (data[i], factor);
}

__device__ inline unsigned
slot_frame (const PtlCudaPieArgs &a,
            unsigned              slot)
{
  return a.order[a.first + slot];
}

__device__ inline size_t
window (const PtlCudaPieArgs &a,
        unsigned              frame,
        unsigned              i)
{
  return ptl_cuda_window_offset (a.positions[2 * (size_t) frame],
                                 a.positions[2 * (size_t) frame + 1], a.canvas_cols, a.m, i);
}

/* exit[k][l] = P_l · O_j for slots slot_base + blockIdx.y, and each slot's maxima of
 * Σ_l |P_l|² and |O_j|². */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
exit_wave_kernel (PtlCudaPieArgs a,
                  unsigned       slot_base)
{
  unsigned slot = slot_base + blockIdx.y;
  unsigned frame = slot_frame (a, slot);
  unsigned n = a.m * a.m;
  float2 *exit = a.exit + (size_t) slot * a.modes * n;
  float maxima[2] = { 0.0f, 0.0f };

#pragma unroll
  for (unsigned step = 0; step < PTL_CUDA_PIXELS_PER_THREAD; step++)
    {
      unsigned i = ptl_cuda_frame_pixel (blockIdx.x, threadIdx.x, step);
      if (i >= n)
        break;
      cuFloatComplex o = a.object[window (a, frame, i)];
      float power = 0.0f;
      for (unsigned l = 0; l < a.modes; l++)
        {
          cuFloatComplex p = a.probe[(size_t) l * n + i];
          exit[(size_t) l * n + i] = cuCmulf (p, o);
          power += ptl_norm2 (p);
        }
      maxima[0] = fmaxf (maxima[0], power);
      maxima[1] = fmaxf (maxima[1], ptl_norm2 (o));
    }
  if (ptl_slot_reduce (maxima, PtlMaxOp (), a.workspace, blockIdx.y) && threadIdx.x == 0)
    {
      a.scratch[2 * (size_t) slot] = maxima[0];
      a.scratch[2 * (size_t) slot + 1] = maxima[1];
    }
}

/* exit[k][l] holds the unnormalised FFT Ψ_l of mode l, so the unitary model amplitude is
 * sqrt(Σ_l |Ψ_l|²)/m; every mode takes the same factor, and the 1/N folded into it lets
 * an unnormalised inverse FFT give ψ'. The target amplitude is the measured one, or with a
 * tolerance the model's own clamped to within it. The error of the slot is reduced in the
 * same pass. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
fourier_constraint_kernel (PtlCudaPieArgs a,
                           unsigned       slot_base)
{
  unsigned slot = slot_base + blockIdx.y;
  unsigned frame = slot_frame (a, slot);
  unsigned n = a.m * a.m;
  const float *amp = a.amplitudes + (size_t) frame * n;
  float2 *psi = a.exit + (size_t) slot * a.modes * n;
  float inv_m = 1.0f / a.m, inv_n = 1.0f / n;
  /* Keeps 1/|Ψ| finite where the model is dark, exactly as the CPU backend does. */
  float tiny = 1e-20f * a.m * a.m;
  float sums[2] = { 0.0f, 0.0f }; /* Σ (|Ψ| − a)², measured pixels */

#pragma unroll
  for (unsigned step = 0; step < PTL_CUDA_PIXELS_PER_THREAD; step++)
    {
      unsigned i = ptl_cuda_frame_pixel (blockIdx.x, threadIdx.x, step);
      if (i >= n)
        break;
      float n2 = 0.0f;
      for (unsigned l = 0; l < a.modes; l++)
        n2 += ptl_norm2 (psi[(size_t) l * n + i]);
      float inv_abs = rsqrtf (n2 + tiny);
      float amplitude = amp[i];
      float factor = inv_n;

      if (amplitude >= 0.0f)
        {
          float diff = n2 * inv_abs * inv_m - amplitude;
          float tolerance = a.amplitude_tolerance;
          sums[0] += diff * diff;
          sums[1] += 1.0f;
          factor = (amplitude + fminf (fmaxf (diff, -tolerance), tolerance)) * inv_abs * inv_m;
        }
      for (unsigned l = 0; l < a.modes; l++)
        psi[(size_t) l * n + i] = ptl_scale (psi[(size_t) l * n + i], factor);
    }
  if (ptl_slot_reduce (sums, PtlSumOp (), a.workspace, blockIdx.y) && threadIdx.x == 0)
    a.errors[frame] = sums[1] > 0.0f ? sums[0] / sums[1] : 0.0f;
}

/* The update's step sizes for slot k. ePIE's constant steps α/max|P|², β/max|O|² and
 * rPIE's per-pixel weights are both 1/(w_a·|x|² + w_b). */
struct UpdateWeights
{
  float o_a, o_b, p_a, p_b;
};

__device__ inline UpdateWeights
update_weights (const PtlCudaPieArgs &a,
                unsigned              k)
{
  float max_p = a.scratch[2 * (size_t) k], max_o = a.scratch[2 * (size_t) k + 1];

  return UpdateWeights {
    a.rpie ? 1.0f - a.alpha : 0.0f,
    a.rpie ? a.alpha * max_p : max_p / a.alpha,
    a.rpie ? 1.0f - a.beta : 0.0f,
    a.rpie ? a.beta * max_o : max_o / a.beta,
  };
}

/* A dark probe or an empty object window carries no information (as on the CPU). */
__device__ inline bool
update_is_empty (const UpdateWeights &w)
{
  return w.o_b <= 0.0f || w.p_b <= 0.0f;
}

/* Pixel i of slot k: every right-hand side from the values before this frame's update;
 * the object takes the sum over modes, each probe mode its own correction. The object is
 * read past L1, which may hold a line that another block has since updated at an earlier
 * slot. */
__device__ inline void
update_pixel (const PtlCudaPieArgs &a,
              const UpdateWeights  &w,
              unsigned              k,
              unsigned              frame,
              unsigned              i)
{
  size_t n = (size_t) a.m * a.m, oi = window (a, frame, i);
  const float2 *exit = a.exit + (size_t) k * a.modes * n;
  cuFloatComplex o = __ldcg (&a.object[oi]);
  cuFloatComplex num = make_cuFloatComplex (0.0f, 0.0f);
  float power = 0.0f, wp = 1.0f / (w.p_a * ptl_norm2 (o) + w.p_b);

  for (unsigned l = 0; l < a.modes; l++)
    {
      cuFloatComplex p = a.probe[l * n + i];
      cuFloatComplex delta = cuCsubf (exit[l * n + i], cuCmulf (p, o));
      num = cuCaddf (num, ptl_conj_mul (p, delta));
      power += ptl_norm2 (p);
      if (a.update_probe)
        a.probe[l * n + i] = cuCaddf (p, ptl_scale (ptl_conj_mul (o, delta), wp));
    }
  a.object[oi] = cuCaddf (o, ptl_scale (num, 1.0f / (w.o_a * power + w.o_b)));
}

/* Slot k only, one launch per slot: the fallback for devices without cooperative launch. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
pie_update_kernel (PtlCudaPieArgs a,
                   unsigned       k)
{
  UpdateWeights w = update_weights (a, k);
  unsigned frame = slot_frame (a, k), n = a.m * a.m;

  if (update_is_empty (w))
    return;
#pragma unroll
  for (unsigned step = 0; step < PTL_CUDA_PIXELS_PER_THREAD; step++)
    {
      unsigned i = ptl_cuda_frame_pixel (blockIdx.x, threadIdx.x, step);
      if (i >= n)
        break;
      update_pixel (a, w, k, frame, i);
    }
}

/* What every thread needs to know of slot k, formed once per launch: where its window
 * starts on the canvas, its step weights, whether it must wait for the slots before it
 * (its window overlaps an earlier one) and whether it carries no information. */
struct SlotPlan
{
  unsigned long long base;
  UpdateWeights      w;
  unsigned           wait;
  unsigned           skip;
};

static_assert (sizeof (SlotPlan) == 8 * sizeof (float), "the workspace holds 8 floats a slot");

/* Slots whose plans a block stages in shared memory at a time. */
#define PLAN_CHUNK PTL_CUDA_BLOCK

/* Slots k … k + PLAN_CHUNK − 1 of the plan into `staged`, for the whole block, read past
 * L1 (other blocks wrote them). */
__device__ inline void
stage_plans (SlotPlan       *staged,
             const SlotPlan *plans,
             unsigned        k,
             unsigned        count)
{
  union
  {
    SlotPlan plan;
    float4   raw[2];
  } copy;

  __syncthreads ();
  if (k + threadIdx.x < count)
    {
      const float4 *src = (const float4 *) &plans[k + threadIdx.x];
      copy.raw[0] = __ldcg (src);
      copy.raw[1] = __ldcg (src + 1);
      staged[threadIdx.x] = copy.plan;
    }
  __syncthreads ();
}

/* The update of one probe mode and one pixel per thread, the common case (K = 1 and a
 * frame no larger than the grid): the probe pixel stays in a register from the first slot
 * to the last, and the next slot's object and exit values are loaded while this slot is
 * computed. Loading the next window early is safe because a slot that does not wait
 * overlaps no earlier window: nothing writes it before its turn. */
__device__ void
update_batch_single (const PtlCudaPieArgs &a,
                     const SlotPlan       *plans,
                     cg::grid_group       &grid)
{
  __shared__ SlotPlan staged[PLAN_CHUNK];
  unsigned n = a.m * a.m, i = (unsigned) grid.thread_rank ();
  bool active = i < n;
  size_t pixel = active ? ptl_cuda_window_offset (0, 0, a.canvas_cols, a.m, i) : 0;
  cuFloatComplex zero = make_cuFloatComplex (0.0f, 0.0f);
  cuFloatComplex p = active ? a.probe[i] : zero;

  stage_plans (staged, plans, 0, a.count);
  SlotPlan next = staged[0];
  cuFloatComplex o_next = active ? __ldcg (&a.object[next.base + pixel]) : zero;
  cuFloatComplex e_next = active ? a.exit[i] : zero;

  for (unsigned k = 0; k < a.count; k++)
    {
      SlotPlan cur = next;
      cuFloatComplex o = o_next, e = e_next;

      /* The same branch in every thread of the grid, as grid.sync needs; the window was
       * not loaded ahead. */
      if (cur.wait)
        {
          grid.sync ();
          o = active ? __ldcg (&a.object[cur.base + pixel]) : zero;
        }
      if (k + 1 < a.count)
        {
          if ((k + 1) % PLAN_CHUNK == 0)
            stage_plans (staged, plans, k + 1, a.count);
          next = staged[(k + 1) % PLAN_CHUNK];
          if (active)
            {
              if (!next.wait)
                o_next = __ldcg (&a.object[next.base + pixel]);
              e_next = a.exit[(size_t) (k + 1) * n + i];
            }
        }
      if (!active || cur.skip)
        continue;

      cuFloatComplex delta = cuCsubf (e, cuCmulf (p, o));
      a.object[cur.base + pixel]
        = cuCaddf (o, ptl_scale (ptl_conj_mul (p, delta),
                                 1.0f / (cur.w.o_a * ptl_norm2 (p) + cur.w.o_b)));
      if (a.update_probe)
        p = cuCaddf (p, ptl_scale (ptl_conj_mul (o, delta),
                                   1.0f / (cur.w.p_a * ptl_norm2 (o) + cur.w.p_b)));
    }
  if (active && a.update_probe)
    a.probe[i] = p;
}

/* Any K and any frame size: each thread owns the same pixels of every probe mode at every
 * slot, so the probe's chain of updates needs no synchronisation. */
__device__ void
update_batch_general (const PtlCudaPieArgs &a,
                      const SlotPlan       *plans,
                      cg::grid_group       &grid)
{
  unsigned n = a.m * a.m;
  unsigned thread = (unsigned) grid.thread_rank (), threads = (unsigned) grid.size ();

  for (unsigned k = 0; k < a.count; k++)
    {
      /* Read past L1: the plans were written by other blocks. */
      unsigned wait = __ldcg (&plans[k].wait), skip = __ldcg (&plans[k].skip);
      if (wait)
        grid.sync ();
      if (skip)
        continue;
      UpdateWeights w = update_weights (a, k);
      unsigned frame = slot_frame (a, k);
      for (unsigned i = thread; i < n; i += threads)
        update_pixel (a, w, k, frame, i);
    }
}

/* Slots whose window corners the wait planning holds in shared memory at a time. */
#define WAIT_CHUNK 1024u

/* Which slots must wait (block 0 only, after the plans are written): the grid
 * synchronises before slot k when k's window overlaps a slot of the current run, the
 * slots since the last synchronisation. Greedy and sequential, on corners staged in
 * shared memory by one warp with a ballot per slot; a random batch of a scan whose
 * frames each overlap a few percent of the others thus waits every ten slots or so
 * rather than at nearly every slot. A new chunk of corners starts a new run. */
__device__ void
plan_waits (const PtlCudaPieArgs &a,
            SlotPlan             *plans)
{
  __shared__ int2 corners[WAIT_CHUNK];
  unsigned lane = threadIdx.x % PTL_WARP;

  for (unsigned c0 = 0; c0 < a.count; c0 += WAIT_CHUNK)
    {
      unsigned len = a.count - c0 < WAIT_CHUNK ? a.count - c0 : WAIT_CHUNK;

      __syncthreads ();
      for (unsigned t = threadIdx.x; t < len; t += PTL_CUDA_BLOCK)
        {
          unsigned frame = slot_frame (a, c0 + t);
          corners[t] = make_int2 (a.positions[2 * (size_t) frame],
                                  a.positions[2 * (size_t) frame + 1]);
        }
      __syncthreads ();
      if (threadIdx.x >= PTL_WARP)
        continue;
      for (unsigned k = 0, start = 0; k < len; k++)
        {
          bool hit = false;
          for (unsigned j = start + lane; j < k; j += PTL_WARP)
            hit |= ptl_cuda_windows_overlap (corners[k].x, corners[k].y, corners[j].x,
                                             corners[j].y, a.m);
          hit = __any_sync (0xffffffffu, hit) || (k == 0 && c0 > 0);
          if (hit)
            start = k;
          if (lane == 0)
            plans[c0 + k].wait = hit;
        }
    }
}

/* The whole batch in one cooperative launch, in batch order, with the result of the
 * sequential update. The object needs synchronisation only where a slot's window
 * overlaps an earlier slot's, and there the grid waits (grid.sync) before the slot: a
 * batch of spread-out positions runs with no wait at all. */
__global__ void __launch_bounds__ (PTL_CUDA_BLOCK)
pie_update_batch_kernel (PtlCudaPieArgs a,
                         SlotPlan      *plans)
{
  cg::grid_group grid = cg::this_grid ();
  unsigned thread = (unsigned) grid.thread_rank (), threads = (unsigned) grid.size ();

  for (unsigned k = thread; k < a.count; k += threads)
    {
      unsigned frame = slot_frame (a, k);
      SlotPlan plan = { 0, update_weights (a, k), 0, 0 };
      plan.base = ptl_cuda_window_offset (a.positions[2 * (size_t) frame],
                                          a.positions[2 * (size_t) frame + 1], a.canvas_cols,
                                          a.m, 0);
      plan.skip = update_is_empty (plan.w);
      plans[k] = plan;
    }
  grid.sync ();
  if (blockIdx.x == 0)
    plan_waits (a, plans);
  grid.sync ();

  if (a.modes == 1 && threads >= a.m * a.m)
    update_batch_single (a, plans, grid);
  else
    update_batch_general (a, plans, grid);
}

extern "C" cudaError_t
ptl_cuda_kernel_image_status (void)
{
  cudaFuncAttributes attributes;

  return cudaFuncGetAttributes (&attributes, (const void *) scale_kernel);
}

extern "C" cudaError_t
ptl_cuda_scale (cudaStream_t stream,
                float2      *data,
                size_t       n,
                float        factor)
{
  if (n == 0)
    return cudaSuccess;
  size_t blocks = (n + PTL_CUDA_BLOCK - 1) / PTL_CUDA_BLOCK;
  scale_kernel<<<(unsigned) (blocks < MAX_BLOCKS ? blocks : MAX_BLOCKS), PTL_CUDA_BLOCK, 0,
                 stream>>> (data, n, factor);
  return cudaGetLastError ();
}

typedef void (*SlotKernel) (PtlCudaPieArgs, unsigned);

/* One launch per PTL_CUDA_MAX_SLOTS_PER_LAUNCH slots (usually exactly one). */
static cudaError_t
launch_over_slots (SlotKernel            kernel,
                   cudaStream_t          stream,
                   const PtlCudaPieArgs *args)
{
  dim3 grid (ptl_cuda_blocks_per_frame (args->m * args->m));

  for (unsigned base = 0; base < args->count; base += PTL_CUDA_MAX_SLOTS_PER_LAUNCH)
    {
      grid.y = args->count - base < PTL_CUDA_MAX_SLOTS_PER_LAUNCH
                 ? args->count - base : PTL_CUDA_MAX_SLOTS_PER_LAUNCH;
      kernel<<<grid, PTL_CUDA_BLOCK, 0, stream>>> (*args, base);
      cudaError_t status = cudaGetLastError ();
      if (status != cudaSuccess)
        return status;
    }
  return cudaSuccess;
}

extern "C" cudaError_t
ptl_cuda_exit_wave (cudaStream_t          stream,
                    const PtlCudaPieArgs *args)
{
  return launch_over_slots (exit_wave_kernel, stream, args);
}

extern "C" cudaError_t
ptl_cuda_fourier_constraint (cudaStream_t          stream,
                             const PtlCudaPieArgs *args)
{
  return launch_over_slots (fourier_constraint_kernel, stream, args);
}

/* Blocks of one cooperative launch of the batch update: every block must be resident at
 * once, and no more are useful than one thread per pixel. 0 when the device cannot. */
static unsigned
cooperative_blocks (unsigned n)
{
  int device, cooperative = 0, sms = 0, per_sm = 0;

  if (cudaGetDevice (&device) != cudaSuccess
      || cudaDeviceGetAttribute (&cooperative, cudaDevAttrCooperativeLaunch, device) != cudaSuccess
      || cudaDeviceGetAttribute (&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess
      || cudaOccupancyMaxActiveBlocksPerMultiprocessor (&per_sm, pie_update_batch_kernel,
                                                        PTL_CUDA_BLOCK, 0) != cudaSuccess
      || !cooperative || sms <= 0 || per_sm <= 0)
    {
      /* A failed query is not an error of the update: use the other path. */
      cudaGetLastError ();
      return 0;
    }
  unsigned resident = (unsigned) sms * (unsigned) per_sm;
  unsigned wanted = (n + PTL_CUDA_BLOCK - 1) / PTL_CUDA_BLOCK;
  return wanted < resident ? wanted : resident;
}

extern "C" cudaError_t
ptl_cuda_pie_update (cudaStream_t          stream,
                     const PtlCudaPieArgs *args)
{
  unsigned n = args->m * args->m;
  unsigned blocks = ptl_cuda_blocks_per_frame (n);
  unsigned cooperative = args->count > 1 ? cooperative_blocks (n) : 0;

  if (cooperative > 0)
    {
      PtlCudaPieArgs a = *args;
      SlotPlan *plans = (SlotPlan *) args->workspace.partials;
      void *params[] = { &a, &plans };

      cudaError_t status = cudaLaunchCooperativeKernel ((const void *) pie_update_batch_kernel,
                                                        dim3 (cooperative),
                                                        dim3 (PTL_CUDA_BLOCK), params, 0, stream);
      /* Fewer blocks fit than the occupancy query said (another process shares the
       * device): the launches below give the same result, only slower. */
      if (status != cudaErrorCooperativeLaunchTooLarge)
        return status;
      cudaGetLastError ();
    }
  for (unsigned k = 0; k < args->count; k++)
    {
      pie_update_kernel<<<blocks, PTL_CUDA_BLOCK, 0, stream>>> (*args, k);
      cudaError_t status = cudaGetLastError ();
      if (status != cudaSuccess)
        return status;
    }
  return cudaSuccess;
}
