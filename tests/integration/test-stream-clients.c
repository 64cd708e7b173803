/* The stream clients over loopback: a detector series (V2, V1 multipart and V1 split into
 * single parts) arrives whole with its counters; messages that break the series rules are
 * counted and dropped while the good ones around them arrive; PandA positions arrive in
 * index order; the --connect command line pairs a series and reports it. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "stream/ptl-detector-client.h"
#include "stream/ptl-position-client.h"
#include "stream/ptl-stream-v1.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

#define ROWS 4
#define COLS 6
#define N_IMAGES 50
#define POP_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef enum
{
  SEND_V2,
  SEND_V1,
  SEND_V1_SPLIT /* every V1 part as its own message, as some proxies forward them */
} SendMode;

static void
on_event (PtlStreamEvent *event,
          gpointer        user_data)
{
  g_async_queue_push (user_data, event);
}

static PtlStreamEvent *
pop_event (GAsyncQueue *queue)
{
  PtlStreamEvent *event = g_async_queue_timeout_pop (queue, POP_TIMEOUT_US);
  g_assert_nonnull (event);
  return event;
}

static PtlSeriesInfo *
make_series (const char *series_id)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup (series_id);
  series->image_rows = ROWS;
  series->image_cols = COLS;
  series->element_size = 2;
  series->number_of_images = N_IMAGES;
  return series;
}

static PtlImageInfo *
make_image (const char *series_id,
            guint64     image_id,
            guint       rows)
{
  PtlImageInfo *image = g_new0 (PtlImageInfo, 1);
  guint16 *pixels = g_new (guint16, rows * COLS);

  for (guint i = 0; i < rows * COLS; i++)
    pixels[i] = GUINT16_TO_LE ((guint16) (image_id * 100 + i));
  image->series_id = g_strdup (series_id);
  image->image_id = image_id;
  image->rows = rows;
  image->cols = COLS;
  image->element_size = 2;
  image->encoding = PTL_ENCODING_RAW;
  image->data = g_bytes_new_take (pixels, rows * COLS * sizeof (guint16));
  return image;
}

static void
send_parts (PtlZmqSender *sender,
            GPtrArray    *parts,
            SendMode      mode)
{
  g_autoptr (GError) error = NULL;

  if (mode != SEND_V1_SPLIT)
    {
      g_assert_true (ptl_zmq_sender_send (sender, parts, &error));
      g_assert_no_error (error);
      return;
    }
  for (guint i = 0; i < parts->len; i++)
    {
      g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_ptr_array_add (one, g_bytes_ref (parts->pdata[i]));
      g_assert_true (ptl_zmq_sender_send (sender, one, &error));
      g_assert_no_error (error);
    }
}

static GPtrArray *
one_part (GBytes *message)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (parts, message);
  return parts;
}

static void
send_start (PtlZmqSender *sender,
            SendMode      mode,
            const char   *series_id)
{
  g_autoptr (PtlSeriesInfo) series = make_series (series_id);
  g_autoptr (GPtrArray) parts = mode == SEND_V2
    ? one_part (ptl_stream_v2_encode_start (series, NULL))
    : ptl_stream_v1_encode_header (series, PTL_STREAM_V1_DETAIL_BASIC);
  send_parts (sender, parts, mode);
}

static void
send_image (PtlZmqSender *sender,
            SendMode      mode,
            const char   *series_id,
            guint64       image_id,
            guint         rows)
{
  g_autoptr (PtlImageInfo) image = make_image (series_id, image_id, rows);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) parts = mode == SEND_V2
    ? one_part (ptl_stream_v2_encode_image (image, NULL))
    : ptl_stream_v1_encode_image (image, &error);
  g_assert_no_error (error);
  send_parts (sender, parts, mode);
}

static void
send_end (PtlZmqSender *sender,
          SendMode      mode,
          const char   *series_id)
{
  g_autoptr (GPtrArray) parts = mode == SEND_V2 ? one_part (ptl_stream_v2_encode_end (series_id))
                                                : ptl_stream_v1_encode_end (series_id);
  send_parts (sender, parts, mode);
}

typedef struct
{
  PtlZmqSender      *sender;
  GAsyncQueue       *events;
  PtlDetectorClient *client;
} Detector;

static void
detector_open (Detector *detector,
               SendMode  mode)
{
  g_autoptr (GError) error = NULL;

  detector->sender = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH, TRUE, &error);
  g_assert_no_error (error);
  detector->events = g_async_queue_new_full ((GDestroyNotify) ptl_stream_event_free);
  detector->client = ptl_detector_client_new (ptl_zmq_sender_endpoint (detector->sender),
                                              mode == SEND_V2 ? PTL_DETECTOR_PROTOCOL_V2
                                                              : PTL_DETECTOR_PROTOCOL_V1,
                                              NULL, on_event, detector->events, &error);
  g_assert_no_error (error);
}

static void
detector_close (Detector *detector)
{
  ptl_detector_client_free (detector->client);
  g_assert_cmpint (g_async_queue_length (detector->events), ==, 0);
  g_async_queue_unref (detector->events);
  ptl_zmq_sender_free (detector->sender);
}

/* Pops the start, the images with ids first…last-1 and the end of series "7". */
static void
expect_series (GAsyncQueue *events,
               guint64      first,
               guint64      last)
{
  g_autoptr (PtlStreamEvent) start = pop_event (events);
  g_assert_cmpint (start->type, ==, PTL_STREAM_EVENT_START);
  g_assert_cmpstr (start->series->series_id, ==, "7");
  g_assert_cmpuint (start->series->image_rows, ==, ROWS);
  g_assert_cmpuint (start->series->image_cols, ==, COLS);
  g_assert_cmpuint (start->series->element_size, ==, 2);

  for (guint64 id = first; id < last; id++)
    {
      g_autoptr (PtlStreamEvent) event = pop_event (events);
      g_autoptr (PtlImageInfo) expected = make_image ("7", id, ROWS);
      g_assert_cmpint (event->type, ==, PTL_STREAM_EVENT_IMAGE);
      g_assert_cmpuint (event->image->image_id, ==, id);
      g_assert_cmpstr (event->image->series_id, ==, "7");
      g_assert_true (g_bytes_equal (event->image->data, expected->data));
    }

  g_autoptr (PtlStreamEvent) end = pop_event (events);
  g_assert_cmpint (end->type, ==, PTL_STREAM_EVENT_END);
  g_assert_cmpstr (end->series_id, ==, "7");
}

static void
test_series (gconstpointer data)
{
  SendMode mode = GPOINTER_TO_INT (data);
  Detector detector;
  PtlDetectorCounters counters;

  detector_open (&detector, mode);
  send_start (detector.sender, mode, "7");
  for (guint id = 0; id < N_IMAGES; id++)
    send_image (detector.sender, mode, "7", id, ROWS);
  send_end (detector.sender, mode, "7");
  expect_series (detector.events, 0, N_IMAGES);

  counters = ptl_detector_client_counters (detector.client);
  g_assert_cmpuint (counters.series, ==, 1);
  g_assert_cmpuint (counters.images, ==, N_IMAGES);
  g_assert_cmpuint (counters.ends, ==, 1);
  g_assert_cmpuint (counters.decode_errors + counters.order_errors + counters.mismatched, ==, 0);
  g_assert_cmpuint (counters.bytes, >, N_IMAGES * ROWS * COLS * 2);
  /* V2: one message per event; V1: header 2, image 4, end 1 parts. */
  g_assert_cmpuint (counters.messages, ==,
                    mode == SEND_V2 ? N_IMAGES + 2
                    : mode == SEND_V1 ? N_IMAGES + 2 : 2 + 4 * N_IMAGES + 1);
  detector_close (&detector);
}

static void
test_order_faults (gconstpointer data)
{
  SendMode mode = GPOINTER_TO_INT (data);
  Detector detector;
  PtlDetectorCounters counters;

  detector_open (&detector, mode);
  send_image (detector.sender, mode, "7", 0, ROWS); /* before the start */
  send_end (detector.sender, mode, "7");            /* without a start */
  send_start (detector.sender, mode, "7");
  for (guint id = 0; id < 10; id++)
    send_image (detector.sender, mode, "7", id, ROWS);
  send_start (detector.sender, mode, "7");          /* the same start again */
  send_image (detector.sender, mode, "8", 10, ROWS); /* another series */
  send_image (detector.sender, mode, "7", 10, ROWS - 1); /* another shape */
  for (guint id = 10; id < 20; id++)
    send_image (detector.sender, mode, "7", id, ROWS);
  send_end (detector.sender, mode, "7");
  expect_series (detector.events, 0, 20);

  counters = ptl_detector_client_counters (detector.client);
  g_assert_cmpuint (counters.order_errors, ==, 4);
  g_assert_cmpuint (counters.mismatched, ==, 1);
  g_assert_cmpuint (counters.decode_errors, ==, 0);
  g_assert_cmpuint (counters.series, ==, 1);
  g_assert_cmpuint (counters.images, ==, 20);
  g_assert_cmpuint (counters.ends, ==, 1);
  detector_close (&detector);
}

static void
test_decode_error (void)
{
  Detector detector;
  static const char garbage[] = "not CBOR at all";

  detector_open (&detector, SEND_V2);
  send_start (detector.sender, SEND_V2, "7");
  g_autoptr (GPtrArray) parts = one_part (g_bytes_new_static (garbage, sizeof garbage));
  send_parts (detector.sender, parts, SEND_V2);
  send_end (detector.sender, SEND_V2, "7");
  expect_series (detector.events, 0, 0);
  g_assert_cmpuint (ptl_detector_client_counters (detector.client).decode_errors, ==, 1);
  detector_close (&detector);
}

#define X_NAME "INENC1.VAL.Mean"
#define Y_NAME "INENC2.VAL.Mean"
#define N_POSITIONS 200

static void
on_positions (PtlPandaMsgType    type,
              const PtlStagePosition *positions,
              guint              n_positions,
              gpointer           user_data)
{
  for (guint i = 0; i < n_positions; i++)
    g_async_queue_push (user_data, g_memdup2 (&positions[i], sizeof (PtlStagePosition)));
}

static void
publish (PtlZmqSender *sender,
         GPtrArray    *messages)
{
  for (guint i = 0; i < messages->len; i++)
    {
      const char *text = messages->pdata[i];
      g_autoptr (GPtrArray) parts = one_part (g_bytes_new (text, strlen (text)));
      g_autoptr (GError) error = NULL;
      g_assert_true (ptl_zmq_sender_send (sender, parts, &error));
      g_assert_no_error (error);
    }
  g_ptr_array_set_size (messages, 0);
}

/* A subscriber misses what is published before its subscription reaches the publisher:
 * starts are repeated until one arrives. */
static void
wait_subscribed (PtlZmqSender      *sender,
                 PtlPositionClient *client)
{
  gint64 deadline = g_get_monotonic_time () + POP_TIMEOUT_US;
  g_autofree char *start = ptl_panda_encode_start (NULL);

  while (ptl_position_client_counters (client).panda.acquisitions == 0)
    {
      g_autoptr (GPtrArray) messages = g_ptr_array_new ();
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_ptr_array_add (messages, start);
      publish (sender, messages);
      g_usleep (20000);
    }
}

static void
test_positions (void)
{
  PtlPandaConfig config = { X_NAME, Y_NAME, 2, 1e-6, 8 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlZmqSender) sender = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUB, TRUE,
                                                        &error);
  g_autoptr (GAsyncQueue) queue = g_async_queue_new_full (g_free);
  g_autoptr (PtlPositionClient) client = NULL;
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new (X_NAME, Y_NAME, 7, 3);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  PtlPositionCounters counters;

  g_assert_no_error (error);
  client = ptl_position_client_new (ptl_zmq_sender_endpoint (sender), &config, on_positions,
                                    queue, &error);
  g_assert_no_error (error);
  wait_subscribed (sender, client);

  ptl_panda_encoder_start (encoder, NULL, messages);
  for (guint k = 0; k < 2 * N_POSITIONS; k++)
    ptl_panda_encoder_add (encoder, k / 2 * 10.0 + k % 2, -(double) (k / 2), messages);
  ptl_panda_encoder_stop (encoder, messages);
  publish (sender, messages);

  for (guint64 index = 0; index < N_POSITIONS; index++)
    {
      g_autofree PtlStagePosition *position = g_async_queue_timeout_pop (queue, POP_TIMEOUT_US);
      g_assert_nonnull (position);
      g_assert_cmpuint (position->index, ==, index);
      g_assert_cmpfloat_with_epsilon (position->x, (index * 10.0 + 0.5) * 1e-6, 1e-12);
      g_assert_cmpfloat_with_epsilon (position->y, -(double) index * 1e-6, 1e-12);
    }
  counters = ptl_position_client_counters (client);
  g_assert_cmpuint (counters.panda.positions, ==, N_POSITIONS);
  g_assert_cmpuint (counters.panda.bad_messages, ==, 0);
  g_assert_cmpuint (counters.panda.reordered_chunks, >, 0);
  g_assert_cmpuint (counters.bytes, >, 0);
}

static void
test_bad_endpoint (void)
{
  PtlPandaConfig config = { X_NAME, Y_NAME, 1, 1.0, 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlDetectorClient) detector =
    ptl_detector_client_new ("nowhere", PTL_DETECTOR_PROTOCOL_V2, NULL, on_event, NULL, &error);
  g_assert_null (detector);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_autoptr (PtlPositionClient) positions =
    ptl_position_client_new ("nowhere", &config, on_positions, NULL, &error);
  g_assert_null (positions);
  g_assert_nonnull (error);
}

/* The command line receives one series, pairs it with its positions and reports it
 * (--receive-only: the streams alone, no reconstruction). */
static void
test_connect_cli (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlZmqSender) detector = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH,
                                                          TRUE, &error);
  g_autoptr (PtlZmqSender) panda = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUB, TRUE,
                                                       &error);
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "..", "src", "cli",
                                                    "ptycholive", NULL);
  const char *argv[] = {
    program, "--headless", "--receive-only", "--connect", ptl_zmq_sender_endpoint (detector),
    "--positions",
    ptl_zmq_sender_endpoint (panda), "--x-channel", X_NAME, "--y-channel", Y_NAME,
    "--series-timeout", "10", NULL
  };
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new (X_NAME, Y_NAME, 5, 0);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *output = NULL;
  GPid pid;
  int out_fd, status;
  gsize length;

  g_assert_no_error (error);
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);

  /* The start waits for the program to connect; the subscription follows shortly. */
  send_start (detector, SEND_V2, "7");
  g_usleep (500000);
  ptl_panda_encoder_start (encoder, NULL, messages);
  for (guint k = 0; k < 20; k++)
    ptl_panda_encoder_add (encoder, k, k, messages);
  ptl_panda_encoder_stop (encoder, messages);
  publish (panda, messages);
  g_usleep (200000);
  for (guint id = 0; id < 20; id++)
    send_image (detector, SEND_V2, "7", id, ROWS);
  send_end (detector, SEND_V2, "7");

  g_autoptr (GIOChannel) channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_assert_cmpint (g_io_channel_read_to_end (channel, &output, &length, &error), ==,
                   G_IO_STATUS_NORMAL);
  g_assert_no_error (error);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_test_message ("%s", output);
  g_assert_nonnull (strstr (output, "series 7: received 20 · paired 20 · unpaired images 0 · unpaired positions 0"));
  g_assert_nonnull (strstr (output, "errors 0\n"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/stream-clients/series/v2", GINT_TO_POINTER (SEND_V2), test_series);
  g_test_add_data_func ("/stream-clients/series/v1", GINT_TO_POINTER (SEND_V1), test_series);
  g_test_add_data_func ("/stream-clients/series/v1-split", GINT_TO_POINTER (SEND_V1_SPLIT),
                        test_series);
  g_test_add_data_func ("/stream-clients/order-faults/v2", GINT_TO_POINTER (SEND_V2),
                        test_order_faults);
  g_test_add_data_func ("/stream-clients/order-faults/v1", GINT_TO_POINTER (SEND_V1),
                        test_order_faults);
  g_test_add_data_func ("/stream-clients/order-faults/v1-split",
                        GINT_TO_POINTER (SEND_V1_SPLIT), test_order_faults);
  g_test_add_func ("/stream-clients/decode-error", test_decode_error);
  g_test_add_func ("/stream-clients/positions", test_positions);
  g_test_add_func ("/stream-clients/bad-endpoint", test_bad_endpoint);
  g_test_add_func ("/stream-clients/connect-cli", test_connect_cli);
  return g_test_run ();
}
