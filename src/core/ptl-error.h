/* Error domains shared by every stage. Functions that can fail on input return
 * gboolean (or a pointer) and fill a GError from one of these domains. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PTL_PARAM_ERROR (ptl_param_error_quark ())
#define PTL_IO_ERROR (ptl_io_error_quark ())
#define PTL_BACKEND_ERROR (ptl_backend_error_quark ())

/* A parameter or a combination of parameters that cannot describe a real experiment. */
typedef enum
{
  PTL_PARAM_ERROR_INVALID,  /* unknown value, wrong type, malformed text */
  PTL_PARAM_ERROR_RANGE,    /* a number outside its physical or configured range */
  PTL_PARAM_ERROR_GEOMETRY, /* sizes that do not fit together (frame vs object, overlap) */
  PTL_PARAM_ERROR_TOO_LARGE /* an allocation a parameter asks for exceeds the bound */
} PtlParamError;

typedef enum
{
  PTL_IO_ERROR_OPEN,
  PTL_IO_ERROR_READ,
  PTL_IO_ERROR_WRITE,
  PTL_IO_ERROR_FORMAT /* the file opened but its content is not what we expect */
} PtlIoError;

typedef enum
{
  PTL_BACKEND_ERROR_UNAVAILABLE, /* module missing or no device answers */
  PTL_BACKEND_ERROR_DEVICE,      /* the device reported an error */
  PTL_BACKEND_ERROR_MEMORY,      /* out of (device) memory */
  PTL_BACKEND_ERROR_FFT          /* FFT planning or execution failed */
} PtlBackendError;

GQuark ptl_param_error_quark (void);
GQuark ptl_io_error_quark (void);
GQuark ptl_backend_error_quark (void);

G_END_DECLS
