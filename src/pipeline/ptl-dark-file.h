/* Dark frames from HDF5 files, for the preprocessing's calibration. The first of these
 * datasets that exists is read: a 2-D mean dark (any number type, ADU) or a 3-D series of
 * uint16 dark frames, averaged here.
 *   /dark                        a plain mean dark or series
 *   /entry/instrument/detector/dark
 *   /entry/data/data             a NeXus dark series, as DECTRIS detectors write it */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"

G_BEGIN_DECLS

/* float [rows][cols] ADU, or NULL with a PTL_IO_ERROR that names the file and what is
 * wrong (missing, no dark in it, a shape other than rows×cols, more frames than 4096). */
PtlArray *ptl_dark_file_read (const char *path,
                              guint       rows,
                              guint       cols,
                              GError    **error);

G_END_DECLS
