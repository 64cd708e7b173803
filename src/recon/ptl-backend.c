/* Backend selection and the public wrappers around the ops table. The wrappers check
 * every buffer bound before a slot runs, so that an implementation can stay lean and a
 * caller's mistake is an error rather than an out-of-bounds access on a device. */
#include "config.h"

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
  gsize n = (gsize) b->m * b->m;

  if (b->m == 0 || b->count == 0 || b->canvas_rows < b->m || b->canvas_cols < b->m)
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
         && check_range (b->order, 0, ((gsize) b->first + b->count) * sizeof (guint32), "order", error)
         && check_range (b->scratch, 0, 2 * (gsize) b->count * sizeof (float), "scratch", error)
         && check_range (b->amplitudes, 0, n * sizeof (float), "amplitudes", error)
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
