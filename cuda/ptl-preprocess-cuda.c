/* CUDA preprocessing: the fused kernel of preprocess-kernels.cu behind the ops table of
 * ptl-preprocess-plan.h. Its entry point, ptl_preprocess_module_open, is the module's
 * second exported symbol.
 *
 * Here: the context's life (the device, its streams and events, the plan's device
 * buffers, pinned memory for frames) and the ops table. The frames' way through the two
 * slots, and the benchmark's timings, are in ptl-preprocess-cuda-process.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <gmodule.h>

#include "core/ptl-error.h"
#include "ptl-preprocess-cuda-private.h"

/* Frames per slot: about this many bytes of crops, enough to fill the device and to make
 * each copy long next to its start-up cost. */
#define CHUNK_BYTES (8u << 20)
#define MAX_CHUNK_FRAMES 4096u

G_STATIC_ASSERT (MAX_CHUNK_FRAMES <= PTL_CUDA_PREPROCESS_MAX_FRAMES);

/* Found by name (PTL_PREPROCESS_MODULE_ENTRY); its type is checked against the contract. */
G_MODULE_EXPORT gboolean ptl_preprocess_module_open (int                            device,
                                                     const PtlPreprocessDeviceOps **ops,
                                                     gpointer                      *ctx,
                                                     GError                       **error);
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_preprocess_module_open),
                                               PtlPreprocessModuleOpen));

gboolean
_ptl_preprocess_cuda_check (cudaError_t status,
                            const char *what,
                            GError    **error)
{
  if (status == cudaSuccess)
    return TRUE;
  g_set_error (error, PTL_BACKEND_ERROR,
               status == cudaErrorMemoryAllocation ? PTL_BACKEND_ERROR_MEMORY
                                                   : PTL_BACKEND_ERROR_DEVICE,
               "%s failed: %s (%s)", what, cudaGetErrorString (status),
               cudaGetErrorName (status));
  return FALSE;
}

/* The caller may be on any thread, and the runtime's current device is per thread. */
gboolean
_ptl_preprocess_cuda_make_current (CudaPreprocess *pp,
                                   GError        **error)
{
  return _ptl_preprocess_cuda_check (cudaSetDevice (pp->device), "cudaSetDevice", error);
}

/* Waits for everything queued, so that no copy still uses memory that is about to be
 * reused or freed. A NULL stream (module_open failed part way) is left alone: a call on
 * it would leave an error behind for the next launch check. */
void
_ptl_preprocess_cuda_drain_streams (CudaPreprocess *pp)
{
  cudaStream_t streams[] = { pp->upload, pp->compute, pp->download };

  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    if (streams[i] != NULL)
      cudaStreamSynchronize (streams[i]);
}

static void
free_plan_buffers (CudaPreprocess *pp)
{
  cudaFree (pp->dark);
  pp->dark = pp->scale = NULL;
  pp->static_mask = NULL;
  for (guint s = 0; s < G_N_ELEMENTS (pp->slots); s++)
    {
      cudaFree (pp->slots[s].device.raw);
      cudaFreeHost (pp->slots[s].host.raw);
      pp->slots[s].device = pp->slots[s].host = (Buffers) { NULL };
    }
  pp->capacity = 0;
  pp->has_plan = FALSE;
}

/* Parts of a block start at multiples of 256 bytes, as cudaMalloc's blocks do: the
 * kernel's vector loads need the alignment. */
static gsize
part_size (gsize bytes)
{
  return (bytes + 255) / 256 * 256;
}

static void
carve_slot (const CudaPreprocess *pp,
            char                 *block,
            Buffers              *buffers)
{
  buffers->raw = (guint16 *) block;
  block += part_size (pp->capacity * pp->crop_pixels * sizeof (guint16));
  buffers->patterns = (float *) block;
  block += part_size (pp->capacity * pp->out_pixels * sizeof (float));
  buffers->masks = (guint8 *) block;
}

static gboolean
alloc_plan_buffers (CudaPreprocess *pp,
                    GError        **error)
{
  gsize floats = part_size (pp->crop_pixels * sizeof (float)), slot_bytes;
  char *block;

  pp->capacity = (guint) CLAMP (CHUNK_BYTES / (pp->crop_pixels * sizeof (guint16)), 1,
                                MAX_CHUNK_FRAMES);
  slot_bytes = part_size (pp->capacity * pp->crop_pixels * sizeof (guint16))
               + part_size (pp->capacity * pp->out_pixels * sizeof (float))
               + pp->capacity * pp->out_pixels;
  if (!_ptl_preprocess_cuda_check (cudaMalloc ((void **) &block, 2 * floats + pp->out_pixels),
                                   "cudaMalloc (calibration)", error))
    return FALSE;
  pp->dark = (float *) block;
  pp->scale = (float *) (block + floats);
  pp->static_mask = (guint8 *) (block + 2 * floats);
  for (guint s = 0; s < G_N_ELEMENTS (pp->slots); s++)
    {
      if (!_ptl_preprocess_cuda_check (cudaMalloc ((void **) &block, slot_bytes),
                                       "cudaMalloc (frame slot)", error))
        return FALSE;
      carve_slot (pp, block, &pp->slots[s].device);
      if (!_ptl_preprocess_cuda_check (cudaHostAlloc ((void **) &block, slot_bytes,
                                                      cudaHostAllocDefault),
                                       "cudaHostAlloc (staging)", error))
        return FALSE;
      carve_slot (pp, block, &pp->slots[s].host);
    }
  return TRUE;
}

static void
preprocess_destroy (gpointer ctx)
{
  CudaPreprocess *pp = ctx;
  cudaEvent_t timing[] = { pp->start, pp->stop };
  cudaStream_t streams[] = { pp->upload, pp->compute, pp->download };

  /* NULL marks what module_open did not get to create. */
  if (cudaSetDevice (pp->device) == cudaSuccess)
    {
      _ptl_preprocess_cuda_drain_streams (pp);
      free_plan_buffers (pp);
      for (guint s = 0; s < G_N_ELEMENTS (pp->slots); s++)
        for (guint e = 0; e < N_SLOT_EVENTS; e++)
          if (pp->slots[s].events[e] != NULL)
            cudaEventDestroy (pp->slots[s].events[e]);
      for (guint i = 0; i < G_N_ELEMENTS (timing); i++)
        if (timing[i] != NULL)
          cudaEventDestroy (timing[i]);
      for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
        if (streams[i] != NULL)
          cudaStreamDestroy (streams[i]);
    }
  g_free (pp->description);
  g_free (pp);
}

static const char *
preprocess_describe (gpointer ctx)
{
  return ((CudaPreprocess *) ctx)->description;
}

static gboolean
preprocess_set_plan (gpointer                 ctx,
                     const PtlPreprocessPlan *plan,
                     GError                 **error)
{
  CudaPreprocess *pp = ctx;
  gboolean same_shape = pp->has_plan && pp->plan.crop == plan->crop && pp->plan.bin == plan->bin;

  g_return_val_if_fail (plan->crop > 0 && plan->bin > 0 && plan->crop % plan->bin == 0, FALSE);

  if (!_ptl_preprocess_cuda_make_current (pp, error))
    return FALSE;
  /* A moved crop of the same size keeps its buffers; only the calibration changes. */
  if (!same_shape)
    free_plan_buffers (pp);
  pp->has_plan = FALSE;
  pp->plan = *plan;
  pp->plan.dark = pp->plan.scale = NULL;
  pp->plan.static_mask = NULL;
  pp->crop_pixels = (gsize) plan->crop * plan->crop;
  pp->out_pixels = pp->crop_pixels / ((gsize) plan->bin * plan->bin);
  if (!same_shape && !alloc_plan_buffers (pp, error))
    {
      free_plan_buffers (pp);
      return FALSE;
    }
  /* On the compute stream, after any chunk still using the old plan, and before the next
   * kernel (a plain cudaMemcpy from pageable memory runs on the legacy default stream, which
   * the non-blocking compute stream does not wait for). Synchronous: the plan's arrays are
   * the caller's, and may change once this returns. */
  if (!_ptl_preprocess_cuda_check (cudaMemcpyAsync (pp->dark, plan->dark,
                                                    pp->crop_pixels * sizeof (float),
                                                    cudaMemcpyHostToDevice, pp->compute),
                                   "cudaMemcpyAsync (dark)", error)
      || !_ptl_preprocess_cuda_check (cudaMemcpyAsync (pp->scale, plan->scale,
                                                       pp->crop_pixels * sizeof (float),
                                                       cudaMemcpyHostToDevice, pp->compute),
                                      "cudaMemcpyAsync (scale)", error)
      || !_ptl_preprocess_cuda_check (cudaMemcpyAsync (pp->static_mask, plan->static_mask,
                                                       pp->out_pixels, cudaMemcpyHostToDevice,
                                                       pp->compute),
                                      "cudaMemcpyAsync (mask)", error)
      || !_ptl_preprocess_cuda_check (cudaStreamSynchronize (pp->compute),
                                      "cudaStreamSynchronize (plan)", error))
    return FALSE;
  pp->has_plan = TRUE;
  return TRUE;
}

/* Also makes the device current for the calling thread. */
gboolean
_ptl_preprocess_cuda_check_plan (CudaPreprocess *pp,
                                 GError        **error)
{
  if (!pp->has_plan)
    {
      g_set_error_literal (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                           "The crop is not placed yet (an automatic centre needs frames)");
      return FALSE;
    }
  return _ptl_preprocess_cuda_make_current (pp, error);
}

static gpointer
preprocess_host_alloc (gpointer ctx,
                       gsize    bytes,
                       GError **error)
{
  CudaPreprocess *pp = ctx;
  void *memory = NULL;

  /* Portable: page-locked for every device, as the frames may also go to another GPU. */
  if (!_ptl_preprocess_cuda_make_current (pp, error)
      || !_ptl_preprocess_cuda_check (cudaHostAlloc (&memory, bytes, cudaHostAllocPortable),
                                      "cudaHostAlloc", error))
    return NULL;
  return memory;
}

static void
preprocess_host_free (gpointer ctx,
                      gpointer memory)
{
  CudaPreprocess *pp = ctx;
  g_autoptr (GError) error = NULL;

  if (memory == NULL)
    return;
  if (!_ptl_preprocess_cuda_make_current (pp, &error)
      || !_ptl_preprocess_cuda_check (cudaFreeHost (memory), "cudaFreeHost", &error))
    g_debug ("Freeing page-locked memory: %s", error->message);
}

static const PtlPreprocessDeviceOps preprocess_ops = {
  .name = "cuda",
  .destroy = preprocess_destroy,
  .describe = preprocess_describe,
  .set_plan = preprocess_set_plan,
  .process = _ptl_preprocess_cuda_process,
  .host_alloc = preprocess_host_alloc,
  .host_free = preprocess_host_free,
  .time_kernel = _ptl_preprocess_cuda_time_kernel,
  .host_to_device_bandwidth = _ptl_preprocess_cuda_host_to_device_bandwidth,
};

/* Streams and events; what this makes before a failure is left for preprocess_destroy. */
static cudaError_t
create_queues (CudaPreprocess *pp)
{
  cudaStream_t *streams[] = { &pp->upload, &pp->compute, &pp->download };
  cudaError_t status = cudaSuccess;

  for (guint i = 0; i < G_N_ELEMENTS (streams) && status == cudaSuccess; i++)
    status = cudaStreamCreateWithFlags (streams[i], cudaStreamNonBlocking);
  for (guint s = 0; s < G_N_ELEMENTS (pp->slots); s++)
    for (guint e = 0; e < N_SLOT_EVENTS && status == cudaSuccess; e++)
      status = cudaEventCreateWithFlags (&pp->slots[s].events[e], cudaEventDisableTiming);
  if (status == cudaSuccess)
    status = cudaEventCreate (&pp->start);
  if (status == cudaSuccess)
    status = cudaEventCreate (&pp->stop);
  return status;
}

G_MODULE_EXPORT gboolean
ptl_preprocess_module_open (int                            device,
                            const PtlPreprocessDeviceOps **ops,
                            gpointer                      *ctx,
                            GError                       **error)
{
  struct cudaDeviceProp prop;
  int n_devices = 0, runtime = 0;
  cudaError_t status;

  /* As in ptl_backend_module_open: the domain's name must not live in this module's
   * memory if the module registers it first. */
  g_quark_from_string ("ptl-backend-error-quark");

  status = cudaGetDeviceCount (&n_devices);
  if (status != cudaSuccess || device < 0 || device >= n_devices)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "No CUDA device %d answers for preprocessing: %s", device,
                   status != cudaSuccess ? cudaGetErrorString (status)
                   : n_devices == 0      ? "none found"
                                         : "this machine has fewer");
      return FALSE;
    }

  CudaPreprocess *pp = g_new0 (CudaPreprocess, 1);
  pp->device = device;
  /* A device that is busy in exclusive mode or broken fails here, and is as unavailable
   * as a missing one. */
  status = cudaSetDevice (device);
  if (status == cudaSuccess)
    status = cudaGetDeviceProperties (&prop, device);
  if (status == cudaSuccess)
    status = create_queues (pp);
  if (status != cudaSuccess)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "CUDA device %d does not answer: %s", device, cudaGetErrorString (status));
      preprocess_destroy (pp);
      return FALSE;
    }
  cudaRuntimeGetVersion (&runtime);
  pp->description = g_strdup_printf ("CUDA %d.%d, %s (GPU %d, cc %d.%d, %d SMs, %d copy "
                                     "engines), fused preprocessing on 3 streams",
                                     runtime / 1000, runtime % 1000 / 10, prop.name, device,
                                     prop.major, prop.minor, prop.multiProcessorCount,
                                     prop.asyncEngineCount);
  g_debug ("Opened %s", pp->description);
  *ops = &preprocess_ops;
  *ctx = pp;
  return TRUE;
}