/* The ground truth behind a PTL_SOURCE_SIMULATION run, and the reconstruction judged
 * against it (reference/algorithms.md §6), for tests and benchmarks. */
#pragma once

#include <glib.h>

#include "ptl-pipeline.h"
#include "recon/ptl-quality.h"

G_BEGIN_DECLS

/* The scan the run's publisher simulates (same seed, same geometry), with its truth. */
PtlScanData *ptl_pipeline_simulate_truth (const PtlPipelineConfig *config,
                                          PtlArray               **object_truth,
                                          PtlArray               **probe_truth,
                                          GError                 **error);

/* The snapshot's object against a known truth: `scan` holds the truth's window corners and
 * the stage translations that were streamed (metres). */
gboolean ptl_pipeline_compare_with_scan (const PtlSnapshot *snapshot,
                                         const PtlScanData *scan,
                                         const PtlArray    *object_truth,
                                         const PtlArray    *probe_truth,
                                         PtlQuality        *quality,
                                         GError           **error);

/* Simulates the scan the run's publisher streamed (same seed, same geometry) and compares
 * the snapshot's object with the truth over the well-illuminated region. */
gboolean ptl_pipeline_compare_with_truth (const PtlPipelineConfig *config,
                                          const PtlSnapshot       *snapshot,
                                          PtlQuality              *quality,
                                          GError                 **error);

G_END_DECLS
