#include "config.h"

#include <float.h>
#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-result-file.h"

#define TRANSLATION "/entry_1/sample_1/geometry_1/translation"
#define OBJECT_DATA "/entry_1/image_2/data"
#define PARAMETERS "/entry_1/ptycholive/parameters"

typedef struct
{
  char *dir;
  char *path; /* a result file name inside dir */
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ptl-result-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "result.cxi", NULL);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_remove (path);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static guint
count_entries (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Every file, group, dataset and attribute that the code under test opened is closed again. */
static void
assert_no_open_objects (void)
{
  g_assert_cmpint (H5Fget_obj_count (H5F_OBJ_ALL, H5F_OBJ_ALL), ==, 0);
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

static PtlArray *
random_complex (GRand       *rand,
                guint        ndim,
                const gsize *shape)
{
  PtlArray *array = ptl_array_new (PTL_DTYPE_COMPLEX, ndim, shape);
  ptl_complex *z = ptl_array_complex (array);

  for (gsize i = 0; i < array->n; i++)
    z[i] = (float) g_rand_double_range (rand, -1.0, 1.0)
           + (float) g_rand_double_range (rand, -1.0, 1.0) * I;
  return array;
}

/* Values chosen so that none survives by accident: a stage in µm, swapped and inverted axes,
 * a 64-bit seed, a detector pixel and an energy that do not round-trip through × then ÷. */
static PtlResult *
make_result (GRand    *rand,
             PtlArray *object,
             PtlArray *probe,
             guint     n_positions,
             guint     n_iterations)
{
  PtlResult *result = ptl_result_new ();

  result->object = object;
  result->probe = probe;
  result->geometry = (PtlGeometry) { 12398.4198, 0.321, 172e-6, 64, 3 };
  result->mapping = (PtlAxisMapping) { 1e-6, TRUE, -1, 1 };
  result->pixel_size = ptl_geometry_pixel_size (&result->geometry);
  result->n_positions = n_positions;
  result->translation = n_positions ? g_new (double, 2 * n_positions) : NULL;
  for (guint i = 0; i < 2 * n_positions; i++)
    result->translation[i] = g_rand_double_range (rand, -2e-5, 2e-5);
  result->params = (PtlReconParams) {
    .algorithm = PTL_ALGORITHM_EPIE,
    .iterations = 17,
    .alpha = 0.25,
    .beta = 0.75,
    .probe_update_start = 3,
    .probe_init = PTL_PROBE_INIT_MODEL,
    .seed = G_GUINT64_CONSTANT (0xfedcba9876543210),
  };
  result->n_iterations = n_iterations;
  result->errors = n_iterations ? g_new (double, n_iterations) : NULL;
  for (guint i = 0; i < n_iterations; i++)
    result->errors[i] = g_rand_double_range (rand, 1e-3, 1.0);
  result->backend = g_strdup ("cpu");
  return result;
}

static PtlResult *
make_result_2d (GRand *rand,
                guint  n_positions,
                guint  n_iterations)
{
  gsize object_shape[] = { 37, 53 };
  gsize probe_shape[] = { 16, 16 };

  return make_result (rand, random_complex (rand, 2, object_shape),
                      random_complex (rand, 2, probe_shape), n_positions, n_iterations);
}

static void
assert_same_double (double expected,
                    double actual)
{
  g_assert_cmpmem (&expected, sizeof expected, &actual, sizeof actual);
}

/* Energy (eV → J → eV) and detector pixel (× bin ÷ bin) pass two roundings. */
static void
assert_converted_double (double expected,
                         double actual)
{
  g_assert_cmpfloat (fabs (actual - expected), <=, 2 * DBL_EPSILON * fabs (expected));
}

static void
assert_same_array (const PtlArray *expected,
                   const PtlArray *actual)
{
  g_assert_nonnull (actual);
  g_assert_cmpint (actual->dtype, ==, expected->dtype);
  g_assert_cmpuint (actual->ndim, ==, expected->ndim);
  g_assert_cmpmem (actual->shape, actual->ndim * sizeof (gsize), expected->shape,
                   expected->ndim * sizeof (gsize));
  g_assert_cmpmem (actual->data, ptl_array_bytes (actual), expected->data,
                   ptl_array_bytes (expected));
}

static void
assert_same_result (const PtlResult *expected,
                    const PtlResult *actual)
{
  const PtlReconParams *p = &expected->params, *q = &actual->params;

  assert_same_array (expected->object, actual->object);
  assert_same_array (expected->probe, actual->probe);

  assert_converted_double (expected->geometry.energy_ev, actual->geometry.energy_ev);
  assert_same_double (expected->geometry.distance, actual->geometry.distance);
  assert_converted_double (expected->geometry.detector_pixel, actual->geometry.detector_pixel);
  g_assert_cmpuint (actual->geometry.frame_size, ==, expected->geometry.frame_size);
  g_assert_cmpuint (actual->geometry.bin, ==, expected->geometry.bin);

  assert_same_double (expected->mapping.scale, actual->mapping.scale);
  g_assert_cmpint (actual->mapping.swap_xy, ==, expected->mapping.swap_xy);
  g_assert_cmpint (actual->mapping.sign_x, ==, expected->mapping.sign_x);
  g_assert_cmpint (actual->mapping.sign_y, ==, expected->mapping.sign_y);
  assert_same_double (expected->pixel_size, actual->pixel_size);

  g_assert_cmpuint (actual->n_positions, ==, expected->n_positions);
  g_assert_cmpmem (actual->translation, 2 * actual->n_positions * sizeof (double),
                   expected->translation, 2 * expected->n_positions * sizeof (double));
  g_assert_cmpuint (actual->n_iterations, ==, expected->n_iterations);
  g_assert_cmpmem (actual->errors, actual->n_iterations * sizeof (double), expected->errors,
                   expected->n_iterations * sizeof (double));

  g_assert_cmpint (q->algorithm, ==, p->algorithm);
  g_assert_cmpuint (q->iterations, ==, p->iterations);
  assert_same_double (p->alpha, q->alpha);
  assert_same_double (p->beta, q->beta);
  g_assert_cmpuint (q->probe_update_start, ==, p->probe_update_start);
  g_assert_cmpint (q->probe_init, ==, p->probe_init);
  g_assert_cmpuint (q->seed, ==, p->seed);
  g_assert_cmpstr (actual->backend, ==, expected->backend);
}

static void
write_result (const char      *path,
              const PtlResult *result)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_result_file_write (path, result, &error));
  g_assert_no_error (error);
  assert_no_open_objects ();
}

static PtlResult *
read_result (const char *path)
{
  g_autoptr (GError) error = NULL;
  PtlResult *result = ptl_result_file_read (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  assert_no_open_objects ();
  return result;
}

static void
test_round_trip_2d (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autoptr (PtlResult) first = make_result_2d (rand, 5, 2);
  g_autoptr (PtlResult) expected = make_result_2d (rand, 23, 17);
  g_autoptr (PtlResult) actual = NULL;

  /* Writing over an older result replaces it and leaves no temporary file. */
  write_result (fixture->path, first);
  write_result (fixture->path, expected);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  actual = read_result (fixture->path);
  g_assert_cmpuint (actual->object->ndim, ==, 2);
  g_assert_cmpuint (actual->probe->ndim, ==, 2);
  assert_same_result (expected, actual);
}

static void
test_round_trip_3d (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  gsize object_shape[] = { 2, 30, 41 };
  gsize probe_shape[] = { 3, 16, 16 };
  g_autoptr (PtlResult) expected = make_result (rand, random_complex (rand, 3, object_shape),
                                                random_complex (rand, 3, probe_shape), 0, 0);
  g_autoptr (PtlResult) actual = NULL;

  /* Nothing iterated, no positions, no backend: empty datasets and an absent one. */
  g_clear_pointer (&expected->backend, g_free);
  write_result (fixture->path, expected);
  actual = read_result (fixture->path);
  g_assert_cmpuint (actual->object->ndim, ==, 3);
  g_assert_cmpuint (actual->probe->ndim, ==, 3);
  g_assert_null (actual->translation);
  g_assert_null (actual->errors);
  g_assert_null (actual->backend);
  assert_same_result (expected, actual);
}

static char *
read_string_attribute (hid_t       file,
                       const char *object,
                       const char *name)
{
  g_auto (PtlH5Id) attribute = H5Aopen_by_name (file, object, name, H5P_DEFAULT, H5P_DEFAULT);
  g_auto (PtlH5Id) type = H5Aget_type (attribute);
  char *text;

  g_assert_cmpint (attribute, >=, 0);
  g_assert_cmpint (H5Tget_class (type), ==, H5T_STRING);
  g_assert_false (H5Tis_variable_str (type));
  text = g_malloc0 (H5Tget_size (type) + 1);
  g_assert_cmpint (H5Aread (attribute, type, text), >=, 0);
  return text;
}

static void
read_doubles (hid_t       file,
              const char *name,
              gsize       n,
              double     *values)
{
  g_auto (PtlH5Id) dataset = H5Dopen2 (file, name, H5P_DEFAULT);
  g_auto (PtlH5Id) space = H5Dget_space (dataset);

  g_assert_cmpint (dataset, >=, 0);
  g_assert_cmpint (H5Sget_simple_extent_npoints (space), ==, n);
  g_assert_cmpint (H5Dread (dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
                   >=, 0);
}

/* What other CXI readers rely on, checked with plain HDF5 calls. */
static void
check_cxi (hid_t            file,
           const PtlResult *result)
{
  const char *illumination = "/entry_1/instrument_1/source_1/illumination";
  g_auto (PtlH5Id) translation = H5Dopen2 (file, TRANSLATION, H5P_DEFAULT);
  g_auto (PtlH5Id) space = H5Dget_space (translation);
  g_auto (PtlH5Id) probe_data = H5Dopen2 (file, illumination, H5P_DEFAULT);
  g_auto (PtlH5Id) complex_type = ptl_h5_complex_type_new ();
  g_autoptr (PtlArray) probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, 16, 16);
  g_autofree double *xyz = g_new (double, 3 * result->n_positions);
  g_autofree char *nx_class = NULL, *units = NULL, *target = NULL, *date_text = NULL;
  g_autofree char *mapping = NULL, *data_type = NULL;
  g_autoptr (GDateTime) date = NULL;
  double cxi_version, energy, image_size[3];
  hsize_t dims[2];
  H5L_info_t link;

  read_doubles (file, "/cxi_version", 1, &cxi_version);
  g_assert_cmpfloat (cxi_version, ==, 160);
  nx_class = read_string_attribute (file, "/entry_1", "NX_class");
  g_assert_cmpstr (nx_class, ==, "NXentry");

  read_doubles (file, "/entry_1/instrument_1/source_1/energy", 1, &energy);
  assert_same_double (result->geometry.energy_ev * PTL_ELECTRONVOLT_J, energy);
  units = read_string_attribute (file, "/entry_1/instrument_1/source_1/energy", "units");
  g_assert_cmpstr (units, ==, "J");

  g_assert_cmpint (H5Sget_simple_extent_ndims (space), ==, 2);
  H5Sget_simple_extent_dims (space, dims, NULL);
  g_assert_cmpuint (dims[0], ==, result->n_positions);
  g_assert_cmpuint (dims[1], ==, 3);
  read_doubles (file, TRANSLATION, 3 * result->n_positions, xyz);
  for (guint i = 0; i < result->n_positions; i++)
    {
      assert_same_double (result->translation[2 * i], xyz[3 * i]);
      assert_same_double (result->translation[2 * i + 1], xyz[3 * i + 1]);
      assert_same_double (0.0, xyz[3 * i + 2]);
    }

  g_assert_cmpint (H5Lget_info (file, illumination, &link, H5P_DEFAULT), >=, 0);
  g_assert_cmpint (link.type, ==, H5L_TYPE_SOFT);
  target = g_malloc0 (link.u.val_size);
  H5Lget_val (file, illumination, target, link.u.val_size, H5P_DEFAULT);
  g_assert_cmpstr (target, ==, "/entry_1/image_1/data");
  g_assert_cmpint (H5Dread (probe_data, complex_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, probe->data),
                   >=, 0);
  assert_same_array (result->probe, probe);

  read_doubles (file, "/entry_1/image_2/image_size", 3, image_size);
  assert_same_double (53 * result->pixel_size, image_size[0]);
  assert_same_double (37 * result->pixel_size, image_size[1]);
  data_type = ptl_h5_read_string (file, "/entry_1/image_2/data_type", NULL);
  g_assert_cmpstr (data_type, ==, "electron density");
  date_text = ptl_h5_read_string (file, "/entry_1/image_2/process_1/date", NULL);
  date = g_date_time_new_from_iso8601 (date_text, NULL);
  g_assert_nonnull (date);
  mapping = ptl_h5_read_string (file, "/entry_1/ptycholive/position_mapping", NULL);
  g_assert_cmpstr (mapping, ==, "{\"scale\":1e-06,\"swap_xy\":true,\"sign_x\":-1,\"sign_y\":1}");
}

static void
test_cxi_layout (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (PtlResult) result = make_result_2d (rand, 11, 4);
  hid_t file;

  write_result (fixture->path, result);
  file = H5Fopen (fixture->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  check_cxi (file, result);
  H5Fclose (file);
  assert_no_open_objects ();
}

static void
test_h5dump (Fixture      *fixture,
             gconstpointer data)
{
  g_autofree char *h5dump = g_find_program_in_path ("h5dump");
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (PtlResult) result = make_result_2d (rand, 7, 3);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status;

  if (h5dump == NULL)
    {
      g_test_skip ("h5dump is not installed");
      return;
    }
  write_result (fixture->path, result);
  {
    const char *argv[] = { h5dump, "-H", fixture->path, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "\"cxi_version\""));
  g_assert_nonnull (strstr (out, "SOFTLINK \"illumination\""));
  g_assert_nonnull (strstr (out, "H5T_COMPOUND"));
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
  assert_no_open_objects ();
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
  g_autoptr (PtlResult) result = make_result_2d (rand, 9, 3);
  g_auto (PtlH5Id) complex_type = H5I_INVALID_HID;
  guint zero = 0;
  hid_t file;

  write_result (path, result);
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
  assert_no_open_objects ();
}

static void
test_write_errors (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (PtlResult) result = make_result_2d (rand, 3, 3);

  expect_write_error ("/nonexistent/dir/x.cxi", result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  expect_write_error (fixture->dir, result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  g_clear_pointer (&result->probe, ptl_array_free);
  expect_write_error (fixture->path, result, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 0);
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

  result = make_result (rand, random_complex (rand, 2, large), random_complex (rand, 2, small), 3,
                        3);
  g_assert_true (g_file_set_contents (fixture->path, "previous result", -1, NULL));
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  expect_write_error (fixture->path, result, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "previous result");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/result-file/round-trip-2d", test_round_trip_2d);
  ADD ("/result-file/round-trip-3d", test_round_trip_3d);
  ADD ("/result-file/cxi-layout", test_cxi_layout);
  ADD ("/result-file/h5dump", test_h5dump);
  ADD ("/result-file/read-errors", test_read_errors);
  ADD ("/result-file/write-errors", test_write_errors);
  ADD ("/result-file/failed-write", test_failed_write);
#undef ADD

  return g_test_run ();
}
