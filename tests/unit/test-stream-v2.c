#include "config.h"

#include <cbor.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v2.h"

/* CBOR spelled out in hex (spaces ignored), from the layout in reference/protocols.md §1.3. */
#define SELF "d9d9f7 "                            /* tag 55799, self-describe */
#define TYPE(value) "6474797065 " value            /* "type": */
#define START "657374617274 "
#define IMAGE "65696d616765 "
#define END "63656e64 "
#define SERIES_ID "697365726965735f6964 "
#define UNIQUE_ID "707365726965735f756e697175655f6964 "
#define IMAGE_ID "68696d6167655f6964 "
#define IMAGE_SIZE_X "6c696d6167655f73697a655f78 "
#define IMAGE_DTYPE "6b696d6167655f6474797065 "
#define PIXEL_SIZE_X "6c706978656c5f73697a655f78 "
#define PIXEL_MASK "6a706978656c5f6d61736b "
#define USER_DATA "69757365725f64617461 "
#define REAL_TIME "697265616c5f74696d65 "
#define DATA "6464617461 "
#define CH1 "6b7468726573686f6c645f31 "                /* "threshold_1" */
#define MD_2X3 "d828 82 82 02 03 "                      /* tag 40 [[2, 3], … */
#define U16_2X3 "d845 4c 010002000300040005000600 "     /* tag 69 bytes(12): 1 … 6 */
#define BSLZ4 "d9dcb4 83 6562736c7a34 "                 /* tag 56500 ["bslz4", … */
#define PAYLOAD_12 "4f 000000000000000c 00002000 aabbcc " /* bytes(15), header: 12 bytes */
#define IMAGE_WITH(entry) \
  SELF "a4 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "182a " DATA "a1 " CH1 entry

static GBytes *
hex (const char *text)
{
  GByteArray *bytes = g_byte_array_new ();
  int high = -1;

  for (const char *p = text; *p != '\0'; p++)
    {
      int digit = g_ascii_xdigit_value (*p);
      guint8 byte;

      if (digit < 0)
        {
          g_assert_true (g_ascii_isspace (*p));
          continue;
        }
      if (high < 0)
        {
          high = digit;
          continue;
        }
      byte = high << 4 | digit;
      g_byte_array_append (bytes, &byte, 1);
      high = -1;
    }
  g_assert_cmpint (high, ==, -1);
  return g_byte_array_free_to_bytes (bytes);
}

static PtlStreamEvent *
decode_ok (GBytes     *message,
           const char *channel)
{
  g_autoptr (GError) error = NULL;
  PtlStreamEvent *event = ptl_stream_v2_decode (message, channel, &error);

  g_assert_no_error (error);
  g_assert_nonnull (event);
  return event;
}

/* Fails with a format error whose message contains `expect` (when given). */
static void
decode_bad (GBytes     *message,
            const char *channel,
            const char *expect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlStreamEvent) event = ptl_stream_v2_decode (message, channel, &error);

  g_assert_null (event);
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "Stream V2 message: "));
  g_assert_null (strstr (error->message + 1, "Stream V2"));
  if (expect != NULL && strstr (error->message, expect) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, expect);
}

/* The image bytes are a view of the message, not a copy. */
static void
assert_view (GBytes *message,
             GBytes *view)
{
  gsize len, view_len;
  const guint8 *base = g_bytes_get_data (message, &len);
  const guint8 *data = g_bytes_get_data (view, &view_len);

  g_assert_true (data >= base && data + view_len <= base + len);
}

static GBytes *
random_bytes (gsize n)
{
  guint8 *data = g_malloc (n);

  for (gsize i = 0; i < n; i++)
    data[i] = g_test_rand_int_range (0, 256);
  return g_bytes_new_take (data, n);
}

/* A compressed payload is opaque here: a valid size header and arbitrary blocks. */
static GBytes *
fake_compressed (guint64 uncompressed)
{
  g_autoptr (GBytes) tail = random_bytes (50);
  GByteArray *bytes = g_byte_array_new ();
  guint64 size = GUINT64_TO_BE (uncompressed);
  guint32 block = GUINT32_TO_BE (8192);

  g_byte_array_append (bytes, (guint8 *) &size, sizeof size);
  g_byte_array_append (bytes, (guint8 *) &block, sizeof block);
  g_byte_array_append (bytes, g_bytes_get_data (tail, NULL), g_bytes_get_size (tail));
  return g_byte_array_free_to_bytes (bytes);
}

static PtlSeriesInfo *
make_series (void)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup ("12");
  series->series_unique_id = g_strdup ("c0ffee-12");
  series->image_rows = 3;
  series->image_cols = 4;
  series->element_size = 2;
  series->number_of_images = 1257;
  series->pixel_size_x = 75e-6;
  series->pixel_size_y = 55e-6;
  series->energy_ev = 700;
  series->wavelength = 1.771e-9;
  series->count_time = 0.039;
  series->frame_time = 0.04;
  series->beam_center_x = 1.5;
  series->beam_center_y = -2.25;
  series->saturation_value = 65000;
  series->pixel_mask = g_new (guint32, 12);
  for (guint i = 0; i < 12; i++)
    series->pixel_mask[i] = i % 5 == 0 ? 1u << (i % 32) : 0;
  series->pixel_mask[11] = 0x80000001;
  series->user_data = g_strdup ("{\"acqID\":\"test_1\",\"n\":-3,\"list\":[1,true,null,2.5]}");
  return series;
}

static void
test_start_round_trip (void)
{
  g_autoptr (PtlSeriesInfo) series = make_series ();
  g_autoptr (GBytes) message = ptl_stream_v2_encode_start (series, NULL);
  g_autoptr (PtlStreamEvent) event = decode_ok (message, NULL);
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
    g_autoptr (PtlStreamEvent) second = decode_ok (again, NULL);

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
                                  random_bytes (rows * cols * size) :
                                  fake_compressed (rows * cols * size);
      PtlImageInfo image = {
        .series_id = "12", .image_id = 1000 + s, .rows = rows, .cols = cols,
        .element_size = size, .encoding = encoding, .data = pixels,
        .start_time_ns = 40000000, .stop_time_ns = 79000000, .real_time_ns = 39000000,
      };
      g_autoptr (GBytes) message = ptl_stream_v2_encode_image (&image, NULL);
      g_autoptr (PtlStreamEvent) event = decode_ok (message, PTL_STREAM_V2_DEFAULT_CHANNEL);
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
      assert_view (message, got->data);
    }
}

static void
test_end_round_trip (void)
{
  g_autoptr (GBytes) message = ptl_stream_v2_encode_end ("12");
  g_autoptr (GBytes) expected = hex (SELF "a2 " TYPE (END) SERIES_ID "0c");
  g_autoptr (PtlStreamEvent) event = decode_ok (message, NULL);

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
      g_autoptr (PtlStreamEvent) event = decode_ok (image_message, channels[i]);
      gsize len;
      const guint8 *got = g_bytes_get_data (event->image->data, &len);

      g_assert_cmpmem (got, len, i < 2 ? first : second, 8);
      assert_view (image_message, event->image->data);
    }
  decode_bad (image_message, "threshold_3", "threshold_3");

  map_put (masks, "threshold_1", multidim_item (2, 2, 70, cbor_build_bytestring (mask1, 16)));
  map_put (masks, "threshold_2", multidim_item (2, 2, 64, cbor_build_bytestring (mask2, 4)));
  map_put (start, "type", cbor_build_string ("start"));
  map_put (start, "series_id", cbor_build_uint8 (3));
  map_put (start, "pixel_mask", masks);
  start_message = serialize (start);
  {
    g_autoptr (PtlStreamEvent) event1 = decode_ok (start_message, NULL);
    g_autoptr (PtlStreamEvent) event2 = decode_ok (start_message, "threshold_2");
    g_autoptr (PtlStreamEvent) event3 = decode_ok (start_message, "threshold_3");
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

/* A start as the EIGER2 sample sends it (no self-describe tag), with fields we skip. */
static const char hand_start[] =
  "b0"                                                       /* map(16) */
  "6474797065 657374617274"                                  /* "type": "start" */
  "697365726965735f6964 07"                                  /* "series_id": 7 */
  "707365726965735f756e697175655f6964 63616263"              /* "series_unique_id": "abc" */
  "6861726d5f64617465 c0 74323032332d31302d30335431373a34373a34395a" /* "arm_date": 0("…Z") */
  "6c696d6167655f73697a655f78 03"                            /* "image_size_x": 3 */
  "6c696d6167655f73697a655f79 02"                            /* "image_size_y": 2 */
  "6b696d6167655f6474797065 6675696e743136"                  /* "image_dtype": "uint16" */
  "686368616e6e656c73 81 6b7468726573686f6c645f31"           /* "channels": ["threshold_1"] */
  "6a636f756e745f74696d65 f93800"                            /* "count_time": half 0.5 */
  "6f696e636964656e745f656e65726779 fb40ca5e2666666666"      /* "incident_energy": 13500.3 */
  "6c706978656c5f73697a655f78 fb3f13a92a30553261"            /* "pixel_size_x": 7.5e-05 */
  "6a676f6e696f6d65746572 a1 656f6d656761 a2"                /* "goniometer": {"omega": { */
  "  657374617274 f90000 69696e6372656d656e74 fb3fb999999999999a" /* start 0, increment 0.1 */
  "7073617475726174696f6e5f76616c7565 19540d"                /* "saturation_value": 21517 */
  "706e756d6265725f6f665f696d61676573 1903e8"                /* "number_of_images": 1000 */
  "6a706978656c5f6d61736b a1 6b7468726573686f6c645f31"       /* "pixel_mask": {"threshold_1": */
  "  d828 82 82 02 03 d846 58 18"                            /* tag 40 [[2, 3], tag 70 bytes(24) */
  "  00000000 01000000 00000000 00000000 00000080 00000000"  /* 0, 1, 0, 0, 2^31, 0 */
  "69757365725f64617461 a5"                                  /* "user_data": { */
  "  656163714944 66746573745f31"                            /* "acqID": "test_1" */
  "  63726177 42 0102"                                       /* "raw": h'0102' */
  "  6174 c1 fb3ff8000000000000"                             /* "t": 1(1.5) */
  "  616e f97e00"                                            /* "n": NaN */
  "  05 21";                                                 /* 5: -2 */

static void
test_hand_written_start (void)
{
  g_autoptr (GBytes) message = hex (hand_start);
  g_autoptr (PtlStreamEvent) event = decode_ok (message, NULL);
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
  g_autoptr (GBytes) raw = hex (
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
  g_autoptr (GBytes) bslz4 = hex (IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 " PAYLOAD_12));
  g_autoptr (PtlStreamEvent) event = decode_ok (raw, NULL);
  g_autoptr (PtlStreamEvent) compressed = decode_ok (bslz4, NULL);
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
  assert_view (raw, event->image->data);

  g_assert_cmpint (compressed->image->encoding, ==, PTL_ENCODING_BSLZ4);
  g_assert_cmpuint (compressed->image->element_size, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (compressed->image->data), ==, 15);
  assert_view (bslz4, compressed->image->data);
}

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
      g_autoptr (GBytes) message = hex (cases[i].hex);

      g_test_message ("case %u: expecting \"%s\"", i, cases[i].expect);
      decode_bad (message, cases[i].channel, cases[i].expect);
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
  message = hex (text->str);
  decode_bad (message, NULL, "nested deeper than 32");
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
      event = decode_ok (message, NULL);
      for (guint i = 0; i < n; i++)
        g_assert_cmpuint (event->series->pixel_mask[i], ==, GUINT32_FROM_LE (mask[i]));
    }
}

static GPtrArray *
valid_messages (void)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (PtlSeriesInfo) series = make_series ();
  g_autoptr (GBytes) pixels = random_bytes (5 * 7 * 2);
  PtlImageInfo image = { .series_id = "12", .image_id = 3, .rows = 5, .cols = 7,
                         .element_size = 2, .encoding = PTL_ENCODING_RAW, .data = pixels };

  g_ptr_array_add (messages, ptl_stream_v2_encode_start (series, NULL));
  g_ptr_array_add (messages, ptl_stream_v2_encode_image (&image, NULL));
  g_ptr_array_add (messages, ptl_stream_v2_encode_end ("12"));
  g_ptr_array_add (messages, hex (hand_start));
  g_ptr_array_add (messages, hex (IMAGE_WITH (MD_2X3 "d845 " BSLZ4 "02 " PAYLOAD_12)));
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

          decode_bad (prefix, NULL, NULL);
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
          assert_view (message, event->image->data);
      }
  g_test_message ("%u of %u corrupted messages rejected", failures, trials);
  g_assert_cmpuint (failures, >, 0);
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
  g_test_add_func ("/stream-v2/bad/input", test_bad_input);
  g_test_add_func ("/stream-v2/bad/deep-user-data", test_deep_user_data);
  g_test_add_func ("/stream-v2/bad/truncated", test_truncated);
  g_test_add_func ("/stream-v2/bad/flipped", test_flipped);

  return g_test_run ();
}
