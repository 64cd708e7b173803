/* The result file of a series, written from a snapshot. */
#include "config.h"

#include "ptl-pipeline-private.h"

#include <hdf5.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-result-file.h"

static char *
counters_json (const PtlSnapshot *s)
{
  const PtlPipelineCounters *c = &s->counters;

  return g_strdup_printf (
    "{\"received\": %" G_GUINT64_FORMAT ", \"paired\": %" G_GUINT64_FORMAT
    ", \"recorded\": %" G_GUINT64_FORMAT ", \"not_recorded\": %" G_GUINT64_FORMAT
    ", \"preprocessed\": %" G_GUINT64_FORMAT ", \"reconstructed\": %" G_GUINT64_FORMAT
    ", \"skipped\": %" G_GUINT64_FORMAT ", \"stream_errors\": %" G_GUINT64_FORMAT
    ", \"dropped\": %" G_GUINT64_FORMAT ", \"other_series\": %" G_GUINT64_FORMAT
    ", \"iterations\": %u, \"record_wait_ms\": %.3f}",
    c->received, c->paired, c->recorded, c->not_recorded, c->preprocessed, c->reconstructed,
    c->skipped, c->stream_errors, c->dropped, c->other_series, c->iteration, c->record_wait_ms);
}

static char *
timings_json (const PtlSnapshot *s)
{
  const PtlPipelineTimings *t = &s->timings;

  return g_strdup_printf (
    "{\"receive_to_preprocessed_ms\": {\"median\": %.3f, \"p99\": %.3f}, "
    "\"preprocessed_to_reconstructed_ms\": {\"median\": %.3f, \"p99\": %.3f}, "
    "\"paired_to_reconstructed_ms\": {\"median\": %.3f, \"p99\": %.3f}, "
    "\"receive_to_recorded_ms\": {\"median\": %.3f, \"p99\": %.3f}}",
    t->receive_to_preprocessed.median_ms, t->receive_to_preprocessed.p99_ms,
    t->preprocessed_to_reconstructed.median_ms, t->preprocessed_to_reconstructed.p99_ms,
    t->paired_to_reconstructed.median_ms, t->paired_to_reconstructed.p99_ms,
    t->receive_to_recorded.median_ms, t->receive_to_recorded.p99_ms);
}

static gboolean
append_run_record (const char        *path,
                   const PtlSnapshot *snapshot,
                   GError           **error)
{
  g_autofree char *counters = counters_json (snapshot);
  g_autofree char *timings = timings_json (snapshot);
  g_auto (PtlH5Id) file = H5Fopen (path, H5F_ACC_RDWR, H5P_DEFAULT);
  g_auto (PtlH5Id) app = file >= 0 ? H5Gopen2 (file, "entry_1/ptycholive", H5P_DEFAULT)
                                   : H5I_INVALID_HID;

  if (app < 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "%s: cannot add the run's counters",
                   path);
      return FALSE;
    }
  return ptl_h5_write_string (app, "live_counters", counters, error)
         && ptl_h5_write_string (app, "live_timings", timings, error);
}

gboolean
_ptl_pipeline_write_result (const char        *path,
                            const PtlSnapshot *snapshot,
                            GError           **error)
{
  g_autoptr (PtlResult) result = ptl_result_new ();
  guint n = snapshot->n_positions;

  result->object = ptl_array_copy (snapshot->object);
  result->probe = ptl_array_copy (snapshot->probe);
  result->geometry = snapshot->geometry;
  result->mapping = snapshot->mapping;
  result->pixel_size = snapshot->pixel_size;
  result->n_positions = n;
  result->translation = g_new (double, 2 * (gsize) n);
  /* The corners actually used, back on the stage (metres). */
  for (guint j = 0; j < n; j++)
    ptl_axis_mapping_to_stage (&snapshot->mapping, snapshot->pixel_size,
                               snapshot->positions[2 * j] - snapshot->stage_origin_row,
                               snapshot->positions[2 * j + 1] - snapshot->stage_origin_col,
                               &result->translation[2 * j], &result->translation[2 * j + 1]);
  result->params = snapshot->params;
  result->n_iterations = snapshot->n_errors;
  result->errors = g_memdup2 (snapshot->errors, snapshot->n_errors * sizeof (double));
  result->backend = g_strdup (snapshot->backend);

  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  return ptl_result_file_write (path, result, error) && append_run_record (path, snapshot, error);
}
