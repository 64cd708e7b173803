/* Result files that cannot be read (missing, not HDF5, truncated, damaged in each field)
 * and writes that fail, each with an error that names the file and says what is wrong,
 * nothing on stderr, no HDF5 object left open, and no older result lost. */
#include "config.h"

#include <hdf5.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-result-file.h"
#include "test-result-file-common.h"

#define OBJECT_DATA "/entry_1/image_2/data"
#define PARAMETERS "/entry_1/ptycholive/parameters"

/* The calling test runs again in a child, so that the parent sees that nothing (no HDF5 error
 * stack in particular) reached stderr. TRUE in the parent, once the child has passed. */
static gboolean
ran_in_child (void)
{
  if (g_test_subprocess ())
    return FALSE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
  return TRUE;
}

static void
expect_read_error (const char *path,
                   int         code,
                   const char *mention)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlResult) result = ptl_result_file_read (path, &error);

  g_assert_null (result);
  g_assert_error (error, PTL_IO_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (mention != NULL)
    g_assert_nonnull (strstr (error->message, mention));
  test_result_assert_no_open_objects ();
}

typedef enum
{
  INTACT,
  DELETE_ALPHA,
  OBJECT_AS_FLOAT,
  OBJECT_ABSURD,
  TRANSLATION_RANK_1,
  TRANSLATION_ABSURD,
  BIN_ZERO,
  UNKNOWN_ALGORITHM,
  SCALE_AS_STRING,
} Damage;

/* Chunked and never written, so that an absurd shape costs no disk space. */
static void
replace_dataset (hid_t          file,
                 const char    *name,
                 hid_t          type,
                 int            rank,
                 const hsize_t *dims)
{
  hsize_t chunk[3] = { 1, 1, 1 };
  g_auto (PtlH5Id) space = H5Screate_simple (rank, dims, NULL);
  g_auto (PtlH5Id) creation = H5Pcreate (H5P_DATASET_CREATE);
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;

  g_assert_cmpint (H5Ldelete (file, name, H5P_DEFAULT), >=, 0);
  H5Pset_chunk (creation, rank, chunk);
  dataset = H5Dcreate2 (file, name, type, space, H5P_DEFAULT, creation, H5P_DEFAULT);
  g_assert_cmpint (dataset, >=, 0);
}

/* A fresh valid result at @path, then damaged. */
static void
write_damaged (const char *path,
               Damage      damage)
{
  const char *mapping = "/entry_1/ptycholive/position_mapping";
  hsize_t object_dims[] = { 1, 37, 53 }, absurd_image[] = { 1, 1 << 20, 1 << 20 };
  hsize_t rank_1[] = { 27 }, absurd_rows[] = { (hsize_t) 1 << 40, 3 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (PtlResult) result = test_result_make_2d (rand, 9, 3);
  g_auto (PtlH5Id) complex_type = H5I_INVALID_HID;
  guint zero = 0;
  hid_t file;

  test_result_write (path, result);
  file = H5Fopen (path, H5F_ACC_RDWR, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  switch (damage)
    {
    case INTACT:
      break;
    case DELETE_ALPHA:
      g_assert_cmpint (H5Ldelete (file, PARAMETERS "/alpha", H5P_DEFAULT), >=, 0);
      break;
    case OBJECT_AS_FLOAT:
      replace_dataset (file, OBJECT_DATA, H5T_NATIVE_FLOAT, 3, object_dims);
      break;
    case OBJECT_ABSURD:
      complex_type = ptl_h5_complex_type_new ();
      replace_dataset (file, OBJECT_DATA, complex_type, 3, absurd_image);
      break;
    case TRANSLATION_RANK_1:
      replace_dataset (file, TRANSLATION, H5T_NATIVE_DOUBLE, 1, rank_1);
      break;
    case TRANSLATION_ABSURD:
      replace_dataset (file, TRANSLATION, H5T_NATIVE_DOUBLE, 2, absurd_rows);
      break;
    case BIN_ZERO:
      g_assert_cmpint (H5Ldelete (file, "/entry_1/ptycholive/bin", H5P_DEFAULT), >=, 0);
      g_assert_true (ptl_h5_write_scalar (file, "/entry_1/ptycholive/bin", H5T_NATIVE_UINT, &zero,
                                          NULL, NULL));
      break;
    case UNKNOWN_ALGORITHM:
      g_assert_cmpint (H5Ldelete (file, PARAMETERS "/algorithm", H5P_DEFAULT), >=, 0);
      g_assert_true (ptl_h5_write_string (file, PARAMETERS "/algorithm", "magic", NULL));
      break;
    case SCALE_AS_STRING:
      g_assert_cmpint (H5Adelete_by_name (file, mapping, "scale", H5P_DEFAULT), >=, 0);
      g_assert_true (ptl_h5_write_string_attribute (file, mapping, "scale", "1e-6", NULL));
      break;
    }
  g_assert_cmpint (H5Fclose (file), >=, 0);
}

static void
test_read_errors (Fixture      *fixture,
                  gconstpointer data)
{
  static const struct
  {
    Damage      damage;
    const char *mention;
  } damaged[] = {
    { DELETE_ALPHA, PARAMETERS "/alpha: missing dataset" },
    { OBJECT_AS_FLOAT, OBJECT_DATA ": holds floating-point numbers, expected complex" },
    { OBJECT_ABSURD, OBJECT_DATA ": Array larger than" },
    { TRANSLATION_RANK_1, TRANSLATION ": has 1 dimensions, expected 2" },
    { TRANSLATION_ABSURD, TRANSLATION ": 1099511627776 rows" },
    { BIN_ZERO, "Binning must be" },
    { UNKNOWN_ALGORITHM, PARAMETERS "/algorithm: Unknown algorithm" },
    { SCALE_AS_STRING, "position_mapping: attribute “scale” holds a string" },
  };
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.cxi", NULL);
  g_autofree char *contents = NULL;
  gsize length;

  if (ran_in_child ())
    return;

  expect_read_error (missing, PTL_IO_ERROR_OPEN, "No such file");
  expect_read_error (fixture->dir, PTL_IO_ERROR_OPEN, "directory");

  g_assert_true (g_file_set_contents (fixture->path, "", 0, NULL));
  expect_read_error (fixture->path, PTL_IO_ERROR_FORMAT, "not an HDF5 file");
  g_assert_true (g_file_set_contents (fixture->path, "\x89HDF but then nothing at all", -1, NULL));
  expect_read_error (fixture->path, PTL_IO_ERROR_FORMAT, "not an HDF5 file");

  write_damaged (fixture->path, INTACT);
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (fixture->path, contents, length / 2, NULL));
  expect_read_error (fixture->path, PTL_IO_ERROR_READ, "truncated");
  g_assert_true (g_file_set_contents (fixture->path, contents, 1024, NULL));
  expect_read_error (fixture->path, PTL_IO_ERROR_READ, "truncated");

  H5Fclose (H5Fcreate (fixture->path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  expect_read_error (fixture->path, PTL_IO_ERROR_FORMAT, "/cxi_version: missing dataset");

  for (guint i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      write_damaged (fixture->path, damaged[i].damage);
      expect_read_error (fixture->path, PTL_IO_ERROR_FORMAT, damaged[i].mention);
    }
}

static void
expect_write_error (const char      *path,
                    const PtlResult *result,
                    GQuark           domain,
                    int              code)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (ptl_result_file_write (path, result, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  test_result_assert_no_open_objects ();
}

static void
test_write_errors (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (PtlResult) result = test_result_make_2d (rand, 3, 3);

  expect_write_error ("/nonexistent/dir/x.cxi", result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  expect_write_error (fixture->dir, result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  g_clear_pointer (&result->probe, ptl_array_free);
  expect_write_error (fixture->path, result, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_assert_cmpuint (test_result_count_entries (fixture->dir), ==, 0);
}

/* A write that fails half-way (here: the file size limit) keeps the older file as it was and
 * leaves no temporary file beside it. */
static void
test_failed_write (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gsize large[] = { 256, 256 }, small[] = { 16, 16 };
  g_autoptr (PtlResult) result = NULL;
  g_autofree char *contents = NULL;
  struct rlimit limit = { 64 * 1024, 64 * 1024 };

  if (ran_in_child ())
    return;

  result = test_result_make (rand, test_result_random_complex (rand, 2, large),
                             test_result_random_complex (rand, 2, small), 3, 3);
  g_assert_true (g_file_set_contents (fixture->path, "previous result", -1, NULL));
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  expect_write_error (fixture->path, result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  g_assert_cmpuint (test_result_count_entries (fixture->dir), ==, 1);
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "previous result");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, test_result_fixture_set_up, func, \
              test_result_fixture_tear_down)
  ADD ("/result-file/read-errors", test_read_errors);
  ADD ("/result-file/write-errors", test_write_errors);
  ADD ("/result-file/failed-write", test_failed_write);
#undef ADD

  return g_test_run ();
}
