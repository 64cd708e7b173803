#define G_LOG_DOMAIN "Ptl-Stream"

#include "config.h"

#include "stream/ptl-detector-client.h"

#include "core/ptl-error.h"
#include "stream/ptl-stream-v1.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

struct _PtlDetectorClient
{
  PtlDetectorProtocol  protocol;
  char                *channel;
  PtlDetectorEventFunc func;
  gpointer             user_data;
  PtlStreamV1Decoder  *v1;
  PtlZmqReceiver      *receiver;

  /* The open series, touched only on the receiver thread. */
  char    *series_id;
  guint    rows;
  guint    cols;
  guint    element_size;

  GMutex              lock; /* guards counters */
  PtlDetectorCounters counters;
};

static void
count (PtlDetectorClient *client,
       guint64           *counter,
       guint64            amount)
{
  g_mutex_lock (&client->lock);
  *counter += amount;
  g_mutex_unlock (&client->lock);
}

/* A rule broken: the event is dropped, the stream goes on. */
static void
reject (PtlDetectorClient *client,
        guint64           *counter,
        PtlStreamEvent    *event,
        const char        *why)
{
  count (client, counter, 1);
  g_message ("Detector stream: %s; dropped", why);
  ptl_stream_event_free (event);
}

static gboolean
image_fits_series (PtlDetectorClient  *client,
                   const PtlImageInfo *image)
{
  if (image->element_size != 1 && image->element_size != 2 && image->element_size != 4)
    return FALSE;
  if (client->rows != 0 && (image->rows != client->rows || image->cols != client->cols))
    return FALSE;
  return client->element_size == 0 || image->element_size == client->element_size;
}

static void
apply_rules (PtlDetectorClient *client,
             PtlStreamEvent    *event)
{
  switch (event->type)
    {
    case PTL_STREAM_EVENT_START:
      if (client->series_id != NULL)
        {
          /* The same start again adds nothing; another series means the end was lost, and
           * the new series takes over. */
          if (g_strcmp0 (client->series_id, event->series->series_id) == 0)
            {
              reject (client, &client->counters.order_errors, event, "a second start");
              return;
            }
          count (client, &client->counters.order_errors, 1);
          g_message ("Detector stream: series %s started before series %s ended",
                     event->series->series_id, client->series_id);
        }
      g_free (client->series_id);
      client->series_id = g_strdup (event->series->series_id);
      client->rows = event->series->image_rows;
      client->cols = event->series->image_cols;
      client->element_size = event->series->element_size;
      count (client, &client->counters.series, 1);
      break;

    case PTL_STREAM_EVENT_IMAGE:
      if (client->series_id == NULL)
        {
          reject (client, &client->counters.order_errors, event, "an image before its start");
          return;
        }
      if (g_strcmp0 (client->series_id, event->image->series_id) != 0)
        {
          reject (client, &client->counters.order_errors, event, "an image of another series");
          return;
        }
      if (!image_fits_series (client, event->image))
        {
          reject (client, &client->counters.mismatched, event,
                  "an image whose shape or element size differs from its series");
          return;
        }
      count (client, &client->counters.images, 1);
      break;

    case PTL_STREAM_EVENT_END:
      if (g_strcmp0 (client->series_id, event->series_id) != 0)
        {
          reject (client, &client->counters.order_errors, event,
                  client->series_id == NULL ? "an end without a start"
                                            : "the end of another series");
          return;
        }
      g_clear_pointer (&client->series_id, g_free);
      count (client, &client->counters.ends, 1);
      break;
    }
  client->func (event, client->user_data);
}

static void
deliver_all (PtlDetectorClient *client,
             GPtrArray         *events)
{
  gsize n;
  g_autofree gpointer *taken = g_ptr_array_steal (events, &n);

  for (gsize i = 0; i < n; i++)
    apply_rules (client, taken[i]);
}

static void
on_part (GBytes  *part,
         gboolean more,
         gpointer user_data)
{
  PtlDetectorClient *client = user_data;
  g_autoptr (GBytes) owned G_GNUC_UNUSED = part;
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&client->lock);
  client->counters.bytes += g_bytes_get_size (part);
  if (!more)
    client->counters.messages++;
  g_mutex_unlock (&client->lock);

  if (client->protocol == PTL_DETECTOR_PROTOCOL_V2)
    {
      PtlStreamEvent *event;

      /* V2 messages are single parts; anything else is not a detector message. */
      if (more)
        {
          count (client, &client->counters.decode_errors, 1);
          g_message ("Detector stream: a V2 message of several parts; skipped");
          return;
        }
      event = ptl_stream_v2_decode (part, client->channel, &error);
      if (event == NULL)
        {
          count (client, &client->counters.decode_errors, 1);
          g_message ("Detector stream: %s", error->message);
          return;
        }
      apply_rules (client, event);
      return;
    }

  g_autoptr (GPtrArray) events =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_stream_event_free);
  if (!ptl_stream_v1_decoder_push (client->v1, part, more, events, &error))
    count (client, &client->counters.decode_errors, 1); /* the decoder logged it */
  /* A part that ends a ZMQ message may end a detector message whose appendix never comes
   * (proxies send every part alone); the decoder only lets go of what is complete. */
  if (!more)
    ptl_stream_v1_decoder_flush (client->v1, events);
  deliver_all (client, events);
}

PtlDetectorClient *
ptl_detector_client_new (const char          *endpoint,
                         PtlDetectorProtocol  protocol,
                         const char          *channel,
                         PtlDetectorEventFunc func,
                         gpointer             user_data,
                         GError             **error)
{
  PtlZmqLimits limits = PTL_ZMQ_LIMITS_DEFAULT;
  PtlDetectorClient *client;

  g_return_val_if_fail (endpoint != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  client = g_new0 (PtlDetectorClient, 1);
  client->protocol = protocol;
  client->channel = g_strdup (channel);
  client->func = func;
  client->user_data = user_data;
  g_mutex_init (&client->lock);
  if (protocol == PTL_DETECTOR_PROTOCOL_V1)
    client->v1 = ptl_stream_v1_decoder_new ();
  client->receiver = ptl_zmq_receiver_new (endpoint, PTL_ZMQ_PULL, FALSE, &limits, on_part,
                                           client, error);
  if (client->receiver == NULL)
    {
      ptl_detector_client_free (client);
      return NULL;
    }
  return client;
}

void
ptl_detector_client_free (PtlDetectorClient *client)
{
  if (client == NULL)
    return;
  /* Joins the thread first: after this nothing touches the decoder or the series. */
  g_clear_pointer (&client->receiver, ptl_zmq_receiver_free);
  g_clear_pointer (&client->v1, ptl_stream_v1_decoder_free);
  g_free (client->series_id);
  g_free (client->channel);
  g_mutex_clear (&client->lock);
  g_free (client);
}

PtlDetectorCounters
ptl_detector_client_counters (PtlDetectorClient *client)
{
  PtlDetectorCounters counters;

  g_return_val_if_fail (client != NULL, (PtlDetectorCounters) { 0 });

  g_mutex_lock (&client->lock);
  counters = client->counters;
  g_mutex_unlock (&client->lock);
  return counters;
}

gboolean
ptl_detector_protocol_from_string (const char          *text,
                                   PtlDetectorProtocol *protocol,
                                   GError             **error)
{
  if (g_ascii_strcasecmp (text, "v2") == 0)
    *protocol = PTL_DETECTOR_PROTOCOL_V2;
  else if (g_ascii_strcasecmp (text, "v1") == 0)
    *protocol = PTL_DETECTOR_PROTOCOL_V1;
  else
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown detector protocol “%s” (known: v2, v1)", text);
      return FALSE;
    }
  return TRUE;
}
