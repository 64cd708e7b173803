/* The CUDA backend against the CPU one on the same seeded random inputs. Every case runs
 * one sequence of backend calls through run_on() on both backends, reads back every array
 * a PIE batch names, and compares them; the CPU backend's own correctness is the business
 * of tests/unit/test-backend-cpu.c. Without a CUDA device the whole program is skipped. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/ptl-error.h"
#include "recon/ptl-backend.h"

static PtlBackend *cpu_backend;
static PtlBackend *cuda_backend;

typedef enum
{
  FIELD_OBJECT,
  FIELD_PROBE,
  FIELD_EXIT,
  FIELD_AMPLITUDES,
  FIELD_POSITIONS,
  FIELD_ORDER,
  FIELD_ERRORS,
  FIELD_SCRATCH,
  N_FIELDS
} Field;

static const char *const field_names[N_FIELDS] = {
  "object", "probe", "exit waves", "amplitudes", "positions", "order", "errors", "scratch",
};

/* Host copies of the arrays of a PIE batch, in the backend layout, by name for the tests
 * and by Field for the loops that move them. */
typedef struct
{
  guint m;
  guint canvas_rows;
  guint canvas_cols;
  guint n_frames;
  guint n_slots;
  gsize bytes[N_FIELDS];
  union
  {
    gpointer field[N_FIELDS];
    struct
    {
      ptl_complex *object;     /* [canvas_rows][canvas_cols] */
      ptl_complex *probe;      /* [m][m] */
      ptl_complex *exit;       /* [n_slots][m][m] */
      float       *amplitudes; /* [n_frames][m][m] */
      PtlPosition *positions;  /* [n_frames] */
      guint32     *order;      /* [n_frames] */
      float       *errors;     /* [n_frames] */
      float       *scratch;    /* [2 n_slots] */
    };
  };
} State;

G_STATIC_ASSERT (G_STRUCT_OFFSET (State, scratch)
                 == G_STRUCT_OFFSET (State, field) + FIELD_SCRATCH * sizeof (gpointer));

static State *
state_new (guint m,
           guint canvas_rows,
           guint canvas_cols,
           guint n_frames,
           guint n_slots)
{
  State *s = g_new0 (State, 1);
  gsize n = (gsize) m * m;

  s->m = m;
  s->canvas_rows = canvas_rows;
  s->canvas_cols = canvas_cols;
  s->n_frames = n_frames;
  s->n_slots = n_slots;
  s->bytes[FIELD_OBJECT] = (gsize) canvas_rows * canvas_cols * sizeof (ptl_complex);
  s->bytes[FIELD_PROBE] = n * sizeof (ptl_complex);
  s->bytes[FIELD_EXIT] = n_slots * n * sizeof (ptl_complex);
  s->bytes[FIELD_AMPLITUDES] = n_frames * n * sizeof (float);
  s->bytes[FIELD_POSITIONS] = n_frames * sizeof (PtlPosition);
  s->bytes[FIELD_ORDER] = n_frames * sizeof (guint32);
  s->bytes[FIELD_ERRORS] = n_frames * sizeof (float);
  s->bytes[FIELD_SCRATCH] = 2 * n_slots * sizeof (float);
  for (Field f = 0; f < N_FIELDS; f++)
    s->field[f] = g_malloc0 (s->bytes[f]);
  for (guint j = 0; j < n_frames; j++)
    s->order[j] = j;
  return s;
}

static void
state_free (State *s)
{
  for (Field f = 0; f < N_FIELDS; f++)
    g_free (s->field[f]);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (State, state_free)

static State *
state_copy (const State *s)
{
  State *copy = state_new (s->m, s->canvas_rows, s->canvas_cols, s->n_frames, s->n_slots);

  for (Field f = 0; f < N_FIELDS; f++)
    memcpy (copy->field[f], s->field[f], s->bytes[f]);
  return copy;
}

/* A sequence of backend calls on a batch that covers every slot of the state. */
typedef void (*Sequence) (PtlBackend   *backend,
                          PtlPieBatch  *batch,
                          gconstpointer data);

/* Uploads `input`, runs `sequence` and reads every array back: the one code path that both
 * backends go through. */
static State *
run_on (PtlBackend   *backend,
        const State  *input,
        Sequence      sequence,
        gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  State *output = state_copy (input);
  PtlBuffer *buffers[N_FIELDS];

  for (Field f = 0; f < N_FIELDS; f++)
    {
      gboolean ok;

      buffers[f] = ptl_backend_alloc (backend, input->bytes[f], &error);
      g_assert_no_error (error);
      ok = ptl_backend_upload (backend, buffers[f], 0, input->field[f], input->bytes[f], &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }

  PtlPieBatch batch = {
    .object = buffers[FIELD_OBJECT],
    .canvas_rows = input->canvas_rows,
    .canvas_cols = input->canvas_cols,
    .probe = buffers[FIELD_PROBE],
    .m = input->m,
    .exit = buffers[FIELD_EXIT],
    .amplitudes = buffers[FIELD_AMPLITUDES],
    .positions = buffers[FIELD_POSITIONS],
    .order = buffers[FIELD_ORDER],
    .first = 0,
    .count = input->n_slots,
    .errors = buffers[FIELD_ERRORS],
    .scratch = buffers[FIELD_SCRATCH],
    .variant = PTL_PIE_EPIE,
    .alpha = 1.0f,
    .beta = 1.0f,
    .update_probe = TRUE,
  };
  sequence (backend, &batch, data);
  gboolean synchronized = ptl_backend_synchronize (backend, &error);
  g_assert_no_error (error);
  g_assert_true (synchronized);

  for (Field f = 0; f < N_FIELDS; f++)
    {
      gboolean ok = ptl_backend_download (backend, buffers[f], 0, output->field[f],
                                          output->bytes[f], &error);

      g_assert_no_error (error);
      g_assert_true (ok);
      ptl_backend_buffer_free (backend, buffers[f]);
    }
  return output;
}

static double
relative_l2 (const float *a,
             const float *b,
             gsize        n)
{
  double diff = 0.0, norm = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      norm += (double) b[i] * b[i];
    }
  return norm > 0.0 ? sqrt (diff / norm) : sqrt (diff);
}

/* Compares the float or complex fields listed (terminated by N_FIELDS), CUDA against CPU. */
static void
assert_parity (const State *cuda,
               const State *cpu,
               double       tolerance,
               ...)
{
  va_list fields;

  va_start (fields, tolerance);
  for (Field f = va_arg (fields, Field); f != N_FIELDS; f = va_arg (fields, Field))
    {
      double rel = relative_l2 (cuda->field[f], cpu->field[f], cpu->bytes[f] / sizeof (float));

      g_test_message ("%s: CUDA vs CPU relative L2 difference %.2e", field_names[f], rel);
      if (!(rel < tolerance))
        g_test_fail_printf ("%s: CUDA and CPU differ by %.2e (relative L2), more than %.0e",
                            field_names[f], rel, tolerance);
    }
  va_end (fields);
}

/* Parity is empty if neither backend did anything: the sequence must change `field`. */
static void
assert_changed (const State *output,
                const State *input,
                Field        field)
{
  if (relative_l2 (output->field[field], input->field[field], input->bytes[field] / sizeof (float))
      < 1e-3)
    g_test_fail_printf ("%s: left (nearly) unchanged", field_names[field]);
}

static void
fill_complex (ptl_complex *z,
              gsize        n,
              float        scale,
              GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = scale * ((float) g_rand_double_range (rand, -1, 1)
                    + I * (float) g_rand_double_range (rand, -1, 1));
}

/* Unit-modulus-ish object, so that no window is dark. */
static void
fill_object (ptl_complex *z,
             gsize        n,
             GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = (float) g_rand_double_range (rand, 0.5, 1.0)
           * cexpf (I * (float) g_rand_double_range (rand, -G_PI, G_PI));
}

static void
fill_positions (State *s,
                GRand *rand)
{
  for (guint j = 0; j < s->n_frames; j++)
    {
      s->positions[j].row = g_rand_int_range (rand, 0, (gint32) (s->canvas_rows - s->m + 1));
      s->positions[j].col = g_rand_int_range (rand, 0, (gint32) (s->canvas_cols - s->m + 1));
    }
}

static void
shuffle_order (State *s,
               GRand *rand)
{
  for (guint j = s->n_frames - 1; j > 0; j--)
    {
      guint i = g_rand_int_range (rand, 0, (gint32) j + 1);
      guint32 t = s->order[i];
      s->order[i] = s->order[j];
      s->order[j] = t;
    }
}

static inline float
norm2 (ptl_complex z)
{
  return crealf (z) * crealf (z) + cimagf (z) * cimagf (z);
}

/* What exit_wave leaves in scratch for slots first..first+count−1. */
static void
fill_scratch (State *s,
              guint  first)
{
  for (guint k = 0; k < s->n_slots; k++)
    {
      PtlPosition pos = s->positions[s->order[first + k]];
      float max_p = 0.0f, max_o = 0.0f;

      for (guint r = 0; r < s->m; r++)
        for (guint c = 0; c < s->m; c++)
          {
            max_p = fmaxf (max_p, norm2 (s->probe[r * s->m + c]));
            max_o = fmaxf (max_o, norm2 (s->object[(gsize) (pos.row + r) * s->canvas_cols
                                                   + pos.col + c]));
          }
      s->scratch[2 * k] = max_p;
      s->scratch[2 * k + 1] = max_o;
    }
}

static void
fft_all_slots (PtlBackend     *backend,
               PtlPieBatch    *b,
               PtlFftDirection direction)
{
  g_autoptr (GError) error = NULL;
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, b->m, b->m, b->count, &error);

  g_assert_no_error (error);
  gboolean ok = ptl_backend_fft_execute (backend, plan, b->exit, 0, direction, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ptl_backend_fft_plan_free (backend, plan);
}

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

  fill_complex (input->exit, (gsize) fc->batch * fc->m * fc->m, 1.0f, rand);
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

  fill_complex (input->exit, 3 * n, 100.0f, rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_scale, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_scale, NULL);
  assert_changed (cpu, input, FIELD_EXIT);
  g_assert_cmpmem (cuda->exit, n * sizeof (ptl_complex), input->exit, n * sizeof (ptl_complex));
  assert_parity (cuda, cpu, 1e-6, FIELD_EXIT, N_FIELDS);
}

/* Exit waves: a non-square canvas (a row/column swap shows) and a batch not at the start
 * of the order. */

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
test_exit_wave (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (State) input = state_new (64, 150, 170, 6, 4);

  fill_object (input->object, 150 * 170, rand);
  fill_complex (input->probe, 64 * 64, 3.0f, rand);
  fill_positions (input, rand);
  shuffle_order (input, rand);
  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_exit_wave, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_exit_wave, NULL);
  assert_changed (cpu, input, FIELD_EXIT);
  assert_changed (cpu, input, FIELD_SCRATCH);
  assert_parity (cuda, cpu, 1e-6, FIELD_EXIT, FIELD_SCRATCH, N_FIELDS);
}

/* Fourier constraint: random Fourier-space waves against random amplitudes with a fifth
 * of the pixels masked, and one frame masked entirely (its error is 0). */

static void
sequence_fourier_constraint (PtlBackend   *backend,
                             PtlPieBatch  *b,
                             gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  b->first = BATCH_FIRST;
  gboolean ok = ptl_backend_fourier_constraint (backend, b, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_fourier_constraint (gconstpointer data)
{
  guint m = GPOINTER_TO_UINT (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (13 + m);
  g_autoptr (State) input = state_new (m, m, m, 6, 4);
  gsize n = (gsize) m * m;
  guint32 dark = 4;

  /* |Ψ_u|/m of order 1, like the amplitudes. */
  fill_complex (input->exit, 4 * n, m, rand);
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

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_fourier_constraint, NULL);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_fourier_constraint, NULL);
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
  g_autoptr (GRand) rand = g_rand_new_with_seed (17 + uc->count);
  g_autoptr (State) input = state_new (32, 48, 52, 5, uc->count);

  fill_object (input->object, 48 * 52, rand);
  fill_complex (input->probe, 32 * 32, 2.0f, rand);
  fill_complex (input->exit, uc->count * 32 * 32, 2.0f, rand);
  fill_positions (input, rand);
  shuffle_order (input, rand);
  fill_scratch (input, 1);

  g_autoptr (State) cpu = run_on (cpu_backend, input, sequence_pie_update, uc);
  g_autoptr (State) cuda = run_on (cuda_backend, input, sequence_pie_update, uc);
  assert_changed (cpu, input, FIELD_OBJECT);
  if (uc->update_probe)
    assert_changed (cpu, input, FIELD_PROBE);
  else
    g_assert_cmpmem (cuda->probe, 32 * 32 * sizeof (ptl_complex), input->probe,
                     32 * 32 * sizeof (ptl_complex));
  assert_parity (cuda, cpu, 1e-5, FIELD_OBJECT, FIELD_PROBE, N_FIELDS);
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

  fill_object (truth->object, SIM_CANVAS * SIM_CANVAS, rand);
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
  fill_complex (input->object, SIM_CANVAS * SIM_CANVAS, 0.2f, rand);
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
  static const FftCase fft_cases[] = {
    { 64, 1, PTL_FFT_FORWARD },  { 64, 1, PTL_FFT_BACKWARD },
    { 64, 7, PTL_FFT_FORWARD },  { 64, 7, PTL_FFT_BACKWARD },
    { 128, 1, PTL_FFT_FORWARD }, { 128, 1, PTL_FFT_BACKWARD },
    { 128, 7, PTL_FFT_FORWARD }, { 128, 7, PTL_FFT_BACKWARD },
  };
  static const UpdateCase update_cases[] = {
    { PTL_PIE_EPIE, TRUE, 1 },  { PTL_PIE_EPIE, TRUE, 3 },
    { PTL_PIE_EPIE, FALSE, 1 }, { PTL_PIE_EPIE, FALSE, 3 },
    { PTL_PIE_RPIE, TRUE, 1 },  { PTL_PIE_RPIE, TRUE, 3 },
    { PTL_PIE_RPIE, FALSE, 1 }, { PTL_PIE_RPIE, FALSE, 3 },
  };
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  cpu_backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  if (cpu_backend == NULL)
    {
      g_printerr ("The CPU backend does not open: %s\n", error->message);
      return 1;
    }
  cuda_backend = ptl_backend_new (PTL_BACKEND_CUDA, 0, 0, &error);
  if (cuda_backend == NULL)
    {
      gboolean unavailable = g_error_matches (error, PTL_BACKEND_ERROR,
                                              PTL_BACKEND_ERROR_UNAVAILABLE);
      g_printerr ("%s: %s\n", unavailable ? "Skipped" : "The CUDA backend fails",
                  error->message);
      ptl_backend_free (cpu_backend);
      return unavailable ? 77 : 1;
    }
  g_test_message ("CUDA backend: %s", ptl_backend_description (cuda_backend));

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
  g_test_add_func ("/cuda/exit-wave", test_exit_wave);
  g_test_add_data_func ("/cuda/fourier-constraint/64x64", GUINT_TO_POINTER (64),
                        test_fourier_constraint);
  g_test_add_data_func ("/cuda/fourier-constraint/128x128", GUINT_TO_POINTER (128),
                        test_fourier_constraint);
  for (guint i = 0; i < G_N_ELEMENTS (update_cases); i++)
    {
      const UpdateCase *uc = &update_cases[i];
      g_autofree char *path = g_strdup_printf ("/cuda/pie-update/%s/%s/count-%u",
                                               uc->variant == PTL_PIE_RPIE ? "rpie" : "epie",
                                               uc->update_probe ? "probe" : "object-only",
                                               uc->count);
      g_test_add_data_func (path, uc, test_pie_update);
    }
  g_test_add_data_func ("/cuda/iterations/epie", GINT_TO_POINTER (PTL_PIE_EPIE),
                        test_iterations);
  g_test_add_data_func ("/cuda/iterations/rpie", GINT_TO_POINTER (PTL_PIE_RPIE),
                        test_iterations);

  status = g_test_run ();
  ptl_backend_free (cuda_backend);
  ptl_backend_free (cpu_backend);
  return status;
}
