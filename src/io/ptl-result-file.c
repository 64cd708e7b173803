/* Writing result files (layout: ptl-result-file-private.h). */
#include "config.h"

#include "ptl-result-file.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-result-file-private.h"

const char *const _ptl_result_probe_init_names[PTL_PROBE_INIT_MODEL + 1] = {
  [PTL_PROBE_INIT_MEAN_PATTERN] = "mean-pattern",
  [PTL_PROBE_INIT_MODEL] = "model",
};

PtlResult *
ptl_result_new (void)
{
  PtlResult *result = g_new0 (PtlResult, 1);

  result->mapping = PTL_AXIS_MAPPING_IDENTITY;
  ptl_recon_params_init (&result->params);
  return result;
}

void
ptl_result_free (PtlResult *result)
{
  if (result == NULL)
    return;
  ptl_array_free (result->object);
  ptl_array_free (result->probe);
  g_free (result->translation);
  g_free (result->errors);
  g_free (result->backend);
  g_free (result);
}

static gboolean
is_image (const PtlArray *array)
{
  return array != NULL && array->dtype == PTL_DTYPE_COMPLEX && array->ndim >= 2;
}

/* Whatever is written must read back, so the writer accepts what the reader accepts. */
static gboolean
validate_result (const PtlResult *result,
                 GError         **error)
{
  if (!is_image (result->object) || !is_image (result->probe))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "A result needs a complex object and probe of 2 or 3 dimensions");
      return FALSE;
    }
  if ((result->n_positions > 0 && result->translation == NULL)
      || (result->n_iterations > 0 && result->errors == NULL))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The result counts positions or errors it does not hold");
      return FALSE;
    }
  if (result->n_positions > RESULT_MAX_POSITIONS || result->n_iterations > RESULT_MAX_ERRORS)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "At most %u positions and %u errors per result (got %u and %u)",
                   RESULT_MAX_POSITIONS, RESULT_MAX_ERRORS, result->n_positions,
                   result->n_iterations);
      return FALSE;
    }
  if (!(result->pixel_size > 0.0 && isfinite (result->pixel_size)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The object pixel size must be positive (got %g m)", result->pixel_size);
      return FALSE;
    }
  if ((guint) result->params.probe_init >= G_N_ELEMENTS (_ptl_result_probe_init_names))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown probe initialisation %d", result->params.probe_init);
      return FALSE;
    }
  return ptl_geometry_validate (&result->geometry, error)
         && ptl_axis_mapping_validate (&result->mapping, error)
         && ptl_recon_params_validate (&result->params, error);
}

static gboolean
write_image (hid_t           entry,
             const char     *name,
             const PtlArray *array,
             double          pixel_size,
             const char     *data_type,
             const char     *axes,
             GError        **error)
{
  hsize_t dims[3] = { array->ndim == 3 ? array->shape[0] : 1, ptl_array_rows (array),
                      ptl_array_cols (array) };
  double image_size[3] = { dims[2] * pixel_size, dims[1] * pixel_size, 0.0 };
  hsize_t three = 3;
  int fft_shifted = 0;
  g_auto (PtlH5Id) complex_type = ptl_h5_complex_type_new ();
  g_auto (PtlH5Id) image = ptl_h5_create_group (entry, name, "NXdata", error);

  return image >= 0
         && ptl_h5_write_string_attribute (image, ".", "signal", "data", error)
         && ptl_h5_write_array (image, "data", complex_type, 3, dims, array->data, NULL, error)
         && ptl_h5_write_string_attribute (image, "data", "axes", axes, error)
         && ptl_h5_write_string (image, "data_space", "real", error)
         && ptl_h5_write_string (image, "data_type", data_type, error)
         && ptl_h5_write_array (image, "image_size", H5T_NATIVE_DOUBLE, 1, &three, image_size, "m",
                                error)
         && ptl_h5_write_scalar (image, "is_fft_shifted", H5T_NATIVE_INT, &fft_shifted, NULL,
                                 error);
}

static gboolean
write_process (hid_t    entry,
               GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format_iso8601 (now);
  g_auto (PtlH5Id) process = ptl_h5_create_group (entry, "image_2/process_1", "NXprocess", error);

  return process >= 0
         && ptl_h5_write_string (process, "program", PACKAGE_NAME, error)
         && ptl_h5_write_string (process, "version", PACKAGE_VERSION, error)
         && ptl_h5_write_string (process, "date", date, error);
}

static gboolean
write_instrument (hid_t              entry,
                  const PtlGeometry *geometry,
                  GError           **error)
{
  double pixel = geometry->detector_pixel * geometry->bin;
  g_auto (PtlH5Id) instrument = ptl_h5_create_group (entry, "instrument_1", "NXinstrument", error);
  g_auto (PtlH5Id) source = H5I_INVALID_HID;
  g_auto (PtlH5Id) detector = H5I_INVALID_HID;

  return instrument >= 0
         && (source = ptl_h5_create_group (instrument, "source_1", "NXsource", error)) >= 0
         && ptl_h5_write_double (source, "energy", geometry->energy_ev * PTL_ELECTRONVOLT_J, "J",
                                 error)
         && ptl_h5_write_soft_link (source, "illumination", CXI_PROBE_DATA, error)
         && (detector = ptl_h5_create_group (instrument, "detector_1", "NXdetector", error)) >= 0
         && ptl_h5_write_double (detector, "distance", geometry->distance, "m", error)
         && ptl_h5_write_double (detector, "x_pixel_size", pixel, "m", error)
         && ptl_h5_write_double (detector, "y_pixel_size", pixel, "m", error);
}

static gboolean
write_translation (hid_t            entry,
                   const PtlResult *result,
                   GError         **error)
{
  hsize_t dims[2] = { result->n_positions, 3 };
  g_autofree double *xyz = g_new0 (double, 3 * (gsize) result->n_positions);
  g_auto (PtlH5Id) sample = ptl_h5_create_group (entry, "sample_1", "NXsample", error);
  g_auto (PtlH5Id) geometry = H5I_INVALID_HID;

  for (gsize i = 0; i < result->n_positions; i++)
    {
      xyz[3 * i] = result->translation[2 * i];
      xyz[3 * i + 1] = result->translation[2 * i + 1];
    }
  return sample >= 0
         && (geometry = ptl_h5_create_group (sample, "geometry_1", "NXcollection", error)) >= 0
         && ptl_h5_write_array (geometry, "translation", H5T_NATIVE_DOUBLE, 2, dims, xyz, "m",
                                error);
}

static gboolean
write_parameters (hid_t                 app,
                  const PtlReconParams *params,
                  GError              **error)
{
  g_auto (PtlH5Id) group = ptl_h5_create_group (app, "parameters", "NXparameters", error);

  return group >= 0
         && ptl_h5_write_string (group, "algorithm", ptl_algorithm_to_string (params->algorithm),
                                 error)
         && ptl_h5_write_scalar (group, "iterations", H5T_NATIVE_UINT, &params->iterations, NULL,
                                 error)
         && ptl_h5_write_double (group, "alpha", params->alpha, NULL, error)
         && ptl_h5_write_double (group, "beta", params->beta, NULL, error)
         && ptl_h5_write_scalar (group, "probe_update_start", H5T_NATIVE_UINT,
                                 &params->probe_update_start, NULL, error)
         && ptl_h5_write_string (group, "probe_init",
                                 _ptl_result_probe_init_names[params->probe_init], error)
         && ptl_h5_write_scalar (group, "seed", H5T_NATIVE_UINT64, &params->seed, NULL, error);
}

/* Locale-independent, short where that is exact ("1e-06", not "9.9999999999999995e-07"). */
static const char *
format_double (char   *buffer,
               gsize   size,
               double  value)
{
  g_ascii_formatd (buffer, size, "%.15g", value);
  if (g_ascii_strtod (buffer, NULL) != value)
    g_ascii_formatd (buffer, size, "%.17g", value);
  return buffer;
}

static gboolean
write_app_group (hid_t            entry,
                 const PtlResult *result,
                 GError         **error)
{
  const PtlAxisMapping *mapping = &result->mapping;
  int swap_xy = mapping->swap_xy ? 1 : 0;
  hsize_t n_errors = result->n_iterations;
  char scale[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *mapping_json = NULL;
  g_auto (PtlH5Id) app = ptl_h5_create_group (entry, "ptycholive", "NXcollection", error);

  mapping_json = g_strdup_printf ("{\"scale\":%s,\"swap_xy\":%s,\"sign_x\":%d,\"sign_y\":%d}",
                                  format_double (scale, sizeof scale, mapping->scale),
                                  swap_xy ? "true" : "false", mapping->sign_x, mapping->sign_y);
  return app >= 0
         && ptl_h5_write_double (app, "pixel_size", result->pixel_size, "m", error)
         && ptl_h5_write_scalar (app, "frame_size", H5T_NATIVE_UINT, &result->geometry.frame_size,
                                 NULL, error)
         && ptl_h5_write_scalar (app, "bin", H5T_NATIVE_UINT, &result->geometry.bin, NULL, error)
         && ptl_h5_write_string (app, "position_mapping", mapping_json, error)
         && ptl_h5_write_attribute (app, "position_mapping", "scale", H5T_NATIVE_DOUBLE,
                                    &mapping->scale, error)
         && ptl_h5_write_attribute (app, "position_mapping", "swap_xy", H5T_NATIVE_INT, &swap_xy,
                                    error)
         && ptl_h5_write_attribute (app, "position_mapping", "sign_x", H5T_NATIVE_INT,
                                    &mapping->sign_x, error)
         && ptl_h5_write_attribute (app, "position_mapping", "sign_y", H5T_NATIVE_INT,
                                    &mapping->sign_y, error)
         && ptl_h5_write_array (app, "fourier_error", H5T_NATIVE_DOUBLE, 1, &n_errors,
                                result->errors, NULL, error)
         && (result->backend == NULL
             || ptl_h5_write_string (app, "backend", result->backend, error))
         && write_parameters (app, &result->params, error);
}

static gboolean
write_contents (hid_t            file,
                const PtlResult *result,
                GError         **error)
{
  int cxi_version = CXI_VERSION;
  g_auto (PtlH5Id) entry = H5I_INVALID_HID;

  return ptl_h5_write_scalar (file, "cxi_version", H5T_NATIVE_INT, &cxi_version, NULL, error)
         && (entry = ptl_h5_create_group (file, "entry_1", "NXentry", error)) >= 0
         && ptl_h5_write_string (entry, "program_name", PACKAGE_NAME, error)
         && ptl_h5_write_string_attribute (entry, "program_name", "version", PACKAGE_VERSION, error)
         && write_image (entry, "image_1", result->probe, result->pixel_size, "amplitude",
                         "incoherent:y:x", error)
         && write_image (entry, "image_2", result->object, result->pixel_size, "electron density",
                         "layer:y:x", error)
         && write_process (entry, error)
         && write_instrument (entry, &result->geometry, error)
         && write_translation (entry, result, error)
         && write_app_group (entry, result, error);
}

/* Room for the arrays and a little metadata, so that the in-memory file rarely grows. */
static gsize
estimate_size (const PtlResult *result)
{
  return ptl_array_bytes (result->object) + ptl_array_bytes (result->probe)
         + (3 * (gsize) result->n_positions + result->n_iterations) * sizeof (double)
         + (256 << 10);
}

static void
set_hdf5_error (GError    **error,
                const char *what)
{
  g_autofree char *detail = ptl_h5_error_detail ();

  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "%s (%s)", what,
               detail != NULL ? detail : "no reason given");
}

/* The file is built in memory and written in one go. HDF5 then never meets a disk error,
 * after which it cannot close the file, and the file on disk is complete or absent: the
 * price is a second copy of the data while it is written. */
static char *
build_image (const char      *path,
             const PtlResult *result,
             gsize           *size,
             GError         **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) access = H5Pcreate (H5P_FILE_ACCESS);
  g_auto (PtlH5Id) file = H5I_INVALID_HID;
  g_autofree char *image = NULL;
  ssize_t length;

  if (access < 0
      || H5Pset_fapl_core (access, estimate_size (result), FALSE) < 0
      || (file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, access)) < 0)
    {
      set_hdf5_error (error, "cannot create an HDF5 file in memory");
      return NULL;
    }
  if (!write_contents (file, result, error))
    return NULL;
  if (H5Fflush (file, H5F_SCOPE_LOCAL) < 0 || (length = H5Fget_file_image (file, NULL, 0)) <= 0)
    {
      set_hdf5_error (error, "cannot complete the file");
      return NULL;
    }
  image = g_malloc (length);
  if (H5Fget_file_image (file, image, length) != length)
    {
      set_hdf5_error (error, "cannot copy the file out of memory");
      return NULL;
    }
  *size = length;
  return g_steal_pointer (&image);
}

/* g_file_set_contents_full writes a temporary file beside @path, flushes it to disk and
 * renames it: a failed write leaves no partial file, and an older result stays as it was. */
gboolean
ptl_result_file_write (const char      *path,
                       const PtlResult *result,
                       GError         **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *image = NULL;
  gsize size;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (!validate_result (result, error))
    {
      g_prefix_error (error, "Cannot write %s: ", path);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot write %s: it is a directory",
                   path);
      return FALSE;
    }
  image = build_image (path, result, &size, error);
  if (image == NULL)
    {
      g_prefix_error (error, "Cannot write %s: ", path);
      return FALSE;
    }
  if (!g_file_set_contents_full (path, image, size,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0666, &local))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot write %s: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}
