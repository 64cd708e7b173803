#include "config.h"

#include "ptl-pipeline-private.h"

#include <math.h>

#include "core/ptl-error.h"

void
ptl_pipeline_config_init (PtlPipelineConfig *config)
{
  *config = (PtlPipelineConfig) {
    .source = PTL_SOURCE_SIMULATION,
    .protocol = PTL_DETECTOR_PROTOCOL_V2,
    .x_name = "INENC1.VAL.Mean",
    .y_name = "INENC2.VAL.Mean",
    .samples_per_frame = 1,
    .stage_scale = 1e-6,
    .pairing_timeout_s = 10.0,
    .replay_rate = 0.0,
    .sim_raw = FALSE,
    .sim_rate = 0.0,
    .mapping = PTL_AXIS_MAPPING_IDENTITY,
    .preprocess_device = PTL_PREPROCESS_AUTO,
    .backend = PTL_BACKEND_AUTO,
    .start_after = 20,
    .final_iterations = 50,
    .final_seconds = 0.0,
    .flush_every = 50,
    .preprocess_from_file = TRUE,
    .snapshot_rate = 30.0,
    .converged_change = 1e-3,
  };
  ptl_sim_params_init (&config->sim);
  ptl_preprocess_params_init (&config->preprocess);
  ptl_recon_params_init (&config->recon);
}

const char *
ptl_pipeline_state_to_string (PtlPipelineState state)
{
  switch (state)
    {
    case PTL_PIPELINE_IDLE:
      return "idle";
    case PTL_PIPELINE_WAITING:
      return "waiting";
    case PTL_PIPELINE_ACQUIRING:
      return "acquiring";
    case PTL_PIPELINE_REFINING:
      return "refining";
    case PTL_PIPELINE_FINISHED:
      return "finished";
    case PTL_PIPELINE_FAILED:
      return "failed";
    }
  return "unknown";
}

void
_ptl_pipeline_config_copy (PtlPipelineConfig       *dst,
                           const PtlPipelineConfig *src)
{
  *dst = *src;
  dst->detector_endpoint = g_strdup (src->detector_endpoint);
  dst->channel = g_strdup (src->channel);
  dst->positions_endpoint = g_strdup (src->positions_endpoint);
  dst->x_name = g_strdup (src->x_name);
  dst->y_name = g_strdup (src->y_name);
  dst->replay_file = g_strdup (src->replay_file);
  dst->sim.object_image = g_strdup (src->sim.object_image);
  dst->dark_file = g_strdup (src->dark_file);
  dst->mask_file = g_strdup (src->mask_file);
  dst->record_file = g_strdup (src->record_file);
  dst->result_file = g_strdup (src->result_file);
}

void
_ptl_pipeline_config_clear (PtlPipelineConfig *config)
{
  g_free ((char *) config->detector_endpoint);
  g_free ((char *) config->channel);
  g_free ((char *) config->positions_endpoint);
  g_free ((char *) config->x_name);
  g_free ((char *) config->y_name);
  g_free ((char *) config->replay_file);
  g_free ((char *) config->dark_file);
  g_free ((char *) config->mask_file);
  g_free ((char *) config->record_file);
  g_free ((char *) config->result_file);
  ptl_sim_params_clear (&config->sim);
}

static gboolean
range_error (GError    **error,
             const char *what,
             double      value)
{
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE, "%s out of range (%g)", what,
               value);
  return FALSE;
}

gboolean
_ptl_pipeline_config_validate (const PtlPipelineConfig *config,
                               GError                 **error)
{
  const PtlPipelineConfig *c = config;

  switch (c->source)
    {
    case PTL_SOURCE_STREAM:
      if (c->detector_endpoint == NULL || c->positions_endpoint == NULL)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "A live stream needs a detector endpoint and a position endpoint");
          return FALSE;
        }
      break;
    case PTL_SOURCE_REPLAY:
      if (c->replay_file == NULL)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "A replay needs a recording to read");
          return FALSE;
        }
      if (!(c->replay_rate >= 0.0 && isfinite (c->replay_rate)))
        return range_error (error, "Replay rate", c->replay_rate);
      break;
    case PTL_SOURCE_SIMULATION:
      if (!ptl_sim_params_validate (&c->sim, error))
        return FALSE;
      if (!(c->sim_rate >= 0.0 && isfinite (c->sim_rate)))
        return range_error (error, "Simulation rate", c->sim_rate);
      break;
    default:
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Unknown source %d",
                   (int) c->source);
      return FALSE;
    }
  if (c->samples_per_frame < 1)
    return range_error (error, "Samples per frame", c->samples_per_frame);
  if (!(isfinite (c->stage_scale) && c->stage_scale != 0.0))
    return range_error (error, "Stage scale", c->stage_scale);
  if (!(c->pairing_timeout_s >= 0.0 && c->pairing_timeout_s < 86400.0))
    return range_error (error, "Pairing timeout", c->pairing_timeout_s);
  if (!(c->energy_ev >= 0.0 && isfinite (c->energy_ev)))
    return range_error (error, "Energy", c->energy_ev);
  if (!(c->distance >= 0.0 && isfinite (c->distance)))
    return range_error (error, "Distance", c->distance);
  if (!(c->pixel_size >= 0.0 && isfinite (c->pixel_size)))
    return range_error (error, "Detector pixel size", c->pixel_size);
  if (!ptl_axis_mapping_validate (&c->mapping, error))
    return FALSE;
  if (c->preprocess.bin == 0 || c->preprocess.crop == 0 || c->preprocess.crop % c->preprocess.bin)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The bin (%u) must divide the crop (%u)", c->preprocess.bin, c->preprocess.crop);
      return FALSE;
    }
  if (!ptl_recon_params_validate (&c->recon, error))
    return FALSE;
  if (c->start_after < 1)
    return range_error (error, "Frames before the reconstruction starts", c->start_after);
  if (!(c->final_seconds >= 0.0 && isfinite (c->final_seconds)))
    return range_error (error, "Refinement time", c->final_seconds);
  if (!(c->snapshot_rate > 0.0 && c->snapshot_rate <= 30.0))
    return range_error (error, "Snapshot rate", c->snapshot_rate);
  if (!(c->converged_change >= 0.0 && c->converged_change < 1.0))
    return range_error (error, "Convergence threshold", c->converged_change);
  if (c->flush_every < 1)
    return range_error (error, "Frames between flushes", c->flush_every);
  if (!(c->record_delay_s >= 0.0 && c->record_delay_s <= 10.0))
    return range_error (error, "Delay before each recorded frame", c->record_delay_s);
  if (c->source == PTL_SOURCE_REPLAY && c->record_file != NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "A replay is not recorded again");
      return FALSE;
    }
  return TRUE;
}

PtlSnapshot *
_ptl_snapshot_new (void)
{
  return g_atomic_rc_box_new0 (PtlSnapshot);
}

static void
snapshot_clear (PtlSnapshot *snapshot)
{
  g_free (snapshot->message);
  g_clear_pointer (&snapshot->object, ptl_array_free);
  g_clear_pointer (&snapshot->object_device, ptl_device_image_unref);
  g_clear_pointer (&snapshot->probe, ptl_array_free);
  g_free (snapshot->positions);
  g_free (snapshot->arrival_s);
  g_clear_pointer (&snapshot->pattern, ptl_array_free);
  g_clear_pointer (&snapshot->raw_frame, ptl_array_free);
  g_free (snapshot->errors);
  g_free (snapshot->backend);
  g_free (snapshot->preprocess_device);
  g_free (snapshot->record_message);
}

PtlSeriesInfo *
_ptl_series_info_copy (const PtlSeriesInfo *src)
{
  PtlSeriesInfo *dst = g_new0 (PtlSeriesInfo, 1);

  *dst = *src;
  dst->series_id = g_strdup (src->series_id);
  dst->series_unique_id = g_strdup (src->series_unique_id);
  dst->pixel_mask = src->pixel_mask != NULL
                      ? g_memdup2 (src->pixel_mask, sizeof (guint32) * src->image_rows
                                                      * (gsize) src->image_cols)
                      : NULL;
  dst->user_data = g_strdup (src->user_data);
  dst->raw_header = src->raw_header != NULL ? g_bytes_ref (src->raw_header) : NULL;
  return dst;
}

static PtlArray *
array_copy (const PtlArray *array)
{
  return array != NULL ? ptl_array_copy (array) : NULL;
}

PtlSnapshot *
_ptl_snapshot_copy (const PtlSnapshot *src)
{
  PtlSnapshot *dst = _ptl_snapshot_new ();

  *dst = *src;
  dst->message = g_strdup (src->message);
  dst->object = array_copy (src->object);
  dst->probe = array_copy (src->probe);
  dst->positions = g_memdup2 (src->positions, 2 * sizeof (double) * src->n_positions);
  dst->arrival_s = g_memdup2 (src->arrival_s, sizeof (double) * src->n_positions);
  dst->pattern = array_copy (src->pattern);
  dst->raw_frame = array_copy (src->raw_frame);
  dst->errors = g_memdup2 (src->errors, sizeof (double) * src->n_errors);
  dst->backend = g_strdup (src->backend);
  dst->preprocess_device = g_strdup (src->preprocess_device);
  dst->record_message = g_strdup (src->record_message);
  return dst;
}

PtlSnapshot *
ptl_snapshot_ref (PtlSnapshot *snapshot)
{
  return g_atomic_rc_box_acquire (snapshot);
}

void
ptl_snapshot_unref (PtlSnapshot *snapshot)
{
  g_atomic_rc_box_release_full (snapshot, (GDestroyNotify) snapshot_clear);
}

static void
frame_ref_clear (PtlFrameRef *frame)
{
  g_clear_pointer (&frame->image, ptl_image_info_free);
}

PtlFrameRef *
ptl_frame_ref_new (PtlImageInfo *image,
                   gint64        received_us)
{
  PtlFrameRef *frame = g_atomic_rc_box_new0 (PtlFrameRef);

  frame->image = image;
  frame->received_us = received_us;
  return frame;
}

PtlFrameRef *
ptl_frame_ref_acquire (PtlFrameRef *frame)
{
  return g_atomic_rc_box_acquire (frame);
}

void
ptl_frame_ref_release (PtlFrameRef *frame)
{
  g_atomic_rc_box_release_full (frame, (GDestroyNotify) frame_ref_clear);
}

PtlItem *
ptl_item_new (PtlItemKind kind)
{
  PtlItem *item = g_new0 (PtlItem, 1);

  item->kind = kind;
  return item;
}

void
ptl_item_free (PtlItem *item)
{
  if (item == NULL)
    return;
  g_clear_pointer (&item->frame, ptl_frame_ref_release);
  g_clear_pointer (&item->positions, g_array_unref);
  g_free (item->pattern);
  g_free (item->mask);
  g_free (item);
}
