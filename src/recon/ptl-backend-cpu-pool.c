/* A persistent pool of worker threads for the CPU backend's batched kernels. A kernel call
 * is short (a batch of frames, tens of µs per frame), so waking a sleeping thread for each
 * one would cost as much as the work: workers spin briefly on a generation counter before
 * they sleep, and the caller runs task 0 itself. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include "ptl-backend-cpu-private.h"

/* How long an idle worker keeps looking for the next call before it sleeps. */
#define SPIN_MICROSECONDS 50

struct _PtlCpuPool
{
  GThread   **threads;
  guint       n_workers;
  GMutex      lock;
  GCond       wake;
  GCond       done;
  gint        generation; /* bumped for every call (atomic) */
  gint        remaining;  /* tasks of the current call not finished (atomic) */
  gboolean    quit;
  PtlCpuTask  fn;
  gpointer    data;
  guint       n_tasks;
};

typedef struct
{
  PtlCpuPool *pool;
  guint       index; /* worker i runs tasks i + 1, i + 1 + workers + 1, … */
} Worker;

static void
finish_task (PtlCpuPool *pool)
{
  if (g_atomic_int_dec_and_test (&pool->remaining))
    {
      g_mutex_lock (&pool->lock);
      g_cond_broadcast (&pool->done);
      g_mutex_unlock (&pool->lock);
    }
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  PtlCpuPool *pool = w->pool;
  gint seen = 0;

  for (;;)
    {
      gint64 spin_until = g_get_monotonic_time () + SPIN_MICROSECONDS;
      /* Yielding while spinning leaves the core to FFTW's threads between kernel calls. */
      while (g_atomic_int_get (&pool->generation) == seen && g_get_monotonic_time () < spin_until)
        g_thread_yield ();
      g_mutex_lock (&pool->lock);
      while (g_atomic_int_get (&pool->generation) == seen && !pool->quit)
        g_cond_wait (&pool->wake, &pool->lock);
      gboolean quit = pool->quit;
      seen = g_atomic_int_get (&pool->generation);
      PtlCpuTask fn = pool->fn;
      gpointer fn_data = pool->data;
      guint n_tasks = pool->n_tasks;
      g_mutex_unlock (&pool->lock);
      if (quit)
        break;
      for (guint t = w->index + 1; t < n_tasks; t += pool->n_workers + 1)
        {
          fn (fn_data, t, n_tasks);
          finish_task (pool);
        }
    }
  g_free (w);
  return NULL;
}

PtlCpuPool *
_ptl_cpu_pool_new (guint threads)
{
  PtlCpuPool *pool = g_new0 (PtlCpuPool, 1);

  g_mutex_init (&pool->lock);
  g_cond_init (&pool->wake);
  g_cond_init (&pool->done);
  pool->n_workers = threads - 1;
  pool->threads = g_new0 (GThread *, pool->n_workers);
  for (guint i = 0; i < pool->n_workers; i++)
    {
      Worker *w = g_new (Worker, 1);
      *w = (Worker) { pool, i };
      pool->threads[i] = g_thread_new ("ptl-cpu", worker_main, w);
    }
  return pool;
}

void
_ptl_cpu_pool_free (PtlCpuPool *pool)
{
  if (pool == NULL)
    return;
  g_mutex_lock (&pool->lock);
  pool->quit = TRUE;
  g_atomic_int_inc (&pool->generation);
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);
  for (guint i = 0; i < pool->n_workers; i++)
    g_thread_join (pool->threads[i]);
  g_free (pool->threads);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->wake);
  g_cond_clear (&pool->done);
  g_free (pool);
}

void
_ptl_cpu_parallel (PtlCpuContext *cpu,
                   guint          n_tasks,
                   PtlCpuTask     fn,
                   gpointer       data)
{
  PtlCpuPool *pool = cpu->pool;

  if (n_tasks <= 1 || pool == NULL)
    {
      for (guint t = 0; t < n_tasks; t++)
        fn (data, t, n_tasks);
      return;
    }

  /* Tasks 1 … n−1 go to the workers in turn; the caller runs every (workers + 1)-th task
   * from 0. One call at a time: the engine thread owns its backend. */
  g_mutex_lock (&pool->lock);
  pool->fn = fn;
  pool->data = data;
  pool->n_tasks = n_tasks;
  g_atomic_int_set (&pool->remaining,
                    (gint) (n_tasks - (n_tasks + pool->n_workers) / (pool->n_workers + 1)));
  g_atomic_int_inc (&pool->generation);
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);

  for (guint t = 0; t < n_tasks; t += pool->n_workers + 1)
    fn (data, t, n_tasks);

  gint64 spin_until = g_get_monotonic_time () + SPIN_MICROSECONDS;
  while (g_atomic_int_get (&pool->remaining) > 0 && g_get_monotonic_time () < spin_until)
    g_thread_yield ();
  g_mutex_lock (&pool->lock);
  while (g_atomic_int_get (&pool->remaining) > 0)
    g_cond_wait (&pool->done, &pool->lock);
  g_mutex_unlock (&pool->lock);
}

guint
_ptl_cpu_tasks (PtlCpuContext *cpu,
                gsize          items)
{
  return (guint) MAX (1, MIN ((gsize) cpu->threads, items));
}

void
_ptl_cpu_range (gsize  n,
                guint  task,
                guint  n_tasks,
                gsize *begin,
                gsize *end)
{
  *begin = n * task / n_tasks;
  *end = n * (task + 1) / n_tasks;
}
