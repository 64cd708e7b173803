/* Result files written and read back: 2-D and 3-D objects and probes, every parameter
 * exactly, empty and absent datasets; the CXI layout other readers rely on, checked with
 * plain HDF5 calls and with h5dump. Bad files and failed writes:
 * test-result-file-errors.c. */
#include "config.h"

#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "io/ptl-hdf5-util.h"
#include "io/ptl-result-file.h"
#include "test-result-file-common.h"

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

static PtlResult *
read_result (const char *path)
{
  g_autoptr (GError) error = NULL;
  PtlResult *result = ptl_result_file_read (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  test_result_assert_no_open_objects ();
  return result;
}

static void
test_round_trip_2d (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autoptr (PtlResult) first = test_result_make_2d (rand, 5, 2);
  g_autoptr (PtlResult) expected = test_result_make_2d (rand, 23, 17);
  g_autoptr (PtlResult) actual = NULL;

  /* Writing over an older result replaces it and leaves no temporary file. */
  test_result_write (fixture->path, first);
  test_result_write (fixture->path, expected);
  g_assert_cmpuint (test_result_count_entries (fixture->dir), ==, 1);

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
  g_autoptr (PtlResult) expected =
    test_result_make (rand, test_result_random_complex (rand, 3, object_shape),
                      test_result_random_complex (rand, 3, probe_shape), 0, 0);
  g_autoptr (PtlResult) actual = NULL;

  /* Nothing iterated, no positions, no backend: empty datasets and an absent one. */
  g_clear_pointer (&expected->backend, g_free);
  test_result_write (fixture->path, expected);
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
  g_autoptr (PtlResult) result = test_result_make_2d (rand, 11, 4);
  hid_t file;

  test_result_write (fixture->path, result);
  file = H5Fopen (fixture->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  check_cxi (file, result);
  H5Fclose (file);
  test_result_assert_no_open_objects ();
}

static void
test_h5dump (Fixture      *fixture,
             gconstpointer data)
{
  g_autofree char *h5dump = g_find_program_in_path ("h5dump");
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (PtlResult) result = test_result_make_2d (rand, 7, 3);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status;

  if (h5dump == NULL)
    {
      g_test_skip ("h5dump is not installed");
      return;
    }
  test_result_write (fixture->path, result);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, test_result_fixture_set_up, func, \
              test_result_fixture_tear_down)
  ADD ("/result-file/round-trip-2d", test_round_trip_2d);
  ADD ("/result-file/round-trip-3d", test_round_trip_3d);
  ADD ("/result-file/cxi-layout", test_cxi_layout);
  ADD ("/result-file/h5dump", test_h5dump);
#undef ADD

  return g_test_run ();
}
