/* Bad Stream V2 input: each malformed message fails with a format error that says what
 * is wrong, and every truncation and random corruption of valid messages fails cleanly or
 * decodes, never worse. */
#include "config.h"

#include "core/ptl-error.h"
#include "stream/ptl-stream-v2.h"
#include "test-stream-v2-common.h"

static void
test_bad_input (void)
{
  static const struct { const char *hex; const char *channel; const char *expect; } cases[] = {
    { "", NULL, "empty message" },
    { "a1 6474797065 65 7374", NULL, "truncated" },
    { "a5 6474797065", NULL, "more items" },
    { "82 01 02", NULL, "not a CBOR map" },
    { "a0", NULL, "no \"type\"" },
    { "a1 " SERIES_ID "07", NULL, "no \"type\"" },
    { "a2 " TYPE ("63666f6f ") SERIES_ID "07", NULL, "unknown message type \"foo\"" },
    { "a1 " TYPE ("07"), NULL, "\"type\" is not text" },
    { "ff", NULL, "indefinite" },
    { "1c", NULL, "malformed" },
    { "c0 a0", NULL, "unexpected tag 0 on the message" },
    { "a1 01 02", NULL, "not text" },
    { "a2 " TYPE (END) SERIES_ID "07 00", NULL, "trailing bytes" },
    { "bf " TYPE (END) SERIES_ID "07 ff", NULL, "indefinite" },
    { "a3 " TYPE (END) SERIES_ID "07 " SERIES_ID "08", NULL, "appears twice" },
    { "a2 " TYPE (END) SERIES_ID "c1 07", NULL, "unexpected tag 1" },
    { "a2 " TYPE (END) SERIES_ID "f93c00", NULL, "integer or UTF-8 text" },
    { "a2 " TYPE (END) "63666f6f 9b0000000100000000", NULL, "more items" },
    { "a2 " TYPE (END) "63666f6f 81 ba00010000", NULL, "more items" },
    { "a1 " TYPE (END), NULL, "end without series_id" },
    { "a1 " TYPE (START), NULL, "start without series_id" },
    { "a3 " TYPE (START) SERIES_ID "07 " IMAGE_DTYPE "67666c6f61743332", NULL, "\"float32\"" },
    { "a3 " TYPE (START) SERIES_ID "07 " UNIQUE_ID "63 fffefd", NULL, "not UTF-8 text" },
    { "a3 " TYPE (START) SERIES_ID "07 " IMAGE_SIZE_X "1a00010000", NULL, "over 32768" },
    { "a3 " TYPE (START) SERIES_ID "07 " PIXEL_SIZE_X "f97e00", NULL, "finite" },
    { "a3 " TYPE (START) SERIES_ID "07 " USER_DATA "a1 f4 01", NULL, "neither UTF-8 text" },
    { "a4 " TYPE (START) SERIES_ID "07 " IMAGE_SIZE_X "03 "
      PIXEL_MASK "a1 " CH1 "d828 82 82 01 01 d846 44 00000000", NULL, "the image 0 × 3" },
    { "a3 " TYPE (START) SERIES_ID "07 " PIXEL_MASK "a1 " CH1 "d828 82 82 198000 198000 d846 "
      BSLZ4 "04 4c 0000000100000000 00002000", NULL, "cannot hold" },
    { SELF "a3 " TYPE (IMAGE) SERIES_ID "07 " DATA "a1 " CH1 MD_2X3 U16_2X3, NULL,
      "without image_id" },
    { SELF "a3 " TYPE (IMAGE) IMAGE_ID "07 " DATA "a1 " CH1 MD_2X3 U16_2X3, NULL,
      "without series_id" },
    { SELF "a4 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "20 " DATA "a1 " CH1 MD_2X3 U16_2X3, NULL,
      "not an unsigned integer" },
    { SELF "a3 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "07", NULL, "without data" },
    { SELF "a4 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "07 " DATA "a0", NULL, "without data" },
    { SELF "a5 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "07 " REAL_TIME "82 01 00 "
      DATA "a1 " CH1 MD_2X3 U16_2X3, NULL, "zero denominator" },
    { SELF "a5 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "07 " REAL_TIME "83 01 02 03 "
      DATA "a1 " CH1 MD_2X3 U16_2X3, NULL, "[numerator, denominator]" },
    { IMAGE_WITH (MD_2X3 U16_2X3), "threshold_9", "for channel \"threshold_9\"" },
    { IMAGE_WITH ("82 82 02 03 " U16_2X3), NULL, "tag 40" },
    { IMAGE_WITH ("d829 82 82 02 03 " U16_2X3), NULL, "tag 40" },
    { IMAGE_WITH ("d828 82 83 01 01 01 d840 41 00"), NULL, "[rows, cols]" },
    { IMAGE_WITH (MD_2X3 "d842 4c 000100020003000400050006"), NULL, "big-endian" },
    { IMAGE_WITH ("d828 82 82 01 01 d847 48 0100000000000000"), NULL, "typed array tag 71" },
    { IMAGE_WITH (MD_2X3 "4c 010002000300040005000600"), NULL, "not a typed array" },
    { IMAGE_WITH (MD_2X3 "d845 4a 01000200030004000500"), NULL, "bytes expected" },
    { IMAGE_WITH (MD_2X3 "d845 5f 4c 010002000300040005000600 ff"), NULL, "indefinite" },
    { IMAGE_WITH ("d828 82 82 199c40 01 d840 40"), NULL, "outside 1 to 32768" },
    { IMAGE_WITH ("d828 82 82 00 01 d840 40"), NULL, "outside 1 to 32768" },
    { IMAGE_WITH (MD_2X3 "d845 d9dcb4 83 647a737464 02 " PAYLOAD_12), NULL,
      "unknown compression \"zstd\"" },
    { IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "04 " PAYLOAD_12), NULL, "disagrees" },
    { IMAGE_WITH (MD_2X3 BSLZ4 "03 " PAYLOAD_12), NULL, "element size 3 is not" },
    { IMAGE_WITH (MD_2X3 "d9dcb4 83 636c7a34 00 " PAYLOAD_12), NULL, "element size 0 is not" },
    { IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 4f 000000000000000d 00002000 aabbcc"), NULL,
      "the dims say 12" },
    { IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 45 0000000000"), NULL, "shorter than their header" },
    { IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 f6"), NULL, "[algorithm, modifier, bytes]" },
    { IMAGE_WITH (MD_2X3 "d845 d845 " BSLZ4 "02 " PAYLOAD_12), NULL, "more than 2 tags" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) message = test_stream_v2_hex (cases[i].hex);

      g_test_message ("case %u: expecting \"%s\"", i, cases[i].expect);
      test_stream_v2_decode_bad (message, cases[i].channel, cases[i].expect);
    }
}

static void
test_deep_user_data (void)
{
  g_autoptr (GString) text = g_string_new ("a3 " TYPE (START) SERIES_ID "07 " USER_DATA);
  g_autoptr (GBytes) message = NULL;

  for (guint i = 0; i < 40; i++)
    g_string_append (text, "81");
  g_string_append (text, "00");
  message = test_stream_v2_hex (text->str);
  test_stream_v2_decode_bad (message, NULL, "nested deeper than 32");
}

static GPtrArray *
valid_messages (void)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (PtlSeriesInfo) series = test_stream_v2_make_series ();
  g_autoptr (GBytes) pixels = test_stream_v2_random_bytes (5 * 7 * 2);
  PtlImageInfo image = { .series_id = "12", .image_id = 3, .rows = 5, .cols = 7,
                         .element_size = 2, .encoding = PTL_ENCODING_RAW, .data = pixels };

  g_ptr_array_add (messages, ptl_stream_v2_encode_start (series, NULL));
  g_ptr_array_add (messages, ptl_stream_v2_encode_image (&image, NULL));
  g_ptr_array_add (messages, ptl_stream_v2_encode_end ("12"));
  g_ptr_array_add (messages, test_stream_v2_hex (test_stream_v2_hand_start));
  g_ptr_array_add (messages,
                   test_stream_v2_hex (IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 " PAYLOAD_12)));
  return messages;
}

static void
test_truncated (void)
{
  g_autoptr (GPtrArray) messages = valid_messages ();

  for (guint m = 0; m < messages->len; m++)
    {
      GBytes *message = messages->pdata[m];

      for (gsize cut = 0; cut < g_bytes_get_size (message); cut++)
        {
          g_autoptr (GBytes) prefix = g_bytes_new_from_bytes (message, 0, cut);

          test_stream_v2_decode_bad (prefix, NULL, NULL);
        }
    }
}

/* Random corruption: each message decodes or fails with a format error, never worse. */
static void
test_flipped (void)
{
  g_autoptr (GPtrArray) messages = valid_messages ();
  guint failures = 0, trials = 0;

  for (guint m = 0; m < messages->len; m++)
    for (guint trial = 0; trial < 2000; trial++)
      {
        gsize len = g_bytes_get_size (messages->pdata[m]);
        guint8 *copy = g_memdup2 (g_bytes_get_data (messages->pdata[m], NULL), len);
        g_autoptr (GBytes) message = NULL;
        g_autoptr (GError) error = NULL;
        g_autoptr (PtlStreamEvent) event = NULL;
        guint flips = g_test_rand_int_range (1, 4);

        for (guint f = 0; f < flips; f++)
          copy[g_test_rand_int_range (0, len)] ^= g_test_rand_int_range (1, 256);
        message = g_bytes_new_take (copy, len);
        event = ptl_stream_v2_decode (message, trial % 2 ? "threshold_1" : NULL, &error);
        trials++;
        if (event == NULL)
          {
            g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
            failures++;
          }
        else if (event->type == PTL_STREAM_EVENT_IMAGE)
          test_stream_v2_assert_view (message, event->image->data);
      }
  g_test_message ("%u of %u corrupted messages rejected", failures, trials);
  g_assert_cmpuint (failures, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stream-v2/bad/input", test_bad_input);
  g_test_add_func ("/stream-v2/bad/deep-user-data", test_deep_user_data);
  g_test_add_func ("/stream-v2/bad/truncated", test_truncated);
  g_test_add_func ("/stream-v2/bad/flipped", test_flipped);

  return g_test_run ();
}
