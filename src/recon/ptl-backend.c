/* Backend selection and the public wrappers around the ops table. The wrappers check
 * every buffer bound before a slot runs, so that an implementation can stay lean and a
 * caller's mistake is an error rather than an out-of-bounds access on a device. */
#include "config.h"

#include <string.h>

#define G_LOG_DOMAIN "Ptl-Backend"

#include "ptl-backend-private.h"

#include "core/ptl-error.h"
#include "core/ptl-module.h"

struct _PtlBackend
{
  const PtlBackendOps *ops;
  gpointer             ctx;
};

static gboolean
open_cuda (PtlBackend *backend,
           int         device,
           GError    **error)
{
  PtlBackendModuleOpen open_fn = NULL;

  return ptl_cuda_module_symbol (PTL_BACKEND_MODULE_ENTRY, (gpointer *) &open_fn, error)
         && open_fn (device, &backend->ops, &backend->ctx, error);
}

PtlBackend *
ptl_backend_new (PtlBackendKind kind,
                 int            device,
                 guint          threads,
                 GError       **error)
{
  g_autoptr (GError) cuda_error = NULL;
  PtlBackend *backend = g_new0 (PtlBackend, 1);

  if (threads == 0)
    threads = g_get_num_processors ();

  if (kind == PTL_BACKEND_CUDA || kind == PTL_BACKEND_AUTO)
    {
      if (open_cuda (backend, device, &cuda_error))
        return backend;
      if (kind == PTL_BACKEND_CUDA)
        {
          g_propagate_error (error, g_steal_pointer (&cuda_error));
          g_free (backend);
          return NULL;
        }
      g_message ("CUDA backend not available (%s); using the CPU backend", cuda_error->message);
    }

  if (!_ptl_backend_cpu_open (threads, &backend->ops, &backend->ctx, error))
    {
      g_free (backend);
      return NULL;
    }
  return backend;
}

void
ptl_backend_free (PtlBackend *backend)
{
  if (backend == NULL)
    return;
  backend->ops->destroy (backend->ctx);
  g_free (backend);
}

const char *
ptl_backend_name (PtlBackend *backend)
{
  return backend->ops->name;
}

const char *
ptl_backend_description (PtlBackend *backend)
{
  return backend->ops->describe (backend->ctx);
}

guint
ptl_backend_threads (PtlBackend *backend)
{
  return backend->ops->threads (backend->ctx);
}

gboolean
ptl_backend_kind_from_string (const char     *text,
                              PtlBackendKind *kind,
                              GError        **error)
{
  static const char *const names[] = { "auto", "cpu", "cuda" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *kind = (PtlBackendKind) i;
        return TRUE;
      }
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "Unknown backend “%s” (known: auto, cpu, cuda)", text);
  return FALSE;
}

PtlBuffer *
ptl_backend_alloc (PtlBackend *backend,
                   gsize       bytes,
                   GError    **error)
{
  if (bytes == 0 || bytes > PTL_ARRAY_MAX_BYTES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Cannot allocate a buffer of %" G_GSIZE_FORMAT " bytes", bytes);
      return NULL;
    }
  return backend->ops->alloc (backend->ctx, bytes, error);
}

void
ptl_backend_buffer_free (PtlBackend *backend,
                         PtlBuffer  *buffer)
{
  if (buffer != NULL)
    backend->ops->buffer_free (backend->ctx, buffer);
}

static gboolean
check_range (const PtlBuffer *buffer,
             gsize            offset,
             gsize            bytes,
             const char      *what,
             GError         **error)
{
  if (buffer == NULL || offset > buffer->bytes || bytes > buffer->bytes - offset)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "%s: %" G_GSIZE_FORMAT " bytes at offset %" G_GSIZE_FORMAT
                   " exceed the %" G_GSIZE_FORMAT "-byte buffer",
                   what, bytes, offset, buffer ? buffer->bytes : 0);
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_backend_upload (PtlBackend *backend,
                    PtlBuffer  *dst,
                    gsize       offset,
                    const void *src,
                    gsize       bytes,
                    GError    **error)
{
  return check_range (dst, offset, bytes, "upload", error)
         && backend->ops->upload (backend->ctx, dst, offset, src, bytes, error);
}

gboolean
ptl_backend_download (PtlBackend      *backend,
                      const PtlBuffer *src,
                      gsize            offset,
                      void            *dst,
                      gsize            bytes,
                      GError         **error)
{
  return check_range (src, offset, bytes, "download", error)
         && backend->ops->download (backend->ctx, src, offset, dst, bytes, error);
}

/* The wrapper remembers each plan's shape so that execute can check the buffer against it;
 * implementations keep their plan structs to themselves. */
static GMutex      plan_bytes_lock;
static GHashTable *plan_bytes; /* PtlFftPlan * → bytes one execution touches */

static void
remember_plan (PtlFftPlan *plan,
               gsize       bytes)
{
  g_mutex_lock (&plan_bytes_lock);
  if (plan_bytes == NULL)
    plan_bytes = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (plan_bytes, plan, GSIZE_TO_POINTER (bytes));
  g_mutex_unlock (&plan_bytes_lock);
}

static gsize
planned_bytes (PtlFftPlan *plan)
{
  g_mutex_lock (&plan_bytes_lock);
  gsize bytes = plan_bytes ? GPOINTER_TO_SIZE (g_hash_table_lookup (plan_bytes, plan)) : 0;
  g_mutex_unlock (&plan_bytes_lock);
  return bytes;
}

static void
forget_plan (PtlFftPlan *plan)
{
  g_mutex_lock (&plan_bytes_lock);
  if (plan_bytes != NULL)
    g_hash_table_remove (plan_bytes, plan);
  g_mutex_unlock (&plan_bytes_lock);
}

PtlFftPlan *
ptl_backend_fft_plan (PtlBackend *backend,
                      guint       rows,
                      guint       cols,
                      guint       batch,
                      GError    **error)
{
  if (rows == 0 || cols == 0 || batch == 0 || rows > 65536 || cols > 65536
      || (gsize) rows * cols * batch > PTL_ARRAY_MAX_BYTES / sizeof (ptl_complex))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Impossible FFT of %u frames of %u×%u", batch, rows, cols);
      return NULL;
    }
  PtlFftPlan *plan = backend->ops->fft_plan (backend->ctx, rows, cols, batch, error);
  if (plan != NULL)
    remember_plan (plan, (gsize) rows * cols * batch * sizeof (ptl_complex));
  return plan;
}

void
ptl_backend_fft_plan_free (PtlBackend *backend,
                           PtlFftPlan *plan)
{
  if (plan == NULL)
    return;
  forget_plan (plan);
  backend->ops->fft_plan_free (backend->ctx, plan);
}

gboolean
ptl_backend_fft_execute (PtlBackend     *backend,
                         PtlFftPlan     *plan,
                         PtlBuffer      *data,
                         gsize           offset,
                         PtlFftDirection direction,
                         GError        **error)
{
  gsize bytes = planned_bytes (plan);

  g_return_val_if_fail (bytes > 0, FALSE);
  return check_range (data, offset, bytes, "FFT", error)
         && backend->ops->fft_execute (backend->ctx, plan, data, offset, direction, error);
}

gboolean
ptl_backend_scale (PtlBackend *backend,
                   PtlBuffer  *data,
                   gsize       offset,
                   gsize       n_complex,
                   float       factor,
                   GError    **error)
{
  return check_range (data, offset, n_complex * sizeof (ptl_complex), "scale", error)
         && backend->ops->scale (backend->ctx, data, offset, n_complex, factor, error);
}

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
  return check_range (b->object, 0, (gsize) b->canvas_rows * b->canvas_cols * sizeof (ptl_complex),
                      "object", error)
         && check_range (b->probe, 0, n * sizeof (ptl_complex), "probe", error)
         && check_range (b->exit, 0, b->count * n * sizeof (ptl_complex), "exit waves", error)
         && check_range (b->order, 0, ((gsize) b->first + b->count) * sizeof (guint32), "order",
                         error)
         && check_range (b->scratch, 0, 2 * (gsize) b->count * sizeof (float), "scratch", error)
         && check_range (b->amplitudes, 0, (gsize) b->m * b->m * sizeof (float), "amplitudes",
                         error)
         && check_range (b->positions, 0, sizeof (PtlPosition), "positions", error)
         && check_range (b->errors, 0, sizeof (float), "errors", error);
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

gboolean
ptl_backend_synchronize (PtlBackend *backend,
                         GError    **error)
{
  return backend->ops->synchronize == NULL || backend->ops->synchronize (backend->ctx, error);
}

/* Either the backend's own snapshot, or the bytes downloaded at begin. */
struct _PtlSnapshot
{
  gpointer impl;
  gpointer host;
  gsize    bytes;
};

PtlSnapshot *
ptl_backend_snapshot_begin (PtlBackend      *backend,
                            const PtlBuffer *src,
                            gsize            offset,
                            gsize            bytes,
                            GError         **error)
{
  const PtlBackendOps *ops = backend->ops;
  PtlSnapshot *snapshot;

  if (bytes == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE, "A snapshot of no bytes");
      return NULL;
    }
  if (!check_range (src, offset, bytes, "snapshot", error))
    return NULL;
  snapshot = g_new0 (PtlSnapshot, 1);
  snapshot->bytes = bytes;
  if (ops->snapshot_begin != NULL && ops->snapshot_finish != NULL)
    snapshot->impl = ops->snapshot_begin (backend->ctx, src, offset, bytes, error);
  else if ((snapshot->host = g_try_malloc (bytes)) == NULL)
    g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_MEMORY,
                 "Out of memory for a snapshot of %" G_GSIZE_FORMAT " bytes", bytes);
  else if (!ops->download (backend->ctx, src, offset, snapshot->host, bytes, error))
    g_clear_pointer (&snapshot->host, g_free);
  if (snapshot->impl == NULL && snapshot->host == NULL)
    g_clear_pointer (&snapshot, g_free);
  return snapshot;
}

gboolean
ptl_backend_snapshot_finish (PtlBackend  *backend,
                             PtlSnapshot *snapshot,
                             void        *dst,
                             GError     **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (snapshot != NULL, FALSE);
  if (snapshot->impl != NULL)
    ok = backend->ops->snapshot_finish (backend->ctx, snapshot->impl, dst, error);
  else if (dst != NULL)
    memcpy (dst, snapshot->host, snapshot->bytes);
  g_free (snapshot->host);
  g_free (snapshot);
  return ok;
}

PtlDeviceImage *
ptl_backend_device_image (PtlBackend      *backend,
                          const PtlBuffer *src,
                          gsize            offset,
                          gsize            bytes,
                          GError         **error)
{
  if (backend->ops->device_image == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The %s backend keeps no images on a device", backend->ops->name);
      return NULL;
    }
  if (bytes == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE, "A device image of no bytes");
      return NULL;
    }
  if (!check_range (src, offset, bytes, "device image", error))
    return NULL;
  return backend->ops->device_image (backend->ctx, src, offset, bytes, error);
}

gboolean
ptl_backend_measure_bandwidth (PtlBackend *backend,
                               gsize       bytes,
                               double     *copy_bytes_per_s,
                               double     *upload_bytes_per_s,
                               GError    **error)
{
  if (backend->ops->measure_bandwidth == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The %s backend has no device memory to measure", backend->ops->name);
      return FALSE;
    }
  if (bytes == 0 || bytes > PTL_ARRAY_MAX_BYTES / 4)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Cannot measure bandwidth on transfers of %" G_GSIZE_FORMAT " bytes", bytes);
      return FALSE;
    }
  return backend->ops->measure_bandwidth (backend->ctx, bytes, copy_bytes_per_s,
                                          upload_bytes_per_s, error);
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
  return buffer == NULL || check_range (buffer, 0, bytes, what, error);
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
  return check_range (b->object, 0, canvas * sizeof (ptl_complex), "object", error)
         && check_range (b->probe, 0, b->n_modes * n * sizeof (ptl_complex), "probe", error)
         && check_range (b->frames, 0, ((gsize) b->first + b->count) * sizeof (guint32), "frames",
                         error)
         && check_range (b->positions, 0, sizeof (PtlPosition), "positions", error)
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
         && check_range (dst, 0, values * sizeof (ptl_complex), "overlap destination", error)
         && check_range (num, 0, values * sizeof (ptl_complex), "overlap numerator", error)
         && check_range (den, 0, n * sizeof (float), "overlap denominator", error)
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
         && check_range (object_dir, 0, canvas * sizeof (ptl_complex), "object direction", error)
         && check_range (probe_dir, 0, (gsize) batch->n_modes * batch->m * batch->m
                                         * sizeof (ptl_complex), "probe direction", error)
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
         && check_range (coefficients, 0, 3 * sizeof (float), "coefficients", error)
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
         && check_range (batch->errors, 0, ((gsize) batch->first + batch->count) * sizeof (float),
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
         && check_range (x, 0, n_complex * sizeof (ptl_complex), "dot", error)
         && check_range (y, 0, n_complex * sizeof (ptl_complex), "dot", error)
         && check_range (result, (gsize) index * sizeof (float), sizeof (float), "dot result",
                         error)
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
         && check_range (x, 0, n_complex * sizeof (ptl_complex), "axpby", error)
         && check_range (y, 0, n_complex * sizeof (ptl_complex), "axpby", error)
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
         && check_range (x, 0, bytes, "momentum", error)
         && check_range (snapshot, 0, bytes, "momentum snapshot", error)
         && check_range (velocity, 0, bytes, "momentum velocity", error)
         && backend->ops->momentum (backend->ctx, x, snapshot, velocity, n_complex, friction,
                                    feedback, error);
}
