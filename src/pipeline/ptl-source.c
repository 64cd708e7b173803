/* The live sources: a detector and a PandA on the network, or the built-in simulator
 * publishing on loopback and read back through exactly the same clients. */
#include "config.h"

#include "ptl-pipeline-private.h"

#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"

/* PandA data messages a network may deliver out of order. */
#define PANDA_REORDER_WINDOW 16
/* Time for the position subscriber to be connected before the first message: a PUB
 * socket drops what it sends while nobody is subscribed. */
#define SIM_WAIT_FOR_PEER_S 0.3

static gboolean
connect_clients (PtlPipeline *self,
                 const char  *detector_endpoint,
                 const char  *positions_endpoint,
                 double       stage_scale,
                 GError     **error)
{
  const PtlPipelineConfig *c = &self->config;
  PtlPandaConfig panda = {
    c->x_name, c->y_name, c->samples_per_frame, stage_scale, PANDA_REORDER_WINDOW
  };
  g_autoptr (GError) cause = NULL;

  self->detector = ptl_detector_client_new (detector_endpoint, c->protocol, c->channel,
                                            _ptl_ingest_detector_event, self, &cause);
  if (self->detector == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Detector stream: %s",
                   cause->message);
      return FALSE;
    }
  self->position_scale = stage_scale;
  self->positions = ptl_position_client_new (positions_endpoint, &panda, _ptl_ingest_positions,
                                             self, &cause);
  if (self->positions == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Position stream: %s",
                   cause->message);
      return FALSE;
    }
  return TRUE;
}

static gpointer
publisher_thread (gpointer user_data)
{
  PtlPipeline *self = user_data;
  PtlPublisherCounters counters = { 0 };
  g_autoptr (GError) error = NULL;

  if (!ptl_stream_publisher_run (self->publisher, self->cancellable, &counters, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _ptl_pipeline_fail (self, error->message);
  return NULL;
}

/* The simulated detector's calibration is known: the same seed draws the same dark
 * offsets and bad pixels as the publisher's detector. */
static gboolean
simulated_calibration (PtlPipeline *self,
                       guint        side,
                       guint        footprint,
                       guint        bin,
                       GError     **error)
{
  PtlRawParams raw;

  ptl_raw_params_init (&raw);
  raw.rows = raw.cols = side;
  raw.centre_row = raw.centre_col = side / 2;
  raw.bin = bin;
  raw.seed = self->config.sim.seed;
  g_autoptr (PtlRawDetector) detector = ptl_raw_detector_new (&raw, error);
  if (detector == NULL)
    return FALSE;
  self->calibration_dark = ptl_array_new_2d (PTL_DTYPE_FLOAT, side, side);
  memcpy (self->calibration_dark->data, ptl_raw_detector_truth_dark (detector),
          ptl_array_bytes (self->calibration_dark));
  self->calibration_mask = g_memdup2 (ptl_raw_detector_truth_mask (detector), (gsize) side * side);

  PtlPreprocessParams *p = &self->config.preprocess;
  p->crop = footprint;
  p->bin = bin;
  p->centre_row = p->centre_col = side / 2;
  p->auto_centre = FALSE;
  p->adu_per_photon = raw.gain;
  p->saturation = raw.saturation;
  return TRUE;
}

/* Makes the publisher and sets the preprocessing to match its detector, before the
 * pipeline's threads start. */
static gboolean
prepare_simulation (PtlPipeline *self,
                    GError     **error)
{
  const PtlPipelineConfig *c = &self->config;
  PtlPublisherParams params;
  guint m = c->sim.geometry.frame_size;

  ptl_publisher_params_init (&params);
  params.detector_endpoint = "tcp://127.0.0.1:*";
  params.positions_endpoint = "tcp://127.0.0.1:*";
  params.protocol = c->protocol == PTL_DETECTOR_PROTOCOL_V1 ? PTL_PUBLISHER_V1 : PTL_PUBLISHER_V2;
  params.raw = c->sim_raw;
  params.n_frames = c->sim.n_frames;
  params.frame_size = c->sim_raw ? PTL_SIM_RAW_BIN * m : m;
  /* Raw frames are larger than the patterns' footprint, as on a real detector, so that the
   * crop box can be moved (dragged in the window) and still fit. */
  params.raw_margin = c->sim_raw ? params.frame_size / PTL_SIM_RAW_MARGIN_DIVISOR : 0;
  params.seed = c->sim.seed;
  params.rate = c->sim_rate;
  params.wait_for_peer = SIM_WAIT_FOR_PEER_S;
  params.samples_per_frame = c->samples_per_frame;
  params.x_name = c->x_name;
  params.y_name = c->y_name;
  /* Metres on the wire: the translations travel unscaled. */
  params.stage_scale = 1.0;
  self->publisher = ptl_stream_publisher_new (&params, error);
  if (self->publisher == NULL)
    return FALSE;
  /* A Stream V2 start message has no detector distance: the simulator's is known. */
  if (self->config.distance == 0.0)
    {
      PtlSimParams defaults;
      ptl_sim_params_init (&defaults);
      self->config.distance = defaults.geometry.distance;
      ptl_sim_params_clear (&defaults);
    }

  if (c->sim_raw)
    {
      if (!simulated_calibration (self, params.frame_size + 2 * params.raw_margin,
                                  params.frame_size, PTL_SIM_RAW_BIN, error))
        return FALSE;
    }
  else
    {
      PtlPreprocessParams *p = &self->config.preprocess;
      p->crop = m;
      p->bin = 1;
      p->centre_row = p->centre_col = m / 2;
      p->auto_centre = FALSE;
      p->adu_per_photon = 1.0;
      p->saturation = 0;
    }
  return TRUE;
}

static gboolean
start_simulation (PtlPipeline *self,
                  GError     **error)
{
  if (!connect_clients (self, ptl_stream_publisher_detector_endpoint (self->publisher),
                        ptl_stream_publisher_positions_endpoint (self->publisher), 1.0, error))
    return FALSE;
  self->cancellable = g_cancellable_new ();
  self->publisher_thread = g_thread_new ("ptl-simulator", publisher_thread, self);
  return TRUE;
}

gboolean
_ptl_source_prepare (PtlPipeline *self,
                     GError     **error)
{
  switch (self->config.source)
    {
    case PTL_SOURCE_STREAM:
      return TRUE;
    case PTL_SOURCE_SIMULATION:
      return prepare_simulation (self, error);
    case PTL_SOURCE_REPLAY:
      return _ptl_source_replay_prepare (self, error);
    }
  g_assert_not_reached ();
}

gboolean
_ptl_source_start (PtlPipeline *self,
                   GError     **error)
{
  switch (self->config.source)
    {
    case PTL_SOURCE_STREAM:
      return connect_clients (self, self->config.detector_endpoint,
                              self->config.positions_endpoint, self->config.stage_scale, error);
    case PTL_SOURCE_SIMULATION:
      return start_simulation (self, error);
    case PTL_SOURCE_REPLAY:
      return _ptl_source_replay_start (self, error);
    }
  g_assert_not_reached ();
}

/* The publisher first (the clients still read, so it is never stuck on a full socket),
 * then the replay, then the clients: no callback runs after this returns. */
void
_ptl_source_stop (PtlPipeline *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->publisher_thread, g_thread_join);
  g_clear_pointer (&self->replay_thread, g_thread_join);
  g_clear_pointer (&self->publisher, ptl_stream_publisher_free);
  g_clear_pointer (&self->detector, ptl_detector_client_free);
  g_clear_pointer (&self->positions, ptl_position_client_free);
}
