/* Dark files: a series of uint16 frames is averaged, a mean dark is read as it is, and a
 * file of the wrong shape or without a dark fails with a message that names it. */
#include "config.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <string.h>

#include "core/ptl-error.h"
#include "pipeline/ptl-dark-file.h"

#define ROWS 6
#define COLS 5
#define FRAMES 4

static char *
write_file (const char   *dataset,
            int           rank,
            const hsize_t *dims,
            hid_t          type,
            gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("ptl-test-dark-XXXXXX", NULL);
  char *path = g_build_filename (dir, "dark.h5", NULL);
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  H5Pset_create_intermediate_group (lcpl, 1);
  hid_t space = H5Screate_simple (rank, dims, NULL);
  hid_t set = H5Dcreate2 (file, dataset, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (H5Dwrite (set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), >=, 0);
  H5Dclose (set);
  H5Sclose (space);
  H5Pclose (lcpl);
  H5Fclose (file);
  return path;
}

static void
remove_file (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_series (void)
{
  guint16 frames[FRAMES * ROWS * COLS];
  g_autoptr (GError) error = NULL;

  for (guint k = 0; k < FRAMES; k++)
    for (guint i = 0; i < ROWS * COLS; i++)
      frames[k * ROWS * COLS + i] = (guint16) (100 + i + 2 * k);
  hsize_t dims[] = { FRAMES, ROWS, COLS };
  g_autofree char *path = write_file ("/entry/data/data", 3, dims, H5T_NATIVE_UINT16, frames);
  g_autoptr (PtlArray) dark = ptl_dark_file_read (path, ROWS, COLS, &error);
  g_assert_no_error (error);
  /* Mean over k of 100 + i + 2k = 100 + i + (FRAMES − 1). */
  for (guint i = 0; i < ROWS * COLS; i++)
    g_assert_cmpfloat_with_epsilon (ptl_array_float (dark)[i], 100.0 + i + (FRAMES - 1), 1e-4);
  remove_file (path);
}

static void
test_mean_and_errors (void)
{
  float mean[ROWS * COLS];
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < ROWS * COLS; i++)
    mean[i] = 0.5f * i;
  hsize_t dims[] = { ROWS, COLS };
  g_autofree char *path = write_file ("/dark", 2, dims, H5T_NATIVE_FLOAT, mean);
  g_autoptr (PtlArray) dark = ptl_dark_file_read (path, ROWS, COLS, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ROWS * COLS; i++)
    g_assert_cmpfloat (ptl_array_float (dark)[i], ==, mean[i]);

  g_assert_null (ptl_dark_file_read (path, ROWS + 1, COLS, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  remove_file (path);

  g_autofree char *other = write_file ("/something", 2, dims, H5T_NATIVE_FLOAT, mean);
  g_assert_null (ptl_dark_file_read (other, ROWS, COLS, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_clear_error (&error);
  remove_file (other);

  g_assert_null (ptl_dark_file_read ("/nonexistent/dark.h5", ROWS, COLS, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dark-file/series", test_series);
  g_test_add_func ("/dark-file/mean-and-errors", test_mean_and_errors);
  return g_test_run ();
}
