/* CUDA-GL interop for the image views: a GL pixel-unpack buffer that the CUDA module fills
 * device to device from an image the engine left on the GPU (recon/ptl-device-image.h).
 * Every call wants the GL context that owns the buffer current. */
#pragma once

#include <epoxy/gl.h>
#include <glib.h>

#include "recon/ptl-device-image.h"

G_BEGIN_DECLS

typedef struct _PtlGlInterop PtlGlInterop;

/* Whether CUDA device `device` drives the current GL context; FALSE with the reason
 * (no CUDA module, another GPU, software or another vendor's GL). */
gboolean      ptl_gl_interop_supported (int      device,
                                        GError **error);
/* Registers `buffer`, whose storage must already have its final size (GL may not
 * respecify a registered buffer's storage). */
PtlGlInterop *ptl_gl_interop_new (GLuint   buffer,
                                  int      device,
                                  GError **error);
/* The image's bytes to the start of the buffer, ordered before later GL commands. */
gboolean      ptl_gl_interop_copy (PtlGlInterop         *interop,
                                   const PtlDeviceImage *image,
                                   GError              **error);
void          ptl_gl_interop_free (PtlGlInterop *interop);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlGlInterop, ptl_gl_interop_free)

G_END_DECLS
