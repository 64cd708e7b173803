/* libFuzzer target for the PandA position decoder: the input is a sequence of messages
 * separated by NUL bytes, pushed after a valid start into a decoder whose configuration
 * the first byte picks. Every message either decodes or fails with a format error, and
 * within an acquisition the positions leave finite and in strictly increasing order. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-panda.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

typedef struct
{
  gboolean have_last;
  guint64  last_index;
  guint64  positions;
} Check;

static void
push (PtlPandaDecoder *decoder,
      const uint8_t   *bytes,
      gsize            length,
      Check           *check)
{
  g_autoptr (GBytes) message = g_bytes_new_static (bytes, length);
  g_autoptr (GArray) positions = g_array_new (FALSE, FALSE, sizeof (PtlStagePosition));
  g_autoptr (GError) error = NULL;
  PtlPandaMsgType type;
  gboolean ok = ptl_panda_decoder_push (decoder, message, 0, &type, positions, &error);

  g_assert (ok == (error == NULL));
  g_assert (ok || g_error_matches (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT));
  g_assert (ok || positions->len == 0);
  for (guint i = 0; i < positions->len; i++)
    {
      PtlStagePosition *position = &g_array_index (positions, PtlStagePosition, i);

      g_assert (isfinite (position->x) && isfinite (position->y));
      g_assert (!check->have_last || position->index > check->last_index);
      check->have_last = TRUE;
      check->last_index = position->index;
    }
  check->positions += positions->len;
  /* The positions above closed the previous acquisition; indices start again. */
  if (ok && type == PTL_PANDA_MSG_START)
    check->have_last = FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char start[] = "{\"msg_type\": \"start\", \"arm_time\": null}";
  g_autoptr (PtlPandaDecoder) decoder = NULL;
  PtlPandaConfig config = { "/X", "Y", 1, 1e-6, 0 };
  Check check = { 0 };
  gsize begin;

  if (size < 1)
    return 0;
  config.samples_per_frame = 1 + (data[0] & 3);
  config.reorder_window = data[0] >> 2;
  decoder = ptl_panda_decoder_new (&config, NULL);
  g_assert (decoder != NULL);

  push (decoder, (const uint8_t *) start, strlen (start), &check);
  begin = 1;
  for (gsize i = 1; i <= size; i++)
    if (i == size || data[i] == '\0')
      {
        push (decoder, data + begin, i - begin, &check);
        begin = i + 1;
      }
  g_assert (ptl_panda_decoder_counters (decoder).positions == check.positions);
  return 0;
}
