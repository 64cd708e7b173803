/* CUDA backend module: device memory, the context's stream and reduction workspace,
 * cuFFT plans and the ops table; the kernels' ops live beside it (PIE, batched engines,
 * whole-array ops, transfers). Loaded at run time, so that the executables run on
 * machines with no CUDA driver; ptl_backend_module_open is its entry point.
 *
 * Every op runs on the context's stream, in call order, and returns without waiting for
 * the device, except where the data must be complete on return (upload, download): an
 * iteration never waits for the host, and per-frame errors stay on the device until the
 * caller downloads them. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <gmodule.h>

#include "core/ptl-error.h"
#include "ptl-backend-cuda-private.h"
#include "ptl-cuda-index.h"

struct _PtlFftPlan
{
  cufftHandle handle;
};

/* Found by name (PTL_BACKEND_MODULE_ENTRY); its type is checked against the contract. */
G_MODULE_EXPORT gboolean ptl_backend_module_open (int                   device,
                                                  const PtlBackendOps **ops,
                                                  gpointer             *ctx,
                                                  GError              **error);
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_backend_module_open),
                                               PtlBackendModuleOpen));
G_STATIC_ASSERT (sizeof (cufftComplex) == sizeof (ptl_complex));
G_STATIC_ASSERT (sizeof (PtlPosition) == 2 * sizeof (int));
G_STATIC_ASSERT ((int) CUFFT_FORWARD == (int) PTL_FFT_FORWARD);
G_STATIC_ASSERT ((int) CUFFT_INVERSE == (int) PTL_FFT_BACKWARD);

gboolean
_ptl_cuda_check (cudaError_t status,
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

/* cuFFT has no message function of its own. */
static const char *
cufft_result_string (cufftResult status)
{
  switch (status)
    {
    case CUFFT_SUCCESS: return "success";
    case CUFFT_INVALID_PLAN: return "invalid plan";
    case CUFFT_ALLOC_FAILED: return "out of device memory";
    case CUFFT_INVALID_TYPE: return "invalid type";
    case CUFFT_INVALID_VALUE: return "invalid value";
    case CUFFT_INTERNAL_ERROR: return "internal error";
    case CUFFT_EXEC_FAILED: return "execution failed on the device";
    case CUFFT_SETUP_FAILED: return "the library failed to initialise";
    case CUFFT_INVALID_SIZE: return "invalid transform size";
    case CUFFT_UNALIGNED_DATA: return "unaligned data";
    case CUFFT_INVALID_DEVICE: return "invalid device";
    case CUFFT_NO_WORKSPACE: return "no work area";
    case CUFFT_NOT_IMPLEMENTED: return "not implemented";
    case CUFFT_NOT_SUPPORTED: return "not supported";
    case CUFFT_MISSING_DEPENDENCY: return "a library it needs is missing";
    case CUFFT_NVRTC_FAILURE: return "NVRTC failure";
    case CUFFT_NVJITLINK_FAILURE: return "nvJitLink failure";
    case CUFFT_NVSHMEM_FAILURE: return "NVSHMEM failure";
    default: return "unknown error";
    }
}

gboolean
_ptl_cuda_check_cufft (cufftResult status,
             const char *what,
             GError    **error)
{
  if (status == CUFFT_SUCCESS)
    return TRUE;
  g_set_error (error, PTL_BACKEND_ERROR,
               status == CUFFT_ALLOC_FAILED ? PTL_BACKEND_ERROR_MEMORY : PTL_BACKEND_ERROR_FFT,
               "%s failed: %s (cufftResult %d)", what, cufft_result_string (status),
               (int) status);
  return FALSE;
}

/* Device code faults on a misaligned complex value, where the CPU would only be slower. */
static gboolean
check_complex_aligned (gsize       offset,
                       const char *what,
                       GError    **error)
{
  if (offset % sizeof (cufftComplex) == 0)
    return TRUE;
  g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_DEVICE,
               "%s: offset %" G_GSIZE_FORMAT " is not aligned to a complex value", what, offset);
  return FALSE;
}

/* The caller may be on any thread, and the runtime's current device is per thread. */
gboolean
_ptl_cuda_make_current (CudaContext *cuda,
                        GError     **error)
{
  return _ptl_cuda_check (cudaSetDevice (cuda->device), "cudaSetDevice", error);
}

gboolean
_ptl_cuda_check_frame (guint    m,
                       GError **error)
{
  if ((gsize) m * m <= PTL_CUDA_MAX_FRAME_PIXELS)
    return TRUE;
  g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_DEVICE,
               "Frames of %u×%u pixels are larger than the CUDA kernels index", m, m);
  return FALSE;
}

gboolean
_ptl_cuda_reserve_workspace (CudaContext *cuda,
                             gsize        floats,
                             GError     **error)
{
  float *partials = NULL;

  if (floats <= cuda->partial_capacity)
    return TRUE;
  if (floats > PTL_ARRAY_MAX_BYTES / sizeof (float))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "A batch needs %" G_GSIZE_FORMAT " floats of reduction space, too many",
                   floats);
      return FALSE;
    }
  /* Queued kernels may still use the old space; growth is rare (a larger batch). */
  if (!_ptl_cuda_check (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error)
      || !_ptl_cuda_check (cudaMalloc ((void **) &partials, floats * sizeof (float)),
                           "cudaMalloc (reduction space)", error))
    return FALSE;
  cudaFree (cuda->workspace.partials);
  cuda->workspace.partials = partials;
  cuda->partial_capacity = floats;
  return TRUE;
}

gboolean
_ptl_cuda_reserve_partials (CudaContext *cuda,
                            guint        count,
                            guint        m,
                            guint        n_values,
                            GError     **error)
{
  return _ptl_cuda_reserve_workspace (cuda, ptl_cuda_partials_needed (count, m * m, n_values),
                                      error);
}

static void
cuda_destroy (gpointer ctx)
{
  CudaContext *cuda = ctx;

  if (cudaSetDevice (cuda->device) == cudaSuccess)
    {
      cudaStreamSynchronize (cuda->stream);
      cudaStreamSynchronize (cuda->transfer);
      cudaFree (cuda->workspace.partials);
      cudaFree (cuda->workspace.counters);
      cudaStreamDestroy (cuda->transfer);
      cudaStreamDestroy (cuda->stream);
    }
  g_ptr_array_unref (cuda->snapshots);
  g_free (cuda->description);
  g_free (cuda);
}

static const char *
cuda_describe (gpointer ctx)
{
  return ((CudaContext *) ctx)->description;
}

/* The host side is the calling thread; the parallelism is on the device. */
static guint
cuda_threads (gpointer ctx)
{
  return 1;
}

static PtlBuffer *
cuda_alloc (gpointer ctx,
            gsize    bytes,
            GError **error)
{
  CudaContext *cuda = ctx;
  gpointer p = NULL;

  if (!_ptl_cuda_make_current (cuda, error)
      || !_ptl_cuda_check (cudaMalloc (&p, bytes), "cudaMalloc", error))
    return NULL;
  if (!_ptl_cuda_check (cudaMemsetAsync (p, 0, bytes, cuda->stream), "cudaMemsetAsync", error))
    {
      cudaFree (p);
      return NULL;
    }
  PtlBuffer *buffer = g_new (PtlBuffer, 1);
  buffer->ptr = p;
  buffer->bytes = bytes;
  return buffer;
}

static void
cuda_buffer_free (gpointer   ctx,
                  PtlBuffer *buffer)
{
  CudaContext *cuda = ctx;
  g_autoptr (GError) error = NULL;

  /* Work still queued on the stream may use the buffer. */
  if (!_ptl_cuda_make_current (cuda, &error)
      || !_ptl_cuda_check (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize",
                           &error)
      || !_ptl_cuda_check (cudaFree (buffer->ptr), "cudaFree", &error))
    g_debug ("Freeing a device buffer: %s", error->message);
  g_free (buffer);
}

/* Synchronous: the caller may reuse or free `src` as soon as this returns. */
static gboolean
cuda_upload (gpointer    ctx,
             PtlBuffer  *dst,
             gsize       offset,
             const void *src,
             gsize       bytes,
             GError    **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (cudaMemcpyAsync ((char *) dst->ptr + offset, src, bytes,
                                         cudaMemcpyHostToDevice, cuda->stream),
                        "cudaMemcpyAsync (upload)", error)
         && _ptl_cuda_check (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
}

static gboolean
cuda_download (gpointer         ctx,
               const PtlBuffer *src,
               gsize            offset,
               void            *dst,
               gsize            bytes,
               GError         **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (cudaMemcpyAsync (dst, (const char *) src->ptr + offset, bytes,
                                         cudaMemcpyDeviceToHost, cuda->stream),
                        "cudaMemcpyAsync (download)", error)
         && _ptl_cuda_check (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
}

static PtlFftPlan *
cuda_fft_plan (gpointer ctx,
               guint    rows,
               guint    cols,
               guint    batch,
               GError **error)
{
  CudaContext *cuda = ctx;
  int n[] = { (int) rows, (int) cols };
  int dist = (int) (rows * cols);
  cufftHandle handle;

  if ((gsize) rows * cols > G_MAXINT)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_FFT,
                   "A %u×%u FFT is too large for one cuFFT plan", rows, cols);
      return NULL;
    }
  if (!_ptl_cuda_make_current (cuda, error))
    return NULL;
  /* NULL embeddings: frames are contiguous, `dist` elements apart, transformed in place. */
  if (!_ptl_cuda_check_cufft (cufftPlanMany (&handle, 2, n, NULL, 1, dist, NULL, 1, dist, CUFFT_C2C,
                                   (int) batch),
                    "cufftPlanMany", error))
    return NULL;
  if (!_ptl_cuda_check_cufft (cufftSetStream (handle, cuda->stream), "cufftSetStream", error))
    {
      cufftDestroy (handle);
      return NULL;
    }
  PtlFftPlan *plan = g_new (PtlFftPlan, 1);
  plan->handle = handle;
  return plan;
}

static void
cuda_fft_plan_free (gpointer    ctx,
                    PtlFftPlan *plan)
{
  CudaContext *cuda = ctx;

  /* The plan's work area may still be in use by a queued transform. */
  if (cudaSetDevice (cuda->device) == cudaSuccess)
    cudaStreamSynchronize (cuda->stream);
  cufftDestroy (plan->handle);
  g_free (plan);
}

static gboolean
cuda_fft_execute (gpointer        ctx,
                  PtlFftPlan     *plan,
                  PtlBuffer      *data,
                  gsize           offset,
                  PtlFftDirection direction,
                  GError        **error)
{
  CudaContext *cuda = ctx;
  cufftComplex *p = (cufftComplex *) ((char *) data->ptr + offset);

  return check_complex_aligned (offset, "FFT", error)
         && _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check_cufft (cufftExecC2C (plan->handle, p, p,
                                       direction == PTL_FFT_FORWARD ? CUFFT_FORWARD
                                                                    : CUFFT_INVERSE),
                         "cufftExecC2C", error);
}

static gboolean
cuda_scale (gpointer   ctx,
            PtlBuffer *data,
            gsize      offset,
            gsize      n_complex,
            float      factor,
            GError   **error)
{
  CudaContext *cuda = ctx;

  return check_complex_aligned (offset, "scale", error)
         && _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (ptl_cuda_scale (cuda->stream,
                                        (float2 *) ((char *) data->ptr + offset), n_complex,
                                        factor),
                        "scale kernel", error);
}

static gboolean
cuda_synchronize (gpointer ctx,
                  GError **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
}

static const PtlBackendOps cuda_ops = {
  .name = "cuda",
  .destroy = cuda_destroy,
  .describe = cuda_describe,
  .threads = cuda_threads,
  .alloc = cuda_alloc,
  .buffer_free = cuda_buffer_free,
  .upload = cuda_upload,
  .download = cuda_download,
  .fft_plan = cuda_fft_plan,
  .fft_plan_free = cuda_fft_plan_free,
  .fft_execute = cuda_fft_execute,
  .scale = cuda_scale,
  .exit_wave = _ptl_cuda_exit_wave,
  .fourier_constraint = _ptl_cuda_fourier_constraint,
  .pie_update = _ptl_cuda_pie_update,
  .synchronize = cuda_synchronize,
  .projection_input = _ptl_cuda_projection_input,
  .exit_update = _ptl_cuda_exit_update,
  .overlap_accumulate = _ptl_cuda_overlap_accumulate,
  .ml_residual = _ptl_cuda_ml_residual,
  .ml_line_waves = _ptl_cuda_ml_line_waves,
  .ml_line_coefficients = _ptl_cuda_ml_line_coefficients,
  .fourier_error = _ptl_cuda_fourier_error,
  .overlap_divide = _ptl_cuda_overlap_divide,
  .dot = _ptl_cuda_dot,
  .axpby = _ptl_cuda_axpby,
  .momentum = _ptl_cuda_momentum,
  .snapshot_begin = _ptl_cuda_snapshot_begin,
  .snapshot_finish = _ptl_cuda_snapshot_finish,
  .device_image = _ptl_cuda_device_image,
  .measure_bandwidth = _ptl_cuda_measure_bandwidth,
};

static cudaError_t
keep_pool_memory (int device)
{
  cudaMemPool_t pool;
  guint64 keep = G_MAXUINT64; /* the attribute is a cuuint64_t */
  cudaError_t status = cudaDeviceGetDefaultMemPool (&pool, device);

  if (status == cudaSuccess)
    status = cudaMemPoolSetAttribute (pool, cudaMemPoolAttrReleaseThreshold, &keep);
  return status;
}

static char *
describe_device (int                          device,
                 const struct cudaDeviceProp *prop)
{
  int runtime = 0, cufft = 0;

  cudaRuntimeGetVersion (&runtime);
  cufftGetVersion (&cufft);
  return g_strdup_printf ("CUDA %d.%d, %s (GPU %d, cc %d.%d, %d SMs, %.0f GiB), cuFFT %d.%d.%d",
                          runtime / 1000, runtime % 1000 / 10, prop->name, device, prop->major,
                          prop->minor, prop->multiProcessorCount,
                          prop->totalGlobalMem / (double) (1u << 30), cufft / 1000,
                          cufft % 1000 / 100, cufft % 100);
}

G_MODULE_EXPORT gboolean
ptl_backend_module_open (int                   device,
                         const PtlBackendOps **ops,
                         gpointer             *ctx,
                         GError              **error)
{
  struct cudaDeviceProp prop;
  cudaStream_t stream = NULL, transfer = NULL;
  unsigned *counters = NULL;
  int n_devices;
  cudaError_t status;

  /* The loader unloads the module when this fails, and GLib's quark table would keep a
   * pointer to the domain name in the module's memory if the module registered it first
   * (G_DEFINE_QUARK interns a static string): register it with a copy. */
  g_quark_from_string ("ptl-backend-error-quark");

  status = cudaGetDeviceCount (&n_devices);
  if (status != cudaSuccess || n_devices == 0)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "No CUDA device answers: %s",
                   status != cudaSuccess ? cudaGetErrorString (status) : "none found");
      return FALSE;
    }
  if (device < 0 || device >= n_devices)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "There is no CUDA device %d: this machine has %d (0 to %d)", device,
                   n_devices, n_devices - 1);
      return FALSE;
    }
  /* The first call that needs the device creates its context; a device that is busy in
   * exclusive mode or broken fails here, and is as unavailable as a missing one. */
  status = cudaSetDevice (device);
  if (status == cudaSuccess)
    status = cudaGetDeviceProperties (&prop, device);
  if (status == cudaSuccess)
    status = cudaStreamCreateWithFlags (&stream, cudaStreamNonBlocking);
  if (status == cudaSuccess)
    status = cudaStreamCreateWithFlags (&transfer, cudaStreamNonBlocking);
  if (status == cudaSuccess)
    status = cudaMalloc ((void **) &counters,
                         PTL_CUDA_MAX_SLOTS_PER_LAUNCH * sizeof (unsigned));
  /* On the engine's stream, which does not wait for the legacy default stream: the first
   * reduction must find the counters at 0. */
  if (status == cudaSuccess)
    status = cudaMemsetAsync (counters, 0, PTL_CUDA_MAX_SLOTS_PER_LAUNCH * sizeof (unsigned),
                              stream);
  if (status == cudaSuccess)
    status = cudaStreamSynchronize (stream);
  /* A card older than the architectures built for opens, then fails its first launch:
   * find out now, so that `auto` falls back to the CPU. */
  if (status == cudaSuccess)
    status = ptl_cuda_kernel_image_status ();
  /* Device images are allocated from the default pool at every snapshot; by default the
   * pool hands freed memory back to the driver at each synchronisation, so every image
   * would be a fresh allocation. Keep it for reuse instead. */
  if (status == cudaSuccess)
    status = keep_pool_memory (device);
  if (status != cudaSuccess)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "CUDA device %d does not answer: %s", device, cudaGetErrorString (status));
      cudaFree (counters);
      if (transfer != NULL)
        cudaStreamDestroy (transfer);
      if (stream != NULL)
        cudaStreamDestroy (stream);
      return FALSE;
    }

  CudaContext *cuda = g_new0 (CudaContext, 1);
  cuda->device = device;
  cuda->stream = stream;
  cuda->transfer = transfer;
  cuda->workspace.counters = counters;
  cuda->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) _ptl_cuda_snapshot_release);
  cuda->description = describe_device (device, &prop);
  g_debug ("Opened %s", cuda->description);
  *ops = &cuda_ops;
  *ctx = cuda;
  return TRUE;
}
