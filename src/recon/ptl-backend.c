/* Backend selection and the public wrappers around the ops table for the backend's life,
 * its memory, transforms and transfers (the kernels' wrappers are in
 * ptl-backend-kernels.c). The wrappers check every buffer bound before a slot runs, so
 * that an implementation can stay lean and a caller's mistake is an error rather than an
 * out-of-bounds access on a device. */
#include "config.h"

#include <string.h>

#define G_LOG_DOMAIN "Ptl-Backend"

#include "ptl-backend-wrappers-private.h"

#include "core/ptl-error.h"
#include "core/ptl-module.h"

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

gboolean
_ptl_backend_check_range (const PtlBuffer *buffer,
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
  return _ptl_backend_check_range (dst, offset, bytes, "upload", error)
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
  return _ptl_backend_check_range (src, offset, bytes, "download", error)
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
  return _ptl_backend_check_range (data, offset, bytes, "FFT", error)
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
  return _ptl_backend_check_range (data, offset, n_complex * sizeof (ptl_complex), "scale", error)
         && backend->ops->scale (backend->ctx, data, offset, n_complex, factor, error);
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
  if (!_ptl_backend_check_range (src, offset, bytes, "snapshot", error))
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
  if (!_ptl_backend_check_range (src, offset, bytes, "device image", error))
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
