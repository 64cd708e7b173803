#include "config.h"

#include "ptl-headless.h"

#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "core/ptl-error.h"
#include "io/ptl-result-file.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"

/* Fails before any work is done if the result could not be written afterwards. */
static gboolean
check_output_path (const char *path,
                   GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot write %s: it is a directory",
                   path);
      return FALSE;
    }
  if (g_access (dir, W_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "Cannot write %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
measure_quality (const PtlArray *object_truth,
                 const PtlArray *probe_truth,
                 const PtlArray *object,
                 PtlEngine      *engine,
                 PtlQuality     *quality,
                 GError        **error)
{
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);

  return ptl_quality_compare_scan (object_truth, object, probe_truth, positions, n, quality,
                                   error);
}

/* What the engine learnt besides object and probe: mode powers and position moves. */
static gboolean
report_modes_and_positions (PtlEngine *engine,
                            GError   **error)
{
  guint k = ptl_engine_n_modes (engine);

  if (k > 1)
    {
      g_autoptr (PtlArray) modes = ptl_engine_get_probe_modes (engine, error);
      if (modes == NULL)
        return FALSE;
      gsize n = modes->n / k;
      const ptl_complex *p = ptl_array_complex (modes);
      g_autofree double *power = g_new0 (double, k);
      double total = 0.0;
      for (guint l = 0; l < k; l++)
        {
          for (gsize i = 0; i < n; i++)
            power[l] += (double) crealf (p[l * n + i]) * crealf (p[l * n + i])
                        + (double) cimagf (p[l * n + i]) * cimagf (p[l * n + i]);
          total += power[l];
        }
      g_print ("probe modes, share of the power:");
      for (guint l = 0; l < k; l++)
        g_print (" %.3f", power[l] / total);
      g_print ("\n");
    }

  guint n_frames, moved = 0;
  g_autofree double *shifts = ptl_engine_copy_position_shifts (engine, &n_frames);
  double sum = 0.0;
  for (guint j = 0; j < n_frames; j++)
    {
      double d2 = shifts[2 * j] * shifts[2 * j] + shifts[2 * j + 1] * shifts[2 * j + 1];
      moved += d2 > 0.0;
      sum += d2;
    }
  if (moved > 0)
    g_print ("position refinement moved %u of %u frames, %.2f px rms\n", moved, n_frames,
             sqrt (sum / n_frames));
  return TRUE;
}

static PtlResult *
make_result (const PtlHeadlessOptions *options,
             const PtlScanData        *scan,
             PtlEngine                *engine,
             PtlBackend               *backend,
             PtlArray                 *object,
             GError                  **error)
{
  g_autoptr (PtlResult) result = ptl_result_new ();
  guint n_errors;
  const double *errors = ptl_engine_errors (engine, &n_errors);

  result->probe = ptl_engine_n_modes (engine) > 1 ? ptl_engine_get_probe_modes (engine, error)
                                                    : ptl_engine_get_probe (engine, error);
  if (result->probe == NULL)
    return NULL;
  result->object = ptl_array_copy (object);
  result->geometry = scan->geometry;
  result->mapping = scan->mapping;
  result->pixel_size = ptl_geometry_pixel_size (&scan->geometry);
  result->n_positions = scan->n_frames;
  result->translation = g_memdup2 (scan->translation, 2 * sizeof (double) * scan->n_frames);
  /* The positions used: those refined, when position refinement moved them. */
  guint n;
  g_autofree double *shifts = ptl_engine_copy_position_shifts (engine, &n);
  for (guint j = 0; j < MIN (n, scan->n_frames); j++)
    {
      double dx, dy;
      ptl_axis_mapping_to_stage (&scan->mapping, result->pixel_size, shifts[2 * j],
                                 shifts[2 * j + 1], &dx, &dy);
      result->translation[2 * j] += dx;
      result->translation[2 * j + 1] += dy;
    }
  result->params = options->recon;
  result->n_iterations = n_errors;
  result->errors = g_memdup2 (errors, n_errors * sizeof (double));
  result->backend = g_strdup (ptl_backend_name (backend));
  return g_steal_pointer (&result);
}

gboolean
ptl_headless_run (const PtlHeadlessOptions *options,
                  GError                  **error)
{
  g_autoptr (PtlArray) object_truth = NULL;
  g_autoptr (PtlArray) probe_truth = NULL;
  g_autoptr (PtlScanData) scan = NULL;
  g_autoptr (PtlBackend) backend = NULL;
  g_autoptr (PtlEngine) engine = NULL;
  g_autoptr (PtlArray) object = NULL;
  g_autoptr (PtlResult) result = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  PtlQuality quality;

  if (!ptl_sim_params_validate (&options->sim, error)
      || !ptl_recon_params_validate (&options->recon, error)
      || (options->output != NULL && !check_output_path (options->output, error)))
    return FALSE;

  scan = ptl_simulate_scan (&options->sim, &object_truth, &probe_truth, error);
  if (scan == NULL)
    return FALSE;
  if (options->object_size != 0
      && (scan->canvas_rows > options->object_size || scan->canvas_cols > options->object_size))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "The scan needs a %u×%u object for its %u×%u frames, larger than the %u×%u "
                   "object requested",
                   scan->canvas_rows, scan->canvas_cols, scan->geometry.frame_size,
                   scan->geometry.frame_size, options->object_size, options->object_size);
      return FALSE;
    }
  g_print ("simulated %u frames of %u×%u (%s scan, pixel %.2f nm, object %u×%u) in %.2f s\n",
           scan->n_frames, scan->geometry.frame_size, scan->geometry.frame_size,
           ptl_scan_pattern_to_string (options->sim.pattern),
           ptl_geometry_pixel_size (&scan->geometry) * 1e9, scan->canvas_rows, scan->canvas_cols,
           g_timer_elapsed (timer, NULL));

  backend = ptl_backend_new (options->backend, 0, options->threads, error);
  if (backend == NULL)
    return FALSE;
  g_print ("backend: %s\n", ptl_backend_description (backend));

  /* The optics model: the probe the nominal aperture and defocus make. */
  g_autoptr (PtlArray) model_probe = ptl_sim_probe (&options->sim, error);
  if (model_probe == NULL)
    return FALSE;
  engine = ptl_engine_new (backend, scan, &options->recon, model_probe, error);
  if (engine == NULL)
    return FALSE;
  if (options->recon.probe_init == PTL_PROBE_INIT_MODEL)
    g_print ("initial probe: optics model (%s, %.3g µm at %.3g µm defocus)\n",
             ptl_probe_model_to_string (options->sim.probe_model), options->sim.probe_diameter * 1e6,
             options->sim.defocus * 1e6);
  else
    g_print ("initial probe: mean pattern, defocus estimated at %.1f µm\n",
             ptl_engine_estimated_defocus (engine) * 1e6);

  g_timer_start (timer);
  for (guint it = 1; it <= options->recon.iterations; it++)
    {
      if (!ptl_engine_iterate (engine, error))
        return FALSE;
      if (options->report_every > 0
          && (it % options->report_every == 0 || it == options->recon.iterations))
        {
          guint n;
          const double *errors = ptl_engine_errors (engine, &n);
          g_print ("iteration %u/%u  Fourier error %.3e  %.1f µs per frame-iteration\n", it,
                   options->recon.iterations, errors[n - 1],
                   g_timer_elapsed (timer, NULL) * 1e6 / ((double) it * scan->n_frames));
        }
    }
  double seconds = g_timer_elapsed (timer, NULL);
  if (!report_modes_and_positions (engine, error))
    return FALSE;

  object = ptl_engine_get_object (engine, error);
  if (object == NULL || !measure_quality (object_truth, probe_truth, object, engine, &quality, error))
    return FALSE;

  if (options->output != NULL)
    {
      result = make_result (options, scan, engine, backend, object, error);
      if (result == NULL || !ptl_result_file_write (options->output, result, error))
        return FALSE;
    }

  guint n_errors;
  const double *errors = ptl_engine_errors (engine, &n_errors);
  g_print ("done: %s, %u iterations in %.2f s (%.1f µs per frame-iteration), Fourier error %.3e, "
           "object NRMSE %.4f, phase rms %.4f rad, FRC half-bit at %.2f of Nyquist%s%s\n",
           ptl_algorithm_to_string (options->recon.algorithm), options->recon.iterations, seconds,
           options->recon.iterations ? seconds * 1e6 / ((double) options->recon.iterations
                                                        * scan->n_frames)
                                     : 0.0,
           n_errors ? errors[n_errors - 1] : 0.0, quality.nrmse, quality.phase_rms,
           quality.frc_resolution, options->output ? ", result " : "",
           options->output ? options->output : "");
  return TRUE;
}
