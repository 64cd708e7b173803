/* Maximum likelihood by nonlinear conjugate gradients (algorithms.md §3.5): the gradient
 * of the Gaussian or Poisson cost with respect to object and probe, preconditioned by the
 * illumination (Σ|P|² for the object, Σ|O|² for the probe) so that both take steps of a
 * comparable size, Polak–Ribière directions with restarts, and PtyPy's quadratic line
 * search whose coefficients come from three extra transforms per frame. Only scalars
 * (four dot products and three coefficients per frame) return to the host per iteration. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>

#include "core/ptl-error.h"

/* Regularisers of the preconditioner, relative to the mean diffraction power per pixel
 * (object) and to the frame count (probe): they keep the unilluminated canvas still. */
#define OBJECT_DAMPING 0.1
#define PROBE_DAMPING 1e-3

typedef struct
{
  PtlBuffer *work;         /* [3][chunk][K][m][m] */
  PtlBuffer *object_acc;   /* Σ conj(P) χ, then the preconditioned gradient */
  PtlBuffer *object_den;
  PtlBuffer *object_grad;
  PtlBuffer *object_prev;
  PtlBuffer *object_dir;
  PtlBuffer *probe_acc;
  PtlBuffer *probe_den;
  PtlBuffer *probe_grad;
  PtlBuffer *probe_prev;
  PtlBuffer *probe_dir;
  PtlBuffer *coefficients; /* float [capacity][3] */
  guint      coefficient_capacity;
  float     *host_coefficients;
  PtlBuffer *dots;         /* float [4] */
  gboolean   have_direction;
  double     prev_norm;
} MlState;

static void
free_canvas_buffers (PtlEngine *engine,
                     MlState   *ml)
{
  PtlBuffer **buffers[] = { &ml->object_acc, &ml->object_den, &ml->object_grad, &ml->object_prev,
                            &ml->object_dir };

  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    {
      ptl_backend_buffer_free (engine->backend, *buffers[i]);
      *buffers[i] = NULL;
    }
}

static void
ml_destroy (PtlEngine *engine,
            gpointer   data)
{
  MlState *ml = data;

  if (ml == NULL)
    return;
  free_canvas_buffers (engine, ml);
  PtlBuffer *buffers[] = { ml->work, ml->probe_acc, ml->probe_den, ml->probe_grad, ml->probe_prev,
                           ml->probe_dir, ml->coefficients, ml->dots };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (engine->backend, buffers[i]);
  g_free (ml->host_coefficients);
  g_free (ml);
}

static gboolean
alloc_canvas_buffers (PtlEngine *engine,
                      MlState   *ml,
                      GError   **error)
{
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  PtlBackend *b = engine->backend;

  free_canvas_buffers (engine, ml);
  ml->have_direction = FALSE;
  return (ml->object_acc = ptl_backend_alloc (b, canvas * sizeof (ptl_complex), error))
         && (ml->object_den = ptl_backend_alloc (b, canvas * sizeof (float), error))
         && (ml->object_grad = ptl_backend_alloc (b, canvas * sizeof (ptl_complex), error))
         && (ml->object_prev = ptl_backend_alloc (b, canvas * sizeof (ptl_complex), error))
         && (ml->object_dir = ptl_backend_alloc (b, canvas * sizeof (ptl_complex), error));
}

static gpointer
ml_create (PtlEngine *engine,
           GError   **error)
{
  MlState *ml = g_new0 (MlState, 1);
  PtlBackend *b = engine->backend;
  gsize probe = (gsize) engine->n_modes * engine->pixels * sizeof (ptl_complex);

  if (!(ml->work = ptl_backend_alloc (b, 3 * (gsize) engine->chunk * probe, error))
      || !alloc_canvas_buffers (engine, ml, error)
      || !(ml->probe_acc = ptl_backend_alloc (b, probe, error))
      || !(ml->probe_den = ptl_backend_alloc (b, engine->pixels * sizeof (float), error))
      || !(ml->probe_grad = ptl_backend_alloc (b, probe, error))
      || !(ml->probe_prev = ptl_backend_alloc (b, probe, error))
      || !(ml->probe_dir = ptl_backend_alloc (b, probe, error))
      || !(ml->dots = ptl_backend_alloc (b, 4 * sizeof (float), error)))
    {
      ml_destroy (engine, ml);
      return NULL;
    }
  return ml;
}

static gboolean
ml_frames_changed (PtlEngine *engine,
                 gpointer   data,
                 guint      first,
                 guint      count,
                 GError   **error)
{
  ((MlState *) data)->have_direction = FALSE; /* a new cost: restart the directions */
  return TRUE;
}

static gboolean
ml_canvas_grown (PtlEngine *engine,
                 gpointer   data,
                 GError   **error)
{
  return alloc_canvas_buffers (engine, data, error);
}

static gboolean
ensure_coefficients (PtlEngine *engine,
                     MlState   *ml,
                     GError   **error)
{
  if (ml->coefficient_capacity >= engine->n_frames)
    return TRUE;
  ptl_backend_buffer_free (engine->backend, ml->coefficients);
  ml->coefficient_capacity = 0;
  if (!(ml->coefficients = ptl_backend_alloc (engine->backend,
                                              3 * (gsize) engine->capacity * sizeof (float),
                                              error)))
    return FALSE;
  ml->coefficient_capacity = engine->capacity;
  ml->host_coefficients = g_renew (float, ml->host_coefficients, 3 * (gsize) engine->capacity);
  return TRUE;
}

/* The preconditioned gradient of the cost into object_grad and probe_grad. */
static gboolean
gradient (PtlEngine *engine,
          MlState   *ml,
          gboolean   update_probe,
          GError   **error)
{
  PtlBackend *b = engine->backend;
  PtlNoiseModel model = engine->params.ml_noise == PTL_ML_NOISE_POISSON ? PTL_NOISE_POISSON
                                                                       : PTL_NOISE_GAUSSIAN;
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  PtlWaveBatch batch;

  _ptl_engine_wave_batch (engine, &batch);
  batch.work = ml->work;
  batch.object_num = ml->object_acc;
  batch.object_den = ml->object_den;
  if (update_probe)
    {
      batch.probe_num = ml->probe_acc;
      batch.probe_den = ml->probe_den;
    }
  for (guint k = 0; k < engine->n_frames; k += engine->chunk)
    {
      batch.first = k;
      batch.count = MIN (engine->chunk, engine->n_frames - k);
      if (!ptl_backend_projection_input (b, &batch, 1.0f, error)
          || !_ptl_engine_fft (engine, ml->work, 0, batch.count, PTL_FFT_FORWARD, error)
          || !ptl_backend_ml_residual (b, &batch, model, error)
          || !_ptl_engine_fft (engine, ml->work, 0, batch.count, PTL_FFT_BACKWARD, error)
          || !ptl_backend_overlap_accumulate (b, &batch, error))
        return FALSE;
    }

  float object_damping = (float) MAX (OBJECT_DAMPING * engine->max_frame_photons / engine->pixels,
                                      1e-20);
  float probe_damping = (float) (PROBE_DAMPING * engine->n_frames);
  gsize probe = (gsize) engine->n_modes * engine->pixels;
  if (!ptl_backend_overlap_divide (b, ml->object_grad, ml->object_acc, ml->object_den, canvas, 1,
                                   0.0f, object_damping, error))
    return FALSE;
  if (update_probe)
    return ptl_backend_overlap_divide (b, ml->probe_grad, ml->probe_acc, ml->probe_den,
                                       engine->pixels, engine->n_modes, 0.0f, probe_damping, error);
  return ptl_backend_scale (b, ml->probe_grad, 0, probe, 0.0f, error);
}

/* Polak–Ribière: h = −s + max(0, <s, s − s_prev> / <s_prev, s_prev>) h. */
static gboolean
new_direction (PtlEngine *engine,
               MlState   *ml,
               GError   **error)
{
  PtlBackend *b = engine->backend;
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  gsize probe = (gsize) engine->n_modes * engine->pixels;
  float dots[4];

  if (!ptl_backend_dot (b, ml->object_grad, ml->object_grad, canvas, ml->dots, 0, error)
      || !ptl_backend_dot (b, ml->probe_grad, ml->probe_grad, probe, ml->dots, 1, error)
      || !ptl_backend_dot (b, ml->object_grad, ml->object_prev, canvas, ml->dots, 2, error)
      || !ptl_backend_dot (b, ml->probe_grad, ml->probe_prev, probe, ml->dots, 3, error)
      || !ptl_backend_download (b, ml->dots, 0, dots, sizeof dots, error))
    return FALSE;
  double norm = (double) dots[0] + dots[1], cross = (double) dots[2] + dots[3];
  double beta = 0.0;
  if (ml->have_direction && ml->prev_norm > 0.0)
    beta = MAX (0.0, (norm - cross) / ml->prev_norm);
  ml->prev_norm = norm;
  return ptl_backend_axpby (b, ml->object_dir, ml->object_grad, canvas, -1.0f, (float) beta, error)
         && ptl_backend_axpby (b, ml->probe_dir, ml->probe_grad, probe, -1.0f, (float) beta, error)
         && ptl_backend_axpby (b, ml->object_prev, ml->object_grad, canvas, 1.0f, 0.0f, error)
         && ptl_backend_axpby (b, ml->probe_prev, ml->probe_grad, probe, 1.0f, 0.0f, error);
}

/* The step along the direction that minimises the quadratic model of the cost; 0 when the
 * model has no minimum ahead. */
static gboolean
line_search (PtlEngine *engine,
             MlState   *ml,
             double    *step,
             GError   **error)
{
  PtlBackend *b = engine->backend;
  PtlNoiseModel model = engine->params.ml_noise == PTL_ML_NOISE_POISSON ? PTL_NOISE_POISSON
                                                                       : PTL_NOISE_GAUSSIAN;
  PtlWaveBatch batch;

  if (!ensure_coefficients (engine, ml, error))
    return FALSE;
  _ptl_engine_wave_batch (engine, &batch);
  batch.work = ml->work;
  for (guint k = 0; k < engine->n_frames; k += engine->chunk)
    {
      batch.first = k;
      batch.count = MIN (engine->chunk, engine->n_frames - k);
      if (!ptl_backend_ml_line_waves (b, &batch, ml->object_dir, ml->probe_dir, error)
          || !_ptl_engine_fft (engine, ml->work, 0, 3 * batch.count, PTL_FFT_FORWARD, error)
          || !ptl_backend_ml_line_coefficients (b, &batch, model, ml->coefficients, error))
        return FALSE;
    }
  if (!ptl_backend_download (b, ml->coefficients, 0, ml->host_coefficients,
                             3 * (gsize) engine->n_frames * sizeof (float), error))
    return FALSE;
  double b1 = 0.0, b2 = 0.0;
  for (guint j = 0; j < engine->n_frames; j++)
    {
      b1 += ml->host_coefficients[3 * j + 1];
      b2 += ml->host_coefficients[3 * j + 2];
    }
  *step = b2 > 0.0 && b1 < 0.0 && isfinite (b1 / b2) ? -b1 / (2.0 * b2) : 0.0;
  return TRUE;
}

static gboolean
ml_iterate (PtlEngine *engine,
            gpointer   data,
            gboolean   update_probe,
            double    *mean_error,
            GError   **error)
{
  MlState *ml = data;
  PtlBackend *b = engine->backend;
  gsize canvas = (gsize) engine->canvas_rows * engine->canvas_cols;
  gsize probe = (gsize) engine->n_modes * engine->pixels;
  double step;

  if (!gradient (engine, ml, update_probe, error)
      || !_ptl_engine_mean_error (engine, mean_error, error)
      || !new_direction (engine, ml, error) || !line_search (engine, ml, &step, error))
    return FALSE;
  /* No descent along a conjugate direction: start again from steepest descent. */
  ml->have_direction = step > 0.0;
  return step == 0.0
         || (ptl_backend_axpby (b, engine->object, ml->object_dir, canvas, (float) step, 1.0f,
                                error)
             && ptl_backend_axpby (b, engine->probe, ml->probe_dir, probe, (float) step, 1.0f,
                                   error));
}

const PtlEngineAlgorithm _ptl_engine_ml = {
  .create = ml_create,
  .destroy = ml_destroy,
  .frames_changed = ml_frames_changed,
  .canvas_grown = ml_canvas_grown,
  .iterate = ml_iterate,
};
