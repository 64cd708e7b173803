/* What the CUDA preprocessing does with frames: the ops `process`, and the benchmark's
 * `time_kernel` and `host_to_device_bandwidth`, which time the same launches and copies.
 * Apart from the context's life (ptl-preprocess-cuda.c) because this is the part that
 * decides how fast frames go through.
 *
 * Frames go through in chunks, alternately in two slots, each with its device buffers,
 * its pinned staging and its events. Three streams carry a chunk: upload (the crop's rows
 * only), compute (the kernel), download (patterns and masks); while the kernel works on
 * one slot, the other slot's frames cross the bus and the CPU stages the next chunk. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <string.h>

#include "core/ptl-error.h"
#include "ptl-preprocess-cuda-private.h"

/* A call with enough frames is cut into at least this many chunks, so that copies and
 * kernels overlap. */
#define MIN_CHUNKS 4u
/* Copies timed by host_to_device_bandwidth: at least this many bytes in all. */
#define BANDWIDTH_BYTES ((gsize) 256 << 20)

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
        if (!_ptl_preprocess_cuda_check (cudaMemcpy2DAsync (slot->device.raw + k * pp->crop_pixels,
                                                            crop * sizeof (guint16),
                                                            corner + k * frame_pixels,
                                                            cols * sizeof (guint16),
                                                            crop * sizeof (guint16), crop,
                                                            cudaMemcpyHostToDevice, pp->upload),
                                         "cudaMemcpy2DAsync (frames)", error))
          return FALSE;
    }
  else
    {
      for (guint k = 0; k < count; k++)
        for (guint r = 0; r < crop; r++)
          memcpy (slot->host.raw + k * pp->crop_pixels + (gsize) r * crop,
                  corner + k * frame_pixels + (gsize) r * cols, crop * sizeof (guint16));
      if (!_ptl_preprocess_cuda_check (cudaMemcpyAsync (slot->device.raw, slot->host.raw,
                                                        count * pp->crop_pixels * sizeof (guint16),
                                                        cudaMemcpyHostToDevice, pp->upload),
                                       "cudaMemcpyAsync (frames)", error))
        return FALSE;
    }

  return _ptl_preprocess_cuda_check (cudaEventRecord (events[COPIED], pp->upload),
                                     "cudaEventRecord", error)
         && _ptl_preprocess_cuda_check (cudaStreamWaitEvent (pp->compute, events[COPIED], 0),
                                        "cudaStreamWaitEvent", error)
         && _ptl_preprocess_cuda_check (launch (pp, slot, count), "preprocess kernel", error)
         && _ptl_preprocess_cuda_check (cudaEventRecord (events[COMPUTED], pp->compute),
                                        "cudaEventRecord", error)
         && _ptl_preprocess_cuda_check (cudaStreamWaitEvent (pp->download, events[COMPUTED], 0),
                                        "cudaStreamWaitEvent", error)
         && _ptl_preprocess_cuda_check (cudaMemcpyAsync (slot->host.patterns,
                                                         slot->device.patterns,
                                                         count * out * sizeof (float),
                                                         cudaMemcpyDeviceToHost, pp->download),
                                        "cudaMemcpyAsync (patterns)", error)
         && (job->masks == NULL
             || _ptl_preprocess_cuda_check (cudaMemcpyAsync (slot->host.masks, slot->device.masks,
                                                             count * out, cudaMemcpyDeviceToHost,
                                                             pp->download),
                                            "cudaMemcpyAsync (masks)", error))
         && _ptl_preprocess_cuda_check (cudaEventRecord (events[RETURNED], pp->download),
                                        "cudaEventRecord", error);
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

  if (!_ptl_preprocess_cuda_check (cudaEventSynchronize (slot->events[RETURNED]),
                                   "cudaEventSynchronize", error))
    return FALSE;
  memcpy (job->patterns + first * out, slot->host.patterns, count * out * sizeof (float));
  if (job->masks != NULL)
    memcpy (job->masks + first * out, slot->host.masks, count * out);
  return TRUE;
}

gboolean
_ptl_preprocess_cuda_process (gpointer       ctx,
                              const guint16 *frames,
                              guint          n,
                              float         *patterns,
                              guint8        *masks,
                              GError       **error)
{
  CudaPreprocess *pp = ctx;

  if (n == 0)
    return TRUE;
  if (!_ptl_preprocess_cuda_check_plan (pp, error))
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
        _ptl_preprocess_cuda_drain_streams (pp);
        return FALSE;
      }
  return TRUE;
}

/* Time between the start and stop events, once stop is reached. */
static gboolean
elapsed_seconds (CudaPreprocess *pp,
                 double         *seconds,
                 GError        **error)
{
  float ms = 0.0f;

  if (!_ptl_preprocess_cuda_check (cudaEventSynchronize (pp->stop), "cudaEventSynchronize",
                                   error)
      || !_ptl_preprocess_cuda_check (cudaEventElapsedTime (&ms, pp->start, pp->stop),
                                      "cudaEventElapsedTime", error))
    return FALSE;
  *seconds = ms * 1e-3;
  return TRUE;
}

gboolean
_ptl_preprocess_cuda_time_kernel (gpointer ctx,
                                  guint    n,
                                  double  *seconds,
                                  GError **error)
{
  CudaPreprocess *pp = ctx;
  gboolean ok = TRUE;

  *seconds = 0.0;
  if (n == 0)
    return TRUE;
  if (!_ptl_preprocess_cuda_check_plan (pp, error))
    return FALSE;
  /* Frames below saturation (0x0101 = 257 ADU), so that every pixel takes the full path. */
  for (guint s = 0; ok && s < G_N_ELEMENTS (pp->slots); s++)
    ok = _ptl_preprocess_cuda_check (cudaMemsetAsync (pp->slots[s].device.raw, 0x01,
                                                      pp->capacity * pp->crop_pixels
                                                      * sizeof (guint16),
                                                      pp->compute),
                                     "cudaMemsetAsync", error);
  /* The first launch also loads the kernel: keep it out of the timing. */
  ok = ok
       && _ptl_preprocess_cuda_check (launch (pp, &pp->slots[0], 1), "preprocess kernel", error)
       && _ptl_preprocess_cuda_check (cudaEventRecord (pp->start, pp->compute), "cudaEventRecord",
                                      error);
  /* A slot's worth per launch, as process does on long runs, from the two slots in turn. */
  for (guint done = 0, c = 0; ok && done < n; done += pp->capacity, c++)
    ok = _ptl_preprocess_cuda_check (launch (pp, &pp->slots[c % 2],
                                             MIN (pp->capacity, n - done)),
                                     "preprocess kernel", error);
  ok = ok
       && _ptl_preprocess_cuda_check (cudaEventRecord (pp->stop, pp->compute), "cudaEventRecord",
                                      error)
       && elapsed_seconds (pp, seconds, error);
  if (!ok)
    _ptl_preprocess_cuda_drain_streams (pp);
  return ok;
}

gboolean
_ptl_preprocess_cuda_host_to_device_bandwidth (gpointer ctx,
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
  ok = _ptl_preprocess_cuda_make_current (pp, error)
       && _ptl_preprocess_cuda_check (cudaHostAlloc (&host, bytes, cudaHostAllocDefault),
                                      "cudaHostAlloc", error)
       && _ptl_preprocess_cuda_check (cudaMalloc (&device, bytes), "cudaMalloc", error);
  if (ok)
    memset (host, 0, bytes);
  /* One untimed copy first: the first transfer also sets up the mappings. */
  for (guint r = 0; ok && r <= repeats; r++)
    ok = _ptl_preprocess_cuda_check (cudaMemcpyAsync (device, host, bytes,
                                                      cudaMemcpyHostToDevice, pp->upload),
                                     "cudaMemcpyAsync", error)
         && (r > 0
             || _ptl_preprocess_cuda_check (cudaEventRecord (pp->start, pp->upload),
                                            "cudaEventRecord", error));
  ok = ok
       && _ptl_preprocess_cuda_check (cudaEventRecord (pp->stop, pp->upload), "cudaEventRecord",
                                      error)
       && elapsed_seconds (pp, &seconds, error);
  cudaStreamSynchronize (pp->upload);
  cudaFree (device);
  cudaFreeHost (host);
  if (ok)
    *bytes_per_second = seconds > 0.0 ? (double) bytes * repeats / seconds : 0.0;
  return ok;
}
