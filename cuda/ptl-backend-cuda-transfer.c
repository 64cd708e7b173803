/* Transfers of the CUDA backend that must not stall the computation: snapshots of device
 * arrays for the display, taken behind events on a second stream, and the measurement of
 * the memory bandwidths that set the roofline floor of the benchmarks. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <string.h>

#include "core/ptl-error.h"
#include "ptl-backend-cuda-private.h"

/* One snapshot in flight: the device copy that frees the compute stream at once, the pinned
 * host copy made from it on the transfer stream, and the events that order them. */
struct _CudaSnapshot
{
  gsize       capacity;
  gsize       bytes;
  void       *staging; /* device */
  void       *pinned;  /* host, page-locked */
  cudaEvent_t copied;  /* the staging copy is complete (compute stream) */
  cudaEvent_t done;    /* the host copy is complete (transfer stream) */
};

/* Snapshots come back to the pool when finished; a display that takes one object and one
 * probe snapshot at a time needs no more than this. */
#define SNAPSHOT_POOL_MAX 4

/* A snapshot larger than this would pin too much host memory for a display copy. */
#define SNAPSHOT_MAX_BYTES ((gsize) 4 << 30)

void
_ptl_cuda_snapshot_release (CudaSnapshot *snapshot)
{
  if (snapshot->done != NULL)
    cudaEventDestroy (snapshot->done);
  if (snapshot->copied != NULL)
    cudaEventDestroy (snapshot->copied);
  cudaFreeHost (snapshot->pinned);
  cudaFree (snapshot->staging);
  g_free (snapshot);
}

static CudaSnapshot *
snapshot_new (gsize    bytes,
              GError **error)
{
  CudaSnapshot *s = g_new0 (CudaSnapshot, 1);

  s->capacity = bytes;
  if (_ptl_cuda_check (cudaMalloc (&s->staging, bytes), "cudaMalloc (snapshot)", error)
      && _ptl_cuda_check (cudaMallocHost (&s->pinned, bytes), "cudaMallocHost (snapshot)", error)
      && _ptl_cuda_check (cudaEventCreateWithFlags (&s->copied, cudaEventDisableTiming),
                          "cudaEventCreate", error)
      && _ptl_cuda_check (cudaEventCreateWithFlags (&s->done, cudaEventDisableTiming),
                          "cudaEventCreate", error))
    return s;
  _ptl_cuda_snapshot_release (s);
  return NULL;
}

/* The smallest pooled snapshot that holds `bytes`, else a new one. */
static CudaSnapshot *
snapshot_take (CudaContext *cuda,
               gsize        bytes,
               GError     **error)
{
  CudaSnapshot *best = NULL;
  guint best_index = 0;

  for (guint i = 0; i < cuda->snapshots->len; i++)
    {
      CudaSnapshot *s = g_ptr_array_index (cuda->snapshots, i);
      if (s->capacity >= bytes && (best == NULL || s->capacity < best->capacity))
        {
          best = s;
          best_index = i;
        }
    }
  if (best != NULL)
    return g_ptr_array_steal_index_fast (cuda->snapshots, best_index);
  return snapshot_new (bytes, error);
}

gpointer
_ptl_cuda_snapshot_begin (gpointer         ctx,
                          const PtlBuffer *src,
                          gsize            offset,
                          gsize            bytes,
                          GError         **error)
{
  CudaContext *cuda = ctx;
  CudaSnapshot *s;

  if (bytes > SNAPSHOT_MAX_BYTES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "A snapshot of %" G_GSIZE_FORMAT " bytes is larger than the %" G_GSIZE_FORMAT
                   " that may be pinned for one", bytes, SNAPSHOT_MAX_BYTES);
      return NULL;
    }
  if (!_ptl_cuda_make_current (cuda, error) || !(s = snapshot_take (cuda, bytes, error)))
    return NULL;
  s->bytes = bytes;
  /* The compute stream only pays for a device-to-device copy; the slow trip over the bus
   * runs on the transfer stream while the next iteration computes. */
  if (_ptl_cuda_check (cudaMemcpyAsync (s->staging, (const char *) src->ptr + offset, bytes,
                                        cudaMemcpyDeviceToDevice, cuda->stream),
                       "cudaMemcpyAsync (snapshot)", error)
      && _ptl_cuda_check (cudaEventRecord (s->copied, cuda->stream), "cudaEventRecord", error)
      && _ptl_cuda_check (cudaStreamWaitEvent (cuda->transfer, s->copied, 0),
                          "cudaStreamWaitEvent", error)
      && _ptl_cuda_check (cudaMemcpyAsync (s->pinned, s->staging, bytes,
                                           cudaMemcpyDeviceToHost, cuda->transfer),
                          "cudaMemcpyAsync (snapshot to host)", error)
      && _ptl_cuda_check (cudaEventRecord (s->done, cuda->transfer), "cudaEventRecord", error))
    return s;
  /* Work queued before the failure may still use the staging memory. */
  cudaStreamSynchronize (cuda->stream);
  cudaStreamSynchronize (cuda->transfer);
  _ptl_cuda_snapshot_release (s);
  return NULL;
}

gboolean
_ptl_cuda_snapshot_finish (gpointer ctx,
                           gpointer snapshot,
                           void    *dst,
                           GError **error)
{
  CudaContext *cuda = ctx;
  CudaSnapshot *s = snapshot;

  if (!_ptl_cuda_make_current (cuda, error)
      || !_ptl_cuda_check (cudaEventSynchronize (s->done), "cudaEventSynchronize (snapshot)",
                           error))
    {
      cudaStreamSynchronize (cuda->transfer);
      _ptl_cuda_snapshot_release (s);
      return FALSE;
    }
  if (dst != NULL)
    memcpy (dst, s->pinned, s->bytes);
  if (cuda->snapshots->len < SNAPSHOT_POOL_MAX)
    g_ptr_array_add (cuda->snapshots, s);
  else
    _ptl_cuda_snapshot_release (s);
  return TRUE;
}

/* Repetitions of each timed transfer: enough to average out the launch of the first. */
#define BANDWIDTH_REPEATS 10

static gboolean
time_copies (CudaContext   *cuda,
             void          *dst,
             const void    *src,
             gsize          bytes,
             enum cudaMemcpyKind kind,
             cudaEvent_t    start,
             cudaEvent_t    stop,
             double        *seconds,
             GError       **error)
{
  float ms = 0.0f;

  /* One untimed copy first: it pays for page mapping and clock ramp-up. */
  if (!_ptl_cuda_check (cudaMemcpyAsync (dst, src, bytes, kind, cuda->stream),
                        "cudaMemcpyAsync (bandwidth)", error)
      || !_ptl_cuda_check (cudaEventRecord (start, cuda->stream), "cudaEventRecord", error))
    return FALSE;
  for (guint i = 0; i < BANDWIDTH_REPEATS; i++)
    if (!_ptl_cuda_check (cudaMemcpyAsync (dst, src, bytes, kind, cuda->stream),
                          "cudaMemcpyAsync (bandwidth)", error))
      return FALSE;
  if (!_ptl_cuda_check (cudaEventRecord (stop, cuda->stream), "cudaEventRecord", error)
      || !_ptl_cuda_check (cudaEventSynchronize (stop), "cudaEventSynchronize", error)
      || !_ptl_cuda_check (cudaEventElapsedTime (&ms, start, stop), "cudaEventElapsedTime",
                           error))
    return FALSE;
  *seconds = ms * 1e-3 / BANDWIDTH_REPEATS;
  return TRUE;
}

gboolean
_ptl_cuda_measure_bandwidth (gpointer ctx,
                             gsize    bytes,
                             double  *copy_bytes_per_s,
                             double  *upload_bytes_per_s,
                             GError **error)
{
  CudaContext *cuda = ctx;
  void *a = NULL, *b = NULL, *pinned = NULL;
  cudaEvent_t start = NULL, stop = NULL;
  double copy_s = 0.0, upload_s = 0.0;
  gboolean ok;

  ok = _ptl_cuda_make_current (cuda, error)
       && _ptl_cuda_check (cudaMalloc (&a, bytes), "cudaMalloc (bandwidth)", error)
       && _ptl_cuda_check (cudaMalloc (&b, bytes), "cudaMalloc (bandwidth)", error)
       && _ptl_cuda_check (cudaMallocHost (&pinned, bytes), "cudaMallocHost (bandwidth)", error)
       && _ptl_cuda_check (cudaEventCreate (&start), "cudaEventCreate", error)
       && _ptl_cuda_check (cudaEventCreate (&stop), "cudaEventCreate", error)
       && _ptl_cuda_check (cudaMemsetAsync (a, 0, bytes, cuda->stream), "cudaMemsetAsync", error)
       && time_copies (cuda, b, a, bytes, cudaMemcpyDeviceToDevice, start, stop, &copy_s, error)
       && time_copies (cuda, a, pinned, bytes, cudaMemcpyHostToDevice, start, stop, &upload_s,
                       error);
  cudaStreamSynchronize (cuda->stream);
  if (stop != NULL)
    cudaEventDestroy (stop);
  if (start != NULL)
    cudaEventDestroy (start);
  cudaFreeHost (pinned);
  cudaFree (b);
  cudaFree (a);
  if (!ok)
    return FALSE;
  /* A device copy reads and writes every byte: the memory moves twice the size. */
  *copy_bytes_per_s = copy_s > 0.0 ? 2.0 * bytes / copy_s : 0.0;
  *upload_bytes_per_s = upload_s > 0.0 ? bytes / upload_s : 0.0;
  return TRUE;
}
