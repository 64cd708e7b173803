/* The stream clients against the simulator's publishers over loopback, with the faults a
 * beamline produces: a lost image, positions late by k frames, reordered PandA chunks,
 * send-time jitter and a detector restart mid-series. Images go through the detector
 * client and positions through the position client, and both meet in the pairing, as
 * in a live run; the counters at the series' end must say exactly what happened. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-detector-client.h"
#include "stream/ptl-pairing.h"
#include "stream/ptl-position-client.h"

#define N_FRAMES 48
#define SAMPLES_PER_FRAME 3

/* What the clients' threads hand to the test's thread, in arrival order. */
typedef struct
{
  PtlStreamEvent  *event;     /* detector */
  PtlStagePosition position;  /* positions, when event is NULL and !stopped */
  gboolean         stopped;   /* the PandA stop */
} Arrival;

static void
arrival_free (Arrival *arrival)
{
  g_clear_pointer (&arrival->event, ptl_stream_event_free);
  g_free (arrival);
}

static void
on_event (PtlStreamEvent *event,
          gpointer        user_data)
{
  Arrival *arrival = g_new0 (Arrival, 1);

  arrival->event = event;
  g_async_queue_push (user_data, arrival);
}

static void
on_positions (PtlPandaMsgType         type,
              const PtlStagePosition *positions,
              guint                   n_positions,
              gpointer                user_data)
{
  for (guint i = 0; i < n_positions; i++)
    {
      Arrival *arrival = g_new0 (Arrival, 1);
      arrival->position = positions[i];
      g_async_queue_push (user_data, arrival);
    }
  if (type == PTL_PANDA_MSG_STOP)
    {
      Arrival *arrival = g_new0 (Arrival, 1);
      arrival->stopped = TRUE;
      g_async_queue_push (user_data, arrival);
    }
}

typedef struct
{
  PtlStreamPublisher  *publisher;
  PtlPublisherCounters counters;
  gboolean             ok;
} Publishing;

static gpointer
publish_thread (gpointer data)
{
  Publishing *publishing = data;
  g_autoptr (GError) error = NULL;

  publishing->ok = ptl_stream_publisher_run (publishing->publisher, NULL, &publishing->counters,
                                             &error);
  g_assert_no_error (error);
  return NULL;
}

typedef struct
{
  PtlPairingCounters  pairing;
  PtlDetectorCounters detector;
  PtlPositionCounters positions;
  guint               seen[N_FRAMES];    /* images received per id */
  guint               paired[N_FRAMES];  /* pairs taken per id */
  gint64              max_lag_frames;    /* largest position lag seen during the series */
  guint               pixels_checked;
} Outcome;

/* An image's pixels against the publisher's: every encoding decodes to what was sent. */
static void
check_pixels (PtlStreamPublisher *publisher,
              const PtlImageInfo *image,
              Outcome            *outcome)
{
  guint rows, cols, element_size;
  const void *sent = ptl_stream_publisher_frame (publisher, (guint) image->image_id, &rows, &cols,
                                                 &element_size);
  gsize n_bytes = (gsize) rows * cols * element_size, len;
  const guint8 *data = g_bytes_get_data (image->data, &len);
  g_autofree guint8 *pixels = g_malloc (n_bytes);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (image->rows, ==, rows);
  g_assert_cmpuint (image->cols, ==, cols);
  switch (image->encoding)
    {
    case PTL_ENCODING_RAW:
      g_assert_cmpuint (len, ==, n_bytes);
      memcpy (pixels, data, n_bytes);
      break;
    case PTL_ENCODING_LZ4:
      g_assert_true (ptl_lz4_decode (data, len, pixels, n_bytes, &error));
      break;
    case PTL_ENCODING_BSLZ4:
      g_assert_true (ptl_bslz4_decode (data, len, element_size, pixels, n_bytes, &error));
      break;
    }
  g_assert_no_error (error);
  g_assert_cmpmem (pixels, n_bytes, sent, n_bytes);
  outcome->pixels_checked++;
}

/* Runs one series and pairs it as a live run does, until the detector's end and the
 * PandA stop have both come; then whatever still waits is dropped. */
static void
run_series (PtlPublisherParams *params,
            Outcome            *outcome)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncQueue) arrivals = g_async_queue_new_full ((GDestroyNotify) arrival_free);
  g_autoptr (PtlPairing) pairing = ptl_pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPandaConfig panda = { params->x_name, params->y_name, SAMPLES_PER_FRAME,
                           params->stage_scale, 16 };
  gboolean ended = FALSE, stopped = FALSE;

  params->detector_endpoint = "tcp://127.0.0.1:*";
  params->positions_endpoint = "tcp://127.0.0.1:*";
  params->n_frames = N_FRAMES;
  params->samples_per_frame = SAMPLES_PER_FRAME;
  params->chunk_size = 4;
  params->series_id = "42";
  /* Time for the SUB's subscription to reach the PUB. */
  params->wait_for_peer = 0.3;
  Publishing publishing = { .publisher = ptl_stream_publisher_new (params, &error) };
  g_assert_no_error (error);

  g_autoptr (PtlDetectorClient) detector = ptl_detector_client_new (
    ptl_stream_publisher_detector_endpoint (publishing.publisher),
    params->protocol == PTL_PUBLISHER_V2 ? PTL_DETECTOR_PROTOCOL_V2 : PTL_DETECTOR_PROTOCOL_V1,
    NULL, on_event, arrivals, &error);
  g_assert_no_error (error);
  g_autoptr (PtlPositionClient) positions = ptl_position_client_new (
    ptl_stream_publisher_positions_endpoint (publishing.publisher), &panda, on_positions,
    arrivals, &error);
  g_assert_no_error (error);

  memset (outcome, 0, sizeof *outcome);
  GThread *thread = g_thread_new ("publisher", publish_thread, &publishing);
  while (!(ended && stopped))
    {
      Arrival *arrival = g_async_queue_timeout_pop (arrivals, 30 * G_USEC_PER_SEC);
      gint64 now = g_get_monotonic_time ();

      g_assert_nonnull (arrival);
      if (arrival->stopped)
        stopped = TRUE;
      else if (arrival->event == NULL)
        ptl_pairing_add_position (pairing, &arrival->position, now);
      else if (arrival->event->type == PTL_STREAM_EVENT_START)
        g_assert_cmpstr (arrival->event->series->series_id, ==, "42");
      else if (arrival->event->type == PTL_STREAM_EVENT_END)
        ended = TRUE;
      else
        {
          PtlImageInfo *image = arrival->event->image;
          g_assert_cmpuint (image->image_id, <, N_FRAMES);
          outcome->seen[image->image_id]++;
          if (image->image_id % 7 == 0)
            check_pixels (publishing.publisher, image, outcome);
          ptl_pairing_add_image (pairing, image->image_id, g_steal_pointer (&arrival->event),
                                 (GDestroyNotify) ptl_stream_event_free, now);
        }
      arrival_free (arrival);
      outcome->max_lag_frames = MAX (outcome->max_lag_frames,
                                     ptl_pairing_counters (pairing).position_lag_frames);
      ptl_pairing_take (pairing, now, pairs);
    }
  g_thread_join (thread);
  g_assert_true (publishing.ok);

  ptl_pairing_finish (pairing);
  ptl_pairing_take (pairing, g_get_monotonic_time (), pairs);
  const double *translations = ptl_stream_publisher_translations (publishing.publisher);
  for (guint i = 0; i < pairs->len; i++)
    {
      PtlPair *pair = &g_array_index (pairs, PtlPair, i);
      g_assert_cmpuint (pair->image_id, ==, pair->position_index);
      outcome->paired[pair->image_id]++;
      /* The mean of a frame's samples is its translation, back in metres. */
      g_assert_cmpfloat_with_epsilon (pair->x, translations[2 * pair->image_id], 1e-12);
      g_assert_cmpfloat_with_epsilon (pair->y, translations[2 * pair->image_id + 1], 1e-12);
    }

  outcome->pairing = ptl_pairing_counters (pairing);
  outcome->detector = ptl_detector_client_counters (detector);
  outcome->positions = ptl_position_client_counters (positions);
  g_clear_pointer (&detector, ptl_detector_client_free);
  g_clear_pointer (&positions, ptl_position_client_free);
  ptl_stream_publisher_free (publishing.publisher);
}

static void
assert_clean_streams (const Outcome *outcome)
{
  g_assert_cmpuint (outcome->detector.decode_errors, ==, 0);
  g_assert_cmpuint (outcome->detector.order_errors, ==, 0);
  g_assert_cmpuint (outcome->detector.mismatched, ==, 0);
  g_assert_cmpuint (outcome->positions.panda.bad_messages, ==, 0);
  g_assert_cmpuint (outcome->positions.panda.positions, ==, N_FRAMES);
  g_assert_cmpuint (outcome->pairing.duplicate_images, ==, 0);
  g_assert_cmpuint (outcome->pairing.duplicate_positions, ==, 0);
  g_assert_cmpuint (outcome->pairing.images_waiting, ==, 0);
  g_assert_cmpuint (outcome->pairing.positions_waiting, ==, 0);
  g_assert_cmpuint (outcome->pixels_checked, >, 0);
}

/* A lost image, positions 4 frames late, every second PandA chunk swapped and 1 ms of
 * jitter: every other image is paired, the lost image's position is the one dropped, the
 * swapped chunks are counted and put back in order, and the lag was seen. */
static void
test_faults (gconstpointer data)
{
  const PtlEncoding encodings[] = { PTL_ENCODING_BSLZ4, PTL_ENCODING_LZ4, PTL_ENCODING_RAW };
  PtlPublisherParams params;
  Outcome outcome;

  for (guint e = 0; e < G_N_ELEMENTS (encodings); e++)
    {
      ptl_publisher_params_init (&params);
      params.protocol = GPOINTER_TO_INT (data);
      params.encoding = encodings[e];
      params.raw = e == 0;
      params.frame_size = params.raw ? 256 : 64;
      params.drop_frame = 17;
      params.late_positions = 4;
      params.swap_every = 2;
      params.jitter_ms = 1.0;
      params.rate = 400.0;
      run_series (&params, &outcome);

      assert_clean_streams (&outcome);
      for (guint k = 0; k < N_FRAMES; k++)
        {
          g_assert_cmpuint (outcome.seen[k], ==, k == 17 ? 0 : 1);
          g_assert_cmpuint (outcome.paired[k], ==, k == 17 ? 0 : 1);
        }
      g_assert_cmpuint (outcome.detector.images, ==, N_FRAMES - 1);
      g_assert_cmpuint (outcome.pairing.paired, ==, N_FRAMES - 1);
      g_assert_cmpuint (outcome.pairing.dropped_images, ==, 0);
      g_assert_cmpuint (outcome.pairing.dropped_positions, ==, 1);
      g_assert_cmpuint (outcome.positions.panda.reordered_chunks, >, 0);
      g_assert_cmpint (outcome.max_lag_frames, >=, 1);
      g_assert_cmpint (outcome.max_lag_frames, <=, N_FRAMES);
    }
}

/* The detector goes away mid-series and listens again on the same port: the client
 * reconnects by itself; what was queued is delivered before the old socket closes, so
 * every image arrives once and finds its position. */
static void
test_restart (gconstpointer data)
{
  PtlPublisherParams params;
  Outcome outcome;

  ptl_publisher_params_init (&params);
  params.protocol = GPOINTER_TO_INT (data);
  params.encoding = PTL_ENCODING_BSLZ4;
  params.restart_at = 20;
  params.rate = 400.0;
  run_series (&params, &outcome);

  assert_clean_streams (&outcome);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      g_assert_cmpuint (outcome.seen[k], ==, 1);
      g_assert_cmpuint (outcome.paired[k], ==, 1);
    }
  g_assert_cmpuint (outcome.pairing.paired, ==, N_FRAMES);
  g_assert_cmpuint (outcome.pairing.dropped_images + outcome.pairing.dropped_positions, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/client-faults/faults/v2", GINT_TO_POINTER (PTL_PUBLISHER_V2),
                        test_faults);
  g_test_add_data_func ("/client-faults/faults/v1", GINT_TO_POINTER (PTL_PUBLISHER_V1),
                        test_faults);
  g_test_add_data_func ("/client-faults/restart/v2", GINT_TO_POINTER (PTL_PUBLISHER_V2),
                        test_restart);
  g_test_add_data_func ("/client-faults/restart/v1", GINT_TO_POINTER (PTL_PUBLISHER_V1),
                        test_restart);
  return g_test_run ();
}
