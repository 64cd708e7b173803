#include "config.h"

#include "ptl-array.h"

#include <stdlib.h>
#include <string.h>

#include "ptl-error.h"

gpointer
ptl_aligned_alloc0 (gsize bytes)
{
  gsize rounded = (bytes + PTL_ARRAY_ALIGNMENT - 1) / PTL_ARRAY_ALIGNMENT * PTL_ARRAY_ALIGNMENT;
  gpointer p = aligned_alloc (PTL_ARRAY_ALIGNMENT, MAX (rounded, PTL_ARRAY_ALIGNMENT));

  if (p == NULL)
    return NULL;
  memset (p, 0, MAX (rounded, PTL_ARRAY_ALIGNMENT));
  return p;
}

void
ptl_aligned_free (gpointer p)
{
  free (p);
}

gsize
ptl_array_element_size (PtlDtype dtype)
{
  return dtype == PTL_DTYPE_COMPLEX ? sizeof (ptl_complex) : sizeof (float);
}

PtlArray *
ptl_array_try_new (PtlDtype     dtype,
                   guint        ndim,
                   const gsize *shape,
                   GError     **error)
{
  gsize n = 1;

  if (ndim < 1 || ndim > PTL_ARRAY_MAX_DIMS)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Arrays have 1 to %d dimensions, not %u", PTL_ARRAY_MAX_DIMS, ndim);
      return NULL;
    }
  for (guint d = 0; d < ndim; d++)
    {
      if (shape[d] == 0)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                       "Array dimension %u is zero", d);
          return NULL;
        }
      if (n > PTL_ARRAY_MAX_BYTES / shape[d])
        goto too_large;
      n *= shape[d];
    }
  if (n > PTL_ARRAY_MAX_BYTES / ptl_array_element_size (dtype))
    goto too_large;

  PtlArray *a = g_new0 (PtlArray, 1);
  a->dtype = dtype;
  a->ndim = ndim;
  memcpy (a->shape, shape, ndim * sizeof (gsize));
  a->n = n;
  a->data = ptl_aligned_alloc0 (n * ptl_array_element_size (dtype));
  if (a->data == NULL)
    {
      g_free (a);
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Out of memory allocating %" G_GSIZE_FORMAT " elements", n);
      return NULL;
    }
  return a;

too_large:
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
               "Array larger than the %" G_GSIZE_FORMAT " GiB limit",
               PTL_ARRAY_MAX_BYTES >> 30);
  return NULL;
}

PtlArray *
ptl_array_new (PtlDtype     dtype,
               guint        ndim,
               const gsize *shape)
{
  g_autoptr (GError) error = NULL;
  PtlArray *a = ptl_array_try_new (dtype, ndim, shape, &error);

  if (a == NULL)
    g_error ("%s", error->message);
  return a;
}

PtlArray *
ptl_array_new_2d (PtlDtype dtype,
                  gsize    rows,
                  gsize    cols)
{
  gsize shape[] = { rows, cols };
  return ptl_array_new (dtype, 2, shape);
}

PtlArray *
ptl_array_new_3d (PtlDtype dtype,
                  gsize    depth,
                  gsize    rows,
                  gsize    cols)
{
  gsize shape[] = { depth, rows, cols };
  return ptl_array_new (dtype, 3, shape);
}

PtlArray *
ptl_array_copy (const PtlArray *array)
{
  PtlArray *copy = ptl_array_new (array->dtype, array->ndim, array->shape);
  memcpy (copy->data, array->data, ptl_array_bytes (array));
  return copy;
}

void
ptl_array_free (PtlArray *array)
{
  if (array == NULL)
    return;
  ptl_aligned_free (array->data);
  g_free (array);
}

gsize
ptl_array_bytes (const PtlArray *array)
{
  return array->n * ptl_array_element_size (array->dtype);
}

gboolean
ptl_array_same_shape (const PtlArray *a,
                      const PtlArray *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (guint d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d])
      return FALSE;
  return TRUE;
}
