/* Internals shared by the HDF5 helpers' files (ptl-hdf5-util*.c). */
#pragma once

#include <glib.h>
#include <hdf5.h>

#include "core/ptl-error.h"

G_BEGIN_DECLS

/* "object: what": the content of the object (@name relative to @loc, NULL or "." for @loc
 * itself) is not what the caller expects. */
void     _ptl_h5_set_error (GError    **error,
                            PtlIoError  code,
                            hid_t       loc,
                            const char *name,
                            const char *format,
                            ...) G_GNUC_PRINTF (5, 6);
/* "object: what (HDF5's reason)": an HDF5 call failed just now. */
void     _ptl_h5_set_h5_error (GError    **error,
                               PtlIoError  code,
                               hid_t       loc,
                               const char *name,
                               const char *format,
                               ...) G_GNUC_PRINTF (5, 6);
/* A standard integer or IEEE float type, in either byte order. */
gboolean _ptl_h5_is_standard_number (hid_t type);

G_END_DECLS
