/* ptycholive-bench stream, over the network: DECTRIS Stream V2 images of a 2048² sCMOS
 * frame, bitshuffle+LZ4 compressed, pushed over TCP loopback as fast as the reader takes
 * them and received by the detector client, which decodes the crop's rows of each one on
 * its socket thread (what the live path does). The publisher's messages are encoded
 * beforehand, so the sender costs only the transport. The baseline is the same stream
 * received without decoding: the transport alone. */
#include "config.h"

#include "ptl-bench.h"

#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-detector-client.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

#define DISTINCT_MESSAGES 16

typedef struct
{
  gboolean     decode;
  guint        cols;
  guint        row_begin;
  guint        row_end;
  guint16     *rows;
  GMutex       lock;
  GCond        cond;
  guint64      images;
  guint64      decode_errors;
  gboolean     ended;
  gint64       end_us;
} Reader;

static void
on_event (PtlStreamEvent *event,
          gpointer        user_data)
{
  Reader *reader = user_data;
  gboolean failed = FALSE;

  if (event->type == PTL_STREAM_EVENT_IMAGE && reader->decode)
    {
      gsize len;
      const guint8 *src = g_bytes_get_data (event->image->data, &len);
      failed = !ptl_bslz4_decode_rows (src, len, sizeof (guint16), reader->cols,
                                       reader->row_begin, reader->row_end, reader->rows, NULL);
    }

  g_mutex_lock (&reader->lock);
  if (event->type == PTL_STREAM_EVENT_IMAGE)
    reader->images++, reader->decode_errors += failed;
  else if (event->type == PTL_STREAM_EVENT_END)
    {
      reader->ended = TRUE;
      reader->end_us = g_get_monotonic_time ();
      g_cond_signal (&reader->cond);
    }
  g_mutex_unlock (&reader->lock);
  ptl_stream_event_free (event);
}

static gboolean
send_one (PtlZmqSender *sender,
          GBytes       *message,
          GError      **error)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_ptr_array_add (parts, g_bytes_ref (message));
  return ptl_zmq_sender_send (sender, parts, error);
}

/* Sends start, n images (the pre-encoded messages in turn) and end to a fresh client;
 * returns frames per second from the first image sent to the end received. */
static gboolean
stream_once (GPtrArray   *messages,
             GBytes      *start,
             GBytes      *end,
             guint        n,
             Reader      *reader,
             double      *frames_per_second,
             GError     **error)
{
  g_autoptr (PtlZmqSender) sender = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH, TRUE,
                                                        error);
  if (sender == NULL)
    return FALSE;
  g_autoptr (PtlDetectorClient) client = ptl_detector_client_new (
    ptl_zmq_sender_endpoint (sender), PTL_DETECTOR_PROTOCOL_V2, NULL, on_event, reader, error);
  if (client == NULL)
    return FALSE;

  /* A PUSH with no peer blocks, so the start leaves once the client is connected. */
  if (!send_one (sender, start, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time ();
  for (guint k = 0; k < n; k++)
    if (!send_one (sender, g_ptr_array_index (messages, k % messages->len), error))
      return FALSE;
  if (!send_one (sender, end, error))
    return FALSE;

  gint64 deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&reader->lock);
  while (!reader->ended)
    if (!g_cond_wait_until (&reader->cond, &reader->lock, deadline))
      break;
  gboolean ended = reader->ended;
  gint64 t1 = reader->end_us;
  g_mutex_unlock (&reader->lock);
  if (!ended)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "The series did not end within 120 s (%" G_GUINT64_FORMAT " of %u images)",
                   reader->images, n);
      return FALSE;
    }
  *frames_per_second = n / ((t1 - t0) * 1e-6);
  return TRUE;
}

gboolean
bench_stream_tcp (const guint16 *const *frames,
                  guint                 n_frames,
                  guint                 rows,
                  guint                 cols,
                  guint                 row_begin,
                  guint                 row_end,
                  guint                 n_images,
                  const char           *machine,
                  GError              **error)
{
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean ok;
  double with_decode = 0, transport = 0, compressed = 0;
  PtlSeriesInfo series = {
    .series_id = (char *) "1",
    .image_rows = rows,
    .image_cols = cols,
    .element_size = sizeof (guint16),
    .number_of_images = n_images,
  };
  g_autoptr (GBytes) start = ptl_stream_v2_encode_start (&series, NULL);
  g_autoptr (GBytes) end = ptl_stream_v2_encode_end ("1");
  g_autofree guint16 *out = g_new (guint16, (gsize) (row_end - row_begin) * cols);

  for (guint k = 0; k < DISTINCT_MESSAGES; k++)
    {
      g_autoptr (GBytes) blob = ptl_bslz4_encode (frames[k % n_frames], (gsize) rows * cols,
                                                  sizeof (guint16), 0, error);
      if (blob == NULL)
        return FALSE;
      compressed += g_bytes_get_size (blob);
      PtlImageInfo image = {
        .series_id = (char *) "1",
        .image_id = k,
        .rows = rows,
        .cols = cols,
        .element_size = sizeof (guint16),
        .encoding = PTL_ENCODING_BSLZ4,
        .data = blob,
      };
      g_ptr_array_add (messages, ptl_stream_v2_encode_image (&image, NULL));
    }

  Reader decoding = { .decode = TRUE, .cols = cols, .row_begin = row_begin,
                      .row_end = row_end, .rows = out };
  Reader plain = { .decode = FALSE };
  g_mutex_init (&decoding.lock), g_cond_init (&decoding.cond);
  g_mutex_init (&plain.lock), g_cond_init (&plain.cond);
  ok = stream_once (messages, start, end, n_images, &plain, &transport, error)
       && stream_once (messages, start, end, n_images, &decoding, &with_decode, error);
  g_mutex_clear (&decoding.lock), g_cond_clear (&decoding.cond);
  g_mutex_clear (&plain.lock), g_cond_clear (&plain.cond);
  if (!ok)
    return FALSE;
  if (decoding.decode_errors > 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%" G_GUINT64_FORMAT " images failed to decode", decoding.decode_errors);
      return FALSE;
    }

  g_autofree char *case_text = g_strdup_printf (
    "DECTRIS Stream V2 over TCP loopback: %u images of %u×%u uint16 bitshuffle+LZ4 "
    "(%.2f× compressed; %d messages encoded beforehand from %u exposures, sent in turn), "
    "pushed as fast as "
    "the reader takes them; the detector client decodes rows %u–%u of each on its socket "
    "thread; received %" G_GUINT64_FORMAT ", lost %" G_GUINT64_FORMAT,
    n_images, rows, cols, DISTINCT_MESSAGES * (double) rows * cols * 2 / compressed,
    DISTINCT_MESSAGES, n_frames, row_begin, row_end, decoding.images, n_images - decoding.images);
  BenchRow row = {
    .bench = "stream",
    .case_text = case_text,
    .metric = "frames_per_second",
    .value = with_decode,
    .unit = "frames/s",
    .backend = "cpu",
    .threads = 2,
    .machine = machine,
    .baseline = "the same stream received without decoding (the transport alone; target for "
                "the value: ≥ 400 frames/s with 0 lost)",
    .baseline_value = transport,
  };
  print_row (&row);

  row.metric = "frames_lost";
  row.value = (double) (n_images - decoding.images);
  row.unit = "frames";
  row.baseline = NULL;
  print_row (&row);
  return TRUE;
}
