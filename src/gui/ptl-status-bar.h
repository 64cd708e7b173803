/* The status bar: the run's state and its counters (frames received, paired, recorded,
 * reconstructed, skipped; rate, position lag, latency, iteration, error). */
#pragma once

#include <gtk/gtk.h>

#include "pipeline/ptl-pipeline.h"

G_BEGIN_DECLS

#define PTL_TYPE_STATUS_BAR (ptl_status_bar_get_type ())
G_DECLARE_FINAL_TYPE (PtlStatusBar, ptl_status_bar, PTL, STATUS_BAR, GtkWidget)

GtkWidget  *ptl_status_bar_new (void);
/* Shows the state and counters of `snapshot` (NULL: nothing yet). */
void        ptl_status_bar_update (PtlStatusBar      *bar,
                                   const PtlSnapshot *snapshot);
/* A note beside the counters (the pointer readout, an error); NULL clears it. */
void        ptl_status_bar_set_message (PtlStatusBar *bar,
                                        const char   *message);
/* The counters as shown, for tests and logs. */
const char *ptl_status_bar_get_counters_text (PtlStatusBar *bar);
const char *ptl_status_bar_get_message (PtlStatusBar *bar);

G_END_DECLS
