/* ptycholive-sim MODE: the simulator as a beamline's sources. `stream` publishes a
 * simulated scan as a detector (DECTRIS Stream V2/V1 on PUSH) and a PandA (JSON on PUB)
 * would, with optional faults, so that the live path can be tested end to end. */
#include "config.h"

#include <glib.h>
#include <locale.h>
#include <stdlib.h>

#include "sim/ptl-stream-publisher.h"

#define EXIT_USAGE 2

static int
sim_stream (int    argc,
            char **argv)
{
  PtlPublisherParams params;
  g_autoptr (GError) error = NULL;
  g_autofree char *detector = NULL, *positions = NULL, *protocol = NULL, *encoding = NULL;
  g_autofree char *series_id = NULL, *from = NULL;
  gboolean raw = FALSE;
  int frames = 100, frame_size = 128, samples = 1, chunk = 10, late = 0, swap = 0;
  gint64 drop = -1, restart = -1, seed = 1;
  double rate = 0.0, jitter = 0.0, wait = 0.0;

  ptl_publisher_params_init (&params);
  const GOptionEntry entries[] = {
    { "detector", 0, 0, G_OPTION_ARG_STRING, &detector, "Detector endpoint to bind (PUSH)",
      "tcp://127.0.0.1:PORT" },
    { "positions", 0, 0, G_OPTION_ARG_STRING, &positions,
      "PandA endpoint to bind (PUB); none when not given", "tcp://127.0.0.1:PORT" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, "Detector stream: v2 (default) or v1",
      "v2|v1" },
    { "encoding", 0, 0, G_OPTION_ARG_STRING, &encoding, "Image encoding (default bslz4)",
      "raw|lz4|bslz4" },
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "Raw uint16 sCMOS frames instead of photon counts",
      NULL },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Images in the scan", "N" },
    { "frame-size", 0, 0, G_OPTION_ARG_INT, &frame_size, "Image side in pixels", "M" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Images per second (0: as fast as possible)",
      "HZ" },
    { "series-id", 0, 0, G_OPTION_ARG_STRING, &series_id, "Series id (default 1)", "ID" },
    { "samples-per-frame", 0, 0, G_OPTION_ARG_INT, &samples, "PandA samples per image", "N" },
    { "chunk-size", 0, 0, G_OPTION_ARG_INT, &chunk, "PandA samples per data message", "N" },
    { "jitter-ms", 0, 0, G_OPTION_ARG_DOUBLE, &jitter, "Rms error of the send time", "MS" },
    { "drop-frame", 0, 0, G_OPTION_ARG_INT64, &drop, "Never send this image", "K" },
    { "late-positions", 0, 0, G_OPTION_ARG_INT, &late,
      "Send the positions of image i after image i + K", "K" },
    { "swap-chunks", 0, 0, G_OPTION_ARG_INT, &swap, "Swap every N-th PandA data message", "N" },
    { "restart-at", 0, 0, G_OPTION_ARG_INT64, &restart,
      "Close and re-bind the detector socket after image K", "K" },
    { "wait-for-peer", 0, 0, G_OPTION_ARG_DOUBLE, &wait,
      "Seconds to wait before the first message, for clients to connect", "SECONDS" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed of the simulation", "N" },
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from,
      "Publish this recording (ours, or a CXI file of another program) instead of a "
      "simulation", "FILE.cxi" },
    { NULL }
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new ("stream — publish a simulated or recorded scan");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ptycholive-sim: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (detector == NULL || frames < 1 || frame_size < 1 || samples < 1 || chunk < 1 || late < 0
      || swap < 0 || seed < 0)
    {
      g_printerr ("ptycholive-sim: need --detector, and --frames, --frame-size, "
                  "--samples-per-frame, --chunk-size ≥ 1\n");
      return EXIT_USAGE;
    }
  if ((protocol != NULL && !ptl_publisher_protocol_from_string (protocol, &params.protocol,
                                                                &error))
      || (encoding != NULL && !ptl_encoding_from_string (encoding, &params.encoding, &error)))
    {
      g_printerr ("ptycholive-sim: %s\n", error->message);
      return EXIT_USAGE;
    }
  params.detector_endpoint = detector;
  params.positions_endpoint = positions;
  params.raw = raw;
  params.n_frames = (guint) frames;
  params.frame_size = (guint) frame_size;
  params.rate = rate;
  if (series_id != NULL)
    params.series_id = series_id;
  params.samples_per_frame = (guint) samples;
  params.chunk_size = (guint) chunk;
  params.jitter_ms = jitter;
  params.drop_frame = drop;
  params.late_positions = (guint) late;
  params.swap_every = (guint) swap;
  params.restart_at = restart;
  params.wait_for_peer = wait;
  params.seed = (guint64) seed;
  params.from_file = from;

  g_autoptr (PtlStreamPublisher) publisher = ptl_stream_publisher_new (&params, &error);
  if (publisher == NULL)
    {
      g_printerr ("ptycholive-sim: %s\n", error->message);
      return EXIT_USAGE;
    }
  g_print ("Publishing %u images on %s", ptl_stream_publisher_n_frames (publisher),
           ptl_stream_publisher_detector_endpoint (publisher));
  if (ptl_stream_publisher_positions_endpoint (publisher) != NULL)
    g_print (", positions on %s", ptl_stream_publisher_positions_endpoint (publisher));
  g_print ("\n");

  PtlPublisherCounters counters;
  gint64 start = g_get_monotonic_time ();
  if (!ptl_stream_publisher_run (publisher, NULL, &counters, &error))
    {
      g_printerr ("ptycholive-sim: %s\n", error->message);
      return EXIT_USAGE;
    }
  double seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_print ("Sent %" G_GUINT64_FORMAT " images, positions of %" G_GUINT64_FORMAT " images in %"
           G_GUINT64_FORMAT " PandA messages, %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
           " restarts in %.3f s (%.1f images/s)\n",
           counters.frames, counters.positions, counters.panda_messages, counters.bytes,
           counters.restarts, seconds, seconds > 0 ? counters.frames / seconds : 0.0);
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      g_print ("Usage: ptycholive-sim MODE [OPTIONS]\n\n"
               "Modes:\n"
               "  stream   publish a simulated scan as a detector and a PandA would\n");
      return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
  if (g_str_equal (argv[1], "stream"))
    return sim_stream (argc - 1, argv + 1);
  g_printerr ("ptycholive-sim: unknown mode “%s” (known: stream)\n", argv[1]);
  return EXIT_USAGE;
}
