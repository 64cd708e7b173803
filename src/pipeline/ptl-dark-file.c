#include "config.h"

#include "ptl-dark-file.h"

#include <hdf5.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "preprocess/ptl-preprocess.h"

#define MAX_DARK_FRAMES 4096

static const char *const dark_datasets[] = {
  "/dark",
  "/entry/instrument/detector/dark",
  "/entry/data/data",
};

static PtlArray *
read_dark (hid_t       dataset,
           guint       rows,
           guint       cols,
           GError    **error)
{
  hsize_t dims[3];
  int rank;

  if (!ptl_h5_get_shape (dataset, 2, 3, &rank, dims, error))
    return NULL;
  hsize_t frames = rank == 3 ? dims[0] : 1;
  if (dims[rank - 2] != rows || dims[rank - 1] != cols || frames == 0 || frames > MAX_DARK_FRAMES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "the dark is %llu×%llu (%llu frames), the detector %u×%u (1 to %u frames)",
                   (unsigned long long) dims[rank - 2], (unsigned long long) dims[rank - 1],
                   (unsigned long long) frames, rows, cols, MAX_DARK_FRAMES);
      return NULL;
    }
  gsize pixels = (gsize) rows * cols;
  g_autoptr (PtlArray) dark = ptl_array_try_new (PTL_DTYPE_FLOAT, 2, (gsize[]) { rows, cols },
                                                 error);
  if (dark == NULL)
    return NULL;
  if (rank == 2)
    return ptl_h5_read (dataset, H5T_NATIVE_FLOAT, pixels, dark->data, error)
             ? g_steal_pointer (&dark) : NULL;

  g_autofree guint16 *series = g_try_new (guint16, frames * pixels);
  g_autofree float *sigma = g_try_new (float, pixels);
  if (series == NULL || sigma == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "cannot hold %llu dark frames",
                   (unsigned long long) frames);
      return NULL;
    }
  if (!ptl_h5_read (dataset, H5T_NATIVE_UINT16, frames * pixels, series, error)
      || !ptl_dark_from_series (series, (guint) frames, rows, cols, dark->data, sigma, error))
    return NULL;
  return g_steal_pointer (&dark);
}

PtlArray *
ptl_dark_file_read (const char *path,
                    guint       rows,
                    guint       cols,
                    GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) file = H5I_INVALID_HID;
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  const char *name = NULL;
  PtlArray *dark;

  file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN,
                   "Cannot read the dark file %s: not an HDF5 file, or missing", path);
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (dark_datasets) && name == NULL; i++)
    if (ptl_h5_exists (file, dark_datasets[i]))
      name = dark_datasets[i];
  if (name == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Cannot read the dark file %s: no dark in it (looked for %s, %s and %s)", path,
                   dark_datasets[0], dark_datasets[1], dark_datasets[2]);
      return NULL;
    }
  dataset = ptl_h5_open_dataset (file, name, error);
  dark = dataset < 0 ? NULL : read_dark (dataset, rows, cols, error);
  if (dark == NULL)
    g_prefix_error (error, "Cannot read the dark file %s: ", path);
  return dark;
}
