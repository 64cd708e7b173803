/* Reading the series metadata and the preprocessing a recording of ours was made with
 * (layout: ptl-recording-private.h), each value checked before it is used. */
#include "config.h"

#include "ptl-recording.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

/* The largest raw start message kept with a recording that a reader accepts. */
#define MAX_STREAM_START_BYTES ((gsize) 64 << 20)

static gboolean
read_uint (hid_t       group,
           const char *name,
           guint      *value,
           GError    **error)
{
  return ptl_h5_read_scalar (group, name, H5T_NATIVE_UINT, value, error);
}

static gboolean
read_u64 (hid_t       group,
          const char *name,
          guint64    *value,
          GError    **error)
{
  return ptl_h5_read_scalar (group, name, H5T_NATIVE_UINT64, value, error);
}

static gboolean
read_double (hid_t       group,
             const char *name,
             double     *value,
             GError    **error)
{
  char where[256] = "";

  if (!ptl_h5_read_scalar (group, name, H5T_NATIVE_DOUBLE, value, error))
    return FALSE;
  if (isfinite (*value))
    return TRUE;
  H5Iget_name (group, where, sizeof where);
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s/%s is not finite", where, name);
  return FALSE;
}

static gboolean
read_bool (hid_t       group,
           const char *name,
           gboolean   *value,
           GError    **error)
{
  guint8 flag;

  if (!ptl_h5_read_scalar (group, name, H5T_NATIVE_UINT8, &flag, error))
    return FALSE;
  *value = flag != 0;
  return TRUE;
}

/* An optional string: NULL and no error when absent. */
static gboolean
read_optional_string (hid_t       group,
                      const char *name,
                      char      **value,
                      GError    **error)
{
  if (!ptl_h5_exists (group, name))
    return TRUE;
  *value = ptl_h5_read_string (group, name, error);
  return *value != NULL;
}

static gboolean
read_pixel_mask (hid_t          group,
                 PtlSeriesInfo *series,
                 GError       **error)
{
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  hsize_t dims[2];
  int rank;

  if (!ptl_h5_exists (group, "pixel_mask"))
    return TRUE;
  if ((dataset = ptl_h5_open_dataset (group, "pixel_mask", error)) < 0
      || !ptl_h5_get_shape (dataset, 2, 2, &rank, dims, error))
    return FALSE;
  if (dims[0] != series->image_rows || dims[1] != series->image_cols)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   REC_SERIES "/pixel_mask is not %u×%u", series->image_rows, series->image_cols);
      return FALSE;
    }
  series->pixel_mask = g_new (guint32, (gsize) dims[0] * dims[1]);
  return ptl_h5_read (dataset, H5T_NATIVE_UINT32, (gsize) dims[0] * dims[1], series->pixel_mask,
                      error);
}

static gboolean
read_stream_start (hid_t          group,
                   PtlSeriesInfo *series,
                   GError       **error)
{
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  g_autofree guint8 *bytes = NULL;
  hsize_t length;
  int rank;

  if (!ptl_h5_exists (group, "stream_start"))
    return TRUE;
  if ((dataset = ptl_h5_open_dataset (group, "stream_start", error)) < 0
      || !ptl_h5_get_shape (dataset, 1, 1, &rank, &length, error))
    return FALSE;
  if (length > MAX_STREAM_START_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   REC_SERIES "/stream_start holds %" G_GUINT64_FORMAT " bytes, more than %"
                   G_GSIZE_FORMAT, (guint64) length, MAX_STREAM_START_BYTES);
      return FALSE;
    }
  bytes = g_malloc (MAX (length, 1));
  if (!ptl_h5_read (dataset, H5T_NATIVE_UINT8, length, bytes, error))
    return FALSE;
  series->raw_header = g_bytes_new_take (g_steal_pointer (&bytes), length);
  return TRUE;
}

gboolean
_ptl_scan_file_read_series (hid_t          file,
                            PtlSeriesInfo *s,
                            GError       **error)
{
  g_auto (PtlH5Id) group = H5I_INVALID_HID;

  if (!ptl_h5_exists (file, REC_SERIES))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, REC_SERIES ": missing group");
      return FALSE;
    }
  group = H5Gopen2 (file, REC_SERIES, H5P_DEFAULT);
  if (group < 0
      || !read_optional_string (group, "series_id", &s->series_id, error)
      || !read_optional_string (group, "series_unique_id", &s->series_unique_id, error)
      || !read_uint (group, "image_rows", &s->image_rows, error)
      || !read_uint (group, "image_cols", &s->image_cols, error)
      || !read_uint (group, "element_size", &s->element_size, error)
      || !read_bool (group, "element_signed", &s->element_signed, error)
      || !read_u64 (group, "number_of_images", &s->number_of_images, error)
      || !read_double (group, "pixel_size_x", &s->pixel_size_x, error)
      || !read_double (group, "pixel_size_y", &s->pixel_size_y, error)
      || !read_double (group, "energy_ev", &s->energy_ev, error)
      || !read_double (group, "wavelength", &s->wavelength, error)
      || !read_double (group, "detector_distance", &s->detector_distance, error)
      || !read_double (group, "count_time", &s->count_time, error)
      || !read_double (group, "frame_time", &s->frame_time, error)
      || !read_double (group, "beam_center_x", &s->beam_center_x, error)
      || !read_double (group, "beam_center_y", &s->beam_center_y, error)
      || !read_u64 (group, "saturation_value", &s->saturation_value, error)
      || !read_optional_string (group, "user_data", &s->user_data, error))
    return FALSE;
  if (s->image_rows == 0 || s->image_cols == 0 || s->image_rows > PTL_STREAM_MAX_SIDE
      || s->image_cols > PTL_STREAM_MAX_SIDE)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   REC_SERIES " describes %u×%u images (each side 1 to %u)", s->image_rows,
                   s->image_cols, PTL_STREAM_MAX_SIDE);
      return FALSE;
    }
  if (s->element_size != 1 && s->element_size != 2 && s->element_size != 4)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   REC_SERIES "/element_size is %u (1, 2 or 4)", s->element_size);
      return FALSE;
    }
  return read_pixel_mask (group, s, error) && read_stream_start (group, s, error);
}

gboolean
_ptl_scan_file_read_preprocess (hid_t                file,
                                PtlPreprocessParams *p,
                                GError             **error)
{
  g_auto (PtlH5Id) group = H5I_INVALID_HID;

  if (!ptl_h5_exists (file, REC_PREPROCESS))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, REC_PREPROCESS ": missing group");
      return FALSE;
    }
  group = H5Gopen2 (file, REC_PREPROCESS, H5P_DEFAULT);
  return group >= 0
         && read_uint (group, "crop", &p->crop, error)
         && read_uint (group, "bin", &p->bin, error)
         && read_double (group, "centre_row", &p->centre_row, error)
         && read_double (group, "centre_col", &p->centre_col, error)
         && read_bool (group, "auto_centre", &p->auto_centre, error)
         && read_uint (group, "auto_centre_frames", &p->auto_centre_frames, error)
         && read_double (group, "adu_per_photon", &p->adu_per_photon, error)
         && read_uint (group, "saturation", &p->saturation, error);
}
