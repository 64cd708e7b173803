#include "config.h"

#include "ptl-run-stats.h"

#include <math.h>
#include <stdlib.h>

struct _PtlLatencyLog
{
  GMutex  lock;
  GArray *values; /* double, ms */
};

PtlLatencyLog *
ptl_latency_log_new (void)
{
  PtlLatencyLog *log = g_new0 (PtlLatencyLog, 1);

  g_mutex_init (&log->lock);
  log->values = g_array_new (FALSE, FALSE, sizeof (double));
  return log;
}

void
ptl_latency_log_free (PtlLatencyLog *log)
{
  if (log == NULL)
    return;
  g_array_unref (log->values);
  g_mutex_clear (&log->lock);
  g_free (log);
}

void
ptl_latency_log_add (PtlLatencyLog *log,
                     double         milliseconds)
{
  g_mutex_lock (&log->lock);
  g_array_append_val (log->values, milliseconds);
  g_mutex_unlock (&log->lock);
}

guint
ptl_latency_log_count (PtlLatencyLog *log)
{
  g_mutex_lock (&log->lock);
  guint n = log->values->len;
  g_mutex_unlock (&log->lock);
  return n;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
ptl_quantile (double *values,
              guint   n,
              double  q)
{
  if (n == 0)
    return 0.0;
  qsort (values, n, sizeof (double), compare_doubles);
  /* Nearest rank: the smallest value with at least q·n values at or below it. */
  double rank = ceil (q * n);
  guint index = rank < 1.0 ? 0 : (guint) MIN (rank - 1.0, (double) (n - 1));
  return values[index];
}

PtlLatency
ptl_latency_log_summary (PtlLatencyLog *log)
{
  PtlLatency latency = { 0.0, 0.0 };

  g_mutex_lock (&log->lock);
  guint n = log->values->len;
  g_autofree double *copy = g_memdup2 (log->values->data, n * sizeof (double));
  g_mutex_unlock (&log->lock);
  if (n > 0)
    {
      latency.median_ms = ptl_quantile (copy, n, 0.5);
      latency.p99_ms = ptl_quantile (copy, n, 0.99);
    }
  return latency;
}
