/* The projection family on stored exit waves (algorithms.md §2.3, §3.4): difference map
 * (with a noise-aware Fourier projection), alternating projections and RAAR in PtyPy's
 * (a, b, c) form, each followed by the overlap step, a least-squares fit of object and probe
 * to the new waves with PtyPy's inertia terms, repeated while the probe still changes.
 * Every step runs on batches of frames; nothing returns to the host inside an iteration but
 * two norms per extra overlap pass and the per-frame errors at its end. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include "core/ptl-error.h"

/* PtyPy's object_inertia (× the mean diffraction power per pixel) and probe_inertia
 * (× frames per mode): they keep the division finite where nothing illuminates. */
#define OBJECT_INERTIA 1e-4
#define PROBE_INERTIA 1e-9

/* The per-pixel form of the noise-aware projection (algorithms.md §2.2), in units of
 * sqrt(photons): two standard deviations of a Poisson amplitude (1/2). With the exact
 * projection DM goes on fitting the noise of measured data: its exit waves drift, the error
 * grows and the object degrades after a few dozen iterations; with the tolerance the
 * constraint can be met and DM settles. */
#define DM_AMPLITUDE_TOLERANCE 1.0f

/* PtyPy's overlap_converge_factor: further object–probe passes stop once a pass changes
 * the probe by less than this fraction of its norm. */
#define OVERLAP_CONVERGED 0.05

/* The inertia, towards free space, of the object that position trials are measured
 * against (× the mean diffraction power per pixel, like OBJECT_INERTIA but 1000 times
 * it). With DM's own, the object where a frame's probe is faint is that frame's wave
 * divided by the faint probe, fitted to where the frame sits: every shifted trial then
 * looks worse, and frames at the edge of the scan stay where they arrived. rPIE damps its
 * step there in the same way. The cost is one pass over the stored waves per refinement. */
#define TRIAL_OBJECT_INERTIA 0.1

typedef struct
{
  PtlBuffer *waves;    /* [capacity][K][m][m] */
  guint      capacity;
  PtlBuffer *object_num;
  PtlBuffer *object_den;
  PtlBuffer *probe_num;
  PtlBuffer *probe_den;
  PtlBuffer *probe_before; /* [K][m][m]: the probe before an overlap pass, then its change */
  PtlBuffer *norms;        /* float [2]: |change|², |probe|² */
  PtlBuffer *trial;        /* the object position trials use; NULL until they need it */
} DmState;

static void
dm_destroy (PtlEngine *engine,
            gpointer   data)
{
  DmState *dm = data;

  if (dm == NULL)
    return;
  ptl_backend_buffer_free (engine->backend, dm->waves);
  ptl_backend_buffer_free (engine->backend, dm->object_num);
  ptl_backend_buffer_free (engine->backend, dm->object_den);
  ptl_backend_buffer_free (engine->backend, dm->probe_num);
  ptl_backend_buffer_free (engine->backend, dm->probe_den);
  ptl_backend_buffer_free (engine->backend, dm->probe_before);
  ptl_backend_buffer_free (engine->backend, dm->norms);
  ptl_backend_buffer_free (engine->backend, dm->trial);
  g_free (dm);
}

static void
dm_batch (PtlEngine    *engine,
          DmState      *dm,
          PtlWaveBatch *batch)
{
  _ptl_engine_wave_batch (engine, batch);
  batch->work = engine->exit;
  batch->waves = dm->waves;
}

/* waves = P·O for frames first … first + count − 1: exit_update with a = 1, b = 0. */
static gboolean
init_waves (PtlEngine *engine,
            DmState   *dm,
            guint      first,
            guint      count,
            GError   **error)
{
  PtlWaveBatch batch;

  dm_batch (engine, dm, &batch);
  for (guint k = first; k < first + count; k += engine->chunk)
    {
      batch.first = k;
      batch.count = MIN (engine->chunk, first + count - k);
      if (!ptl_backend_exit_update (engine->backend, &batch, 1.0f, 0.0f, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
alloc_canvas_sums (PtlEngine *engine,
                   DmState   *dm,
                   GError   **error)
{
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;

  ptl_backend_buffer_free (engine->backend, dm->object_num);
  ptl_backend_buffer_free (engine->backend, dm->object_den);
  ptl_backend_buffer_free (engine->backend, dm->trial);
  dm->object_den = dm->trial = NULL;
  return (dm->object_num = ptl_backend_alloc (engine->backend, canvas * sizeof (ptl_complex),
                                              error))
         && (dm->object_den = ptl_backend_alloc (engine->backend, canvas * sizeof (float), error));
}

static gpointer
dm_create (PtlEngine *engine,
           GError   **error)
{
  DmState *dm = g_new0 (DmState, 1);
  gsize wave = (gsize) engine->n_modes * engine->pixels * sizeof (ptl_complex);

  dm->capacity = MAX (engine->capacity, 1);
  if (!(dm->waves = ptl_backend_alloc (engine->backend, dm->capacity * wave, error))
      || !alloc_canvas_sums (engine, dm, error)
      || !(dm->probe_num = ptl_backend_alloc (engine->backend, wave, error))
      || !(dm->probe_den = ptl_backend_alloc (engine->backend, engine->pixels * sizeof (float),
                                              error))
      || !(dm->probe_before = ptl_backend_alloc (engine->backend, wave, error))
      || !(dm->norms = ptl_backend_alloc (engine->backend, 2 * sizeof (float), error))
      || !init_waves (engine, dm, 0, engine->n_frames, error))
    {
      dm_destroy (engine, dm);
      return NULL;
    }
  return dm;
}

static gboolean
dm_frames_changed (PtlEngine *engine,
                 gpointer   data,
                 guint      first,
                 guint      count,
                 GError   **error)
{
  DmState *dm = data;
  gsize wave = (gsize) engine->n_modes * engine->pixels * sizeof (ptl_complex);

  if (engine->capacity > dm->capacity)
    {
      if (!_ptl_engine_grow_buffer (engine, &dm->waves, first * wave, engine->capacity * wave,
                                    error))
        return FALSE;
      dm->capacity = engine->capacity;
    }
  return init_waves (engine, dm, first, count, error);
}

static gboolean
dm_canvas_grown (PtlEngine *engine,
                 gpointer   data,
                 GError   **error)
{
  return alloc_canvas_sums (engine, data, error);
}

/* PtyPy's (a, b, c) of the algorithm (algorithms.md §2.3). */
static void
coefficients (const PtlReconParams *p,
              float                *a,
              float                *b,
              float                *c)
{
  float relax = (float) p->relax;

  switch (p->algorithm)
    {
    case PTL_ALGORITHM_AP:
      *a = 0.0f, *b = 1.0f, *c = 1.0f;
      break;
    case PTL_ALGORITHM_RAAR:
      *a = 1.0f - 2.0f * relax, *b = relax, *c = 2.0f;
      break;
    case PTL_ALGORITHM_DM:
    default:
      *a = -relax, *b = 1.0f, *c = 1.0f + relax;
      break;
    }
}

/* Σ over all frames into the accumulators named in the batch. */
static gboolean
accumulate_all (PtlEngine    *engine,
                PtlWaveBatch *batch,
                GError      **error)
{
  for (guint k = 0; k < engine->n_frames; k += engine->chunk)
    {
      batch->first = k;
      batch->count = MIN (engine->chunk, engine->n_frames - k);
      if (!ptl_backend_overlap_accumulate (engine->backend, batch, error))
        return FALSE;
    }
  return TRUE;
}

/* The probe's overlap update, and whether it changed the probe by so little that further
 * passes are not worth their cost (only measured when a further pass may follow). */
static gboolean
update_probe_pass (PtlEngine    *engine,
                   DmState      *dm,
                   PtlWaveBatch *probe_batch,
                   float         c_probe,
                   gboolean      measure,
                   gboolean     *converged,
                   GError      **error)
{
  PtlBackend *be = engine->backend;
  gsize values = (gsize) engine->n_modes * engine->pixels;
  float norms[2];

  *converged = FALSE;
  if ((measure && !ptl_backend_axpby (be, dm->probe_before, engine->probe, values, 1.0f, 0.0f,
                                      error))
      || !accumulate_all (engine, probe_batch, error)
      || !ptl_backend_overlap_divide (be, engine->probe, dm->probe_num, dm->probe_den,
                                      engine->pixels, engine->n_modes, c_probe, c_probe, error))
    return FALSE;
  if (!measure)
    return TRUE;
  if (!ptl_backend_axpby (be, dm->probe_before, engine->probe, values, 1.0f, -1.0f, error)
      || !ptl_backend_dot (be, dm->probe_before, dm->probe_before, values, dm->norms, 0, error)
      || !ptl_backend_dot (be, engine->probe, engine->probe, values, dm->norms, 1, error)
      || !ptl_backend_download (be, dm->norms, 0, norms, sizeof norms, error))
    return FALSE;
  *converged = norms[0] <= OVERLAP_CONVERGED * OVERLAP_CONVERGED * norms[1];
  return TRUE;
}

static gboolean
dm_iterate (PtlEngine *engine,
            gpointer   data,
            gboolean   update_probe,
            double    *mean_error,
            GError   **error)
{
  DmState *dm = data;
  PtlBackend *be = engine->backend;
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  float c_object = (float) (OBJECT_INERTIA * engine->max_frame_photons / engine->pixels);
  float c_probe = (float) (PROBE_INERTIA * engine->n_frames / engine->n_modes);
  float a, b, c;
  PtlWaveBatch batch;
  PtlPieBatch view = {
    .object = engine->object,
    .canvas_rows = engine->canvas_rows,
    .canvas_cols = engine->canvas_cols,
    .probe = engine->probe,
    .m = engine->m,
    .exit = engine->exit,
    .amplitudes = engine->amplitudes,
    .positions = engine->positions_buf,
    .order = engine->frames_buf,
    .errors = engine->errors_buf,
    .scratch = engine->scratch,
    .n_modes = engine->n_modes,
    /* DM only: RAAR's β < 1 damps the same drift, and AP has none. */
    .amplitude_tolerance = engine->params.algorithm == PTL_ALGORITHM_DM ? DM_AMPLITUDE_TOLERANCE
                                                                        : 0.0f,
  };

  coefficients (&engine->params, &a, &b, &c);
  c_object = MAX (c_object, 1e-20f);
  dm_batch (engine, dm, &batch);
  batch.object_num = dm->object_num;
  batch.object_den = dm->object_den;

  /* Fourier step on every frame, the object's sums gathered as the new waves are written
   * (one pass over the waves instead of two). */
  for (guint k = 0; k < engine->n_frames; k += engine->chunk)
    {
      guint count = MIN (engine->chunk, engine->n_frames - k);
      batch.first = view.first = k;
      batch.count = view.count = count;
      if (!ptl_backend_projection_input (be, &batch, c, error)
          || !_ptl_engine_fft (engine, engine->exit, 0, count, PTL_FFT_FORWARD, error)
          || !ptl_backend_fourier_constraint (be, &view, error)
          || !_ptl_engine_fft (engine, engine->exit, 0, count, PTL_FFT_BACKWARD, error)
          || !ptl_backend_exit_update (be, &batch, a, b, error))
        return FALSE;
    }
  if (!ptl_backend_overlap_divide (be, engine->object, dm->object_num, dm->object_den, canvas, 1,
                                   c_object, c_object, error))
    return FALSE;

  /* Overlap step: the probe from the new object (a simultaneous update of both from the
   * same waves overshoots along the scale shared by object and probe, and diverges), then,
   * for further passes, the object from the new probe and so on, until the probe settles. */
  PtlWaveBatch object_batch = batch, probe_batch = batch;
  object_batch.probe_num = object_batch.probe_den = NULL;
  probe_batch.object_num = probe_batch.object_den = NULL;
  probe_batch.probe_num = dm->probe_num;
  probe_batch.probe_den = dm->probe_den;
  guint passes = engine->params.overlap_iterations;
  gboolean converged = FALSE;
  for (guint pass = 0; update_probe && !converged && pass < passes; pass++)
    if ((pass > 0
         && (!accumulate_all (engine, &object_batch, error)
             || !ptl_backend_overlap_divide (be, engine->object, dm->object_num, dm->object_den,
                                             canvas, 1, c_object, c_object, error)))
        || !update_probe_pass (engine, dm, &probe_batch, c_probe, pass + 1 < passes, &converged,
                               error))
      return FALSE;
  return _ptl_engine_mean_error (engine, mean_error, error);
}

/* The least-squares fit of the object to the stored waves, as the overlap step makes it,
 * with TRIAL_OBJECT_INERTIA's pull to free space. */
static gboolean
dm_trial_object (PtlEngine  *engine,
                 gpointer    data,
                 PtlBuffer **object,
                 GError    **error)
{
  DmState *dm = data;
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  float c = (float) (TRIAL_OBJECT_INERTIA * engine->max_frame_photons / engine->pixels);
  PtlWaveBatch batch;

  dm_batch (engine, dm, &batch);
  batch.object_num = dm->object_num;
  batch.object_den = dm->object_den;
  if ((dm->trial == NULL
       && !(dm->trial = ptl_backend_alloc (engine->backend, canvas * sizeof (ptl_complex),
                                           error)))
      || !_ptl_engine_fill_free_space (engine, dm->trial, error)
      || !accumulate_all (engine, &batch, error)
      || !ptl_backend_overlap_divide (engine->backend, dm->trial, dm->object_num, dm->object_den,
                                      canvas, 1, MAX (c, 1e-20f), MAX (c, 1e-20f), error))
    return FALSE;
  *object = dm->trial;
  return TRUE;
}

const PtlEngineAlgorithm _ptl_engine_dm = {
  .create = dm_create,
  .destroy = dm_destroy,
  .frames_changed = dm_frames_changed,
  .canvas_grown = dm_canvas_grown,
  .iterate = dm_iterate,
  .trial_object = dm_trial_object,
};
