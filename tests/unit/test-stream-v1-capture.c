/* The Stream V1 decoder on a real EIGER capture (tests/data/dectris-stream-v1), pushed as
 * separate parts and as multipart messages, with two of its parts missing. */
#include "config.h"

#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1.h"
#include "test-stream-v1-common.h"

#define FIXTURE_PARTS 22
#define FIXTURE_COLS 2070
#define FIXTURE_ROWS 2167

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
  g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
  GBytes *parts[FIXTURE_PARTS + 1] = { NULL };
  const PtlSeriesInfo *series;
  PtlStreamV1Counters counters;

  test_stream_v1_logged = 0;
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

  test_stream_v1_assert_events (events, "SIIIE");
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
  g_assert_cmpuint (test_stream_v1_logged, ==, 2);
  for (guint number = 1; number <= FIXTURE_PARTS; number++)
    g_clear_pointer (&parts[number], g_bytes_unref);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_stream_v1_count_logged ();

  g_test_add_data_func ("/stream-v1/fixture/separate-parts", GINT_TO_POINTER (FALSE),
                        test_fixture);
  g_test_add_data_func ("/stream-v1/fixture/multipart", GINT_TO_POINTER (TRUE), test_fixture);
  return g_test_run ();
}
