/* CUDA preprocessing: the fused kernel of preprocess-kernels.cu behind the ops table of
 * ptl-preprocess-plan.h. Its entry point, ptl_preprocess_module_open, is the module's
 * second exported symbol.
 *
 * Frames go through in chunks, alternately in two slots, each with its device buffers,
 * its pinned staging and its events. Three streams carry a chunk: upload (the crop's rows
 * only), compute (the kernel), download (patterns and masks); while the kernel works on
 * one slot, the other slot's frames cross the bus and the CPU stages the next chunk. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <string.h>

#include <cuda_runtime.h>
#include <gmodule.h>

#include "core/ptl-error.h"
#include "preprocess/ptl-preprocess-plan.h"
#include "ptl-cuda-kernels.h"

/* Frames per slot: about this many bytes of crops, enough to fill the device and to make
 * each copy long next to its start-up cost. */
#define CHUNK_BYTES (8u << 20)
#define MAX_CHUNK_FRAMES 4096u
/* A call with enough frames is cut into at least this many chunks, so that copies and
 * kernels overlap. */
#define MIN_CHUNKS 4u
/* Copies timed by host_to_device_bandwidth: at least this many bytes in all. */
#define BANDWIDTH_BYTES ((gsize) 256 << 20)

G_STATIC_ASSERT (MAX_CHUNK_FRAMES <= PTL_CUDA_PREPROCESS_MAX_FRAMES);

/* A slot's arrays, carved from one block. */
typedef struct
{
  guint16 *raw;      /* [capacity][crop][crop] */
  float   *patterns; /* [capacity][m][m] */
  guint8  *masks;    /* [capacity][m][m] */
} Buffers;

enum
{
  COPIED,   /* the chunk's crops are on the device */
  COMPUTED, /* its kernel is done */
  RETURNED, /* its results are in host memory */
  N_SLOT_EVENTS
};

typedef struct
{
  Buffers     device;
  Buffers     host; /* pinned staging for pageable memory */
  cudaEvent_t events[N_SLOT_EVENTS];
} Slot;

typedef struct
{
  int               device;
  cudaStream_t      upload;
  cudaStream_t      compute;
  cudaStream_t      download;
  cudaEvent_t       start; /* timing */
  cudaEvent_t       stop;
  char             *description;

  gboolean          has_plan;
  PtlPreprocessPlan plan;        /* geometry only: the arrays are copied to the device */
  gsize             crop_pixels; /* crop² */
  gsize             out_pixels;  /* m² */
  float            *dark;        /* device [crop][crop], one block with the next two */
  float            *scale;       /* device [crop][crop] */
  guint8           *static_mask; /* device [m][m] */
  guint             capacity;    /* frames per slot */
  Slot              slots[2];
} CudaPreprocess;

/* Found by name (PTL_PREPROCESS_MODULE_ENTRY); its type is checked against the contract. */
G_MODULE_EXPORT gboolean ptl_preprocess_module_open (int                            device,
                                                     const PtlPreprocessDeviceOps **ops,
                                                     gpointer                      *ctx,
                                                     GError                       **error);
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_preprocess_module_open),
                                               PtlPreprocessModuleOpen));

static gboolean
check_cuda (cudaError_t status,
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
static gboolean
make_current (CudaPreprocess *pp,
              GError        **error)
{
  return check_cuda (cudaSetDevice (pp->device), "cudaSetDevice", error);
}

/* Waits for everything queued, so that no copy still uses memory that is about to be
 * reused or freed. A NULL stream (module_open failed part way) is left alone: a call on
 * it would leave an error behind for the next launch check. */
static void
drain_streams (CudaPreprocess *pp)
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
  if (!check_cuda (cudaMalloc ((void **) &block, 2 * floats + pp->out_pixels),
                   "cudaMalloc (calibration)", error))
    return FALSE;
  pp->dark = (float *) block;
  pp->scale = (float *) (block + floats);
  pp->static_mask = (guint8 *) (block + 2 * floats);
  for (guint s = 0; s < G_N_ELEMENTS (pp->slots); s++)
    {
      if (!check_cuda (cudaMalloc ((void **) &block, slot_bytes), "cudaMalloc (frame slot)",
                       error))
        return FALSE;
      carve_slot (pp, block, &pp->slots[s].device);
      if (!check_cuda (cudaHostAlloc ((void **) &block, slot_bytes, cudaHostAllocDefault),
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
      drain_streams (pp);
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

  if (!make_current (pp, error))
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
  /* Synchronous: the plan's arrays are the caller's, and may change once this returns. */
  if (!check_cuda (cudaMemcpy (pp->dark, plan->dark, pp->crop_pixels * sizeof (float),
                               cudaMemcpyHostToDevice),
                   "cudaMemcpy (dark)", error)
      || !check_cuda (cudaMemcpy (pp->scale, plan->scale, pp->crop_pixels * sizeof (float),
                                  cudaMemcpyHostToDevice),
                      "cudaMemcpy (scale)", error)
      || !check_cuda (cudaMemcpy (pp->static_mask, plan->static_mask, pp->out_pixels,
                                  cudaMemcpyHostToDevice),
                      "cudaMemcpy (mask)", error))
    return FALSE;
  pp->has_plan = TRUE;
  return TRUE;
}

/* Also makes the device current for the calling thread. */
static gboolean
check_plan (CudaPreprocess *pp,
            GError        **error)
{
  if (!pp->has_plan)
    {
      g_set_error_literal (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                           "The crop is not placed yet (an automatic centre needs frames)");
      return FALSE;
    }
  return make_current (pp, error);
}

/* Page-locked frames (ours or registered by the caller) can be copied from directly; the
 * first and the last byte stand for the range. */
static gboolean
is_pinned (const void *memory,
           gsize       bytes)
{
  const void *ends[] = { memory, (const char *) memory + bytes - 1 };

  for (guint e = 0; e < G_N_ELEMENTS (ends); e++)
    {
      struct cudaPointerAttributes attributes;
      if (cudaPointerGetAttributes (&attributes, ends[e]) != cudaSuccess)
        {
          /* Clears the error, which the next launch check would otherwise report. */
          cudaGetLastError ();
          return FALSE;
        }
      if (attributes.type != cudaMemoryTypeHost)
        return FALSE;
    }
  return TRUE;
}

static cudaError_t
launch (CudaPreprocess *pp,
        const Slot     *slot,
        guint           frames)
{
  PtlCudaPreprocessArgs args = {
    .raw = slot->device.raw,
    .dark = pp->dark,
    .scale = pp->scale,
    .static_mask = pp->static_mask,
    .patterns = slot->device.patterns,
    .masks = slot->device.masks,
    .crop = pp->plan.crop,
    .bin = pp->plan.bin,
    .frames = frames,
    /* No uint16 value reaches 65536: no limit. */
    .saturation = pp->plan.saturation > 0 ? pp->plan.saturation : 65536,
  };

  return ptl_cuda_preprocess (pp->compute, &args);
}

/* One call's frames and results. The results always land in the pinned staging: the
 * host copies them out while the device works on the next chunk. */
typedef struct
{
  const guint16 *frames;
  float         *patterns;
  guint8        *masks;
  guint          n;
  guint          per_chunk;
  gboolean       frames_pinned;
} Job;

/* Queues chunk c in slot c % 2, which chunk c − 2 left when it was collected. */
static gboolean
enqueue_chunk (CudaPreprocess *pp,
               const Job      *job,
               guint           c,
               GError        **error)
{
  Slot *slot = &pp->slots[c % 2];
  cudaEvent_t *events = slot->events;
  guint first = c * job->per_chunk, count = MIN (job->per_chunk, job->n - first);
  guint crop = pp->plan.crop, cols = pp->plan.frame_cols;
  gsize frame_pixels = (gsize) pp->plan.frame_rows * cols, out = pp->out_pixels;
  const guint16 *corner = job->frames + first * frame_pixels + (gsize) pp->plan.row0 * cols
                          + pp->plan.col0;

  if (job->frames_pinned)
    {
      for (guint k = 0; k < count; k++)
        if (!check_cuda (cudaMemcpy2DAsync (slot->device.raw + k * pp->crop_pixels,
                                            crop * sizeof (guint16), corner + k * frame_pixels,
                                            cols * sizeof (guint16), crop * sizeof (guint16),
                                            crop, cudaMemcpyHostToDevice, pp->upload),
                         "cudaMemcpy2DAsync (frames)", error))
          return FALSE;
    }
  else
    {
      for (guint k = 0; k < count; k++)
        for (guint r = 0; r < crop; r++)
          memcpy (slot->host.raw + k * pp->crop_pixels + (gsize) r * crop,
                  corner + k * frame_pixels + (gsize) r * cols, crop * sizeof (guint16));
      if (!check_cuda (cudaMemcpyAsync (slot->device.raw, slot->host.raw,
                                        count * pp->crop_pixels * sizeof (guint16),
                                        cudaMemcpyHostToDevice, pp->upload),
                       "cudaMemcpyAsync (frames)", error))
        return FALSE;
    }

  return check_cuda (cudaEventRecord (events[COPIED], pp->upload), "cudaEventRecord", error)
         && check_cuda (cudaStreamWaitEvent (pp->compute, events[COPIED], 0),
                        "cudaStreamWaitEvent", error)
         && check_cuda (launch (pp, slot, count), "preprocess kernel", error)
         && check_cuda (cudaEventRecord (events[COMPUTED], pp->compute), "cudaEventRecord", error)
         && check_cuda (cudaStreamWaitEvent (pp->download, events[COMPUTED], 0),
                        "cudaStreamWaitEvent", error)
         && check_cuda (cudaMemcpyAsync (slot->host.patterns, slot->device.patterns,
                                         count * out * sizeof (float), cudaMemcpyDeviceToHost,
                                         pp->download),
                        "cudaMemcpyAsync (patterns)", error)
         && (job->masks == NULL
             || check_cuda (cudaMemcpyAsync (slot->host.masks, slot->device.masks, count * out,
                                             cudaMemcpyDeviceToHost, pp->download),
                            "cudaMemcpyAsync (masks)", error))
         && check_cuda (cudaEventRecord (events[RETURNED], pp->download), "cudaEventRecord",
                        error);
}

/* Waits for chunk c and moves its results out of the staging. */
static gboolean
collect_chunk (CudaPreprocess *pp,
               const Job      *job,
               guint           c,
               GError        **error)
{
  Slot *slot = &pp->slots[c % 2];
  guint first = c * job->per_chunk, count = MIN (job->per_chunk, job->n - first);
  gsize out = pp->out_pixels;

  if (!check_cuda (cudaEventSynchronize (slot->events[RETURNED]), "cudaEventSynchronize",
                   error))
    return FALSE;
  memcpy (job->patterns + first * out, slot->host.patterns, count * out * sizeof (float));
  if (job->masks != NULL)
    memcpy (job->masks + first * out, slot->host.masks, count * out);
  return TRUE;
}

static gboolean
preprocess_process (gpointer       ctx,
                    const guint16 *frames,
                    guint          n,
                    float         *patterns,
                    guint8        *masks,
                    GError       **error)
{
  CudaPreprocess *pp = ctx;

  if (n == 0)
    return TRUE;
  if (!check_plan (pp, error))
    return FALSE;

  Job job = {
    .frames = frames,
    .patterns = patterns,
    .masks = masks,
    .n = n,
    .per_chunk = CLAMP ((n + MIN_CHUNKS - 1) / MIN_CHUNKS, 1, pp->capacity),
    .frames_pinned = is_pinned (frames, (gsize) n * pp->plan.frame_rows * pp->plan.frame_cols
                                        * sizeof (guint16)),
  };
  guint n_chunks = (n + job.per_chunk - 1) / job.per_chunk;

  /* One chunk ahead: chunk c is queued before chunk c − 1 is collected, so the device
   * always has the next chunk while the host waits, and c + 1 reuses c − 1's slot. */
  for (guint c = 0; c <= n_chunks; c++)
    if ((c < n_chunks && !enqueue_chunk (pp, &job, c, error))
        || (c > 0 && !collect_chunk (pp, &job, c - 1, error)))
      {
        drain_streams (pp);
        return FALSE;
      }
  return TRUE;
}

static gpointer
preprocess_host_alloc (gpointer ctx,
                       gsize    bytes,
                       GError **error)
{
  CudaPreprocess *pp = ctx;
  void *memory = NULL;

  /* Portable: page-locked for every device, as the frames may also go to another GPU. */
  if (!make_current (pp, error)
      || !check_cuda (cudaHostAlloc (&memory, bytes, cudaHostAllocPortable), "cudaHostAlloc",
                      error))
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
  if (!make_current (pp, &error)
      || !check_cuda (cudaFreeHost (memory), "cudaFreeHost", &error))
    g_debug ("Freeing page-locked memory: %s", error->message);
}

/* Time between the start and stop events, once stop is reached. */
static gboolean
elapsed_seconds (CudaPreprocess *pp,
                 double         *seconds,
                 GError        **error)
{
  float ms = 0.0f;

  if (!check_cuda (cudaEventSynchronize (pp->stop), "cudaEventSynchronize", error)
      || !check_cuda (cudaEventElapsedTime (&ms, pp->start, pp->stop), "cudaEventElapsedTime",
                      error))
    return FALSE;
  *seconds = ms * 1e-3;
  return TRUE;
}

static gboolean
preprocess_time_kernel (gpointer ctx,
                        guint    n,
                        double  *seconds,
                        GError **error)
{
  CudaPreprocess *pp = ctx;
  gboolean ok = TRUE;

  *seconds = 0.0;
  if (n == 0)
    return TRUE;
  if (!check_plan (pp, error))
    return FALSE;
  /* Frames below saturation (0x0101 = 257 ADU), so that every pixel takes the full path. */
  for (guint s = 0; ok && s < G_N_ELEMENTS (pp->slots); s++)
    ok = check_cuda (cudaMemsetAsync (pp->slots[s].device.raw, 0x01,
                                      pp->capacity * pp->crop_pixels * sizeof (guint16),
                                      pp->compute),
                     "cudaMemsetAsync", error);
  /* The first launch also loads the kernel: keep it out of the timing. */
  ok = ok && check_cuda (launch (pp, &pp->slots[0], 1), "preprocess kernel", error)
       && check_cuda (cudaEventRecord (pp->start, pp->compute), "cudaEventRecord", error);
  /* A slot's worth per launch, as process does on long runs, from the two slots in turn. */
  for (guint done = 0, c = 0; ok && done < n; done += pp->capacity, c++)
    ok = check_cuda (launch (pp, &pp->slots[c % 2], MIN (pp->capacity, n - done)),
                     "preprocess kernel", error);
  ok = ok && check_cuda (cudaEventRecord (pp->stop, pp->compute), "cudaEventRecord", error)
       && elapsed_seconds (pp, seconds, error);
  if (!ok)
    drain_streams (pp);
  return ok;
}

static gboolean
preprocess_host_to_device_bandwidth (gpointer ctx,
                                     gsize    bytes,
                                     double  *bytes_per_second,
                                     GError **error)
{
  CudaPreprocess *pp = ctx;
  guint repeats = (guint) CLAMP (BANDWIDTH_BYTES / MAX (bytes, 1), 4, 1000);
  void *host = NULL, *device = NULL;
  double seconds = 0.0;
  gboolean ok;

  *bytes_per_second = 0.0;
  if (bytes == 0)
    {
      g_set_error_literal (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                           "The bus bandwidth needs copies of at least one byte");
      return FALSE;
    }
  ok = make_current (pp, error)
       && check_cuda (cudaHostAlloc (&host, bytes, cudaHostAllocDefault), "cudaHostAlloc", error)
       && check_cuda (cudaMalloc (&device, bytes), "cudaMalloc", error);
  if (ok)
    memset (host, 0, bytes);
  /* One untimed copy first: the first transfer also sets up the mappings. */
  for (guint r = 0; ok && r <= repeats; r++)
    ok = check_cuda (cudaMemcpyAsync (device, host, bytes, cudaMemcpyHostToDevice, pp->upload),
                     "cudaMemcpyAsync", error)
         && (r > 0
             || check_cuda (cudaEventRecord (pp->start, pp->upload), "cudaEventRecord", error));
  ok = ok && check_cuda (cudaEventRecord (pp->stop, pp->upload), "cudaEventRecord", error)
       && elapsed_seconds (pp, &seconds, error);
  cudaStreamSynchronize (pp->upload);
  cudaFree (device);
  cudaFreeHost (host);
  if (ok)
    *bytes_per_second = seconds > 0.0 ? (double) bytes * repeats / seconds : 0.0;
  return ok;
}

static const PtlPreprocessDeviceOps preprocess_ops = {
  .name = "cuda",
  .destroy = preprocess_destroy,
  .describe = preprocess_describe,
  .set_plan = preprocess_set_plan,
  .process = preprocess_process,
  .host_alloc = preprocess_host_alloc,
  .host_free = preprocess_host_free,
  .time_kernel = preprocess_time_kernel,
  .host_to_device_bandwidth = preprocess_host_to_device_bandwidth,
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
