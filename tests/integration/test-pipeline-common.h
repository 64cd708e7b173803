/* Shared by the pipeline tests: a small simulated configuration, and a run of the
 * pipeline in a main context of its own until it finishes. */
#pragma once

#include "pipeline/ptl-pipeline.h"

typedef struct
{
  PtlSnapshot *final;
  PtlSnapshot *scan_end;
  guint        snapshot_signals;
  guint        finished_signals;
} TestRun;

char   *test_pipeline_tmpdir (void);
/* Removes the files in `dir`, then `dir`. */
void    test_pipeline_rmdir (const char *dir);
void    test_pipeline_config (PtlPipelineConfig *config,
                              guint              n_frames,
                              guint              pattern_size);
/* Runs until "finished" (asserting it comes within timeout_s), then stops. */
void    test_pipeline_run (const PtlPipelineConfig *config,
                           TestRun                 *run,
                           guint                    timeout_s);
void    test_run_clear (TestRun *run);
/* The stage translations the simulator sends, [n][2] metres. */
double *test_pipeline_truth_translations (const PtlPipelineConfig *config);
/* Iterates `context` until `done` or the timeout; FALSE on the timeout. */
gboolean test_pipeline_iterate_until (GMainContext *context,
                                      gboolean     *done,
                                      double        timeout_s);
