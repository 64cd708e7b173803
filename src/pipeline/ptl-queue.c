#include "config.h"

#include "ptl-queue.h"

typedef struct
{
  gpointer item;
  gsize    bytes;
} Entry;

struct _PtlQueue
{
  GMutex         lock;
  GCond          not_empty;
  GCond          not_full;
  GQueue         entries; /* Entry * */
  gsize          bytes;
  gsize          max_bytes;
  gboolean       closed;
  gint64         waited_us;
  GDestroyNotify destroy;
};

PtlQueue *
ptl_queue_new (gsize          max_bytes,
               GDestroyNotify destroy)
{
  PtlQueue *queue = g_new0 (PtlQueue, 1);

  g_mutex_init (&queue->lock);
  g_cond_init (&queue->not_empty);
  g_cond_init (&queue->not_full);
  g_queue_init (&queue->entries);
  queue->max_bytes = max_bytes;
  queue->destroy = destroy;
  return queue;
}

void
ptl_queue_free (PtlQueue *queue)
{
  Entry *entry;

  if (queue == NULL)
    return;
  while ((entry = g_queue_pop_head (&queue->entries)) != NULL)
    {
      if (queue->destroy != NULL)
        queue->destroy (entry->item);
      g_free (entry);
    }
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->not_empty);
  g_cond_clear (&queue->not_full);
  g_free (queue);
}

gint64
ptl_queue_push (PtlQueue *queue,
                gpointer  item,
                gsize     bytes)
{
  Entry *entry = g_new (Entry, 1);
  gint64 waited = 0;

  entry->item = item;
  entry->bytes = bytes;
  g_mutex_lock (&queue->lock);
  /* An item larger than the whole limit still goes in once the queue is empty; an item
   * that costs nothing (a position, a marker) never waits. */
  if (queue->max_bytes > 0 && bytes > 0 && queue->bytes > 0
      && queue->bytes + bytes > queue->max_bytes && !queue->closed)
    {
      gint64 start = g_get_monotonic_time ();
      while (queue->bytes > 0 && queue->bytes + bytes > queue->max_bytes && !queue->closed)
        g_cond_wait (&queue->not_full, &queue->lock);
      waited = g_get_monotonic_time () - start;
      queue->waited_us += waited;
    }
  g_queue_push_tail (&queue->entries, entry);
  queue->bytes += bytes;
  g_cond_signal (&queue->not_empty);
  g_mutex_unlock (&queue->lock);
  return waited;
}

gpointer
ptl_queue_pop (PtlQueue *queue,
               gint64    timeout_us)
{
  gpointer item = NULL;
  Entry *entry;

  g_mutex_lock (&queue->lock);
  if (timeout_us != 0)
    {
      gint64 deadline = g_get_monotonic_time () + timeout_us;
      while (queue->entries.length == 0 && !queue->closed)
        {
          if (timeout_us < 0)
            g_cond_wait (&queue->not_empty, &queue->lock);
          else if (!g_cond_wait_until (&queue->not_empty, &queue->lock, deadline))
            break;
        }
    }
  entry = g_queue_pop_head (&queue->entries);
  if (entry != NULL)
    {
      item = entry->item;
      queue->bytes -= entry->bytes;
      g_free (entry);
      g_cond_broadcast (&queue->not_full);
    }
  g_mutex_unlock (&queue->lock);
  return item;
}

void
ptl_queue_close (PtlQueue *queue)
{
  g_mutex_lock (&queue->lock);
  queue->closed = TRUE;
  g_cond_broadcast (&queue->not_empty);
  g_cond_broadcast (&queue->not_full);
  g_mutex_unlock (&queue->lock);
}

gboolean
ptl_queue_is_closed (PtlQueue *queue)
{
  g_mutex_lock (&queue->lock);
  gboolean closed = queue->closed;
  g_mutex_unlock (&queue->lock);
  return closed;
}

guint
ptl_queue_length (PtlQueue *queue)
{
  g_mutex_lock (&queue->lock);
  guint length = queue->entries.length;
  g_mutex_unlock (&queue->lock);
  return length;
}

gsize
ptl_queue_bytes (PtlQueue *queue)
{
  g_mutex_lock (&queue->lock);
  gsize bytes = queue->bytes;
  g_mutex_unlock (&queue->lock);
  return bytes;
}

gint64
ptl_queue_waited_us (PtlQueue *queue)
{
  g_mutex_lock (&queue->lock);
  gint64 waited = queue->waited_us;
  g_mutex_unlock (&queue->lock);
  return waited;
}
