/* The CUDA module's GL entry points, looked up by name: the GUI has no CUDA linkage and
 * runs where there is none. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-GL"

#include "gui/ptl-gl-interop.h"

#include "core/ptl-error.h"
#include "core/ptl-module.h"

struct _PtlGlInterop
{
  gpointer handle;
};

typedef struct
{
  PtlCudaGlDevices    devices;
  PtlCudaGlRegister   register_buffer;
  PtlCudaGlCopy       copy;
  PtlCudaGlUnregister unregister;
} EntryPoints;

static const EntryPoints *
entry_points (GError **error)
{
  static EntryPoints points;
  static gboolean found;

  /* GL calls come from the GUI thread only. */
  if (!found
      && ptl_cuda_module_symbol (PTL_CUDA_GL_DEVICES, (gpointer *) &points.devices, error)
      && ptl_cuda_module_symbol (PTL_CUDA_GL_REGISTER, (gpointer *) &points.register_buffer,
                                 error)
      && ptl_cuda_module_symbol (PTL_CUDA_GL_COPY, (gpointer *) &points.copy, error)
      && ptl_cuda_module_symbol (PTL_CUDA_GL_UNREGISTER, (gpointer *) &points.unregister, error))
    found = TRUE;
  return found ? &points : NULL;
}

gboolean
ptl_gl_interop_supported (int      device,
                          GError **error)
{
  const EntryPoints *points = entry_points (error);
  int devices[8];
  guint count = 0;

  if (points == NULL || !points->devices (devices, G_N_ELEMENTS (devices), &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++)
    if (devices[i] == device)
      return TRUE;
  g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
               "The GL context runs on another GPU than the reconstruction (GPU %d)", device);
  return FALSE;
}

PtlGlInterop *
ptl_gl_interop_new (GLuint   buffer,
                    int      device,
                    GError **error)
{
  const EntryPoints *points = entry_points (error);
  gpointer handle;

  if (points == NULL || (handle = points->register_buffer (buffer, device, error)) == NULL)
    return NULL;
  PtlGlInterop *interop = g_new (PtlGlInterop, 1);
  interop->handle = handle;
  return interop;
}

gboolean
ptl_gl_interop_copy (PtlGlInterop         *interop,
                     const PtlDeviceImage *image,
                     GError              **error)
{
  const EntryPoints *points = entry_points (error);

  return points != NULL && points->copy (interop->handle, image, error);
}

void
ptl_gl_interop_free (PtlGlInterop *interop)
{
  const EntryPoints *points;

  if (interop == NULL)
    return;
  /* A handle exists only once the entry points were found. */
  points = entry_points (NULL);
  points->unregister (interop->handle);
  g_free (interop);
}
