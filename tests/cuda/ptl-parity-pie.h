/* The PIE half of the CPU-vs-CUDA parity tests: host copies of every array a PIE batch
 * names, and run_on (), which uploads them to a backend, runs a sequence of calls and reads
 * them all back, so that both backends go through the same code path. */
#pragma once

#include <stdarg.h>
#include <string.h>

#include "ptl-parity.h"

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
  guint modes;
  gsize bytes[N_FIELDS];
  union
  {
    gpointer field[N_FIELDS];
    struct
    {
      ptl_complex *object;     /* [canvas_rows][canvas_cols] */
      ptl_complex *probe;      /* [modes][m][m] */
      ptl_complex *exit;       /* [n_slots][modes][m][m] */
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

/* K = modes probe modes; state_new has one. */
static inline State *
state_new_modes (guint m,
                 guint canvas_rows,
                 guint canvas_cols,
                 guint n_frames,
                 guint n_slots,
                 guint modes)
{
  State *s = g_new0 (State, 1);
  gsize n = (gsize) m * m;

  s->m = m;
  s->canvas_rows = canvas_rows;
  s->canvas_cols = canvas_cols;
  s->n_frames = n_frames;
  s->n_slots = n_slots;
  s->modes = modes;
  s->bytes[FIELD_OBJECT] = (gsize) canvas_rows * canvas_cols * sizeof (ptl_complex);
  s->bytes[FIELD_PROBE] = modes * n * sizeof (ptl_complex);
  s->bytes[FIELD_EXIT] = n_slots * modes * n * sizeof (ptl_complex);
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

static inline State *
state_new (guint m,
           guint canvas_rows,
           guint canvas_cols,
           guint n_frames,
           guint n_slots)
{
  return state_new_modes (m, canvas_rows, canvas_cols, n_frames, n_slots, 1);
}

static inline void
state_free (State *s)
{
  for (Field f = 0; f < N_FIELDS; f++)
    g_free (s->field[f]);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (State, state_free)

static inline State *
state_copy (const State *s)
{
  State *copy = state_new_modes (s->m, s->canvas_rows, s->canvas_cols, s->n_frames, s->n_slots,
                                 s->modes);

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
static inline State *
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
    .n_modes = input->modes,
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

/* Compares the float or complex fields listed (terminated by N_FIELDS), CUDA against CPU. */
static inline void
assert_parity (const State *cuda,
               const State *cpu,
               double       tolerance,
               ...)
{
  va_list fields;

  va_start (fields, tolerance);
  for (Field f = va_arg (fields, Field); f != N_FIELDS; f = va_arg (fields, Field))
    {
      double rel = ptl_parity_relative_l2 (cuda->field[f], cpu->field[f],
                                           cpu->bytes[f] / sizeof (float));

      g_test_message ("%s: CUDA vs CPU relative L2 difference %.2e", field_names[f], rel);
      if (!(rel < tolerance))
        g_test_fail_printf ("%s: CUDA and CPU differ by %.2e (relative L2), more than %.0e",
                            field_names[f], rel, tolerance);
    }
  va_end (fields);
}

/* Parity is empty if neither backend did anything: the sequence must change `field`. */
static inline void
assert_changed (const State *output,
                const State *input,
                Field        field)
{
  if (ptl_parity_relative_l2 (output->field[field], input->field[field],
                              input->bytes[field] / sizeof (float))
      < 1e-3)
    g_test_fail_printf ("%s: left (nearly) unchanged", field_names[field]);
}

static inline void
fill_positions (State *s,
                GRand *rand)
{
  for (guint j = 0; j < s->n_frames; j++)
    {
      s->positions[j].row = g_rand_int_range (rand, 0, (gint32) (s->canvas_rows - s->m + 1));
      s->positions[j].col = g_rand_int_range (rand, 0, (gint32) (s->canvas_cols - s->m + 1));
    }
}

static inline void
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

/* What exit_wave leaves in scratch (max Σ_l |P_l|², max |O_j|²) for slots first…first +
 * n_slots − 1. */
static inline void
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
            float power = 0.0f;
            for (guint l = 0; l < s->modes; l++)
              power += norm2 (s->probe[((gsize) l * s->m + r) * s->m + c]);
            max_p = fmaxf (max_p, power);
            max_o = fmaxf (max_o, norm2 (s->object[(gsize) (pos.row + r) * s->canvas_cols
                                                   + pos.col + c]));
          }
      s->scratch[2 * k] = max_p;
      s->scratch[2 * k + 1] = max_o;
    }
}

static inline void
fft_all_slots (PtlBackend     *backend,
               PtlPieBatch    *b,
               PtlFftDirection direction)
{
  g_autoptr (GError) error = NULL;
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, b->m, b->m, b->count * MAX (b->n_modes, 1),
                                           &error);

  g_assert_no_error (error);
  gboolean ok = ptl_backend_fft_execute (backend, plan, b->exit, 0, direction, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ptl_backend_fft_plan_free (backend, plan);
}

