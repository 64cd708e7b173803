/* Whole iterations of every engine on the CUDA backend against the same engine on the CPU
 * backend: one simulated scan, the same parameters and seed (the visiting order and the
 * batches are drawn on the host), a few iterations, then object, probe modes, error history
 * and positions compared. A wrong index or a dropped term in any kernel an algorithm uses
 * shows here even when the per-kernel tests pass. Skipped (77) without a CUDA device. */
#include "config.h"

#include "ptl-parity.h"
#include "recon/ptl-engine.h"
#include "sim/ptl-sim.h"

static PtlBackend *cpu_backend;
static PtlBackend *cuda_backend;
static PtlScanData *scan;
static PtlArray *true_object;
static PtlArray *true_probe;

/* Iterations after which the two engines are compared: enough for every stage of an
 * algorithm (probe updates start at 1) to run, few enough that float rounding has not yet
 * been amplified beyond the tolerances. */
#define ITERATIONS 4

typedef struct
{
  const char  *name;
  PtlAlgorithm algorithm;
  guint        batch_size;
  guint        n_modes;
  PtlMlNoise   noise;
  gboolean     refine_positions;
  double       tolerance;
} EngineCase;

/* The engine after ITERATIONS iterations; *start (when not NULL) takes the window corners
 * it began with. */
static PtlEngine *
run (PtlBackend       *backend,
     const EngineCase *ec,
     double          **start)
{
  g_autoptr (GError) error = NULL;
  PtlReconParams params;
  PtlEngine *engine;

  ptl_recon_params_init (&params);
  params.algorithm = ec->algorithm;
  params.iterations = ITERATIONS;
  params.probe_update_start = 1;
  params.probe_init = PTL_PROBE_INIT_MODEL;
  params.seed = 7;
  params.batch_size = ec->batch_size;
  params.n_modes = ec->n_modes;
  params.ml_noise = ec->noise;
  params.refine_positions = ec->refine_positions;
  params.position_start = 1;
  params.position_interval = 1;
  if (ec->algorithm == PTL_ALGORITHM_EPIE)
    params.alpha = params.beta = 0.9;
  engine = ptl_engine_new (backend, scan, &params, true_probe, &error);
  g_assert_no_error (error);
  if (start != NULL)
    {
      guint n;
      *start = ptl_engine_copy_positions (engine, &n);
    }
  for (guint it = 0; it < ITERATIONS; it++)
    {
      g_assert_true (ptl_engine_iterate (engine, &error));
      g_assert_no_error (error);
    }
  return engine;
}

static void
test_engine (gconstpointer data)
{
  const EngineCase *ec = data;
  g_autoptr (GError) error = NULL;
  g_autofree double *cpu_start = NULL;
  g_autoptr (PtlEngine) cpu = run (cpu_backend, ec, &cpu_start);
  g_autoptr (PtlEngine) cuda = run (cuda_backend, ec, NULL);
  g_autoptr (PtlArray) cpu_object = ptl_engine_get_object (cpu, &error);
  g_autoptr (PtlArray) cuda_object = ptl_engine_get_object (cuda, &error);
  g_autoptr (PtlArray) cpu_probe = ptl_engine_get_probe_modes (cpu, &error);
  g_autoptr (PtlArray) cuda_probe = ptl_engine_get_probe_modes (cuda, &error);
  guint n_cpu, n_cuda, frames_cpu, frames_cuda, moved = 0, differ = 0;
  const double *cpu_errors = ptl_engine_errors (cpu, &n_cpu);
  const double *cuda_errors = ptl_engine_errors (cuda, &n_cuda);
  g_autofree double *cpu_positions = ptl_engine_copy_positions (cpu, &frames_cpu);
  g_autofree double *cuda_positions = ptl_engine_copy_positions (cuda, &frames_cuda);
  float cpu_history[ITERATIONS], cuda_history[ITERATIONS];

  g_assert_no_error (error);
  g_assert_cmpuint (ptl_array_bytes (cuda_object), ==, ptl_array_bytes (cpu_object));
  g_assert_cmpuint (ptl_array_bytes (cuda_probe), ==, ptl_array_bytes (cpu_probe));
  g_assert_cmpuint (n_cpu, ==, ITERATIONS);
  g_assert_cmpuint (n_cuda, ==, ITERATIONS);
  g_assert_cmpuint (frames_cuda, ==, frames_cpu);

  /* The error must have moved: parity of a run that did nothing proves nothing. (Whether
   * it fell is the business of tests/unit/test-engine.c.) */
  g_assert_cmpfloat (cpu_errors[ITERATIONS - 1], !=, cpu_errors[0]);

  /* Position refinement keeps the best of a few integer trials: near-ties may fall either
   * way, but nearly every frame must land on the same corner on both backends, within a
   * tenth of a pixel of the same place (the sub-pixel estimates come from errors that
   * differ in their last digits). */
  for (guint j = 0; j < 2 * frames_cpu; j++)
    {
      moved += cpu_positions[j] != cpu_start[j];
      differ += fabs (cpu_positions[j] - cuda_positions[j]) > 0.1;
    }
  g_test_message ("positions: %u coordinates refined on the CPU, %u differ on CUDA", moved,
                  differ);
  if (ec->refine_positions)
    g_assert_cmpuint (moved, >, 0);
  else
    g_assert_cmpuint (moved, ==, 0);
  g_assert_cmpuint (differ, <=, frames_cpu / 10);

  /* A frame placed one pixel apart changes the object around it: then only closeness. */
  double tolerance = differ == 0 ? ec->tolerance : 5e-2;
  for (guint i = 0; i < ITERATIONS; i++)
    {
      cpu_history[i] = (float) cpu_errors[i];
      cuda_history[i] = (float) cuda_errors[i];
    }
  ptl_parity_check ("object", (const float *) cuda_object->data, (const float *) cpu_object->data,
                    ptl_array_bytes (cpu_object) / sizeof (float), tolerance);
  ptl_parity_check ("probe modes", (const float *) cuda_probe->data,
                    (const float *) cpu_probe->data, ptl_array_bytes (cpu_probe) / sizeof (float),
                    tolerance);
  ptl_parity_check ("error history", cuda_history, cpu_history, ITERATIONS, tolerance);
}

int
main (int   argc,
      char *argv[])
{
  static const EngineCase cases[] = {
    { "epie", PTL_ALGORITHM_EPIE, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "rpie", PTL_ALGORITHM_RPIE, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "rpie-batch-8", PTL_ALGORITHM_RPIE, 8, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "rpie-batch-8-modes-2", PTL_ALGORITHM_RPIE, 8, 2, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "mpie-batch-4", PTL_ALGORITHM_MPIE, 4, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "dm", PTL_ALGORITHM_DM, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "dm-modes-3", PTL_ALGORITHM_DM, 1, 3, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "ap", PTL_ALGORITHM_AP, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "raar", PTL_ALGORITHM_RAAR, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 1e-3 },
    { "ml-gaussian", PTL_ALGORITHM_ML, 1, 1, PTL_ML_NOISE_GAUSSIAN, FALSE, 2e-3 },
    { "ml-poisson", PTL_ALGORITHM_ML, 1, 1, PTL_ML_NOISE_POISSON, FALSE, 2e-3 },
    { "rpie-positions", PTL_ALGORITHM_RPIE, 1, 1, PTL_ML_NOISE_GAUSSIAN, TRUE, 2e-3 },
    { "dm-positions", PTL_ALGORITHM_DM, 1, 1, PTL_ML_NOISE_GAUSSIAN, TRUE, 2e-3 },
  };
  g_autoptr (GError) error = NULL;
  PtlSimParams sim;
  int status;

  g_test_init (&argc, &argv, NULL);
  if ((status = ptl_parity_open (&cpu_backend, &cuda_backend)) >= 0)
    return status;

  /* A small noisy scan whose positions carry a random error, so that refinement has
   * something to find. */
  ptl_sim_params_init (&sim);
  sim.geometry.frame_size = 64;
  sim.n_frames = 40;
  sim.poisson = TRUE;
  scan = ptl_simulate_scan (&sim, &true_object, &true_probe, &error);
  ptl_sim_params_clear (&sim);
  g_assert_no_error (error);
  {
    g_autoptr (GRand) rand = g_rand_new_with_seed (5);
    for (guint j = 0; j < 2 * scan->n_frames; j++)
      scan->positions[j] += g_rand_int_range (rand, -1, 2);
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cuda/engine/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_engine);
    }

  status = g_test_run ();
  ptl_scan_data_free (scan);
  ptl_array_free (true_object);
  ptl_array_free (true_probe);
  ptl_backend_free (cuda_backend);
  ptl_backend_free (cpu_backend);
  return status;
}
