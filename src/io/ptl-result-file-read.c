/* Reading result files (layout: ptl-result-file-private.h). A file that is missing, damaged,
 * truncated or of another layout gives an error that names the file and the dataset. */
#include "config.h"

#include "ptl-result-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-result-file-private.h"

/* A (1, rows, cols) dataset is one layer or mode: a 2-D array, as the engine holds it. */
static PtlArray *
read_image (hid_t       file,
            const char *name,
            GError    **error)
{
  g_auto (PtlH5Id) dataset = ptl_h5_open_dataset (file, name, error);
  g_auto (PtlH5Id) complex_type = ptl_h5_complex_type_new ();
  g_autoptr (PtlArray) array = NULL;
  g_autoptr (GError) local = NULL;
  hsize_t dims[3];
  gsize shape[3];
  int rank;
  guint ndim;

  if (dataset < 0
      || !ptl_h5_get_shape (dataset, 2, 3, &rank, dims, error)
      || !ptl_h5_check_type (dataset, complex_type, error))
    return NULL;
  ndim = rank == 3 && dims[0] == 1 ? 2 : (guint) rank;
  for (guint d = 0; d < ndim; d++)
    shape[d] = dims[rank - ndim + d];
  array = ptl_array_try_new (PTL_DTYPE_COMPLEX, ndim, shape, &local);
  if (array == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: %s", name, local->message);
      return NULL;
    }
  if (!ptl_h5_read (dataset, complex_type, array->n, array->data, error))
    return NULL;
  return g_steal_pointer (&array);
}

/* A value that reads but cannot describe an experiment is a format error of the file. */
static gboolean
format_error (GError    **error,
              const char *where,
              GError     *invalid)
{
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: %s", where, invalid->message);
  g_error_free (invalid);
  return FALSE;
}

static gboolean
read_double (hid_t       file,
             const char *name,
             double     *value,
             GError    **error)
{
  return ptl_h5_read_scalar (file, name, H5T_NATIVE_DOUBLE, value, error);
}

static gboolean
read_uint (hid_t       file,
           const char *name,
           guint      *value,
           GError    **error)
{
  return ptl_h5_read_scalar (file, name, H5T_NATIVE_UINT, value, error);
}

static gboolean
read_geometry (hid_t        file,
               PtlGeometry *geometry,
               GError     **error)
{
  GError *invalid = NULL;
  double energy, pixel;

  if (!read_double (file, CXI_SOURCE "/energy", &energy, error)
      || !read_double (file, CXI_DETECTOR "/distance", &geometry->distance, error)
      || !read_double (file, CXI_DETECTOR "/x_pixel_size", &pixel, error)
      || !read_uint (file, APP_GROUP "/frame_size", &geometry->frame_size, error)
      || !read_uint (file, APP_GROUP "/bin", &geometry->bin, error))
    return FALSE;
  geometry->energy_ev = energy / PTL_ELECTRONVOLT_J;
  /* A zero bin is left for the validation to name. */
  geometry->detector_pixel = pixel / MAX (geometry->bin, 1);
  if (!ptl_geometry_validate (geometry, &invalid))
    return format_error (error, "geometry (" CXI_SOURCE ", " CXI_DETECTOR ", " APP_GROUP ")",
                         invalid);
  return TRUE;
}

static gboolean
read_mapping (hid_t           file,
              PtlAxisMapping *mapping,
              GError        **error)
{
  const char *object = APP_GROUP "/position_mapping";
  GError *invalid = NULL;
  int swap_xy;

  if (!ptl_h5_read_attribute (file, object, "scale", H5T_NATIVE_DOUBLE, &mapping->scale, error)
      || !ptl_h5_read_attribute (file, object, "swap_xy", H5T_NATIVE_INT, &swap_xy, error)
      || !ptl_h5_read_attribute (file, object, "sign_x", H5T_NATIVE_INT, &mapping->sign_x, error)
      || !ptl_h5_read_attribute (file, object, "sign_y", H5T_NATIVE_INT, &mapping->sign_y, error))
    return FALSE;
  if (swap_xy != 0 && swap_xy != 1)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: swap_xy is %d, not 0 or 1",
                   object, swap_xy);
      return FALSE;
    }
  mapping->swap_xy = swap_xy;
  if (!ptl_axis_mapping_validate (mapping, &invalid))
    return format_error (error, object, invalid);
  return TRUE;
}

static gboolean
read_parameters (hid_t           file,
                 PtlReconParams *params,
                 GError        **error)
{
  g_autofree char *algorithm = NULL;
  g_autofree char *probe_init = NULL;
  GError *invalid = NULL;
  gboolean known_init = FALSE;

  if ((algorithm = ptl_h5_read_string (file, APP_PARAMETERS "/algorithm", error)) == NULL
      || (probe_init = ptl_h5_read_string (file, APP_PARAMETERS "/probe_init", error)) == NULL
      || !read_uint (file, APP_PARAMETERS "/iterations", &params->iterations, error)
      || !read_double (file, APP_PARAMETERS "/alpha", &params->alpha, error)
      || !read_double (file, APP_PARAMETERS "/beta", &params->beta, error)
      || !read_uint (file, APP_PARAMETERS "/probe_update_start", &params->probe_update_start, error)
      || !ptl_h5_read_scalar (file, APP_PARAMETERS "/seed", H5T_NATIVE_UINT64, &params->seed,
                              error))
    return FALSE;
  if (!ptl_algorithm_from_string (algorithm, &params->algorithm, &invalid))
    return format_error (error, APP_PARAMETERS "/algorithm", invalid);
  for (guint i = 0; i < G_N_ELEMENTS (_ptl_result_probe_init_names); i++)
    if (g_strcmp0 (probe_init, _ptl_result_probe_init_names[i]) == 0)
      {
        params->probe_init = i;
        known_init = TRUE;
      }
  if (!known_init)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   APP_PARAMETERS "/probe_init: unknown probe initialisation “%s”", probe_init);
      return FALSE;
    }
  if (!ptl_recon_params_validate (params, &invalid))
    return format_error (error, APP_PARAMETERS, invalid);
  return TRUE;
}

/* A float64 (n) or (n, columns) dataset with n ≤ @max_rows; *values is NULL for n = 0. */
static gboolean
read_rows (hid_t       file,
           const char *name,
           int         rank,
           hsize_t     columns,
           guint       max_rows,
           double    **values,
           guint      *n_rows,
           GError    **error)
{
  g_auto (PtlH5Id) dataset = ptl_h5_open_dataset (file, name, error);
  g_autofree double *rows = NULL;
  hsize_t dims[2] = { 0, columns };
  int found;

  if (dataset < 0 || !ptl_h5_get_shape (dataset, rank, rank, &found, dims, error))
    return FALSE;
  if (dims[1] != columns || dims[0] > max_rows)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: %" G_GUINT64_FORMAT " rows of %" G_GUINT64_FORMAT
                   ", expected at most %u rows of %" G_GUINT64_FORMAT,
                   name, (guint64) dims[0], (guint64) dims[1], max_rows, (guint64) columns);
      return FALSE;
    }
  rows = g_new (double, dims[0] * columns);
  if (!ptl_h5_read (dataset, H5T_NATIVE_DOUBLE, dims[0] * columns, rows, error))
    return FALSE;
  *values = g_steal_pointer (&rows);
  *n_rows = dims[0];
  return TRUE;
}

static gboolean
read_contents (hid_t      file,
               PtlResult *result,
               GError   **error)
{
  g_autofree double *xyz = NULL;
  int cxi_version;

  /* Present in every CXI file whatever its version: tells a CXI file from other HDF5. */
  if (!ptl_h5_read_scalar (file, "/cxi_version", H5T_NATIVE_INT, &cxi_version, error))
    return FALSE;
  if ((result->probe = read_image (file, CXI_PROBE_DATA, error)) == NULL
      || (result->object = read_image (file, CXI_OBJECT_DATA, error)) == NULL
      || !read_geometry (file, &result->geometry, error)
      || !read_mapping (file, &result->mapping, error)
      || !read_parameters (file, &result->params, error)
      || !read_double (file, APP_GROUP "/pixel_size", &result->pixel_size, error)
      || !read_rows (file, CXI_TRANSLATION, 2, 3, RESULT_MAX_POSITIONS, &xyz,
                     &result->n_positions, error)
      || !read_rows (file, APP_GROUP "/fourier_error", 1, 1, RESULT_MAX_ERRORS, &result->errors,
                     &result->n_iterations, error))
    return FALSE;
  if (!(result->pixel_size > 0.0 && isfinite (result->pixel_size)))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   APP_GROUP "/pixel_size: %g m is not a pixel size", result->pixel_size);
      return FALSE;
    }

  result->translation = g_new (double, 2 * (gsize) result->n_positions);
  for (gsize i = 0; i < result->n_positions; i++)
    {
      result->translation[2 * i] = xyz[3 * i];
      result->translation[2 * i + 1] = xyz[3 * i + 1];
    }
  if (ptl_h5_exists (file, APP_GROUP "/backend")
      && (result->backend = ptl_h5_read_string (file, APP_GROUP "/backend", error)) == NULL)
    return FALSE;
  return TRUE;
}

static hid_t
open_file (const char *path,
           GError    **error)
{
  GStatBuf info;
  htri_t is_hdf5;
  hid_t file;

  if (g_stat (path, &info) != 0)
    {
      int saved = errno;
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "Cannot read %s: %s", path,
                   g_strerror (saved));
      return H5I_INVALID_HID;
    }
  if (S_ISDIR (info.st_mode))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "Cannot read %s: it is a directory",
                   path);
      return H5I_INVALID_HID;
    }
  is_hdf5 = H5Fis_hdf5 (path);
  if (is_hdf5 == 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "Cannot read %s: not an HDF5 file",
                   path);
      return H5I_INVALID_HID;
    }
  file = is_hdf5 > 0 ? H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT) : H5I_INVALID_HID;
  if (file < 0)
    {
      g_autofree char *detail = ptl_h5_error_detail ();
      g_set_error (error, PTL_IO_ERROR, is_hdf5 > 0 ? PTL_IO_ERROR_READ : PTL_IO_ERROR_OPEN,
                   "Cannot read %s: %s (%s)", path,
                   is_hdf5 > 0 ? "damaged or truncated HDF5 file" : "cannot open",
                   detail != NULL ? detail : "no reason given");
    }
  return file;
}

PtlResult *
ptl_result_file_read (const char *path,
                      GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_autoptr (PtlResult) result = NULL;
  g_auto (PtlH5Id) file = H5I_INVALID_HID;

  g_return_val_if_fail (path != NULL, NULL);

  file = open_file (path, error);
  if (file < 0)
    return NULL;
  result = ptl_result_new ();
  if (!read_contents (file, result, error))
    {
      g_prefix_error (error, "Cannot read %s: ", path);
      return NULL;
    }
  return g_steal_pointer (&result);
}
