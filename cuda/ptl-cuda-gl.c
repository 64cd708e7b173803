/* CUDA-GL interop for the views (recon/ptl-device-image.h): an image the engine left on the
 * GPU is copied device to device into a GL pixel-unpack buffer, from which GL fills the
 * view's texture. Called on the GUI thread with the view's GL context current. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include <gmodule.h>

#include <cuda_gl_interop.h>

#include "core/ptl-error.h"
#include "ptl-backend-cuda-private.h"

typedef struct
{
  int                    device;
  cudaStream_t           stream;
  cudaGraphicsResource_t resource;
} GlBuffer;

G_MODULE_EXPORT gboolean ptl_cuda_gl_devices (int     *devices,
                                              guint    max,
                                              guint   *count,
                                              GError **error);
G_MODULE_EXPORT gpointer ptl_cuda_gl_register (guint    buffer,
                                               int      device,
                                               GError **error);
G_MODULE_EXPORT gboolean ptl_cuda_gl_copy (gpointer              handle,
                                           const PtlDeviceImage *image,
                                           GError              **error);
G_MODULE_EXPORT void     ptl_cuda_gl_unregister (gpointer handle);
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_cuda_gl_devices),
                                               PtlCudaGlDevices));
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_cuda_gl_register),
                                               PtlCudaGlRegister));
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_cuda_gl_copy), PtlCudaGlCopy));
G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&ptl_cuda_gl_unregister),
                                               PtlCudaGlUnregister));

G_MODULE_EXPORT gboolean
ptl_cuda_gl_devices (int     *devices,
                     guint    max,
                     guint   *count,
                     GError **error)
{
  unsigned int n = 0;
  cudaError_t status = cudaGLGetDevices (&n, devices, max, cudaGLDeviceListAll);

  /* Mesa, another vendor's driver or a remote display: no CUDA device behind the context. */
  if (status == cudaErrorNoDevice || (status == cudaSuccess && n == 0))
    {
      cudaGetLastError ();
      g_set_error_literal (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                           "No CUDA device drives this GL context");
      return FALSE;
    }
  if (!_ptl_cuda_check (status, "cudaGLGetDevices", error))
    return FALSE;
  *count = MIN (n, max);
  return TRUE;
}

G_MODULE_EXPORT gpointer
ptl_cuda_gl_register (guint    buffer,
                      int      device,
                      GError **error)
{
  GlBuffer *gl = g_new0 (GlBuffer, 1);

  gl->device = device;
  if (_ptl_cuda_check (cudaSetDevice (device), "cudaSetDevice", error)
      && _ptl_cuda_check (cudaStreamCreateWithFlags (&gl->stream, cudaStreamNonBlocking),
                          "cudaStreamCreate", error)
      /* Every copy overwrites what the buffer held: CUDA need not preserve it. */
      && _ptl_cuda_check (cudaGraphicsGLRegisterBuffer (&gl->resource, buffer,
                                                        cudaGraphicsRegisterFlagsWriteDiscard),
                          "cudaGraphicsGLRegisterBuffer", error))
    return gl;
  ptl_cuda_gl_unregister (gl);
  return NULL;
}

G_MODULE_EXPORT gboolean
ptl_cuda_gl_copy (gpointer              handle,
                  const PtlDeviceImage *image,
                  GError              **error)
{
  GlBuffer *gl = handle;
  void *mapped = NULL;
  size_t size = 0;
  gboolean ok;

  if (image->device != gl->device)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The image is on GPU %d, the GL buffer on GPU %d", image->device, gl->device);
      return FALSE;
    }
  if (!_ptl_cuda_check (cudaSetDevice (gl->device), "cudaSetDevice", error)
      || !_ptl_cuda_check (cudaStreamWaitEvent (gl->stream, image->ready, 0),
                           "cudaStreamWaitEvent", error)
      || !_ptl_cuda_check (cudaGraphicsMapResources (1, &gl->resource, gl->stream),
                           "cudaGraphicsMapResources", error))
    return FALSE;
  ok = _ptl_cuda_check (cudaGraphicsResourceGetMappedPointer (&mapped, &size, gl->resource),
                        "cudaGraphicsResourceGetMappedPointer", error);
  if (ok && size < image->bytes)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A GL buffer of %zu bytes cannot take an image of %" G_GSIZE_FORMAT " bytes",
                   size, image->bytes);
      ok = FALSE;
    }
  ok = ok
       && _ptl_cuda_check (cudaMemcpyAsync (mapped, image->data, image->bytes,
                                            cudaMemcpyDeviceToDevice, gl->stream),
                           "cudaMemcpyAsync (to GL)", error);
  /* Unmapping orders the copy before every GL command issued after it. Waiting for the
   * copy (microseconds) lets the image be freed as soon as this returns. */
  ok = _ptl_cuda_check (cudaGraphicsUnmapResources (1, &gl->resource, gl->stream),
                        "cudaGraphicsUnmapResources", ok ? error : NULL)
       && ok;
  return _ptl_cuda_check (cudaStreamSynchronize (gl->stream), "cudaStreamSynchronize (GL)",
                          ok ? error : NULL)
         && ok;
}

G_MODULE_EXPORT void
ptl_cuda_gl_unregister (gpointer handle)
{
  GlBuffer *gl = handle;

  if (gl == NULL)
    return;
  cudaSetDevice (gl->device);
  if (gl->resource != NULL)
    cudaGraphicsUnregisterResource (gl->resource);
  if (gl->stream != NULL)
    cudaStreamDestroy (gl->stream);
  g_free (gl);
}
