/* Shared by the Stream V1 tests (test-stream-v1-common.h). */
#include "config.h"

#include "test-stream-v1-common.h"

#include "core/ptl-error.h"
#include "core/ptl-geometry.h"
#include "stream/ptl-bslz4.h"

guint test_stream_v1_logged;

static void
count_message (const char    *domain,
               GLogLevelFlags level,
               const char    *message,
               gpointer       user_data)
{
  test_stream_v1_logged++;
}

void
test_stream_v1_count_logged (void)
{
  g_log_set_handler ("Ptl-Stream", G_LOG_LEVEL_MESSAGE, count_message, NULL);
}

GPtrArray *
test_stream_v1_events_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_stream_event_free);
}

guint
test_stream_v1_push_all (PtlStreamV1Decoder *decoder,
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

char *
test_stream_v1_event_types (GPtrArray *events)
{
  GString *types = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      PtlStreamEvent *event = events->pdata[i];

      g_string_append_c (types, "SIE"[event->type]);
    }
  return g_string_free (types, FALSE);
}

void
test_stream_v1_assert_events (GPtrArray  *events,
                              const char *expected)
{
  g_autofree char *types = test_stream_v1_event_types (events);

  g_assert_cmpstr (types, ==, expected);
}

PtlSeriesInfo *
test_stream_v1_series_new (void)
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

GBytes *
test_stream_v1_compress (const void  *pixels,
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
