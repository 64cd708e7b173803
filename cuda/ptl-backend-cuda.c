/* CUDA backend module: device memory, one stream, cuFFT plans and the PIE kernels behind
 * the backend ops table. Loaded at run time, so that the executables run on machines with
 * no CUDA driver; its one exported symbol is ptl_backend_module_open.
 *
 * Every op runs on the context's stream, in call order, and returns without waiting for
 * the device, except where the data must be complete on return (upload, download). */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <cuda_runtime.h>
#include <cufft.h>
#include <gmodule.h>

#include "core/ptl-error.h"
#include "ptl-cuda-kernels.h"
#include "recon/ptl-backend-private.h"

typedef struct
{
  int          device;
  cudaStream_t stream;
  char        *description;
} CudaContext;

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

static gboolean
check_cufft (cufftResult status,
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
static gboolean
make_current (CudaContext *cuda,
              GError     **error)
{
  return check_cuda (cudaSetDevice (cuda->device), "cudaSetDevice", error);
}

static void
cuda_destroy (gpointer ctx)
{
  CudaContext *cuda = ctx;

  if (cudaSetDevice (cuda->device) == cudaSuccess)
    {
      cudaStreamSynchronize (cuda->stream);
      cudaStreamDestroy (cuda->stream);
    }
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

  if (!make_current (cuda, error) || !check_cuda (cudaMalloc (&p, bytes), "cudaMalloc", error))
    return NULL;
  if (!check_cuda (cudaMemsetAsync (p, 0, bytes, cuda->stream), "cudaMemsetAsync", error))
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
  if (!make_current (cuda, &error)
      || !check_cuda (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", &error)
      || !check_cuda (cudaFree (buffer->ptr), "cudaFree", &error))
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

  return make_current (cuda, error)
         && check_cuda (cudaMemcpyAsync ((char *) dst->ptr + offset, src, bytes,
                                         cudaMemcpyHostToDevice, cuda->stream),
                        "cudaMemcpyAsync (upload)", error)
         && check_cuda (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
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

  return make_current (cuda, error)
         && check_cuda (cudaMemcpyAsync (dst, (const char *) src->ptr + offset, bytes,
                                         cudaMemcpyDeviceToHost, cuda->stream),
                        "cudaMemcpyAsync (download)", error)
         && check_cuda (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
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
  if (!make_current (cuda, error))
    return NULL;
  /* NULL embeddings: frames are contiguous, `dist` elements apart, transformed in place. */
  if (!check_cufft (cufftPlanMany (&handle, 2, n, NULL, 1, dist, NULL, 1, dist, CUFFT_C2C,
                                   (int) batch),
                    "cufftPlanMany", error))
    return NULL;
  if (!check_cufft (cufftSetStream (handle, cuda->stream), "cufftSetStream", error))
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
         && make_current (cuda, error)
         && check_cufft (cufftExecC2C (plan->handle, p, p,
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
         && make_current (cuda, error)
         && check_cuda (ptl_cuda_scale (cuda->stream,
                                        (float2 *) ((char *) data->ptr + offset), n_complex,
                                        factor),
                        "scale kernel", error);
}

static PtlCudaPieArgs
pie_args (const PtlPieBatch *b)
{
  return (PtlCudaPieArgs) {
    .object = b->object->ptr,
    .canvas_cols = b->canvas_cols,
    .probe = b->probe->ptr,
    .m = b->m,
    .exit = b->exit->ptr,
    .amplitudes = b->amplitudes->ptr,
    .positions = b->positions->ptr,
    .order = b->order->ptr,
    .first = b->first,
    .count = b->count,
    .errors = b->errors->ptr,
    .scratch = b->scratch->ptr,
    .rpie = b->variant == PTL_PIE_RPIE,
    .alpha = b->alpha,
    .beta = b->beta,
    .update_probe = b->update_probe,
  };
}

static gboolean
cuda_exit_wave (gpointer           ctx,
                const PtlPieBatch *batch,
                GError           **error)
{
  CudaContext *cuda = ctx;
  PtlCudaPieArgs args = pie_args (batch);

  return make_current (cuda, error)
         && check_cuda (ptl_cuda_exit_wave (cuda->stream, &args), "exit wave kernel", error);
}

static gboolean
cuda_fourier_constraint (gpointer           ctx,
                         const PtlPieBatch *batch,
                         GError           **error)
{
  CudaContext *cuda = ctx;
  PtlCudaPieArgs args = pie_args (batch);

  return make_current (cuda, error)
         && check_cuda (ptl_cuda_fourier_constraint (cuda->stream, &args),
                        "Fourier constraint kernel", error);
}

static gboolean
cuda_pie_update (gpointer           ctx,
                 const PtlPieBatch *batch,
                 GError           **error)
{
  CudaContext *cuda = ctx;
  PtlCudaPieArgs args = pie_args (batch);

  return make_current (cuda, error)
         && check_cuda (ptl_cuda_pie_update (cuda->stream, &args), "PIE update kernel", error);
}

static gboolean
cuda_synchronize (gpointer ctx,
                  GError **error)
{
  CudaContext *cuda = ctx;

  return make_current (cuda, error)
         && check_cuda (cudaStreamSynchronize (cuda->stream), "cudaStreamSynchronize", error);
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
  .exit_wave = cuda_exit_wave,
  .fourier_constraint = cuda_fourier_constraint,
  .pie_update = cuda_pie_update,
  .synchronize = cuda_synchronize,
};

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
  cudaStream_t stream;
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
  if (status != cudaSuccess)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "CUDA device %d does not answer: %s", device, cudaGetErrorString (status));
      return FALSE;
    }

  CudaContext *cuda = g_new0 (CudaContext, 1);
  cuda->device = device;
  cuda->stream = stream;
  cuda->description = describe_device (device, &prop);
  g_debug ("Opened %s", cuda->description);
  *ops = &cuda_ops;
  *ctx = cuda;
  return TRUE;
}
