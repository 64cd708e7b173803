/* Creating every object of a recording (layout: ptl-recording-private.h) before its first
 * flush: the tables grow later, nothing is created after. */
#include "config.h"

#include "ptl-recording.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include <json-glib/json-glib.h>
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

/* Rows per chunk of the per-frame and per-position tables: a row written reads and writes
 * its chunk (see _ptl_recorder_dataset_access_new), so small ones. */
#define TABLE_CHUNK_ROWS 64

/* HDF5's file drivers explain a failed write at length (time, buffer address, offsets);
 * the system's message in it ("File too large", "No space left on device") is what the
 * user needs. */
static char *
short_detail (void)
{
  static const char marker[] = "error message = '";
  char *detail = ptl_h5_error_detail ();
  const char *start = detail != NULL ? strstr (detail, marker) : NULL;
  const char *end = start != NULL ? strchr (start + strlen (marker), '\'') : NULL;
  char *message;

  if (end == NULL)
    return detail;
  message = g_strndup (start + strlen (marker), end - start - strlen (marker));
  g_free (detail);
  return message;
}

/* The HDF5 error of the call that just failed, after "path: what". */
void
_ptl_recorder_set_h5_error (GError    **error,
                            int         code,
                            const char *path,
                            const char *format,
                            ...)
{
  g_autofree char *detail = short_detail ();
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (detail != NULL)
    g_set_error (error, PTL_IO_ERROR, code, "%s: %s (%s)", path, what, detail);
  else
    g_set_error (error, PTL_IO_ERROR, code, "%s: %s", path, what);
}

/* No chunk cache: every write reaches the file in the call that makes it, so that a full
 * disk fails that call (and not a later flush, which would lose the cached rows of several
 * calls) and nothing is held back when a dataset is reopened after a failure. */
hid_t
_ptl_recorder_dataset_access_new (void)
{
  hid_t dapl = H5Pcreate (H5P_DATASET_ACCESS);

  H5Pset_chunk_cache (dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
  return dapl;
}

static hid_t
pixel_type (const PtlSeriesInfo *series)
{
  switch (series->element_size)
    {
    case 1:
      return series->element_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
    case 2:
      return series->element_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
    default:
      return series->element_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
    }
}

/* A fixed-length string of `size` bytes, rewritten in place later (no new metadata). */
static hid_t
create_fixed_string (hid_t       loc,
                     const char *name,
                     gsize       size,
                     const char *value,
                     GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) type = H5Tcopy (H5T_C_S1);
  g_auto (PtlH5Id) space = H5Screate (H5S_SCALAR);
  g_auto (PtlH5Id) dcpl = H5Pcreate (H5P_DATASET_CREATE);
  g_autofree char *buffer = g_malloc0 (size);
  hid_t dataset;

  g_strlcpy (buffer, value, size);
  H5Tset_size (type, size);
  H5Tset_strpad (type, H5T_STR_NULLTERM);
  H5Tset_cset (type, H5T_CSET_UTF8);
  /* Storage allocated now, so that rewriting the string only writes its bytes. */
  H5Pset_alloc_time (dcpl, H5D_ALLOC_TIME_EARLY);
  dataset = H5Dcreate2 (loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (dataset < 0 || H5Dwrite (dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, name,
                                  "cannot create the dataset");
      if (dataset >= 0)
        H5Dclose (dataset);
      return H5I_INVALID_HID;
    }
  return dataset;
}

/* An empty (0) or (0, width) table that grows a row at a time. */
static hid_t
create_table (hid_t        loc,
              const char  *name,
              hid_t        type,
              guint        width,
              const double *fill,
              const char  *units,
              GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  int rank = width > 0 ? 2 : 1;
  hsize_t dims[2] = { 0, width }, max[2] = { H5S_UNLIMITED, width };
  hsize_t chunk[2] = { TABLE_CHUNK_ROWS, width };
  g_auto (PtlH5Id) space = H5Screate_simple (rank, dims, max);
  g_auto (PtlH5Id) dcpl = H5Pcreate (H5P_DATASET_CREATE);
  g_auto (PtlH5Id) dapl = _ptl_recorder_dataset_access_new ();
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;

  H5Pset_chunk (dcpl, rank, chunk);
  if (fill != NULL)
    H5Pset_fill_value (dcpl, H5T_NATIVE_DOUBLE, fill);
  dataset = H5Dcreate2 (loc, name, type, space, H5P_DEFAULT, dcpl, dapl);
  if (dataset < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, name,
                                  "cannot create the dataset");
      return H5I_INVALID_HID;
    }
  if (units != NULL && !ptl_h5_write_string_attribute (dataset, ".", "units", units, error))
    return H5I_INVALID_HID;
  return ptl_h5_steal (&dataset);
}

static hid_t
create_frames (PtlRecorder         *self,
               hid_t                detector,
               const PtlSeriesInfo *series,
               GError             **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  hsize_t dims[3] = { 0, self->rows, self->cols };
  hsize_t max[3] = { H5S_UNLIMITED, self->rows, self->cols };
  hsize_t chunk[3] = { 1, self->rows, self->cols };
  /* The bitshuffle plugin's parameters: its version (0: any), element size, block size (0:
   * read from each chunk's header), compression 2 = LZ4. */
  const unsigned int bitshuffle[5] = { 0, 0, self->element_size, 0, REC_BITSHUFFLE_LZ4 };
  g_auto (PtlH5Id) space = H5Screate_simple (3, dims, max);
  g_auto (PtlH5Id) dcpl = H5Pcreate (H5P_DATASET_CREATE);
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  herr_t status = 0;

  H5Pset_chunk (dcpl, 3, chunk);
  if (self->encoding == PTL_ENCODING_BSLZ4)
    status = H5Pset_filter (dcpl, REC_FILTER_BITSHUFFLE, H5Z_FLAG_OPTIONAL,
                            G_N_ELEMENTS (bitshuffle), bitshuffle);
  else if (self->encoding == PTL_ENCODING_LZ4)
    status = H5Pset_filter (dcpl, REC_FILTER_LZ4, H5Z_FLAG_OPTIONAL, 0, NULL);
  if (status < 0
      || (dataset = H5Dcreate2 (detector, "data", pixel_type (series), space, H5P_DEFAULT, dcpl,
                                H5P_DEFAULT)) < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, REC_DATA,
                                  "cannot create the dataset");
      return H5I_INVALID_HID;
    }
  if (!ptl_h5_write_string_attribute (dataset, ".", "axes", "translation:y:x", error))
    return H5I_INVALID_HID;
  return ptl_h5_steal (&dataset);
}

/* A CXI length or energy is written when the stream knew it. */
static gboolean
write_known (hid_t       loc,
             const char *name,
             double      value,
             const char *units,
             GError    **error)
{
  return !(value > 0.0) || ptl_h5_write_double (loc, name, value, units, error);
}

static gboolean
write_instrument (PtlRecorder         *self,
                  hid_t                entry,
                  const PtlSeriesInfo *series,
                  GError             **error)
{
  double energy_ev = series->energy_ev > 0.0    ? series->energy_ev
                     : series->wavelength > 0.0 ? PTL_PLANCK_EV_M / series->wavelength
                                                : 0.0;
  double energy_j = energy_ev * PTL_ELECTRONVOLT_J;
  double wavelength = energy_ev > 0.0 ? PTL_PLANCK_EV_M / energy_ev : 0.0;
  g_auto (PtlH5Id) instrument = ptl_h5_create_group (entry, "instrument_1", "NXinstrument", error);
  g_auto (PtlH5Id) source = H5I_INVALID_HID;
  g_auto (PtlH5Id) beam = H5I_INVALID_HID;
  g_auto (PtlH5Id) detector = H5I_INVALID_HID;
  g_autofree guint32 *mask = NULL;
  hsize_t mask_dims[2] = { self->rows, self->cols };

  if (instrument < 0
      || (source = ptl_h5_create_group (instrument, "source_1", "NXsource", error)) < 0
      /* The stream names no facility or beamline. */
      || !ptl_h5_write_string (source, "name", "unknown", error)
      || !ptl_h5_write_string (source, "type", "Synchrotron X-ray Source", error)
      || !write_known (source, "energy", energy_j, "J", error)
      || (beam = ptl_h5_create_group (instrument, "beam_1", "NXbeam", error)) < 0
      || !write_known (beam, "energy", energy_j, "J", error)
      || !write_known (beam, "incident_beam_energy", energy_j, "J", error)
      || !write_known (beam, "incident_wavelength", wavelength, "m", error)
      || (detector = ptl_h5_create_group (instrument, "detector_1", "NXdetector", error)) < 0
      || (self->data = create_frames (self, detector, series, error)) < 0
      || !write_known (detector, "distance", series->detector_distance, "m", error)
      || !write_known (detector, "x_pixel_size", series->pixel_size_x, "m", error)
      || !write_known (detector, "y_pixel_size", series->pixel_size_y, "m", error)
      || !ptl_h5_write_double (detector, "beam_center_x", series->beam_center_x, "pixel", error)
      || !ptl_h5_write_double (detector, "beam_center_y", series->beam_center_y, "pixel", error)
      || !write_known (detector, "count_time", series->count_time, "s", error)
      || !write_known (detector, "frame_time", series->frame_time, "s", error)
      || !ptl_h5_write_scalar (detector, "saturation_value", H5T_NATIVE_UINT64,
                               &series->saturation_value, NULL, error)
      || !ptl_h5_write_soft_link (detector, "translation", REC_TRANSLATION, error))
    return FALSE;
  if (series->pixel_mask == NULL)
    return TRUE;
  /* CXI bit 0x1 "invalid" wherever the detector flags a pixel; its own bits are kept with
   * the series metadata. */
  mask = g_new (guint32, (gsize) self->rows * self->cols);
  for (gsize i = 0; i < (gsize) self->rows * self->cols; i++)
    mask[i] = series->pixel_mask[i] != 0 ? 0x1 : 0;
  return ptl_h5_write_array (detector, "mask", H5T_NATIVE_UINT32, 2, mask_dims, mask, NULL, error);
}

static gboolean
write_optional_string (hid_t       loc,
                       const char *name,
                       const char *value,
                       GError    **error)
{
  return value == NULL || ptl_h5_write_string (loc, name, value, error);
}

static gboolean
write_series (hid_t                collection,
              const PtlSeriesInfo *series,
              GError             **error)
{
  g_auto (PtlH5Id) group = ptl_h5_create_group (collection, "series", "NXcollection", error);
  hsize_t mask_dims[2] = { series->image_rows, series->image_cols };
  guint8 is_signed = series->element_signed ? 1 : 0;

  if (group < 0
      || !write_optional_string (group, "series_id", series->series_id, error)
      || !write_optional_string (group, "series_unique_id", series->series_unique_id, error)
      || !ptl_h5_write_scalar (group, "image_rows", H5T_NATIVE_UINT, &series->image_rows, NULL,
                               error)
      || !ptl_h5_write_scalar (group, "image_cols", H5T_NATIVE_UINT, &series->image_cols, NULL,
                               error)
      || !ptl_h5_write_scalar (group, "element_size", H5T_NATIVE_UINT, &series->element_size,
                               NULL, error)
      || !ptl_h5_write_scalar (group, "element_signed", H5T_NATIVE_UINT8, &is_signed, NULL, error)
      || !ptl_h5_write_scalar (group, "number_of_images", H5T_NATIVE_UINT64,
                               &series->number_of_images, NULL, error)
      || !ptl_h5_write_double (group, "pixel_size_x", series->pixel_size_x, "m", error)
      || !ptl_h5_write_double (group, "pixel_size_y", series->pixel_size_y, "m", error)
      || !ptl_h5_write_double (group, "energy_ev", series->energy_ev, "eV", error)
      || !ptl_h5_write_double (group, "wavelength", series->wavelength, "m", error)
      || !ptl_h5_write_double (group, "detector_distance", series->detector_distance, "m", error)
      || !ptl_h5_write_double (group, "count_time", series->count_time, "s", error)
      || !ptl_h5_write_double (group, "frame_time", series->frame_time, "s", error)
      || !ptl_h5_write_double (group, "beam_center_x", series->beam_center_x, "pixel", error)
      || !ptl_h5_write_double (group, "beam_center_y", series->beam_center_y, "pixel", error)
      || !ptl_h5_write_scalar (group, "saturation_value", H5T_NATIVE_UINT64,
                               &series->saturation_value, NULL, error)
      || !write_optional_string (group, "user_data", series->user_data, error))
    return FALSE;
  if (series->pixel_mask != NULL
      && !ptl_h5_write_array (group, "pixel_mask", H5T_NATIVE_UINT32, 2, mask_dims,
                              series->pixel_mask, NULL, error))
    return FALSE;
  if (series->raw_header != NULL)
    {
      gsize size;
      gconstpointer bytes = g_bytes_get_data (series->raw_header, &size);
      hsize_t length = size;

      return ptl_h5_write_array (group, "stream_start", H5T_NATIVE_UINT8, 1, &length, bytes, NULL,
                                 error);
    }
  return TRUE;
}

static gboolean
write_preprocess (hid_t                      collection,
                  const PtlPreprocessParams *params,
                  GError                   **error)
{
  g_auto (PtlH5Id) group = ptl_h5_create_group (collection, "preprocess", "NXparameters", error);
  guint8 auto_centre = params->auto_centre ? 1 : 0;

  return group >= 0
         && ptl_h5_write_scalar (group, "crop", H5T_NATIVE_UINT, &params->crop, NULL, error)
         && ptl_h5_write_scalar (group, "bin", H5T_NATIVE_UINT, &params->bin, NULL, error)
         && ptl_h5_write_double (group, "centre_row", params->centre_row, "pixel", error)
         && ptl_h5_write_double (group, "centre_col", params->centre_col, "pixel", error)
         && ptl_h5_write_scalar (group, "auto_centre", H5T_NATIVE_UINT8, &auto_centre, NULL, error)
         && ptl_h5_write_scalar (group, "auto_centre_frames", H5T_NATIVE_UINT,
                                 &params->auto_centre_frames, NULL, error)
         && ptl_h5_write_double (group, "adu_per_photon", params->adu_per_photon, NULL, error)
         && ptl_h5_write_scalar (group, "saturation", H5T_NATIVE_UINT, &params->saturation, NULL,
                                 error);
}

/* A PandA field as a dataset name: no leading "/", and no "/" inside (HDF5's separator). */
static char *
field_dataset_name (const char *field,
                    const char *fallback)
{
  while (field != NULL && *field == '/')
    field++;
  if (field == NULL || *field == '\0')
    return g_strdup (fallback);
  return g_strdelimit (g_strdup (field), "/", '_');
}

static char *
position_mapping_json (const PtlPositionSource *p)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "x_field");
  json_builder_add_string_value (builder, p->x_name != NULL ? p->x_name : "x");
  json_builder_set_member_name (builder, "y_field");
  json_builder_add_string_value (builder, p->y_name != NULL ? p->y_name : "y");
  json_builder_set_member_name (builder, "metres_per_unit");
  json_builder_add_double_value (builder, p->scale);
  json_builder_set_member_name (builder, "samples_per_frame");
  json_builder_add_int_value (builder, p->samples_per_frame);
  json_builder_set_member_name (builder, "swap_xy");
  json_builder_add_boolean_value (builder, p->mapping.swap_xy);
  json_builder_set_member_name (builder, "sign_x");
  json_builder_add_int_value (builder, p->mapping.sign_x);
  json_builder_set_member_name (builder, "sign_y");
  json_builder_add_int_value (builder, p->mapping.sign_y);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* The stage's own numbers beside the metres: one table per PandA field. */
static gboolean
write_position_source (PtlRecorder             *self,
                       hid_t                    collection,
                       const PtlPositionSource *positions,
                       GError                 **error)
{
  g_auto (PtlH5Id) raw = ptl_h5_create_group (collection, "raw_positions", "NXcollection", error);
  g_autofree char *x = field_dataset_name (positions->x_name, "x");
  g_autofree char *y = field_dataset_name (positions->y_name, "y");
  g_autofree char *mapping = position_mapping_json (positions);

  /* Two fields of one name (a misconfiguration, but a legal one) still get two tables. */
  if (g_strcmp0 (x, y) == 0)
    {
      g_autofree char *same = g_steal_pointer (&x);
      x = g_strconcat (same, " (x)", NULL);
      g_free (y);
      y = g_strconcat (same, " (y)", NULL);
    }
  self->scale = positions->scale;
  self->samples_per_frame = positions->samples_per_frame;
  self->raw_paths[0] = g_strconcat (REC_COLLECTION "/raw_positions/", x, NULL);
  self->raw_paths[1] = g_strconcat (REC_COLLECTION "/raw_positions/", y, NULL);
  if (raw < 0
      || (self->raw_x = create_table (raw, x, H5T_IEEE_F64LE, 0, NULL, "stage", error)) < 0
      || (self->raw_y = create_table (raw, y, H5T_IEEE_F64LE, 0, NULL, "stage", error)) < 0
      || (self->position_index = create_table (collection, "position_index", H5T_STD_U64LE, 0,
                                               NULL, NULL, error)) < 0)
    return FALSE;
  return ptl_h5_write_attribute (self->raw_x, ".", "metres_per_unit", H5T_NATIVE_DOUBLE,
                                 &positions->scale, error)
         && ptl_h5_write_attribute (self->raw_y, ".", "metres_per_unit", H5T_NATIVE_DOUBLE,
                                    &positions->scale, error)
         && ptl_h5_write_string (collection, "position_mapping", mapping, error);
}

static gboolean
write_collection (PtlRecorder               *self,
                  hid_t                      entry,
                  const PtlSeriesInfo       *series,
                  const PtlPreprocessParams *preprocess,
                  const PtlPositionSource   *positions,
                  GError                   **error)
{
  g_auto (PtlH5Id) collection = ptl_h5_create_group (entry, "collection_1", "NXcollection", error);
  int format_version = REC_FORMAT_VERSION;

  return collection >= 0
         && ptl_h5_write_string (collection, "program", REC_PROGRAM, error)
         && ptl_h5_write_scalar (collection, "format_version", H5T_NATIVE_INT, &format_version,
                                 NULL, error)
         && ptl_h5_write_string (collection, "encoding",
                                 _ptl_recording_encoding_name (self->encoding), error)
         && (self->image_id = create_table (collection, "image_id", H5T_STD_U64LE, 0, NULL, NULL,
                                            error)) >= 0
         && (self->image_time = create_table (collection, "image_time_ns", H5T_STD_U64LE, 3, NULL,
                                              "ns", error)) >= 0
         && (self->position_id = create_table (collection, "position_image_id", H5T_STD_U64LE, 0,
                                               NULL, NULL, error)) >= 0
         && (self->position_x = create_table (collection, "position_x", H5T_IEEE_F64LE, 0, NULL,
                                              "m", error)) >= 0
         && (self->position_y = create_table (collection, "position_y", H5T_IEEE_F64LE, 0, NULL,
                                              "m", error)) >= 0
         && (self->counters = create_fixed_string (collection, "counters", REC_COUNTERS_MAX, "{}",
                                                   error)) >= 0
         && write_position_source (self, collection, positions, error)
         && write_series (collection, series, error)
         && write_preprocess (collection, preprocess, error);
}

gboolean
_ptl_recorder_write_layout (PtlRecorder               *self,
                            const PtlSeriesInfo       *series,
                            const PtlPreprocessParams *preprocess,
                            const PtlPositionSource   *positions,
                            GError                   **error)
{
  static const double no_position = NAN;
  int cxi_version = REC_CXI_VERSION;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *start_time = g_date_time_format_iso8601 (now);
  g_auto (PtlH5Id) entry = H5I_INVALID_HID;
  g_auto (PtlH5Id) sample = H5I_INVALID_HID;
  g_auto (PtlH5Id) geometry = H5I_INVALID_HID;
  g_auto (PtlH5Id) data_1 = H5I_INVALID_HID;

  return ptl_h5_write_scalar (self->file, "cxi_version", H5T_NATIVE_INT, &cxi_version, NULL,
                              error)
         && (entry = ptl_h5_create_group (self->file, "entry_1", "NXentry", error)) >= 0
         && ptl_h5_write_string (entry, "definition", "NXcxi_ptycho", error)
         && ptl_h5_write_string (entry, "start_time", start_time, error)
         && (self->end_time = create_fixed_string (entry, "end_time", REC_TIME_MAX, "", error)) >= 0
         && write_instrument (self, entry, series, error)
         && (sample = ptl_h5_create_group (entry, "sample_1", "NXsample", error)) >= 0
         && (geometry = ptl_h5_create_group (sample, "geometry_1", "NXcollection", error)) >= 0
         && (self->translation = create_table (geometry, "translation", H5T_IEEE_F64LE, 3,
                                               &no_position, "m", error)) >= 0
         && ptl_h5_write_string_attribute (self->translation, ".", "axes", "translation:y:x",
                                           error)
         && ptl_h5_write_string_attribute (self->translation, ".", "interpretation", "image",
                                           error)
         && (data_1 = ptl_h5_create_group (entry, "data_1", "NXcollection", error)) >= 0
         && ptl_h5_write_soft_link (data_1, "data", REC_DATA, error)
         && ptl_h5_write_soft_link (data_1, "translation", REC_TRANSLATION, error)
         && write_collection (self, entry, series, preprocess, positions, error);
}
