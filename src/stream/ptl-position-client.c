#define G_LOG_DOMAIN "Ptl-Stream"

#include "config.h"

#include "stream/ptl-position-client.h"

#include "stream/ptl-zmq.h"

struct _PtlPositionClient
{
  PtlPandaDecoder *decoder;
  PtlPositionFunc  func;
  gpointer         user_data;
  GArray          *positions; /* reused on the receiver thread */
  PtlZmqReceiver  *receiver;

  GMutex           lock; /* guards the decoder's counters and bytes */
  guint64          bytes;
};

static void
on_message (GBytes  *part,
            gboolean more,
            gpointer user_data)
{
  PtlPositionClient *client = user_data;
  g_autoptr (GBytes) owned G_GNUC_UNUSED = part;
  g_autoptr (GError) error = NULL;
  PtlPandaMsgType type;
  gboolean ok;

  g_mutex_lock (&client->lock);
  client->bytes += g_bytes_get_size (part);
  if (more)
    {
      /* PandA sends one JSON object per message; a multipart message is not from it. */
      g_mutex_unlock (&client->lock);
      g_message ("Position stream: a message of several parts; skipped");
      return;
    }
  ok = ptl_panda_decoder_push (client->decoder, part, g_get_monotonic_time (), &type,
                               client->positions, &error);
  g_mutex_unlock (&client->lock);

  if (!ok)
    {
      g_message ("Position stream: %s", error->message);
      return;
    }
  client->func (type, (const PtlStagePosition *) (gpointer) client->positions->data,
                client->positions->len, client->user_data);
  g_array_set_size (client->positions, 0);
}

PtlPositionClient *
ptl_position_client_new (const char           *endpoint,
                         const PtlPandaConfig *config,
                         PtlPositionFunc       func,
                         gpointer              user_data,
                         GError              **error)
{
  PtlZmqLimits limits = PTL_ZMQ_LIMITS_DEFAULT;
  PtlPositionClient *client;

  g_return_val_if_fail (endpoint != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  client = g_new0 (PtlPositionClient, 1);
  client->func = func;
  client->user_data = user_data;
  client->positions = g_array_new (FALSE, FALSE, sizeof (PtlStagePosition));
  g_mutex_init (&client->lock);
  client->decoder = ptl_panda_decoder_new (config, error);
  if (client->decoder != NULL)
    client->receiver = ptl_zmq_receiver_new (endpoint, PTL_ZMQ_SUB, FALSE, &limits, on_message,
                                             client, error);
  if (client->receiver == NULL)
    {
      ptl_position_client_free (client);
      return NULL;
    }
  return client;
}

void
ptl_position_client_free (PtlPositionClient *client)
{
  if (client == NULL)
    return;
  g_clear_pointer (&client->receiver, ptl_zmq_receiver_free);
  g_clear_pointer (&client->decoder, ptl_panda_decoder_free);
  g_array_unref (client->positions);
  g_mutex_clear (&client->lock);
  g_free (client);
}

PtlPositionCounters
ptl_position_client_counters (PtlPositionClient *client)
{
  PtlPositionCounters counters;

  g_return_val_if_fail (client != NULL, (PtlPositionCounters) { 0 });

  g_mutex_lock (&client->lock);
  counters.panda = ptl_panda_decoder_counters (client->decoder);
  counters.bytes = client->bytes;
  g_mutex_unlock (&client->lock);
  return counters;
}
