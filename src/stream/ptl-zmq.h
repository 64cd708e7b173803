/* ZeroMQ sockets as every stream uses them: a receiver thread per socket (zmq_poll on the
 * data socket and an inproc control socket, so that stopping is prompt), message parts
 * handed on as GBytes that own the ZMQ message (no copy), and a sender for the publishers.
 * Every socket gets a large receive high-water mark, a maximum message size and a capped
 * reconnect interval. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PTL_ZMQ_PULL, /* detector streams (DECTRIS V1/V2 push) */
  PTL_ZMQ_SUB,  /* position streams (PandA publishes), subscribed to everything */
  PTL_ZMQ_PUSH,
  PTL_ZMQ_PUB
} PtlZmqKind;

typedef struct
{
  int    receive_hwm;       /* messages queued before ZMQ stops reading */
  gint64 max_message_size;  /* bytes; larger messages close the connection (ZMQ_MAXMSGSIZE) */
  int    reconnect_ivl_max; /* ms */
} PtlZmqLimits;

#define PTL_ZMQ_LIMITS_DEFAULT ((PtlZmqLimits) { 100000, (gint64) 1 << 31, 1000 })

/* Called on the receiver thread for every part; `part` is owned by the callee. */
typedef void (*PtlZmqPartFunc) (GBytes  *part,
                                gboolean more,
                                gpointer user_data);

typedef struct _PtlZmqReceiver PtlZmqReceiver;
typedef struct _PtlZmqSender   PtlZmqSender;

typedef struct
{
  guint64 messages;
  guint64 parts;
  guint64 bytes;
  guint64 reconnects; /* connections ZMQ dropped that the receiver connected again */
} PtlZmqCounters;

/* Connects (or, with `bind`, binds) and starts the thread. */
PtlZmqReceiver *ptl_zmq_receiver_new (const char         *endpoint,
                                      PtlZmqKind          kind,
                                      gboolean            bind,
                                      const PtlZmqLimits *limits,
                                      PtlZmqPartFunc      func,
                                      gpointer            user_data,
                                      GError            **error);
/* Stops the thread (promptly, whatever the peer does) and closes the socket. */
void            ptl_zmq_receiver_free (PtlZmqReceiver *receiver);
PtlZmqCounters  ptl_zmq_receiver_counters (PtlZmqReceiver *receiver);

/* Closing a sender (ptl_zmq_sender_free) first delivers what is still queued, waiting at
 * most 10 s for peers that went away. */
PtlZmqSender *ptl_zmq_sender_new (const char *endpoint,
                                  PtlZmqKind  kind,
                                  gboolean    bind,
                                  GError    **error);
void          ptl_zmq_sender_free (PtlZmqSender *sender);
/* The endpoint actually bound (a wildcard port resolved), for tests and logs. */
const char   *ptl_zmq_sender_endpoint (PtlZmqSender *sender);
/* One message of parts; the payloads are sent without a copy and released when ZMQ is done
 * with them. Blocks while the high-water mark is reached (a PUSH to a slow reader). */
gboolean      ptl_zmq_sender_send (PtlZmqSender *sender,
                                   GPtrArray    *parts,
                                   GError      **error);

/* A PUB sender: TRUE once a subscriber has subscribed (from then on what is sent reaches
 * it: a PUB drops what it sends before), waiting up to `timeout_ms` for it. */
gboolean      ptl_zmq_sender_poll_subscriber (PtlZmqSender *sender,
                                              int           timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlZmqReceiver, ptl_zmq_receiver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlZmqSender, ptl_zmq_sender_free)

G_END_DECLS
