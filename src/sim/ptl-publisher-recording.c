#include "config.h"

#include "ptl-publisher-recording.h"

#include <math.h>

#include "core/ptl-error.h"
#include "io/ptl-recording.h"
#include "stream/ptl-bslz4.h"

/* Everything is held in memory to publish at the detector's rate: bounded. */
#define MAX_RECORDING_BYTES ((gsize) 16 << 30)

void
ptl_publisher_recording_free (PtlPublisherRecording *recording)
{
  if (recording == NULL)
    return;
  g_clear_pointer (&recording->pixels, g_ptr_array_unref);
  g_free (recording->translation);
  ptl_series_info_free (recording->series);
  g_free (recording);
}

static PtlSeriesInfo *
copy_series (const PtlSeriesInfo *from)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);

  /* The numbers only: the publisher writes its own start message. */
  series->image_rows = from->image_rows;
  series->image_cols = from->image_cols;
  series->element_size = from->element_size;
  series->pixel_size_x = from->pixel_size_x;
  series->pixel_size_y = from->pixel_size_y;
  series->energy_ev = from->energy_ev;
  series->wavelength = from->wavelength;
  series->detector_distance = from->detector_distance;
  series->count_time = from->count_time;
  series->frame_time = from->frame_time;
  series->beam_center_x = from->beam_center_x;
  series->beam_center_y = from->beam_center_y;
  series->saturation_value = from->saturation_value;
  series->series_id = g_strdup (from->series_id);
  return series;
}

/* A recorded image as little-endian pixels, whatever its encoding. */
static GBytes *
decode_image (const PtlImageInfo *image,
              GError            **error)
{
  gsize size;
  const guint8 *src = g_bytes_get_data (image->data, &size);
  gsize bytes = (gsize) image->rows * image->cols * image->element_size;

  switch (image->encoding)
    {
    case PTL_ENCODING_RAW:
      if (size != bytes)
        {
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                       "image %" G_GUINT64_FORMAT " has %" G_GSIZE_FORMAT " bytes, not %"
                       G_GSIZE_FORMAT, image->image_id, size, bytes);
          return NULL;
        }
      return g_bytes_ref (image->data);
    case PTL_ENCODING_LZ4:
    case PTL_ENCODING_BSLZ4:
      {
        g_autofree guint8 *pixels = g_malloc (bytes);
        gboolean ok = image->encoding == PTL_ENCODING_LZ4
                        ? ptl_lz4_decode (src, size, pixels, bytes, error)
                        : ptl_bslz4_decode (src, size, image->element_size, pixels, bytes, error);
        return ok ? g_bytes_new_take (g_steal_pointer (&pixels), bytes) : NULL;
      }
    default:
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "image %" G_GUINT64_FORMAT " has an encoding the publisher cannot send",
                   image->image_id);
      return NULL;
    }
}

/* Processed intensities (another program's file) are sent as photon counts. */
static GBytes *
read_counts (PtlScanFile *file,
             guint        k,
             guint        side,
             GError     **error)
{
  gsize pixels = (gsize) side * side;
  g_autofree float *intensity = g_new (float, pixels);

  if (!ptl_scan_file_read_intensity (file, k, intensity, error))
    return NULL;
  guint32 *counts = g_new (guint32, pixels);
  for (gsize i = 0; i < pixels; i++)
    {
      float value = isfinite (intensity[i]) ? intensity[i] : 0.0f;
      counts[i] = GUINT32_TO_LE ((guint32) CLAMP (lrintf (value), 0, (long) G_MAXUINT32));
    }
  return g_bytes_new_take (counts, pixels * sizeof *counts);
}

PtlPublisherRecording *
ptl_publisher_recording_read (const char *path,
                              GError    **error)
{
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (path, error);
  if (file == NULL)
    return NULL;

  const PtlSeriesInfo *series = ptl_scan_file_series (file);
  gboolean raw = ptl_scan_file_is_raw (file);
  guint n = ptl_scan_file_n_frames (file);
  g_autoptr (PtlPublisherRecording) r = g_new0 (PtlPublisherRecording, 1);

  r->rows = series->image_rows;
  r->cols = series->image_cols;
  r->element_size = raw ? series->element_size : sizeof (guint32);
  if (raw && r->element_size != 2 && r->element_size != 4)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: %u-byte pixels cannot be published (2 or 4)", path, r->element_size);
      return NULL;
    }
  if ((gsize) n * r->rows * r->cols * r->element_size > MAX_RECORDING_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: %u frames of %u×%u are more than the publisher holds in memory "
                   "(%" G_GSIZE_FORMAT " GiB)", path, n, r->rows, r->cols,
                   MAX_RECORDING_BYTES >> 30);
      return NULL;
    }
  r->series = copy_series (series);
  r->pixels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->translation = g_new (double, 2 * (gsize) MAX (n, 1));
  for (guint k = 0; k < n; k++)
    {
      double x, y;
      GBytes *pixels;

      if (!ptl_scan_file_translation (file, k, &x, &y) || !isfinite (x) || !isfinite (y))
        {
          r->skipped++;
          continue;
        }
      if (raw)
        {
          g_autoptr (PtlImageInfo) image = NULL;
          if (!ptl_scan_file_read_image (file, k, &image, error))
            return NULL;
          pixels = decode_image (image, error);
        }
      else
        pixels = read_counts (file, k, r->rows, error);
      if (pixels == NULL)
        {
          g_prefix_error (error, "%s: frame %u: ", path, k);
          return NULL;
        }
      g_ptr_array_add (r->pixels, pixels);
      r->translation[2 * r->n_frames] = x;
      r->translation[2 * r->n_frames + 1] = y;
      r->n_frames++;
    }
  if (r->n_frames == 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: no frame has a position: nothing to publish", path);
      return NULL;
    }
  return g_steal_pointer (&r);
}
