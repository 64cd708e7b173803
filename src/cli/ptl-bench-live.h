/* ptycholive-bench live: a simulated scan streamed over loopback at a given rate into a
 * headless live run (recorded, reconstructed, result written). */
#pragma once

int bench_live (int    argc,
                char **argv);
