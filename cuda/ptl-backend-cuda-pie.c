/* The PIE ops of the CUDA backend: a batch of exit waves, the Fourier constraint with its
 * error and the object/probe update, each enqueued on the context's stream without
 * waiting for the device. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include "ptl-backend-cuda-private.h"

static PtlCudaPieArgs
pie_args (CudaContext       *cuda,
          const PtlPieBatch *b)
{
  return (PtlCudaPieArgs) {
    .object = b->object->ptr,
    .canvas_cols = b->canvas_cols,
    .probe = b->probe->ptr,
    .m = b->m,
    .modes = MAX (b->n_modes, 1),
    .exit = b->exit->ptr,
    .amplitudes = b->amplitudes->ptr,
    .positions = b->positions->ptr,
    .order = b->order->ptr,
    .first = b->first,
    .count = b->count,
    .errors = b->errors->ptr,
    .scratch = b->scratch->ptr,
    .rpie = b->variant == PTL_PIE_RPIE,
    .alpha = b->alpha,
    .beta = b->beta,
    .update_probe = b->update_probe,
    .amplitude_tolerance = b->amplitude_tolerance,
    .workspace = cuda->workspace,
  };
}

/* Checks common to the ops that reduce per slot (two values per block). */
static gboolean
prepare_reducing (CudaContext       *cuda,
                  const PtlPieBatch *batch,
                  GError           **error)
{
  return _ptl_cuda_check_frame (batch->m, error)
         && _ptl_cuda_make_current (cuda, error)
         && _ptl_cuda_reserve_partials (cuda, batch->count, batch->m, 2, error);
}

gboolean
_ptl_cuda_exit_wave (gpointer           ctx,
                     const PtlPieBatch *batch,
                     GError           **error)
{
  CudaContext *cuda = ctx;

  if (!prepare_reducing (cuda, batch, error))
    return FALSE;
  PtlCudaPieArgs args = pie_args (cuda, batch);
  return _ptl_cuda_check (ptl_cuda_exit_wave (cuda->stream, &args), "exit wave kernel", error);
}

gboolean
_ptl_cuda_fourier_constraint (gpointer           ctx,
                              const PtlPieBatch *batch,
                              GError           **error)
{
  CudaContext *cuda = ctx;

  if (!prepare_reducing (cuda, batch, error))
    return FALSE;
  PtlCudaPieArgs args = pie_args (cuda, batch);
  return _ptl_cuda_check (ptl_cuda_fourier_constraint (cuda->stream, &args),
                          "Fourier constraint kernel", error);
}

gboolean
_ptl_cuda_pie_update (gpointer           ctx,
                      const PtlPieBatch *batch,
                      GError           **error)
{
  CudaContext *cuda = ctx;

  if (!_ptl_cuda_check_frame (batch->m, error) || !_ptl_cuda_make_current (cuda, error)
      || !_ptl_cuda_reserve_workspace (cuda, 8 * (gsize) batch->count, error))
    return FALSE;
  PtlCudaPieArgs args = pie_args (cuda, batch);
  return _ptl_cuda_check (ptl_cuda_pie_update (cuda->stream, &args), "PIE update kernel",
                          error);
}
