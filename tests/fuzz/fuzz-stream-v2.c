/* libFuzzer target for the Stream V2 decoder: any input either decodes or fails with a
 * format error, and a decoded image's bytes lie inside the message. */
#include "config.h"

#include <stdint.h>

#include "core/ptl-error.h"
#include "stream/ptl-stream-v2.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
decode (GBytes     *message,
        const char *channel)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlStreamEvent) event = ptl_stream_v2_decode (message, channel, &error);
  const guint8 *base = g_bytes_get_data (message, NULL);
  g_autofree guint8 *copy = NULL;
  const guint8 *pixels;
  gsize len;

  g_assert ((event == NULL) == (error != NULL));
  if (event == NULL)
    {
      g_assert (g_error_matches (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT));
      return;
    }
  if (event->type != PTL_STREAM_EVENT_IMAGE)
    return;
  pixels = g_bytes_get_data (event->image->data, &len);
  g_assert (pixels >= base && pixels + len <= base + g_bytes_get_size (message));
  /* Copying the view makes the sanitizer check every byte of it. */
  copy = g_memdup2 (pixels, len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (GBytes) message = g_bytes_new_static (data, size);

  decode (message, NULL);
  decode (message, PTL_STREAM_V2_DEFAULT_CHANNEL);
  return 0;
}
