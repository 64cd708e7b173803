/* The CUDA backend against the CPU one on the same seeded random inputs, kernel by kernel:
 * FFTs, scaling and the PIE ops, with K probe modes, batches that do not start at the first
 * frame, more slots than one launch holds, and every layout of windows the batched update
 * schedules differently. Every case runs one sequence of backend calls through run_on ()
 * on both backends, reads back every array a PIE batch names, and compares them; the CPU
 * backend's own correctness is the business of tests/unit/test-backend-cpu.c. Without a
 * CUDA device the whole program is skipped (77). */
#include "config.h"

#include "ptl-parity-pie.h"

/* FFT */

typedef struct
{
  guint           m;
  guint           batch;
  PtlFftDirection direction;
} FftCase;

static void
sequence_fft (PtlBackend   *backend,
              PtlPieBatch  *b,
              gconstpointer data)
{
  fft_all_slots (backend, b, ((const FftCase *) data)->direction);
}

static void
test_fft (gconstpointer data)
{
  const FftCase *fc = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (fc->m * 100 + fc->batch);
  g_autoptr (State) input = state_new (fc->m, fc->m, fc->m, 1, fc->batch);

  ptl_parity_fill_complex (input->exit, (gsize) fc->batch * fc->m * fc->m, 1.0f, rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_fft, fc);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_fft, fc);
  assert_changed (cpu, input, FIELD_EXIT);
  assert_parity (cuda, cpu, 1e-5, FIELD_EXIT, N_FIELDS);
}

/* Scale: frames 1 and 2 of three, so that the offset counts and frame 0 stays as it was. */

static void
sequence_scale (PtlBackend   *backend,
                PtlPieBatch  *b,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize n = (gsize) b->m * b->m;

  gboolean ok = ptl_backend_scale (backend, b->exit, n * sizeof (ptl_complex), 2 * n, 1.0f / n,
                                   &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_scale (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (State) input = state_new (64, 64, 64, 1, 3);
  gsize n = 64 * 64;

  ptl_parity_fill_complex (input->exit, 3 * n, 100.0f, rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_scale, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_scale, NULL);
  assert_changed (cpu, input, FIELD_EXIT);
  g_assert_cmpmem (cuda->exit, n * sizeof (ptl_complex), input->exit, n * sizeof (ptl_complex));
  assert_parity (cuda, cpu, 1e-6, FIELD_EXIT, N_FIELDS);
}

/* Exit waves: a non-square canvas (a row/column swap shows), a batch not at the start of
 * the order, K probe modes. */

#define BATCH_FIRST 2

static void
sequence_exit_wave (PtlBackend   *backend,
                    PtlPieBatch  *b,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  b->first = BATCH_FIRST;
  gboolean ok = ptl_backend_exit_wave (backend, b, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_exit_wave (gconstpointer data)
{
  guint modes = GPOINTER_TO_UINT (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11 + modes);
  g_autoptr (State) input = state_new_modes (64, 150, 170, 6, 4, modes);

  ptl_parity_fill_object (input->object, 150 * 170, rand);
  ptl_parity_fill_complex (input->probe, modes * 64 * 64, 3.0f, rand);
  fill_positions (input, rand);
  shuffle_order (input, rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_exit_wave, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_exit_wave, NULL);
  assert_changed (cpu, input, FIELD_EXIT);
  assert_changed (cpu, input, FIELD_SCRATCH);
  assert_parity (cuda, cpu, 1e-6, FIELD_EXIT, FIELD_SCRATCH, N_FIELDS);
}

/* A batch of more slots than one launch's grid holds (grid.y ≤ 65535), on small frames so
 * that it stays light: the slots past the first launch must be formed too. */

#define MANY_SLOTS 70000

static void
sequence_exit_wave_and_constraint (PtlBackend   *backend,
                                   PtlPieBatch  *b,
                                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ptl_backend_exit_wave (backend, b, &error)
                && ptl_backend_fourier_constraint (backend, b, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_many_slots (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (19);
  g_autoptr (State) input = state_new (4, 40, 30, MANY_SLOTS, MANY_SLOTS);

  ptl_parity_fill_object (input->object, 40 * 30, rand);
  ptl_parity_fill_complex (input->probe, 16, 3.0f, rand);
  fill_positions (input, rand);
  shuffle_order (input, rand);
  for (gsize i = 0; i < (gsize) MANY_SLOTS * 16; i++)
    input->amplitudes[i] = (float) g_rand_double (rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_exit_wave_and_constraint, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_exit_wave_and_constraint, NULL);
  assert_changed (cpu, input, FIELD_ERRORS);
  assert_changed (cpu, input, FIELD_SCRATCH);
  /* The last slot lies in the second launch. */
  g_assert_cmpfloat (cuda->scratch[2 * MANY_SLOTS - 1], >, 0.0f);
  assert_parity (cuda, cpu, 1e-5, FIELD_EXIT, FIELD_SCRATCH, FIELD_ERRORS, N_FIELDS);
}

/* Fourier constraint: random Fourier-space waves against random amplitudes with a fifth
 * of the pixels masked, and one frame masked entirely (its error is 0); K modes share one
 * factor per pixel. */

typedef struct
{
  guint m;
  guint modes;
  float tolerance; /* amplitude tolerance of the constraint (0 = exact projection) */
} ConstraintCase;

static void
sequence_fourier_constraint (PtlBackend   *backend,
                             PtlPieBatch  *b,
                             gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  b->first = BATCH_FIRST;
  b->amplitude_tolerance = ((const ConstraintCase *) data)->tolerance;
  gboolean ok = ptl_backend_fourier_constraint (backend, b, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_fourier_constraint (gconstpointer data)
{
  const ConstraintCase *cc = data;
  guint m = cc->m;
  g_autoptr (GRand) rand = g_rand_new_with_seed (13 + m + cc->modes);
  g_autoptr (State) input = state_new_modes (m, m, m, 6, 4, cc->modes);
  gsize n = (gsize) m * m;
  guint32 dark = 4;

  /* |Ψ_u|/m of order 1, like the amplitudes. */
  ptl_parity_fill_complex (input->exit, 4 * cc->modes * n, m, rand);
  for (gsize i = 0; i < 6 * n; i++)
    input->amplitudes[i] = g_rand_double (rand) < 0.2 ? -1.0f : (float) g_rand_double (rand);
  for (gsize i = 0; i < n; i++)
    input->amplitudes[dark * n + i] = -1.0f;
  for (guint j = 0; j < 6; j++)
    input->errors[j] = -1.0f; /* frames outside the batch keep this */
  shuffle_order (input, rand);
  for (guint j = 0; j < 6; j++)
    if (input->order[j] == dark)
      {
        input->order[j] = input->order[BATCH_FIRST + 3];
        input->order[BATCH_FIRST + 3] = dark;
        break;
      }

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_fourier_constraint, cc);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_fourier_constraint, cc);
  assert_changed (cpu, input, FIELD_EXIT);
  assert_changed (cpu, input, FIELD_ERRORS);
  g_assert_cmpfloat (cuda->errors[dark], ==, 0.0f);
  assert_parity (cuda, cpu, 1e-5, FIELD_EXIT, FIELD_ERRORS, N_FIELDS);
}

/* PIE update: windows that all overlap, so that slot order matters. */

typedef struct
{
  PtlPieVariant variant;
  gboolean      update_probe;
  guint         count;
  guint         modes;
} UpdateCase;

static void
sequence_pie_update (PtlBackend   *backend,
                     PtlPieBatch  *b,
                     gconstpointer data)
{
  const UpdateCase *uc = data;
  g_autoptr (GError) error = NULL;

  b->first = 1;
  b->variant = uc->variant;
  b->alpha = uc->variant == PTL_PIE_RPIE ? 0.3f : 0.9f;
  b->beta = uc->variant == PTL_PIE_RPIE ? 0.6f : 0.7f;
  b->update_probe = uc->update_probe;
  gboolean ok = ptl_backend_pie_update (backend, b, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_pie_update (gconstpointer data)
{
  const UpdateCase *uc = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (17 + uc->count + 5 * uc->modes);
  g_autoptr (State) input = state_new_modes (32, 48, 52, 5, uc->count, uc->modes);
  gsize probe_bytes = uc->modes * 32 * 32 * sizeof (ptl_complex);

  ptl_parity_fill_object (input->object, 48 * 52, rand);
  ptl_parity_fill_complex (input->probe, uc->modes * 32 * 32, 2.0f, rand);
  ptl_parity_fill_complex (input->exit, uc->count * uc->modes * 32 * 32, 2.0f, rand);
  fill_positions (input, rand);
  shuffle_order (input, rand);
  fill_scratch (input, 1);

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_pie_update, uc);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_pie_update, uc);
  assert_changed (cpu, input, FIELD_OBJECT);
  if (uc->update_probe)
    assert_changed (cpu, input, FIELD_PROBE);
  else
    g_assert_cmpmem (cuda->probe, probe_bytes, input->probe, probe_bytes);
  assert_parity (cuda, cpu, 1e-5, FIELD_OBJECT, FIELD_PROBE, N_FIELDS);
}

/* PIE update of a batch whose windows are laid out as a mini-batch engine picks them:
 * spread out (no two overlap), spread with one slot landing on an earlier one (with two
 * probe modes), frames larger than the device's threads, where each thread takes several
 * pixels, and a long random batch of a scan (runs of slots between waits of a few slots,
 * and more slots than the wait planning stages at once). */

typedef enum
{
  LAYOUT_SPREAD,
  LAYOUT_ONE_OVERLAP,
  LAYOUT_SPREAD_LARGE,
  LAYOUT_RANDOM_LONG,
} Layout;

/* Slots of the long random batch: more than the 1024 the wait planning stages at once. */
#define RANDOM_LONG_SLOTS 1500

static void
test_pie_update_layout (gconstpointer data)
{
  Layout layout = GPOINTER_TO_INT (data);
  guint m = layout == LAYOUT_SPREAD_LARGE ? 1024 : layout == LAYOUT_RANDOM_LONG ? 16 : 64;
  guint count = layout == LAYOUT_SPREAD_LARGE ? 3 : layout == LAYOUT_RANDOM_LONG ? RANDOM_LONG_SLOTS
                                                                                : 10;
  guint per_row = layout == LAYOUT_SPREAD_LARGE ? 3 : layout == LAYOUT_RANDOM_LONG ? 40 : 4;
  guint rows = (count + per_row - 1) / per_row * (m + 3), cols = per_row * (m + 3);
  g_autoptr (GRand) rand = g_rand_new_with_seed (31 + layout);
  guint modes = layout == LAYOUT_ONE_OVERLAP ? 2 : 1;
  g_autoptr (State) input = state_new_modes (m, rows, cols, count + 1, count, modes);
  UpdateCase uc = { PTL_PIE_RPIE, TRUE, count, modes };

  ptl_parity_fill_object (input->object, (gsize) rows * cols, rand);
  ptl_parity_fill_complex (input->probe, (gsize) modes * m * m, 2.0f, rand);
  ptl_parity_fill_complex (input->exit, (gsize) count * modes * m * m, 2.0f, rand);
  /* Frame j sits in cell j of a grid of cells m + 3 wide; order[1 + k] = k. */
  for (guint j = 0; j < count; j++)
    {
      input->positions[j].row = (j / per_row) * (m + 3) + g_rand_int_range (rand, 0, 4);
      input->positions[j].col = (j % per_row) * (m + 3) + g_rand_int_range (rand, 0, 4);
      input->order[1 + j] = j;
    }
  input->order[0] = count;
  if (layout == LAYOUT_ONE_OVERLAP)
    {
      input->positions[6].row = input->positions[2].row + m / 3;
      input->positions[6].col = input->positions[2].col + m / 5;
    }
  if (layout == LAYOUT_RANDOM_LONG)
    {
      /* Anywhere on the canvas: each window overlaps about 1 % of the others. */
      fill_positions (input, rand);
      shuffle_order (input, rand);
    }
  fill_scratch (input, 1);

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_pie_update, &uc);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_pie_update, &uc);
  assert_changed (cpu, input, FIELD_OBJECT);
  assert_changed (cpu, input, FIELD_PROBE);
  assert_parity (cuda, cpu, 1e-5, FIELD_OBJECT, FIELD_PROBE, N_FIELDS);
}

int
main (int   argc,
      char *argv[])
{
  static const FftCase fft_cases[] = {
    { 64, 1, PTL_FFT_FORWARD },  { 64, 1, PTL_FFT_BACKWARD },
    { 64, 7, PTL_FFT_FORWARD },  { 64, 7, PTL_FFT_BACKWARD },
    { 128, 1, PTL_FFT_FORWARD }, { 128, 1, PTL_FFT_BACKWARD },
    { 128, 7, PTL_FFT_FORWARD }, { 128, 7, PTL_FFT_BACKWARD },
  };
  static const ConstraintCase constraint_cases[] = {
    { 64, 1, 0.0f }, { 128, 1, 0.0f }, { 256, 1, 0.0f }, { 64, 3, 0.0f }, { 128, 2, 0.0f },
    { 128, 1, 0.2f }, { 64, 3, 0.2f },
  };
  static const UpdateCase update_cases[] = {
    { PTL_PIE_EPIE, TRUE, 1, 1 },  { PTL_PIE_EPIE, TRUE, 3, 1 },
    { PTL_PIE_EPIE, FALSE, 1, 1 }, { PTL_PIE_EPIE, FALSE, 3, 1 },
    { PTL_PIE_RPIE, TRUE, 1, 1 },  { PTL_PIE_RPIE, TRUE, 3, 1 },
    { PTL_PIE_RPIE, FALSE, 1, 1 }, { PTL_PIE_RPIE, FALSE, 3, 1 },
    { PTL_PIE_EPIE, TRUE, 4, 2 },  { PTL_PIE_RPIE, TRUE, 3, 3 },
    { PTL_PIE_RPIE, FALSE, 1, 2 },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  if ((status = ptl_parity_open (&cpu_backend, &cuda_backend)) >= 0)
    return status;

  for (guint i = 0; i < G_N_ELEMENTS (fft_cases); i++)
    {
      const FftCase *fc = &fft_cases[i];
      g_autofree char *path = g_strdup_printf ("/cuda/fft/%ux%u/batch-%u/%s", fc->m, fc->m,
                                               fc->batch,
                                               fc->direction == PTL_FFT_FORWARD ? "forward"
                                                                                : "backward");
      g_test_add_data_func (path, fc, test_fft);
    }
  g_test_add_func ("/cuda/scale", test_scale);
  g_test_add_data_func ("/cuda/exit-wave/K1", GUINT_TO_POINTER (1), test_exit_wave);
  g_test_add_data_func ("/cuda/exit-wave/K3", GUINT_TO_POINTER (3), test_exit_wave);
  g_test_add_func ("/cuda/many-slots", test_many_slots);
  for (guint i = 0; i < G_N_ELEMENTS (constraint_cases); i++)
    {
      const ConstraintCase *cc = &constraint_cases[i];
      g_autofree char *path = g_strdup_printf ("/cuda/fourier-constraint/%ux%u/K%u/tolerance-%.1f",
                                               cc->m, cc->m, cc->modes, cc->tolerance);
      g_test_add_data_func (path, cc, test_fourier_constraint);
    }
  for (guint i = 0; i < G_N_ELEMENTS (update_cases); i++)
    {
      const UpdateCase *uc = &update_cases[i];
      g_autofree char *path = g_strdup_printf ("/cuda/pie-update/%s/%s/count-%u/K%u",
                                               uc->variant == PTL_PIE_RPIE ? "rpie" : "epie",
                                               uc->update_probe ? "probe" : "object-only",
                                               uc->count, uc->modes);
      g_test_add_data_func (path, uc, test_pie_update);
    }
  g_test_add_data_func ("/cuda/pie-update/layout/spread", GINT_TO_POINTER (LAYOUT_SPREAD),
                        test_pie_update_layout);
  g_test_add_data_func ("/cuda/pie-update/layout/one-overlap",
                        GINT_TO_POINTER (LAYOUT_ONE_OVERLAP), test_pie_update_layout);
  g_test_add_data_func ("/cuda/pie-update/layout/spread-1024",
                        GINT_TO_POINTER (LAYOUT_SPREAD_LARGE), test_pie_update_layout);
  g_test_add_data_func ("/cuda/pie-update/layout/random-long",
                        GINT_TO_POINTER (LAYOUT_RANDOM_LONG), test_pie_update_layout);

  status = g_test_run ();
  ptl_backend_free (cuda_backend);
  ptl_backend_free (cpu_backend);
  return status;
}
