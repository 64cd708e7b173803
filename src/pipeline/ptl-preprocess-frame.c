/* One frame's preprocessing: only the crop's rows are decoded. uint16 frames (sCMOS) go
 * through the preprocessor (CPU or GPU); counting detectors' uint32 frames and processed
 * float intensities are cropped and binned here (no dark to subtract). */
#include "config.h"

#include "ptl-preprocess-worker.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-mask-file.h"
#include "ptl-dark-file.h"
#include "stream/ptl-bslz4.h"

/* The raw frame shown to the user is decoded whole at most this often. */
#define RAW_DISPLAY_PERIOD_US G_USEC_PER_SEC
#define PATTERN_DISPLAY_PERIOD_US 30000

gboolean
_ptl_worker_decode_rows (const PtlImageInfo *image,
             guint               element_size,
             guint               cols,
             guint               row_begin,
             guint               row_end,
             gpointer            frame,
             GError            **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (image->data, &size);
  gsize row_bytes = (gsize) cols * element_size;
  guint8 *dst = (guint8 *) frame + row_begin * row_bytes;

  switch (image->encoding)
    {
    case PTL_ENCODING_RAW:
      if (size != row_bytes * image->rows)
        {
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                       "Image %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT " bytes for %u×%u pixels",
                       image->image_id, size, image->rows, image->cols);
          return FALSE;
        }
      memcpy (dst, data + row_begin * row_bytes, (row_end - row_begin) * row_bytes);
      return TRUE;
    case PTL_ENCODING_LZ4:
      return ptl_lz4_decode (data, size, frame, row_bytes * image->rows, error);
    case PTL_ENCODING_BSLZ4:
      return ptl_bslz4_decode_rows (data, size, element_size, cols, row_begin, row_end, dst,
                                    error);
    }
  g_assert_not_reached ();
}

void
_ptl_worker_reset (PtlWorker *w)
{
  g_clear_pointer (&w->preprocessor, ptl_preprocessor_free);
  g_clear_pointer (&w->frame, g_free);
  g_clear_pointer (&w->good, g_free);
  g_ptr_array_set_size (w->centre_frames, 0);
  w->ready = FALSE;
}

static gboolean
resolve_geometry (PtlWorker       *w,
                  PtlGeometry  *geometry,
                  GError      **error)
{
  const PtlPipelineConfig *c = &w->self->config;
  const PtlSeriesInfo *s = w->self->series;
  double energy = c->energy_ev > 0 ? c->energy_ev
                  : s->energy_ev > 0 ? s->energy_ev
                  : s->wavelength > 0 ? ptl_energy_ev_from_wavelength (s->wavelength) : 0.0;

  *geometry = (PtlGeometry) {
    .energy_ev = energy,
    .distance = c->distance > 0 ? c->distance : s->detector_distance,
    .detector_pixel = c->pixel_size > 0 ? c->pixel_size : s->pixel_size_x,
    .frame_size = w->m,
    .bin = w->processed ? 1 : w->params.bin,
  };
  if (geometry->energy_ev <= 0 || geometry->distance <= 0 || geometry->detector_pixel <= 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The stream does not give the %s: set it in the configuration",
                   geometry->energy_ev <= 0 ? "photon energy"
                   : geometry->distance <= 0 ? "detector distance" : "detector pixel size");
      return FALSE;
    }
  return ptl_geometry_validate (geometry, error);
}

static gboolean
good_pixels (PtlWorker  *w,
             GError **error)
{
  PtlPipeline *self = w->self;
  gsize n = (gsize) w->rows * w->cols;
  g_autofree guint8 *file_mask = NULL;

  if (self->config.mask_file != NULL
      && (file_mask = ptl_mask_file_read (self->config.mask_file, w->rows, w->cols, error)) == NULL)
    return FALSE;
  if (self->series->pixel_mask == NULL && file_mask == NULL && self->calibration_mask == NULL)
    return TRUE;
  w->good = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    w->good[i] = (self->series->pixel_mask == NULL || self->series->pixel_mask[i] == 0)
                 && (file_mask == NULL || file_mask[i])
                 && (self->calibration_mask == NULL || self->calibration_mask[i]);
  return TRUE;
}

/* A series starts, or the parameters changed: everything that depends on the frame shape
 * and the parameters is made again, and the engine told the geometry. */
gboolean
_ptl_worker_setup (PtlWorker  *w,
              GError **error)
{
  PtlPipeline *self = w->self;
  const PtlSeriesInfo *s = self->series;
  PtlGeometry geometry;

  _ptl_worker_reset (w);
  w->rows = s->image_rows;
  w->cols = s->image_cols;
  w->element_size = s->element_size;
  w->processed = self->scan_file != NULL && !ptl_scan_file_is_raw (self->scan_file);
  if (w->processed)
    {
      w->m = w->rows;
      w->row0 = w->col0 = 0;
      w->element_size = sizeof (float);
    }
  else
    {
      guint crop = w->params.crop, bin = w->params.bin;
      double row0 = round (w->params.centre_row - crop / 2.0);
      double col0 = round (w->params.centre_col - crop / 2.0);

      if (bin == 0 || crop % bin != 0)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "The bin (%u) must divide the crop (%u)", bin, crop);
          return FALSE;
        }
      if (!w->params.auto_centre
          && !(row0 >= 0 && col0 >= 0 && row0 + crop <= w->rows && col0 + crop <= w->cols))
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "The %u-pixel crop centred on (%g, %g) does not fit the %u×%u frame", crop,
                       w->params.centre_row, w->params.centre_col, w->rows, w->cols);
          return FALSE;
        }
      if (w->element_size != 2 && w->element_size != 4)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "Frames of %u-byte pixels cannot be preprocessed", w->element_size);
          return FALSE;
        }
      if (w->element_size == 4 && w->params.auto_centre)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "The automatic centre needs 16-bit frames; set the centre");
          return FALSE;
        }
      w->m = crop / bin;
      w->row0 = (guint) MAX (row0, 0);
      w->col0 = (guint) MAX (col0, 0);
      if (!good_pixels (w, error))
        return FALSE;
      if (w->element_size == 2)
        {
          g_autoptr (PtlArray) file_dark = NULL;
          if (self->config.dark_file != NULL
              && (file_dark = ptl_dark_file_read (self->config.dark_file, w->rows, w->cols,
                                                  error)) == NULL)
            return FALSE;
          PtlDetectorCalibration calibration = {
            w->rows, w->cols, file_dark != NULL ? file_dark : self->calibration_dark, NULL,
            w->good
          };
          w->preprocessor = ptl_preprocessor_new_on_gpu (&w->params, &calibration,
                                                         self->config.preprocess_device,
                                                         self->config.preprocess_gpu, 1, error);
          if (w->preprocessor == NULL)
            return FALSE;
          g_mutex_lock (&self->lock);
          g_free (self->preprocess_device);
          self->preprocess_device = g_strdup (ptl_preprocessor_device_description (w->preprocessor));
          g_mutex_unlock (&self->lock);
        }
    }
  if (!resolve_geometry (w, &geometry, error))
    return FALSE;
  w->frame = g_malloc0 ((gsize) w->rows * w->cols * w->element_size);

  PtlItem *start = ptl_item_new (PTL_ITEM_START);
  start->geometry = geometry;
  ptl_queue_push (self->engine_queue, start, 0);
  g_mutex_lock (&self->lock);
  self->crop_centre_row = w->params.centre_row;
  self->crop_centre_col = w->params.centre_col;
  self->crop = w->processed ? 0 : w->params.crop;
  if (self->preprocess_device == NULL)
    self->preprocess_device = g_strdup (w->processed ? "none (processed intensities)"
                                                     : "CPU (crop and bin)");
  g_mutex_unlock (&self->lock);
  w->ready = TRUE;
  return TRUE;
}

/* Crop and bin of uint32 counts or float intensities: a bin holding a bad, saturated or
 * (uint32) overflow-marked pixel is masked. */
static void
crop_and_bin (PtlWorker *w,
              float  *pattern,
              guint8 *mask)
{
  guint bin = w->processed ? 1 : w->params.bin, m = w->m;
  double scale = w->processed ? 1.0 : 1.0 / w->params.adu_per_photon;
  guint saturation = w->processed ? 0 : w->params.saturation;

  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      {
        double sum = 0.0;
        gboolean good = TRUE;
        for (guint i = 0; i < bin; i++)
          for (guint j = 0; j < bin; j++)
            {
              gsize k = (gsize) (w->row0 + r * bin + i) * w->cols + w->col0 + c * bin + j;
              double v;
              if (w->processed)
                v = ((const float *) w->frame)[k];
              else
                {
                  guint32 u = GUINT32_FROM_LE (((const guint32 *) w->frame)[k]);
                  good = good && u != G_MAXUINT32 && (saturation == 0 || u < saturation);
                  v = u;
                }
              good = good && isfinite (v) && (w->good == NULL || w->good[k]);
              sum += v;
            }
        pattern[r * m + c] = good ? (float) (sum * scale) : 0.0f;
        mask[r * m + c] = good;
      }
}

static void
show_raw (PtlWorker            *w,
          const PtlImageInfo *image)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GError) error = NULL;

  if (w->processed || now - w->last_raw_us < RAW_DISPLAY_PERIOD_US)
    return;
  w->last_raw_us = now;
  g_autofree gpointer full = g_malloc ((gsize) w->rows * w->cols * w->element_size);
  if (!_ptl_worker_decode_rows (image, w->element_size, w->cols, 0, w->rows, full, &error))
    return;
  g_autoptr (PtlArray) raw = ptl_array_new_2d (PTL_DTYPE_FLOAT, w->rows, w->cols);
  float *dst = ptl_array_float (raw);
  for (gsize i = 0; i < raw->n; i++)
    dst[i] = w->element_size == 2 ? GUINT16_FROM_LE (((guint16 *) full)[i])
                                  : GUINT32_FROM_LE (((guint32 *) full)[i]);
  g_mutex_lock (&w->self->lock);
  g_clear_pointer (&w->self->latest_raw, ptl_array_free);
  w->self->latest_raw = g_steal_pointer (&raw);
  g_mutex_unlock (&w->self->lock);
}

static void
show_pattern (PtlWorker      *w,
              const float *pattern)
{
  gint64 now = g_get_monotonic_time ();

  if (now - w->last_pattern_us < PATTERN_DISPLAY_PERIOD_US)
    return;
  w->last_pattern_us = now;
  PtlArray *copy = ptl_array_new_2d (PTL_DTYPE_FLOAT, w->m, w->m);
  memcpy (copy->data, pattern, ptl_array_bytes (copy));
  g_mutex_lock (&w->self->lock);
  g_clear_pointer (&w->self->latest_pattern, ptl_array_free);
  w->self->latest_pattern = copy;
  g_mutex_unlock (&w->self->lock);
}

PtlItem *
_ptl_worker_preprocess (PtlWorker   *w,
                        PtlFrameRef *frame,
                        GError     **error)
{
  PtlPipeline *self = w->self;
  const PtlImageInfo *image = frame->image;
  gsize mm = (gsize) w->m * w->m;
  g_autoptr (GError) local = NULL;

  if (image->rows != w->rows || image->cols != w->cols)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Image %" G_GUINT64_FORMAT " is %u×%u in a %u×%u series", image->image_id,
                   image->rows, image->cols, w->rows, w->cols);
      return NULL;
    }
  guint crop = w->processed ? w->m : w->params.crop;
  guint row_end = MIN (w->row0 + crop, w->rows);
  PtlItem *item = ptl_item_new (PTL_ITEM_PATTERN);
  item->pattern = g_new (float, mm);
  item->mask = g_new (guint8, mm);

  /* A frame that cannot be decoded is counted and left out; the series goes on. */
  gboolean ok = _ptl_worker_decode_rows (image, w->element_size, w->cols, w->row0, row_end, w->frame, &local);
  if (ok && w->element_size == 2 && !w->processed)
    ok = ptl_preprocessor_process (w->preprocessor, w->frame, 1, item->pattern, item->mask, &local);
  else if (ok)
    crop_and_bin (w, item->pattern, item->mask);
  if (!ok)
    {
      g_message ("Image %" G_GUINT64_FORMAT " left out: %s", image->image_id, local->message);
      g_mutex_lock (&self->stats_lock);
      self->counters.stream_errors++;
      self->ingest_errors++;
      g_mutex_unlock (&self->stats_lock);
      ptl_item_free (item);
      return NULL;
    }

  item->image_id = image->image_id;
  item->frame = ptl_frame_ref_acquire (frame);
  item->generation = w->generation;
  item->received_us = frame->received_us;
  item->preprocessed_us = g_get_monotonic_time ();
  show_pattern (w, item->pattern);
  show_raw (w, image);
  item->first = !frame->timed;
  if (item->first)
    {
      frame->timed = TRUE;
      ptl_latency_log_add (self->receive_to_preprocessed,
                           (item->preprocessed_us - item->received_us) / 1000.0);
      g_mutex_lock (&self->stats_lock);
      self->counters.preprocessed++;
      g_mutex_unlock (&self->stats_lock);
    }
  return item;
}
