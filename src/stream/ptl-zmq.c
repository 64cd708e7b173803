#include "config.h"

#define G_LOG_DOMAIN "Ptl-Stream"

#include "ptl-zmq.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "core/ptl-error.h"

#define SENDER_LINGER_MS 10000

static const int socket_types[] = {
  [PTL_ZMQ_PULL] = ZMQ_PULL,
  [PTL_ZMQ_SUB] = ZMQ_SUB,
  [PTL_ZMQ_PUSH] = ZMQ_PUSH,
  /* XPUB sends as PUB does, and also tells the publisher when someone subscribes. */
  [PTL_ZMQ_PUB] = ZMQ_XPUB,
};

/* One context for the process: ZMQ contexts are thread-safe and cheap to share. */
static void *
shared_context (void)
{
  static gsize once;
  static void *context;

  if (g_once_init_enter (&once))
    {
      context = zmq_ctx_new ();
      g_once_init_leave (&once, 1);
    }
  return context;
}

static void
set_zmq_error (GError    **error,
               const char *what,
               const char *endpoint)
{
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "%s %s: %s", what, endpoint,
               zmq_strerror (zmq_errno ()));
}

static void *
open_socket (void               *context,
             PtlZmqKind          kind,
             const char         *endpoint,
             gboolean            bind,
             const PtlZmqLimits *limits,
             GError            **error)
{
  void *socket = zmq_socket (context, socket_types[kind]);
  /* A receiver drops what is queued when it stops; a sender delivers what it has queued
   * before it closes (a publisher exits right after its last send), within a bound so
   * that a peer that went away cannot hold it forever. */
  int linger = kind == PTL_ZMQ_PUSH || kind == PTL_ZMQ_PUB ? SENDER_LINGER_MS : 0;

  if (socket == NULL)
    {
      set_zmq_error (error, "Cannot create a socket for", endpoint);
      return NULL;
    }
  zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
  if (limits != NULL)
    {
      zmq_setsockopt (socket, ZMQ_RCVHWM, &limits->receive_hwm, sizeof limits->receive_hwm);
      zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &limits->max_message_size,
                      sizeof limits->max_message_size);
      zmq_setsockopt (socket, ZMQ_RECONNECT_IVL_MAX, &limits->reconnect_ivl_max,
                      sizeof limits->reconnect_ivl_max);
    }
  if (kind == PTL_ZMQ_SUB)
    zmq_setsockopt (socket, ZMQ_SUBSCRIBE, "", 0);
  if ((bind ? zmq_bind (socket, endpoint) : zmq_connect (socket, endpoint)) != 0)
    {
      set_zmq_error (error, bind ? "Cannot bind" : "Cannot connect to", endpoint);
      zmq_close (socket);
      return NULL;
    }
  return socket;
}

struct _PtlZmqReceiver
{
  void          *socket;
  void          *control;   /* our end of the inproc pair that stops the thread */
  char          *control_endpoint;
  void          *monitor;   /* reads the connection events of a connecting socket; else NULL */
  GThread       *thread;
  PtlZmqPartFunc func;
  gpointer       user_data;
  GMutex         lock;
  PtlZmqCounters counters;
};

static void
free_message (gpointer data)
{
  zmq_msg_close (data);
  g_free (data);
}

/* How long a dropped connection waits for ZMQ's own reconnect before it is connected
 * again by hand. ZMQ announces its reconnect (CONNECT_RETRIED) right after the drop. */
#define RECONNECT_GRACE_US (250 * G_TIME_SPAN_MILLISECOND)

/* A connection that ZMQ dropped is connected again. ZMQ reconnects by itself after a
 * network error (a publisher restart), but not after a protocol error, and a message over
 * ZMQ_MAXMSGSIZE is one: without this, a single oversized message would end the stream for
 * good. Only drops that ZMQ does not retry are connected again: disconnecting by hand
 * discards what is still queued on the connection, and a restart must lose nothing. */
typedef struct
{
  char  *endpoint; /* dropped and not yet retried by ZMQ, or NULL */
  gint64 deadline; /* monotonic time after which it is connected by hand */
} DroppedConnection;

static void
read_connection_events (void              *monitor,
                        DroppedConnection *dropped)
{
  zmq_msg_t event, address;

  zmq_msg_init (&event);
  zmq_msg_init (&address);
  while (zmq_msg_recv (&event, monitor, ZMQ_DONTWAIT) >= 0)
    {
      /* Two frames: event id (u16) and value (u32), then the endpoint. */
      if (!zmq_msg_more (&event) || zmq_msg_recv (&address, monitor, 0) < 0)
        break;
      guint16 id;
      memcpy (&id, zmq_msg_data (&event), MIN (sizeof id, zmq_msg_size (&event)));
      if (id == ZMQ_EVENT_DISCONNECTED)
        {
          g_free (dropped->endpoint);
          dropped->endpoint = g_strndup (zmq_msg_data (&address), zmq_msg_size (&address));
          dropped->deadline = g_get_monotonic_time () + RECONNECT_GRACE_US;
        }
      else if (id == ZMQ_EVENT_CONNECT_RETRIED)
        g_clear_pointer (&dropped->endpoint, g_free);
    }
  zmq_msg_close (&event);
  zmq_msg_close (&address);
}

static void
reconnect_dropped (PtlZmqReceiver    *r,
                   DroppedConnection *dropped)
{
  g_message ("Connection to %s dropped (a message over the size limit); connecting again",
             dropped->endpoint);
  zmq_disconnect (r->socket, dropped->endpoint);
  zmq_connect (r->socket, dropped->endpoint);
  g_clear_pointer (&dropped->endpoint, g_free);
  g_mutex_lock (&r->lock);
  r->counters.reconnects++;
  g_mutex_unlock (&r->lock);
}

static long
poll_timeout_ms (const DroppedConnection *dropped)
{
  if (dropped->endpoint == NULL)
    return -1;
  gint64 left = dropped->deadline - g_get_monotonic_time ();
  return left <= 0 ? 0 : (long) (left / G_TIME_SPAN_MILLISECOND) + 1;
}

/* ZMQ's I/O thread sends each connection event with a blocking send while it holds the
 * socket's monitor lock: once nobody reads the events (the reader closed, or its queue
 * full), the next one blocks it for good, and so does switching the monitor off. So the
 * reader stays open until the monitor is off, its queue is drained first, and the switch
 * is made by the thread that owns the socket. */
static void
stop_monitor (void *socket,
              void *monitor)
{
  DroppedConnection ignored = { NULL, 0 };

  read_connection_events (monitor, &ignored);
  g_free (ignored.endpoint);
  zmq_socket_monitor (socket, NULL, 0);
  zmq_close (monitor);
}

/* The thread owns the data socket and the other end of the control pair; it drains every
 * available part before polling again (ZMQ's readiness is edge-like). */
static gpointer
receive_loop (gpointer data)
{
  PtlZmqReceiver *r = data;
  void *stop = zmq_socket (shared_context (), ZMQ_PAIR);
  void *monitor = r->monitor;
  zmq_pollitem_t items[3];
  int n_items = 2;
  DroppedConnection dropped = { NULL, 0 };

  zmq_connect (stop, r->control_endpoint);
  items[0] = (zmq_pollitem_t) { .socket = r->socket, .events = ZMQ_POLLIN };
  items[1] = (zmq_pollitem_t) { .socket = stop, .events = ZMQ_POLLIN };
  if (monitor != NULL)
    items[n_items++] = (zmq_pollitem_t) { .socket = monitor, .events = ZMQ_POLLIN };

  for (;;)
    {
      if (zmq_poll (items, n_items, poll_timeout_ms (&dropped)) < 0 && zmq_errno () != EINTR)
        break;
      if (items[1].revents & ZMQ_POLLIN)
        break;
      if (monitor != NULL && (items[2].revents & ZMQ_POLLIN))
        read_connection_events (monitor, &dropped);
      if (dropped.endpoint != NULL && g_get_monotonic_time () >= dropped.deadline)
        reconnect_dropped (r, &dropped);
      while (TRUE)
        {
          zmq_msg_t *msg = g_new (zmq_msg_t, 1);
          zmq_msg_init (msg);
          if (zmq_msg_recv (msg, r->socket, ZMQ_DONTWAIT) < 0)
            {
              free_message (msg);
              break;
            }
          gboolean more = zmq_msg_more (msg);
          gsize size = zmq_msg_size (msg);
          GBytes *part = g_bytes_new_with_free_func (zmq_msg_data (msg), size, free_message, msg);
          g_mutex_lock (&r->lock);
          r->counters.parts++;
          r->counters.bytes += size;
          r->counters.messages += !more;
          g_mutex_unlock (&r->lock);
          r->func (part, more, r->user_data);
        }
    }
  g_free (dropped.endpoint);
  if (monitor != NULL)
    stop_monitor (r->socket, monitor);
  zmq_close (stop);
  return NULL;
}

PtlZmqReceiver *
ptl_zmq_receiver_new (const char         *endpoint,
                      PtlZmqKind          kind,
                      gboolean            bind,
                      const PtlZmqLimits *limits,
                      PtlZmqPartFunc      func,
                      gpointer            user_data,
                      GError            **error)
{
  static gint serial;
  PtlZmqLimits defaults = PTL_ZMQ_LIMITS_DEFAULT;
  PtlZmqReceiver *r;

  g_return_val_if_fail (kind == PTL_ZMQ_PULL || kind == PTL_ZMQ_SUB, NULL);
  r = g_new0 (PtlZmqReceiver, 1);
  r->func = func;
  r->user_data = user_data;
  g_mutex_init (&r->lock);
  r->socket = open_socket (shared_context (), kind, endpoint, bind, limits ? limits : &defaults,
                           error);
  if (r->socket == NULL)
    {
      g_mutex_clear (&r->lock);
      g_free (r);
      return NULL;
    }
  int id = g_atomic_int_add (&serial, 1);
  r->control_endpoint = g_strdup_printf ("inproc://ptl-receiver-%d", id);
  if (!bind)
    {
      /* The reader is connected at once: an event sent before it is would block ZMQ's
       * I/O thread (see stop_monitor). */
      g_autofree char *monitor_endpoint = g_strdup_printf ("inproc://ptl-receiver-monitor-%d",
                                                           id);
      zmq_socket_monitor (r->socket, monitor_endpoint,
                          ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED);
      r->monitor = zmq_socket (shared_context (), ZMQ_PAIR);
      zmq_connect (r->monitor, monitor_endpoint);
    }
  r->control = zmq_socket (shared_context (), ZMQ_PAIR);
  zmq_bind (r->control, r->control_endpoint);
  r->thread = g_thread_new ("ptl-zmq-receive", receive_loop, r);
  return r;
}

void
ptl_zmq_receiver_free (PtlZmqReceiver *r)
{
  if (r == NULL)
    return;
  zmq_send (r->control, "", 0, 0);
  g_thread_join (r->thread);
  zmq_close (r->control);
  zmq_close (r->socket);
  g_free (r->control_endpoint);
  g_mutex_clear (&r->lock);
  g_free (r);
}

PtlZmqCounters
ptl_zmq_receiver_counters (PtlZmqReceiver *r)
{
  g_mutex_lock (&r->lock);
  PtlZmqCounters counters = r->counters;
  g_mutex_unlock (&r->lock);
  return counters;
}

/* A sender has a context of its own: terminating it is what makes ZMQ deliver the queued
 * messages (within the linger bound) before the sender is gone. */
struct _PtlZmqSender
{
  void    *context;
  void    *socket;
  char    *endpoint;
  gboolean subscribed; /* a PUB has seen a subscription */
};

PtlZmqSender *
ptl_zmq_sender_new (const char *endpoint,
                    PtlZmqKind  kind,
                    gboolean    bind,
                    GError    **error)
{
  g_return_val_if_fail (kind == PTL_ZMQ_PUSH || kind == PTL_ZMQ_PUB, NULL);
  void *context = zmq_ctx_new ();
  void *socket = open_socket (context, kind, endpoint, bind, NULL, error);
  char last[256] = "";
  size_t last_size = sizeof last;

  if (socket == NULL)
    {
      zmq_ctx_term (context);
      return NULL;
    }
  PtlZmqSender *s = g_new0 (PtlZmqSender, 1);
  s->context = context;
  s->socket = socket;
  if (bind && zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, last, &last_size) == 0)
    s->endpoint = g_strdup (last);
  else
    s->endpoint = g_strdup (endpoint);
  return s;
}

void
ptl_zmq_sender_free (PtlZmqSender *s)
{
  if (s == NULL)
    return;
  zmq_close (s->socket);
  while (zmq_ctx_term (s->context) != 0 && zmq_errno () == EINTR)
    ;
  g_free (s->endpoint);
  g_free (s);
}

const char *
ptl_zmq_sender_endpoint (PtlZmqSender *s)
{
  return s->endpoint;
}

gboolean
ptl_zmq_sender_poll_subscriber (PtlZmqSender *s,
                                int           timeout_ms)
{
  zmq_pollitem_t item = { .socket = s->socket, .events = ZMQ_POLLIN };
  zmq_msg_t msg;

  if (s->subscribed)
    return TRUE;
  if (zmq_poll (&item, 1, timeout_ms) <= 0)
    return FALSE;
  zmq_msg_init (&msg);
  /* A subscription is a message starting with 1 (0 is an unsubscription). */
  while (zmq_msg_recv (&msg, s->socket, ZMQ_DONTWAIT) >= 0)
    if (zmq_msg_size (&msg) >= 1 && ((const guint8 *) zmq_msg_data (&msg))[0] == 1)
      s->subscribed = TRUE;
  zmq_msg_close (&msg);
  return s->subscribed;
}

static void
release_bytes (void *data,
               void *hint)
{
  g_bytes_unref (hint);
}

gboolean
ptl_zmq_sender_send (PtlZmqSender *s,
                     GPtrArray    *parts,
                     GError      **error)
{
  for (guint i = 0; i < parts->len; i++)
    {
      GBytes *bytes = g_ptr_array_index (parts, i);
      gsize size;
      gconstpointer data = g_bytes_get_data (bytes, &size);
      zmq_msg_t msg;

      if (size == 0)
        zmq_msg_init (&msg);
      else
        zmq_msg_init_data (&msg, (void *) data, size, release_bytes, g_bytes_ref (bytes));
      while (zmq_msg_send (&msg, s->socket, i + 1 < parts->len ? ZMQ_SNDMORE : 0) < 0)
        {
          if (zmq_errno () == EINTR)
            continue;
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot send to %s: %s",
                       s->endpoint, zmq_strerror (zmq_errno ()));
          zmq_msg_close (&msg);
          return FALSE;
        }
    }
  return TRUE;
}
