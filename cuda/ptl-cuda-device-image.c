/* Device images (recon/ptl-device-image.h): copies of engine arrays that stay on the GPU
 * for the views. The compute stream pays for one device-to-device copy; an event marks its
 * end, so that the GL thread waits for that copy and not for the iteration behind it. The
 * memory is stream-ordered (cudaMallocAsync): freeing it never waits for the device, as
 * cudaFree would, so dropping a snapshot on the GUI thread does not stall the window. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include "core/ptl-error.h"
#include "ptl-backend-cuda-private.h"

static void
device_image_release (PtlDeviceImage *image)
{
  /* The memory belongs to the image's device, whichever device this thread last used. */
  cudaSetDevice (image->device);
  if (image->ready != NULL)
    {
      /* The only other user, the copy to GL, has finished when its call returned. */
      cudaEventSynchronize (image->ready);
      cudaEventDestroy (image->ready);
    }
  if (image->data != NULL)
    cudaFreeAsync (image->data, cudaStreamPerThread);
  g_free (image);
}

PtlDeviceImage *
_ptl_cuda_device_image (gpointer         ctx,
                        const PtlBuffer *src,
                        gsize            offset,
                        gsize            bytes,
                        GError         **error)
{
  CudaContext *cuda = ctx;
  PtlDeviceImage *image;
  cudaEvent_t ready = NULL;

  if (!_ptl_cuda_make_current (cuda, error))
    return NULL;
  image = g_new0 (PtlDeviceImage, 1);
  g_atomic_ref_count_init (&image->ref);
  image->device = cuda->device;
  image->bytes = bytes;
  image->release = device_image_release;
  if (_ptl_cuda_check (cudaMallocAsync (&image->data, bytes, cuda->stream),
                       "cudaMallocAsync (device image)", error)
      && _ptl_cuda_check (cudaEventCreateWithFlags (&ready, cudaEventDisableTiming),
                          "cudaEventCreate", error)
      && (image->ready = ready, TRUE)
      && _ptl_cuda_check (cudaMemcpyAsync (image->data, (const char *) src->ptr + offset, bytes,
                                           cudaMemcpyDeviceToDevice, cuda->stream),
                          "cudaMemcpyAsync (device image)", error)
      && _ptl_cuda_check (cudaEventRecord (ready, cuda->stream), "cudaEventRecord", error))
    return image;
  /* A copy queued before the failure may still write to the memory. */
  cudaStreamSynchronize (cuda->stream);
  device_image_release (image);
  return NULL;
}
