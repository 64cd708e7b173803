/* A FIFO between two pipeline threads whose policy is explicit.
 *
 * Nothing is ever dropped by the queue itself. A byte limit, when set, is back-pressure:
 * a push that would pass it waits until the consumer has taken enough (or the queue is
 * closed), and the time it waited is counted. A closed queue still accepts pushes (what
 * was received is never lost) but wakes every waiter, so that a consumer drains what is
 * left and stops. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PtlQueue PtlQueue;

/* `max_bytes` 0: no limit (the consumer must keep up by construction). `destroy` frees an
 * item still queued when the queue is freed. */
PtlQueue *ptl_queue_new (gsize          max_bytes,
                         GDestroyNotify destroy);
void      ptl_queue_free (PtlQueue *queue);

/* Appends `item` that costs `bytes`. Returns the microseconds it waited for room; an item
 * of 0 bytes never waits. */
gint64    ptl_queue_push (PtlQueue *queue,
                          gpointer  item,
                          gsize     bytes);
/* The oldest item, waiting at most `timeout_us` (0: do not wait, < 0: wait until an item
 * comes or the queue is closed). NULL on timeout, or when closed and empty. */
gpointer  ptl_queue_pop (PtlQueue *queue,
                         gint64    timeout_us);
void      ptl_queue_close (PtlQueue *queue);
gboolean  ptl_queue_is_closed (PtlQueue *queue);
guint     ptl_queue_length (PtlQueue *queue);
gsize     ptl_queue_bytes (PtlQueue *queue);
/* Microseconds producers spent waiting for room, in total. */
gint64    ptl_queue_waited_us (PtlQueue *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlQueue, ptl_queue_free)

G_END_DECLS
