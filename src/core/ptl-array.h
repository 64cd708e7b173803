/* Dense float arrays: real (float) or complex (interleaved re, im — the layout of
 * fftwf_complex and cufftComplex), row-major, up to three dimensions, 64-byte aligned.
 * Plain structs for hot numeric data; shape and storage are fixed at creation. */
#pragma once

#include <complex.h>
#include <glib.h>

G_BEGIN_DECLS

typedef float _Complex ptl_complex;

typedef enum
{
  PTL_DTYPE_FLOAT,
  PTL_DTYPE_COMPLEX
} PtlDtype;

#define PTL_ARRAY_MAX_DIMS 3
#define PTL_ARRAY_ALIGNMENT 64
/* Upper bound on one array, so that a size read from a header or a file cannot ask for
 * more memory than a workstation has. */
#define PTL_ARRAY_MAX_BYTES ((gsize) 16 << 30)

typedef struct
{
  PtlDtype dtype;
  guint    ndim;
  gsize    shape[PTL_ARRAY_MAX_DIMS]; /* slowest first: [frames][rows][cols] */
  gsize    n;                         /* number of elements */
  gpointer data;                      /* 64-byte aligned, zero-initialised */
} PtlArray;

PtlArray *ptl_array_try_new (PtlDtype     dtype,
                             guint        ndim,
                             const gsize *shape,
                             GError     **error);
PtlArray *ptl_array_new (PtlDtype     dtype,
                         guint        ndim,
                         const gsize *shape);
PtlArray *ptl_array_new_2d (PtlDtype dtype,
                            gsize    rows,
                            gsize    cols);
PtlArray *ptl_array_new_3d (PtlDtype dtype,
                            gsize    depth,
                            gsize    rows,
                            gsize    cols);
PtlArray *ptl_array_copy (const PtlArray *array);
void      ptl_array_free (PtlArray *array);
gsize     ptl_array_element_size (PtlDtype dtype);
gsize     ptl_array_bytes (const PtlArray *array);
gboolean  ptl_array_same_shape (const PtlArray *a,
                                const PtlArray *b);

gpointer ptl_aligned_alloc0 (gsize bytes);
void     ptl_aligned_free (gpointer p);

static inline float *
ptl_array_float (const PtlArray *a)
{
  g_assert (a->dtype == PTL_DTYPE_FLOAT);
  return a->data;
}

static inline ptl_complex *
ptl_array_complex (const PtlArray *a)
{
  g_assert (a->dtype == PTL_DTYPE_COMPLEX);
  return a->data;
}

/* Rows and columns of the last two dimensions (a 1-D array is one row). */
static inline gsize
ptl_array_rows (const PtlArray *a)
{
  return a->ndim >= 2 ? a->shape[a->ndim - 2] : 1;
}

static inline gsize
ptl_array_cols (const PtlArray *a)
{
  return a->shape[a->ndim - 1];
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlArray, ptl_array_free)

G_END_DECLS
