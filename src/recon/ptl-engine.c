#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"

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

static void
fftshift_real (const float *src,
               float       *dst,
               guint        m,
               gboolean     inverse)
{
  guint h = inverse ? m - m / 2 : m / 2;

  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      dst[((r + h) % m) * m + (c + h) % m] = src[r * m + c];
}

/* Initial probe from the data alone: F⁻¹ of sqrt(mean pattern), centred in the window and
 * scaled so that Σ|P|² equals the brightest frame's photon count (an object of |O| ≤ 1
 * cannot make a frame brighter than the probe). */
PtlArray *
ptl_probe_from_mean_pattern (const PtlScanData *scan)
{
  guint m = scan->geometry.frame_size;
  gsize n = (gsize) m * m;
  const float *intensity = ptl_array_float (scan->intensity);
  g_autofree double *mean = g_new0 (double, n);
  g_autofree float *amp = g_new (float, n);
  g_autofree float *shifted = g_new (float, n);
  double max_photons = 0.0;

  for (guint j = 0; j < scan->n_frames; j++)
    {
      double photons = 0.0;
      for (gsize i = 0; i < n; i++)
        {
          float v = intensity[j * n + i];
          mean[i] += v;
          photons += v;
        }
      max_photons = MAX (max_photons, photons);
    }
  for (gsize i = 0; i < n; i++)
    amp[i] = (scan->mask == NULL || scan->mask[i]) ? sqrt (mean[i] / scan->n_frames) : 0.0f;
  fftshift_real (amp, shifted, m, TRUE);

  PtlArray *probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  ptl_complex *p = ptl_array_complex (probe);
  g_autoptr (PtlArray) spectrum = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  ptl_complex *s = ptl_array_complex (spectrum);
  for (gsize i = 0; i < n; i++)
    s[i] = shifted[i];

  fftwf_plan plan = fftwf_plan_dft_2d ((int) m, (int) m, (fftwf_complex *) s, (fftwf_complex *) s,
                                       FFTW_BACKWARD, FFTW_ESTIMATE);
  fftwf_execute (plan);
  fftwf_destroy_plan (plan);

  /* Move the zero-delay peak from [0, 0] to the window centre. */
  guint h = m / 2;
  double power = 0.0;
  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      {
        ptl_complex v = s[((r + h) % m) * m + (c + h) % m];
        p[r * m + c] = v;
        power += crealf (v) * crealf (v) + cimagf (v) * cimagf (v);
      }
  float scale = power > 0.0 ? sqrt (max_photons / power) : 0.0f;
  for (gsize i = 0; i < n; i++)
    p[i] *= scale;
  return probe;
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
      fftshift_real (amp, shifted, m, TRUE);
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

static gboolean
init_object_and_probe (PtlEngine         *engine,
                       const PtlScanData *scan,
                       const PtlArray    *model_probe,
                       GError           **error)
{
  g_autoptr (PtlArray) probe = NULL;

  /* Free space: |O| = 1, flat phase, everywhere the scan may reach. */
  g_autofree ptl_complex *ones = g_new (ptl_complex, engine->canvas_cols);
  for (guint c = 0; c < engine->canvas_cols; c++)
    ones[c] = 1.0f;
  for (guint r = 0; r < engine->canvas_rows; r++)
    if (!ptl_backend_upload (engine->backend, engine->object,
                             (gsize) r * engine->canvas_cols * sizeof (ptl_complex), ones,
                             engine->canvas_cols * sizeof (ptl_complex), error))
      return FALSE;

  if (engine->params.probe_init == PTL_PROBE_INIT_MODEL)
    {
      if (model_probe == NULL || model_probe->dtype != PTL_DTYPE_COMPLEX
          || ptl_array_rows (model_probe) != engine->m || ptl_array_cols (model_probe) != engine->m)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "A model probe of %u×%u complex values is required", engine->m, engine->m);
          return FALSE;
        }
      probe = ptl_array_copy (model_probe);
    }
  else
    probe = ptl_probe_from_mean_pattern (scan);

  return ptl_backend_upload (engine->backend, engine->probe, 0, probe->data,
                             ptl_array_bytes (probe), error);
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

static void
shuffle (PtlEngine *engine)
{
  for (guint i = engine->n_frames; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (engine->rand, 0, (gint32) i);
      guint32 t = engine->order[i - 1];
      engine->order[i - 1] = engine->order[j];
      engine->order[j] = t;
    }
}

gboolean
ptl_engine_iterate (PtlEngine *engine,
                    GError   **error)
{
  PtlBackend *b = engine->backend;
  const PtlReconParams *params = &engine->params;
  guint iteration = engine->errors->len;
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
    .update_probe = iteration >= params->probe_update_start,
  };

  shuffle (engine);
  if (!ptl_backend_upload (b, engine->order_buf, 0, engine->order,
                           engine->n_frames * sizeof (guint32), error))
    return FALSE;

  for (guint k = 0; k < engine->n_frames; k++)
    {
      batch.first = k;
      if (!ptl_backend_exit_wave (b, &batch, error)
          || !ptl_backend_fft_execute (b, engine->plan, engine->exit, 0, PTL_FFT_FORWARD, error)
          || !ptl_backend_fourier_constraint (b, &batch, error)
          || !ptl_backend_fft_execute (b, engine->plan, engine->exit, 0, PTL_FFT_BACKWARD, error)
          || !ptl_backend_pie_update (b, &batch, error))
        return FALSE;
    }

  if (!ptl_backend_download (b, engine->errors_buf, 0, engine->frame_errors,
                             engine->n_frames * sizeof (float), error))
    return FALSE;
  double sum = 0.0;
  for (guint j = 0; j < engine->n_frames; j++)
    sum += engine->frame_errors[j];
  double mean = sum / engine->n_frames;
  g_array_append_val (engine->errors, mean);
  return TRUE;
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
