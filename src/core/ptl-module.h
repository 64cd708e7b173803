/* The CUDA module, found and opened once for the whole process: the reconstruction and the
 * preprocessing each take their own entry point from it. */
#pragma once

#include <gmodule.h>

G_BEGIN_DECLS

/* The opened module (resident: never unmapped) or NULL with PTL_BACKEND_ERROR_UNAVAILABLE.
 * Looks in $PTL_BACKEND_DIR, then the build tree, then the install folder. */
GModule *ptl_cuda_module_open (GError **error);

/* The named entry point of the CUDA module. */
gboolean ptl_cuda_module_symbol (const char *name,
                                 gpointer   *symbol,
                                 GError    **error);

G_END_DECLS
