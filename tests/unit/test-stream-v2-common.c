/* Shared by the Stream V2 tests (test-stream-v2-common.h). */
#include "config.h"

#include "test-stream-v2-common.h"

#include <string.h>

#include "core/ptl-error.h"

GBytes *
test_stream_v2_hex (const char *text)
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

PtlStreamEvent *
test_stream_v2_decode_ok (GBytes     *message,
                          const char *channel)
{
  g_autoptr (GError) error = NULL;
  PtlStreamEvent *event = ptl_stream_v2_decode (message, channel, &error);

  g_assert_no_error (error);
  g_assert_nonnull (event);
  return event;
}

void
test_stream_v2_decode_bad (GBytes     *message,
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

void
test_stream_v2_assert_view (GBytes *message,
                            GBytes *view)
{
  gsize len, view_len;
  const guint8 *base = g_bytes_get_data (message, &len);
  const guint8 *data = g_bytes_get_data (view, &view_len);

  g_assert_true (data >= base && data + view_len <= base + len);
}

GBytes *
test_stream_v2_random_bytes (gsize n)
{
  guint8 *data = g_malloc (n);

  for (gsize i = 0; i < n; i++)
    data[i] = g_test_rand_int_range (0, 256);
  return g_bytes_new_take (data, n);
}

PtlSeriesInfo *
test_stream_v2_make_series (void)
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

const char test_stream_v2_hand_start[] =
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

