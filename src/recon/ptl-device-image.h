/* A copy of an engine array that stays on the GPU and outlives the engine and its backend:
 * the views fill their textures from it device to device (CUDA-GL interop), so a large
 * object never crosses the bus to be drawn. Reference-counted; any thread may drop the
 * last reference. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PtlDeviceImage PtlDeviceImage;

PtlDeviceImage *ptl_device_image_ref (PtlDeviceImage *image);
void            ptl_device_image_unref (PtlDeviceImage *image);
/* The CUDA device that holds it. */
int             ptl_device_image_get_device (const PtlDeviceImage *image);
gsize           ptl_device_image_get_bytes (const PtlDeviceImage *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlDeviceImage, ptl_device_image_unref)

/* The CUDA module's GL entry points, found by name with ptl_cuda_module_symbol. They must
 * be called with the GL context that owns `buffer` current.
 *
 * devices: the CUDA devices that drive the current GL context (at most `max`), FALSE with
 *   the reason when none does (another vendor's GL, software GL, no GPU).
 * register: makes the pixel-unpack buffer `buffer` (its storage already sized) writable
 *   from CUDA device `device`; the handle is for copy and unregister.
 * copy: once the image's copy on the device is complete, writes its bytes to the start of
 *   the buffer, without a trip through the host; GL commands issued afterwards see them.
 *   The buffer must hold at least the image's bytes. */
#define PTL_CUDA_GL_DEVICES "ptl_cuda_gl_devices"
#define PTL_CUDA_GL_REGISTER "ptl_cuda_gl_register"
#define PTL_CUDA_GL_COPY "ptl_cuda_gl_copy"
#define PTL_CUDA_GL_UNREGISTER "ptl_cuda_gl_unregister"

typedef gboolean (*PtlCudaGlDevices) (int     *devices,
                                      guint    max,
                                      guint   *count,
                                      GError **error);
typedef gpointer (*PtlCudaGlRegister) (guint    buffer,
                                       int      device,
                                       GError **error);
typedef gboolean (*PtlCudaGlCopy) (gpointer              handle,
                                   const PtlDeviceImage *image,
                                   GError              **error);
typedef void (*PtlCudaGlUnregister) (gpointer handle);

G_END_DECLS
