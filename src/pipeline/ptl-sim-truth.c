#include "config.h"

#include "ptl-sim-truth.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-pipeline-private.h"

PtlScanData *
ptl_pipeline_simulate_truth (const PtlPipelineConfig *config,
                             PtlArray               **object_truth,
                             PtlArray               **probe_truth,
                             GError                 **error)
{
  PtlSimParams sim;

  /* The publisher's simulation (ptl-source.c sets it up): metres on the stage, and raw
   * frames of twice the pattern's side on pixels half as large. */
  ptl_sim_params_init (&sim);
  sim.n_frames = config->sim.n_frames;
  sim.geometry.frame_size = config->sim.geometry.frame_size;
  sim.seed = config->sim.seed;
  if (config->sim_raw)
    {
      sim.geometry.bin = PTL_SIM_RAW_BIN;
      sim.geometry.detector_pixel /= PTL_SIM_RAW_BIN;
    }
  PtlScanData *scan = ptl_simulate_scan (&sim, object_truth, probe_truth, error);
  ptl_sim_params_clear (&sim);
  return scan;
}

gboolean
ptl_pipeline_compare_with_scan (const PtlSnapshot *snapshot,
                                const PtlScanData *scan,
                                const PtlArray    *object_truth,
                                const PtlArray    *probe_truth,
                                PtlQuality        *quality,
                                GError           **error)
{
  if (snapshot->object == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Nothing reconstructed");
      return FALSE;
    }
  /* Where the truth's first window lies on the reconstruction. */
  double row, col;
  ptl_axis_mapping_to_pixels (&snapshot->mapping, snapshot->pixel_size, scan->translation[0],
                              scan->translation[1], &row, &col);
  gint shift_row = (gint) lround (snapshot->stage_origin_row + row - scan->positions[0]);
  gint shift_col = (gint) lround (snapshot->stage_origin_col + col - scan->positions[1]);

  gsize rows = ptl_array_rows (object_truth), cols = ptl_array_cols (object_truth);
  gsize est_rows = ptl_array_rows (snapshot->object), est_cols = ptl_array_cols (snapshot->object);
  g_autoptr (PtlArray) estimate = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);
  ptl_complex *dst = ptl_array_complex (estimate);
  const ptl_complex *src = ptl_array_complex (snapshot->object);
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        gint64 sr = (gint64) r + shift_row, sc = (gint64) c + shift_col;
        gboolean inside = sr >= 0 && sc >= 0 && sr < (gint64) est_rows && sc < (gint64) est_cols;
        dst[r * cols + c] = inside ? src[sr * est_cols + sc] : 1.0f;
      }
  return ptl_quality_compare_scan (object_truth, estimate, probe_truth, scan->positions,
                                   scan->n_frames, quality, error);
}

gboolean
ptl_pipeline_compare_with_truth (const PtlPipelineConfig *config,
                                 const PtlSnapshot       *snapshot,
                                 PtlQuality              *quality,
                                 GError                 **error)
{
  g_autoptr (PtlArray) object_truth = NULL;
  g_autoptr (PtlArray) probe_truth = NULL;

  if (config->source != PTL_SOURCE_SIMULATION)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Only a simulated run with a reconstruction has a truth to compare with");
      return FALSE;
    }
  g_autoptr (PtlScanData) scan = ptl_pipeline_simulate_truth (config, &object_truth,
                                                              &probe_truth, error);
  if (scan == NULL)
    return FALSE;

  return ptl_pipeline_compare_with_scan (snapshot, scan, object_truth, probe_truth, quality,
                                         error);
}
