/* Position refinement by trial shifts (algorithms.md §3.8, PtyPy's annealing search in its
 * simplest deterministic form): every frame tries the eight neighbouring whole-pixel
 * positions against the current model, one forward transform each, and moves to the one
 * whose pattern the model explains best. A frame never moves further than
 * position_max_shift from where it arrived. Repeated every few iterations, the positions
 * walk to the ones the data support while the object sharpens around them. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>

#include "core/ptl-error.h"

/* The current position first, then its eight neighbours, then eight two pixels away (so
 * that a frame far off can leave a shallow local minimum). */
#define TRIALS 17

static const gint32 trial_offsets[TRIALS][2] = {
  { 0, 0 },   { -1, 0 }, { 1, 0 },  { 0, -1 }, { 0, 1 },  { -1, -1 }, { -1, 1 }, { 1, -1 }, { 1, 1 },
  { -2, 0 },  { 2, 0 },  { 0, -2 }, { 0, 2 },  { -2, -2 }, { -2, 2 }, { 2, -2 },  { 2, 2 },
};

typedef struct
{
  guint        frames;  /* frames per group */
  guint        slots;   /* frames · TRIALS */
  PtlBuffer   *work;
  PtlBuffer   *positions;
  PtlBuffer   *slot_frames;
  PtlBuffer   *identity;
  PtlBuffer   *errors;
  PtlBuffer   *scratch;
  PtlPosition *host_positions;
  guint32     *host_frames;
  float       *host_errors;
} Trials;

static void
trials_clear (PtlEngine *engine,
              Trials    *t)
{
  PtlBuffer *buffers[] = { t->work, t->positions, t->slot_frames, t->identity, t->errors,
                           t->scratch };

  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (engine->backend, buffers[i]);
  g_free (t->host_positions);
  g_free (t->host_frames);
  g_free (t->host_errors);
}

static gboolean
trials_init (PtlEngine *engine,
             Trials    *t,
             GError   **error)
{
  PtlBackend *b = engine->backend;

  *t = (Trials) { 0 };
  t->frames = MAX (1, engine->chunk / 2);
  t->slots = t->frames * TRIALS;
  t->host_positions = g_new (PtlPosition, t->slots);
  t->host_frames = g_new (guint32, t->slots);
  t->host_errors = g_new (float, t->slots);
  for (guint s = 0; s < t->slots; s++)
    t->host_frames[s] = s;
  return (t->work = ptl_backend_alloc (b, (gsize) t->slots * engine->n_modes * engine->pixels
                                            * sizeof (ptl_complex), error))
         && (t->positions = ptl_backend_alloc (b, t->slots * sizeof (PtlPosition), error))
         && (t->slot_frames = ptl_backend_alloc (b, t->slots * sizeof (guint32), error))
         && (t->identity = ptl_backend_alloc (b, t->slots * sizeof (guint32), error))
         && (t->errors = ptl_backend_alloc (b, t->slots * sizeof (float), error))
         && (t->scratch = ptl_backend_alloc (b, 2 * t->slots * sizeof (float), error))
         && ptl_backend_upload (b, t->identity, 0, t->host_frames, t->slots * sizeof (guint32),
                                error);
}

/* A trial the frame may take: on the canvas and within reach of where it arrived. */
static gboolean
allowed (PtlEngine  *engine,
         guint       frame,
         PtlPosition pos)
{
  PtlPosition home = engine->arrival[frame];
  double dr = pos.row - home.row, dc = pos.col - home.col;

  return pos.row >= 0 && pos.col >= 0 && pos.row + engine->m <= engine->canvas_rows
         && pos.col + engine->m <= engine->canvas_cols
         && hypot (dr, dc) <= engine->params.position_max_shift;
}

/* Frames first … first + count − 1: every trial's Fourier error, then the best move. */
static gboolean
refine_group (PtlEngine *engine,
              Trials    *t,
              guint      first,
              guint      count,
              GError   **error)
{
  PtlBackend *b = engine->backend;
  guint slots = count * TRIALS;

  for (guint f = 0; f < count; f++)
    for (guint k = 0; k < TRIALS; k++)
      {
        guint j = first + f;
        PtlPosition pos = { engine->positions[j].row + trial_offsets[k][0],
                            engine->positions[j].col + trial_offsets[k][1] };
        t->host_positions[f * TRIALS + k] = allowed (engine, j, pos) ? pos : engine->positions[j];
        t->host_frames[f * TRIALS + k] = j;
      }

  PtlPieBatch waves = {
    .object = engine->object,
    .canvas_rows = engine->canvas_rows,
    .canvas_cols = engine->canvas_cols,
    .probe = engine->probe,
    .m = engine->m,
    .exit = t->work,
    .amplitudes = engine->amplitudes,
    .positions = t->positions,
    .order = t->identity,
    .first = 0,
    .count = slots,
    .errors = engine->errors_buf,
    .scratch = t->scratch,
    .n_modes = engine->n_modes,
  };
  PtlWaveBatch measure;
  _ptl_engine_wave_batch (engine, &measure);
  measure.frames = t->slot_frames;
  measure.count = slots;
  measure.work = t->work;
  measure.errors = t->errors;

  if (!ptl_backend_upload (b, t->positions, 0, t->host_positions, slots * sizeof (PtlPosition),
                           error)
      || !ptl_backend_upload (b, t->slot_frames, 0, t->host_frames, slots * sizeof (guint32), error)
      || !ptl_backend_exit_wave (b, &waves, error)
      || !_ptl_engine_fft (engine, t->work, 0, slots, PTL_FFT_FORWARD, error)
      || !ptl_backend_fourier_error (b, &measure, error)
      || !ptl_backend_download (b, t->errors, 0, t->host_errors, slots * sizeof (float), error))
    return FALSE;

  for (guint f = 0; f < count; f++)
    {
      const float *e = t->host_errors + f * TRIALS;
      guint best = 0;
      for (guint k = 1; k < TRIALS; k++)
        if (e[k] < e[best])
          best = k;
      engine->positions[first + f] = t->host_positions[f * TRIALS + best];
    }
  return TRUE;
}

static gboolean
moved (const PtlPosition *before,
       const PtlPosition *after,
       guint              j)
{
  return before[j].row != after[j].row || before[j].col != after[j].col;
}

gboolean
_ptl_engine_refine_positions (PtlEngine *engine,
                              GError   **error)
{
  Trials t;
  g_autofree PtlPosition *before = g_memdup2 (engine->positions,
                                              MAX (engine->n_frames, 1) * sizeof (PtlPosition));
  gboolean ok = trials_init (engine, &t, error);

  for (guint j = 0; ok && j < engine->n_frames; j += t.frames)
    ok = refine_group (engine, &t, j, MIN (t.frames, engine->n_frames - j), error);
  trials_clear (engine, &t);
  if (!ok || !_ptl_engine_upload_positions (engine, error))
    return FALSE;
  /* Exit waves stored for the old positions would pull the frames back: the frames that
   * moved start theirs again from the model, the others keep what they have learnt. */
  for (guint j = 0; j < engine->n_frames;)
    {
      guint end = j;
      while (end < engine->n_frames && moved (before, engine->positions, end))
        end++;
      if (end > j && !engine->algorithm->frames_changed (engine, engine->state, j, end - j, error))
        return FALSE;
      j = MAX (end, j + 1);
    }
  return TRUE;
}
