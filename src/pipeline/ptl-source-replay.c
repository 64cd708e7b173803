/* Replay of a recording (ours: raw detector frames as they came, re-preprocessed; or
 * another program's CXI file of processed intensities), optionally at the original rate.
 * Raw frames go through the same ingest as a live stream, so a replay reconstructs
 * exactly what the live run would have. */
#include "config.h"

#include "ptl-pipeline-private.h"

#include <string.h>

#include "core/ptl-error.h"

/* Processed intensities travel as a raw float image of the series' shape. */
static PtlImageInfo *
read_processed (PtlScanFile *file,
                guint        k,
                const char  *series_id,
                guint        m,
                GError     **error)
{
  float *intensity = g_new (float, (gsize) m * m);

  if (!ptl_scan_file_read_intensity (file, k, intensity, error))
    {
      g_free (intensity);
      return NULL;
    }
  PtlImageInfo *image = g_new0 (PtlImageInfo, 1);
  image->series_id = g_strdup (series_id);
  image->image_id = k;
  image->rows = image->cols = m;
  image->element_size = sizeof (float);
  image->encoding = PTL_ENCODING_RAW;
  image->data = g_bytes_new_take (intensity, (gsize) m * m * sizeof (float));
  return image;
}

static gpointer
replay_thread (gpointer user_data)
{
  PtlPipeline *self = user_data;
  PtlScanFile *file = self->scan_file;
  guint n = ptl_scan_file_n_frames (file);
  gboolean raw = ptl_scan_file_is_raw (file);
  PtlSeriesInfo *series = _ptl_series_info_copy (ptl_scan_file_series (file));
  if (series->series_id == NULL)
    series->series_id = g_strdup ("replay");
  g_autofree char *series_id = g_strdup (series->series_id);
  double period = 0.0;
  g_autoptr (GError) error = NULL;

  if (self->config.replay_rate > 0.0)
    {
      double frame_time = ptl_scan_file_frame_time (file);
      /* Without a frame time in the file, "the original rate" is a guess: 10 Hz. */
      period = (frame_time > 0.0 ? frame_time : 0.1) / self->config.replay_rate;
    }

  _ptl_ingest_detector_event (ptl_stream_event_new_start (series), self);
  gint64 start = g_get_monotonic_time ();
  for (guint k = 0; k < n && !_ptl_pipeline_is_stopping (self); k++)
    {
      PtlImageInfo *image = NULL;
      double x, y;

      if (period > 0.0)
        {
          gint64 due = start + (gint64) (k * period * G_USEC_PER_SEC);
          while (g_get_monotonic_time () < due && !_ptl_pipeline_is_stopping (self))
            g_usleep (MIN (due - g_get_monotonic_time (), 20000));
        }
      if (raw ? !ptl_scan_file_read_image (file, k, &image, &error)
              : (image = read_processed (file, k, series_id, series->image_rows, &error)) == NULL)
        {
          _ptl_pipeline_fail (self, error->message);
          return NULL;
        }
      g_free (image->series_id);
      image->series_id = g_strdup (series_id);
      guint64 image_id = image->image_id;
      _ptl_ingest_detector_event (ptl_stream_event_new_image (image), self);
      if (ptl_scan_file_translation (file, k, &x, &y))
        {
          PtlStagePosition position = { image_id, x, y, g_get_monotonic_time () };
          _ptl_ingest_positions (PTL_PANDA_MSG_DATA, &position, 1, self);
        }
    }
  _ptl_ingest_detector_event (ptl_stream_event_new_end (series_id), self);
  return NULL;
}

gboolean
_ptl_source_replay_prepare (PtlPipeline *self,
                            GError     **error)
{
  self->scan_file = ptl_scan_file_open (self->config.replay_file, error);
  if (self->scan_file == NULL)
    return FALSE;
  if (ptl_scan_file_n_frames (self->scan_file) == 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s holds no frames",
                   self->config.replay_file);
      return FALSE;
    }
  const PtlPreprocessParams *recorded = ptl_scan_file_preprocess (self->scan_file);
  if (self->config.preprocess_from_file && recorded != NULL)
    self->config.preprocess = *recorded;
  return TRUE;
}

gboolean
_ptl_source_replay_start (PtlPipeline *self,
                          GError     **error)
{
  self->replay_thread = g_thread_new ("ptl-replay", replay_thread, self);
  return TRUE;
}
