#include "config.h"

#include "ptl-pairing.h"

/* An image or a position waiting for its partner. */
typedef struct
{
  GList          link;       /* in its side's arrival order; link.data is the item */
  guint64        key;        /* image id */
  gint64         arrived_us;
  gpointer       payload;    /* images */
  GDestroyNotify destroy;
  PtlStagePosition    position;   /* positions */
} Item;

typedef struct
{
  GHashTable *waiting;   /* &item->key → Item, owned */
  GQueue      order;     /* oldest first */
  gboolean    seen_any;
  guint64     max_key;
  guint64    *dropped;   /* the counter this side's drops go to */
} Side;

struct _PtlPairing
{
  guint64 timeout_us;
  gint64  offset;
  guint   max_waiting;
  Side    images;
  Side    positions;
  /* Ids paired recently, as many as may wait: an image or position that comes again
   * after its pair has left is still recognised as a duplicate. */
  GHashTable *paired_ids; /* guint64 * (owned) → itself */
  GQueue      paired_order;
  GArray     *ready;      /* PtlPair, completed since the last take */

  PtlPairingCounters counters;
};

static void
item_free (gpointer data)
{
  Item *item = data;

  if (item->destroy != NULL && item->payload != NULL)
    item->destroy (item->payload);
  g_free (item);
}

static void
side_init (Side    *side,
           guint64 *dropped)
{
  side->waiting = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, item_free);
  g_queue_init (&side->order);
  side->dropped = dropped;
}

/* Removes the item from its side; the caller owns it. */
static Item *
side_steal (Side *side,
            Item *item)
{
  g_queue_unlink (&side->order, &item->link);
  g_hash_table_steal (side->waiting, &item->key);
  return item;
}

static void
side_drop_oldest (Side *side)
{
  Item *oldest = g_queue_peek_head (&side->order);

  item_free (side_steal (side, oldest));
  (*side->dropped)++;
}

static void
side_insert (Side *side,
             Item *item,
             guint max_waiting)
{
  while (g_hash_table_size (side->waiting) >= max_waiting)
    side_drop_oldest (side);
  item->link.data = item;
  g_queue_push_tail_link (&side->order, &item->link);
  g_hash_table_insert (side->waiting, &item->key, item);
}

static gboolean
waited_longer (guint64 waited_us,
               gint64  since_us,
               gint64  now_us)
{
  /* Unsigned difference: exact for any two gint64 with now after since. */
  return now_us > since_us && (guint64) now_us - (guint64) since_us > waited_us;
}

static void
side_expire (Side    *side,
             guint64  timeout_us,
             gint64   now_us)
{
  Item *oldest;

  while ((oldest = g_queue_peek_head (&side->order)) != NULL
         && waited_longer (timeout_us, oldest->arrived_us, now_us))
    side_drop_oldest (side);
}

/* Counts an arrival below the highest id of its side; FALSE for a duplicate. */
static gboolean
side_arrive (PtlPairing *pairing,
             Side       *side,
             guint64     key)
{
  if (g_hash_table_contains (side->waiting, &key)
      || g_hash_table_contains (pairing->paired_ids, &key))
    return FALSE;
  if (side->seen_any && key < side->max_key)
    pairing->counters.out_of_order++;
  side->max_key = side->seen_any ? MAX (side->max_key, key) : key;
  side->seen_any = TRUE;
  return TRUE;
}

static void
expire (PtlPairing *pairing,
        gint64      now_us)
{
  if (pairing->timeout_us == 0)
    return;
  side_expire (&pairing->images, pairing->timeout_us, now_us);
  side_expire (&pairing->positions, pairing->timeout_us, now_us);
}

static void
pair (PtlPairing        *pairing,
      guint64            key,
      gpointer           payload,
      GDestroyNotify     destroy,
      const PtlStagePosition *position,
      gint64             image_arrived_us,
      gint64             now_us)
{
  PtlPair pair = {
    .image_id = key,
    .position_index = position->index,
    .payload = payload,
    .payload_destroy = destroy,
    .x = position->x,
    .y = position->y,
  };
  guint64 *id = g_new (guint64, 1);

  g_array_append_val (pairing->ready, pair);
  pairing->counters.paired++;
  pairing->counters.position_lag_ms = now_us > image_arrived_us
    ? ((guint64) now_us - (guint64) image_arrived_us) / 1000.0
    : 0;

  *id = key;
  g_hash_table_add (pairing->paired_ids, id);
  g_queue_push_tail (&pairing->paired_order, id);
  while (pairing->paired_order.length > pairing->max_waiting)
    g_hash_table_remove (pairing->paired_ids, g_queue_pop_head (&pairing->paired_order));
}

PtlPairing *
ptl_pairing_new (guint64 timeout_us)
{
  PtlPairing *pairing = g_new0 (PtlPairing, 1);

  pairing->timeout_us = timeout_us;
  pairing->max_waiting = PTL_PAIRING_DEFAULT_MAX_WAITING;
  side_init (&pairing->images, &pairing->counters.dropped_images);
  side_init (&pairing->positions, &pairing->counters.dropped_positions);
  pairing->paired_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&pairing->paired_order);
  pairing->ready = g_array_new (FALSE, FALSE, sizeof (PtlPair));
  return pairing;
}

void
ptl_pairing_free (PtlPairing *pairing)
{
  if (pairing == NULL)
    return;
  g_hash_table_unref (pairing->images.waiting);
  g_hash_table_unref (pairing->positions.waiting);
  g_queue_clear (&pairing->paired_order);
  g_hash_table_unref (pairing->paired_ids);
  for (guint i = 0; i < pairing->ready->len; i++)
    ptl_pair_clear (&g_array_index (pairing->ready, PtlPair, i));
  g_array_unref (pairing->ready);
  g_free (pairing);
}

void
ptl_pairing_set_offset (PtlPairing *pairing,
                        gint64      offset)
{
  pairing->offset = offset;
}

void
ptl_pairing_set_max_waiting (PtlPairing *pairing,
                             guint       max_waiting)
{
  g_return_if_fail (max_waiting > 0);
  pairing->max_waiting = max_waiting;
}

void
ptl_pairing_add_image (PtlPairing    *pairing,
                       guint64        image_id,
                       gpointer       payload,
                       GDestroyNotify payload_destroy,
                       gint64         now_us)
{
  Item *position, *image;

  g_return_if_fail (pairing != NULL);

  expire (pairing, now_us);
  if (!side_arrive (pairing, &pairing->images, image_id))
    {
      pairing->counters.duplicate_images++;
      if (payload_destroy != NULL && payload != NULL)
        payload_destroy (payload);
      return;
    }

  position = g_hash_table_lookup (pairing->positions.waiting, &image_id);
  if (position != NULL)
    {
      side_steal (&pairing->positions, position);
      pair (pairing, image_id, payload, payload_destroy, &position->position, now_us, now_us);
      item_free (position);
      return;
    }

  image = g_new0 (Item, 1);
  image->key = image_id;
  image->arrived_us = now_us;
  image->payload = payload;
  image->destroy = payload_destroy;
  side_insert (&pairing->images, image, pairing->max_waiting);
}

/* index + offset, unless that falls outside the ids. */
static gboolean
image_id_of (PtlPairing *pairing,
             guint64     index,
             guint64    *image_id)
{
  guint64 magnitude;

  if (pairing->offset >= 0)
    {
      if (index > G_MAXUINT64 - (guint64) pairing->offset)
        return FALSE;
      *image_id = index + (guint64) pairing->offset;
      return TRUE;
    }
  magnitude = (guint64) -(pairing->offset + 1) + 1; /* no overflow at G_MININT64 */
  if (index < magnitude)
    return FALSE;
  *image_id = index - magnitude;
  return TRUE;
}

void
ptl_pairing_add_position (PtlPairing        *pairing,
                          const PtlStagePosition *position,
                          gint64             now_us)
{
  Item *image, *waiting;
  guint64 key;

  g_return_if_fail (pairing != NULL);
  g_return_if_fail (position != NULL);

  expire (pairing, now_us);
  if (!image_id_of (pairing, position->index, &key))
    {
      pairing->counters.dropped_positions++;
      return;
    }
  if (!side_arrive (pairing, &pairing->positions, key))
    {
      pairing->counters.duplicate_positions++;
      return;
    }

  image = g_hash_table_lookup (pairing->images.waiting, &key);
  if (image != NULL)
    {
      side_steal (&pairing->images, image);
      pair (pairing, key, image->payload, image->destroy, position, image->arrived_us, now_us);
      g_free (image);
      return;
    }

  waiting = g_new0 (Item, 1);
  waiting->key = key;
  waiting->arrived_us = now_us;
  waiting->position = *position;
  side_insert (&pairing->positions, waiting, pairing->max_waiting);
}

static gint
pair_compare (gconstpointer a,
              gconstpointer b)
{
  const PtlPair *pa = a, *pb = b;

  return (pa->image_id > pb->image_id) - (pa->image_id < pb->image_id);
}

guint
ptl_pairing_take (PtlPairing *pairing,
                  gint64      now_us,
                  GArray     *pairs_out)
{
  guint n;

  g_return_val_if_fail (pairing != NULL, 0);
  g_return_val_if_fail (pairs_out != NULL, 0);

  expire (pairing, now_us);
  n = pairing->ready->len;
  g_array_sort (pairing->ready, pair_compare);
  g_array_append_vals (pairs_out, pairing->ready->data, n);
  g_array_set_size (pairing->ready, 0);
  return n;
}

guint
ptl_pairing_finish (PtlPairing *pairing)
{
  guint n;

  g_return_val_if_fail (pairing != NULL, 0);

  n = g_hash_table_size (pairing->images.waiting) + g_hash_table_size (pairing->positions.waiting);
  while (g_queue_peek_head (&pairing->images.order) != NULL)
    side_drop_oldest (&pairing->images);
  while (g_queue_peek_head (&pairing->positions.order) != NULL)
    side_drop_oldest (&pairing->positions);
  return n;
}

PtlPairingCounters
ptl_pairing_counters (PtlPairing *pairing)
{
  PtlPairingCounters counters = pairing->counters;
  gint64 latest_image = pairing->images.seen_any ? (gint64) pairing->images.max_key : -1;
  gint64 latest_position = pairing->positions.seen_any ? (gint64) pairing->positions.max_key : -1;

  counters.images_waiting = g_hash_table_size (pairing->images.waiting);
  counters.positions_waiting = g_hash_table_size (pairing->positions.waiting);
  counters.position_lag_frames = latest_image - latest_position;
  return counters;
}

void
ptl_pair_clear (PtlPair *pair)
{
  if (pair->payload_destroy != NULL && pair->payload != NULL)
    pair->payload_destroy (g_steal_pointer (&pair->payload));
}

GArray *
ptl_pair_array_new (void)
{
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (PtlPair));

  g_array_set_clear_func (pairs, (GDestroyNotify) ptl_pair_clear);
  return pairs;
}
