/* What a stream publisher sends, all made before it sends anything, so that the send rate
 * measures the transport and not the encoder: the detector's pixels of every image
 * (simulated, or a recording's), and the start, image and end messages of the chosen
 * protocol and encoding with the series metadata they carry. */
#include "config.h"

#include <math.h>

#include "ptl-stream-publisher-private.h"
#include "sim/ptl-publisher-recording.h"
#include "sim/ptl-sim-raw.h"
#include "sim/ptl-sim.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1.h"
#include "stream/ptl-stream-v2.h"

GPtrArray *
_ptl_stream_publisher_one_part (GBytes *message)
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
  guint m = p->raw ? p->frame_size / PTL_PUBLISHER_RAW_BIN : p->frame_size;
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.n_frames = p->n_frames;
  sim.geometry.frame_size = m;
  sim.seed = p->seed;
  /* Translations in metres (the identity mapping): add_positions
   * (ptl-stream-publisher-send.c) turns them into stage units. */
  if (p->raw)
    {
      /* The default binned pixel, so that the probe's window stays the default. */
      sim.geometry.bin = PTL_PUBLISHER_RAW_BIN;
      sim.geometry.detector_pixel /= PTL_PUBLISHER_RAW_BIN;
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
      raw.bin = PTL_PUBLISHER_RAW_BIN;
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
  series->pixel_size_x = series->pixel_size_y = 11e-6 / (p->raw ? PTL_PUBLISHER_RAW_BIN : 1);
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
      self->start =
        _ptl_stream_publisher_one_part (ptl_stream_v2_encode_start (series, self->channel));
      self->end = _ptl_stream_publisher_one_part (ptl_stream_v2_encode_end (self->series_id));
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
        parts =
          _ptl_stream_publisher_one_part (ptl_stream_v2_encode_image (&image, self->channel));
      else if ((parts = ptl_stream_v1_encode_image (&image, error)) == NULL)
        return FALSE;
      g_ptr_array_add (self->images, parts);
    }
  return TRUE;
}

gboolean
_ptl_stream_publisher_make_messages (PtlStreamPublisher *self,
                                     GError            **error)
{
  return (self->from_file != NULL ? load_recording (self, error) : simulate (self, error))
         && encode (self, error);
}
