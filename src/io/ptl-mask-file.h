/* Detector masks from HDF5 files, for the calibration of preprocessing. The first of these
 * datasets that exists is read, any integer type, nonzero = bad pixel:
 *   /entry/instrument/detector/pixel_mask     NeXus, as DECTRIS detectors write it
 *   /entry_1/instrument_1/detector_1/mask     CXI (bit flags)
 *   /mask                                     a plain mask */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns [rows][cols] with 1 = good, 0 = bad (free with g_free), or NULL with a
 * PTL_IO_ERROR that names the file: missing or not HDF5, no mask dataset, not integers, or
 * a shape other than rows×cols. */
guint8 *ptl_mask_file_read (const char *path,
                            guint       rows,
                            guint       cols,
                            GError    **error);

G_END_DECLS
