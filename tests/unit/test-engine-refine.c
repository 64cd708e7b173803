/* What the engine learns beyond object and probe: the modes of a partially coherent beam
 * (their powers against the simulated ones) and the scan positions (against the true ones
 * when the reported ones carry errors). */
#include "config.h"

#include <complex.h> /* before fftw3.h, so that fftwf_complex is float _Complex */
#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"
#include "sim/ptl-sim.h"

static void
iterate (PtlEngine *engine,
         guint      n)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (ptl_engine_iterate (engine, &error));
      g_assert_no_error (error);
    }
}

static void
mode_fractions (const PtlArray *modes,
                double         *fractions)
{
  guint k = (guint) modes->shape[0];
  gsize n = modes->shape[1] * modes->shape[2];
  const ptl_complex *p = ptl_array_complex (modes);
  double total = 0.0;

  for (guint l = 0; l < k; l++)
    {
      fractions[l] = 0.0;
      for (gsize i = 0; i < n; i++)
        fractions[l] += (double) crealf (p[l * n + i]) * crealf (p[l * n + i])
                        + (double) cimagf (p[l * n + i]) * cimagf (p[l * n + i]);
      total += fractions[l];
    }
  for (guint l = 0; l < k; l++)
    fractions[l] /= total;
}

/* Σ over every mode and pixel of |P|². */
static double
mode_power (const PtlArray *modes)
{
  const ptl_complex *p = ptl_array_complex (modes);
  double total = 0.0;

  for (gsize i = 0; i < modes->n; i++)
    total += (double) crealf (p[i]) * crealf (p[i]) + (double) cimagf (p[i]) * cimagf (p[i]);
  return total;
}

/* Three modes with powers 4:2:1. The engine starts from the coherent shape (the strongest
 * simulated mode) and has to find the weaker modes and how the power is shared. */
static void
check_modes (PtlAlgorithm algorithm,
             guint        iterations)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;
  PtlReconParams params;
  PtlArray *probe = NULL;
  double truth[3], found[3];

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 200;
  sim.probe_modes = 3;
  sim.mode_ratio = 0.5;
  PtlArray *object = NULL;
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, &object, &probe, &error);
  g_assert_no_error (error);
  g_autoptr (PtlArray) object_truth = object;
  g_autoptr (PtlArray) modes_truth = probe;
  g_assert_cmpuint (modes_truth->ndim, ==, 3);
  mode_fractions (modes_truth, truth);
  g_autoptr (PtlBackend) backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);

  ptl_recon_params_init (&params);
  params.algorithm = algorithm;
  params.n_modes = 3;
  params.probe_init = PTL_PROBE_INIT_MODEL;
  g_autoptr (PtlArray) start = ptl_array_new_2d (PTL_DTYPE_COMPLEX, 64, 64);
  memcpy (start->data, modes_truth->data, ptl_array_bytes (start));
  g_autoptr (PtlEngine) engine = ptl_engine_new (backend, scan, &params, start, &error);
  g_assert_no_error (error);
  iterate (engine, iterations);
  g_autoptr (PtlArray) modes = ptl_engine_get_probe_modes (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (modes->shape[0], ==, 3);
  mode_fractions (modes, found);

  /* The modes handed out are the natural ones: orthogonal, strongest first. */
  const ptl_complex *p = ptl_array_complex (modes);
  gsize n = 64 * 64;
  for (guint a = 0; a < 3; a++)
    for (guint b = a + 1; b < 3; b++)
      {
        double complex dot = 0.0;
        for (gsize i = 0; i < n; i++)
          dot += conj (p[a * n + i]) * p[b * n + i];
        g_assert_cmpfloat (cabs (dot), <, 1e-4 * sqrt (found[a] * found[b]) * mode_power (modes));
      }
  g_assert_cmpfloat (found[0], >=, found[1]);
  g_assert_cmpfloat (found[1], >=, found[2]);

  g_autoptr (PtlArray) object_found = ptl_engine_get_object (engine, &error);
  g_autoptr (PtlArray) strongest = ptl_engine_get_probe (engine, &error);
  g_assert_no_error (error);
  guint n_positions;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n_positions);
  PtlQuality quality;
  g_assert_true (ptl_quality_compare_scan (object_truth, object_found, strongest, positions,
                                           n_positions, &quality, &error));
  g_assert_no_error (error);

  g_test_message ("%s, 3 modes: powers %.3f %.3f %.3f (truth %.3f %.3f %.3f), object NRMSE %.4f",
                  ptl_algorithm_to_string (algorithm), found[0], found[1], found[2], truth[0],
                  truth[1], truth[2], quality.nrmse);
  for (guint l = 0; l < 3; l++)
    g_assert_cmpfloat (fabs (found[l] - truth[l]), <, 0.1 * truth[l]);
  g_assert_cmpfloat (quality.nrmse, <, 0.03);
  g_clear_pointer (&engine, ptl_engine_free);
}

static void
test_modes_rpie (void)
{
  check_modes (PTL_ALGORITHM_RPIE, 100);
}

static void
test_modes_dm (void)
{
  check_modes (PTL_ALGORITHM_DM, 150);
}

/* rms distance between two position lists after removing their mean offset (a common
 * translation of object and positions is invisible to the data). */
static double
rms_error (const double *a,
           const double *b,
           guint         n)
{
  double mean[2] = { 0, 0 }, sum = 0.0;

  for (guint j = 0; j < n; j++)
    for (guint k = 0; k < 2; k++)
      mean[k] += (a[2 * j + k] - b[2 * j + k]) / n;
  for (guint j = 0; j < n; j++)
    for (guint k = 0; k < 2; k++)
      {
        double d = a[2 * j + k] - b[2 * j + k] - mean[k];
        sum += d * d;
      }
  return sqrt (sum / n);
}

/* The simulator's frames are taken at whole pixels; these are taken between them. The
 * probe, moved by a fraction of a pixel in [−½, ½)² with a Fourier phase ramp, lights the
 * window at the whole-pixel corner of the truth (noiseless patterns). The true positions
 * and the reported ones move by that fraction. */
static void
take_between_pixels (PtlScanData    *scan,
                     PtlScanData    *truth,
                     const PtlArray *object,
                     const PtlArray *probe)
{
  guint m = ptl_array_rows (probe);
  gsize n = (gsize) m * m;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (PtlArray) moved = ptl_array_copy (probe);
  fftwf_complex *p = (fftwf_complex *) moved->data, *spectrum = fftwf_alloc_complex (n);
  fftwf_plan forward = fftwf_plan_dft_2d ((int) m, (int) m, p, spectrum, FFTW_FORWARD,
                                          FFTW_ESTIMATE);
  fftwf_plan backward = fftwf_plan_dft_2d ((int) m, (int) m, spectrum, p, FFTW_BACKWARD,
                                           FFTW_ESTIMATE);

  for (guint j = 0; j < scan->n_frames; j++)
    {
      double fraction[2] = { g_rand_double (rand) - 0.5, g_rand_double (rand) - 0.5 };
      memcpy (p, probe->data, ptl_array_bytes (probe));
      fftwf_execute (forward);
      for (guint y = 0; y < m; y++)
        for (guint x = 0; x < m; x++)
          {
            double ky = (y < m / 2 ? (double) y : (double) y - m) / m;
            double kx = (x < m / 2 ? (double) x : (double) x - m) / m;
            spectrum[y * m + x] *= cexp (-2.0 * M_PI * I * (ky * fraction[0] + kx * fraction[1]))
                                   / (double) n;
          }
      fftwf_execute (backward);
      ptl_sim_forward (moved, object, (guint) truth->positions[2 * j],
                       (guint) truth->positions[2 * j + 1],
                       ptl_array_float (scan->intensity) + j * n);
      for (guint k = 0; k < 2; k++)
        {
          double limit = (k == 0 ? scan->canvas_rows : scan->canvas_cols) - m;
          truth->positions[2 * j + k] += fraction[k];
          scan->positions[2 * j + k] = CLAMP (scan->positions[2 * j + k] + fraction[k], 0.0,
                                              limit);
        }
    }
  fftwf_destroy_plan (forward);
  fftwf_destroy_plan (backward);
  fftwf_free (spectrum);
}

/* Reported positions off by 2 px rms (distance), the frames taken at whole pixels or
 * between them: refinement must bring the positions within `bound` pixels of the truth, and
 * the refined positions are what the engine hands out. Between pixels, its estimate must
 * also beat the whole-pixel windows the engine uses. */
static void
check_positions (PtlAlgorithm algorithm,
                 guint        iterations,
                 gboolean     between_pixels,
                 double       bound)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;
  PtlReconParams params;
  PtlArray *probe = NULL, *object = NULL;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  /* Refinement needs the overlap that pins each frame down from its neighbours. */
  sim.n_frames = 200;
  sim.overlap = 0.7;
  g_autoptr (PtlScanData) truth = ptl_simulate_scan (&sim, &object, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (PtlArray) object_truth = object;
  sim.position_error = M_SQRT2 * ptl_geometry_pixel_size (&sim.geometry);
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, &probe, &error);
  g_assert_no_error (error);
  g_autoptr (PtlArray) probe_truth = probe;
  if (between_pixels)
    take_between_pixels (scan, truth, object_truth, probe_truth);
  g_autoptr (PtlBackend) backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  double reported = rms_error (scan->positions, truth->positions, scan->n_frames);

  ptl_recon_params_init (&params);
  params.algorithm = algorithm;
  params.probe_init = PTL_PROBE_INIT_MODEL;
  params.refine_positions = TRUE;
  params.position_start = 5;
  params.position_interval = 1;
  params.position_max_shift = 8;
  g_autoptr (PtlEngine) engine = ptl_engine_new (backend, scan, &params, probe_truth, &error);
  g_assert_no_error (error);
  iterate (engine, iterations);
  guint n;
  g_autofree double *refined = ptl_engine_copy_positions (engine, &n);
  g_assert_cmpuint (n, ==, scan->n_frames);
  double after = rms_error (refined, truth->positions, n);
  /* What a result file adds to the reported stage positions: the move from each frame's
   * reported position to the refined one. */
  g_autofree double *shifts = ptl_engine_copy_position_shifts (engine, &n);
  g_assert_cmpuint (n, ==, scan->n_frames);
  guint moved = 0;
  for (guint j = 0; j < 2 * n; j++)
    {
      g_assert_cmpfloat (fabs (shifts[j] - (refined[j] - scan->positions[j])), <, 1e-9);
      moved += shifts[j] != 0.0;
    }
  g_assert_cmpuint (moved, >, n / 2);

  g_test_message ("%s: position error %.2f px rms as reported, %.2f px after refinement",
                  ptl_algorithm_to_string (algorithm), reported, after);
  g_assert_cmpfloat (reported, >, 1.5);
  g_assert_cmpfloat (after, <, bound);
  if (between_pixels)
    {
      for (guint j = 0; j < 2 * n; j++)
        refined[j] = round (refined[j]);
      double windows = rms_error (refined, truth->positions, n);
      g_test_message ("whole-pixel windows: %.2f px rms", windows);
      g_assert_cmpfloat (after, <, windows - 0.05);
    }
  g_clear_pointer (&engine, ptl_engine_free);
}

static void
test_positions_rpie (void)
{
  check_positions (PTL_ALGORITHM_RPIE, 60, FALSE, 0.35);
}

/* DM is the harder case: its object settles more slowly, and regions of the scan may end
 * a pixel apart from each other. */
static void
test_positions_dm (void)
{
  check_positions (PTL_ALGORITHM_DM, 150, FALSE, 0.5);
}

static void
test_positions_between_pixels (void)
{
  check_positions (PTL_ALGORITHM_RPIE, 60, TRUE, 0.5);
}

/* Off by default: the positions stay exactly as reported. */
static void
test_positions_kept_by_default (void)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;
  PtlReconParams params;
  PtlArray *probe = NULL;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 40;
  sim.position_error = 2.0 * ptl_geometry_pixel_size (&sim.geometry);
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, &probe, &error);
  g_autoptr (PtlArray) probe_truth = probe;
  g_autoptr (PtlBackend) backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  ptl_recon_params_init (&params);
  g_assert_false (params.refine_positions);
  params.probe_init = PTL_PROBE_INIT_MODEL;
  params.position_start = 0;
  g_autoptr (PtlEngine) engine = ptl_engine_new (backend, scan, &params, probe_truth, &error);
  iterate (engine, 5);
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  g_autofree double *shifts = ptl_engine_copy_position_shifts (engine, &n);
  for (guint j = 0; j < n; j++)
    {
      g_assert_cmpfloat (positions[2 * j], ==, scan->positions[2 * j]);
      g_assert_cmpfloat (positions[2 * j + 1], ==, scan->positions[2 * j + 1]);
      g_assert_cmpfloat (shifts[2 * j], ==, 0.0);
      g_assert_cmpfloat (shifts[2 * j + 1], ==, 0.0);
    }
  g_clear_pointer (&engine, ptl_engine_free);
}

/* The simulator's partially coherent beam: K orthogonal modes whose powers fall by the
 * ratio and add up to the photon count, the strongest with the coherent beam's shape; and
 * patterns that are the incoherent sum over the modes (Parseval: each frame's photons are
 * Σ_k Σ_r |P_k O_j|², which a coherent sum of the modes would not give). */
static void
test_sim_partially_coherent_beam (void)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;
  PtlArray *object = NULL;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 12;
  sim.probe_modes = 3;
  sim.mode_ratio = 0.5;
  sim.poisson = FALSE;
  g_autoptr (PtlArray) modes = ptl_sim_probe_modes (&sim, &error);
  g_assert_no_error (error);
  g_autoptr (PtlArray) coherent = ptl_sim_probe (&sim, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (modes->ndim, ==, 3);
  g_assert_cmpuint (modes->shape[0], ==, 3);

  gsize n = 64 * 64;
  const ptl_complex *p = ptl_array_complex (modes), *c = ptl_array_complex (coherent);
  double fractions[3], expected[3] = { 4.0 / 7, 2.0 / 7, 1.0 / 7 };
  double total = mode_power (modes), power0 = 0.0, power_c = 0.0;
  double complex overlap = 0.0;
  mode_fractions (modes, fractions);
  g_assert_cmpfloat (fabs (total - sim.photons), <, 1e-3 * sim.photons);
  for (guint l = 0; l < 3; l++)
    g_assert_cmpfloat (fabs (fractions[l] - expected[l]), <, 1e-3);
  for (guint a = 0; a < 3; a++)
    for (guint b = a + 1; b < 3; b++)
      {
        double complex dot = 0.0;
        for (gsize i = 0; i < n; i++)
          dot += conj (p[a * n + i]) * p[b * n + i];
        g_assert_cmpfloat (cabs (dot), <, 1e-4 * total);
      }
  for (gsize i = 0; i < n; i++)
    {
      overlap += conj (p[i]) * c[i];
      power0 += creal (conj (p[i]) * p[i]);
      power_c += creal (conj (c[i]) * c[i]);
    }
  g_assert_cmpfloat (cabs (overlap) * cabs (overlap), >, 0.9999 * power0 * power_c);

  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, &object, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (PtlArray) object_truth = object;
  const ptl_complex *o = ptl_array_complex (object_truth);
  for (guint j = 0; j < scan->n_frames; j++)
    {
      const float *pattern = ptl_array_float (scan->intensity) + j * n;
      gsize row = (gsize) scan->positions[2 * j], col = (gsize) scan->positions[2 * j + 1];
      double photons = 0.0, incoherent = 0.0;
      for (gsize i = 0; i < n; i++)
        photons += pattern[i];
      for (guint l = 0; l < 3; l++)
        for (gsize r = 0; r < 64; r++)
          for (gsize x = 0; x < 64; x++)
            {
              ptl_complex v = p[l * n + r * 64 + x] * o[(row + r) * scan->canvas_cols + col + x];
              incoherent += creal (conj (v) * v);
            }
      g_assert_cmpfloat (fabs (photons - incoherent), <, 1e-3 * incoherent);
    }
}

/* Reported positions with errors: the patterns are those of the exact scan (taken where
 * the beam really was), the corners differ by the requested rms, and the stage
 * translations move with the corners. */
static void
test_sim_position_errors (void)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 300;
  g_autoptr (PtlScanData) truth = ptl_simulate_scan (&sim, NULL, NULL, &error);
  g_assert_no_error (error);
  double dx = ptl_geometry_pixel_size (&sim.geometry);
  sim.position_error = 2.0 * dx;
  g_autoptr (PtlScanData) scan = ptl_simulate_scan (&sim, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (scan->n_frames, ==, truth->n_frames);
  g_assert_cmpmem (ptl_array_float (scan->intensity), ptl_array_bytes (scan->intensity),
                   ptl_array_float (truth->intensity), ptl_array_bytes (truth->intensity));
  double sum = 0.0;
  for (guint j = 0; j < scan->n_frames; j++)
    {
      double d_row = scan->positions[2 * j] - truth->positions[2 * j];
      double d_col = scan->positions[2 * j + 1] - truth->positions[2 * j + 1];
      double x, y;
      sum += d_row * d_row + d_col * d_col;
      ptl_axis_mapping_to_stage (&scan->mapping, dx, d_row, d_col, &x, &y);
      g_assert_cmpfloat (fabs (scan->translation[2 * j] - truth->translation[2 * j] - x), <,
                         1e-6 * dx);
      g_assert_cmpfloat (fabs (scan->translation[2 * j + 1] - truth->translation[2 * j + 1] - y),
                         <, 1e-6 * dx);
    }
  double per_axis = sqrt (sum / (2.0 * scan->n_frames));
  g_test_message ("position error per axis: %.3f px rms (asked 2)", per_axis);
  g_assert_cmpfloat (fabs (per_axis - 2.0), <, 0.3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/modes-rpie", test_modes_rpie);
  g_test_add_func ("/engine/modes-dm", test_modes_dm);
  g_test_add_func ("/engine/positions-rpie", test_positions_rpie);
  g_test_add_func ("/engine/positions-dm", test_positions_dm);
  g_test_add_func ("/engine/positions-between-pixels", test_positions_between_pixels);
  g_test_add_func ("/engine/positions-kept-by-default", test_positions_kept_by_default);
  g_test_add_func ("/engine/sim-partially-coherent-beam", test_sim_partially_coherent_beam);
  g_test_add_func ("/engine/sim-position-errors", test_sim_position_errors);
  return g_test_run ();
}
