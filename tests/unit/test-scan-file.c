/* Reading other programs' CXI files, written here with plain HDF5 calls: N×3 and PyNX's
 * 3×N translation, intensities of any number type, a writer killed in SWMR mode; and
 * their damaged variants, which must fail with an error that names what is wrong. Our own
 * damaged recordings: test-scan-file-damaged.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-recording.h"
#include "test-recording-common.h"

#define E_J 1.602176634e-19
#define HC_EV_M 1.23984198e-6

typedef struct
{
  guint       n;
  guint       m;
  gboolean    transposed;  /* PyNX's (3, N) translation */
  gboolean    counts;      /* uint16 counts at data_1/data, gzipped, instead of float32 */
  double      energy_j;
  const char *translation; /* where, or NULL for none */
} Foreign;

/* The intensities and translation written, for comparison. */
static void
write_foreign (const char    *path,
               const Foreign *f,
               float         *intensity,
               double        *xyz)
{
  g_auto (PtlH5Id) file = H5Fcreate (path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[3] = { f->n, f->m, f->m }, chunk[3] = { 1, f->m, f->m };
  hsize_t tdims[2] = { f->transposed ? 3 : f->n, f->transposed ? f->n : 3 };
  g_autofree guint16 *counts = g_new (guint16, (gsize) f->n * f->m * f->m);
  g_autofree double *stored = g_new (double, 3 * (gsize) f->n);
  int version = 140;

  for (gsize i = 0; i < (gsize) f->n * f->m * f->m; i++)
    {
      counts[i] = (i * 7919) % 1000;
      intensity[i] = f->counts ? counts[i] : (float) (0.25 * ((i * 104729) % 977));
    }
  for (guint k = 0; k < f->n; k++)
    {
      xyz[3 * k] = 1e-6 * k;
      xyz[3 * k + 1] = -0.5e-6 * k + 2e-7;
      xyz[3 * k + 2] = 0.0;
      for (guint c = 0; c < 3; c++)
        stored[f->transposed ? c * f->n + k : 3 * k + c] = xyz[3 * k + c];
    }
  test_recording_write_dataset (file, "/cxi_version", H5T_STD_I32LE, 0, NULL, NULL, H5T_NATIVE_INT,
                                &version);
  if (f->counts)
    test_recording_write_dataset (file, "/entry_1/data_1/data", H5T_STD_U16LE, 3, dims, chunk,
                                  H5T_NATIVE_UINT16, counts);
  else
    {
      test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", H5T_IEEE_F32LE,
                                    3, dims, NULL, H5T_NATIVE_FLOAT, intensity);
      g_auto (PtlH5Id) lcpl = H5Pcreate (H5P_LINK_CREATE);

      H5Pset_create_intermediate_group (lcpl, 1);
      g_assert_cmpint (H5Lcreate_soft ("/entry_1/instrument_1/detector_1/data", file,
                                       "/entry_1/data_1/data", lcpl, H5P_DEFAULT), >=, 0);
    }
  test_recording_write_double (file, "/entry_1/instrument_1/source_1/energy", f->energy_j);
  test_recording_write_double (file, "/entry_1/instrument_1/detector_1/distance", 1.5);
  test_recording_write_double (file, "/entry_1/instrument_1/detector_1/x_pixel_size", 150e-6);
  test_recording_write_double (file, "/entry_1/instrument_1/detector_1/y_pixel_size", 151e-6);
  test_recording_write_double (file, "/entry_1/instrument_1/detector_1/frame_time", 0.05);
  if (f->translation != NULL)
    test_recording_write_dataset (file, f->translation, H5T_IEEE_F64LE, 2, tdims, NULL,
                                  H5T_NATIVE_DOUBLE, stored);
}

static void
test_foreign (Fixture      *fixture,
              gconstpointer data)
{
  const Foreign *f = data;
  g_autoptr (GError) error = NULL;
  gsize frame = (gsize) f->m * f->m;
  g_autofree float *intensity = g_new (float, f->n * frame);
  g_autofree float *read = g_new (float, frame);
  g_autofree double *xyz = g_new (double, 3 * f->n);
  g_autoptr (PtlScanFile) file = NULL;
  const PtlSeriesInfo *series;

  write_foreign (fixture->path, f, intensity, xyz);
  file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_false (ptl_scan_file_is_raw (file));
  g_assert_null (ptl_scan_file_preprocess (file));
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, f->n);
  series = ptl_scan_file_series (file);
  g_assert_cmpuint (series->image_rows, ==, f->m);
  g_assert_cmpuint (series->image_cols, ==, f->m);
  g_assert_cmpfloat_with_epsilon (series->energy_ev, f->energy_j / E_J, 1e-9);
  g_assert_cmpfloat_with_epsilon (series->wavelength, HC_EV_M / (f->energy_j / E_J), 1e-18);
  g_assert_cmpfloat (series->detector_distance, ==, 1.5);
  g_assert_cmpfloat (series->pixel_size_x, ==, 150e-6);
  g_assert_cmpfloat (series->pixel_size_y, ==, 151e-6);
  g_assert_cmpfloat (ptl_scan_file_frame_time (file), ==, 0.05);
  for (guint k = 0; k < f->n; k++)
    {
      double x, y;

      g_assert_true (ptl_scan_file_read_intensity (file, k, read, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (read, frame * sizeof (float), intensity + k * frame, frame * sizeof (float));
      if (f->translation == NULL)
        g_assert_false (ptl_scan_file_translation (file, k, &x, &y));
      else
        {
          g_assert_true (ptl_scan_file_translation (file, k, &x, &y));
          g_assert_cmpfloat (x, ==, xyz[3 * k]);
          g_assert_cmpfloat (y, ==, xyz[3 * k + 1]);
        }
    }
  g_assert_false (ptl_scan_file_read_intensity (file, f->n, read, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ);
  g_clear_error (&error);
  g_assert_false (ptl_scan_file_read_image (file, 0, &(PtlImageInfo *) { NULL }, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
}

static void
non_square (hid_t file)
{
  hsize_t dims[3] = { 2, 8, 10 };

  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", H5T_IEEE_F32LE, 3,
                                dims, NULL, H5T_NATIVE_FLOAT, NULL);
}

static void
flat_data (hid_t file)
{
  hsize_t dims[2] = { 8, 8 };

  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", H5T_IEEE_F32LE, 2,
                                dims, NULL, H5T_NATIVE_FLOAT, NULL);
}

/* Sizes that would ask for gigabytes, declared by chunked datasets that hold nothing. */
static void
huge_count (hid_t file)
{
  hsize_t dims[3] = { (hsize_t) 1 << 40, 8, 8 }, chunk[3] = { 1, 8, 8 };

  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", H5T_IEEE_F32LE, 3,
                                dims, chunk, H5T_NATIVE_FLOAT, NULL);
}

static void
huge_side (hid_t file)
{
  hsize_t dims[3] = { 1, 1 << 20, 1 << 20 }, chunk[3] = { 1, 64, 64 };

  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", H5T_IEEE_F32LE, 3,
                                dims, chunk, H5T_NATIVE_FLOAT, NULL);
}

static void
text_data (hid_t file)
{
  hsize_t dims[3] = { 2, 4, 4 };
  g_auto (PtlH5Id) type = H5Tcopy (H5T_C_S1);

  H5Tset_size (type, 8);
  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/instrument_1/detector_1/data", type, 3, dims, NULL,
                                type, NULL);
}

static void
two_column_translation (hid_t file)
{
  hsize_t dims[2] = { 4, 2 };

  H5Ldelete (file, "/entry_1/data_1/translation", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/data_1/translation", H5T_IEEE_F64LE, 2, dims, NULL,
                                H5T_NATIVE_DOUBLE, NULL);
}

static void
short_translation (hid_t file)
{
  hsize_t dims[2] = { 3, 3 };

  H5Ldelete (file, "/entry_1/data_1/translation", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/data_1/translation", H5T_IEEE_F64LE, 2, dims, NULL,
                                H5T_NATIVE_DOUBLE, NULL);
}

static void
energy_in_ev (hid_t file)
{
  H5Ldelete (file, "/entry_1/instrument_1/source_1/energy", H5P_DEFAULT);
  test_recording_write_double (file, "/entry_1/instrument_1/source_1/energy", 8000.0);
}

static void
negative_distance (hid_t file)
{
  H5Ldelete (file, "/entry_1/instrument_1/detector_1/distance", H5P_DEFAULT);
  test_recording_write_double (file, "/entry_1/instrument_1/detector_1/distance", -1.5);
}

static void
no_data (hid_t file)
{
  H5Ldelete (file, "/entry_1/data_1/data", H5P_DEFAULT);
  H5Ldelete (file, "/entry_1/instrument_1/detector_1/data", H5P_DEFAULT);
}

static void
test_foreign_errors (Fixture      *fixture,
                     gconstpointer data)
{
  static const struct
  {
    Damage      damage;
    const char *fragment;
  } cases[] = {
    { non_square, "8×10 frames; processed intensities are square" },
    { flat_data, "has 2 dimensions, expected 3" },
    { huge_count, "1099511627776 frames" },
    { huge_side, "1048576 pixels a side" },
    { text_data, "holds a string" },
    { two_column_translation, "is 4×2, expected 4×3 or 3×4" },
    { short_translation, "is 3×3, expected 4×3 or 3×4" },
    { energy_in_ev, "not a photon energy in J" },
    { negative_distance, "distance is -1.5, not a positive number" },
    { no_data, "neither a recording of this program nor a CXI scan" },
  };
  const Foreign f = { 4, 8, FALSE, FALSE, 8000 * E_J, "/entry_1/data_1/translation" };
  float intensity[4 * 8 * 8];
  double xyz[4 * 3];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_remove (fixture->path);
      write_foreign (fixture->path, &f, intensity, xyz);
      test_recording_damage_file (fixture->path, cases[i].damage);
      test_recording_expect_open_error (fixture->path, PTL_IO_ERROR_FORMAT, cases[i].fragment);
    }
}

static void
test_not_a_scan (Fixture      *fixture,
                 gconstpointer data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.cxi", NULL);

  test_recording_expect_open_error (missing, PTL_IO_ERROR_OPEN, "no such file");
  g_assert_true (g_file_set_contents (fixture->path, "{\"not\": \"HDF5\"}", -1, NULL));
  test_recording_expect_open_error (fixture->path, PTL_IO_ERROR_FORMAT, "not an HDF5 file");
  g_remove (fixture->path);
  {
    g_auto (PtlH5Id) file = H5Fcreate (fixture->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    g_assert_cmpint (file, >=, 0);
  }
  test_recording_expect_open_error (fixture->path, PTL_IO_ERROR_FORMAT, "neither a recording");
}

/* A CXI file whose writer (HDF5's SWMR mode) was killed keeps "open for writing" flags that
 * a plain open refuses; it reads with the frames its last flush wrote. */
static void
test_swmr_killed (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = NULL;
  float frame[8 * 8], read[8 * 8];
  int status;
  pid_t pid;

  for (guint i = 0; i < G_N_ELEMENTS (frame); i++)
    frame[i] = 0.5f * i;
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      hid_t fapl = H5Pcreate (H5P_FILE_ACCESS), dcpl = H5Pcreate (H5P_DATASET_CREATE);
      hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
      hsize_t dims[3] = { 0, 8, 8 }, max[3] = { H5S_UNLIMITED, 8, 8 }, one[3] = { 1, 8, 8 };
      hid_t file_id, space, dataset;

      H5Pset_libver_bounds (fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
      H5Pset_chunk (dcpl, 3, one);
      H5Pset_create_intermediate_group (lcpl, 1);
      file_id = H5Fcreate (fixture->path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
      space = H5Screate_simple (3, dims, max);
      dataset = H5Dcreate2 (file_id, "/entry_1/data_1/data", H5T_IEEE_F32LE, space, lcpl, dcpl,
                            H5P_DEFAULT);
      if (dataset < 0 || H5Fstart_swmr_write (file_id) < 0 || H5Dset_extent (dataset, one) < 0
          || H5Dwrite (dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, frame) < 0
          || H5Fflush (file_id, H5F_SCOPE_GLOBAL) < 0)
        _exit (3);
      raise (SIGKILL);
      _exit (4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  /* HDF5 itself refuses the plain open. */
  {
    g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
    g_assert_cmpint (H5Fopen (fixture->path, H5F_ACC_RDONLY, H5P_DEFAULT), <, 0);
  }
  file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, 1);
  g_assert_true (ptl_scan_file_read_intensity (file, 0, read, &error));
  g_assert_cmpmem (read, sizeof read, frame, sizeof frame);
}

int
main (int   argc,
      char *argv[])
{
  static const Foreign foreign[] = {
    { 4, 16, FALSE, FALSE, 8000 * E_J, "/entry_1/sample_1/geometry_1/translation" },
    { 5, 8, TRUE, TRUE, 6200 * E_J, "/entry_1/data_1/translation" },
    { 3, 8, FALSE, FALSE, 9000 * E_J, "/entry_1/data_1/translation" },
    { 2, 8, FALSE, TRUE, 7000 * E_J, NULL },
  };
  static const char *const names[] = { "n-by-3", "3-by-n-counts", "3-by-3", "no-translation" };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (foreign); i++)
    {
      g_autofree char *path = g_strdup_printf ("/scan-file/foreign/%s", names[i]);
      g_test_add (path, Fixture, &foreign[i], test_recording_fixture_set_up, test_foreign,
                  test_recording_fixture_tear_down);
    }
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, test_recording_fixture_set_up, func, \
              test_recording_fixture_tear_down)
  ADD ("/scan-file/foreign-errors", test_foreign_errors);
  ADD ("/scan-file/not-a-scan", test_not_a_scan);
  ADD ("/scan-file/swmr-killed", test_swmr_killed);
#undef ADD
  return g_test_run ();
}
