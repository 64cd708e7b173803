/* Position refinement by trial shifts (algorithms.md §3.8, PtyPy's annealing search in its
 * simplest deterministic form): every frame tries the eight neighbouring whole-pixel
 * positions against the current model, one forward transform each, and moves to the one
 * whose pattern the model explains best. A frame never moves further than
 * position_max_shift from where it arrived. Repeated every few iterations, the positions
 * walk to the ones the data support while the object sharpens around them.
 *
 * A frame that arrived further off than the trials reach can settle where its own pattern,
 * printed into the object, holds it; its error then stays far above the other frames'.
 * Such frames try, every few rounds, every whole pixel within reach of where they arrived
 * (PtyPy's grid search, kept to the frames that need it). A frame whose best trial is
 * where it stands has its position estimated between the pixels from the errors around
 * it; windows stay on whole pixels in every backend, so the estimate is only reported. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>
#include <stdlib.h>

#include "core/ptl-error.h"

/* The current position first, then its eight neighbours, then eight two pixels away (so
 * that a frame far off can leave a shallow local minimum). */
#define TRIALS 17

static const gint32 trial_offsets[TRIALS][2] = {
  { 0, 0 },   { -1, 0 }, { 1, 0 },  { 0, -1 }, { 0, 1 },  { -1, -1 }, { -1, 1 }, { 1, -1 }, { 1, 1 },
  { -2, 0 },  { 2, 0 },  { 0, -2 }, { 0, 2 },  { -2, -2 }, { -2, 2 }, { 2, -2 },  { 2, 2 },
};

/* A frame whose best error is this many times the median frame's is lost: the errors of
 * frames in place spread over a few times the median, those of frames stuck pixels away
 * lie tens of times above it. */
#define LOST_ERROR_RATIO 4.0
/* The grid search of lost frames runs on one round in this many, and reaches at most this
 * many pixels (its cost, π r² transforms a frame, grows fast). */
#define GRID_SEARCH_EVERY 5
#define GRID_SEARCH_RADIUS 8

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
  float       *best_errors; /* [n_frames] the error at each frame's new position */
  PtlBuffer   *object;      /* borrowed: what the trials are measured against */
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
  g_free (t->best_errors);
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
  t->best_errors = g_new (float, MAX (engine->n_frames, 1));
  t->object = engine->object;
  for (guint s = 0; s < t->slots; s++)
    t->host_frames[s] = s;
  return (engine->algorithm->trial_object == NULL
          || engine->algorithm->trial_object (engine, engine->state, &t->object, error))
         && (t->work = ptl_backend_alloc (b, (gsize) t->slots * engine->n_modes * engine->pixels
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

/* The Fourier error of every slot's trial: the model's pattern for frame host_frames[s]
 * with its window at host_positions[s]. */
static gboolean
measure (PtlEngine *engine,
         Trials    *t,
         guint      slots,
         GError   **error)
{
  PtlBackend *b = engine->backend;
  PtlPieBatch waves = {
    .object = t->object,
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
  PtlWaveBatch batch;
  _ptl_engine_wave_batch (engine, &batch);
  batch.frames = t->slot_frames;
  batch.count = slots;
  batch.work = t->work;
  batch.errors = t->errors;

  return ptl_backend_upload (b, t->positions, 0, t->host_positions,
                             slots * sizeof (PtlPosition), error)
         && ptl_backend_upload (b, t->slot_frames, 0, t->host_frames, slots * sizeof (guint32),
                                error)
         && ptl_backend_exit_wave (b, &waves, error)
         && _ptl_engine_fft (engine, t->work, 0, slots, PTL_FFT_FORWARD, error)
         && ptl_backend_fourier_error (b, &batch, error)
         && ptl_backend_download (b, t->errors, 0, t->host_errors, slots * sizeof (float), error);
}

static gboolean
same (PtlPosition a,
      PtlPosition b)
{
  return a.row == b.row && a.col == b.col;
}

/* The least of the parabola through the errors one pixel before, at and one pixel after
 * the best whole pixel, from that pixel: strictly within half a pixel of it, or 0 where
 * the errors do not bracket a minimum. */
static double
vertex (float before,
        float centre,
        float after)
{
  if (!(before > centre && after > centre))
    return 0.0;
  return 0.5 * ((double) before - after) / ((double) before - 2.0 * centre + after);
}

/* A frame that stays: its sub-pixel position along each axis whose neighbouring trials
 * (trials 1–4: a pixel up, down, left, right) were allowed. An axis without them keeps
 * what it had. */
static void
estimate_offsets (PtlEngine         *engine,
                  guint              j,
                  const PtlPosition *trials,
                  const float       *e)
{
  for (guint axis = 0; axis < 2; axis++)
    {
      guint before = 1 + 2 * axis, after = before + 1;
      if (!same (trials[before], trials[0]) && !same (trials[after], trials[0]))
        engine->offsets[2 * j + axis] = vertex (e[before], e[0], e[after]);
    }
}

/* Frame j to the whole pixel pos, where nothing yet says where it lies between pixels. */
static void
move (PtlEngine  *engine,
      guint       j,
      PtlPosition pos)
{
  engine->positions[j] = pos;
  engine->offsets[2 * j] = engine->offsets[2 * j + 1] = 0.0;
}

/* Frames first … first + count − 1: every trial's Fourier error, then the best move. */
static gboolean
refine_group (PtlEngine *engine,
              Trials    *t,
              guint      first,
              guint      count,
              GError   **error)
{
  for (guint f = 0; f < count; f++)
    for (guint k = 0; k < TRIALS; k++)
      {
        guint j = first + f;
        PtlPosition pos = { engine->positions[j].row + trial_offsets[k][0],
                            engine->positions[j].col + trial_offsets[k][1] };
        t->host_positions[f * TRIALS + k] = allowed (engine, j, pos) ? pos : engine->positions[j];
        t->host_frames[f * TRIALS + k] = j;
      }
  if (!measure (engine, t, count * TRIALS, error))
    return FALSE;

  for (guint f = 0; f < count; f++)
    {
      const PtlPosition *trials = t->host_positions + f * TRIALS;
      const float *e = t->host_errors + f * TRIALS;
      guint best = 0;
      for (guint k = 1; k < TRIALS; k++)
        if (e[k] < e[best])
          best = k;
      t->best_errors[first + f] = e[best];
      if (best == 0)
        estimate_offsets (engine, first + f, trials, e);
      else
        move (engine, first + f, trials[best]);
    }
  return TRUE;
}

static int
compare_floats (gconstpointer a,
                gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

/* The slots measured: each frame moves to any of its trials better than where it is. */
static gboolean
take_better (PtlEngine *engine,
             Trials    *t,
             guint      slots,
             GError   **error)
{
  if (!measure (engine, t, slots, error))
    return FALSE;
  for (guint s = 0; s < slots; s++)
    {
      guint j = t->host_frames[s];
      if (t->host_errors[s] < t->best_errors[j])
        {
          t->best_errors[j] = t->host_errors[s];
          move (engine, j, t->host_positions[s]);
        }
    }
  return TRUE;
}

/* Every lost frame tries every allowed whole pixel within the search radius of where it
 * arrived, the trials of several frames sharing a batch. */
static gboolean
search_lost_frames (PtlEngine *engine,
                    Trials    *t,
                    GError   **error)
{
  g_autofree float *sorted = g_memdup2 (t->best_errors, engine->n_frames * sizeof (float));
  gint reach = (gint) MIN (engine->params.position_max_shift, GRID_SEARCH_RADIUS);
  guint slots = 0;

  qsort (sorted, engine->n_frames, sizeof (float), compare_floats);
  float lost = (float) (LOST_ERROR_RATIO * sorted[engine->n_frames / 2]);
  for (guint j = 0; j < engine->n_frames; j++)
    {
      if (t->best_errors[j] <= lost)
        continue;
      for (gint dr = -reach; dr <= reach; dr++)
        for (gint dc = -reach; dc <= reach; dc++)
          {
            PtlPosition pos = { engine->arrival[j].row + dr, engine->arrival[j].col + dc };
            if (!allowed (engine, j, pos))
              continue;
            t->host_positions[slots] = pos;
            t->host_frames[slots++] = j;
            if (slots == t->slots && !take_better (engine, t, slots, error))
              return FALSE;
            slots %= t->slots;
          }
    }
  return slots == 0 || take_better (engine, t, slots, error);
}

gboolean
_ptl_engine_refine_positions (PtlEngine *engine,
                              guint      round,
                              GError   **error)
{
  Trials t;
  g_autofree PtlPosition *before = g_memdup2 (engine->positions,
                                              MAX (engine->n_frames, 1) * sizeof (PtlPosition));
  gboolean ok = trials_init (engine, &t, error);

  for (guint j = 0; ok && j < engine->n_frames; j += t.frames)
    ok = refine_group (engine, &t, j, MIN (t.frames, engine->n_frames - j), error);
  /* Lost frames stand out once ordinary rounds have settled the others. */
  if (ok && engine->n_frames > 0 && round % GRID_SEARCH_EVERY == GRID_SEARCH_EVERY - 1)
    ok = search_lost_frames (engine, &t, error);
  trials_clear (engine, &t);
  if (!ok || !_ptl_engine_upload_positions (engine, error))
    return FALSE;
  /* Exit waves stored for the old positions would pull the frames back: the frames that
   * moved start theirs again from the model, the others keep what they have learnt. */
  for (guint j = 0; j < engine->n_frames;)
    {
      guint end = j;
      while (end < engine->n_frames && !same (before[end], engine->positions[end]))
        end++;
      if (end > j && !engine->algorithm->frames_changed (engine, engine->state, j, end - j, error))
        return FALSE;
      j = MAX (end, j + 1);
    }
  return TRUE;
}
