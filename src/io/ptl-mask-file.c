#include "config.h"

#include "ptl-mask-file.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"

static const char *const mask_datasets[] = {
  "/entry/instrument/detector/pixel_mask",
  "/entry_1/instrument_1/detector_1/mask",
  "/mask",
};

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
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "Cannot read the mask file %s: %s",
                   path, g_strerror (saved));
      return H5I_INVALID_HID;
    }
  if (S_ISDIR (info.st_mode))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN,
                   "Cannot read the mask file %s: it is a directory", path);
      return H5I_INVALID_HID;
    }
  is_hdf5 = H5Fis_hdf5 (path);
  if (is_hdf5 == 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Cannot read the mask file %s: not an HDF5 file", path);
      return H5I_INVALID_HID;
    }
  file = is_hdf5 > 0 ? H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT) : H5I_INVALID_HID;
  if (file < 0)
    {
      g_autofree char *detail = ptl_h5_error_detail ();
      g_set_error (error, PTL_IO_ERROR, is_hdf5 > 0 ? PTL_IO_ERROR_READ : PTL_IO_ERROR_OPEN,
                   "Cannot read the mask file %s: %s (%s)", path,
                   is_hdf5 > 0 ? "damaged or truncated HDF5 file" : "cannot open",
                   detail != NULL ? detail : "no reason given");
    }
  return file;
}

static char *
shape_text (int            rank,
            const hsize_t *dims)
{
  GString *text = g_string_new (rank == 0 ? "a scalar" : NULL);

  for (int d = 0; d < rank; d++)
    g_string_append_printf (text, "%s%" G_GUINT64_FORMAT, d > 0 ? "×" : "", (guint64) dims[d]);
  return g_string_free (text, FALSE);
}

/* Reads the mask as 32-bit integers of the file's signedness: HDF5 clips what does not fit to
 * the largest or smallest value, so a nonzero entry stays nonzero whatever its width. */
static guint8 *
read_mask (hid_t       dataset,
           const char *name,
           guint       rows,
           guint       cols,
           GError    **error)
{
  g_auto (PtlH5Id) type = H5Dget_type (dataset);
  hsize_t dims[H5S_MAX_RANK];
  gsize n = (gsize) rows * cols;
  int rank;

  if (!ptl_h5_get_shape (dataset, 0, H5S_MAX_RANK, &rank, dims, error)
      || !ptl_h5_check_type (dataset, H5T_NATIVE_UINT32, error))
    return NULL;
  if (H5Tget_class (type) != H5T_INTEGER)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: holds floating-point numbers, expected integers (nonzero = bad pixel)",
                   name);
      return NULL;
    }
  if (rank != 2 || dims[0] != rows || dims[1] != cols)
    {
      g_autofree char *found = shape_text (rank, dims);
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: has shape %s, the detector frames are %u×%u", name, found, rows,
                   cols);
      return NULL;
    }

  g_autofree guint32 *values = g_try_new (guint32, n);
  if (values == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: cannot allocate %u×%u values", name,
                   rows, cols);
      return NULL;
    }
  if (!ptl_h5_read (dataset, H5Tget_sign (type) == H5T_SGN_2 ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32,
                    n, values, error))
    return NULL;
  guint8 *good = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    good[i] = values[i] == 0;
  return good;
}

guint8 *
ptl_mask_file_read (const char *path,
                    guint       rows,
                    guint       cols,
                    GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) file = H5I_INVALID_HID;
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  const char *name = NULL;
  guint8 *good;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (rows > 0 && cols > 0, NULL);

  file = open_file (path, error);
  if (file < 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (mask_datasets) && name == NULL; i++)
    if (ptl_h5_exists (file, mask_datasets[i]))
      name = mask_datasets[i];
  if (name == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Cannot read the mask file %s: no mask in it (looked for %s, %s and %s)", path,
                   mask_datasets[0], mask_datasets[1], mask_datasets[2]);
      return NULL;
    }
  dataset = ptl_h5_open_dataset (file, name, error);
  good = dataset < 0 ? NULL : read_mask (dataset, name, rows, cols, error);
  if (good == NULL)
    g_prefix_error (error, "Cannot read the mask file %s: ", path);
  return good;
}
