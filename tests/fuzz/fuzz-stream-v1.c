/* libFuzzer target for the Stream V1 decoder. The first input byte is the separator at
 * which the rest is split into message parts; the second says, bit by bit, which parts
 * carry "more". Whatever came before, a good image message must then still decode, and
 * every event must be whole. Built with -Dfuzzing=true (CC=clang); a seed corpus of real
 * parts: the fixture's JSON parts joined with a separator byte they lack. */
#include "config.h"

#include <string.h>

#include "stream/ptl-stream-v1.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

static const char *const good_image[] = {
  "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":7}",
  "{\"htype\":\"dimage_d-1.0\",\"shape\":[2,2],\"type\":\"uint8\",\"encoding\":\"<\",\"size\":4}",
  "abcd",
  "{\"htype\":\"dconfig-1.0\"}",
};

static void
ignore_message (const char    *domain,
                GLogLevelFlags level,
                const char    *message,
                gpointer       user_data)
{
}

static void
check_event (const PtlStreamEvent *event)
{
  switch (event->type)
    {
    case PTL_STREAM_EVENT_START:
      g_assert (event->series->series_id != NULL);
      g_assert (event->series->image_rows <= PTL_STREAM_MAX_SIDE);
      g_assert (event->series->image_cols <= PTL_STREAM_MAX_SIDE);
      /* Reading its last element lets the sanitizer check the mask's size. */
      if (event->series->pixel_mask != NULL)
        {
          volatile guint32 last = event->series->pixel_mask[(gsize) event->series->image_rows
                                                            * event->series->image_cols - 1];
          (void) last;
        }
      break;
    case PTL_STREAM_EVENT_IMAGE:
      g_assert (event->image->series_id != NULL && event->image->data != NULL);
      g_assert (event->image->rows >= 1 && event->image->rows <= PTL_STREAM_MAX_SIDE);
      g_assert (event->image->cols >= 1 && event->image->cols <= PTL_STREAM_MAX_SIDE);
      break;
    case PTL_STREAM_EVENT_END:
      g_assert (event->series_id != NULL);
      break;
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_stream_event_free);
  const PtlStreamEvent *last;
  guint8 separator, more_bits;
  gsize begin = 2;
  guint index = 0;

  if (size < 2)
    return 0;
  g_log_set_handler ("Ptl-Stream", G_LOG_LEVEL_MESSAGE, ignore_message, NULL);
  separator = data[0];
  more_bits = data[1];

  for (gsize i = 2; i <= size; i++)
    if (i == size || data[i] == separator)
      {
        /* A copy, so that the sanitizer sees reads past the part's end. */
        g_autoptr (GBytes) part = g_bytes_new (data + begin, i - begin);

        ptl_stream_v1_decoder_push (decoder, part, (more_bits >> (index++ % 8)) & 1, events,
                                    NULL);
        begin = i + 1;
      }
  ptl_stream_v1_decoder_flush (decoder, events);

  for (guint i = 0; i < G_N_ELEMENTS (good_image); i++)
    {
      g_autoptr (GBytes) part = g_bytes_new_static (good_image[i], strlen (good_image[i]));

      ptl_stream_v1_decoder_push (decoder, part, FALSE, events, NULL);
    }
  for (guint i = 0; i < events->len; i++)
    check_event (events->pdata[i]);
  g_assert (events->len > 0);
  last = events->pdata[events->len - 1];
  g_assert (last->type == PTL_STREAM_EVENT_IMAGE && last->image->image_id == 7);
  g_assert (memcmp (g_bytes_get_data (last->image->data, NULL), "abcd", 4) == 0);
  return 0;
}
