/* The headless live run: the whole pipeline (a detector and PandA stream, a recording, or
 * the simulator on loopback) without a display. Progress is printed about once a second;
 * the result file and the recording are written as the configuration says. */
#pragma once

#include <glib.h>

#include "pipeline/ptl-pipeline.h"

G_BEGIN_DECLS

typedef struct
{
  PtlPipelineConfig config;
  guint             series_timeout; /* seconds without a new frame that end the run; 0 = never */
  gboolean          quiet;          /* only the final summary */
  gboolean          silent;         /* nothing on stdout (a benchmark prints its own rows) */
} PtlLiveOptions;

/* Fails when the configuration is not valid (PTL_PARAM_ERROR), a source cannot be opened,
 * or the series failed. Ending on a signal or the timeout is not a failure. The final
 * snapshot and the one taken at the end of the scan, when there are, are returned in
 * `final` and `scan_end` (each may be NULL). */
gboolean ptl_headless_live_run (const PtlLiveOptions *options,
                                PtlSnapshot         **final,
                                PtlSnapshot         **scan_end,
                                GError              **error);

void     ptl_headless_live_print_summary (const PtlSnapshot *snapshot);

G_END_DECLS
