#include "config.h"

#include <string.h>

#include "stream/ptl-pairing.h"

#define MS 1000 /* µs */
#define N_PAYLOADS 64

/* Payload i is GUINT_TO_POINTER (i + 1); its destroy notify counts calls per payload. */
static guint destroyed[N_PAYLOADS];

static void
payload_destroy (gpointer payload)
{
  guint i = GPOINTER_TO_UINT (payload) - 1;

  g_assert_cmpuint (i, <, N_PAYLOADS);
  destroyed[i]++;
}

static PtlPairing *
pairing_new (guint64 timeout_us)
{
  memset (destroyed, 0, sizeof destroyed);
  return ptl_pairing_new (timeout_us);
}

static void
add_image (PtlPairing *pairing,
           guint       id,
           gint64      now_us)
{
  ptl_pairing_add_image (pairing, id, GUINT_TO_POINTER (id + 1), payload_destroy, now_us);
}

/* Position i is at (i µm, −i µm). */
static void
add_position (PtlPairing *pairing,
              guint64     index,
              gint64      now_us)
{
  PtlStagePosition position = { index, index * 1e-6, -(double) index * 1e-6, now_us };

  ptl_pairing_add_position (pairing, &position, now_us);
}

/* The pairs taken are images first..first+n−1 with their positions (index = id − offset). */
static void
assert_pairs (GArray *pairs,
              guint   first,
              guint   n,
              gint64  offset)
{
  g_assert_cmpuint (pairs->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      PtlPair *pair = &g_array_index (pairs, PtlPair, i);
      guint64 index = first + i - offset;

      g_assert_cmpuint (pair->image_id, ==, first + i);
      g_assert_cmpuint (pair->position_index, ==, index);
      g_assert_true (pair->payload == GUINT_TO_POINTER (first + i + 1));
      g_assert_true (pair->payload_destroy == payload_destroy);
      g_assert_cmpfloat (pair->x, ==, index * 1e-6);
      g_assert_cmpfloat (pair->y, ==, -(double) index * 1e-6);
    }
}

static void
assert_destroyed (guint first,
                  guint n,
                  guint times)
{
  for (guint i = first; i < first + n; i++)
    g_assert_cmpuint (destroyed[i], ==, times);
}

static void
test_in_order (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (100 * MS);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  for (guint i = 0; i < 5; i++)
    {
      add_image (pairing, i, i * 10 * MS);
      add_position (pairing, i, i * 10 * MS + 2 * MS);
    }
  g_assert_cmpuint (ptl_pairing_take (pairing, 50 * MS, pairs), ==, 5);
  assert_pairs (pairs, 0, 5, 0);
  assert_destroyed (0, 5, 0);

  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.paired, ==, 5);
  g_assert_cmpuint (counters.images_waiting, ==, 0);
  g_assert_cmpuint (counters.positions_waiting, ==, 0);
  g_assert_cmpint (counters.position_lag_frames, ==, 0);
  g_assert_cmpfloat (counters.position_lag_ms, ==, 2.0);
  g_assert_cmpuint (counters.dropped_images + counters.dropped_positions, ==, 0);
  g_assert_cmpuint (counters.duplicate_images + counters.duplicate_positions, ==, 0);
  g_assert_cmpuint (counters.out_of_order, ==, 0);

  g_clear_pointer (&pairs, g_array_unref);
  assert_destroyed (0, 5, 1);
}

static void
test_images_first (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  for (guint i = 0; i < 10; i++)
    add_image (pairing, i, i * MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, 10 * MS, pairs), ==, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.images_waiting, ==, 10);
  g_assert_cmpint (counters.position_lag_frames, ==, 10);

  for (guint i = 0; i < 10; i++)
    add_position (pairing, i, 20 * MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, 20 * MS, pairs), ==, 10);
  assert_pairs (pairs, 0, 10, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.paired, ==, 10);
  g_assert_cmpuint (counters.images_waiting, ==, 0);
  g_assert_cmpint (counters.position_lag_frames, ==, 0);
  g_assert_cmpfloat (counters.position_lag_ms, ==, 11.0);
}

static void
test_positions_first (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  for (guint i = 0; i < 5; i++)
    add_position (pairing, i, i * MS);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.positions_waiting, ==, 5);
  g_assert_cmpint (counters.position_lag_frames, ==, -5);

  add_image (pairing, 0, 10 * MS);
  add_image (pairing, 1, 10 * MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, 10 * MS, pairs), ==, 2);
  assert_pairs (pairs, 0, 2, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.positions_waiting, ==, 3);
  g_assert_cmpint (counters.position_lag_frames, ==, -3);
  g_assert_cmpfloat (counters.position_lag_ms, ==, 0.0);
}

/* The positions stream runs 3 frames behind the images, 1 ms per frame. */
static void
test_interleaved (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  for (guint i = 0; i < 20; i++)
    {
      add_image (pairing, i, i * MS);
      if (i >= 3)
        add_position (pairing, i - 3, i * MS);
      counters = ptl_pairing_counters (pairing);
      g_assert_cmpint (counters.position_lag_frames, ==, MIN (i + 1, 3));
      g_assert_cmpuint (counters.images_waiting, ==, MIN (i + 1, 3));
    }
  g_assert_cmpuint (ptl_pairing_take (pairing, 20 * MS, pairs), ==, 17);
  assert_pairs (pairs, 0, 17, 0);
  g_assert_cmpfloat (ptl_pairing_counters (pairing).position_lag_ms, ==, 3.0);
}

/* Pairs completed in any order leave sorted by image id within a take. */
static void
test_take_sorted (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  const guint order[] = { 3, 0, 4, 1, 2 };

  for (guint i = 0; i < 5; i++)
    add_image (pairing, i, 0);
  for (guint i = 0; i < 5; i++)
    add_position (pairing, order[i], MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, MS, pairs), ==, 5);
  assert_pairs (pairs, 0, 5, 0);
  g_assert_cmpuint (ptl_pairing_counters (pairing).out_of_order, ==, 3);
  g_assert_cmpuint (ptl_pairing_take (pairing, MS, pairs), ==, 0);
}

static void
test_duplicates (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  /* While waiting: the newcomer is dropped, its payload released at once. */
  add_image (pairing, 0, 0);
  ptl_pairing_add_image (pairing, 0, GUINT_TO_POINTER (10 + 1), payload_destroy, 0);
  g_assert_cmpuint (destroyed[10], ==, 1);
  g_assert_cmpuint (destroyed[0], ==, 0);
  add_position (pairing, 1, 0);
  add_position (pairing, 1, 0);

  /* After pairing, before and after the take. */
  add_position (pairing, 0, 0);
  add_image (pairing, 1, 0);
  ptl_pairing_add_image (pairing, 1, GUINT_TO_POINTER (11 + 1), payload_destroy, 0);
  g_assert_cmpuint (ptl_pairing_take (pairing, 0, pairs), ==, 2);
  ptl_pairing_add_image (pairing, 0, GUINT_TO_POINTER (12 + 1), payload_destroy, 0);
  add_position (pairing, 0, 0);
  assert_pairs (pairs, 0, 2, 0);
  assert_destroyed (10, 3, 1);
  assert_destroyed (0, 2, 0);

  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.duplicate_images, ==, 3);
  g_assert_cmpuint (counters.duplicate_positions, ==, 2);
  g_assert_cmpuint (counters.paired, ==, 2);
  g_assert_cmpuint (counters.images_waiting + counters.positions_waiting, ==, 0);
  g_assert_cmpuint (counters.out_of_order, ==, 1);
}

static void
test_out_of_order (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();

  add_image (pairing, 0, 0);
  add_image (pairing, 2, 0);
  add_image (pairing, 1, 0);
  g_assert_cmpuint (ptl_pairing_counters (pairing).out_of_order, ==, 1);
  add_position (pairing, 5, 0);
  add_position (pairing, 3, 0);
  add_position (pairing, 4, 0);
  add_position (pairing, 1, 0);
  g_assert_cmpuint (ptl_pairing_counters (pairing).out_of_order, ==, 4);
  g_assert_cmpuint (ptl_pairing_take (pairing, 0, pairs), ==, 1);
  assert_pairs (pairs, 1, 1, 0);
}

static void
test_timeouts (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (10 * MS);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  add_image (pairing, 0, 0);
  add_image (pairing, 1, 5 * MS);
  add_position (pairing, 7, 0);
  add_position (pairing, 8, 5 * MS);
  /* Exactly the timeout is not longer than it. */
  g_assert_cmpuint (ptl_pairing_take (pairing, 10 * MS, pairs), ==, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.dropped_images + counters.dropped_positions, ==, 0);

  g_assert_cmpuint (ptl_pairing_take (pairing, 10 * MS + 1, pairs), ==, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.dropped_images, ==, 1);
  g_assert_cmpuint (counters.dropped_positions, ==, 1);
  g_assert_cmpuint (counters.images_waiting, ==, 1);
  g_assert_cmpuint (counters.positions_waiting, ==, 1);
  g_assert_cmpuint (destroyed[0], ==, 1);

  /* An add sees the timeout too: image 1 is gone before its position comes. */
  add_position (pairing, 1, 16 * MS);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.dropped_images, ==, 2);
  g_assert_cmpuint (counters.dropped_positions, ==, 2);
  g_assert_cmpuint (counters.paired, ==, 0);
  g_assert_cmpuint (counters.positions_waiting, ==, 1);
  assert_destroyed (0, 2, 1);

  add_image (pairing, 1, 26 * MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, 26 * MS, pairs), ==, 1);
  assert_pairs (pairs, 1, 1, 0);
  g_assert_cmpfloat (ptl_pairing_counters (pairing).position_lag_ms, ==, 0.0);
  assert_destroyed (0, 2, 1);

  /* And the other way round: position 2 is gone before its image comes. */
  add_position (pairing, 2, 26 * MS);
  add_image (pairing, 2, 36 * MS + 1);
  g_assert_cmpuint (ptl_pairing_take (pairing, 36 * MS + 1, pairs), ==, 0);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.dropped_positions, ==, 3);
  g_assert_cmpuint (counters.images_waiting, ==, 1);
  g_assert_cmpuint (counters.paired, ==, 1);
}

static void
test_bound (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();
  PtlPairingCounters counters;

  ptl_pairing_set_max_waiting (pairing, 3);
  for (guint i = 0; i < 5; i++)
    add_image (pairing, i, i);
  for (guint i = 10; i < 16; i++)
    add_position (pairing, i, i);
  counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.images_waiting, ==, 3);
  g_assert_cmpuint (counters.positions_waiting, ==, 3);
  g_assert_cmpuint (counters.dropped_images, ==, 2);
  g_assert_cmpuint (counters.dropped_positions, ==, 3);
  assert_destroyed (0, 2, 1);
  assert_destroyed (2, 3, 0);

  for (guint i = 0; i < 5; i++)
    add_position (pairing, i, 20);
  g_assert_cmpuint (ptl_pairing_take (pairing, 20, pairs), ==, 3);
  assert_pairs (pairs, 2, 3, 0);
}

static void
test_offset (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();

  ptl_pairing_set_offset (pairing, -1);
  add_position (pairing, 0, 0);
  g_assert_cmpuint (ptl_pairing_counters (pairing).dropped_positions, ==, 1);
  for (guint i = 0; i < 3; i++)
    {
      add_image (pairing, i, 0);
      add_position (pairing, i + 1, 0);
    }
  g_assert_cmpuint (ptl_pairing_take (pairing, 0, pairs), ==, 3);
  assert_pairs (pairs, 0, 3, -1);
  g_clear_pointer (&pairs, g_array_unref);

  g_clear_pointer (&pairing, ptl_pairing_free);
  pairing = pairing_new (0);
  pairs = ptl_pair_array_new ();
  ptl_pairing_set_offset (pairing, 2);
  add_position (pairing, G_MAXUINT64 - 1, 0);
  g_assert_cmpuint (ptl_pairing_counters (pairing).dropped_positions, ==, 1);
  add_position (pairing, 0, 0);
  add_image (pairing, 2, 0);
  g_assert_cmpuint (ptl_pairing_take (pairing, 0, pairs), ==, 1);
  assert_pairs (pairs, 2, 1, 2);
}

/* Every payload is released exactly once: dropped ones by the pairing, taken ones by the
 * pair array unless stolen, waiting and untaken ones when the pairing is freed. */
static void
test_ownership (void)
{
  PtlPairing *pairing = pairing_new (10 * MS);
  GArray *pairs = ptl_pair_array_new ();
  PtlPair *stolen;
  gpointer payload;

  for (guint i = 0; i < 8; i++)
    add_image (pairing, i, 0);
  for (guint i = 0; i < 4; i++)
    add_position (pairing, i, MS);
  g_assert_cmpuint (ptl_pairing_take (pairing, MS, pairs), ==, 4);
  /* Images 4..7 time out; 8 and 9 pair but are never taken; 10 waits. */
  g_assert_cmpuint (ptl_pairing_take (pairing, 20 * MS, pairs), ==, 0);
  assert_destroyed (4, 4, 1);
  add_image (pairing, 8, 20 * MS);
  add_image (pairing, 9, 20 * MS);
  add_image (pairing, 10, 20 * MS);
  add_position (pairing, 8, 20 * MS);
  add_position (pairing, 9, 20 * MS);
  assert_destroyed (0, 4, 0);
  assert_destroyed (8, 3, 0);

  stolen = &g_array_index (pairs, PtlPair, 1);
  payload = g_steal_pointer (&stolen->payload);
  g_array_remove_index (pairs, 0);
  assert_destroyed (0, 1, 1);
  g_array_unref (pairs);
  assert_destroyed (1, 1, 0);
  assert_destroyed (2, 2, 1);
  payload_destroy (payload);

  ptl_pairing_free (pairing);
  assert_destroyed (0, 11, 1);
}

/* At the end of a series, a position whose image was lost and an image whose position
 * never came are dropped and counted; the pairs completed before are untouched. */
static void
test_finish (void)
{
  g_autoptr (PtlPairing) pairing = pairing_new (0);
  g_autoptr (GArray) pairs = ptl_pair_array_new ();

  for (guint i = 0; i < 6; i++)
    if (i != 2)
      add_image (pairing, i, i * MS);
  for (guint i = 0; i < 5; i++)
    add_position (pairing, i, 10 * MS);

  g_assert_cmpuint (ptl_pairing_finish (pairing), ==, 2);
  PtlPairingCounters counters = ptl_pairing_counters (pairing);
  g_assert_cmpuint (counters.paired, ==, 4);
  g_assert_cmpuint (counters.dropped_positions, ==, 1); /* position 2: its image was lost */
  g_assert_cmpuint (counters.dropped_images, ==, 1);    /* image 5: no position came */
  g_assert_cmpuint (counters.images_waiting, ==, 0);
  g_assert_cmpuint (counters.positions_waiting, ==, 0);
  assert_destroyed (5, 1, 1);

  g_assert_cmpuint (ptl_pairing_take (pairing, 20 * MS, pairs), ==, 4);
  const guint ids[] = { 0, 1, 3, 4 };
  for (guint k = 0; k < G_N_ELEMENTS (ids); k++)
    {
      g_assert_cmpuint (g_array_index (pairs, PtlPair, k).image_id, ==, ids[k]);
      g_assert_cmpuint (g_array_index (pairs, PtlPair, k).position_index, ==, ids[k]);
    }
  assert_destroyed (0, 5, 0);
  g_assert_cmpuint (ptl_pairing_finish (pairing), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pairing/in-order", test_in_order);
  g_test_add_func ("/pairing/images-first", test_images_first);
  g_test_add_func ("/pairing/positions-first", test_positions_first);
  g_test_add_func ("/pairing/interleaved", test_interleaved);
  g_test_add_func ("/pairing/take-sorted", test_take_sorted);
  g_test_add_func ("/pairing/duplicates", test_duplicates);
  g_test_add_func ("/pairing/out-of-order", test_out_of_order);
  g_test_add_func ("/pairing/timeouts", test_timeouts);
  g_test_add_func ("/pairing/bound", test_bound);
  g_test_add_func ("/pairing/offset", test_offset);
  g_test_add_func ("/pairing/ownership", test_ownership);
  g_test_add_func ("/pairing/finish", test_finish);

  return g_test_run ();
}
