/* The engine's life cycle: creation from a scan, the algorithm in use and the switch
 * between algorithms, iterations, parameters and what it hands out. Streaming lives in
 * ptl-engine-stream.c, the probe from the data in ptl-engine-init.c, the algorithms in
 * ptl-engine-{pie,dm,ml}.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"

/* Frames per call of the batched engines: enough to fill a GPU, few enough on a CPU that a
 * batch of frames stays in its caches. */
#define CHUNK_CPU 16
#define CHUNK_DEVICE 256

guint
ptl_engine_chunk_frames (PtlBackend *backend)
{
  return g_strcmp0 (ptl_backend_name (backend), "cpu") == 0 ? CHUNK_CPU : CHUNK_DEVICE;
}

static const PtlEngineAlgorithm *
algorithm_for (PtlAlgorithm algorithm)
{
  switch (algorithm)
    {
    case PTL_ALGORITHM_DM:
    case PTL_ALGORITHM_AP:
    case PTL_ALGORITHM_RAAR:
      return &_ptl_engine_dm;
    case PTL_ALGORITHM_ML:
      return &_ptl_engine_ml;
    case PTL_ALGORITHM_EPIE:
    case PTL_ALGORITHM_RPIE:
    case PTL_ALGORITHM_MPIE:
    default:
      return &_ptl_engine_pie;
    }
}

static void
drop_algorithm_state (PtlEngine *engine)
{
  if (engine->algorithm != NULL)
    engine->algorithm->destroy (engine, engine->state);
  engine->algorithm = NULL;
  engine->state = NULL;
  _ptl_engine_momentum_free (engine);
}

/* The state of the algorithm the parameters name, made on first use after a switch. */
static gboolean
ensure_algorithm (PtlEngine *engine,
                  GError   **error)
{
  const PtlEngineAlgorithm *wanted = algorithm_for (engine->params.algorithm);

  if (engine->params.algorithm != PTL_ALGORITHM_MPIE)
    _ptl_engine_momentum_free (engine);
  if (engine->algorithm == wanted)
    return TRUE;
  drop_algorithm_state (engine);
  gpointer state = wanted->create (engine, error);
  if (state == NULL)
    return FALSE;
  engine->algorithm = wanted;
  engine->state = state;
  return TRUE;
}

static void
free_plan (PtlEngine   *engine,
           PtlFftPlan **plan)
{
  if (*plan != NULL)
    ptl_backend_fft_plan_free (engine->backend, *plan);
  *plan = NULL;
}

static void
free_buffer (PtlEngine  *engine,
             PtlBuffer **buffer)
{
  ptl_backend_buffer_free (engine->backend, *buffer);
  *buffer = NULL;
}

/* The buffers and plans whose size depends on K, the PIE batch and the chunk. */
static gboolean
configure_batches (PtlEngine *engine,
                   GError   **error)
{
  PtlBackend *b = engine->backend;
  guint k = engine->n_modes, batch = engine->params.batch_size;

  free_plan (engine, &engine->plan_batch);
  free_plan (engine, &engine->plan_chunk);
  free_plan (engine, &engine->plan_single);
  free_buffer (engine, &engine->exit);
  free_buffer (engine, &engine->scratch);
  engine->chunk = ptl_engine_chunk_frames (b);
  engine->slots = MAX (batch, engine->chunk);
  return (engine->exit = ptl_backend_alloc (b, (gsize) engine->slots * k * engine->pixels
                                                 * sizeof (ptl_complex), error))
         && (engine->scratch = ptl_backend_alloc (b, 2 * (gsize) engine->slots * sizeof (float),
                                                  error))
         && (engine->plan_single = ptl_backend_fft_plan (b, engine->m, engine->m, k, error))
         && (engine->plan_chunk = ptl_backend_fft_plan (b, engine->m, engine->m,
                                                        engine->chunk * k, error))
         && (batch == 1
             || (engine->plan_batch = ptl_backend_fft_plan (b, engine->m, engine->m, batch * k,
                                                            error)));
}

gboolean
_ptl_engine_fft (PtlEngine      *engine,
                 PtlBuffer      *buffer,
                 guint           first,
                 guint           frames,
                 PtlFftDirection direction,
                 GError        **error)
{
  PtlBackend *b = engine->backend;
  gsize slot_bytes = (gsize) engine->n_modes * engine->pixels * sizeof (ptl_complex);
  guint batch = engine->params.batch_size;

  while (frames > 0)
    {
      PtlFftPlan *plan = engine->plan_single;
      guint step = 1;
      if (frames >= engine->chunk)
        plan = engine->plan_chunk, step = engine->chunk;
      else if (batch > 1 && frames >= batch)
        plan = engine->plan_batch, step = batch;
      if (!ptl_backend_fft_execute (b, plan, buffer, first * slot_bytes, direction, error))
        return FALSE;
      first += step;
      frames -= step;
    }
  return TRUE;
}

void
_ptl_engine_wave_batch (PtlEngine    *engine,
                        PtlWaveBatch *batch)
{
  *batch = (PtlWaveBatch) {
    .object = engine->object,
    .canvas_rows = engine->canvas_rows,
    .canvas_cols = engine->canvas_cols,
    .probe = engine->probe,
    .m = engine->m,
    .n_modes = engine->n_modes,
    .positions = engine->positions_buf,
    .frames = engine->frames_buf,
    .amplitudes = engine->amplitudes,
    .errors = engine->errors_buf,
  };
}

gboolean
_ptl_engine_mean_error (PtlEngine *engine,
                        double    *mean_error,
                        GError   **error)
{
  if (!ptl_backend_download (engine->backend, engine->errors_buf, 0, engine->frame_errors,
                             engine->n_frames * sizeof (float), error))
    return FALSE;
  double sum = 0.0;
  for (guint j = 0; j < engine->n_frames; j++)
    sum += engine->frame_errors[j];
  *mean_error = sum / MAX (engine->n_frames, 1);
  return TRUE;
}

gboolean
_ptl_engine_grow_buffer (PtlEngine  *engine,
                         PtlBuffer **buffer,
                         gsize       used_bytes,
                         gsize       new_bytes,
                         GError    **error)
{
  PtlBuffer *grown = ptl_backend_alloc (engine->backend, new_bytes, error);

  if (grown == NULL)
    return FALSE;
  if (used_bytes > 0 && *buffer != NULL)
    {
      g_autofree guint8 *host = g_try_malloc (used_bytes);
      if (host == NULL)
        {
          ptl_backend_buffer_free (engine->backend, grown);
          g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_MEMORY,
                       "Out of memory growing a buffer to %" G_GSIZE_FORMAT " bytes", new_bytes);
          return FALSE;
        }
      if (!ptl_backend_download (engine->backend, *buffer, 0, host, used_bytes, error)
          || !ptl_backend_upload (engine->backend, grown, 0, host, used_bytes, error))
        {
          ptl_backend_buffer_free (engine->backend, grown);
          return FALSE;
        }
    }
  ptl_backend_buffer_free (engine->backend, *buffer);
  *buffer = grown;
  return TRUE;
}

gboolean
_ptl_engine_upload_positions (PtlEngine *engine,
                              GError   **error)
{
  return engine->n_frames == 0
         || ptl_backend_upload (engine->backend, engine->positions_buf, 0, engine->positions,
                                engine->n_frames * sizeof (PtlPosition), error);
}

PtlEngine *
ptl_engine_new (PtlBackend           *backend,
                const PtlScanData    *scan,
                const PtlReconParams *params,
                const PtlArray       *probe,
                GError              **error)
{
  g_autoptr (PtlEngine) engine = NULL;

  if (!ptl_recon_params_validate (params, error) || !ptl_scan_data_validate (scan, error))
    return NULL;

  engine = g_new0 (PtlEngine, 1);
  engine->backend = backend;
  engine->params = *params;
  ptl_recon_params_fill_defaults (&engine->params);
  engine->estimated_defocus = NAN;
  engine->m = scan->geometry.frame_size;
  engine->pixels = (gsize) engine->m * engine->m;
  engine->n_modes = engine->params.n_modes;
  engine->canvas_rows = scan->canvas_rows;
  engine->canvas_cols = scan->canvas_cols;
  engine->rand = g_rand_new_with_seed ((guint32) params->seed);
  engine->errors = g_array_new (FALSE, FALSE, sizeof (double));

  if (!(engine->object = ptl_backend_alloc (backend, (gsize) engine->canvas_rows
                                                       * engine->canvas_cols * sizeof (ptl_complex),
                                            error))
      || !(engine->probe = ptl_backend_alloc (backend, engine->n_modes * engine->pixels
                                                         * sizeof (ptl_complex), error))
      || !configure_batches (engine, error))
    return NULL;

  if (!_ptl_engine_add_scan_frames (engine, scan, error)
      || !_ptl_engine_init_object_and_probe (engine, scan, probe, error)
      || !ensure_algorithm (engine, error))
    return NULL;

  return g_steal_pointer (&engine);
}

void
ptl_engine_free (PtlEngine *engine)
{
  if (engine == NULL)
    return;
  drop_algorithm_state (engine);
  free_plan (engine, &engine->plan_batch);
  free_plan (engine, &engine->plan_chunk);
  free_plan (engine, &engine->plan_single);
  free_buffer (engine, &engine->object);
  free_buffer (engine, &engine->probe);
  free_buffer (engine, &engine->exit);
  free_buffer (engine, &engine->amplitudes);
  free_buffer (engine, &engine->positions_buf);
  free_buffer (engine, &engine->order_buf);
  free_buffer (engine, &engine->frames_buf);
  free_buffer (engine, &engine->errors_buf);
  free_buffer (engine, &engine->scratch);
  g_clear_pointer (&engine->rand, g_rand_free);
  g_clear_pointer (&engine->errors, g_array_unref);
  g_free (engine->frame_errors);
  g_free (engine->positions);
  g_free (engine->arrival);
  g_free (engine->offsets);
  g_free (engine->arrival_offsets);
  g_free (engine->order);
  g_free (engine);
}

static gboolean
refine_positions_now (PtlEngine *engine,
                      guint      iteration)
{
  const PtlReconParams *p = &engine->params;

  return p->refine_positions && iteration >= p->position_start
         && (iteration - p->position_start) % p->position_interval == 0;
}

gboolean
ptl_engine_iterate (PtlEngine *engine,
                    GError   **error)
{
  guint iteration = engine->errors->len;
  double mean;

  if (engine->n_frames == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The engine holds no frames to iterate on");
      return FALSE;
    }
  if (!ensure_algorithm (engine, error)
      || !engine->algorithm->iterate (engine, engine->state,
                                      iteration >= engine->params.probe_update_start, &mean, error)
      || (engine->n_modes > 1 && engine->algorithm != &_ptl_engine_dm
          && !_ptl_engine_orthogonalise_modes (engine, error))
      || (refine_positions_now (engine, iteration)
          && !_ptl_engine_refine_positions (engine,
                                            (iteration - engine->params.position_start)
                                              / engine->params.position_interval,
                                            error)))
    return FALSE;
  g_array_append_val (engine->errors, mean);
  return TRUE;
}

double
ptl_engine_estimated_defocus (PtlEngine *engine)
{
  return engine->estimated_defocus;
}

/* A new number of probe modes: the modes there are stay (the strongest first), new ones
 * start with diversity, and the total power is kept. */
static gboolean
change_modes (PtlEngine *engine,
              guint      n_modes,
              GError   **error)
{
  g_autoptr (PtlArray) modes = ptl_engine_get_probe_modes (engine, error);
  if (modes == NULL)
    return FALSE;
  g_autoptr (PtlArray) first = ptl_array_new_2d (PTL_DTYPE_COMPLEX, engine->m, engine->m);
  memcpy (first->data, modes->data, ptl_array_bytes (first));
  g_autoptr (PtlArray) fresh = _ptl_engine_modes_from_probe (first, n_modes);
  ptl_complex *f = ptl_array_complex (fresh);
  const ptl_complex *old = ptl_array_complex (modes);
  /* Existing modes 1 … min(K, K') − 1 replace the fresh ones of the same rank. */
  for (guint l = 1; l < MIN (n_modes, engine->n_modes); l++)
    memcpy (f + l * engine->pixels, old + l * engine->pixels,
            engine->pixels * sizeof (ptl_complex));

  PtlBuffer *probe = ptl_backend_alloc (engine->backend, ptl_array_bytes (fresh), error);
  if (probe == NULL || !ptl_backend_upload (engine->backend, probe, 0, f, ptl_array_bytes (fresh),
                                            error))
    {
      ptl_backend_buffer_free (engine->backend, probe);
      return FALSE;
    }
  drop_algorithm_state (engine);
  ptl_backend_buffer_free (engine->backend, engine->probe);
  engine->probe = probe;
  engine->n_modes = n_modes;
  return TRUE;
}

gboolean
ptl_engine_set_params (PtlEngine            *engine,
                       const PtlReconParams *params,
                       GError              **error)
{
  PtlReconParams p = *params;

  if (!ptl_recon_params_validate (params, error))
    return FALSE;
  ptl_recon_params_fill_defaults (&p);
  gboolean reshape = p.n_modes != engine->n_modes || p.batch_size != engine->params.batch_size;
  if (p.n_modes != engine->n_modes && !change_modes (engine, p.n_modes, error))
    return FALSE;
  engine->params = p;
  if (reshape)
    {
      drop_algorithm_state (engine);
      if (!configure_batches (engine, error))
        return FALSE;
    }
  return TRUE;
}

guint
ptl_engine_iteration (PtlEngine *engine)
{
  return engine->errors->len;
}

const double *
ptl_engine_errors (PtlEngine *engine,
                   guint     *n_errors)
{
  *n_errors = engine->errors->len;
  return (const double *) engine->errors->data;
}

static PtlArray *
download_complex (PtlEngine *engine,
                  PtlBuffer *buffer,
                  PtlArray  *array,
                  GError   **error)
{
  g_autoptr (PtlArray) owned = array;

  if (!ptl_backend_download (engine->backend, buffer, 0, owned->data, ptl_array_bytes (owned),
                             error))
    return NULL;
  return g_steal_pointer (&owned);
}

PtlArray *
ptl_engine_get_object (PtlEngine *engine,
                       GError   **error)
{
  return download_complex (engine, engine->object,
                           ptl_array_new_2d (PTL_DTYPE_COMPLEX, engine->canvas_rows,
                                             engine->canvas_cols),
                           error);
}

PtlDeviceImage *
ptl_engine_get_object_on_device (PtlEngine *engine,
                                 GError   **error)
{
  return ptl_backend_device_image (engine->backend, engine->object, 0,
                                   (gsize) engine->canvas_rows * engine->canvas_cols
                                     * sizeof (ptl_complex),
                                   error);
}

PtlArray *
ptl_engine_get_probe (PtlEngine *engine,
                      GError   **error)
{
  if (engine->n_modes == 1)
    return download_complex (engine, engine->probe,
                             ptl_array_new_2d (PTL_DTYPE_COMPLEX, engine->m, engine->m), error);
  g_autoptr (PtlArray) modes = _ptl_engine_natural_modes (engine, error);
  if (modes == NULL)
    return NULL;
  PtlArray *strongest = ptl_array_new_2d (PTL_DTYPE_COMPLEX, engine->m, engine->m);
  memcpy (strongest->data, modes->data, ptl_array_bytes (strongest));
  return strongest;
}

PtlArray *
ptl_engine_get_probe_modes (PtlEngine *engine,
                            GError   **error)
{
  return _ptl_engine_natural_modes (engine, error);
}

guint
ptl_engine_n_modes (PtlEngine *engine)
{
  return engine->n_modes;
}

double *
ptl_engine_copy_positions (PtlEngine *engine,
                           guint     *n_frames)
{
  double *positions = g_new (double, 2 * (gsize) MAX (engine->n_frames, 1));

  for (guint j = 0; j < engine->n_frames; j++)
    {
      positions[2 * j] = engine->positions[j].row + engine->offsets[2 * j];
      positions[2 * j + 1] = engine->positions[j].col + engine->offsets[2 * j + 1];
    }
  *n_frames = engine->n_frames;
  return positions;
}

double *
ptl_engine_copy_position_shifts (PtlEngine *engine,
                                 guint     *n_frames)
{
  double *shifts = g_new (double, 2 * (gsize) MAX (engine->n_frames, 1));

  for (guint j = 0; j < engine->n_frames; j++)
    {
      shifts[2 * j] = engine->positions[j].row - engine->arrival[j].row + engine->offsets[2 * j]
                      - engine->arrival_offsets[2 * j];
      shifts[2 * j + 1] = engine->positions[j].col - engine->arrival[j].col
                          + engine->offsets[2 * j + 1] - engine->arrival_offsets[2 * j + 1];
    }
  *n_frames = engine->n_frames;
  return shifts;
}
