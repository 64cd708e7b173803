#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-panda.h"

/* Messages as PandABlocks-ioc publishes them (reference/protocols.md §2.4), written out by
 * hand so that the decoder is checked against the layout, not against our encoder. */
#define START "{\"msg_type\": \"start\", \"arm_time\": \"2026-02-03T10:00:00.000000000Z\"," \
              " \"start_time\": null, \"hw_time_offset_ns\": null}"
#define STOP(n) "{\"msg_type\": \"stop\", \"emitted_frames\": " #n "}"
#define DATASET(name, start, size, values) \
  "\"" name "\": {\"dtype\": \"float64\", \"size\": " #size ", \"starting_sample_number\": " \
  #start ", \"data\": [" values "]}"
/* x is /FMC_IN.VAL1.Mean, y is /FMC_IN.VAL2.Mean, as in the DLS deployment. */
#define DATA(frame, start, size, xs, ys) \
  "{\"msg_type\": \"data\", \"frame_number\": " #frame ", \"datasets\": {" \
  DATASET ("/FMC_IN.VAL1.Mean", start, size, xs) ", " \
  DATASET ("/FMC_IN.VAL2.Mean", start, size, ys) ", " \
  DATASET ("/INENC4.VAL.Mean", start, size, xs) "}}"

static PtlPandaDecoder *
decoder_new (guint samples_per_frame,
             double scale,
             guint reorder_window)
{
  PtlPandaConfig config = { "/FMC_IN.VAL1.Mean", "FMC_IN.VAL2.Mean", samples_per_frame, scale,
                            reorder_window };
  g_autoptr (GError) error = NULL;
  PtlPandaDecoder *decoder = ptl_panda_decoder_new (&config, &error);

  g_assert_no_error (error);
  return decoder;
}

static PtlPandaMsgType
push (PtlPandaDecoder *decoder,
      const char      *text,
      GArray          *positions)
{
  g_autoptr (GBytes) message = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;
  PtlPandaMsgType type = -1;

  g_assert_true (ptl_panda_decoder_push (decoder, message, 42, &type, positions, &error));
  g_assert_no_error (error);
  return type;
}

/* Fails with a format error and leaves the positions as they were. */
static void
push_bad (PtlPandaDecoder *decoder,
          const char      *bytes,
          gsize            length,
          GArray          *positions)
{
  g_autoptr (GBytes) message = g_bytes_new (bytes, length);
  g_autoptr (GError) error = NULL;
  guint before = positions->len;
  guint64 bad = ptl_panda_decoder_counters (decoder).bad_messages;

  g_assert_false (ptl_panda_decoder_push (decoder, message, 0, NULL, positions, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_assert_cmpuint (positions->len, ==, before);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).bad_messages, ==, bad + 1);
}

static void
assert_position (GArray *positions,
                 guint   i,
                 guint64 index,
                 double  x,
                 double  y)
{
  PtlStagePosition *position;

  g_assert_cmpuint (i, <, positions->len);
  position = &g_array_index (positions, PtlStagePosition, i);
  g_assert_cmpuint (position->index, ==, index);
  g_assert_cmpfloat_with_epsilon (position->x, x, 1e-15);
  g_assert_cmpfloat_with_epsilon (position->y, y, 1e-15);
}

static GArray *
positions_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (PtlStagePosition));
}

static void
test_decode (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (1, 1e-6, 4);
  g_autoptr (GArray) positions = positions_new ();
  PtlPandaCounters counters;

  g_assert_cmpint (push (decoder, START, positions), ==, PTL_PANDA_MSG_START);
  g_assert_cmpstr (ptl_panda_decoder_get_arm_time (decoder), ==,
                   "2026-02-03T10:00:00.000000000Z");
  g_assert_true (ptl_panda_decoder_counters (decoder).running);
  g_assert_cmpint (push (decoder, DATA (0, 0, 3, "1.5, 2, -3.25", "10, 20.5, 30"), positions),
                   ==, PTL_PANDA_MSG_DATA);
  g_assert_cmpuint (positions->len, ==, 3);
  assert_position (positions, 0, 0, 1.5e-6, 10e-6);
  assert_position (positions, 1, 1, 2e-6, 20.5e-6);
  assert_position (positions, 2, 2, -3.25e-6, 30e-6);
  g_assert_cmpint (g_array_index (positions, PtlStagePosition, 2).received_us, ==, 42);
  push (decoder, DATA (1, 3, 1, "4", "40"), positions);
  assert_position (positions, 3, 3, 4e-6, 40e-6);
  g_assert_cmpint (push (decoder, STOP (2), positions), ==, PTL_PANDA_MSG_STOP);
  g_assert_cmpuint (positions->len, ==, 4);

  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (counters.messages, ==, 4);
  g_assert_cmpuint (counters.bad_messages, ==, 0);
  g_assert_cmpuint (counters.acquisitions, ==, 1);
  g_assert_false (counters.running);
  g_assert_cmpuint (counters.chunks, ==, 2);
  g_assert_cmpuint (counters.samples, ==, 4);
  g_assert_cmpuint (counters.positions, ==, 4);
  g_assert_cmpuint (counters.emitted_frames, ==, 2);
  g_assert_cmpuint (counters.lost_chunks, ==, 0);
  g_assert_cmpuint (counters.bad_samples + counters.late_samples + counters.gap_samples, ==, 0);
}

/* The configured names and the message's names match with or without the leading "/". */
static void
test_names (void)
{
  const char *names[][2] = {
    { "INENC1.VAL.Mean", "/INENC1.VAL.Mean" },
    { "/INENC1.VAL.Mean", "INENC1.VAL.Mean" },
    { "/INENC1.VAL.Mean", "/INENC1.VAL.Mean" },
    { "INENC1.VAL.Mean", "INENC1.VAL.Mean" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      PtlPandaConfig config = { names[i][0], "INENC2.VAL.Mean", 1, 1, 0 };
      g_autoptr (PtlPandaDecoder) decoder = ptl_panda_decoder_new (&config, NULL);
      g_autoptr (GArray) positions = positions_new ();
      g_autofree char *data = g_strdup_printf (
        "{\"msg_type\": \"data\", \"frame_number\": 0, \"datasets\": {"
        "\"INENC2.VAL.Mean\": {\"dtype\": \"int32\", \"size\": 2, \"starting_sample_number\": 0,"
        " \"data\": [-7, 8]},"
        "\"%s\": {\"dtype\": \"int32\", \"size\": 2, \"starting_sample_number\": 0,"
        " \"data\": [5, 6]}}}", names[i][1]);

      push (decoder, START, positions);
      push (decoder, data, positions);
      g_assert_cmpuint (positions->len, ==, 2);
      assert_position (positions, 0, 0, 5, -7);
      assert_position (positions, 1, 1, 6, 8);
    }
}

/* Sample k belongs to frame k / 3, across message boundaries; at stop the last frame
 * averages the samples it has. */
static void
test_averaging (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (3, 2, 4);
  g_autoptr (GArray) positions = positions_new ();

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 4, "1, 2, 3, 10", "0, 0, 3, -1"), positions);
  g_assert_cmpuint (positions->len, ==, 1);
  assert_position (positions, 0, 0, 4, 2);
  push (decoder, DATA (1, 4, 6, "11, 12, 7, 8, 9, 100", "-2, -3, 1, 1, 1, 5"), positions);
  g_assert_cmpuint (positions->len, ==, 3);
  assert_position (positions, 1, 1, 22, -4);
  assert_position (positions, 2, 2, 16, 2);
  push (decoder, STOP (2), positions);
  g_assert_cmpuint (positions->len, ==, 4);
  assert_position (positions, 3, 3, 200, 10);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).samples, ==, 10);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).positions, ==, 4);
}

/* A frame whose last samples never come is closed by the next frame's first sample. */
static void
test_averaging_gap (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (3, 1, 0);
  g_autoptr (GArray) positions = positions_new ();

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 2, "1, 2", "4, 6"), positions);
  g_assert_cmpuint (positions->len, ==, 0);
  push (decoder, DATA (2, 6, 2, "10, 20", "-1, -2"), positions);
  g_assert_cmpuint (positions->len, ==, 1);
  assert_position (positions, 0, 0, 1.5, 5);
  push (decoder, STOP (3), positions);
  g_assert_cmpuint (positions->len, ==, 2);
  assert_position (positions, 1, 2, 15, -1.5);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).gap_samples, ==, 4);
}

static void
test_reorder (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (1, 1, 4);
  g_autoptr (GArray) positions = positions_new ();
  PtlPandaCounters counters;

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 2, "0, 1", "0, -1"), positions);
  push (decoder, DATA (3, 6, 2, "6, 7", "-6, -7"), positions);
  push (decoder, DATA (2, 4, 2, "4, 5", "-4, -5"), positions);
  g_assert_cmpuint (positions->len, ==, 2);
  push (decoder, DATA (1, 2, 2, "2, 3", "-2, -3"), positions);
  g_assert_cmpuint (positions->len, ==, 8);
  for (guint i = 0; i < 8; i++)
    assert_position (positions, i, i, i, -(double) i);
  /* The same message again: nothing new. */
  push (decoder, DATA (1, 2, 2, "2, 3", "-2, -3"), positions);
  push (decoder, STOP (4), positions);
  g_assert_cmpuint (positions->len, ==, 8);

  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (counters.reordered_chunks, ==, 3);
  g_assert_cmpuint (counters.late_samples, ==, 2);
  g_assert_cmpuint (counters.gap_samples, ==, 0);
  g_assert_cmpuint (counters.lost_chunks, ==, 0);
}

/* With two messages held back at most, a third one gives up on the missing samples. */
static void
test_window_overflow (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (1, 1, 2);
  g_autoptr (GArray) positions = positions_new ();
  PtlPandaCounters counters;

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 2, "0, 1", "0, 0"), positions);
  push (decoder, DATA (3, 6, 2, "6, 7", "0, 0"), positions);
  push (decoder, DATA (4, 8, 2, "8, 9", "0, 0"), positions);
  g_assert_cmpuint (positions->len, ==, 2);
  push (decoder, DATA (5, 10, 2, "10, 11", "0, 0"), positions);
  g_assert_cmpuint (positions->len, ==, 8);
  assert_position (positions, 2, 6, 6, 0);
  assert_position (positions, 7, 11, 11, 0);
  /* Too late now. */
  push (decoder, DATA (1, 2, 2, "2, 3", "0, 0"), positions);
  /* A gap at stop: what is held back leaves across it. */
  push (decoder, DATA (7, 14, 1, "14", "0"), positions);
  g_assert_cmpuint (positions->len, ==, 8);
  push (decoder, STOP (8), positions);
  g_assert_cmpuint (positions->len, ==, 9);
  assert_position (positions, 8, 14, 14, 0);

  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (counters.gap_samples, ==, 4 + 2);
  g_assert_cmpuint (counters.late_samples, ==, 2);
  g_assert_cmpuint (counters.chunks, ==, 6);
  g_assert_cmpuint (counters.lost_chunks, ==, 2);
  g_assert_cmpuint (counters.reordered_chunks, ==, 1);
}

/* Without a window, every message leaves as it comes. */
static void
test_no_window (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (1, 1, 0);
  g_autoptr (GArray) positions = positions_new ();

  push (decoder, START, positions);
  push (decoder, DATA (1, 2, 2, "2, 3", "0, 0"), positions);
  push (decoder, DATA (0, 0, 2, "0, 1", "0, 0"), positions);
  g_assert_cmpuint (positions->len, ==, 2);
  assert_position (positions, 0, 2, 2, 0);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).gap_samples, ==, 2);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).late_samples, ==, 2);
}

static void
test_bad_samples (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (2, 1, 0);
  g_autoptr (GArray) positions = positions_new ();
  PtlPandaCounters counters;

  push (decoder, START, positions);
  /* Frame 0: x null → the frame keeps sample 1. Frame 1: y 1e400 (infinite) and x "NaN".
   * Frame 2: x true, then a good sample. Frame 3: good. */
  push (decoder, DATA (0, 0, 8, "null, 3, 1, \"NaN\", true, 5, 7, 9",
                       "1, 4, 1e400, 2, 0, 6, 8, 10"), positions);
  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (positions->len, ==, 3);
  assert_position (positions, 0, 0, 3, 4);
  assert_position (positions, 1, 2, 5, 6);
  assert_position (positions, 2, 3, 8, 9);
  g_assert_cmpuint (counters.bad_samples, ==, 4);
  g_assert_cmpuint (counters.samples, ==, 4);
  g_assert_cmpuint (counters.positions, ==, 3);
}

static void
test_bad_input (void)
{
  static const char *before_start[] = {
    DATA (0, 0, 1, "1", "1"),
    STOP (0),
  };
  static const char *bad[] = {
    "",
    "{",
    "not json",
    "[1, 2]",
    "\"data\"",
    "{\"msg_type\": \"data\"} trailing",
    "{}",
    "{\"msg_type\": 3}",
    "{\"msg_type\": {\"a\": 1}}",
    "{\"msg_type\": \"pause\"}",
    "{\"msg_type\": \"start\", \"arm_time\": 5}",
    "{\"msg_type\": \"stop\"}",
    "{\"msg_type\": \"stop\", \"emitted_frames\": -1}",
    "{\"msg_type\": \"stop\", \"emitted_frames\": \"2\"}",
    "{\"msg_type\": \"data\"}",
    "{\"msg_type\": \"data\", \"datasets\": []}",
    "{\"msg_type\": \"data\", \"frame_number\": 1.5, \"datasets\": {}}",
    "{\"msg_type\": \"data\", \"datasets\": {" DATASET ("/FMC_IN.VAL1.Mean", 0, 1, "1") "}}",
    "{\"msg_type\": \"data\", \"datasets\": {\"FMC_IN.VAL1.Mean\": [1],"
    " \"FMC_IN.VAL2.Mean\": [1]}}",
    "{\"msg_type\": \"data\", \"datasets\": {\"FMC_IN.VAL1.Mean\": {\"data\": [1]},"
    " \"FMC_IN.VAL2.Mean\": {\"data\": [1]}}}",
    "{\"msg_type\": \"data\", \"datasets\": {"
    "\"FMC_IN.VAL1.Mean\": {\"starting_sample_number\": 0, \"data\": 1},"
    "\"FMC_IN.VAL2.Mean\": {\"starting_sample_number\": 0, \"data\": [1]}}}",
    DATA (0, -1, 1, "1", "1"),
    DATA (0, 0.0, 1, "1", "1"),
    DATA (0, "0", 1, "1", "1"),
    DATA (0, 0, 2, "1", "1"),
    "{\"msg_type\": \"data\", \"datasets\": {" DATASET ("FMC_IN.VAL1.Mean", 0, 2, "1, 2") ", "
    DATASET ("FMC_IN.VAL2.Mean", 0, 1, "1") "}}",
    "{\"msg_type\": \"data\", \"datasets\": {" DATASET ("FMC_IN.VAL1.Mean", 0, 1, "1") ", "
    DATASET ("FMC_IN.VAL2.Mean", 1, 1, "1") "}}",
    "{\"msg_type\": \"data\", \"datasets\": {}, \"x\": NaN}",
  };
  static const char invalid_utf8[] = "{\"msg_type\": \"\xff\xfe\"}";
  static const char embedded_nul[] = "{\"msg_type\": \"start\"}\0{}";
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (1, 1, 4);
  g_autoptr (GArray) positions = positions_new ();
  g_autoptr (GString) nested = g_string_new ("{\"msg_type\": \"start\", \"x\": ");
  PtlPandaCounters counters;

  for (guint i = 0; i < G_N_ELEMENTS (before_start); i++)
    push_bad (decoder, before_start[i], strlen (before_start[i]), positions);

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 1, "1", "-1"), positions);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    push_bad (decoder, bad[i], strlen (bad[i]), positions);
  push_bad (decoder, invalid_utf8, sizeof invalid_utf8 - 1, positions);
  push_bad (decoder, embedded_nul, sizeof embedded_nul - 1, positions);
  /* Deep enough to overflow the parser's stack, were it parsed. */
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (nested, '[');
  push_bad (decoder, nested->str, nested->len, positions);

  /* Still usable, and still in the same acquisition. */
  push (decoder, DATA (1, 1, 1, "2", "-2"), positions);
  push (decoder, STOP (2), positions);
  g_assert_cmpuint (positions->len, ==, 2);
  assert_position (positions, 1, 1, 2, -2);
  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (counters.bad_messages, ==, G_N_ELEMENTS (before_start) + G_N_ELEMENTS (bad) + 3);
  g_assert_cmpuint (counters.messages, ==, counters.bad_messages + 4);
  g_assert_cmpuint (counters.chunks, ==, 2);
  g_assert_cmpuint (counters.acquisitions, ==, 1);
}

static void
test_config (void)
{
  const PtlPandaConfig bad[] = {
    { NULL, "y", 1, 1, 0 },
    { "x", "/", 1, 1, 0 },
    { "", "y", 1, 1, 0 },
    { "x", "y", 0, 1, 0 },
    { "x", "y", 1, 0, 0 },
    { "x", "y", 1, NAN, 0 },
    { "x", "y", 1, INFINITY, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (ptl_panda_decoder_new (&bad[i], &error));
      g_assert_true (error != NULL && error->domain == PTL_PARAM_ERROR);
    }
}

/* A start without a stop ends the previous acquisition; indices start again at 0. */
static void
test_restart (void)
{
  g_autoptr (PtlPandaDecoder) decoder = decoder_new (2, 1, 4);
  g_autoptr (GArray) positions = positions_new ();

  push (decoder, START, positions);
  push (decoder, DATA (0, 0, 2, "1, 3", "0, 0"), positions);
  push (decoder, DATA (2, 4, 1, "5", "0"), positions);
  push (decoder, DATA (0, 0, 1, "1", "0"), positions);
  push (decoder, "{\"msg_type\": \"start\", \"arm_time\": null}", positions);
  g_assert_cmpuint (positions->len, ==, 2);
  assert_position (positions, 1, 2, 5, 0);
  g_assert_null (ptl_panda_decoder_get_arm_time (decoder));
  push (decoder, DATA (0, 0, 2, "7, 9", "2, 2"), positions);
  g_assert_cmpuint (positions->len, ==, 3);
  assert_position (positions, 2, 0, 8, 2);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).acquisitions, ==, 2);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).gap_samples, ==, 2);
  g_assert_cmpuint (ptl_panda_decoder_counters (decoder).late_samples, ==, 1);
}

/* The publisher's encoder, reordering every third message, through the decoder. */
static void
test_round_trip (void)
{
  const guint n = 50;
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new ("/PANDA.X", "PANDA.Y", 7, 3);
  g_autoptr (PtlPandaDecoder) decoder = NULL;
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) positions = positions_new ();
  PtlPandaConfig config = { "PANDA.X", "/PANDA.Y", 1, 1e-9, 2 };
  g_autoptr (GError) error = NULL;
  double x[50], y[50];
  PtlPandaCounters counters;
  guint p = 0;

  decoder = ptl_panda_decoder_new (&config, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      x[i] = sin (i * 0.37) * 12345.678901234567;
      y[i] = i == 20 ? NAN : i / 3.0;
    }

  ptl_panda_encoder_start (encoder, "2026-01-01T00:00:00Z", messages);
  for (guint i = 0; i < n; i++)
    ptl_panda_encoder_add (encoder, x[i], y[i], messages);
  ptl_panda_encoder_stop (encoder, messages);
  /* start, 8 data messages (7 × 7 + 1), stop */
  g_assert_cmpuint (messages->len, ==, 10);

  for (guint i = 0; i < messages->len; i++)
    push (decoder, g_ptr_array_index (messages, i), positions);
  g_assert_cmpstr (ptl_panda_decoder_get_arm_time (decoder), ==, "2026-01-01T00:00:00Z");
  g_assert_cmpuint (positions->len, ==, n - 1);
  for (guint i = 0; i < n; i++)
    {
      PtlStagePosition *position;

      if (i == 20)
        continue;
      position = &g_array_index (positions, PtlStagePosition, p++);
      g_assert_cmpuint (position->index, ==, i);
      g_assert_cmpfloat (position->x, ==, x[i] * 1e-9);
      g_assert_cmpfloat (position->y, ==, y[i] * 1e-9);
    }

  counters = ptl_panda_decoder_counters (decoder);
  g_assert_cmpuint (counters.reordered_chunks, ==, 2);
  g_assert_cmpuint (counters.bad_samples, ==, 1);
  g_assert_cmpuint (counters.emitted_frames, ==, 8);
  g_assert_cmpuint (counters.lost_chunks + counters.gap_samples + counters.late_samples, ==, 0);
  g_assert_cmpuint (counters.bad_messages, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/panda/decode", test_decode);
  g_test_add_func ("/panda/names", test_names);
  g_test_add_func ("/panda/averaging", test_averaging);
  g_test_add_func ("/panda/averaging-gap", test_averaging_gap);
  g_test_add_func ("/panda/reorder", test_reorder);
  g_test_add_func ("/panda/window-overflow", test_window_overflow);
  g_test_add_func ("/panda/no-window", test_no_window);
  g_test_add_func ("/panda/bad-samples", test_bad_samples);
  g_test_add_func ("/panda/bad-input", test_bad_input);
  g_test_add_func ("/panda/config", test_config);
  g_test_add_func ("/panda/restart", test_restart);
  g_test_add_func ("/panda/round-trip", test_round_trip);

  return g_test_run ();
}
