/* Latencies of one pipeline stage, collected from the thread that measures them and
 * summarised (median, 99th percentile) from another. */
#pragma once

#include <glib.h>

#include "ptl-pipeline.h"

G_BEGIN_DECLS

typedef struct _PtlLatencyLog PtlLatencyLog;

PtlLatencyLog *ptl_latency_log_new (void);
void           ptl_latency_log_free (PtlLatencyLog *log);
/* Thread-safe. */
void           ptl_latency_log_add (PtlLatencyLog *log,
                                    double         milliseconds);
/* Median and p99 of everything added so far (zeros when nothing was). Thread-safe. */
PtlLatency     ptl_latency_log_summary (PtlLatencyLog *log);
guint          ptl_latency_log_count (PtlLatencyLog *log);

/* The q-quantile (0…1, nearest rank) of n values; sorts `values`. */
double         ptl_quantile (double *values,
                             guint   n,
                             double  q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlLatencyLog, ptl_latency_log_free)

G_END_DECLS
