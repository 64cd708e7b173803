/* ptycholive-bench stream: a DECTRIS-style bitshuffle+LZ4 frame decoded on one core, then
 * streamed over TCP loopback (ptl-bench-stream-tcp.c). The
 * whole frame is measured against plain LZ4 decompression of the same blocks (the floor
 * that the bit transpose adds to), the rows of a crop against the whole frame (what the
 * live path saves by decompressing only their blocks), and encoding on its own. */
#include "config.h"

#include "ptl-bench.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "core/ptl-array.h"
#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"
#include "sim/ptl-sim.h"
#include "stream/ptl-bitshuffle.h"
#include "stream/ptl-bslz4.h"

/* The reference beamline's sCMOS frame, and its crop: 512 rows round the centre. */
#define ROWS 2048
#define COLS 2048
#define CROP_BEGIN 768
#define CROP_END 1280
/* The pattern fills the crop: 256² pattern pixels of 2×2 detector pixels. */
#define PATTERN 256
#define BIN 2
#define BLOCK_BYTES 8192

#define FRAME_BYTES ((gsize) ROWS * COLS * sizeof (guint16))

/* Exposures of the same pattern (fresh noise in each) sent in turn over the network. */
#define NETWORK_FRAMES 4

typedef struct
{
  double   seconds;
  guint    network_images;
  guint16 *frame;
  guint16 *network[NETWORK_FRAMES];
  GBytes  *blob;
  guint16 *out;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->frame);
  for (guint k = 0; k < NETWORK_FRAMES; k++)
    g_free (run->network[k]);
  g_clear_pointer (&run->blob, g_bytes_unref);
  g_free (run->out);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* A far-field pattern of the simulator exposed on the default sCMOS: Poisson photons, a
 * dark offset of ~100 ADU with its pixel-to-pixel spread, read noise, hot and dead pixels. */
static gboolean
simulate_frame (Run     *run,
                GError **error)
{
  PtlSimParams sim;
  PtlRawParams raw;

  ptl_sim_params_init (&sim);
  sim.n_frames = 1;
  sim.geometry.frame_size = PATTERN;
  sim.geometry.bin = BIN;
  /* The default binned pixel, so that the probe's window stays the default. */
  sim.geometry.detector_pixel /= BIN;
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, NULL, error);
  ptl_sim_params_clear (&sim);
  if (scan == NULL)
    return FALSE;

  ptl_raw_params_init (&raw);
  raw.rows = ROWS;
  raw.cols = COLS;
  raw.centre_row = ROWS / 2;
  raw.centre_col = COLS / 2;
  raw.bin = BIN;
  g_autoptr (PtlRawDetector) detector = ptl_raw_detector_new (&raw, error);
  if (detector == NULL)
    return FALSE;
  run->frame = g_new (guint16, (gsize) ROWS * COLS);
  if (!ptl_raw_detector_expose (detector, ptl_array_float (scan->intensity), PATTERN, run->frame,
                                error))
    return FALSE;
  for (guint k = 0; k < NETWORK_FRAMES; k++)
    {
      run->network[k] = g_new (guint16, (gsize) ROWS * COLS);
      if (!ptl_raw_detector_expose (detector, ptl_array_float (scan->intensity), PATTERN,
                                    run->network[k], error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
decode_frame (Run     *run,
              GError **error)
{
  gsize len;
  const guint8 *src = g_bytes_get_data (run->blob, &len);

  return ptl_bslz4_decode (src, len, sizeof (guint16), run->out, FRAME_BYTES, error);
}

static gboolean
decode_crop (Run     *run,
             GError **error)
{
  gsize len;
  const guint8 *src = g_bytes_get_data (run->blob, &len);

  return ptl_bslz4_decode_rows (src, len, sizeof (guint16), COLS, CROP_BEGIN, CROP_END, run->out,
                                error);
}

/* The floor: the same LZ4 blocks into the same frame, with no bit transpose. The frame
 * fills whole blocks, so there is no raw tail. */
static gboolean
decode_lz4_only (Run     *run,
                 GError **error)
{
  gsize len, pos = 12;
  const guint8 *src = g_bytes_get_data (run->blob, &len);
  char *out = (char *) run->out;

  for (gsize offset = 0; offset < FRAME_BYTES; offset += BLOCK_BYTES)
    {
      guint32 csize;
      memcpy (&csize, src + pos, sizeof csize);
      csize = GUINT32_FROM_BE (csize);
      if (LZ4_decompress_safe ((const char *) src + pos + 4, out + offset, (int) csize,
                               BLOCK_BYTES) != BLOCK_BYTES)
        {
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "LZ4 block at %zu is corrupt",
                       pos);
          return FALSE;
        }
      pos += 4 + csize;
    }
  return TRUE;
}

static gboolean
encode_frame (Run     *run,
              GError **error)
{
  g_autoptr (GBytes) blob = ptl_bslz4_encode (run->frame, (gsize) ROWS * COLS, sizeof (guint16),
                                              BLOCK_BYTES, error);
  return blob != NULL;
}

typedef gboolean (*Work) (Run     *run,
                          GError **error);

/* Seconds per call, over at least run->seconds after one untimed call. */
static gboolean
time_calls (Run     *run,
            Work     work,
            double  *seconds,
            GError **error)
{
  guint64 calls = 0;

  if (!work (run, error))
    return FALSE;
  g_autoptr (GTimer) timer = g_timer_new ();
  do
    {
      if (!work (run, error))
        return FALSE;
      calls++;
    }
  while (g_timer_elapsed (timer, NULL) < run->seconds);
  *seconds = g_timer_elapsed (timer, NULL) / calls;
  return TRUE;
}

/* The figures mean nothing unless the decoded pixels are the frame's. */
static gboolean
check_decoded (Run     *run,
               gsize    first_pixel,
               gsize    n_pixels,
               GError **error)
{
  if (memcmp (run->out, run->frame + first_pixel, n_pixels * sizeof (guint16)) != 0)
    {
      g_set_error_literal (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                           "The decoded pixels differ from the encoded ones");
      return FALSE;
    }
  return TRUE;
}

static gboolean
bench (Run        *run,
       const char *machine,
       GError    **error)
{
  double full, floor_lz4, crop, encode;

  if (!simulate_frame (run, error))
    return FALSE;
  run->blob = ptl_bslz4_encode (run->frame, (gsize) ROWS * COLS, sizeof (guint16), BLOCK_BYTES,
                                error);
  run->out = g_new (guint16, (gsize) ROWS * COLS);
  if (run->blob == NULL
      || !decode_crop (run, error)
      || !check_decoded (run, (gsize) CROP_BEGIN * COLS, (gsize) (CROP_END - CROP_BEGIN) * COLS,
                         error)
      || !decode_frame (run, error)
      || !check_decoded (run, 0, (gsize) ROWS * COLS, error)
      || !time_calls (run, decode_frame, &full, error)
      || !time_calls (run, decode_lz4_only, &floor_lz4, error)
      || !time_calls (run, decode_crop, &crop, error)
      || !time_calls (run, encode_frame, &encode, error))
    return FALSE;

  const char *isa = ptl_bitshuffle_isa_name (ptl_bitshuffle_best_isa ());
  double ratio = (double) FRAME_BYTES / g_bytes_get_size (run->blob);
  g_autofree char *frame_text = g_strdup_printf ("%u×%u uint16 sCMOS frame (simulated far-field "
                                                 "pattern, dark ~100 ADU, Poisson and read "
                                                 "noise), bitshuffle+LZ4 in %u-byte blocks "
                                                 "compressing %.2f×, bit transpose in %s, one "
                                                 "frame over and over",
                                                 ROWS, COLS, BLOCK_BYTES, ratio, isa);
  g_autofree char *full_text = g_strdup_printf ("%s, whole frame decoded", frame_text);
  BenchRow row = {
    .bench = "stream",
    .case_text = full_text,
    .metric = "gbytes_per_second",
    .value = FRAME_BYTES / full / 1e9,
    .unit = "GB/s",
    .backend = "cpu",
    .threads = 1,
    .machine = machine,
    .baseline = "plain LZ4 decompression of the same blocks into the frame, no bit transpose "
                "(the floor)",
    .baseline_value = FRAME_BYTES / floor_lz4 / 1e9,
  };
  print_row (&row);

  row.metric = "frames_per_second";
  row.value = 1.0 / full;
  row.unit = "frames/s";
  row.baseline_value = 1.0 / floor_lz4;
  print_row (&row);

  g_autofree char *crop_text = g_strdup_printf ("%s, rows %u–%u (%u of %u) decoded: only the "
                                                "blocks that hold them are decompressed",
                                                frame_text, CROP_BEGIN, CROP_END,
                                                CROP_END - CROP_BEGIN, ROWS);
  row.case_text = crop_text;
  row.metric = "us_per_frame";
  row.value = crop * 1e6;
  row.unit = "us";
  row.baseline = "the whole frame decoded (target: ratio ≤ 0.30)";
  row.baseline_value = full * 1e6;
  print_row (&row);

  g_autofree char *encode_text = g_strdup_printf ("%s, whole frame encoded (GB/s of the raw "
                                                  "frame)",
                                                  frame_text);
  row.case_text = encode_text;
  row.metric = "gbytes_per_second";
  row.value = FRAME_BYTES / encode / 1e9;
  row.unit = "GB/s";
  row.baseline = NULL;
  print_row (&row);

  return bench_stream_tcp ((const guint16 *const *) run->network, NETWORK_FRAMES, ROWS, COLS,
                           CROP_BEGIN, CROP_END, run->network_images, machine, error);
}

int
bench_stream (int    argc,
              char **argv)
{
  g_autoptr (GError) error = NULL;
  double seconds = 2.0;
  int images = 2000;
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Least time of each measurement", "S" },
    { "images", 0, 0, G_OPTION_ARG_INT, &images, "Images streamed over TCP loopback (default "
      "2000)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("stream — bitshuffle+LZ4 decoding "
                                                             "of a frame and of a crop");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (!(seconds > 0.0 && seconds <= 3600.0))
    {
      g_printerr ("ptycholive-bench: need 0 < --seconds ≤ 3600\n");
      return EXIT_USAGE;
    }

  if (!(images >= 1 && images <= 1000000))
    {
      g_printerr ("ptycholive-bench: need 1 ≤ --images ≤ 1000000\n");
      return EXIT_USAGE;
    }

  g_auto (Run) run = { .seconds = seconds, .network_images = (guint) images };
  g_autofree char *machine = cpu_model ();
  if (!bench (&run, machine, &error))
    {
      g_printerr ("ptycholive-bench: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
