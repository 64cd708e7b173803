/* The engines against the simulator's ground truth: a wrong sign or a dropped term in an
 * update leaves the NRMSE far above these bounds. */
#include "config.h"

#include <math.h>

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

/* defocus < 0: the simulator's default (a defocused disc); 0: a probe in focus. */
static void
case_init (Case    *c,
           guint    m,
           guint    frames,
           gboolean poisson,
           double   defocus)
{
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;

  ptl_sim_params_init (&sim);
  if (defocus >= 0.0)
    {
      sim.defocus = defocus;
      sim.probe_diameter = 0.5e-6;
    }
  sim.geometry.frame_size = m;
  sim.n_frames = frames;
  sim.poisson = poisson;
  c->scan = ptl_simulate_scan (&sim, &c->object, &c->probe, &error);
  g_assert_no_error (error);
  c->backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  g_assert_no_error (error);
  ptl_sim_params_clear (&sim);
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
  guint n;
  g_autofree double *positions = ptl_engine_copy_positions (engine, &n);
  PtlQuality quality;

  g_assert_no_error (error);
  g_assert_true (ptl_quality_compare_scan (c->object, object, c->probe, positions, n, &quality,
                                           &error));
  g_assert_no_error (error);
  return quality.nrmse;
}

static PtlEngine *
run (Case           *c,
     PtlReconParams *params,
     gboolean        known_probe)
{
  g_autoptr (GError) error = NULL;
  PtlEngine *engine;

  params->probe_init = known_probe ? PTL_PROBE_INIT_MODEL : PTL_PROBE_INIT_MEAN_PATTERN;
  engine = ptl_engine_new (c->backend, c->scan, params, c->probe, &error);
  g_assert_no_error (error);
  for (guint it = 0; it < params->iterations; it++)
    {
      g_assert_true (ptl_engine_iterate (engine, &error));
      g_assert_no_error (error);
    }
  return engine;
}

/* With the true probe held fixed only the object update acts: exact data must give an
 * almost exact object. */
static void
test_object_update_with_known_probe (void)
{
  Case c;
  PtlReconParams params;

  case_init (&c, 64, 80, FALSE, -1);
  ptl_recon_params_init (&params);
  params.iterations = 30;
  params.probe_update_start = G_MAXUINT;
  g_autoptr (PtlEngine) engine = run (&c, &params, TRUE);
  double nrmse = object_nrmse (&c, engine);
  g_test_message ("rPIE, known probe, no noise: NRMSE %.4f", nrmse);
  g_assert_cmpfloat (nrmse, <, 0.02);
  g_clear_pointer (&engine, ptl_engine_free); /* before the backend it uses */
  case_clear (&c);
}

/* Probe and object together from noisy data: started from the optics model for the
 * defocused beam, or from the mean pattern alone for a beam in focus. */
static void
check_reconstruction (PtlAlgorithm algorithm,
                      double       alpha,
                      double       beta,
                      gboolean     known_probe,
                      double       defocus,
                      double       bound)
{
  Case c;
  PtlReconParams params;
  guint n;

  case_init (&c, 64, 120, TRUE, defocus);
  ptl_recon_params_init (&params);
  params.algorithm = algorithm;
  params.alpha = alpha;
  params.beta = beta;
  params.iterations = 60;
  g_autoptr (PtlEngine) engine = run (&c, &params, known_probe);
  const double *errors = ptl_engine_errors (engine, &n);
  double nrmse = object_nrmse (&c, engine);

  g_test_message ("%s, %s start, Poisson noise: NRMSE %.4f, error %.3g -> %.3g",
                  ptl_algorithm_to_string (algorithm), known_probe ? "model" : "mean-pattern",
                  nrmse, errors[0], errors[n - 1]);
  g_assert_cmpuint (n, ==, params.iterations);
  g_assert_cmpfloat (errors[n - 1], <, errors[0] / 10);
  g_assert_cmpfloat (nrmse, <, bound);
  g_clear_pointer (&engine, ptl_engine_free); /* before the backend it uses */
  case_clear (&c);
}

static void
test_rpie_from_model (void)
{
  check_reconstruction (PTL_ALGORITHM_RPIE, 0.1, 1.0, TRUE, -1, 0.03);
}

static void
test_rpie_blind (void)
{
  check_reconstruction (PTL_ALGORITHM_RPIE, 0.1, 1.0, FALSE, 0.0, 0.03);
}

/* The default defocused beam from the data alone: the defocus search must find the 40 µm
 * the simulator used, or the reconstruction stagnates far above the bound. */
static void
test_rpie_blind_defocused (void)
{
  Case c;
  PtlReconParams params;

  case_init (&c, 64, 120, TRUE, -1);
  ptl_recon_params_init (&params);
  params.iterations = 60;
  g_autoptr (PtlEngine) engine = run (&c, &params, FALSE);
  double defocus = ptl_engine_estimated_defocus (engine);
  double nrmse = object_nrmse (&c, engine);

  g_test_message ("rpie from the mean pattern, defocused beam: defocus %.1f um, NRMSE %.4f",
                  defocus * 1e6, nrmse);
  g_assert_cmpfloat (fabs (defocus - 40e-6), <, 5e-6);
  g_assert_cmpfloat (nrmse, <, 0.03);
  g_clear_pointer (&engine, ptl_engine_free);
  case_clear (&c);
}

static void
test_epie_from_model (void)
{
  check_reconstruction (PTL_ALGORITHM_EPIE, 1.0, 1.0, TRUE, -1, 0.03);
}

/* Parameters change between sweeps without touching object or probe. */
static void
test_live_parameter_change (void)
{
  g_autoptr (GError) error = NULL;
  Case c;
  PtlReconParams params;

  case_init (&c, 64, 60, TRUE, -1);
  ptl_recon_params_init (&params);
  params.algorithm = PTL_ALGORITHM_EPIE;
  params.alpha = params.beta = 1.0;
  params.iterations = 5;
  g_autoptr (PtlEngine) engine = run (&c, &params, TRUE);
  g_autoptr (PtlArray) before = ptl_engine_get_object (engine, &error);

  params.algorithm = PTL_ALGORITHM_RPIE;
  params.alpha = 0.1;
  g_assert_true (ptl_engine_set_params (engine, &params, &error));
  g_autoptr (PtlArray) after = ptl_engine_get_object (engine, &error);
  g_assert_cmpmem (before->data, ptl_array_bytes (before), after->data, ptl_array_bytes (after));
  g_assert_cmpuint (ptl_engine_iteration (engine), ==, 5);

  params.alpha = 0.0;
  g_assert_false (ptl_engine_set_params (engine, &params, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);

  for (guint it = 0; it < 30; it++)
    g_assert_true (ptl_engine_iterate (engine, &error));
  g_assert_cmpfloat (object_nrmse (&c, engine), <, 0.1);
  g_clear_pointer (&engine, ptl_engine_free); /* before the backend it uses */
  case_clear (&c);
}

static void
test_bad_input (void)
{
  g_autoptr (GError) error = NULL;
  Case c;
  PtlReconParams params;

  case_init (&c, 64, 10, FALSE, -1);
  ptl_recon_params_init (&params);

  params.probe_init = PTL_PROBE_INIT_MODEL;
  g_assert_null (ptl_engine_new (c.backend, c.scan, &params, NULL, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  g_clear_error (&error);

  params.probe_init = PTL_PROBE_INIT_MEAN_PATTERN;
  c.scan->positions[0] = c.scan->canvas_rows; /* frame 0 now lies below the canvas */
  g_assert_null (ptl_engine_new (c.backend, c.scan, &params, NULL, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  case_clear (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/object-update-known-probe", test_object_update_with_known_probe);
  g_test_add_func ("/engine/rpie-from-model", test_rpie_from_model);
  g_test_add_func ("/engine/rpie-blind-in-focus", test_rpie_blind);
  g_test_add_func ("/engine/rpie-blind-defocused", test_rpie_blind_defocused);
  g_test_add_func ("/engine/epie-from-model", test_epie_from_model);
  g_test_add_func ("/engine/live-parameter-change", test_live_parameter_change);
  g_test_add_func ("/engine/bad-input", test_bad_input);
  return g_test_run ();
}
