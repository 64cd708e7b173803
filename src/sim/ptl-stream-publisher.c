#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-publisher-recording.h"
#include "sim/ptl-sim-raw.h"
#include "sim/ptl-sim.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-panda.h"
#include "stream/ptl-stream-v1.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

/* Raw frames: each pattern pixel spread over bin×bin detector pixels. */
#define RAW_BIN 2
/* Past this a detector would be larger than any made (the raw detector refuses them). */
#define MAX_RAW_MARGIN 4096

struct _PtlStreamPublisher
{
  PtlPublisherParams params;  /* strings owned below */
  char              *channel;
  char              *series_id;
  char              *x_name;
  char              *y_name;
  char              *from_file;
  PtlSeriesInfo     *file_series; /* the recording's metadata, or NULL */
  guint              rows;
  guint              cols;
  guint              element_size;
  GPtrArray         *pixels;   /* GBytes per image */
  double            *translation; /* [n][2] metres */
  GPtrArray         *start;    /* parts of each message, GBytes */
  GPtrArray         *images;   /* GPtrArray of parts per image */
  GPtrArray         *end;
  PtlZmqSender      *detector;
  PtlZmqSender      *positions;
  char              *detector_endpoint;
};

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

static GPtrArray *
one_part (GBytes *message)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (parts, message);
  return parts;
}

/* The detector's pixels of every image: photon counts of the patterns, or raw sCMOS
 * frames exposed from them. */
static gboolean
simulate (PtlStreamPublisher *self,
          GError            **error)
{
  const PtlPublisherParams *p = &self->params;
  guint m = p->raw ? p->frame_size / RAW_BIN : p->frame_size;
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.n_frames = p->n_frames;
  sim.geometry.frame_size = m;
  sim.seed = p->seed;
  /* Translations in metres (the identity mapping): add_positions turns them into stage
   * units. */
  if (p->raw)
    {
      /* The default binned pixel, so that the probe's window stays the default. */
      sim.geometry.bin = RAW_BIN;
      sim.geometry.detector_pixel /= RAW_BIN;
    }
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, NULL, error);
  ptl_sim_params_clear (&sim);
  if (scan == NULL)
    return FALSE;

  self->translation = g_memdup2 (scan->translation, sizeof (double) * 2 * p->n_frames);
  guint side = p->raw ? p->frame_size + 2 * p->raw_margin : p->frame_size;
  self->rows = self->cols = side;
  self->element_size = p->raw ? sizeof (guint16) : sizeof (guint32);
  const float *intensity = ptl_array_float (scan->intensity);
  gsize pixels = (gsize) side * side;
  g_autoptr (PtlRawDetector) detector = NULL;
  if (p->raw)
    {
      PtlRawParams raw;

      ptl_raw_params_init (&raw);
      /* The pattern lands in the middle of the detector, its margin all round. */
      raw.rows = raw.cols = side;
      raw.centre_row = raw.centre_col = side / 2;
      raw.bin = RAW_BIN;
      raw.seed = p->seed;
      detector = ptl_raw_detector_new (&raw, error);
      if (detector == NULL)
        return FALSE;
    }
  for (guint k = 0; k < p->n_frames; k++)
    {
      const float *pattern = intensity + (gsize) k * m * m;
      if (p->raw)
        {
          guint16 *frame = g_new (guint16, pixels);
          if (!ptl_raw_detector_expose (detector, pattern, m, frame, error))
            {
              g_free (frame);
              return FALSE;
            }
          for (gsize i = 0; i < pixels; i++)
            frame[i] = GUINT16_TO_LE (frame[i]);
          g_ptr_array_add (self->pixels, g_bytes_new_take (frame, pixels * sizeof *frame));
        }
      else
        {
          guint32 *frame = g_new (guint32, pixels);
          for (gsize i = 0; i < pixels; i++)
            frame[i] = GUINT32_TO_LE ((guint32) CLAMP (lrint (pattern[i]), 0, G_MAXUINT32));
          g_ptr_array_add (self->pixels, g_bytes_new_take (frame, pixels * sizeof *frame));
        }
    }
  return TRUE;
}

/* A recorded scan instead of a simulated one: its frames keep their pixels and positions,
 * and the start message carries its detector and beam. */
static gboolean
load_recording (PtlStreamPublisher *self,
                GError            **error)
{
  g_autoptr (PtlPublisherRecording) r = ptl_publisher_recording_read (self->from_file, error);

  if (r == NULL)
    return FALSE;
  if (r->skipped > 0)
    g_message ("%s: %u frames without a position are not published", self->from_file,
               r->skipped);
  self->params.n_frames = r->n_frames;
  self->params.raw = r->element_size == sizeof (guint16);
  self->rows = r->rows;
  self->cols = r->cols;
  self->element_size = r->element_size;
  self->translation = g_steal_pointer (&r->translation);
  g_ptr_array_extend_and_steal (self->pixels, g_steal_pointer (&r->pixels));
  self->file_series = g_steal_pointer (&r->series);
  return TRUE;
}

/* A value the recording knows replaces the simulation's. */
static void
take_known (double *value,
            double  known)
{
  if (known > 0 && isfinite (known))
    *value = known;
}

static GBytes *
compress (PtlStreamPublisher *self,
          GBytes             *pixels,
          GError            **error)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (pixels, &size);

  switch (self->params.encoding)
    {
    case PTL_ENCODING_LZ4:
      return ptl_lz4_encode (data, size, 0, error);
    case PTL_ENCODING_BSLZ4:
      return ptl_bslz4_encode (data, size / self->element_size, self->element_size, 0, error);
    case PTL_ENCODING_RAW:
    default:
      return g_bytes_ref (pixels);
    }
}

static gboolean
encode (PtlStreamPublisher *self,
        GError            **error)
{
  const PtlPublisherParams *p = &self->params;
  /* 1 kHz when unpaced: a frame time a detector could have. */
  double frame_time = p->rate > 0 ? 1.0 / p->rate : 1e-3;
  g_autoptr (PtlSeriesInfo) series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup (self->series_id);
  series->image_rows = self->rows;
  series->image_cols = self->cols;
  series->element_size = self->element_size;
  series->number_of_images = p->n_frames;
  series->pixel_size_x = series->pixel_size_y = 11e-6 / (p->raw ? RAW_BIN : 1);
  series->energy_ev = 1000.0;
  series->wavelength = ptl_wavelength_from_energy_ev (series->energy_ev);
  series->detector_distance = 0.02;
  series->count_time = series->frame_time = frame_time;
  series->beam_center_x = self->cols / 2;
  series->beam_center_y = self->rows / 2;
  series->saturation_value = p->raw ? G_MAXUINT16 : G_MAXUINT32;
  if (self->file_series != NULL)
    {
      const PtlSeriesInfo *f = self->file_series;

      take_known (&series->pixel_size_x, f->pixel_size_x);
      take_known (&series->pixel_size_y, f->pixel_size_y);
      take_known (&series->energy_ev, f->energy_ev);
      series->wavelength = ptl_wavelength_from_energy_ev (series->energy_ev);
      take_known (&series->detector_distance, f->detector_distance);
      take_known (&series->beam_center_x, f->beam_center_x);
      take_known (&series->beam_center_y, f->beam_center_y);
      if (f->saturation_value > 0)
        series->saturation_value = f->saturation_value;
    }
  if (p->protocol == PTL_PUBLISHER_V2)
    {
      self->start = one_part (ptl_stream_v2_encode_start (series, self->channel));
      self->end = one_part (ptl_stream_v2_encode_end (self->series_id));
    }
  else
    {
      self->start = ptl_stream_v1_encode_header (series, PTL_STREAM_V1_DETAIL_BASIC);
      self->end = ptl_stream_v1_encode_end (self->series_id);
    }

  for (guint k = 0; k < p->n_frames; k++)
    {
      guint64 period_ns = (guint64) (frame_time * 1e9);
      PtlImageInfo image = {
        .series_id = self->series_id,
        .image_id = k,
        .rows = self->rows,
        .cols = self->cols,
        .element_size = self->element_size,
        .encoding = p->encoding,
        .start_time_ns = k * period_ns,
        .stop_time_ns = (k + 1) * period_ns,
        .real_time_ns = period_ns,
      };
      g_autoptr (GBytes) data = compress (self, g_ptr_array_index (self->pixels, k), error);
      GPtrArray *parts;

      if (data == NULL)
        return FALSE;
      image.data = data;
      if (p->protocol == PTL_PUBLISHER_V2)
        parts = one_part (ptl_stream_v2_encode_image (&image, self->channel));
      else if ((parts = ptl_stream_v1_encode_image (&image, error)) == NULL)
        return FALSE;
      g_ptr_array_add (self->images, parts);
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
           && (p->frame_size < 16 || (p->raw && p->frame_size % (2 * RAW_BIN) != 0)))
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

  if (!(self->from_file != NULL ? load_recording (self, error) : simulate (self, error))
      || !encode (self, error))
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

/* Sleeps until `deadline` (monotonic µs) in short slices, so that cancelling is prompt. */
static gboolean
wait_until (gint64        deadline,
            GCancellable *cancellable,
            GError      **error)
{
  for (gint64 now = g_get_monotonic_time (); now < deadline; now = g_get_monotonic_time ())
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (deadline - now, 20000));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static guint64
parts_bytes (GPtrArray *parts)
{
  guint64 bytes = 0;

  for (guint i = 0; i < parts->len; i++)
    bytes += g_bytes_get_size (g_ptr_array_index (parts, i));
  return bytes;
}

static gboolean
send_detector (PtlStreamPublisher   *self,
               GPtrArray            *parts,
               PtlPublisherCounters *counters,
               GError              **error)
{
  if (!ptl_zmq_sender_send (self->detector, parts, error))
    return FALSE;
  counters->bytes += parts_bytes (parts);
  return TRUE;
}

/* PandA messages that became ready; without a position stream they are dropped. */
static gboolean
send_panda (PtlStreamPublisher   *self,
            GPtrArray            *messages,
            PtlPublisherCounters *counters,
            GError              **error)
{
  for (guint i = 0; self->positions != NULL && i < messages->len; i++)
    {
      char *text = g_ptr_array_index (messages, i);
      gsize len = strlen (text);
      g_autoptr (GPtrArray) parts = one_part (g_bytes_new_take (g_steal_pointer (&text), len));

      /* The array no longer owns the text: the part does. */
      messages->pdata[i] = NULL;
      if (!ptl_zmq_sender_send (self->positions, parts, error))
        return FALSE;
      counters->bytes += len;
      counters->panda_messages++;
    }
  g_ptr_array_set_size (messages, 0);
  return TRUE;
}

static void
add_positions (PtlStreamPublisher   *self,
               PtlPandaEncoder      *encoder,
               guint                 k,
               GPtrArray            *messages,
               PtlPublisherCounters *counters)
{
  double x = self->translation[2 * k] / self->params.stage_scale;
  double y = self->translation[2 * k + 1] / self->params.stage_scale;

  for (guint s = 0; s < self->params.samples_per_frame; s++)
    ptl_panda_encoder_add (encoder, x, y, messages);
  counters->positions++;
}

/* A detector restart: the socket goes away with what it had queued, then listens again
 * on the same port. The old listener is released by ZMQ's I/O thread, so binding may
 * need a few tries. */
static gboolean
restart_detector (PtlStreamPublisher *self,
                  GError            **error)
{
  g_clear_pointer (&self->detector, ptl_zmq_sender_free);
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr (GError) local = NULL;

      self->detector = ptl_zmq_sender_new (self->detector_endpoint, PTL_ZMQ_PUSH, TRUE, &local);
      if (self->detector != NULL)
        return TRUE;
      if (attempt == 50)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_usleep (20000);
    }
}

gboolean
ptl_stream_publisher_run (PtlStreamPublisher   *self,
                          GCancellable         *cancellable,
                          PtlPublisherCounters *counters,
                          GError              **error)
{
  const PtlPublisherParams *p = &self->params;
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) (p->seed ^ (p->seed >> 32)));
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new (p->x_name, p->y_name,
                                                               p->chunk_size, p->swap_every);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *arm_time = g_date_time_format_iso8601 (now);
  guint next_position = 0;

  *counters = (PtlPublisherCounters) { 0 };
  if (!wait_until (g_get_monotonic_time () + (gint64) (p->wait_for_peer * G_USEC_PER_SEC),
                   cancellable, error))
    return FALSE;

  /* A PandA publishes whether anyone listens; the simulator waits for its subscriber as
   * the detector's PUSH waits for its reader, so that a client started just before or
   * after it still sees the scan's start. */
  while (self->positions != NULL && !ptl_zmq_sender_poll_subscriber (self->positions, 20))
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;

  ptl_panda_encoder_start (encoder, arm_time, messages);
  if (!send_panda (self, messages, counters, error))
    return FALSE;
  if (!send_detector (self, self->start, counters, error))
    return FALSE;

  gint64 t0 = g_get_monotonic_time ();
  for (guint k = 0; k < p->n_frames; k++)
    {
      double due_s = p->rate > 0 ? k / p->rate : 0.0;
      if (p->jitter_ms > 0)
        {
          /* Box–Muller: a Gaussian error of the requested rms. */
          double u = 1.0 - g_rand_double (rand), v = g_rand_double (rand);
          due_s += p->jitter_ms * 1e-3 * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
        }
      if (!wait_until (t0 + (gint64) (due_s * G_USEC_PER_SEC), cancellable, error))
        return FALSE;

      if ((gint64) k != p->drop_frame)
        {
          if (!send_detector (self, g_ptr_array_index (self->images, k), counters, error))
            return FALSE;
          counters->frames++;
        }
      if (k >= p->late_positions)
        add_positions (self, encoder, next_position++, messages, counters);
      if (!send_panda (self, messages, counters, error))
        return FALSE;
      if ((gint64) k == p->restart_at)
        {
          if (!restart_detector (self, error))
            return FALSE;
          counters->restarts++;
        }
    }

  while (next_position < p->n_frames)
    add_positions (self, encoder, next_position++, messages, counters);
  ptl_panda_encoder_stop (encoder, messages);
  if (!send_panda (self, messages, counters, error))
    return FALSE;
  return send_detector (self, self->end, counters, error);
}
