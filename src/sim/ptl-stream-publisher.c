/* A stream publisher's parameters, and making and freeing it: a new publisher has made
 * every message it will send (ptl-stream-publisher-messages.c) and bound its sockets, and
 * ptl_stream_publisher_run (ptl-stream-publisher-send.c) sends them. */
#include "config.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-stream-publisher-private.h"
#include "stream/ptl-zmq.h"

/* Past this a detector would be larger than any made (the raw detector refuses them). */
#define MAX_RAW_MARGIN 4096

void
ptl_publisher_params_init (PtlPublisherParams *params)
{
  *params = (PtlPublisherParams) {
    .detector_endpoint = "tcp://127.0.0.1:9999",
    .positions_endpoint = NULL,
    .protocol = PTL_PUBLISHER_V2,
    .encoding = PTL_ENCODING_BSLZ4,
    .channel = NULL,
    .raw = FALSE,
    .n_frames = 100,
    .frame_size = 128,
    .seed = 1,
    .series_id = "1",
    .rate = 0.0,
    .wait_for_peer = 0.0,
    .samples_per_frame = 1,
    .chunk_size = 10,
    /* Stages report micrometres. */
    .stage_scale = 1e-6,
    .x_name = "INENC1.VAL.Mean",
    .y_name = "INENC2.VAL.Mean",
    .jitter_ms = 0.0,
    .drop_frame = -1,
    .late_positions = 0,
    .swap_every = 0,
    .restart_at = -1,
  };
}

gboolean
ptl_publisher_protocol_from_string (const char           *text,
                                    PtlPublisherProtocol *protocol,
                                    GError              **error)
{
  if (g_ascii_strcasecmp (text, "v2") == 0)
    *protocol = PTL_PUBLISHER_V2;
  else if (g_ascii_strcasecmp (text, "v1") == 0)
    *protocol = PTL_PUBLISHER_V1;
  else
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown stream protocol “%s” (known: v2, v1)", text);
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_encoding_from_string (const char  *text,
                          PtlEncoding *encoding,
                          GError     **error)
{
  if (g_ascii_strcasecmp (text, "raw") == 0)
    *encoding = PTL_ENCODING_RAW;
  else if (g_ascii_strcasecmp (text, "lz4") == 0)
    *encoding = PTL_ENCODING_LZ4;
  else if (g_ascii_strcasecmp (text, "bslz4") == 0)
    *encoding = PTL_ENCODING_BSLZ4;
  else
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown encoding “%s” (known: raw, lz4, bslz4)", text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate (const PtlPublisherParams *p,
          GError                  **error)
{
  const char *problem = NULL;

  if (p->detector_endpoint == NULL)
    problem = "a detector endpoint is needed";
  else if (p->from_file == NULL && p->n_frames < 1)
    problem = "at least one frame is needed";
  else if (p->from_file == NULL
           && (p->frame_size < 16 || (p->raw && p->frame_size % (2 * PTL_PUBLISHER_RAW_BIN) != 0)))
    problem = "the frame size must be ≥ 16 (raw frames: a multiple of 4)";
  else if (p->raw_margin > MAX_RAW_MARGIN || (p->raw_margin > 0 && !p->raw))
    problem = "the raw margin must be at most 4096 pixels, and only for raw frames";
  else if (!(p->rate >= 0) || !isfinite (p->rate) || !(p->jitter_ms >= 0)
           || !(p->wait_for_peer >= 0))
    problem = "rate, jitter and wait must be finite and ≥ 0";
  else if (p->samples_per_frame < 1 || p->chunk_size < 1)
    problem = "samples per frame and chunk size must be ≥ 1";
  else if (!isfinite (p->stage_scale) || p->stage_scale == 0)
    problem = "the stage scale must be finite and nonzero";
  if (problem == NULL)
    return TRUE;
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE, "Publisher: %s", problem);
  return FALSE;
}

PtlStreamPublisher *
ptl_stream_publisher_new (const PtlPublisherParams *params,
                          GError                  **error)
{
  if (!validate (params, error))
    return NULL;

  g_autoptr (PtlStreamPublisher) self = g_new0 (PtlStreamPublisher, 1);
  self->params = *params;
  self->channel = g_strdup (params->channel);
  self->series_id = g_strdup (params->series_id != NULL ? params->series_id : "1");
  self->x_name = g_strdup (params->x_name);
  self->y_name = g_strdup (params->y_name);
  self->params.channel = self->channel;
  self->params.series_id = self->series_id;
  self->params.x_name = self->x_name;
  self->params.y_name = self->y_name;
  self->from_file = g_strdup (params->from_file);
  self->params.from_file = self->from_file;
  self->params.detector_endpoint = self->params.positions_endpoint = NULL;
  self->pixels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  if (!_ptl_stream_publisher_make_messages (self, error))
    return NULL;
  self->detector = ptl_zmq_sender_new (params->detector_endpoint, PTL_ZMQ_PUSH, TRUE, error);
  if (self->detector == NULL)
    return NULL;
  self->detector_endpoint = g_strdup (ptl_zmq_sender_endpoint (self->detector));
  if (params->positions_endpoint != NULL)
    {
      self->positions = ptl_zmq_sender_new (params->positions_endpoint, PTL_ZMQ_PUB, TRUE, error);
      if (self->positions == NULL)
        return NULL;
    }
  return g_steal_pointer (&self);
}

void
ptl_stream_publisher_free (PtlStreamPublisher *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->detector, ptl_zmq_sender_free);
  g_clear_pointer (&self->positions, ptl_zmq_sender_free);
  g_clear_pointer (&self->pixels, g_ptr_array_unref);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_clear_pointer (&self->start, g_ptr_array_unref);
  g_clear_pointer (&self->end, g_ptr_array_unref);
  g_free (self->translation);
  g_free (self->detector_endpoint);
  g_free (self->channel);
  g_free (self->series_id);
  g_free (self->x_name);
  g_free (self->y_name);
  g_free (self->from_file);
  ptl_series_info_free (self->file_series);
  g_free (self);
}

const char *
ptl_stream_publisher_detector_endpoint (PtlStreamPublisher *self)
{
  return self->detector_endpoint;
}

guint
ptl_stream_publisher_n_frames (PtlStreamPublisher *self)
{
  return self->params.n_frames;
}

const char *
ptl_stream_publisher_positions_endpoint (PtlStreamPublisher *self)
{
  return self->positions != NULL ? ptl_zmq_sender_endpoint (self->positions) : NULL;
}

const void *
ptl_stream_publisher_frame (PtlStreamPublisher *self,
                            guint               k,
                            guint              *rows,
                            guint              *cols,
                            guint              *element_size)
{
  g_return_val_if_fail (k < self->pixels->len, NULL);
  *rows = self->rows;
  *cols = self->cols;
  *element_size = self->element_size;
  return g_bytes_get_data (g_ptr_array_index (self->pixels, k), NULL);
}

const double *
ptl_stream_publisher_translations (PtlStreamPublisher *self)
{
  return self->translation;
}
