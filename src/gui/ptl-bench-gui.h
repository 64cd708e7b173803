/* ptycholive-bench gui: the main window on a simulated live scan while the engine runs
 * flat out: how long the main loop stalls (95th percentile) and how often the views take
 * a new result. No GTK types here: the benchmark program calls it like its other modes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argv[0] is the mode's name. Prints JSON lines; returns the exit status (77: no display). */
int ptl_bench_gui (int    argc,
                   char **argv);

G_END_DECLS
