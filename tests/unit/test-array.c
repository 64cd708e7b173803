#include "config.h"

#include "core/ptl-array.h"
#include "core/ptl-error.h"

static void
test_alignment_and_zero (void)
{
  for (gsize cols = 1; cols < 70; cols += 7)
    {
      g_autoptr (PtlArray) a = ptl_array_new_2d (PTL_DTYPE_COMPLEX, 3, cols);
      g_assert_cmpuint ((guintptr) a->data % PTL_ARRAY_ALIGNMENT, ==, 0);
      g_assert_cmpuint (a->n, ==, 3 * cols);
      g_assert_cmpuint (ptl_array_bytes (a), ==, 3 * cols * 8);
      for (gsize i = 0; i < a->n; i++)
        g_assert_true (ptl_array_complex (a)[i] == 0.0f);
    }
}

static void
test_layout (void)
{
  g_autoptr (PtlArray) a = ptl_array_new_3d (PTL_DTYPE_COMPLEX, 2, 3, 4);
  ptl_complex *z = ptl_array_complex (a);
  const float *f = a->data;

  /* [frame][row][col], interleaved re/im: element (1, 2, 3) sits at 1·12 + 2·4 + 3. */
  z[1 * 12 + 2 * 4 + 3] = 5.0f + 7.0f * I;
  g_assert_cmpfloat (f[2 * 23], ==, 5.0f);
  g_assert_cmpfloat (f[2 * 23 + 1], ==, 7.0f);
  g_assert_cmpuint (ptl_array_rows (a), ==, 3);
  g_assert_cmpuint (ptl_array_cols (a), ==, 4);

  g_autoptr (PtlArray) copy = ptl_array_copy (a);
  g_assert_true (ptl_array_same_shape (a, copy));
  g_assert_true (ptl_array_complex (copy)[23] == z[23]);
  g_assert_true (copy->data != a->data);
}

static void
test_bounds (void)
{
  g_autoptr (GError) error = NULL;
  gsize huge[] = { G_MAXSIZE / 4, 16 };
  gsize zero[] = { 4, 0 };

  g_assert_null (ptl_array_try_new (PTL_DTYPE_FLOAT, 2, huge, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (ptl_array_try_new (PTL_DTYPE_FLOAT, 2, zero, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_null (ptl_array_try_new (PTL_DTYPE_FLOAT, 4, zero, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/array/alignment-and-zero", test_alignment_and_zero);
  g_test_add_func ("/array/layout", test_layout);
  g_test_add_func ("/array/bounds", test_bounds);
  return g_test_run ();
}
