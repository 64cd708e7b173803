#include "config.h"

#include "ptl-headless-connect.h"

#include <glib-unix.h>
#include <signal.h>

#include "core/ptl-error.h"
#include "stream/ptl-pairing.h"
#include "stream/ptl-position-client.h"

/* How long an image or position waits for its partner before it is counted as dropped. */
#define PAIRING_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Data messages a network may deliver out of order. */
#define PANDA_REORDER_WINDOW 16
/* After the detector's end, how long late positions may still come before the PandA stop. */
#define POSITIONS_GRACE_US (3 * G_USEC_PER_SEC)

typedef struct
{
  GMainLoop         *loop;
  PtlPairing        *pairing;
  GArray            *pairs;
  char              *series_id;   /* the series received; NULL before its start */
  guint64            received;
  gboolean           ended;
  gint64             ended_us;
  gboolean           positions_stopped;
  gint64             last_traffic_us;
  gint64             timeout_us;      /* 0 = wait for ever */
  PtlDetectorClient *detector;
  PtlPositionClient *positions;
} Run;

typedef struct
{
  Run            *run;
  PtlStreamEvent *event;
  GArray         *positions;
  gboolean        positions_stopped;
} Handover;

static void
handover_free (Handover *handover)
{
  g_clear_pointer (&handover->event, ptl_stream_event_free);
  g_clear_pointer (&handover->positions, g_array_unref);
  g_free (handover);
}

static void
take_pairs (Run *run)
{
  ptl_pairing_take (run->pairing, g_get_monotonic_time (), run->pairs);
  /* Nothing reconstructs yet: the pairs are only counted. */
  g_array_set_size (run->pairs, 0);
}

static void
on_event_main (Run            *run,
               PtlStreamEvent *event)
{
  switch (event->type)
    {
    case PTL_STREAM_EVENT_START:
      if (run->series_id == NULL)
        run->series_id = g_strdup (event->series->series_id);
      break;
    case PTL_STREAM_EVENT_IMAGE:
      if (g_strcmp0 (run->series_id, event->image->series_id) != 0)
        break;
      run->received++;
      ptl_pairing_add_image (run->pairing, event->image->image_id, event,
                             (GDestroyNotify) ptl_stream_event_free, g_get_monotonic_time ());
      take_pairs (run);
      return;
    case PTL_STREAM_EVENT_END:
      if (g_strcmp0 (run->series_id, event->series_id) == 0)
        {
          run->ended = TRUE;
          run->ended_us = g_get_monotonic_time ();
          if (run->positions_stopped)
            g_main_loop_quit (run->loop);
        }
      break;
    }
  ptl_stream_event_free (event);
}

static gboolean
dispatch_main (gpointer user_data)
{
  Handover *handover = user_data;
  Run *run = handover->run;

  run->last_traffic_us = g_get_monotonic_time ();
  if (handover->event != NULL)
    on_event_main (run, g_steal_pointer (&handover->event));
  if (handover->positions != NULL)
    {
      for (guint i = 0; i < handover->positions->len; i++)
        ptl_pairing_add_position (run->pairing,
                                  &g_array_index (handover->positions, PtlStagePosition, i),
                                  g_get_monotonic_time ());
      take_pairs (run);
    }
  if (handover->positions_stopped)
    {
      run->positions_stopped = TRUE;
      if (run->ended)
        g_main_loop_quit (run->loop);
    }
  return G_SOURCE_REMOVE;
}

/* Client threads hand over to the main loop, which owns the pairing. */
static void
hand_over (Run            *run,
           PtlStreamEvent *event,
           GArray         *positions,
           gboolean        positions_stopped)
{
  Handover *handover = g_new0 (Handover, 1);

  handover->run = run;
  handover->event = event;
  handover->positions = positions;
  handover->positions_stopped = positions_stopped;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, dispatch_main, handover,
                              (GDestroyNotify) handover_free);
}

static void
on_detector_event (PtlStreamEvent *event,
                   gpointer        user_data)
{
  hand_over (user_data, event, NULL, FALSE);
}

static void
on_positions (PtlPandaMsgType         type,
              const PtlStagePosition *positions,
              guint                   n_positions,
              gpointer                user_data)
{
  GArray *copy = NULL;

  if (n_positions == 0 && type != PTL_PANDA_MSG_STOP)
    return;
  if (n_positions > 0)
    {
      copy = g_array_sized_new (FALSE, FALSE, sizeof (PtlStagePosition), n_positions);
      g_array_append_vals (copy, positions, n_positions);
    }
  hand_over (user_data, NULL, copy, type == PTL_PANDA_MSG_STOP);
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

/* Ends the run once the streams have been quiet for the whole timeout. */
static gboolean
check_timeout (gpointer user_data)
{
  Run *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if ((run->timeout_us > 0 && now - run->last_traffic_us >= run->timeout_us)
      || (run->ended && now - run->ended_us >= POSITIONS_GRACE_US))
    g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_counters (Run *run)
{
  PtlPairingCounters pairing = ptl_pairing_counters (run->pairing);
  PtlDetectorCounters detector = ptl_detector_client_counters (run->detector);
  PtlPositionCounters positions = ptl_position_client_counters (run->positions);
  guint64 errors = detector.decode_errors + detector.order_errors + detector.mismatched
                   + positions.panda.bad_messages;

  g_print ("series %s: received %" G_GUINT64_FORMAT " · paired %" G_GUINT64_FORMAT
           " · unpaired images %" G_GUINT64_FORMAT " · unpaired positions %" G_GUINT64_FORMAT
           " · duplicates %" G_GUINT64_FORMAT " · out of order %" G_GUINT64_FORMAT
           " · reordered chunks %" G_GUINT64_FORMAT " · position lag %" G_GINT64_FORMAT
           " frames (%.1f ms) · errors %" G_GUINT64_FORMAT "%s\n",
           run->series_id != NULL ? run->series_id : "(none)", run->received, pairing.paired,
           pairing.dropped_images, pairing.dropped_positions,
           pairing.duplicate_images + pairing.duplicate_positions, pairing.out_of_order,
           positions.panda.reordered_chunks, pairing.position_lag_frames,
           pairing.position_lag_ms, errors, run->ended ? "" : " · not ended");
}

/* Whatever made a client fail (a malformed endpoint, a bad position configuration) is
 * the user's to fix; the cause names the endpoint. */
static void
set_connect_error (GError    **error,
                   const char *what,
                   GError     *cause)
{
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "%s stream: %s", what, cause->message);
}

gboolean
ptl_headless_connect_run (const PtlConnectOptions *options,
                          GError                 **error)
{
  /* Positions are only paired and counted here: stage units stay as they are. */
  PtlPandaConfig panda = {
    options->x_channel, options->y_channel, options->samples_per_frame, 1.0,
    PANDA_REORDER_WINDOW
  };
  Run run = { 0 };
  g_autoptr (GError) cause = NULL;
  gboolean ok = FALSE;
  guint sigint, sigterm, timeout = 0;

  run.loop = g_main_loop_new (NULL, FALSE);
  run.pairing = ptl_pairing_new (PAIRING_TIMEOUT_US);
  run.pairs = ptl_pair_array_new ();
  run.last_traffic_us = g_get_monotonic_time ();
  run.timeout_us = (gint64) options->series_timeout * G_USEC_PER_SEC;

  run.detector = ptl_detector_client_new (options->detector, options->protocol,
                                          options->channel, on_detector_event, &run, &cause);
  if (run.detector == NULL)
    {
      set_connect_error (error, "Detector", cause);
      goto out;
    }
  run.positions = ptl_position_client_new (options->positions, &panda, on_positions,
                                           &run, &cause);
  if (run.positions == NULL)
    {
      set_connect_error (error, "Position", cause);
      goto out;
    }

  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  timeout = g_timeout_add (250, check_timeout, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_handle_id (&timeout, g_source_remove);

  /* Whatever still waits now will never find its partner. */
  ptl_pairing_finish (run.pairing);
  take_pairs (&run);
  print_counters (&run);
  ok = TRUE;

out:
  /* The clients' threads are joined first; then what they handed over is released. */
  g_clear_pointer (&run.detector, ptl_detector_client_free);
  g_clear_pointer (&run.positions, ptl_position_client_free);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_array_unref (run.pairs);
  ptl_pairing_free (run.pairing);
  g_free (run.series_id);
  g_main_loop_unref (run.loop);
  return ok;
}
