#include "config.h"

#include <lz4.h>
#include <string.h>

#include "core/ptl-error.h"
#include "core/ptl-geometry.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1.h"

#define FIXTURE_PARTS 22
#define FIXTURE_COLS 2070
#define FIXTURE_ROWS 2167

/* Decoder errors are logged as messages in this domain; each test checks one per error. */
static guint logged;

static void
count_message (const char    *domain,
               GLogLevelFlags level,
               const char    *message,
               gpointer       user_data)
{
  logged++;
}

static GPtrArray *
events_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_stream_event_free);
}

/* Pushes every part, "more" set on all but the last when `framed`; returns the failures. */
static guint
push_all (PtlStreamV1Decoder *decoder,
          GPtrArray          *parts,
          gboolean            framed,
          GPtrArray          *events)
{
  guint failures = 0;

  for (guint i = 0; i < parts->len; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!ptl_stream_v1_decoder_push (decoder, parts->pdata[i], framed && i + 1 < parts->len,
                                       events, &error))
        {
          g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
          failures++;
        }
      else
        g_assert_no_error (error);
    }
  return failures;
}

/* "S", "I", "E" per event. */
static char *
event_types (GPtrArray *events)
{
  GString *types = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      PtlStreamEvent *event = events->pdata[i];

      g_string_append_c (types, "SIE"[event->type]);
    }
  return g_string_free (types, FALSE);
}

static void
assert_events (GPtrArray  *events,
               const char *expected)
{
  g_autofree char *types = event_types (events);

  g_assert_cmpstr (types, ==, expected);
}

/* ---- The real EIGER capture ---- */

static GBytes *
fixture_part (const char *dir,
              guint       number)
{
  g_autofree char *name = g_strdup_printf ("streamfile_%u", number);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents;
  gsize length;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

/* The real EIGER capture kept in tests/data (G_TEST_SRCDIR is the tests folder). */
static char *
fixture_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "dectris-stream-v1", NULL);
}

static void
assert_fixture_image (const PtlStreamEvent *event,
                      guint64               frame,
                      GBytes               *blob,
                      const char           *sha256)
{
  const PtlImageInfo *image = event->image;
  gsize n = (gsize) FIXTURE_ROWS * FIXTURE_COLS, size;
  g_autofree guint16 *pixels = g_new (guint16, n);
  const guint8 *data = g_bytes_get_data (image->data, &size);
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  guint64 sum = 0, saturated = 0;
  guint16 max = 0;

  g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_IMAGE);
  g_assert_cmpstr (image->series_id, ==, "6");
  g_assert_cmpuint (image->image_id, ==, frame);
  g_assert_cmpuint (image->rows, ==, FIXTURE_ROWS);
  g_assert_cmpuint (image->cols, ==, FIXTURE_COLS);
  g_assert_cmpuint (image->element_size, ==, 2);
  g_assert_cmpint (image->encoding, ==, PTL_ENCODING_BSLZ4);
  /* A view of the part, not a copy. */
  g_assert_true (data == g_bytes_get_data (blob, NULL));
  g_assert_cmpuint (size, ==, 1170446);

  ptl_bslz4_decode (data, size, 2, pixels, n * 2, &error);
  g_assert_no_error (error);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) pixels, n * 2);
  g_assert_cmpstr (digest, ==, sha256);
  for (gsize i = 0; i < n; i++)
    {
      guint16 value = GUINT16_FROM_LE (pixels[i]);

      sum += value;
      if (value == G_MAXUINT16)
        saturated++;
      else
        max = MAX (max, value);
    }
  g_assert_cmpuint (sum, ==, 16473358719);
  g_assert_cmpuint (saturated, ==, 251297);
  g_assert_cmpuint (max, ==, 12322);
}

static void
test_fixture (gconstpointer data)
{
  gboolean framed = GPOINTER_TO_INT (data);
  /* The README's grouping. */
  static const gboolean ends_message[FIXTURE_PARTS + 1] = {
    [9] = TRUE, [13] = TRUE, [17] = TRUE, [21] = TRUE, [22] = TRUE
  };
  static const char *const sha256[] = {
    "fa504f12f9042b142374ba82fe7579b96544c2fadb4c1a7ef16f6b332b4cb142",
    "685636ee73380e3a340175ec8bb341509efd9378e2bd2d39b5506be907f47bba",
    "6d03204b2b134ec40a6b5e0ad7a17c54edb59afe64e40431af22056afab7d11a",
  };
  g_autofree char *dir = fixture_dir ();
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = events_new ();
  GBytes *parts[FIXTURE_PARTS + 1] = { NULL };
  const PtlSeriesInfo *series;
  PtlStreamV1Counters counters;


  logged = 0;
  for (guint number = 1; number <= FIXTURE_PARTS; number++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok;

      if (number == 4 || number == 6)
        continue;
      parts[number] = fixture_part (dir, number);
      ok = ptl_stream_v1_decoder_push (decoder, parts[number], framed && !ends_message[number],
                                       events, &error);
      /* Part 5 shows the flat-field blob missing, part 7 the pixel-mask blob. */
      if (number == 5 || number == 7)
        {
          g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
          g_assert_nonnull (strstr (error->message, number == 5 ? "flat-field" : "pixel-mask"));
          g_assert_false (ok);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      /* The header goes out with its appendix, each image with its dconfig. */
      if (number == 9 || number == 13)
        g_assert_cmpuint (events->len, ==, number == 9 ? 1 : 2);
    }

  assert_events (events, "SIIIE");
  series = ((PtlStreamEvent *) events->pdata[0])->series;
  g_assert_cmpstr (series->series_id, ==, "6");
  g_assert_null (series->series_unique_id);
  g_assert_cmpuint (series->image_cols, ==, FIXTURE_COLS);
  g_assert_cmpuint (series->image_rows, ==, FIXTURE_ROWS);
  g_assert_cmpuint (series->element_size, ==, 2);
  g_assert_false (series->element_signed);
  g_assert_cmpuint (series->number_of_images, ==, 10);
  g_assert_cmpfloat (series->pixel_size_x, ==, 7.5000003562308848e-05);
  g_assert_cmpfloat (series->pixel_size_y, ==, 7.5000003562308848e-05);
  g_assert_cmpfloat (series->energy_ev, ==, 8047.77978515625);
  g_assert_cmpfloat_with_epsilon (series->wavelength, 1.5406012535095215e-10, 1e-24);
  g_assert_cmpfloat (series->detector_distance, ==, 0);
  g_assert_cmpfloat (series->count_time, ==, 0.0019925357773900032);
  g_assert_cmpfloat (series->frame_time, ==, 0.0020000000949949026);
  g_assert_cmpfloat (series->beam_center_x, ==, 0);
  g_assert_cmpuint (series->saturation_value, ==, 0);
  g_assert_null (series->pixel_mask); /* its blob is the missing part 6 */
  g_assert_cmpstr (series->user_data, ==, "{\"acqID\": \"test_1\"}");
  g_assert_true (g_bytes_equal (series->raw_header, parts[2]));

  for (guint i = 0; i < 3; i++)
    assert_fixture_image (events->pdata[1 + i], i, parts[12 + 4 * i], sha256[i]);
  g_assert_cmpuint (((PtlStreamEvent *) events->pdata[1])->image->start_time_ns, ==,
                    143051295370);
  g_assert_cmpuint (((PtlStreamEvent *) events->pdata[1])->image->stop_time_ns, ==,
                    143051394995);
  g_assert_cmpuint (((PtlStreamEvent *) events->pdata[1])->image->real_time_ns, ==, 99251);
  g_assert_cmpstr (((PtlStreamEvent *) events->pdata[4])->series_id, ==, "6");

  counters = ptl_stream_v1_decoder_get_counters (decoder);
  g_assert_cmpuint (counters.parts, ==, 20);
  g_assert_cmpuint (counters.messages, ==, 5);
  g_assert_cmpuint (counters.errors, ==, 2);
  g_assert_cmpuint (counters.missing_parts, ==, 2);
  g_assert_cmpuint (counters.resyncs, ==, 0);
  g_assert_cmpuint (logged, ==, 2);
  for (guint number = 1; number <= FIXTURE_PARTS; number++)
    g_clear_pointer (&parts[number], g_bytes_unref);
}

/* ---- Round trips through the encoders ---- */

static PtlSeriesInfo *
series_new (void)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup ("17");
  series->image_rows = 3;
  series->image_cols = 5;
  series->element_size = 4;
  series->number_of_images = 1257;
  series->pixel_size_x = 75e-6;
  series->pixel_size_y = 55e-6;
  series->energy_ev = 700.25;
  series->wavelength = ptl_wavelength_from_energy_ev (700.25);
  series->detector_distance = 0.3;
  series->count_time = 0.039;
  series->frame_time = 0.04;
  series->beam_center_x = 2.5;
  series->beam_center_y = 1.25;
  series->saturation_value = 65000;
  series->pixel_mask = g_new0 (guint32, 15);
  series->pixel_mask[7] = 1;
  series->pixel_mask[14] = 0x80000000;
  series->user_data = g_strdup ("{\"acqID\":\"scan 7\",\"n\":[1,2]}");
  return series;
}

static void
test_header_round_trip (void)
{
  /* dheader, + configuration, + three sections with their blobs; + the appendix. */
  static const guint n_parts[] = { 2, 3, 9 };

  for (PtlStreamV1Detail detail = 0; detail <= PTL_STREAM_V1_DETAIL_ALL; detail++)
    for (guint framed = 0; framed < 2; framed++)
      {
        g_autoptr (PtlSeriesInfo) sent = series_new ();
        g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
        g_autoptr (GPtrArray) events = events_new ();
        g_autoptr (GPtrArray) parts = NULL;
        const PtlSeriesInfo *got;

        /* An appendix that is not JSON travels as a JSON string; a text id stays text;
         * the wavelength alone gives the energy too. */
        if (detail == PTL_STREAM_V1_DETAIL_BASIC)
          {
            g_free (sent->user_data);
            sent->user_data = g_strdup ("\"plain text, not JSON\"");
            g_free (sent->series_id);
            sent->series_id = g_strdup ("007");
            sent->energy_ev = 0;
          }
        parts = ptl_stream_v1_encode_header (sent, detail);
        g_assert_cmpuint (parts->len, ==, n_parts[detail]);
        g_assert_cmpuint (push_all (decoder, parts, framed, events), ==, 0);
        assert_events (events, "S");
        got = ((PtlStreamEvent *) events->pdata[0])->series;
        g_assert_cmpstr (got->series_id, ==, sent->series_id);
        g_assert_cmpstr (got->user_data, ==, sent->user_data);
        if (detail == PTL_STREAM_V1_DETAIL_NONE)
          {
            g_assert_cmpuint (got->image_rows, ==, 0);
            g_assert_null (got->raw_header);
            continue;
          }
        g_assert_cmpuint (got->image_rows, ==, 3);
        g_assert_cmpuint (got->image_cols, ==, 5);
        g_assert_cmpuint (got->element_size, ==, 4);
        g_assert_cmpuint (got->number_of_images, ==, 1257);
        g_assert_cmpfloat (got->pixel_size_x, ==, 75e-6);
        g_assert_cmpfloat (got->pixel_size_y, ==, 55e-6);
        g_assert_cmpfloat_with_epsilon (got->energy_ev, 700.25, 1e-9);
        g_assert_cmpfloat_with_epsilon (got->wavelength, sent->wavelength, 1e-22);
        g_assert_cmpfloat (got->detector_distance, ==, 0.3);
        g_assert_cmpfloat (got->count_time, ==, 0.039);
        g_assert_cmpfloat (got->frame_time, ==, 0.04);
        g_assert_cmpfloat (got->beam_center_x, ==, 2.5);
        g_assert_cmpfloat (got->beam_center_y, ==, 1.25);
        g_assert_cmpuint (got->saturation_value, ==, 65000);
        g_assert_true (g_bytes_equal (got->raw_header, parts->pdata[1]));
        if (detail == PTL_STREAM_V1_DETAIL_ALL)
          g_assert_cmpmem (got->pixel_mask, 15 * 4, sent->pixel_mask, 15 * 4);
        else
          g_assert_null (got->pixel_mask);
      }
}

/* A header without appendix: with "more" it goes out with its last part; without, only the
 * next part or a flush shows that no appendix follows. */
static void
test_header_flush (void)
{
  for (guint framed = 0; framed < 2; framed++)
    {
      g_autoptr (PtlSeriesInfo) sent = series_new ();
      g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
      g_autoptr (GPtrArray) events = events_new ();
      g_autoptr (GPtrArray) parts = NULL;

      g_clear_pointer (&sent->user_data, g_free);
      parts = ptl_stream_v1_encode_header (sent, PTL_STREAM_V1_DETAIL_BASIC);
      g_assert_cmpuint (push_all (decoder, parts, framed, events), ==, 0);
      g_assert_cmpuint (events->len, ==, framed ? 1 : 0);
      ptl_stream_v1_decoder_flush (decoder, events);
      assert_events (events, "S");
      g_assert_null (((PtlStreamEvent *) events->pdata[0])->series->user_data);
      ptl_stream_v1_decoder_flush (decoder, events);
      assert_events (events, "S");
    }
}

static GBytes *
compress (const void  *pixels,
          gsize        n,
          guint        element_size,
          PtlEncoding  encoding)
{
  g_autoptr (GError) error = NULL;
  GBytes *data;

  switch (encoding)
    {
    case PTL_ENCODING_RAW:
      return g_bytes_new (pixels, n * element_size);
    case PTL_ENCODING_LZ4:
      /* Small blocks, so that the encoder must merge them into the one block of lz4<. */
      data = ptl_lz4_encode (pixels, n * element_size, 64, &error);
      break;
    default:
      data = ptl_bslz4_encode (pixels, n, element_size, 0, &error);
      break;
    }
  g_assert_no_error (error);
  return data;
}

static void
assert_pixels (const PtlImageInfo *image,
               const void         *pixels)
{
  gsize bytes = (gsize) image->rows * image->cols * image->element_size, size;
  const guint8 *data = g_bytes_get_data (image->data, &size);
  g_autofree guint8 *decoded = g_malloc (bytes);
  g_autoptr (GError) error = NULL;

  if (image->encoding == PTL_ENCODING_RAW)
    memcpy (decoded, data, MIN (size, bytes));
  else if (image->encoding == PTL_ENCODING_LZ4)
    ptl_lz4_decode (data, size, decoded, bytes, &error);
  else
    ptl_bslz4_decode (data, size, image->element_size, decoded, bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, bytes, pixels, bytes);
}

static void
test_image_round_trip (gconstpointer data)
{
  PtlEncoding encoding = GPOINTER_TO_INT (data);
  const guint rows = 7, cols = 13; /* not a multiple of 8 elements */

  for (guint element_size = 1; element_size <= 4; element_size *= 2)
    for (guint framed = 0; framed < 2; framed++)
      {
        g_autofree guint8 *pixels = g_malloc (rows * cols * element_size);
        g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
        g_autoptr (GPtrArray) events = events_new ();
        g_autoptr (GPtrArray) parts = NULL, again = NULL;
        g_autoptr (GError) error = NULL;
        PtlImageInfo sent = { "42", 1234567, rows, cols, element_size, encoding, NULL,
                              1000, 2000, 900 };
        const PtlImageInfo *got;
        GBytes *blob;

        /* Runs of equal values, so that LZ4 has something to compress. */
        for (guint i = 0; i < rows * cols * element_size; i++)
          pixels[i] = g_test_rand_int_range (0, 4) == 0 ? g_test_rand_int_range (0, 256) : 0;
        sent.data = compress (pixels, rows * cols, element_size, encoding);
        parts = ptl_stream_v1_encode_image (&sent, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (parts->len, ==, 4);
        g_assert_cmpuint (push_all (decoder, parts, framed, events), ==, 0);
        assert_events (events, "I");
        got = ((PtlStreamEvent *) events->pdata[0])->image;
        g_assert_cmpstr (got->series_id, ==, "42");
        g_assert_cmpuint (got->image_id, ==, 1234567);
        g_assert_cmpuint (got->rows, ==, rows);
        g_assert_cmpuint (got->cols, ==, cols);
        g_assert_cmpuint (got->element_size, ==, element_size);
        g_assert_cmpint (got->encoding, ==, encoding);
        g_assert_cmpuint (got->start_time_ns, ==, 1000);
        g_assert_cmpuint (got->stop_time_ns, ==, 2000);
        g_assert_cmpuint (got->real_time_ns, ==, 900);
        assert_pixels (got, pixels);

        blob = parts->pdata[2];
        if (encoding != PTL_ENCODING_LZ4)
          {
            /* Views all the way: the encoder sends the data, the decoder keeps the part. */
            g_assert_true (g_bytes_get_data (blob, NULL) == g_bytes_get_data (sent.data, NULL));
            g_assert_true (g_bytes_get_data (got->data, NULL) == g_bytes_get_data (blob, NULL));
          }
        else
          {
            /* What the decoder made is one framed block: sent again, it is not recompressed. */
            again = ptl_stream_v1_encode_image (got, &error);
            g_assert_no_error (error);
            g_assert_true (g_bytes_equal (again->pdata[2], blob));
            g_assert_true ((const guint8 *) g_bytes_get_data (again->pdata[2], NULL)
                           == (const guint8 *) g_bytes_get_data (got->data, NULL) + 16);
          }
        g_bytes_unref (sent.data);
      }
}

/* An LZ4 block exactly as long as the image it decodes to would read as stored bytes in the
 * HDF5 framing. This one: literal "A", a 4-byte match at offset 1, 12 literals. */
static void
test_lz4_block_as_long_as_image (void)
{
  static const char block[17] = "\x10" "A" "\x01\x00" "\xc0" "0123456789ab";
  static const char image[17] = "AAAAA0123456789ab";
  static const char d[] = "{\"htype\":\"dimage_d-1.0\",\"shape\":[17,1],\"type\":\"uint8\","
                          "\"encoding\":\"lz4<\",\"size\":17}";
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = events_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  char check[17];

  g_assert_cmpint (LZ4_decompress_safe (block, check, 17, 17), ==, 17);
  g_assert_cmpmem (check, 17, image, 17);
  g_ptr_array_add (parts, g_bytes_new_static ("{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":3}",
                                              43));
  g_ptr_array_add (parts, g_bytes_new_static (d, strlen (d)));
  g_ptr_array_add (parts, g_bytes_new_static (block, 17));
  g_ptr_array_add (parts, g_bytes_new_static ("{\"htype\":\"dconfig-1.0\"}", 23));
  g_assert_cmpuint (push_all (decoder, parts, TRUE, events), ==, 0);
  assert_events (events, "I");
  assert_pixels (((PtlStreamEvent *) events->pdata[0])->image, image);
}

static void
test_end_round_trip (void)
{
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = events_new ();
  g_autoptr (GPtrArray) number = ptl_stream_v1_encode_end ("12");
  g_autoptr (GPtrArray) text = ptl_stream_v1_encode_end ("run-12");

  g_assert_cmpuint (number->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (number->pdata[0], NULL), 39,
                   "{\"htype\":\"dseries_end-1.0\",\"series\":12}", 39);
  g_assert_cmpuint (push_all (decoder, number, FALSE, events), ==, 0);
  g_assert_cmpuint (push_all (decoder, text, FALSE, events), ==, 0);
  assert_events (events, "EE");
  g_assert_cmpstr (((PtlStreamEvent *) events->pdata[0])->series_id, ==, "12");
  g_assert_cmpstr (((PtlStreamEvent *) events->pdata[1])->series_id, ==, "run-12");
}

/* ---- Bad input: each case, then a good image and a series end ---- */

#define IMAGE "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":0}"
#define IMAGE_D(shape, type, encoding, size) \
  "{\"htype\":\"dimage_d-1.0\",\"shape\":" shape ",\"type\":\"" type "\",\"encoding\":\"" \
  encoding "\",\"size\":" size "}"
#define RAW_D IMAGE_D ("[2,2]", "uint8", "<", "4")
#define DCONFIG "{\"htype\":\"dconfig-1.0\",\"start_time\":1,\"stop_time\":2,\"real_time\":1}"
#define HEADER(detail) "{\"htype\":\"dheader-1.0\",\"series\":1,\"header_detail\":\"" detail "\"}"
#define CONFIG "{\"x_pixels_in_detector\":2,\"y_pixels_in_detector\":2,\"bit_depth_image\":8}"
#define SECTION(htype, shape, type) \
  "{\"htype\":\"" htype "\",\"shape\":" shape ",\"type\":\"" type "\"}"
#define FLATFIELD SECTION ("dflatfield-1.0", "[2,2]", "float32"), "#16"
#define PIXEL_MASK_HEADER SECTION ("dpixelmask-1.0", "[2,2]", "uint32")
#define PIXEL_MASK PIXEL_MASK_HEADER, "#16"
#define COUNTRATE SECTION ("dcountrate_table-1.0", "[2,1]", "float32"), "#8"
#define END "{\"htype\":\"dseries_end-1.0\",\"series\":1}"

typedef struct
{
  const char *name;
  const char *parts[10]; /* "#N": N zero bytes; "$deep", "$comment": JSON too deep to parse */
  guint       errors;
  guint       missing;
  guint       resyncs;
  const char *events;    /* the trailing good image and end included */
} BadCase;

static const BadCase bad_cases[] = {
  { "config-binary", { HEADER ("basic"), "#10" }, 1, 0, 1, "IE" },
  { "config-array", { HEADER ("basic"), "[1,2]" }, 1, 0, 1, "IE" },
  { "config-wrong-type", { HEADER ("basic"), "{\"x_pixels_in_detector\":\"2\"}" }, 1, 0, 1, "IE" },
  { "config-too-wide", { HEADER ("basic"), "{\"x_pixels_in_detector\":32769}" }, 1, 0, 1, "IE" },
  { "config-deep", { HEADER ("basic"), "$deep" }, 1, 0, 1, "IE" },
  { "config-comment", { HEADER ("basic"), "$comment" }, 1, 0, 1, "IE" },
  { "config-missing", { HEADER ("basic"), END }, 1, 1, 0, "EIE" },
  { "unknown-htype", { "{\"htype\":\"dfoo-1.0\"}" }, 1, 0, 1, "IE" },
  { "htype-not-string", { "{\"htype\":5}" }, 1, 0, 1, "IE" },
  { "unknown-header-detail",
    { "{\"htype\":\"dheader-1.0\",\"series\":1,\"header_detail\":\"most\"}" },
    1, 0, 1, "IE" },
  { "series-missing", { "{\"htype\":\"dimage-1.0\",\"frame\":0}" }, 1, 0, 1, "IE" },
  { "frame-string", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":\"0\"}" }, 1, 0, 1, "IE" },
  { "frame-negative", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":-1}" }, 1, 0, 1, "IE" },
  { "trailing-garbage", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":0} x" },
    1, 0, 1, "IE" },
  { "not-utf8", { "{\"htype\":\"dimage-1.0\",\"series\":\"\xff\",\"frame\":0}" }, 1, 0, 1, "IE" },
  { "dimage_d-missing", { IMAGE, "#4", DCONFIG }, 1, 0, 1, "IE" },
  { "blob-missing", { IMAGE, RAW_D, DCONFIG }, 1, 1, 1, "IE" },
  { "dconfig-missing", { IMAGE, RAW_D, "#4" }, 1, 1, 0, "IIE" },
  { "dimage-missing", { RAW_D, "#4", DCONFIG }, 1, 1, 1, "IE" },
  { "blob-short", { IMAGE, RAW_D, "#3", DCONFIG }, 1, 0, 1, "IE" },
  { "blob-long", { IMAGE, RAW_D, "#5", DCONFIG }, 1, 0, 1, "IE" },
  { "shape-too-wide", { IMAGE, IMAGE_D ("[32769,1]", "uint8", "<", "32769") }, 1, 0, 1, "IE" },
  { "shape-zero", { IMAGE, IMAGE_D ("[0,2]", "uint8", "<", "0") }, 1, 0, 1, "IE" },
  { "shape-one-side", { IMAGE, IMAGE_D ("[2]", "uint8", "<", "2") }, 1, 0, 1, "IE" },
  { "unknown-encoding", { IMAGE, IMAGE_D ("[2,2]", "uint16", "bs16-lz4>", "20") }, 1, 0, 1, "IE" },
  { "encoding-of-other-type", { IMAGE, IMAGE_D ("[2,2]", "uint8", "bs16-lz4<", "20") },
    1, 0, 1, "IE" },
  { "unknown-type", { IMAGE, IMAGE_D ("[2,2]", "int16", "<", "8") }, 1, 0, 1, "IE" },
  { "raw-size", { IMAGE, IMAGE_D ("[2,2]", "uint8", "<", "5"), "#5" }, 1, 0, 1, "IE" },
  { "lz4-size", { IMAGE, IMAGE_D ("[2,2]", "uint8", "lz4<", "100"), "#100" }, 1, 0, 1, "IE" },
  { "bslz4-total", { IMAGE, IMAGE_D ("[2,2]", "uint8", "bs8-lz4<", "12"), "#12", DCONFIG },
    1, 0, 1, "IE" },
  { "unknown-htype-in-image", { IMAGE, "{\"htype\":\"dfoo-1.0\"}", "#4" }, 1, 0, 1, "IE" },
  { "dconfig-wrong-type",
    { IMAGE, RAW_D, "#4", "{\"htype\":\"dconfig-1.0\",\"start_time\":\"1\"}" },
    1, 0, 1, "IIE" },
  { "after-complete-message", { IMAGE, RAW_D, "#4", DCONFIG, DCONFIG }, 1, 0, 1, "IIE" },
  { "outside-message", { "#4" }, 1, 0, 1, "IE" },
  { "empty-part", { "#0" }, 1, 0, 1, "IE" },
  { "after-end", { END, "#4" }, 1, 0, 1, "EIE" },
  { "sections-missing", { HEADER ("all"), CONFIG }, 1, 6, 0, "SIE" },
  { "flatfield-missing", { HEADER ("all"), CONFIG, PIXEL_MASK, COUNTRATE }, 1, 2, 0, "SIE" },
  { "section-backwards", { HEADER ("all"), CONFIG, FLATFIELD, SECTION ("dflatfield-1.0", "[2,2]",
                                                                     "float32") },
    1, 0, 1, "SIE" },
  { "section-unknown-type", { HEADER ("all"), CONFIG,
                              SECTION ("dflatfield-1.0", "[2,2]", "float64"), "#32",
                              PIXEL_MASK, COUNTRATE }, 1, 0, 1, "SIE" },
  { "section-blob-short", { HEADER ("all"), CONFIG, SECTION ("dflatfield-1.0", "[2,2]", "float32"),
                            "#15", PIXEL_MASK, COUNTRATE }, 1, 0, 1, "SIE" },
  { "pixel-mask-shape", { HEADER ("all"), CONFIG, FLATFIELD,
                          SECTION ("dpixelmask-1.0", "[3,2]", "uint32"), "#24", COUNTRATE },
    1, 0, 1, "SIE" },
  { "pixel-mask-float", { HEADER ("all"), CONFIG, FLATFIELD,
                          SECTION ("dpixelmask-1.0", "[2,2]", "float32"), "#16", COUNTRATE },
    1, 0, 1, "SIE" },
};

static GBytes *
bad_part (const char *spec)
{
  GString *text;

  if (spec[0] == '#')
    return g_bytes_new_take (g_malloc0 (atoi (spec + 1)), atoi (spec + 1));
  if (spec[0] != '$')
    return g_bytes_new_static (spec, strlen (spec));
  /* A comment could hide a quote, and with it the brackets, from a simple scan. */
  text = g_string_new (strcmp (spec, "$comment") == 0 ? "/*\"*/" : "");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, ']');
  return g_string_free_to_bytes (text);
}

static void
test_bad_input (gconstpointer data)
{
  const BadCase *bad = data;
  static const char *const trailer[] = {
    "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":99}", RAW_D, "#4", DCONFIG, END
  };
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = events_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  PtlStreamV1Counters counters;
  guint failures;
  const PtlStreamEvent *last_image;

  for (guint i = 0; i < G_N_ELEMENTS (bad->parts) && bad->parts[i] != NULL; i++)
    g_ptr_array_add (parts, bad_part (bad->parts[i]));
  logged = 0;
  failures = push_all (decoder, parts, FALSE, events);

  g_ptr_array_set_size (parts, 0);
  for (guint i = 0; i < G_N_ELEMENTS (trailer); i++)
    g_ptr_array_add (parts, bad_part (trailer[i]));
  failures += push_all (decoder, parts, FALSE, events);

  assert_events (events, bad->events);
  last_image = events->pdata[events->len - 2];
  g_assert_cmpuint (last_image->image->image_id, ==, 99);
  g_assert_cmpmem (g_bytes_get_data (last_image->image->data, NULL), 4, "\0\0\0\0", 4);
  counters = ptl_stream_v1_decoder_get_counters (decoder);
  g_assert_cmpuint (counters.errors, ==, bad->errors);
  g_assert_cmpuint (failures, >=, 1);
  g_assert_cmpuint (failures, <=, counters.errors);
  g_assert_cmpuint (counters.missing_parts, ==, bad->missing);
  g_assert_cmpuint (counters.resyncs, ==, bad->resyncs);
  g_assert_cmpuint (counters.messages, ==, strlen (bad->events));
  g_assert_cmpuint (logged, ==, counters.errors);
  if (bad->events[0] == 'S')
    {
      gboolean mask_sent = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (bad->parts) && bad->parts[i] != NULL; i++)
        mask_sent = mask_sent || strcmp (bad->parts[i], PIXEL_MASK_HEADER) == 0;
      g_assert_true ((((PtlStreamEvent *) events->pdata[0])->series->pixel_mask != NULL)
                     == mask_sent);
    }
}

/* Masks of 1 and 2 bytes per pixel are widened, little-endian. */
static void
test_pixel_mask_types (void)
{
  static const guint8 blobs[2][8] = { { 1, 0, 0xff, 4 }, { 1, 0, 0, 0, 0x34, 0x12, 0, 0x80 } };
  static const guint32 expected[2][4] = { { 1, 0, 0xff, 4 }, { 1, 0, 0x1234, 0x8000 } };
  static const char *const headers[2] = {
    SECTION ("dpixelmask-1.0", "[2,2]", "uint8"), SECTION ("dpixelmask-1.0", "[2,2]", "uint16")
  };

  for (guint i = 0; i < 2; i++)
    {
      const char *specs[] = { HEADER ("all"), CONFIG, FLATFIELD, headers[i], NULL, COUNTRATE };
      g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
      g_autoptr (GPtrArray) events = events_new ();
      g_autoptr (GPtrArray) parts =
        g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

      for (guint j = 0; j < G_N_ELEMENTS (specs); j++)
        g_ptr_array_add (parts, specs[j] != NULL ? bad_part (specs[j])
                                                 : g_bytes_new_static (blobs[i], 4 * (i + 1)));
      g_assert_cmpuint (push_all (decoder, parts, TRUE, events), ==, 0);
      assert_events (events, "S");
      g_assert_cmpmem (((PtlStreamEvent *) events->pdata[0])->series->pixel_mask, 16,
                       expected[i], 16);
    }
}

/* Every truncation and many corruptions of every JSON part of a whole series: the decoder
 * neither crashes nor stops decoding what follows. */
static void
test_damaged_json (void)
{
  g_autoptr (PtlSeriesInfo) series = series_new ();
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = events_new ();
  g_autoptr (GPtrArray) stream = ptl_stream_v1_encode_header (series, PTL_STREAM_V1_DETAIL_ALL);
  g_autoptr (GPtrArray) end = ptl_stream_v1_encode_end ("17");
  static const char replacements[] = { '"', '}', ']', '0', '\xff' };
  guint16 pixels[15] = { 1, 2, 3 };
  g_autofree char *types = NULL;

  g_ptr_array_set_free_func (stream, NULL);
  for (PtlEncoding encoding = PTL_ENCODING_RAW; encoding <= PTL_ENCODING_BSLZ4; encoding++)
    {
      g_autoptr (GBytes) data = compress (pixels, 15, 2, encoding);
      PtlImageInfo image = { "17", encoding, 3, 5, 2, encoding, data, 1, 2, 3 };
      g_autoptr (GPtrArray) parts = ptl_stream_v1_encode_image (&image, NULL);

      g_ptr_array_extend_and_steal (stream, g_steal_pointer (&parts));
    }
  g_ptr_array_extend_and_steal (stream, g_steal_pointer (&end));
  g_ptr_array_set_free_func (stream, (GDestroyNotify) g_bytes_unref);

  logged = 0;
  for (guint j = 0; j < stream->len; j++)
    {
      GBytes *original = stream->pdata[j];
      gsize length;
      const char *text = g_bytes_get_data (original, &length);

      if (text[0] != '{')
        continue;
      for (gsize cut = 0; cut <= length * (1 + G_N_ELEMENTS (replacements)); cut++)
        {
          g_autofree char *damaged = g_memdup2 (text, length);
          gsize damaged_length = length;

          if (cut < length)
            damaged_length = cut;
          else if (cut < length * (1 + G_N_ELEMENTS (replacements)))
            damaged[cut % length] = replacements[cut / length - 1];
          else
            continue;
          stream->pdata[j] = g_bytes_new_static (damaged, damaged_length);
          push_all (decoder, stream, cut % 2, events);
          g_bytes_unref (stream->pdata[j]);
          stream->pdata[j] = original;
        }
    }
  g_assert_cmpuint (logged, ==, ptl_stream_v1_decoder_get_counters (decoder).errors);
  g_assert_cmpuint (logged, >, 0);

  g_ptr_array_set_size (events, 0);
  g_assert_cmpuint (push_all (decoder, stream, TRUE, events), ==, 0);
  types = event_types (events);
  g_assert_true (g_str_has_suffix (types, "SIIIE"));
}

static void
add_bad_input_tests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/stream-v1/bad/%s", bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_bad_input);
    }
  g_test_add_func ("/stream-v1/bad/damaged-json", test_damaged_json);
  g_test_add_func ("/stream-v1/header/pixel-mask-types", test_pixel_mask_types);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_handler ("Ptl-Stream", G_LOG_LEVEL_MESSAGE, count_message, NULL);

  g_test_add_data_func ("/stream-v1/fixture/separate-parts", GINT_TO_POINTER (FALSE),
                        test_fixture);
  g_test_add_data_func ("/stream-v1/fixture/multipart", GINT_TO_POINTER (TRUE), test_fixture);
  g_test_add_func ("/stream-v1/header/round-trip", test_header_round_trip);
  g_test_add_func ("/stream-v1/header/flush", test_header_flush);
  g_test_add_data_func ("/stream-v1/image/raw", GINT_TO_POINTER (PTL_ENCODING_RAW),
                        test_image_round_trip);
  g_test_add_data_func ("/stream-v1/image/lz4", GINT_TO_POINTER (PTL_ENCODING_LZ4),
                        test_image_round_trip);
  g_test_add_data_func ("/stream-v1/image/bslz4", GINT_TO_POINTER (PTL_ENCODING_BSLZ4),
                        test_image_round_trip);
  g_test_add_func ("/stream-v1/image/lz4-block-as-long-as-image",
                   test_lz4_block_as_long_as_image);
  g_test_add_func ("/stream-v1/end/round-trip", test_end_round_trip);
  add_bad_input_tests ();
  return g_test_run ();
}
