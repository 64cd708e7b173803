/* The CUDA backend against the CPU one over whole runs: snapshots taken while later ops
 * change the buffer, the bandwidth measurement, and iterations of sequential PIE driven
 * kernel by kernel on simulated data, where every difference in any op would compound.
 * Without a CUDA device the whole program is skipped (77). */
#include "config.h"

#include "ptl-parity-pie.h"

/* Snapshots: a snapshot holds the buffer as it stood at begin, while later ops change it;
 * on both backends (the CPU one through the wrappers' download path). */

static void
sequence_snapshot (PtlBackend   *backend,
                   PtlPieBatch  *b,
                   gconstpointer data)
{
  ptl_complex *object_at_begin = (ptl_complex *) data;
  g_autoptr (GError) error = NULL;
  gsize bytes = (gsize) b->canvas_rows * b->canvas_cols * sizeof (ptl_complex);
  PtlSnapshot *snapshot = ptl_backend_snapshot_begin (backend, b->object, 0, bytes, &error);
  PtlSnapshot *dropped = ptl_backend_snapshot_begin (backend, b->probe, 0,
                                                     (gsize) b->m * b->m * sizeof (ptl_complex),
                                                     &error);

  g_assert_no_error (error);
  g_assert_nonnull (snapshot);
  g_assert_nonnull (dropped);
  b->first = 1;
  gboolean ok = ptl_backend_pie_update (backend, b, &error)
                && ptl_backend_snapshot_finish (backend, snapshot, object_at_begin, &error)
                && ptl_backend_snapshot_finish (backend, dropped, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_snapshot (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (29);
  g_autoptr (State) input = state_new (32, 48, 52, 5, 3);
  gsize bytes = 48 * 52 * sizeof (ptl_complex);
  g_autofree ptl_complex *cpu_snapshot = g_malloc (bytes);
  g_autofree ptl_complex *cuda_snapshot = g_malloc (bytes);

  ptl_parity_fill_object (input->object, 48 * 52, rand);
  ptl_parity_fill_complex (input->probe, 32 * 32, 2.0f, rand);
  ptl_parity_fill_complex (input->exit, 3 * 32 * 32, 2.0f, rand);
  fill_positions (input, rand);
  fill_scratch (input, 1);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_snapshot, cpu_snapshot);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_snapshot, cuda_snapshot);
  assert_changed (cuda, input, FIELD_OBJECT);
  g_assert_cmpmem (cpu_snapshot, bytes, input->object, bytes);
  g_assert_cmpmem (cuda_snapshot, bytes, input->object, bytes);
  assert_parity (cuda, cpu, 1e-5, FIELD_OBJECT, FIELD_PROBE, N_FIELDS);
}

/* Bandwidths the benchmark's floors divide by: plausible for any GPU of the last decade
 * (a device copy between 50 GB/s and 50 TB/s, an upload between 1 and 500 GB/s), and
 * refused by the CPU backend rather than made up. */
static void
test_bandwidth (void)
{
  g_autoptr (GError) error = NULL;
  double copy = 0.0, upload = 0.0;
  gboolean ok = ptl_backend_measure_bandwidth (cuda_backend, 64 << 20, &copy, &upload, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("device copy %.0f GB/s, pinned upload %.1f GB/s", copy / 1e9, upload / 1e9);
  g_assert_cmpfloat (copy, >, 50e9);
  g_assert_cmpfloat (copy, <, 50e12);
  g_assert_cmpfloat (upload, >, 1e9);
  g_assert_cmpfloat (upload, <, 500e9);
  g_assert_false (ptl_backend_measure_bandwidth (cpu_backend, 1 << 20, &copy, &upload, &error));
  g_assert_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE);
}

/* Five iterations of sequential PIE on data simulated from a known object and probe. */

#define SIM_M 32
#define SIM_GRID 4
#define SIM_STEP 14
#define SIM_CANVAS 96
#define SIM_FRAMES (SIM_GRID * SIM_GRID)
#define SIM_ITERATIONS 5

static void
sequence_far_field (PtlBackend   *backend,
                    PtlPieBatch  *b,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ptl_backend_exit_wave (backend, b, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  fft_all_slots (backend, b, PTL_FFT_FORWARD);
}

static void
sequence_iterate (PtlBackend   *backend,
                  PtlPieBatch  *b,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, b->m, b->m, 1, &error);

  g_assert_no_error (error);
  b->variant = GPOINTER_TO_INT (data);
  b->alpha = b->variant == PTL_PIE_RPIE ? 0.2f : 1.0f;
  b->beta = b->variant == PTL_PIE_RPIE ? 0.5f : 1.0f;
  b->count = 1;
  for (guint it = 0; it < SIM_ITERATIONS; it++)
    for (b->first = 0; b->first < SIM_FRAMES; b->first++)
      {
        gboolean ok = ptl_backend_exit_wave (backend, b, &error)
                      && ptl_backend_fft_execute (backend, plan, b->exit, 0, PTL_FFT_FORWARD,
                                                  &error)
                      && ptl_backend_fourier_constraint (backend, b, &error)
                      && ptl_backend_fft_execute (backend, plan, b->exit, 0, PTL_FFT_BACKWARD,
                                                  &error)
                      && ptl_backend_pie_update (backend, b, &error);
        g_assert_no_error (error);
        g_assert_true (ok);
      }
  ptl_backend_fft_plan_free (backend, plan);
}

/* A Gaussian spot with a defocus-like quadratic phase. */
static void
fill_probe (ptl_complex *probe)
{
  for (guint r = 0; r < SIM_M; r++)
    for (guint c = 0; c < SIM_M; c++)
      {
        float y = (r - SIM_M / 2.0f) / (SIM_M / 4.0f), x = (c - SIM_M / 2.0f) / (SIM_M / 4.0f);
        probe[r * SIM_M + c] = 10.0f * expf (-(x * x + y * y)) * cexpf (I * 0.8f * (x * x + y * y));
      }
}

static void
test_iterations (gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  g_autoptr (State) truth = state_new (SIM_M, SIM_CANVAS, SIM_CANVAS, SIM_FRAMES, SIM_FRAMES);
  g_autoptr (State) input = state_new (SIM_M, SIM_CANVAS, SIM_CANVAS, SIM_FRAMES, 1);
  gsize n = SIM_M * SIM_M;

  ptl_parity_fill_object (truth->object, SIM_CANVAS * SIM_CANVAS, rand);
  fill_probe (truth->probe);
  for (guint j = 0; j < SIM_FRAMES; j++)
    {
      truth->positions[j].row = 4 + (j / SIM_GRID) * SIM_STEP + g_rand_int_range (rand, -3, 4);
      truth->positions[j].col = 4 + (j % SIM_GRID) * SIM_STEP + g_rand_int_range (rand, -3, 4);
    }

  /* Measured amplitudes |Ψ_u|/M from the CPU backend, with 2 % of the pixels masked. */
  g_autoptr (State) far_field = run_on (cpu_backend, truth, sequence_far_field, NULL);
  for (gsize i = 0; i < SIM_FRAMES * n; i++)
    input->amplitudes[i] = g_rand_double (rand) < 0.02 ? -1.0f
                                                        : cabsf (far_field->exit[i]) / SIM_M;

  /* A flat start would give far fields whose tails lie below float precision, where the
   * phase is rounding noise and the two backends would rightly part ways: start rough. */
  ptl_parity_fill_complex (input->object, SIM_CANVAS * SIM_CANVAS, 0.2f, rand);
  for (gsize i = 0; i < SIM_CANVAS * SIM_CANVAS; i++)
    input->object[i] += 1.0f;
  for (gsize i = 0; i < n; i++)
    input->probe[i] = cabsf (truth->probe[i]);
  memcpy (input->positions, truth->positions, sizeof (PtlPosition) * SIM_FRAMES);
  shuffle_order (input, rand);

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_iterate, data);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_iterate, data);
  assert_changed (cpu, input, FIELD_OBJECT);
  assert_changed (cpu, input, FIELD_PROBE);
  assert_changed (cpu, input, FIELD_ERRORS);
  assert_parity (cuda, cpu, 1e-4, FIELD_OBJECT, FIELD_PROBE, FIELD_ERRORS, N_FIELDS);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if ((status = ptl_parity_open (&cpu_backend, &cuda_backend)) >= 0)
    return status;

  g_test_add_func ("/cuda/snapshot", test_snapshot);
  g_test_add_func ("/cuda/bandwidth", test_bandwidth);
  g_test_add_data_func ("/cuda/iterations/epie", GINT_TO_POINTER (PTL_PIE_EPIE),
                        test_iterations);
  g_test_add_data_func ("/cuda/iterations/rpie", GINT_TO_POINTER (PTL_PIE_RPIE),
                        test_iterations);

  status = g_test_run ();
  ptl_backend_free (cuda_backend);
  ptl_backend_free (cpu_backend);
  return status;
}
