/* The whole-array ops of the CUDA backend: overlap division, dot product, axpby and the
 * momentum step, enqueued on the context's stream. The dot product's result stays on the
 * device until the caller downloads it. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include "ptl-backend-cuda-private.h"

gboolean
_ptl_cuda_overlap_divide (gpointer   ctx,
                          PtlBuffer *dst,
                          PtlBuffer *num,
                          PtlBuffer *den,
                          gsize      n,
                          guint      layers,
                          float      c_dst,
                          float      c_den,
                          GError   **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (ptl_cuda_overlap_divide (cuda->stream, dst->ptr, num->ptr, den->ptr,
                                                      n, layers, c_dst, c_den),
                             "overlap division kernel", error);
}

gboolean
_ptl_cuda_dot (gpointer         ctx,
               const PtlBuffer *x,
               const PtlBuffer *y,
               gsize            n_complex,
               PtlBuffer       *result,
               guint            index,
               GError         **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_reserve_workspace (cuda, ptl_cuda_dot_workspace (n_complex), error)
         && _ptl_cuda_check (ptl_cuda_dot (cuda->stream, x->ptr, y->ptr, n_complex,
                                           (float *) result->ptr + index, cuda->workspace),
                             "dot product kernel", error);
}

gboolean
_ptl_cuda_axpby (gpointer         ctx,
                 PtlBuffer       *y,
                 const PtlBuffer *x,
                 gsize            n_complex,
                 float            a,
                 float            b,
                 GError         **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (ptl_cuda_axpby (cuda->stream, y->ptr, x->ptr, n_complex, a, b),
                             "axpby kernel", error);
}

gboolean
_ptl_cuda_momentum (gpointer   ctx,
                    PtlBuffer *x,
                    PtlBuffer *snapshot,
                    PtlBuffer *velocity,
                    gsize      n_complex,
                    float      friction,
                    float      feedback,
                    GError   **error)
{
  CudaContext *cuda = ctx;

  return _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_check (ptl_cuda_momentum (cuda->stream, x->ptr, snapshot->ptr,
                                                velocity->ptr, n_complex, friction, feedback),
                             "momentum kernel", error);
}
