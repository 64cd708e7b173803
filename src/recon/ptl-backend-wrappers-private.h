/* Shared by the public wrappers around the ops table (ptl-backend.c and
 * ptl-backend-kernels.c) only: the backend handle and the bounds check every wrapper
 * applies before it calls a slot. */
#pragma once

#include "ptl-backend-private.h"

G_BEGIN_DECLS

struct _PtlBackend
{
  const PtlBackendOps *ops;
  gpointer             ctx;
};

/* TRUE when `bytes` at `offset` lie within `buffer` (not NULL); else a
 * PTL_PARAM_ERROR_RANGE that names `what`. */
gboolean _ptl_backend_check_range (const PtlBuffer *buffer,
                                   gsize            offset,
                                   gsize            bytes,
                                   const char      *what,
                                   GError         **error);

G_END_DECLS
