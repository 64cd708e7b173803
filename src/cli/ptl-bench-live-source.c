#include "config.h"

#include "ptl-bench-live-source.h"

#include <hdf5.h>
#include <string.h>

#include "core/ptl-error.h"
#include "sim/ptl-sim-raw.h"
#include "sim/ptl-sim.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-panda.h"
#include "stream/ptl-stream-v2.h"
#include "stream/ptl-zmq.h"

#define X_NAME "INENC1.VAL.Mean"
#define Y_NAME "INENC2.VAL.Mean"
/* PandA samples per data message. */
#define PANDA_CHUNK 5
/* Time for the position subscriber to connect before the first message. */
#define WAIT_FOR_PEER_US 300000

struct _BenchSource
{
  BenchSourceParams params;
  PtlScanData      *scan;
  PtlArray         *object;
  PtlArray         *probe;
  GPtrArray        *images; /* GBytes: the encoded V2 image messages */
  GBytes           *start;
  GBytes           *end;
  PtlZmqSender     *detector;
  PtlZmqSender     *positions;
  char             *dark_file;
  char             *mask_file;
  GThread          *thread;
  GError           *error;
};

static gboolean
write_calibration (BenchSource    *self,
                   PtlRawDetector *detector,
                   GError        **error)
{
  guint side = self->params.side;
  hsize_t dims[] = { side, side };
  gsize n = (gsize) side * side;
  g_autofree guint8 *bad = g_new (guint8, n);
  const guint8 *good = ptl_raw_detector_truth_mask (detector);
  gboolean ok = TRUE;

  for (gsize i = 0; i < n; i++)
    bad[i] = !good[i];
  struct
  {
    const char   *path;
    const char   *name;
    hid_t         type;
    gconstpointer data;
  } files[] = {
    { self->dark_file, "/dark", H5T_NATIVE_FLOAT, ptl_raw_detector_truth_dark (detector) },
    { self->mask_file, "/mask", H5T_NATIVE_UINT8, bad },
  };
  for (guint f = 0; f < G_N_ELEMENTS (files) && ok; f++)
    {
      hid_t file = H5Fcreate (files[f].path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      hid_t space = file >= 0 ? H5Screate_simple (2, dims, NULL) : H5I_INVALID_HID;
      hid_t set = space >= 0 ? H5Dcreate2 (file, files[f].name, files[f].type, space, H5P_DEFAULT,
                                           H5P_DEFAULT, H5P_DEFAULT)
                             : H5I_INVALID_HID;
      ok = set >= 0 && H5Dwrite (set, files[f].type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 files[f].data) >= 0;
      if (set >= 0)
        H5Dclose (set);
      if (space >= 0)
        H5Sclose (space);
      if (file >= 0)
        H5Fclose (file);
      if (!ok)
        g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot write %s", files[f].path);
    }
  return ok;
}

static gboolean
encode (BenchSource    *self,
        PtlRawDetector *detector,
        GError        **error)
{
  const BenchSourceParams *p = &self->params;
  gsize n = (gsize) p->side * p->side, mm = (gsize) p->pattern * p->pattern;
  g_autofree guint16 *frame = g_new (guint16, n);
  const float *intensity = ptl_array_float (self->scan->intensity);
  g_autoptr (PtlSeriesInfo) series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup ("1");
  series->image_rows = series->image_cols = p->side;
  series->element_size = sizeof (guint16);
  series->number_of_images = p->n_frames;
  series->pixel_size_x = series->pixel_size_y = self->scan->geometry.detector_pixel;
  series->energy_ev = self->scan->geometry.energy_ev;
  series->wavelength = ptl_wavelength_from_energy_ev (series->energy_ev);
  series->detector_distance = self->scan->geometry.distance;
  series->count_time = series->frame_time = 1.0 / p->rate;
  series->saturation_value = G_MAXUINT16;
  self->start = ptl_stream_v2_encode_start (series, NULL);
  self->end = ptl_stream_v2_encode_end ("1");
  for (guint k = 0; k < p->n_frames; k++)
    {
      if (!ptl_raw_detector_expose (detector, intensity + k * mm, p->pattern, frame, error))
        return FALSE;
      for (gsize i = 0; i < n; i++)
        frame[i] = GUINT16_TO_LE (frame[i]);
      g_autoptr (GBytes) data = ptl_bslz4_encode (frame, n, sizeof (guint16), 0, error);
      if (data == NULL)
        return FALSE;
      PtlImageInfo image = {
        .series_id = (char *) "1",
        .image_id = k,
        .rows = p->side,
        .cols = p->side,
        .element_size = sizeof (guint16),
        .encoding = PTL_ENCODING_BSLZ4,
        .data = data,
      };
      g_ptr_array_add (self->images, ptl_stream_v2_encode_image (&image, NULL));
    }
  return TRUE;
}

BenchSource *
bench_source_new (const BenchSourceParams *params,
                  const char              *dir,
                  GError                 **error)
{
  g_autoptr (BenchSource) self = g_new0 (BenchSource, 1);
  PtlSimParams sim;
  PtlRawParams raw;

  self->params = *params;
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->dark_file = g_build_filename (dir, "dark.h5", NULL);
  self->mask_file = g_build_filename (dir, "mask.h5", NULL);

  /* The pattern pixel is the default one, split into bin×bin detector pixels. */
  ptl_sim_params_init (&sim);
  sim.n_frames = params->n_frames;
  sim.geometry.frame_size = params->pattern;
  sim.geometry.bin = params->bin;
  sim.geometry.detector_pixel /= params->bin;
  sim.photons = params->photons;
  sim.seed = params->seed;
  self->scan = ptl_simulate_scan (&sim, &self->object, &self->probe, error);
  ptl_sim_params_clear (&sim);
  if (self->scan == NULL)
    return NULL;

  ptl_raw_params_init (&raw);
  raw.rows = raw.cols = params->side;
  raw.centre_row = raw.centre_col = params->side / 2;
  raw.bin = params->bin;
  raw.gain = params->gain;
  raw.seed = params->seed;
  g_autoptr (PtlRawDetector) detector = ptl_raw_detector_new (&raw, error);
  if (detector == NULL || !write_calibration (self, detector, error) || !encode (self, detector, error))
    return NULL;

  self->detector = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUSH, TRUE, error);
  if (self->detector == NULL)
    return NULL;
  self->positions = ptl_zmq_sender_new ("tcp://127.0.0.1:*", PTL_ZMQ_PUB, TRUE, error);
  if (self->positions == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

static gboolean
send_one (PtlZmqSender *sender,
          GBytes       *message,
          GError      **error)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_ptr_array_add (parts, g_bytes_ref (message));
  return ptl_zmq_sender_send (sender, parts, error);
}

static gboolean
send_panda (BenchSource *self,
            GPtrArray   *messages,
            GError     **error)
{
  for (guint i = 0; i < messages->len; i++)
    {
      char *text = g_ptr_array_index (messages, i);
      g_autoptr (GBytes) message = g_bytes_new (text, strlen (text));
      if (!send_one (self->positions, message, error))
        return FALSE;
    }
  g_ptr_array_set_size (messages, 0);
  return TRUE;
}

static gpointer
send_series (gpointer user_data)
{
  BenchSource *self = user_data;
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new (X_NAME, Y_NAME, PANDA_CHUNK, 0);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  GError **error = &self->error;

  g_usleep (WAIT_FOR_PEER_US);
  ptl_panda_encoder_start (encoder, NULL, messages);
  if (!send_panda (self, messages, error) || !send_one (self->detector, self->start, error))
    return NULL;
  gint64 t0 = g_get_monotonic_time ();
  for (guint k = 0; k < self->params.n_frames; k++)
    {
      gint64 due = t0 + (gint64) (k / self->params.rate * G_USEC_PER_SEC);
      gint64 now = g_get_monotonic_time ();
      if (due > now)
        g_usleep (due - now);
      if (!send_one (self->detector, g_ptr_array_index (self->images, k), error))
        return NULL;
      ptl_panda_encoder_add (encoder, self->scan->translation[2 * k],
                             self->scan->translation[2 * k + 1], messages);
      if (!send_panda (self, messages, error))
        return NULL;
    }
  ptl_panda_encoder_stop (encoder, messages);
  if (send_panda (self, messages, error))
    send_one (self->detector, self->end, error);
  return NULL;
}

void
bench_source_start (BenchSource *self)
{
  self->thread = g_thread_new ("bench-detector", send_series, self);
}

gboolean
bench_source_join (BenchSource *self,
                   GError     **error)
{
  g_clear_pointer (&self->thread, g_thread_join);
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return FALSE;
    }
  return TRUE;
}

void
bench_source_free (BenchSource *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->thread, g_thread_join);
  g_clear_pointer (&self->detector, ptl_zmq_sender_free);
  g_clear_pointer (&self->positions, ptl_zmq_sender_free);
  g_clear_pointer (&self->scan, ptl_scan_data_free);
  g_clear_pointer (&self->object, ptl_array_free);
  g_clear_pointer (&self->probe, ptl_array_free);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_clear_pointer (&self->start, g_bytes_unref);
  g_clear_pointer (&self->end, g_bytes_unref);
  g_clear_error (&self->error);
  g_free (self->dark_file);
  g_free (self->mask_file);
  g_free (self);
}

const char *
bench_source_detector_endpoint (BenchSource *self)
{
  return ptl_zmq_sender_endpoint (self->detector);
}

const char *
bench_source_positions_endpoint (BenchSource *self)
{
  return ptl_zmq_sender_endpoint (self->positions);
}

const char *
bench_source_dark_file (BenchSource *self)
{
  return self->dark_file;
}

const char *
bench_source_mask_file (BenchSource *self)
{
  return self->mask_file;
}

const PtlScanData *
bench_source_truth (BenchSource     *self,
                    const PtlArray **object,
                    const PtlArray **probe)
{
  *object = self->object;
  *probe = self->probe;
  return self->scan;
}
