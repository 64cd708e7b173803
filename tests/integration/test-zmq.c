/* The ZMQ layer over loopback: every part arrives, in order, with its "more" flag;
 * stopping is prompt; PUB/SUB delivers once subscribed. */
#include "config.h"

#include <string.h>

#include "stream/ptl-zmq.h"

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

static GPtrArray *
message (guint index)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *header = g_strdup_printf ("{\"frame\": %u}", index);
  gsize blob_size = 1000 + index % 7 * 3001;
  guint8 *blob = g_malloc (blob_size);

  for (gsize i = 0; i < blob_size; i++)
    blob[i] = (guint8) (i * 31 + index);
  g_ptr_array_add (parts, g_bytes_new (header, strlen (header)));
  g_ptr_array_add (parts, g_bytes_new_take (blob, blob_size));
  g_ptr_array_add (parts, g_bytes_new (NULL, 0));
  return parts;
}

static void
test_push_pull (void)
{
  g_autoptr (GError) error = NULL;
  Inbox inbox;
  const guint n = 2000;

  inbox_init (&inbox);
  g_autoptr (PtlZmqSender) sender = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH, TRUE,
                                                        &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (ptl_zmq_sender_endpoint (sender), "tcp://127.0.0.1:"));
  g_autoptr (PtlZmqReceiver) receiver = ptl_zmq_receiver_new (ptl_zmq_sender_endpoint (sender),
                                                              PTL_ZMQ_PULL, FALSE, NULL, collect,
                                                              &inbox, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GPtrArray) parts = message (i);
      g_assert_true (ptl_zmq_sender_send (sender, parts, &error));
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GPtrArray) sent = message (i);
      for (guint p = 0; p < sent->len; p++)
        {
          gboolean more;
          g_autoptr (GBytes) got = pop (&inbox, &more);
          g_assert_true (g_bytes_equal (got, g_ptr_array_index (sent, p)));
          g_assert_cmpint (more, ==, p + 1 < sent->len);
        }
    }
  PtlZmqCounters counters = ptl_zmq_receiver_counters (receiver);
  g_assert_cmpuint (counters.messages, ==, n);
  g_assert_cmpuint (counters.parts, ==, 3 * n);
  g_clear_pointer (&receiver, ptl_zmq_receiver_free);
  inbox_clear (&inbox);
}

/* Nobody sends and nobody is even listening: the thread still stops at once, also while
 * ZMQ keeps retrying the refused connection and reporting each retry to the receiver
 * (stopping once hung when a retry was reported just as the receiver went away). */
static void
test_prompt_stop (void)
{
  Inbox inbox;

  inbox_init (&inbox);
  for (guint round = 0; round < 12; round++)
    {
      g_autoptr (GError) error = NULL;
      PtlZmqReceiver *receiver = ptl_zmq_receiver_new ("tcp://127.0.0.1:9", PTL_ZMQ_PULL, FALSE,
                                                       NULL, collect, &inbox, &error);
      g_assert_no_error (error);
      g_usleep (round * 25 * G_TIME_SPAN_MILLISECOND);
      gint64 start = g_get_monotonic_time ();
      ptl_zmq_receiver_free (receiver);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
    }
  inbox_clear (&inbox);
}

/* SUB receives everything a PUB sends once the subscription has reached it. */
static void
test_pub_sub (void)
{
  g_autoptr (GError) error = NULL;
  Inbox inbox;

  inbox_init (&inbox);
  g_autoptr (PtlZmqSender) pub = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUB, TRUE,
                                                     &error);
  g_autoptr (PtlZmqReceiver) sub = ptl_zmq_receiver_new (ptl_zmq_sender_endpoint (pub),
                                                         PTL_ZMQ_SUB, FALSE, NULL, collect, &inbox,
                                                         &error);
  g_assert_no_error (error);
  /* A subscriber joins late: send a probe until one arrives. */
  GBytes *got = NULL;
  for (guint tries = 0; got == NULL && tries < 500; tries++)
    {
      g_autoptr (GPtrArray) probe = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_ptr_array_add (probe, g_bytes_new_static ("probe", 5));
      g_assert_true (ptl_zmq_sender_send (pub, probe, &error));
      got = g_async_queue_timeout_pop (inbox.parts, 10000);
    }
  g_assert_nonnull (got);
  g_bytes_unref (got);
  g_clear_pointer (&sub, ptl_zmq_receiver_free);
  inbox_clear (&inbox);
}

static GPtrArray *
one_part (const char *text,
          gsize       size)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint8 *data = g_malloc0 (size);

  memcpy (data, text, MIN (size, strlen (text)));
  g_ptr_array_add (parts, g_bytes_new_take (data, size));
  return parts;
}

/* A message above the receiver's maximum size never reaches the callback: ZMQ drops the
 * connection instead of allocating it. The receiver reconnects by itself and the stream
 * goes on with the next messages. */
static void
test_max_message_size (void)
{
  g_autoptr (GError) error = NULL;
  PtlZmqLimits limits = PTL_ZMQ_LIMITS_DEFAULT;
  Inbox inbox;
  gboolean more;

  limits.max_message_size = 64 * 1024;
  limits.reconnect_ivl_max = 100;
  inbox_init (&inbox);
  g_autoptr (PtlZmqSender) sender = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH, TRUE,
                                                        &error);
  g_assert_no_error (error);
  g_autoptr (PtlZmqReceiver) receiver = ptl_zmq_receiver_new (ptl_zmq_sender_endpoint (sender),
                                                              PTL_ZMQ_PULL, FALSE, &limits,
                                                              collect, &inbox, &error);
  g_assert_no_error (error);

  g_autoptr (GPtrArray) before = one_part ("before", 1000);
  g_assert_true (ptl_zmq_sender_send (sender, before, &error));
  g_autoptr (GBytes) first = pop (&inbox, &more);
  g_assert_true (g_bytes_equal (first, g_ptr_array_index (before, 0)));

  g_autoptr (GPtrArray) huge = one_part ("huge", 4 * 1024 * 1024);
  g_assert_true (ptl_zmq_sender_send (sender, huge, &error));

  /* Messages sent while the connection is being dropped may go down with it: send until
   * one arrives after the reconnection. */
  g_autoptr (GBytes) after = NULL;
  for (guint attempt = 0; attempt < 100 && after == NULL; attempt++)
    {
      g_autoptr (GPtrArray) parts = one_part ("after", 1000);
      g_assert_true (ptl_zmq_sender_send (sender, parts, &error));
      after = g_async_queue_timeout_pop (inbox.parts, 100000);
    }
  g_assert_nonnull (after);
  g_assert_cmpuint (g_bytes_get_size (after), ==, 1000);
  g_assert_cmpmem (g_bytes_get_data (after, NULL), 5, "after", 5);

  /* Nothing of the oversized message was ever handed on. */
  PtlZmqCounters counters = ptl_zmq_receiver_counters (receiver);
  g_assert_cmpuint (counters.bytes, <, 1024 * 1024);
  g_assert_cmpuint (counters.reconnects, >=, 1);
  GBytes *part;
  while ((part = g_async_queue_try_pop (inbox.parts)) != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (part), ==, 1000);
      g_bytes_unref (part);
    }
  g_clear_pointer (&receiver, ptl_zmq_receiver_free);
  inbox_clear (&inbox);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/zmq/push-pull", test_push_pull);
  g_test_add_func ("/zmq/prompt-stop", test_prompt_stop);
  g_test_add_func ("/zmq/pub-sub", test_pub_sub);
  g_test_add_func ("/zmq/max-message-size", test_max_message_size);
  return g_test_run ();
}
