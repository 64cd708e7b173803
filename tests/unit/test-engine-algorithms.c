/* Every algorithm of the engine against the simulator's ground truth: a dropped term or a
 * wrong sign in any update leaves the NRMSE far above these bounds. Also the switch from
 * one algorithm to another mid-run, which must keep object and probe. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "recon/ptl-engine.h"
#include "recon/ptl-quality.h"
#include "sim/ptl-sim.h"

typedef struct
{
  PtlScanData *scan;
  PtlArray    *object;
  PtlArray    *probe;
  PtlBackend  *backend;
} Case;

static void
case_init_with (Case               *c,
                const PtlSimParams *sim,
                guint               threads)
{
  g_autoptr (GError) error = NULL;

  c->scan = ptl_simulate_scan (sim, &c->object, &c->probe, &error);
  g_assert_no_error (error);
  c->backend = ptl_backend_new (PTL_BACKEND_CPU, 0, threads, &error);
  g_assert_no_error (error);
}

static guint case_threads = 1;

static void
case_init (Case *c)
{
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 120;
  case_init_with (c, &sim, case_threads);
}

static void
case_clear (Case *c)
{
  ptl_scan_data_free (c->scan);
  ptl_array_free (c->object);
  ptl_array_free (c->probe);
  ptl_backend_free (c->backend);
}

static double
object_nrmse (Case      *c,
              PtlEngine *engine)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) object = ptl_engine_get_object (engine, &error);
  g_autoptr (PtlArray) probe = ptl_engine_get_probe (engine, &error);
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  PtlQuality quality;

  g_assert_no_error (error);
  g_assert_true (ptl_quality_compare_scan (c->object, object, probe, positions, n, &quality,
                                           &error));
  g_assert_no_error (error);
  return quality.nrmse;
}

static PtlEngine *
new_engine (Case                 *c,
            const PtlReconParams *params)
{
  g_autoptr (GError) error = NULL;
  PtlEngine *engine = ptl_engine_new (c->backend, c->scan, params, c->probe, &error);

  g_assert_no_error (error);
  return engine;
}

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
model_params (PtlReconParams *params,
              PtlAlgorithm    algorithm)
{
  ptl_recon_params_init (params);
  params->algorithm = algorithm;
  params->probe_init = PTL_PROBE_INIT_MODEL;
}

/* `iterations` of one algorithm from the optics model; the NRMSE and the error history
 * must both fall. */
static void
check_algorithm (const PtlReconParams *params,
                 guint                 iterations,
                 double                bound)
{
  Case c;
  guint n;

  case_init (&c);
  g_autoptr (PtlEngine) engine = new_engine (&c, params);
  iterate (engine, iterations);
  const double *errors = ptl_engine_errors (engine, &n);
  double nrmse = object_nrmse (&c, engine);

  g_test_message ("%s (batch %u): NRMSE %.4f after %u iterations, error %.3g -> %.3g",
                  ptl_algorithm_to_string (params->algorithm), params->batch_size, nrmse,
                  iterations, errors[0], errors[n - 1]);
  g_assert_cmpfloat (errors[n - 1], <, errors[0]);
  g_assert_cmpfloat (nrmse, <, bound);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

static void
test_dm (void)
{
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_DM);
  check_algorithm (&params, 100, 0.03);
}

static double
probe_nrmse (Case      *c,
             PtlEngine *engine)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlArray) probe = ptl_engine_get_probe (engine, &error);
  PtlQuality quality;

  g_assert_no_error (error);
  g_assert_true (ptl_quality_compare (c->probe, probe, NULL, &quality, &error));
  g_assert_no_error (error);
  return quality.nrmse;
}

/* The model probe with a wavefront error: a smooth phase across the beam. */
static PtlArray *
wrong_wavefront (const PtlArray *probe)
{
  guint m = (guint) ptl_array_rows (probe);
  PtlArray *wrong = ptl_array_copy (probe);
  ptl_complex *w = ptl_array_complex (wrong);

  for (guint r = 0; r < m; r++)
    for (guint col = 0; col < m; col++)
      {
        double y = (r - 0.5 * m) / (0.25 * m), x = (col - 0.5 * m) / (0.25 * m);
        w[r * m + col] *= cexpf (I * (float) (0.2 * (x * x + y * y) + 0.1 * x * y));
      }
  return wrong;
}

/* DM with PtyPy's refinement loop (up to ten object–probe passes per iteration, stopped
 * once a pass changes the probe by less than 5 %), from a probe with a wavefront error that
 * the first passes must correct. */
static void
test_dm_refinement_loop (void)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;
  Case c;
  guint n;

  case_init (&c);
  g_autoptr (PtlArray) wrong = wrong_wavefront (c.probe);
  model_params (&params, PTL_ALGORITHM_DM);
  params.overlap_iterations = 10;
  g_autoptr (PtlEngine) engine = ptl_engine_new (c.backend, c.scan, &params, wrong, &error);
  g_assert_no_error (error);
  iterate (engine, 100);
  const double *errors = ptl_engine_errors (engine, &n);
  double nrmse = object_nrmse (&c, engine), probe = probe_nrmse (&c, engine);

  g_test_message ("dm, 10 overlap passes, from a wrong wavefront: NRMSE %.4f (probe %.4f), "
                  "error %.3g -> %.3g", nrmse, probe, errors[0], errors[n - 1]);
  g_assert_cmpfloat (errors[n - 1], <, errors[0]);
  g_assert_cmpfloat (nrmse, <, 0.03);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

/* On noisy data DM must settle: with the exact modulus projection its exit waves keep
 * fitting the noise, the error grows from one hundred iterations to the next and the object
 * degrades. */
static void
test_dm_settles (void)
{
  PtlReconParams params;
  Case c;
  guint n;

  case_init (&c);
  model_params (&params, PTL_ALGORITHM_DM);
  g_autoptr (PtlEngine) engine = new_engine (&c, &params);
  iterate (engine, 100);
  double at_100 = object_nrmse (&c, engine);
  iterate (engine, 100);
  double at_200 = object_nrmse (&c, engine);
  const double *errors = ptl_engine_errors (engine, &n);

  g_test_message ("dm: NRMSE %.4f after 100 iterations, %.4f after 200; error %.3g -> %.3g",
                  at_100, at_200, errors[99], errors[199]);
  g_assert_cmpfloat (errors[199], <, 1.1 * errors[99]);
  g_assert_cmpfloat (at_200, <, at_100);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

/* The same on two threads: the canvas-band split of the sums and FFTW's loops on the pool. */
static void
test_dm_two_threads (void)
{
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_DM);
  case_threads = 2;
  check_algorithm (&params, 100, 0.03);
  case_threads = 1;
}

static void
test_raar (void)
{
  PtlReconParams params;

  /* Left at its default, β is PtyPy's 0.75 for RAAR (at 1 RAAR would be DM) and 1 for DM. */
  PtlReconParams filled;
  model_params (&params, PTL_ALGORITHM_RAAR);
  filled = params;
  ptl_recon_params_fill_defaults (&filled);
  g_assert_cmpfloat (filled.relax, ==, 0.75);
  filled = params;
  filled.algorithm = PTL_ALGORITHM_DM;
  ptl_recon_params_fill_defaults (&filled);
  g_assert_cmpfloat (filled.relax, ==, 1.0);
  check_algorithm (&params, 100, 0.03);
}

/* Error reduction stagnates with a free probe; with the probe held at the model it must
 * find the object. */
static void
test_ap (void)
{
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_AP);
  params.probe_update_start = G_MAXUINT;
  check_algorithm (&params, 100, 0.03);
}

static void
test_mpie (void)
{
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_MPIE);
  check_algorithm (&params, 60, 0.03);
}

/* The object after two iterations of mPIE with momentum steps every `interval` frames
 * (0: the engine's choice), on the case's scan. */
static PtlArray *
mpie_object (Case *c,
             guint interval)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_MPIE);
  params.momentum_interval = interval;
  g_autoptr (PtlEngine) engine = new_engine (c, &params);
  iterate (engine, 2);
  PtlArray *object = ptl_engine_get_object (engine, &error);
  g_assert_no_error (error);
  return object;
}

static gboolean
same_array (const PtlArray *a,
            const PtlArray *b)
{
  return ptl_array_bytes (a) == ptl_array_bytes (b)
         && memcmp (a->data, b->data, ptl_array_bytes (a)) == 0;
}

/* Left open, the momentum interval is PtyLab's 20 frames on a small scan and a sixteenth
 * of the frames on a large one, where a step every 20 frames over the whole canvas would
 * cost more per frame the larger the scan. */
static void
test_mpie_interval (void)
{
  PtlSimParams sim;
  Case small, large;

  case_init (&small);
  g_autoptr (PtlArray) small_auto = mpie_object (&small, 0);
  g_autoptr (PtlArray) small_20 = mpie_object (&small, 20);
  g_assert_true (same_array (small_auto, small_20));
  case_clear (&small);

  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 640;
  case_init_with (&large, &sim, 1);
  g_autoptr (PtlArray) large_auto = mpie_object (&large, 0);
  g_autoptr (PtlArray) large_40 = mpie_object (&large, 40);
  g_autoptr (PtlArray) large_20 = mpie_object (&large, 20);
  g_assert_true (same_array (large_auto, large_40));
  g_assert_false (same_array (large_auto, large_20));
  case_clear (&large);
}

/* Mini-batches: exit waves of 8 frames from one model, as on a GPU. */
static void
test_minibatch_rpie (void)
{
  PtlReconParams params;

  model_params (&params, PTL_ALGORITHM_RPIE);
  params.batch_size = 8;
  check_algorithm (&params, 60, 0.03);
}

/* ML refines what 50 DM iterations reached: the object must get closer to the truth. */
static void
check_ml_after_dm (PtlMlNoise noise)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;
  Case c;
  guint n;

  case_init (&c);
  model_params (&params, PTL_ALGORITHM_DM);
  g_autoptr (PtlEngine) engine = new_engine (&c, &params);
  iterate (engine, 50);
  double dm = object_nrmse (&c, engine);
  params.algorithm = PTL_ALGORITHM_ML;
  params.ml_noise = noise;
  g_assert_true (ptl_engine_set_params (engine, &params, &error));
  iterate (engine, 30);
  const double *errors = ptl_engine_errors (engine, &n);
  double ml = object_nrmse (&c, engine);

  g_test_message ("ML (%s) after 50 DM: NRMSE %.4f -> %.4f, cost %.4g -> %.4g",
                  ptl_ml_noise_to_string (noise), dm, ml, errors[50], errors[n - 1]);
  g_assert_cmpfloat (errors[n - 1], <, errors[50]);
  g_assert_cmpfloat (ml, <, 0.95 * dm);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

static void
test_ml_gaussian (void)
{
  check_ml_after_dm (PTL_ML_NOISE_GAUSSIAN);
}

static void
test_ml_poisson (void)
{
  check_ml_after_dm (PTL_ML_NOISE_POISSON);
}

/* ML's probe gradient: DM fits the object under a probe with a wrong wavefront (held
 * fixed), then ML, free to change both, must pull the probe towards the truth. The object,
 * which took up the wavefront error across many positions, recovers far more slowly. */
static void
test_ml_refines_probe (void)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;
  Case c;

  case_init (&c);
  g_autoptr (PtlArray) wrong = wrong_wavefront (c.probe);
  model_params (&params, PTL_ALGORITHM_DM);
  params.probe_update_start = G_MAXUINT;
  g_autoptr (PtlEngine) engine = ptl_engine_new (c.backend, c.scan, &params, wrong, &error);
  g_assert_no_error (error);
  iterate (engine, 50);
  double probe_dm = probe_nrmse (&c, engine), object_dm = object_nrmse (&c, engine);
  params.algorithm = PTL_ALGORITHM_ML;
  params.probe_update_start = 0;
  g_assert_true (ptl_engine_set_params (engine, &params, &error));
  iterate (engine, 50);
  double probe_ml = probe_nrmse (&c, engine), object_ml = object_nrmse (&c, engine);

  g_test_message ("ML after 50 DM under a wrong probe: probe NRMSE %.4f -> %.4f, object %.4f -> "
                  "%.4f", probe_dm, probe_ml, object_dm, object_ml);
  g_assert_cmpfloat (probe_ml, <, 0.2 * probe_dm);
  g_assert_cmpfloat (object_ml, <, object_dm);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

/* rPIE → DM → ML → mPIE → ePIE on one engine: every switch keeps object and probe as they
 * were, and the reconstruction goes on improving through all of them. */
static void
test_switch_mid_run (void)
{
  g_autoptr (GError) error = NULL;
  static const PtlAlgorithm sequence[] = { PTL_ALGORITHM_DM, PTL_ALGORITHM_ML, PTL_ALGORITHM_MPIE,
                                           PTL_ALGORITHM_RAAR, PTL_ALGORITHM_RPIE };
  PtlReconParams params;
  Case c;

  case_init (&c);
  model_params (&params, PTL_ALGORITHM_RPIE);
  g_autoptr (PtlEngine) engine = new_engine (&c, &params);
  iterate (engine, 8);
  double first = object_nrmse (&c, engine);
  for (guint s = 0; s < G_N_ELEMENTS (sequence); s++)
    {
      g_autoptr (PtlArray) object = ptl_engine_get_object (engine, &error);
      g_autoptr (PtlArray) probe = ptl_engine_get_probe (engine, &error);
      params.algorithm = sequence[s];
      g_assert_true (ptl_engine_set_params (engine, &params, &error));
      g_assert_no_error (error);
      g_autoptr (PtlArray) object_after = ptl_engine_get_object (engine, &error);
      g_autoptr (PtlArray) probe_after = ptl_engine_get_probe (engine, &error);
      g_assert_cmpmem (object->data, ptl_array_bytes (object), object_after->data,
                       ptl_array_bytes (object_after));
      g_assert_cmpmem (probe->data, ptl_array_bytes (probe), probe_after->data,
                       ptl_array_bytes (probe_after));
      iterate (engine, 8);
      g_test_message ("after %s: NRMSE %.4f", ptl_algorithm_to_string (sequence[s]),
                      object_nrmse (&c, engine));
    }
  double last = object_nrmse (&c, engine);
  g_assert_cmpuint (ptl_engine_iteration (engine), ==, 8 * (1 + G_N_ELEMENTS (sequence)));
  g_assert_cmpfloat (last, <, first);
  g_assert_cmpfloat (last, <, 0.03);

  /* A second probe mode mid-run: the first keeps almost all the power and the
   * reconstruction stays where it was. */
  g_autoptr (PtlArray) single = ptl_engine_get_probe (engine, &error);
  params.n_modes = 2;
  g_assert_true (ptl_engine_set_params (engine, &params, &error));
  g_assert_no_error (error);
  g_autoptr (PtlArray) modes = ptl_engine_get_probe_modes (engine, &error);
  g_assert_cmpuint (ptl_engine_n_modes (engine), ==, 2);
  g_assert_cmpuint (modes->shape[0], ==, 2);
  double p0 = 0, p1 = 0, before = 0;
  const ptl_complex *q = ptl_array_complex (modes), *s = ptl_array_complex (single);
  for (gsize i = 0; i < single->n; i++)
    {
      before += crealf (s[i] * conjf (s[i]));
      p0 += crealf (q[i] * conjf (q[i]));
      p1 += crealf (q[single->n + i] * conjf (q[single->n + i]));
    }
  g_assert_cmpfloat (fabs (p0 + p1 - before), <, 1e-3 * before);
  g_assert_cmpfloat (p1, <, 0.15 * (p0 + p1));
  iterate (engine, 8);
  g_test_message ("after a second mode: NRMSE %.4f", object_nrmse (&c, engine));
  g_assert_cmpfloat (object_nrmse (&c, engine), <, 0.03);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/dm", test_dm);
  g_test_add_func ("/engine/dm-two-threads", test_dm_two_threads);
  g_test_add_func ("/engine/dm-settles", test_dm_settles);
  g_test_add_func ("/engine/dm-refinement-loop", test_dm_refinement_loop);
  g_test_add_func ("/engine/raar", test_raar);
  g_test_add_func ("/engine/ap", test_ap);
  g_test_add_func ("/engine/mpie", test_mpie);
  g_test_add_func ("/engine/mpie-interval", test_mpie_interval);
  g_test_add_func ("/engine/rpie-minibatch", test_minibatch_rpie);
  g_test_add_func ("/engine/ml-gaussian-after-dm", test_ml_gaussian);
  g_test_add_func ("/engine/ml-poisson-after-dm", test_ml_poisson);
  g_test_add_func ("/engine/ml-refines-probe", test_ml_refines_probe);
  g_test_add_func ("/engine/switch-mid-run", test_switch_mid_run);
  return g_test_run ();
}
