/* Stream V1 round trips: series headers of every detail, images in every encoding and
 * element size, and series ends, through the encoders and back through the decoder. */
#include "config.h"

#include <lz4.h>
#include <string.h>

#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1.h"
#include "test-stream-v1-common.h"

static void
test_header_round_trip (void)
{
  /* dheader, + configuration, + three sections with their blobs; + the appendix. */
  static const guint n_parts[] = { 2, 3, 9 };

  for (PtlStreamV1Detail detail = 0; detail <= PTL_STREAM_V1_DETAIL_ALL; detail++)
    for (guint framed = 0; framed < 2; framed++)
      {
        g_autoptr (PtlSeriesInfo) sent = test_stream_v1_series_new ();
        g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
        g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
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
        g_assert_cmpuint (test_stream_v1_push_all (decoder, parts, framed, events), ==, 0);
        test_stream_v1_assert_events (events, "S");
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
      g_autoptr (PtlSeriesInfo) sent = test_stream_v1_series_new ();
      g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
      g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
      g_autoptr (GPtrArray) parts = NULL;

      g_clear_pointer (&sent->user_data, g_free);
      parts = ptl_stream_v1_encode_header (sent, PTL_STREAM_V1_DETAIL_BASIC);
      g_assert_cmpuint (test_stream_v1_push_all (decoder, parts, framed, events), ==, 0);
      g_assert_cmpuint (events->len, ==, framed ? 1 : 0);
      ptl_stream_v1_decoder_flush (decoder, events);
      test_stream_v1_assert_events (events, "S");
      g_assert_null (((PtlStreamEvent *) events->pdata[0])->series->user_data);
      ptl_stream_v1_decoder_flush (decoder, events);
      test_stream_v1_assert_events (events, "S");
    }
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
        g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
        g_autoptr (GPtrArray) parts = NULL, again = NULL;
        g_autoptr (GError) error = NULL;
        PtlImageInfo sent = { "42", 1234567, rows, cols, element_size, encoding, NULL,
                              1000, 2000, 900 };
        const PtlImageInfo *got;
        GBytes *blob;

        /* Runs of equal values, so that LZ4 has something to compress. */
        for (guint i = 0; i < rows * cols * element_size; i++)
          pixels[i] = g_test_rand_int_range (0, 4) == 0 ? g_test_rand_int_range (0, 256) : 0;
        sent.data = test_stream_v1_compress (pixels, rows * cols, element_size, encoding);
        parts = ptl_stream_v1_encode_image (&sent, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (parts->len, ==, 4);
        g_assert_cmpuint (test_stream_v1_push_all (decoder, parts, framed, events), ==, 0);
        test_stream_v1_assert_events (events, "I");
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
  g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  char check[17];

  g_assert_cmpint (LZ4_decompress_safe (block, check, 17, 17), ==, 17);
  g_assert_cmpmem (check, 17, image, 17);
  g_ptr_array_add (parts, g_bytes_new_static ("{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":3}",
                                              43));
  g_ptr_array_add (parts, g_bytes_new_static (d, strlen (d)));
  g_ptr_array_add (parts, g_bytes_new_static (block, 17));
  g_ptr_array_add (parts, g_bytes_new_static ("{\"htype\":\"dconfig-1.0\"}", 23));
  g_assert_cmpuint (test_stream_v1_push_all (decoder, parts, TRUE, events), ==, 0);
  test_stream_v1_assert_events (events, "I");
  assert_pixels (((PtlStreamEvent *) events->pdata[0])->image, image);
}

static void
test_end_round_trip (void)
{
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
  g_autoptr (GPtrArray) number = ptl_stream_v1_encode_end ("12");
  g_autoptr (GPtrArray) text = ptl_stream_v1_encode_end ("run-12");

  g_assert_cmpuint (number->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (number->pdata[0], NULL), 39,
                   "{\"htype\":\"dseries_end-1.0\",\"series\":12}", 39);
  g_assert_cmpuint (test_stream_v1_push_all (decoder, number, FALSE, events), ==, 0);
  g_assert_cmpuint (test_stream_v1_push_all (decoder, text, FALSE, events), ==, 0);
  test_stream_v1_assert_events (events, "EE");
  g_assert_cmpstr (((PtlStreamEvent *) events->pdata[0])->series_id, ==, "12");
  g_assert_cmpstr (((PtlStreamEvent *) events->pdata[1])->series_id, ==, "run-12");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_stream_v1_count_logged ();

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
  return g_test_run ();
}
