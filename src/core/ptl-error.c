#include "config.h"

#include "ptl-error.h"

G_DEFINE_QUARK (ptl-param-error-quark, ptl_param_error)
G_DEFINE_QUARK (ptl-io-error-quark, ptl_io_error)
G_DEFINE_QUARK (ptl-backend-error-quark, ptl_backend_error)
