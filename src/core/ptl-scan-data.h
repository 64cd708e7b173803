/* One ptychographic scan as the reconstruction sees it: preprocessed patterns in photons,
 * the mask, and where each pattern was taken, both on the object canvas and on the stage. */
#pragma once

#include <glib.h>

#include "ptl-array.h"
#include "ptl-geometry.h"

G_BEGIN_DECLS

typedef struct
{
  PtlGeometry    geometry;
  PtlAxisMapping mapping;
  guint          n_frames;
  PtlArray      *intensity;   /* float [n][M][M], photons, zero frequency at (M/2, M/2) */
  guint8        *mask;        /* [M][M], 1 = measured, 0 = left free; NULL = all measured */
  double        *positions;   /* [n][2] (row, col): top-left of the M×M window on the canvas, px */
  double        *translation; /* [n][2] (x, y): sample translation on the stage, metres */
  guint          canvas_rows; /* object canvas that holds every window */
  guint          canvas_cols;
} PtlScanData;

PtlScanData *ptl_scan_data_new (const PtlGeometry    *geometry,
                                const PtlAxisMapping *mapping,
                                guint                 n_frames,
                                GError              **error);
void         ptl_scan_data_free (PtlScanData *scan);
void         ptl_scan_data_place_on_canvas (PtlScanData *scan,
                                            guint        margin);
gboolean     ptl_scan_data_validate (const PtlScanData *scan,
                                     GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlScanData, ptl_scan_data_free)

G_END_DECLS
