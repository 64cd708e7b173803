/* Reconstruction results as CXI 1.6 files (reference/protocols.md §5.4 F): object and probe
 * as complex images, the positions actually used, the parameters and the error history. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-geometry.h"
#include "core/ptl-params.h"

G_BEGIN_DECLS

typedef struct
{
  PtlArray      *object;      /* complex [rows][cols] or [layers][rows][cols] */
  PtlArray      *probe;       /* complex [m][m] or [modes][m][m] */
  PtlGeometry    geometry;
  PtlAxisMapping mapping;
  double         pixel_size;  /* object-plane pixel, metres */
  guint          n_positions;
  double        *translation; /* [n][2] (x, y) sample translation used, metres */
  PtlReconParams params;
  guint          n_iterations;
  double        *errors;      /* [n_iterations] Fourier error per iteration */
  char          *backend;     /* e.g. "cpu" */
} PtlResult;

PtlResult *ptl_result_new (void);
void       ptl_result_free (PtlResult *result);
gboolean   ptl_result_file_write (const char      *path,
                                  const PtlResult *result,
                                  GError         **error);
PtlResult *ptl_result_file_read (const char *path,
                                 GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlResult, ptl_result_free)

G_END_DECLS
