#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-probe-init.h"

struct _PtlEngine
{
  PtlBackend    *backend; /* borrowed */
  PtlReconParams params;
  guint          m;
  guint          n_frames;
  guint          canvas_rows;
  guint          canvas_cols;
  PtlPosition   *positions;
  guint32       *order;
  GRand         *rand;
  GArray        *errors; /* double, mean Fourier error per iteration */
  double         estimated_defocus; /* NAN unless the probe came from the mean pattern */
  float         *frame_errors;

  PtlBuffer  *object;
  PtlBuffer  *probe;
  PtlBuffer  *exit;
  PtlBuffer  *amplitudes;
  PtlBuffer  *positions_buf;
  PtlBuffer  *order_buf;
  PtlBuffer  *errors_buf;
  PtlBuffer  *scratch;
  PtlFftPlan *plan;
};

/* Zero frequency from the centre (stored patterns) to [0, 0] (the FFT's convention). */
static void
ifftshift (const float *src,
           float       *dst,
           guint        m)
{
  guint h = m - m / 2;

  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      dst[((r + h) % m) * m + (c + h) % m] = src[r * m + c];
}

static gboolean
upload_amplitudes (PtlEngine         *engine,
                   const PtlScanData *scan,
                   GError           **error)
{
  guint m = engine->m;
  gsize n = (gsize) m * m;
  const float *intensity = ptl_array_float (scan->intensity);
  g_autofree float *amp = g_new (float, n);
  g_autofree float *shifted = g_new (float, n);

  /* The one place where patterns move from the stored convention (zero frequency at the
   * centre) to the FFT's (zero frequency at [0, 0]); masked pixels become negative. */
  for (guint j = 0; j < scan->n_frames; j++)
    {
      for (gsize i = 0; i < n; i++)
        {
          float v = intensity[j * n + i];
          gboolean measured = (scan->mask == NULL || scan->mask[i]) && isfinite (v);
          amp[i] = measured ? sqrtf (MAX (v, 0.0f)) : -1.0f;
        }
      ifftshift (amp, shifted, m);
      if (!ptl_backend_upload (engine->backend, engine->amplitudes, j * n * sizeof (float),
                               shifted, n * sizeof (float), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
place_frames (PtlEngine         *engine,
              const PtlScanData *scan,
              GError           **error)
{
  engine->positions = g_new (PtlPosition, scan->n_frames);
  for (guint j = 0; j < scan->n_frames; j++)
    {
      double row = round (scan->positions[2 * j]), col = round (scan->positions[2 * j + 1]);
      if (!(row >= 0 && col >= 0 && row + engine->m <= scan->canvas_rows
            && col + engine->m <= scan->canvas_cols))
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "Frame %u at (%.0f, %.0f) px does not fit the %u×%u object", j, row, col,
                       scan->canvas_rows, scan->canvas_cols);
          return FALSE;
        }
      engine->positions[j] = (PtlPosition) { (gint32) row, (gint32) col };
    }
  return ptl_backend_upload (engine->backend, engine->positions_buf, 0, engine->positions,
                             scan->n_frames * sizeof (PtlPosition), error);
}

/* Free space: |O| = 1, flat phase, everywhere the scan may reach. */
static gboolean
reset_object (PtlEngine *engine,
              GError   **error)
{
  g_autofree ptl_complex *ones = g_new (ptl_complex, engine->canvas_cols);

  for (guint c = 0; c < engine->canvas_cols; c++)
    ones[c] = 1.0f;
  for (guint r = 0; r < engine->canvas_rows; r++)
    if (!ptl_backend_upload (engine->backend, engine->object,
                             (gsize) r * engine->canvas_cols * sizeof (ptl_complex), ones,
                             engine->canvas_cols * sizeof (ptl_complex), error))
      return FALSE;
  return TRUE;
}

static gboolean
upload_probe (PtlEngine      *engine,
              const PtlArray *probe,
              GError        **error)
{
  return ptl_backend_upload (engine->backend, engine->probe, 0, probe->data,
                             ptl_array_bytes (probe), error);
}

static void
shuffle (PtlEngine *engine,
         guint      n)
{
  for (guint i = 0; i < n; i++)
    engine->order[i] = i;
  for (guint i = n; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (engine->rand, 0, (gint32) i);
      guint32 t = engine->order[i - 1];
      engine->order[i - 1] = engine->order[j];
      engine->order[j] = t;
    }
}

/* One PIE pass over frames 0…n−1 in a random order; the mean Fourier error of the pass. */
static gboolean
sweep (PtlEngine *engine,
       guint      n,
       gboolean   update_probe,
       double    *mean_error,
       GError   **error)
{
  PtlBackend *b = engine->backend;
  const PtlReconParams *params = &engine->params;
  PtlPieBatch batch = {
    .object = engine->object,
    .canvas_rows = engine->canvas_rows,
    .canvas_cols = engine->canvas_cols,
    .probe = engine->probe,
    .m = engine->m,
    .exit = engine->exit,
    .amplitudes = engine->amplitudes,
    .positions = engine->positions_buf,
    .order = engine->order_buf,
    .count = 1,
    .errors = engine->errors_buf,
    .scratch = engine->scratch,
    .variant = params->algorithm == PTL_ALGORITHM_RPIE ? PTL_PIE_RPIE : PTL_PIE_EPIE,
    .alpha = (float) params->alpha,
    .beta = (float) params->beta,
    .update_probe = update_probe,
  };

  shuffle (engine, n);
  if (!ptl_backend_upload (b, engine->order_buf, 0, engine->order, n * sizeof (guint32), error))
    return FALSE;

  for (guint k = 0; k < n; k++)
    {
      batch.first = k;
      if (!ptl_backend_exit_wave (b, &batch, error)
          || !ptl_backend_fft_execute (b, engine->plan, engine->exit, 0, PTL_FFT_FORWARD, error)
          || !ptl_backend_fourier_constraint (b, &batch, error)
          || !ptl_backend_fft_execute (b, engine->plan, engine->exit, 0, PTL_FFT_BACKWARD, error)
          || !ptl_backend_pie_update (b, &batch, error))
        return FALSE;
    }

  if (!ptl_backend_download (b, engine->errors_buf, 0, engine->frame_errors, n * sizeof (float),
                             error))
    return FALSE;
  double sum = 0.0;
  for (guint j = 0; j < n; j++)
    sum += engine->frame_errors[j];
  *mean_error = sum / n;
  return TRUE;
}

/* How well a candidate probe explains the first frames: the Fourier error after a few
 * object-only sweeps from free space. The first frames of a scan lie close together, so
 * they overlap and constrain the probe as the whole scan would. */
#define SEARCH_FRAMES 64
#define SEARCH_SWEEPS 8

static gboolean
candidate_error (PtlEngine      *engine,
                 const PtlPupil *pupil,
                 gboolean        bright_field_only,
                 double          defocus,
                 double         *error_value,
                 GError        **error)
{
  g_autoptr (PtlArray) probe = ptl_pupil_probe (pupil, bright_field_only, defocus);
  guint n = MIN (engine->n_frames, SEARCH_FRAMES);

  if (!upload_probe (engine, probe, error) || !reset_object (engine, error))
    return FALSE;
  for (guint s = 0; s < SEARCH_SWEEPS; s++)
    if (!sweep (engine, n, FALSE, error_value, error))
      return FALSE;
  return TRUE;
}

/* The probe from the data alone: the bright field of the mean pattern is the pupil, and
 * the defocus that turns it into the beam at the sample is found by a coarse scan over
 * the defocus range the window allows, refined twice around the best value. Without
 * it a defocused beam is started as a small focal spot, and PIE stagnates. A beam
 * without a sharp pupil (a Gaussian) is better described by the whole mean pattern at
 * focus, which is tried first. */
#define SEARCH_COARSE_STEPS 8 /* each side of focus */

static gboolean
probe_from_data (PtlEngine         *engine,
                 const PtlScanData *scan,
                 GError           **error)
{
  g_autoptr (PtlPupil) pupil = ptl_pupil_from_scan (scan);
  double step = pupil->max_defocus / SEARCH_COARSE_STEPS;
  double best = 0.0, best_error, value;
  gboolean bright_field_only = FALSE;

  if (!candidate_error (engine, pupil, FALSE, 0.0, &best_error, error))
    return FALSE;
  for (int k = -SEARCH_COARSE_STEPS; k <= SEARCH_COARSE_STEPS; k++)
    {
      if (!candidate_error (engine, pupil, TRUE, k * step, &value, error))
        return FALSE;
      if (value < best_error)
        best_error = value, best = k * step, bright_field_only = TRUE;
    }
  for (guint round = 0; bright_field_only && round < 2; round++)
    {
      double centre = best;
      step /= 3.0;
      for (int k = -1; k <= 1; k += 2)
        {
          if (!candidate_error (engine, pupil, TRUE, centre + k * step, &value, error))
            return FALSE;
          if (value < best_error)
            best_error = value, best = centre + k * step;
        }
    }

  engine->estimated_defocus = best;
  g_autoptr (PtlArray) probe = ptl_pupil_probe (pupil, bright_field_only, best);
  return upload_probe (engine, probe, error);
}

static gboolean
init_object_and_probe (PtlEngine         *engine,
                       const PtlScanData *scan,
                       const PtlArray    *model_probe,
                       GError           **error)
{
  if (engine->params.probe_init == PTL_PROBE_INIT_MODEL)
    {
      if (model_probe == NULL || model_probe->dtype != PTL_DTYPE_COMPLEX
          || ptl_array_rows (model_probe) != engine->m || ptl_array_cols (model_probe) != engine->m)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "A model probe of %u×%u complex values is required", engine->m, engine->m);
          return FALSE;
        }
      if (!upload_probe (engine, model_probe, error))
        return FALSE;
    }
  else if (!probe_from_data (engine, scan, error))
    return FALSE;

  return reset_object (engine, error);
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
  engine->estimated_defocus = NAN;
  engine->m = scan->geometry.frame_size;
  engine->n_frames = scan->n_frames;
  engine->canvas_rows = scan->canvas_rows;
  engine->canvas_cols = scan->canvas_cols;
  engine->rand = g_rand_new_with_seed ((guint32) params->seed);
  engine->errors = g_array_new (FALSE, FALSE, sizeof (double));
  engine->frame_errors = g_new0 (float, scan->n_frames);
  engine->order = g_new (guint32, scan->n_frames);
  for (guint j = 0; j < scan->n_frames; j++)
    engine->order[j] = j;

  gsize n = (gsize) engine->m * engine->m;
  if (!(engine->object = ptl_backend_alloc (backend, (gsize) engine->canvas_rows
                                                       * engine->canvas_cols * sizeof (ptl_complex),
                                            error))
      || !(engine->probe = ptl_backend_alloc (backend, n * sizeof (ptl_complex), error))
      || !(engine->exit = ptl_backend_alloc (backend, n * sizeof (ptl_complex), error))
      || !(engine->amplitudes = ptl_backend_alloc (backend, scan->n_frames * n * sizeof (float),
                                                   error))
      || !(engine->positions_buf = ptl_backend_alloc (backend,
                                                      scan->n_frames * sizeof (PtlPosition), error))
      || !(engine->order_buf = ptl_backend_alloc (backend, scan->n_frames * sizeof (guint32), error))
      || !(engine->errors_buf = ptl_backend_alloc (backend, scan->n_frames * sizeof (float), error))
      || !(engine->scratch = ptl_backend_alloc (backend, 2 * sizeof (float), error))
      || !(engine->plan = ptl_backend_fft_plan (backend, engine->m, engine->m, 1, error)))
    return NULL;

  if (!place_frames (engine, scan, error) || !upload_amplitudes (engine, scan, error)
      || !init_object_and_probe (engine, scan, probe, error))
    return NULL;

  return g_steal_pointer (&engine);
}

void
ptl_engine_free (PtlEngine *engine)
{
  if (engine == NULL)
    return;
  PtlBackend *b = engine->backend;
  ptl_backend_fft_plan_free (b, engine->plan);
  ptl_backend_buffer_free (b, engine->object);
  ptl_backend_buffer_free (b, engine->probe);
  ptl_backend_buffer_free (b, engine->exit);
  ptl_backend_buffer_free (b, engine->amplitudes);
  ptl_backend_buffer_free (b, engine->positions_buf);
  ptl_backend_buffer_free (b, engine->order_buf);
  ptl_backend_buffer_free (b, engine->errors_buf);
  ptl_backend_buffer_free (b, engine->scratch);
  g_clear_pointer (&engine->rand, g_rand_free);
  g_clear_pointer (&engine->errors, g_array_unref);
  g_free (engine->frame_errors);
  g_free (engine->positions);
  g_free (engine->order);
  g_free (engine);
}

gboolean
ptl_engine_iterate (PtlEngine *engine,
                    GError   **error)
{
  guint iteration = engine->errors->len;
  double mean;

  if (!sweep (engine, engine->n_frames, iteration >= engine->params.probe_update_start, &mean,
              error))
    return FALSE;
  g_array_append_val (engine->errors, mean);
  return TRUE;
}

double
ptl_engine_estimated_defocus (PtlEngine *engine)
{
  return engine->estimated_defocus;
}

gboolean
ptl_engine_set_params (PtlEngine            *engine,
                       const PtlReconParams *params,
                       GError              **error)
{
  if (!ptl_recon_params_validate (params, error))
    return FALSE;
  engine->params = *params;
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
                  guint      rows,
                  guint      cols,
                  GError   **error)
{
  g_autoptr (PtlArray) array = ptl_array_new_2d (PTL_DTYPE_COMPLEX, rows, cols);

  if (!ptl_backend_download (engine->backend, buffer, 0, array->data, ptl_array_bytes (array),
                             error))
    return NULL;
  return g_steal_pointer (&array);
}

PtlArray *
ptl_engine_get_object (PtlEngine *engine,
                       GError   **error)
{
  return download_complex (engine, engine->object, engine->canvas_rows, engine->canvas_cols, error);
}

PtlArray *
ptl_engine_get_probe (PtlEngine *engine,
                      GError   **error)
{
  return download_complex (engine, engine->probe, engine->m, engine->m, error);
}

double *
ptl_engine_copy_positions (PtlEngine *engine,
                           guint     *n_frames)
{
  double *positions = g_new (double, 2 * (gsize) engine->n_frames);

  for (guint j = 0; j < engine->n_frames; j++)
    {
      positions[2 * j] = engine->positions[j].row;
      positions[2 * j + 1] = engine->positions[j].col;
    }
  *n_frames = engine->n_frames;
  return positions;
}
