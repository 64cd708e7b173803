/* ptycholive-bench MODE: performance figures, each measured against a baseline in the same
 * run and printed as one JSON object per line. */
#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdlib.h>

#include "gui/ptl-bench-gui.h"
#include "ptl-bench-live.h"
#include "ptl-bench.h"

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      g_print ("Usage: ptycholive-bench MODE [OPTIONS]\n\n"
               "Modes:\n"
               "  recon        every engine's cost per frame-iteration against its FFT floor\n"
               "  preprocess   raw-frame preprocessing against the naive NumPy routine\n"
               "  stream       bitshuffle+LZ4 decoding of a whole frame and of a crop's rows\n"
               "  live         a simulated scan streamed into a live run: wait after the scan\n"
               "  gui          the window under a live scan: main-loop stall, view refresh rate\n\n"
               "Each result is one JSON object per line.\n");
      return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
  if (g_str_equal (argv[1], "recon"))
    return bench_recon (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "preprocess"))
    return bench_preprocess (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "stream"))
    return bench_stream (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "live"))
    return bench_live (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "gui"))
    return ptl_bench_gui (argc - 1, argv + 1);
  g_printerr ("ptycholive-bench: unknown mode “%s” (known: recon, preprocess, stream, live, gui)\n",
              argv[1]);
  return EXIT_USAGE;
}
