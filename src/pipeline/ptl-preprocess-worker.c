/* The preprocessing thread: images are preprocessed as they arrive (the user sees the
 * pattern at once), then wait in the pairing for their positions; paired patterns go to
 * the engine and the positions to the recorder. Every image is kept (a reference to the
 * bytes as received, no copy) so that new preprocessing parameters can restart the
 * reconstruction from everything received. */
#include "config.h"

#include "ptl-preprocess-worker.h"

#include <math.h>

#include "core/ptl-error.h"

/* How often the thread wakes without input, to time out the pairing. */
#define TICK_US 100000

static void
push_engine (PtlWorker *w,
             PtlItem   *item)
{
  gsize mm = (gsize) w->m * w->m;

  ptl_queue_push (w->self->engine_queue, item, item->pattern ? mm * (sizeof (float) + 1) : 0);
}

static void
update_counters (PtlWorker *w)
{
  PtlPairingCounters pairing = ptl_pairing_counters (w->pairing);
  PtlPipeline *self = w->self;

  g_mutex_lock (&self->stats_lock);
  self->counters.paired = pairing.paired;
  self->counters.dropped = pairing.dropped_images + pairing.dropped_positions
                           + pairing.duplicate_images + pairing.duplicate_positions;
  self->counters.position_lag_frames = pairing.position_lag_frames;
  self->counters.position_lag_ms = pairing.position_lag_ms;
  g_mutex_unlock (&self->stats_lock);
}

static gboolean
deliver (PtlWorker *w,
         PtlItem   *pattern,
         GError   **error);

/* Pairs completed: patterns to the engine, positions to the recording. The series is
 * complete once it ended and no image waits for its position any more (paired, or dropped
 * after the timeout). */
static gboolean
dispatch (PtlWorker *w,
          GError   **error)
{
  guint n = ptl_pairing_take (w->pairing, g_get_monotonic_time (), w->pairs);

  for (guint i = 0; i < n; i++)
    {
      PtlPair *pair = &g_array_index (w->pairs, PtlPair, i);
      PtlItem *pattern = g_steal_pointer (&pair->payload);

      pattern->paired_us = g_get_monotonic_time ();
      pattern->frame->x = pattern->x = pair->x;
      pattern->frame->y = pattern->y = pair->y;
      pattern->frame->paired = TRUE;
      PtlItem *position = ptl_item_new (PTL_ITEM_POSITION);
      position->image_id = pair->image_id;
      position->x = pair->x;
      position->y = pair->y;
      /* Costs nothing in the recorder's queue: a recorder behind never holds back the
       * pairing (and so the reconstruction). */
      _ptl_ingest_push_record (w->self, position, 0);
      if (!deliver (w, pattern, error))
        {
          g_array_set_size (w->pairs, 0);
          return FALSE;
        }
    }
  g_array_set_size (w->pairs, 0);

  PtlPairingCounters pairing = ptl_pairing_counters (w->pairing);
  if (w->series_ended && !w->end_sent && pairing.images_waiting == 0
      && w->centre_frames->len == 0)
    {
      /* No image will come any more: positions still waiting never find theirs. */
      ptl_pairing_finish (w->pairing);
      w->end_sent = TRUE;
      push_engine (w, ptl_item_new (PTL_ITEM_END));
      _ptl_ingest_push_record (w->self, ptl_item_new (PTL_ITEM_END), 0);
    }
  update_counters (w);
  return TRUE;
}

/* A pattern made before new parameters is made again from its image. */
static gboolean
deliver (PtlWorker *w,
         PtlItem   *pattern,
         GError   **error)
{
  if (pattern->generation != w->generation)
    {
      PtlFrameRef *frame = ptl_frame_ref_acquire (pattern->frame);
      ptl_item_free (pattern);
      pattern = _ptl_worker_preprocess (w, frame, error);
      ptl_frame_ref_release (frame);
      if (pattern == NULL)
        return error == NULL || *error == NULL;
    }
  if (pattern->frame->paired)
    {
      pattern->paired_us = g_get_monotonic_time ();
      pattern->x = pattern->frame->x;
      pattern->y = pattern->frame->y;
      push_engine (w, pattern);
      return TRUE;
    }
  ptl_pairing_add_image (w->pairing, pattern->image_id, pattern, (GDestroyNotify) ptl_item_free,
                         g_get_monotonic_time ());
  return dispatch (w, error);
}

static gboolean
process (PtlWorker   *w,
         PtlFrameRef *frame,
         GError     **error)
{
  PtlItem *pattern = _ptl_worker_preprocess (w, frame, error);

  if (pattern == NULL)
    return error == NULL || *error == NULL;
  return deliver (w, pattern, error);
}

/* The automatic centre: the first frames decoded whole, their centre of mass fixed. */
static gboolean
find_centre (PtlWorker *w,
             GError   **error)
{
  guint n = w->centre_frames->len;
  gsize pixels = (gsize) w->rows * w->cols;
  g_autofree guint16 *frames = g_new (guint16, n * pixels);

  for (guint k = 0; k < n; k++)
    {
      PtlFrameRef *frame = g_ptr_array_index (w->centre_frames, k);
      if (!_ptl_worker_decode_rows (frame->image, 2, w->cols, 0, w->rows, frames + k * pixels,
                                    error))
        return FALSE;
    }
  for (gsize i = 0; i < n * pixels; i++)
    frames[i] = GUINT16_FROM_LE (frames[i]);
  if (!ptl_preprocessor_find_centre (w->preprocessor, frames, n, error))
    return FALSE;
  ptl_preprocessor_get_centre (w->preprocessor, &w->params.centre_row, &w->params.centre_col);
  w->row0 = (guint) round (w->params.centre_row - w->params.crop / 2.0);
  w->col0 = (guint) round (w->params.centre_col - w->params.crop / 2.0);
  g_mutex_lock (&w->self->lock);
  w->self->crop_centre_row = w->params.centre_row;
  w->self->crop_centre_col = w->params.centre_col;
  g_mutex_unlock (&w->self->lock);
  w->params.auto_centre = FALSE;
  g_autoptr (GPtrArray) waiting = g_steal_pointer (&w->centre_frames);
  w->centre_frames = g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_frame_ref_release);
  for (guint k = 0; k < waiting->len; k++)
    if (!process (w, g_ptr_array_index (waiting, k), error))
      return FALSE;
  return TRUE;
}

static gboolean
take_frame (PtlWorker   *w,
            PtlFrameRef *frame,
            GError     **error)
{
  if (!w->ready)
    return TRUE;
  if (w->params.auto_centre && !w->processed)
    {
      g_ptr_array_add (w->centre_frames, ptl_frame_ref_acquire (frame));
      if (w->centre_frames->len < MAX (w->params.auto_centre_frames, 1))
        return TRUE;
      return find_centre (w, error);
    }
  return process (w, frame, error);
}

static gboolean
take_end (PtlWorker *w,
          GError   **error)
{
  w->series_ended = TRUE;
  if (w->ready && w->centre_frames->len > 0 && !find_centre (w, error))
    return FALSE;
  return dispatch (w, error);
}

/* New parameters: the engine starts again from every frame received so far; patterns
 * still waiting for their position are made again when it comes. */
static gboolean
restart (PtlWorker                 *w,
         const PtlPreprocessParams *params,
         GError                   **error)
{
  w->params = *params;
  w->generation++;
  PtlItem *item = ptl_item_new (PTL_ITEM_RESTART);
  item->generation = w->generation;
  push_engine (w, item);
  if (w->self->series == NULL)
    return TRUE;
  if (!_ptl_worker_setup (w, error))
    return FALSE;
  for (guint k = 0; k < w->received->len; k++)
    {
      PtlFrameRef *frame = g_ptr_array_index (w->received, k);
      if (frame->paired && !take_frame (w, frame, error))
        return FALSE;
    }
  if (w->end_sent)
    push_engine (w, ptl_item_new (PTL_ITEM_END));
  return TRUE;
}

static gboolean
handle (PtlWorker *w,
        PtlItem   *item,
        GError   **error)
{
  switch (item->kind)
    {
    case PTL_ITEM_START:
      return _ptl_worker_setup (w, error);
    case PTL_ITEM_IMAGE:
      g_ptr_array_add (w->received, ptl_frame_ref_acquire (item->frame));
      return take_frame (w, item->frame, error);
    case PTL_ITEM_POSITIONS:
      /* After the end: the positions of a later series, not this one's. */
      if (w->end_sent)
        return TRUE;
      for (guint i = 0; i < item->positions->len; i++)
        ptl_pairing_add_position (w->pairing,
                                  &g_array_index (item->positions, PtlStagePosition, i),
                                  g_get_monotonic_time ());
      return dispatch (w, error);
    case PTL_ITEM_END:
      return take_end (w, error);
    default:
      return TRUE;
    }
}

gpointer
_ptl_preprocess_worker (gpointer pipeline)
{
  PtlPipeline *self = pipeline;
  PtlWorker w = { .self = self, .params = self->config.preprocess };
  g_autoptr (GError) error = NULL;

  w.pairing = ptl_pairing_new ((guint64) (self->config.pairing_timeout_s * G_USEC_PER_SEC));
  ptl_pairing_set_offset (w.pairing, 0);
  w.pairs = ptl_pair_array_new ();
  w.received = g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_frame_ref_release);
  w.centre_frames = g_ptr_array_new_with_free_func ((GDestroyNotify) ptl_frame_ref_release);
  while (!_ptl_pipeline_is_stopping (self))
    {
      PtlItem *item = ptl_queue_pop (self->preprocess_queue, TICK_US);
      PtlPreprocessParams params;
      gboolean pending;

      _ptl_ingest_count_client_errors (self);
      g_mutex_lock (&self->lock);
      pending = self->preprocess_pending;
      params = self->preprocess_params;
      /* A restart alone keeps the preprocessing in force (a centre found included). */
      if (self->restart_pending && !pending)
        params = w.params;
      pending |= self->restart_pending;
      self->preprocess_pending = self->restart_pending = FALSE;
      g_mutex_unlock (&self->lock);

      gboolean ok = (!pending || restart (&w, &params, &error))
                    && (item == NULL ? dispatch (&w, &error) : handle (&w, item, &error));
      ptl_item_free (item);
      if (!ok)
        {
          _ptl_pipeline_fail (self, error->message);
          break;
        }
      if (item == NULL && ptl_queue_is_closed (self->preprocess_queue))
        break;
    }
  _ptl_worker_reset (&w);
  g_array_unref (w.pairs);
  ptl_pairing_free (w.pairing);
  g_ptr_array_unref (w.received);
  g_ptr_array_unref (w.centre_frames);
  return NULL;
}
