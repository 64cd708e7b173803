/* The stream publisher against the project's own clients over loopback: every image
 * arrives and decodes to the pixels the publisher encoded, the positions are the scan's
 * translations with image id i ↔ position i, and each fault does what it says. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "core/ptl-preprocess-params.h"
#include "io/ptl-recording.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-panda.h"
#include "stream/ptl-stream-v1.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

#define N_FRAMES 24
#define SAMPLES_PER_FRAME 3

typedef struct
{
  GAsyncQueue *parts; /* GBytes*, with the "more" flag in a parallel queue */
  GAsyncQueue *more;
} Inbox;

static void
collect (GBytes  *part,
         gboolean more,
         gpointer user_data)
{
  Inbox *inbox = user_data;
  g_async_queue_push (inbox->more, GINT_TO_POINTER (more ? 2 : 1));
  g_async_queue_push (inbox->parts, part);
}

static void
inbox_init (Inbox *inbox)
{
  inbox->parts = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  inbox->more = g_async_queue_new ();
}

static void
inbox_clear (Inbox *inbox)
{
  g_async_queue_unref (inbox->parts);
  g_async_queue_unref (inbox->more);
}

static GBytes *
pop (Inbox    *inbox,
     gboolean *more)
{
  GBytes *part = g_async_queue_timeout_pop (inbox->parts, 10 * G_USEC_PER_SEC);
  g_assert_nonnull (part);
  *more = GPOINTER_TO_INT (g_async_queue_pop (inbox->more)) == 2;
  return part;
}

typedef struct
{
  PtlStreamPublisher  *publisher;
  PtlPublisherCounters counters;
  gboolean             ok;
} Run;

static gpointer
run_thread (gpointer data)
{
  Run *run = data;
  g_autoptr (GError) error = NULL;

  run->ok = ptl_stream_publisher_run (run->publisher, NULL, &run->counters, &error);
  g_assert_no_error (error);
  return NULL;
}

static void
check_image (PtlStreamPublisher *publisher,
             const PtlImageInfo *image)
{
  guint rows, cols, element_size;
  const void *expected = ptl_stream_publisher_frame (publisher, (guint) image->image_id, &rows,
                                                     &cols, &element_size);
  gsize n_bytes = (gsize) rows * cols * element_size, len;
  const guint8 *src = g_bytes_get_data (image->data, &len);
  g_autofree guint8 *pixels = g_malloc (n_bytes);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (image->rows, ==, rows);
  g_assert_cmpuint (image->cols, ==, cols);
  g_assert_cmpuint (image->element_size, ==, element_size);
  switch (image->encoding)
    {
    case PTL_ENCODING_RAW:
      g_assert_cmpuint (len, ==, n_bytes);
      memcpy (pixels, src, n_bytes);
      break;
    case PTL_ENCODING_LZ4:
      g_assert_true (ptl_lz4_decode (src, len, pixels, n_bytes, &error));
      break;
    case PTL_ENCODING_BSLZ4:
      g_assert_true (ptl_bslz4_decode (src, len, element_size, pixels, n_bytes, &error));
      break;
    }
  g_assert_no_error (error);
  g_assert_cmpmem (pixels, n_bytes, expected, n_bytes);
}

/* Reads the detector stream up to its end; `seen[k]` counts image k. */
static void
read_detector (Inbox                *inbox,
               PtlStreamPublisher   *publisher,
               PtlPublisherProtocol  protocol,
               PtlEncoding           encoding,
               guint                *seen)
{
  g_autoptr (PtlStreamV1Decoder) v1 = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (
    (GDestroyNotify) ptl_stream_event_free);
  gboolean started = FALSE, ended = FALSE;

  while (!ended)
    {
      gboolean more;
      g_autoptr (GBytes) part = pop (inbox, &more);
      g_autoptr (GError) error = NULL;

      if (protocol == PTL_PUBLISHER_V2)
        {
          PtlStreamEvent *event = ptl_stream_v2_decode (part, NULL, &error);
          g_assert_no_error (error);
          g_ptr_array_add (events, event);
        }
      else
        {
          g_assert_true (ptl_stream_v1_decoder_push (v1, part, more, events, &error));
          g_assert_no_error (error);
        }
      for (guint i = 0; i < events->len; i++)
        {
          PtlStreamEvent *event = g_ptr_array_index (events, i);
          switch (event->type)
            {
            case PTL_STREAM_EVENT_START:
              g_assert_false (started);
              started = TRUE;
              g_assert_cmpstr (event->series->series_id, ==, "7");
              g_assert_cmpuint (event->series->number_of_images, ==, N_FRAMES);
              break;
            case PTL_STREAM_EVENT_IMAGE:
              g_assert_true (started);
              g_assert_cmpuint (event->image->image_id, <, N_FRAMES);
              g_assert_cmpint (event->image->encoding, ==, encoding);
              check_image (publisher, event->image);
              seen[event->image->image_id]++;
              break;
            case PTL_STREAM_EVENT_END:
              g_assert_cmpstr (event->series_id, ==, "7");
              ended = TRUE;
              break;
            }
        }
      g_ptr_array_set_size (events, 0);
    }
}

/* Reads the PandA stream up to its stop and checks every position against the scan. */
static PtlPandaCounters
read_positions (Inbox              *inbox,
                PtlStreamPublisher *publisher,
                const PtlPublisherParams *params)
{
  const PtlPandaConfig config = {
    .x_name = params->x_name,
    .y_name = params->y_name,
    .samples_per_frame = SAMPLES_PER_FRAME,
    .scale = params->stage_scale,
    .reorder_window = 8,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlPandaDecoder) decoder = ptl_panda_decoder_new (&config, &error);
  g_autoptr (GArray) positions = g_array_new (FALSE, FALSE, sizeof (PtlStagePosition));
  const double *translation = ptl_stream_publisher_translations (publisher);
  PtlPandaMsgType type = PTL_PANDA_MSG_START;

  g_assert_no_error (error);
  while (type != PTL_PANDA_MSG_STOP)
    {
      gboolean more;
      g_autoptr (GBytes) message = pop (inbox, &more);

      g_assert_true (ptl_panda_decoder_push (decoder, message, g_get_monotonic_time (), &type,
                                             positions, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (positions->len, ==, N_FRAMES);
  double extent = 0.0;
  for (guint i = 0; i < positions->len; i++)
    {
      const PtlStagePosition *position = &g_array_index (positions, PtlStagePosition, i);
      g_assert_cmpuint (position->index, ==, i);
      g_assert_cmpfloat_with_epsilon (position->x, translation[2 * i], 1e-9 * fabs (translation[2 * i]) + 1e-15);
      g_assert_cmpfloat_with_epsilon (position->y, translation[2 * i + 1], 1e-9 * fabs (translation[2 * i + 1]) + 1e-15);
      extent = MAX (extent, MAX (fabs (position->x), fabs (position->y)));
    }
  /* In metres: a simulated scan spans micrometres (the stage scale applied once, not
   * twice or not at all). */
  g_assert_cmpfloat (extent, >, 1e-7);
  g_assert_cmpfloat (extent, <, 1e-3);
  return ptl_panda_decoder_counters (decoder);
}

static void
publish (PtlPublisherParams *params)
{
  g_autoptr (GError) error = NULL;
  Inbox detector_inbox, position_inbox;
  guint seen[N_FRAMES] = { 0 };

  params->detector_endpoint = "tcp://127.0.0.1:*";
  params->positions_endpoint = "tcp://127.0.0.1:*";
  params->n_frames = N_FRAMES;
  params->frame_size = params->raw ? 256 : 64;
  params->series_id = "7";
  params->samples_per_frame = SAMPLES_PER_FRAME;
  params->chunk_size = 5;
  /* Time for the SUB's subscription to reach the PUB. */
  params->wait_for_peer = 0.3;
  Run run = { .publisher = ptl_stream_publisher_new (params, &error) };
  g_assert_no_error (error);

  inbox_init (&detector_inbox);
  inbox_init (&position_inbox);
  g_autoptr (PtlZmqReceiver) detector = ptl_zmq_receiver_new (
    ptl_stream_publisher_detector_endpoint (run.publisher), PTL_ZMQ_PULL, FALSE, NULL, collect,
    &detector_inbox, &error);
  g_assert_no_error (error);
  g_autoptr (PtlZmqReceiver) positions = ptl_zmq_receiver_new (
    ptl_stream_publisher_positions_endpoint (run.publisher), PTL_ZMQ_SUB, FALSE, NULL, collect,
    &position_inbox, &error);
  g_assert_no_error (error);

  GThread *thread = g_thread_new ("publisher", run_thread, &run);
  read_detector (&detector_inbox, run.publisher, params->protocol, params->encoding, seen);
  PtlPandaCounters panda = read_positions (&position_inbox, run.publisher, params);
  g_thread_join (thread);
  g_assert_true (run.ok);

  guint received = 0;
  for (guint k = 0; k < N_FRAMES; k++)
    {
      g_assert_cmpuint (seen[k], <=, 1);
      if ((gint64) k == params->drop_frame)
        g_assert_cmpuint (seen[k], ==, 0);
      else if (params->restart_at < 0 || (gint64) k > params->restart_at)
        g_assert_cmpuint (seen[k], ==, 1);
      received += seen[k];
    }
  g_assert_cmpuint (run.counters.frames, ==, N_FRAMES - (params->drop_frame >= 0 ? 1 : 0));
  if (params->restart_at < 0)
    g_assert_cmpuint (received, ==, run.counters.frames);
  g_assert_cmpuint (run.counters.restarts, ==, params->restart_at >= 0 ? 1 : 0);
  g_assert_cmpuint (run.counters.positions, ==, N_FRAMES);
  g_assert_cmpuint (panda.positions, ==, N_FRAMES);
  g_assert_cmpuint (panda.samples, ==, N_FRAMES * SAMPLES_PER_FRAME);
  g_assert_cmpuint (panda.lost_chunks, ==, 0);
  if (params->swap_every > 0)
    g_assert_cmpuint (panda.reordered_chunks, >, 0);
  else
    g_assert_cmpuint (panda.reordered_chunks, ==, 0);

  g_clear_pointer (&detector, ptl_zmq_receiver_free);
  g_clear_pointer (&positions, ptl_zmq_receiver_free);
  ptl_stream_publisher_free (run.publisher);
  inbox_clear (&detector_inbox);
  inbox_clear (&position_inbox);
}

static void
test_v2_encodings (void)
{
  const PtlEncoding encodings[] = { PTL_ENCODING_RAW, PTL_ENCODING_LZ4, PTL_ENCODING_BSLZ4 };

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      PtlPublisherParams params;

      ptl_publisher_params_init (&params);
      params.encoding = encodings[i];
      publish (&params);
    }
}

static void
test_v1_encodings (void)
{
  const PtlEncoding encodings[] = { PTL_ENCODING_RAW, PTL_ENCODING_LZ4, PTL_ENCODING_BSLZ4 };

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      PtlPublisherParams params;

      ptl_publisher_params_init (&params);
      params.protocol = PTL_PUBLISHER_V1;
      params.encoding = encodings[i];
      publish (&params);
    }
}

static void
test_raw_frames (void)
{
  PtlPublisherParams params;

  ptl_publisher_params_init (&params);
  params.raw = TRUE;
  publish (&params);
}

/* Dropped image, late positions, swapped chunks and jitter at once, both protocols. */
static void
test_faults (void)
{
  for (guint v1 = 0; v1 < 2; v1++)
    {
      PtlPublisherParams params;

      ptl_publisher_params_init (&params);
      params.protocol = v1 ? PTL_PUBLISHER_V1 : PTL_PUBLISHER_V2;
      params.drop_frame = 5;
      params.late_positions = 3;
      params.swap_every = 2;
      params.jitter_ms = 1.0;
      params.rate = 1000.0;
      publish (&params);
    }
}

/* Images queued when the detector restarts may be lost; every later one arrives. */
static void
test_restart (void)
{
  PtlPublisherParams params;

  ptl_publisher_params_init (&params);
  params.restart_at = 10;
  publish (&params);
}

/* A recording published again (`ptycholive-sim stream --from`): a simulated scan is
 * recorded as a live run records it, with one frame that never got its position; the
 * publisher made from the file sends every other frame with its pixels and translation,
 * checked against the simulation, and the stream itself is checked by publish(). */
static void
test_from_recording (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ptl-publisher-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "scan.cxi", NULL);
  const guint unpaired = 5;
  PtlPublisherParams params;

  g_assert_no_error (error);
  ptl_publisher_params_init (&params);
  params.detector_endpoint = "tcp://127.0.0.1:*";
  params.raw = TRUE;
  params.n_frames = N_FRAMES + 1;
  params.frame_size = 256;
  g_autoptr (PtlStreamPublisher) simulated = ptl_stream_publisher_new (&params, &error);
  g_assert_no_error (error);
  const double *truth = ptl_stream_publisher_translations (simulated);

  PtlSeriesInfo series = {
    .series_id = (char *) "3", .image_rows = 256, .image_cols = 256, .element_size = 2,
    .number_of_images = N_FRAMES + 1, .pixel_size_x = 6.5e-6, .pixel_size_y = 6.5e-6,
    .energy_ev = 700.0, .detector_distance = 0.07, .frame_time = 0.04,
    .beam_center_x = 127, .beam_center_y = 129,
  };
  PtlPreprocessParams preprocess;
  ptl_preprocess_params_init (&preprocess);
  PtlRecorder *recorder = ptl_recorder_create (path, &series, PTL_ENCODING_BSLZ4, &preprocess,
                                               4, &error);
  g_assert_no_error (error);
  for (guint k = 0; k <= N_FRAMES; k++)
    {
      guint rows, cols, element_size;
      const void *pixels = ptl_stream_publisher_frame (simulated, k, &rows, &cols,
                                                       &element_size);
      g_autoptr (GBytes) data = ptl_bslz4_encode (pixels, (gsize) rows * cols, element_size,
                                                  0, &error);
      g_assert_no_error (error);
      PtlImageInfo image = {
        .series_id = (char *) "3", .image_id = k, .rows = rows, .cols = cols,
        .element_size = element_size, .encoding = PTL_ENCODING_BSLZ4, .data = data,
      };
      g_assert_true (ptl_recorder_add_frame (recorder, &image, &error));
      g_assert_no_error (error);
      if (k != unpaired)
        g_assert_true (ptl_recorder_add_position (recorder, k, truth[2 * k], truth[2 * k + 1],
                                                  &error));
      g_assert_no_error (error);
    }
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  PtlPublisherParams again;
  ptl_publisher_params_init (&again);
  again.detector_endpoint = "tcp://127.0.0.1:*";
  again.from_file = path;
  g_autoptr (PtlStreamPublisher) replayed = ptl_stream_publisher_new (&again, &error);
  g_assert_no_error (error);
  const double *translation = ptl_stream_publisher_translations (replayed);
  for (guint k = 0, j = 0; k <= N_FRAMES; k++)
    {
      guint rows, cols, element_size, rows2, cols2, element_size2;
      if (k == unpaired)
        continue;
      const void *expected = ptl_stream_publisher_frame (simulated, k, &rows, &cols,
                                                         &element_size);
      const void *got = ptl_stream_publisher_frame (replayed, j, &rows2, &cols2,
                                                    &element_size2);
      g_assert_cmpuint (rows2, ==, rows);
      g_assert_cmpuint (cols2, ==, cols);
      g_assert_cmpuint (element_size2, ==, element_size);
      g_assert_cmpmem (got, (gsize) rows * cols * element_size, expected,
                       (gsize) rows * cols * element_size);
      g_assert_cmpfloat (translation[2 * j], ==, truth[2 * k]);
      g_assert_cmpfloat (translation[2 * j + 1], ==, truth[2 * k + 1]);
      j++;
    }

  /* Over the sockets: the recording's N_FRAMES positioned frames, sent and checked. */
  publish (&again);
  g_assert_no_errno (g_remove (path));
  g_assert_no_errno (g_rmdir (dir));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/publisher/v2-encodings", test_v2_encodings);
  g_test_add_func ("/publisher/v1-encodings", test_v1_encodings);
  g_test_add_func ("/publisher/raw-frames", test_raw_frames);
  g_test_add_func ("/publisher/faults", test_faults);
  g_test_add_func ("/publisher/restart", test_restart);
  g_test_add_func ("/publisher/from-recording", test_from_recording);
  return g_test_run ();
}
