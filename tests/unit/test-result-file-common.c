/* Shared by the result-file tests (test-result-file-common.h). */
#include "config.h"

#include "test-result-file-common.h"

#include <glib/gstdio.h>
#include <hdf5.h>

void
test_result_fixture_set_up (Fixture      *fixture,
                            gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ptl-result-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "result.cxi", NULL);
}

void
test_result_fixture_tear_down (Fixture      *fixture,
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

guint
test_result_count_entries (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

void
test_result_assert_no_open_objects (void)
{
  g_assert_cmpint (H5Fget_obj_count (H5F_OBJ_ALL, H5F_OBJ_ALL), ==, 0);
}

PtlArray *
test_result_random_complex (GRand       *rand,
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

PtlResult *
test_result_make (GRand    *rand,
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

PtlResult *
test_result_make_2d (GRand *rand,
                     guint  n_positions,
                     guint  n_iterations)
{
  gsize object_shape[] = { 37, 53 };
  gsize probe_shape[] = { 16, 16 };

  return test_result_make (rand, test_result_random_complex (rand, 2, object_shape),
                           test_result_random_complex (rand, 2, probe_shape), n_positions,
                           n_iterations);
}

void
test_result_write (const char      *path,
                   const PtlResult *result)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_result_file_write (path, result, &error));
  g_assert_no_error (error);
  test_result_assert_no_open_objects ();
}
