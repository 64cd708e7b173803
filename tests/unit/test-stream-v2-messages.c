/* Stream V2 messages of every type decoded: starts, images and ends from the project's
 * encoder, messages built with libcbor's item API (several channels, compressed masks),
 * and messages written out by hand from the protocol's layout.
 * Bad input: test-stream-v2-bad-input.c. */
#include "config.h"

#include <cbor.h>
#include <string.h>

#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v2.h"
#include "test-stream-v2-common.h"

/* A compressed payload is opaque here: a valid size header and arbitrary blocks. */
static GBytes *
fake_compressed (guint64 uncompressed)
{
  g_autoptr (GBytes) tail = test_stream_v2_random_bytes (50);
  GByteArray *bytes = g_byte_array_new ();
  guint64 size = GUINT64_TO_BE (uncompressed);
  guint32 block = GUINT32_TO_BE (8192);

  g_byte_array_append (bytes, (guint8 *) &size, sizeof size);
  g_byte_array_append (bytes, (guint8 *) &block, sizeof block);
  g_byte_array_append (bytes, g_bytes_get_data (tail, NULL), g_bytes_get_size (tail));
  return g_byte_array_free_to_bytes (bytes);
}

static void
test_start_round_trip (void)
{
  g_autoptr (PtlSeriesInfo) series = test_stream_v2_make_series ();
  g_autoptr (GBytes) message = ptl_stream_v2_encode_start (series, NULL);
  g_autoptr (PtlStreamEvent) event = test_stream_v2_decode_ok (message, NULL);
  PtlSeriesInfo *got = event->series;

  g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_START);
  g_assert_cmpstr (got->series_id, ==, "12");
  g_assert_cmpstr (got->series_unique_id, ==, "c0ffee-12");
  g_assert_cmpuint (got->image_rows, ==, 3);
  g_assert_cmpuint (got->image_cols, ==, 4);
  g_assert_cmpuint (got->element_size, ==, 2);
  g_assert_false (got->element_signed);
  g_assert_cmpuint (got->number_of_images, ==, 1257);
  g_assert_cmpfloat (got->pixel_size_x, ==, 75e-6);
  g_assert_cmpfloat (got->pixel_size_y, ==, 55e-6);
  g_assert_cmpfloat (got->energy_ev, ==, 700);
  g_assert_cmpfloat_with_epsilon (got->wavelength, 1.771e-9, 1e-21);
  g_assert_cmpfloat (got->detector_distance, ==, 0);
  g_assert_cmpfloat (got->count_time, ==, 0.039);
  g_assert_cmpfloat (got->frame_time, ==, 0.04);
  g_assert_cmpfloat (got->beam_center_x, ==, 1.5);
  g_assert_cmpfloat (got->beam_center_y, ==, -2.25);
  g_assert_cmpuint (got->saturation_value, ==, 65000);
  g_assert_nonnull (got->pixel_mask);
  g_assert_cmpmem (got->pixel_mask, 12 * sizeof (guint32),
                   series->pixel_mask, 12 * sizeof (guint32));
  g_assert_cmpstr (got->user_data, ==, series->user_data);
  g_assert_true (got->raw_header == message);

  /* A signed type, no mask, text that is not JSON, a series id that is not a number. */
  g_clear_pointer (&series->pixel_mask, g_free);
  g_free (series->user_data);
  series->user_data = g_strdup ("plain appendix");
  g_free (series->series_id);
  series->series_id = g_strdup ("007");
  series->element_size = 4;
  series->element_signed = TRUE;
  {
    g_autoptr (GBytes) again = ptl_stream_v2_encode_start (series, "threshold_2");
    g_autoptr (PtlStreamEvent) second = test_stream_v2_decode_ok (again, NULL);

    g_assert_cmpstr (second->series->series_id, ==, "007");
    g_assert_cmpuint (second->series->element_size, ==, 4);
    g_assert_true (second->series->element_signed);
    g_assert_null (second->series->pixel_mask);
    g_assert_cmpstr (second->series->user_data, ==, "\"plain appendix\"");
  }
}

static void
test_image_round_trip (gconstpointer data)
{
  PtlEncoding encoding = GPOINTER_TO_INT (data);
  static const guint sizes[] = { 1, 2, 4 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint rows = 5, cols = 7, size = sizes[s];
      g_autoptr (GBytes) pixels = encoding == PTL_ENCODING_RAW ?
                                  test_stream_v2_random_bytes (rows * cols * size) :
                                  fake_compressed (rows * cols * size);
      PtlImageInfo image = {
        .series_id = "12", .image_id = 1000 + s, .rows = rows, .cols = cols,
        .element_size = size, .encoding = encoding, .data = pixels,
        .start_time_ns = 40000000, .stop_time_ns = 79000000, .real_time_ns = 39000000,
      };
      g_autoptr (GBytes) message = ptl_stream_v2_encode_image (&image, NULL);
      g_autoptr (PtlStreamEvent) event =
        test_stream_v2_decode_ok (message, PTL_STREAM_V2_DEFAULT_CHANNEL);
      PtlImageInfo *got = event->image;

      g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_IMAGE);
      g_assert_cmpstr (got->series_id, ==, "12");
      g_assert_cmpuint (got->image_id, ==, 1000 + s);
      g_assert_cmpuint (got->rows, ==, rows);
      g_assert_cmpuint (got->cols, ==, cols);
      g_assert_cmpuint (got->element_size, ==, size);
      g_assert_cmpint (got->encoding, ==, encoding);
      g_assert_cmpuint (got->start_time_ns, ==, 40000000);
      g_assert_cmpuint (got->stop_time_ns, ==, 79000000);
      g_assert_cmpuint (got->real_time_ns, ==, 39000000);
      g_assert_true (g_bytes_equal (got->data, pixels));
      test_stream_v2_assert_view (message, got->data);
    }
}

static void
test_end_round_trip (void)
{
  g_autoptr (GBytes) message = ptl_stream_v2_encode_end ("12");
  g_autoptr (GBytes) expected = test_stream_v2_hex (SELF "a2 " TYPE (END) SERIES_ID "0c");
  g_autoptr (PtlStreamEvent) event = test_stream_v2_decode_ok (message, NULL);

  g_assert_true (g_bytes_equal (message, expected));
  g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_END);
  g_assert_cmpstr (event->series_id, ==, "12");
}

/* tag 40 [[rows, cols], tag (bytes)], built with libcbor's item API, not our encoder. */
static cbor_item_t *
multidim_item (guint        rows,
               guint        cols,
               guint64      tag,
               cbor_item_t *payload)
{
  cbor_item_t *dims = cbor_new_definite_array (2);
  cbor_item_t *array = cbor_new_definite_array (2);

  g_assert_true (cbor_array_push (dims, cbor_move (cbor_build_uint32 (rows))));
  g_assert_true (cbor_array_push (dims, cbor_move (cbor_build_uint32 (cols))));
  g_assert_true (cbor_array_push (array, cbor_move (dims)));
  g_assert_true (cbor_array_push (array, cbor_move (cbor_build_tag (tag, cbor_move (payload)))));
  return cbor_build_tag (40, cbor_move (array));
}

static void
map_put (cbor_item_t *map,
         const char  *key,
         cbor_item_t *value)
{
  struct cbor_pair pair = { .key = cbor_move (cbor_build_string (key)),
                            .value = cbor_move (value) };

  g_assert_true (cbor_map_add (map, pair));
}

static GBytes *
serialize (cbor_item_t *item)
{
  unsigned char *buffer = NULL;
  size_t buffer_size;
  size_t len = cbor_serialize_alloc (item, &buffer, &buffer_size);

  cbor_decref (&item);
  g_assert_cmpuint (len, >, 0);
  return g_bytes_new_with_free_func (buffer, len, free, buffer);
}

static void
test_channels (void)
{
  static const guint8 first[8] = { 1, 0, 2, 0, 3, 0, 4, 0 };
  static const guint8 second[8] = { 9, 0, 8, 0, 7, 0, 6, 0 };
  static const guint8 mask1[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  static const guint8 mask2[4] = { 0, 2, 0, 0 };
  cbor_item_t *image = cbor_new_definite_map (4);
  cbor_item_t *data = cbor_new_definite_map (2);
  cbor_item_t *start = cbor_new_definite_map (3);
  cbor_item_t *masks = cbor_new_definite_map (2);
  g_autoptr (GBytes) image_message = NULL;
  g_autoptr (GBytes) start_message = NULL;
  const char *channels[] = { NULL, "threshold_1", "threshold_2" };

  map_put (data, "threshold_1", multidim_item (2, 2, 69, cbor_build_bytestring (first, 8)));
  map_put (data, "threshold_2", multidim_item (2, 2, 69, cbor_build_bytestring (second, 8)));
  map_put (image, "type", cbor_build_string ("image"));
  map_put (image, "series_id", cbor_build_uint8 (3));
  map_put (image, "image_id", cbor_build_uint8 (9));
  map_put (image, "data", data);
  image_message = serialize (image);
  for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
    {
      g_autoptr (PtlStreamEvent) event = test_stream_v2_decode_ok (image_message, channels[i]);
      gsize len;
      const guint8 *got = g_bytes_get_data (event->image->data, &len);

      g_assert_cmpmem (got, len, i < 2 ? first : second, 8);
      test_stream_v2_assert_view (image_message, event->image->data);
    }
  test_stream_v2_decode_bad (image_message, "threshold_3", "threshold_3");

  map_put (masks, "threshold_1", multidim_item (2, 2, 70, cbor_build_bytestring (mask1, 16)));
  map_put (masks, "threshold_2", multidim_item (2, 2, 64, cbor_build_bytestring (mask2, 4)));
  map_put (start, "type", cbor_build_string ("start"));
  map_put (start, "series_id", cbor_build_uint8 (3));
  map_put (start, "pixel_mask", masks);
  start_message = serialize (start);
  {
    g_autoptr (PtlStreamEvent) event1 = test_stream_v2_decode_ok (start_message, NULL);
    g_autoptr (PtlStreamEvent) event2 = test_stream_v2_decode_ok (start_message, "threshold_2");
    g_autoptr (PtlStreamEvent) event3 = test_stream_v2_decode_ok (start_message, "threshold_3");
    const guint32 expect1[4] = { 1, 0, 0, 0 };
    const guint32 expect2[4] = { 0, 2, 0, 0 };

    /* Without image sizes in the start, the mask gives them. */
    g_assert_cmpuint (event1->series->image_rows, ==, 2);
    g_assert_cmpuint (event1->series->image_cols, ==, 2);
    g_assert_cmpmem (event1->series->pixel_mask, 16, expect1, 16);
    g_assert_cmpmem (event2->series->pixel_mask, 16, expect2, 16);
    g_assert_null (event3->series->pixel_mask);
  }
}

static void
test_hand_written_start (void)
{
  g_autoptr (GBytes) message = test_stream_v2_hex (test_stream_v2_hand_start);
  g_autoptr (PtlStreamEvent) event = test_stream_v2_decode_ok (message, NULL);
  PtlSeriesInfo *series = event->series;
  const guint32 mask[6] = { 0, 1, 0, 0, 0x80000000, 0 };

  g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_START);
  g_assert_cmpstr (series->series_id, ==, "7");
  g_assert_cmpstr (series->series_unique_id, ==, "abc");
  g_assert_cmpuint (series->image_cols, ==, 3);
  g_assert_cmpuint (series->image_rows, ==, 2);
  g_assert_cmpuint (series->element_size, ==, 2);
  g_assert_cmpfloat (series->count_time, ==, 0.5);
  g_assert_cmpfloat (series->energy_ev, ==, 13500.3);
  /* Only the energy was sent: λ = hc / E. */
  g_assert_cmpfloat_with_epsilon (series->wavelength, 0.91838e-10, 1e-15);
  g_assert_cmpfloat (series->pixel_size_x, ==, 7.5e-05);
  g_assert_cmpfloat (series->pixel_size_y, ==, 0);
  g_assert_cmpuint (series->saturation_value, ==, 21517);
  g_assert_cmpuint (series->number_of_images, ==, 1000);
  g_assert_cmpmem (series->pixel_mask, sizeof mask, mask, sizeof mask);
  g_assert_cmpstr (series->user_data, ==,
                   "{\"acqID\":\"test_1\",\"raw\":\"AQI=\",\"t\":1.5,\"n\":null,\"5\":-2}");
}

static void
test_hand_written_image (void)
{
  /* protocols.md: image with real_time [215873, 50000000] and 2 × 3 uint16 pixels. */
  g_autoptr (GBytes) raw = test_stream_v2_hex (
    "d9d9f7 a6"                                          /* tag 55799, map(6) */
    "6474797065 65696d616765"                            /* "type": "image" */
    "697365726965735f6964 07"                            /* "series_id": 7 */
    "68696d6167655f6964 182a"                            /* "image_id": 42 */
    "697265616c5f74696d65 82 1a00034b41 1a02faf080"      /* "real_time": [215873, 50000000] */
    "69757365725f64617461 6568656c6c6f"                  /* "user_data": "hello" */
    "6464617461 a1 6b7468726573686f6c645f31"             /* "data": {"threshold_1": */
    "d828 82 82 02 03"                                   /* tag 40 [[2, 3], */
    "d845 4c 010002000300040005000600");                 /* tag 69 bytes(12)]} */
  /* The same pixels as bslz4: tag 69 (tag 56500 ["bslz4", 2, bytes(15)]). */
  g_autoptr (GBytes) bslz4 =
    test_stream_v2_hex (IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 " PAYLOAD_12));
  g_autoptr (PtlStreamEvent) event = test_stream_v2_decode_ok (raw, NULL);
  g_autoptr (PtlStreamEvent) compressed = test_stream_v2_decode_ok (bslz4, NULL);
  static const guint16 pixels[6] = { 1, 2, 3, 4, 5, 6 };
  gsize len;
  const guint8 *data = g_bytes_get_data (event->image->data, &len);

  g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_IMAGE);
  g_assert_cmpstr (event->image->series_id, ==, "7");
  g_assert_cmpuint (event->image->image_id, ==, 42);
  g_assert_cmpuint (event->image->rows, ==, 2);
  g_assert_cmpuint (event->image->cols, ==, 3);
  g_assert_cmpuint (event->image->element_size, ==, 2);
  g_assert_cmpint (event->image->encoding, ==, PTL_ENCODING_RAW);
  g_assert_cmpuint (event->image->real_time_ns, ==, 4317460); /* 215873 / 50 MHz */
  g_assert_cmpuint (event->image->start_time_ns, ==, 0);
  g_assert_cmpuint (len, ==, 12);
  for (guint i = 0; i < 6; i++)
    {
      guint16 pixel; /* a view of the message has no alignment */

      memcpy (&pixel, data + 2 * i, sizeof pixel);
      g_assert_cmpuint (GUINT16_FROM_LE (pixel), ==, pixels[i]);
    }
  test_stream_v2_assert_view (raw, event->image->data);

  g_assert_cmpint (compressed->image->encoding, ==, PTL_ENCODING_BSLZ4);
  g_assert_cmpuint (compressed->image->element_size, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (compressed->image->data), ==, 15);
  test_stream_v2_assert_view (bslz4, compressed->image->data);
}

/* tag 56500 [algorithm, modifier, bytes] */
static cbor_item_t *
compressed_item (const char *algorithm,
                 guint       modifier,
                 GBytes     *bytes)
{
  cbor_item_t *array = cbor_new_definite_array (3);

  g_assert_true (cbor_array_push (array, cbor_move (cbor_build_string (algorithm))));
  g_assert_true (cbor_array_push (array, cbor_move (cbor_build_uint8 (modifier))));
  g_assert_true (cbor_array_push (array, cbor_move (cbor_build_bytestring (
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)))));
  return cbor_build_tag (56500, cbor_move (array));
}

/* A compressed mask is decompressed with the project's codec and widened. */
static void
test_compressed_mask (void)
{
  const guint rows = 17, cols = 29, n = rows * cols;
  g_autofree guint32 *mask = g_new0 (guint32, n);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i += 7)
    mask[i] = GUINT32_TO_LE (i);
  for (guint bslz4 = 0; bslz4 < 2; bslz4++)
    {
      g_autoptr (GBytes) packed = bslz4 ? ptl_bslz4_encode (mask, n, 4, 0, &error) :
                                          ptl_lz4_encode (mask, n * 4, 0, &error);
      cbor_item_t *start = cbor_new_definite_map (3);
      cbor_item_t *masks = cbor_new_definite_map (1);
      g_autoptr (GBytes) message = NULL;
      g_autoptr (PtlStreamEvent) event = NULL;

      g_assert_no_error (error);
      map_put (masks, "threshold_1",
               multidim_item (rows, cols, 70, compressed_item (bslz4 ? "bslz4" : "lz4",
                                                               bslz4 ? 4 : 0, packed)));
      map_put (start, "type", cbor_build_string ("start"));
      map_put (start, "series_id", cbor_build_uint8 (3));
      map_put (start, "pixel_mask", masks);
      message = serialize (start);
      event = test_stream_v2_decode_ok (message, NULL);
      for (guint i = 0; i < n; i++)
        g_assert_cmpuint (event->series->pixel_mask[i], ==, GUINT32_FROM_LE (mask[i]));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stream-v2/start/round-trip", test_start_round_trip);
  g_test_add_data_func ("/stream-v2/image/raw", GINT_TO_POINTER (PTL_ENCODING_RAW),
                        test_image_round_trip);
  g_test_add_data_func ("/stream-v2/image/lz4", GINT_TO_POINTER (PTL_ENCODING_LZ4),
                        test_image_round_trip);
  g_test_add_data_func ("/stream-v2/image/bslz4", GINT_TO_POINTER (PTL_ENCODING_BSLZ4),
                        test_image_round_trip);
  g_test_add_func ("/stream-v2/end/round-trip", test_end_round_trip);
  g_test_add_func ("/stream-v2/channels", test_channels);
  g_test_add_func ("/stream-v2/hand-written/start", test_hand_written_start);
  g_test_add_func ("/stream-v2/hand-written/image", test_hand_written_image);
  g_test_add_func ("/stream-v2/compressed-mask", test_compressed_mask);

  return g_test_run ();
}
