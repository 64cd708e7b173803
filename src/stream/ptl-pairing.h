/* Pairs detector images with their positions. A position belongs to the image whose id is
 * its index plus a fixed offset (0 for PandA, where image_id == starting_sample_number + i
 * at one sample per frame).
 * Whichever of the two comes first waits for the other, at most `timeout_us` and at most
 * `max_waiting` items per side; then it is dropped and counted (every call first drops
 * what waited too long). Pairs leave as they complete, in image-id order within each
 * take.
 *
 * Ownership: the pairing owns an image's payload from ptl_pairing_add_image on. A payload
 * dropped (timed out, pushed out by the bound, duplicate), or still waiting or untaken when
 * the pairing is freed, is released there with its destroy notify. A taken pair owns its
 * payload: ptl_pair_clear releases it, so an array from ptl_pair_array_new releases
 * whatever is left in it; steal the payload (set it to NULL) to keep it.
 *
 * Time is passed in: `now_us` never decreases from one call to the next. Not thread-safe:
 * one thread owns a pairing. */
#pragma once

#include <glib.h>

#include "stream/ptl-panda.h"

G_BEGIN_DECLS

#define PTL_PAIRING_DEFAULT_MAX_WAITING 16384

typedef struct
{
  guint64        image_id;
  guint64        position_index;
  gpointer       payload;
  GDestroyNotify payload_destroy;
  double         x; /* metres, as the position came */
  double         y;
} PtlPair;

typedef struct
{
  guint64 paired;
  guint   images_waiting;
  guint   positions_waiting;
  guint64 dropped_images;      /* timed out or pushed out by the bound */
  guint64 dropped_positions;   /* likewise, or with no image id (index + offset < 0) */
  guint64 duplicate_images;    /* id waiting, or among the last max_waiting paired: dropped */
  guint64 duplicate_positions;
  guint64 out_of_order;        /* an image or position below the highest of its kind seen */
  gint64  position_lag_frames; /* highest image id − highest image id with a position */
  double  position_lag_ms;     /* how long the last paired image waited for its position */
} PtlPairingCounters;

typedef struct _PtlPairing PtlPairing;

/* `timeout_us` 0: items wait for ever (still bounded by max_waiting). */
PtlPairing        *ptl_pairing_new (guint64 timeout_us);
void               ptl_pairing_free (PtlPairing *pairing);

/* Set both before the first item. */
void               ptl_pairing_set_offset (PtlPairing *pairing,
                                           gint64      offset);
void               ptl_pairing_set_max_waiting (PtlPairing *pairing,
                                                guint       max_waiting);

void               ptl_pairing_add_image (PtlPairing    *pairing,
                                          guint64        image_id,
                                          gpointer       payload,
                                          GDestroyNotify payload_destroy,
                                          gint64         now_us);
void               ptl_pairing_add_position (PtlPairing        *pairing,
                                             const PtlStagePosition *position,
                                             gint64             now_us);

/* Moves the pairs completed since the last take to `pairs_out` (PtlPair), sorted by
 * image id. Returns how many. */
guint              ptl_pairing_take (PtlPairing *pairing,
                                     gint64      now_us,
                                     GArray     *pairs_out);

/* The series is over on both streams: whatever still waits will never find its partner
 * (a position whose image was lost, an image whose position never came). Drops it all,
 * counted as dropped; returns how many. Pairs completed before stay to be taken. */
guint              ptl_pairing_finish (PtlPairing *pairing);
PtlPairingCounters ptl_pairing_counters (PtlPairing *pairing);

/* Releases the pair's payload, if it still holds one. */
void               ptl_pair_clear (PtlPair *pair);
/* An array of PtlPair that clears its elements when they are removed or it is freed. */
GArray            *ptl_pair_array_new (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPairing, ptl_pairing_free)

G_END_DECLS
