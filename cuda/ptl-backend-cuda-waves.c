/* The batched engines' ops of the CUDA backend (DM, AP, RAAR, ML, position refinement):
 * PtlWaveBatch unpacked into device pointers, each op one or two launches on the
 * context's stream. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-CUDA"

#include "ptl-backend-cuda-private.h"

static inline gpointer
device_pointer (const PtlBuffer *buffer)
{
  return buffer != NULL ? buffer->ptr : NULL;
}

static PtlCudaWaveArgs
wave_args (CudaContext        *cuda,
           const PtlWaveBatch *b)
{
  return (PtlCudaWaveArgs) {
    .object = b->object->ptr,
    .canvas_cols = b->canvas_cols,
    .probe = b->probe->ptr,
    .m = b->m,
    .modes = b->n_modes,
    .positions = b->positions->ptr,
    .frames = b->frames->ptr,
    .first = b->first,
    .count = b->count,
    .work = device_pointer (b->work),
    .waves = device_pointer (b->waves),
    .amplitudes = device_pointer (b->amplitudes),
    .errors = device_pointer (b->errors),
    .object_num = device_pointer (b->object_num),
    .object_den = device_pointer (b->object_den),
    .probe_num = device_pointer (b->probe_num),
    .probe_den = device_pointer (b->probe_den),
    .workspace = cuda->workspace,
  };
}

/* The frame size every kernel can index, the device, and (for the ops that reduce per
 * slot) the workspace; then the arguments. */
static gboolean
prepare (CudaContext        *cuda,
         const PtlWaveBatch *batch,
         gboolean            reduces,
         PtlCudaWaveArgs    *args,
         GError            **error)
{
  if (!_ptl_cuda_check_frame (batch->m, error) || !_ptl_cuda_make_current (cuda, error))
    return FALSE;
  *args = wave_args (cuda, batch);
  if (reduces)
    {
      if (!_ptl_cuda_reserve_workspace (cuda, ptl_cuda_wave_partials (args), error))
        return FALSE;
      args->workspace = cuda->workspace;
    }
  return TRUE;
}

gboolean
_ptl_cuda_projection_input (gpointer            ctx,
                            const PtlWaveBatch *batch,
                            float               c,
                            GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, FALSE, &args, error)
         && _ptl_cuda_check (ptl_cuda_projection_input (cuda->stream, &args, c),
                             "projection input kernel", error);
}

gboolean
_ptl_cuda_exit_update (gpointer            ctx,
                       const PtlWaveBatch *batch,
                       float               a,
                       float               b,
                       GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, FALSE, &args, error)
         && _ptl_cuda_check (ptl_cuda_exit_update (cuda->stream, &args, a, b),
                             "exit update kernel", error);
}

gboolean
_ptl_cuda_overlap_accumulate (gpointer            ctx,
                              const PtlWaveBatch *batch,
                              GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, FALSE, &args, error)
         && _ptl_cuda_check (ptl_cuda_overlap_accumulate (cuda->stream, &args),
                             "overlap accumulation kernel", error);
}

gboolean
_ptl_cuda_ml_residual (gpointer            ctx,
                       const PtlWaveBatch *batch,
                       PtlNoiseModel       model,
                       GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, TRUE, &args, error)
         && _ptl_cuda_check (ptl_cuda_ml_residual (cuda->stream, &args,
                                                   model == PTL_NOISE_POISSON),
                             "ML residual kernel", error);
}

gboolean
_ptl_cuda_ml_line_waves (gpointer            ctx,
                         const PtlWaveBatch *batch,
                         PtlBuffer          *object_dir,
                         PtlBuffer          *probe_dir,
                         GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, FALSE, &args, error)
         && _ptl_cuda_check (ptl_cuda_ml_line_waves (cuda->stream, &args, object_dir->ptr,
                                                     probe_dir->ptr),
                             "ML line-search waves kernel", error);
}

gboolean
_ptl_cuda_ml_line_coefficients (gpointer            ctx,
                                const PtlWaveBatch *batch,
                                PtlNoiseModel       model,
                                PtlBuffer          *coefficients,
                                GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, TRUE, &args, error)
         && _ptl_cuda_check (ptl_cuda_ml_line_coefficients (cuda->stream, &args,
                                                            model == PTL_NOISE_POISSON,
                                                            coefficients->ptr),
                             "ML line-search coefficients kernel", error);
}

gboolean
_ptl_cuda_fourier_error (gpointer            ctx,
                         const PtlWaveBatch *batch,
                         GError            **error)
{
  CudaContext *cuda = ctx;
  PtlCudaWaveArgs args;

  return prepare (cuda, batch, TRUE, &args, error)
         && _ptl_cuda_check (ptl_cuda_fourier_error (cuda->stream, &args),
                             "Fourier error kernel", error);
}
