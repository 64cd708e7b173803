/* The pipeline's queues and latency summaries: order, back-pressure that waits instead of
 * dropping, closing that wakes every waiter, and quantiles against a direct computation. */
#include "config.h"

#include "pipeline/ptl-queue.h"
#include "pipeline/ptl-run-stats.h"

static void
test_fifo (void)
{
  g_autoptr (PtlQueue) queue = ptl_queue_new (0, NULL);

  for (guint i = 1; i <= 100; i++)
    g_assert_cmpint (ptl_queue_push (queue, GUINT_TO_POINTER (i), 10), ==, 0);
  g_assert_cmpuint (ptl_queue_length (queue), ==, 100);
  g_assert_cmpuint (ptl_queue_bytes (queue), ==, 1000);
  for (guint i = 1; i <= 100; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (ptl_queue_pop (queue, 0)), ==, i);
  g_assert_null (ptl_queue_pop (queue, 0));
  g_assert_null (ptl_queue_pop (queue, 1000));
  g_assert_cmpuint (ptl_queue_bytes (queue), ==, 0);
}

typedef struct
{
  PtlQueue *queue;
  guint     n;
  gint64    waited;
} Producer;

static gpointer
produce (gpointer user_data)
{
  Producer *p = user_data;

  for (guint i = 1; i <= p->n; i++)
    p->waited += ptl_queue_push (p->queue, GUINT_TO_POINTER (i), 100);
  return NULL;
}

/* A producer faster than its consumer waits at the byte bound; every item arrives, in
 * order, and the queue never holds more than the bound. */
static void
test_back_pressure (void)
{
  g_autoptr (PtlQueue) queue = ptl_queue_new (500, NULL);
  Producer producer = { queue, 50, 0 };
  GThread *thread = g_thread_new ("producer", produce, &producer);

  for (guint i = 1; i <= producer.n; i++)
    {
      if (i % 10 == 1)
        g_usleep (20000);
      g_assert_cmpuint (ptl_queue_bytes (queue), <=, 500);
      g_assert_cmpuint (GPOINTER_TO_UINT (ptl_queue_pop (queue, G_USEC_PER_SEC * 10)), ==, i);
    }
  g_thread_join (thread);
  g_assert_cmpint (producer.waited, >, 0);
  g_assert_cmpint (ptl_queue_waited_us (queue), ==, producer.waited);
}

/* Items that cost nothing (positions, markers) pass a queue that is at its bound at once:
 * a full recorder queue never holds back the thread that pairs positions. */
static void
test_free_items_never_wait (void)
{
  g_autoptr (PtlQueue) queue = ptl_queue_new (100, NULL);

  g_assert_cmpint (ptl_queue_push (queue, GUINT_TO_POINTER (1), 100), ==, 0);
  for (guint i = 2; i <= 10; i++)
    g_assert_cmpint (ptl_queue_push (queue, GUINT_TO_POINTER (i), 0), ==, 0);
  g_assert_cmpuint (ptl_queue_length (queue), ==, 10);
  g_assert_cmpuint (ptl_queue_bytes (queue), ==, 100);
  g_assert_cmpint (ptl_queue_waited_us (queue), ==, 0);
  for (guint i = 1; i <= 10; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (ptl_queue_pop (queue, 0)), ==, i);
}

static gpointer
wait_for_item (gpointer user_data)
{
  return ptl_queue_pop (user_data, -1);
}

/* Closing wakes a consumer that waits for ever; a closed queue still takes items (nothing
 * received is lost) and hands them out. */
static void
test_close (void)
{
  g_autoptr (PtlQueue) queue = ptl_queue_new (0, g_free);
  GThread *thread = g_thread_new ("consumer", wait_for_item, queue);

  g_usleep (20000);
  ptl_queue_close (queue);
  g_assert_null (g_thread_join (thread));
  g_assert_true (ptl_queue_is_closed (queue));
  ptl_queue_push (queue, g_strdup ("late"), 4);
  g_autofree char *late = ptl_queue_pop (queue, -1);
  g_assert_cmpstr (late, ==, "late");
  g_assert_null (ptl_queue_pop (queue, -1));
  /* Left queued: freed with the queue by its destroy function (checked by ASan). */
  ptl_queue_push (queue, g_strdup ("left"), 4);
}

static void
test_quantiles (void)
{
  g_autoptr (PtlLatencyLog) log = ptl_latency_log_new ();
  PtlLatency empty = ptl_latency_log_summary (log);

  g_assert_cmpfloat (empty.median_ms, ==, 0.0);
  /* 1…200 in a scrambled order: the median (nearest rank) is 100, p99 is 198. */
  for (guint i = 0; i < 200; i++)
    ptl_latency_log_add (log, (double) ((i * 77) % 200 + 1));
  PtlLatency latency = ptl_latency_log_summary (log);
  g_assert_cmpuint (ptl_latency_log_count (log), ==, 200);
  g_assert_cmpfloat (latency.median_ms, ==, 100.0);
  g_assert_cmpfloat (latency.p99_ms, ==, 198.0);

  double one[] = { 7.0 };
  g_assert_cmpfloat (ptl_quantile (one, 1, 0.99), ==, 7.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/queue/fifo", test_fifo);
  g_test_add_func ("/queue/back-pressure", test_back_pressure);
  g_test_add_func ("/queue/free-items-never-wait", test_free_items_never_wait);
  g_test_add_func ("/queue/close", test_close);
  g_test_add_func ("/queue/quantiles", test_quantiles);
  return g_test_run ();
}
