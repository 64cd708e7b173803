/* The public wrappers of the backend's kernels: the PIE family, the batched engines' ops
 * (DM/AP/RAAR exit waves and overlap sums, ML, the Fourier error) and the whole-array
 * vector ops. They live apart from the memory and transform wrappers of ptl-backend.c
 * because their checks are the ones that know the kernels' batch layouts: every buffer a
 * slot will touch is bounded from the batch's geometry before the slot runs. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Backend"

#include "ptl-backend-wrappers-private.h"

#include "core/ptl-error.h"

/* Checks sizes only: the frame indices and positions live on the device, so the engine
 * validates them before it uploads them. */
static gboolean
check_batch (const PtlPieBatch *b,
             GError           **error)
{
  gsize n = (gsize) b->m * b->m * MAX (b->n_modes, 1);

  if (b->m == 0 || b->count == 0 || b->canvas_rows < b->m || b->canvas_cols < b->m
      || b->n_modes > PTL_MAX_PROBE_MODES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "PIE batch of %u frames of %u×%u on a %u×%u canvas is impossible",
                   b->count, b->m, b->m, b->canvas_rows, b->canvas_cols);
      return FALSE;
    }
  return _ptl_backend_check_range (b->object, 0,
                                   (gsize) b->canvas_rows * b->canvas_cols * sizeof (ptl_complex),
                                   "object", error)
         && _ptl_backend_check_range (b->probe, 0, n * sizeof (ptl_complex), "probe", error)
         && _ptl_backend_check_range (b->exit, 0, b->count * n * sizeof (ptl_complex),
                                      "exit waves", error)
         && _ptl_backend_check_range (b->order, 0, ((gsize) b->first + b->count) * sizeof (guint32),
                                      "order", error)
         && _ptl_backend_check_range (b->scratch, 0, 2 * (gsize) b->count * sizeof (float),
                                      "scratch", error)
         && _ptl_backend_check_range (b->amplitudes, 0, (gsize) b->m * b->m * sizeof (float),
                                      "amplitudes", error)
         && _ptl_backend_check_range (b->positions, 0, sizeof (PtlPosition), "positions", error)
         && _ptl_backend_check_range (b->errors, 0, sizeof (float), "errors", error);
}

gboolean
ptl_backend_exit_wave (PtlBackend        *backend,
                       const PtlPieBatch *batch,
                       GError           **error)
{
  return check_batch (batch, error) && backend->ops->exit_wave (backend->ctx, batch, error);
}

gboolean
ptl_backend_fourier_constraint (PtlBackend        *backend,
                                const PtlPieBatch *batch,
                                GError           **error)
{
  return check_batch (batch, error)
         && backend->ops->fourier_constraint (backend->ctx, batch, error);
}

gboolean
ptl_backend_pie_update (PtlBackend        *backend,
                        const PtlPieBatch *batch,
                        GError           **error)
{
  return check_batch (batch, error) && backend->ops->pie_update (backend->ctx, batch, error);
}

/* The batched engines' ops are optional in a module (see ptl-backend-private.h). */
static gboolean
check_slot (PtlBackend *backend,
            gboolean    present,
            const char *what,
            GError    **error)
{
  if (!present)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The %s backend has no %s kernel", backend->ops->name, what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_optional (const PtlBuffer *buffer,
                gsize            bytes,
                const char      *what,
                GError         **error)
{
  return buffer == NULL || _ptl_backend_check_range (buffer, 0, bytes, what, error);
}

/* Sizes only, as check_batch; `work_sets` is how many [count][K][m][m] sets work holds. */
static gboolean
check_wave_batch (const PtlWaveBatch *b,
                  guint               work_sets,
                  GError            **error)
{
  gsize n = (gsize) b->m * b->m, canvas = (gsize) b->canvas_rows * b->canvas_cols;

  if (b->m == 0 || b->count == 0 || b->n_modes == 0 || b->n_modes > PTL_MAX_PROBE_MODES
      || b->canvas_rows < b->m || b->canvas_cols < b->m)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "Batch of %u frames of %u×%u with %u modes on a %u×%u canvas is impossible",
                   b->count, b->m, b->m, b->n_modes, b->canvas_rows, b->canvas_cols);
      return FALSE;
    }
  return _ptl_backend_check_range (b->object, 0, canvas * sizeof (ptl_complex), "object", error)
         && _ptl_backend_check_range (b->probe, 0, b->n_modes * n * sizeof (ptl_complex), "probe",
                                      error)
         && _ptl_backend_check_range (b->frames, 0,
                                      ((gsize) b->first + b->count) * sizeof (guint32), "frames",
                                      error)
         && _ptl_backend_check_range (b->positions, 0, sizeof (PtlPosition), "positions", error)
         && check_optional (b->work, work_sets * (gsize) b->count * b->n_modes * n
                                       * sizeof (ptl_complex), "work", error)
         && check_optional (b->waves, b->n_modes * n * sizeof (ptl_complex), "waves", error)
         && check_optional (b->amplitudes, n * sizeof (float), "amplitudes", error)
         && check_optional (b->errors, sizeof (float), "errors", error)
         && check_optional (b->object_num, canvas * sizeof (ptl_complex), "object numerator",
                            error)
         && check_optional (b->object_den, canvas * sizeof (float), "object denominator", error)
         && check_optional (b->probe_num, b->n_modes * n * sizeof (ptl_complex),
                            "probe numerator", error)
         && check_optional (b->probe_den, n * sizeof (float), "probe denominator", error);
}

static gboolean
require (gconstpointer buffer,
         const char   *what,
         GError      **error)
{
  if (buffer == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Missing %s buffer", what);
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_backend_projection_input (PtlBackend         *backend,
                              const PtlWaveBatch *batch,
                              float               c,
                              GError            **error)
{
  return check_slot (backend, backend->ops->projection_input != NULL, "projection input", error)
         && require (batch->work, "work", error)
         && (c == 1.0f || require (batch->waves, "waves", error))
         && check_wave_batch (batch, 1, error)
         && backend->ops->projection_input (backend->ctx, batch, c, error);
}

gboolean
ptl_backend_exit_update (PtlBackend         *backend,
                         const PtlWaveBatch *batch,
                         float               a,
                         float               b,
                         GError            **error)
{
  return check_slot (backend, backend->ops->exit_update != NULL, "exit update", error)
         && require (batch->work, "work", error) && require (batch->waves, "waves", error)
         && (batch->object_num == NULL || require (batch->object_den, "object denominator", error))
         && (batch->probe_num == NULL || require (batch->probe_den, "probe denominator", error))
         && check_wave_batch (batch, 1, error)
         && backend->ops->exit_update (backend->ctx, batch, a, b, error);
}

gboolean
ptl_backend_overlap_accumulate (PtlBackend         *backend,
                                const PtlWaveBatch *batch,
                                GError            **error)
{
  return check_slot (backend, backend->ops->overlap_accumulate != NULL, "overlap accumulation",
                     error)
         && (batch->waves != NULL || require (batch->work, "work", error))
         && check_wave_batch (batch, 1, error)
         && backend->ops->overlap_accumulate (backend->ctx, batch, error);
}

gboolean
ptl_backend_overlap_divide (PtlBackend *backend,
                            PtlBuffer  *dst,
                            PtlBuffer  *num,
                            PtlBuffer  *den,
                            gsize       n,
                            guint       layers,
                            float       c_dst,
                            float       c_den,
                            GError    **error)
{
  gsize values = n * layers;

  return check_slot (backend, backend->ops->overlap_divide != NULL, "overlap division", error)
         && _ptl_backend_check_range (dst, 0, values * sizeof (ptl_complex), "overlap destination",
                                      error)
         && _ptl_backend_check_range (num, 0, values * sizeof (ptl_complex), "overlap numerator",
                                      error)
         && _ptl_backend_check_range (den, 0, n * sizeof (float), "overlap denominator", error)
         && backend->ops->overlap_divide (backend->ctx, dst, num, den, n, layers, c_dst, c_den,
                                          error);
}

gboolean
ptl_backend_ml_residual (PtlBackend         *backend,
                         const PtlWaveBatch *batch,
                         PtlNoiseModel       model,
                         GError            **error)
{
  return check_slot (backend, backend->ops->ml_residual != NULL, "ML residual", error)
         && require (batch->work, "work", error) && require (batch->amplitudes, "amplitudes", error)
         && require (batch->errors, "errors", error) && check_wave_batch (batch, 1, error)
         && backend->ops->ml_residual (backend->ctx, batch, model, error);
}

gboolean
ptl_backend_ml_line_waves (PtlBackend         *backend,
                           const PtlWaveBatch *batch,
                           PtlBuffer          *object_dir,
                           PtlBuffer          *probe_dir,
                           GError            **error)
{
  gsize canvas = (gsize) batch->canvas_rows * batch->canvas_cols;

  return check_slot (backend, backend->ops->ml_line_waves != NULL, "ML line-search", error)
         && require (batch->work, "work", error) && check_wave_batch (batch, 3, error)
         && _ptl_backend_check_range (object_dir, 0, canvas * sizeof (ptl_complex),
                                      "object direction", error)
         && _ptl_backend_check_range (probe_dir, 0,
                                      (gsize) batch->n_modes * batch->m * batch->m
                                        * sizeof (ptl_complex),
                                      "probe direction", error)
         && backend->ops->ml_line_waves (backend->ctx, batch, object_dir, probe_dir, error);
}

gboolean
ptl_backend_ml_line_coefficients (PtlBackend         *backend,
                                  const PtlWaveBatch *batch,
                                  PtlNoiseModel       model,
                                  PtlBuffer          *coefficients,
                                  GError            **error)
{
  return check_slot (backend, backend->ops->ml_line_coefficients != NULL, "ML line-search", error)
         && require (batch->work, "work", error) && require (batch->amplitudes, "amplitudes", error)
         && check_wave_batch (batch, 3, error)
         && _ptl_backend_check_range (coefficients, 0, 3 * sizeof (float), "coefficients", error)
         && backend->ops->ml_line_coefficients (backend->ctx, batch, model, coefficients, error);
}

gboolean
ptl_backend_fourier_error (PtlBackend         *backend,
                           const PtlWaveBatch *batch,
                           GError            **error)
{
  return check_slot (backend, backend->ops->fourier_error != NULL, "Fourier error", error)
         && require (batch->work, "work", error) && require (batch->amplitudes, "amplitudes", error)
         && require (batch->errors, "errors", error) && check_wave_batch (batch, 1, error)
         && _ptl_backend_check_range (batch->errors, 0,
                                      ((gsize) batch->first + batch->count) * sizeof (float),
                                      "errors", error)
         && backend->ops->fourier_error (backend->ctx, batch, error);
}

gboolean
ptl_backend_dot (PtlBackend      *backend,
                 const PtlBuffer *x,
                 const PtlBuffer *y,
                 gsize            n_complex,
                 PtlBuffer       *result,
                 guint            index,
                 GError         **error)
{
  return check_slot (backend, backend->ops->dot != NULL, "dot product", error)
         && _ptl_backend_check_range (x, 0, n_complex * sizeof (ptl_complex), "dot", error)
         && _ptl_backend_check_range (y, 0, n_complex * sizeof (ptl_complex), "dot", error)
         && _ptl_backend_check_range (result, (gsize) index * sizeof (float), sizeof (float),
                                      "dot result", error)
         && backend->ops->dot (backend->ctx, x, y, n_complex, result, index, error);
}

gboolean
ptl_backend_axpby (PtlBackend      *backend,
                   PtlBuffer       *y,
                   const PtlBuffer *x,
                   gsize            n_complex,
                   float            a,
                   float            b,
                   GError         **error)
{
  return check_slot (backend, backend->ops->axpby != NULL, "axpby", error)
         && _ptl_backend_check_range (x, 0, n_complex * sizeof (ptl_complex), "axpby", error)
         && _ptl_backend_check_range (y, 0, n_complex * sizeof (ptl_complex), "axpby", error)
         && backend->ops->axpby (backend->ctx, y, x, n_complex, a, b, error);
}

gboolean
ptl_backend_momentum (PtlBackend *backend,
                      PtlBuffer  *x,
                      PtlBuffer  *snapshot,
                      PtlBuffer  *velocity,
                      gsize       n_complex,
                      float       friction,
                      float       feedback,
                      GError    **error)
{
  gsize bytes = n_complex * sizeof (ptl_complex);

  return check_slot (backend, backend->ops->momentum != NULL, "momentum", error)
         && _ptl_backend_check_range (x, 0, bytes, "momentum", error)
         && _ptl_backend_check_range (snapshot, 0, bytes, "momentum snapshot", error)
         && _ptl_backend_check_range (velocity, 0, bytes, "momentum velocity", error)
         && backend->ops->momentum (backend->ctx, x, snapshot, velocity, n_complex, friction,
                                    feedback, error);
}
