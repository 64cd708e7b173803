#include "config.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-mask-file.h"

#define NEXUS "/entry/instrument/detector/pixel_mask"
#define CXI "/entry_1/instrument_1/detector_1/mask"
#define ROWS 3
#define COLS 4

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ptl-mask-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "mask.h5", NULL);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_remove (fixture->path);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

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

static hid_t
create_file (const char *path)
{
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);

  g_assert_cmpint (file, >=, 0);
  return file;
}

/* A dataset of @rank dims in file type @type from memory of type @mem_type, with any missing
 * parent groups. */
static void
write_dataset (hid_t          file,
               const char    *name,
               hid_t          type,
               int            rank,
               const hsize_t *dims,
               hid_t          mem_type,
               gconstpointer  data)
{
  g_auto (PtlH5Id) lcpl = H5Pcreate (H5P_LINK_CREATE);
  g_auto (PtlH5Id) space = H5Screate_simple (rank, dims, NULL);
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;

  H5Pset_create_intermediate_group (lcpl, 1);
  dataset = H5Dcreate2 (file, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (dataset, >=, 0);
  g_assert_cmpint (H5Dwrite (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), >=, 0);
}

static void
write_mask_u32 (hid_t          file,
                const char    *name,
                const guint32 *values)
{
  const hsize_t dims[] = { ROWS, COLS };

  write_dataset (file, name, H5T_STD_U32LE, 2, dims, H5T_NATIVE_UINT32, values);
}

static void
assert_mask (const char   *path,
             const guint8 *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *good = ptl_mask_file_read (path, ROWS, COLS, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (good, ROWS * COLS, expected, ROWS * COLS);
  g_assert_cmpint (H5Fget_obj_count (H5F_OBJ_ALL, H5F_OBJ_ALL), ==, 0);
}

/* DECTRIS bits (gap, dead, hot…) and CXI bits alike: any nonzero value is a bad pixel. */
static const guint32 flags[ROWS * COLS] = { 0, 1, 0, 2, 0, 0, 4, 0, 0x80000000u, 0, 16, 0 };
static const guint8 flags_good[ROWS * COLS] = { 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1 };

static void
test_nexus (Fixture      *fixture,
            gconstpointer data)
{
  const guint32 zeros[ROWS * COLS] = { 0 };

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_mask_u32 (file, NEXUS, flags);
    /* The detector's own mask comes first. */
    write_mask_u32 (file, "/mask", zeros);
  }
  assert_mask (fixture->path, flags_good);
}

static void
test_cxi (Fixture      *fixture,
          gconstpointer data)
{
  const guint32 zeros[ROWS * COLS] = { 0 };

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_mask_u32 (file, CXI, flags);
    write_mask_u32 (file, "/mask", zeros);
  }
  assert_mask (fixture->path, flags_good);
}

/* Any integer width and sign: values that do not fit 32 bits and negative ones stay bad. */
static void
test_plain (Fixture      *fixture,
            gconstpointer data)
{
  const hsize_t dims[] = { ROWS, COLS };
  const gint64 wide[ROWS * COLS] = { 0, -1, 0, G_GINT64_CONSTANT (1) << 40, 0, G_MININT64, 0, 0,
                                     G_MAXINT64, 0, 7, 0 };
  const guint64 unsigned_wide[ROWS * COLS] = { 0, 0, 0, G_GUINT64_CONSTANT (1) << 32, 0, 0, 0, 0,
                                               G_MAXUINT64, 0, 0, 1 };
  const gint8 narrow[ROWS * COLS] = { -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  const guint8 wide_good[ROWS * COLS] = { 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1 };
  const guint8 unsigned_good[ROWS * COLS] = { 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0 };
  const guint8 narrow_good[ROWS * COLS] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
  struct
  {
    hid_t         file_type;
    hid_t         mem_type;
    gconstpointer values;
    const guint8 *good;
  } cases[] = {
    { H5T_STD_I64BE, H5T_NATIVE_INT64, wide, wide_good },
    { H5T_STD_U64LE, H5T_NATIVE_UINT64, unsigned_wide, unsigned_good },
    { H5T_STD_I8LE, H5T_NATIVE_INT8, narrow, narrow_good },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      {
        g_auto (PtlH5Id) file = create_file (fixture->path);
        write_dataset (file, "/mask", cases[i].file_type, 2, dims, cases[i].mem_type,
                       cases[i].values);
      }
      assert_mask (fixture->path, cases[i].good);
    }
}

static void
expect_error (const char *path,
              guint       rows,
              guint       cols,
              int         code,
              const char *mention)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *good = ptl_mask_file_read (path, rows, cols, &error);

  g_assert_null (good);
  g_assert_error (error, PTL_IO_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, mention));
  g_assert_cmpint (H5Fget_obj_count (H5F_OBJ_ALL, H5F_OBJ_ALL), ==, 0);
}

static void
test_errors (Fixture      *fixture,
             gconstpointer data)
{
  const hsize_t dims_3d[] = { 1, ROWS, COLS };
  const hsize_t dims_2d[] = { ROWS, COLS };
  const float floats[ROWS * COLS] = { 0 };
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.h5", NULL);
  g_autofree char *contents = NULL;
  gsize length;

  if (ran_in_child ())
    return;

  expect_error (missing, ROWS, COLS, PTL_IO_ERROR_OPEN, "No such file");
  expect_error (fixture->dir, ROWS, COLS, PTL_IO_ERROR_OPEN, "directory");
  g_assert_true (g_file_set_contents (fixture->path, "P5\n4 3\n255\n", -1, NULL));
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT, "not an HDF5 file");

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_mask_u32 (file, "/pixel_mask", flags);
  }
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT, "no mask in it (looked for " NEXUS);

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_mask_u32 (file, NEXUS, flags);
  }
  expect_error (fixture->path, 2048, 2048, PTL_IO_ERROR_FORMAT,
                NEXUS ": has shape 3×4, the detector frames are 2048×2048");
  expect_error (fixture->path, COLS, ROWS, PTL_IO_ERROR_FORMAT,
                "has shape 3×4, the detector frames are 4×3");
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (fixture->path, contents, length / 2, NULL));
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_READ, "truncated");

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_dataset (file, CXI, H5T_STD_U32LE, 3, dims_3d, H5T_NATIVE_UINT32, flags);
  }
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT,
                CXI ": has shape 1×3×4, the detector frames are 3×4");

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    write_dataset (file, "/mask", H5T_IEEE_F32LE, 2, dims_2d, H5T_NATIVE_FLOAT, floats);
  }
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT,
                "/mask: holds floating-point numbers, expected integers");

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    g_assert_true (ptl_h5_write_string (file, "/mask", "all good", NULL));
  }
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT, "/mask: holds a string");

  {
    g_auto (PtlH5Id) file = create_file (fixture->path);
    g_auto (PtlH5Id) group G_GNUC_UNUSED = ptl_h5_create_group (file, "/mask", NULL, NULL);
  }
  expect_error (fixture->path, ROWS, COLS, PTL_IO_ERROR_FORMAT, "/mask: not a readable dataset");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/mask-file/nexus", test_nexus);
  ADD ("/mask-file/cxi", test_cxi);
  ADD ("/mask-file/plain", test_plain);
  ADD ("/mask-file/errors", test_errors);
#undef ADD

  return g_test_run ();
}
