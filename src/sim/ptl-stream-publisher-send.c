/* Sending what a stream publisher made (ptl-stream-publisher-messages.c): the pacing, the
 * PandA messages cut from the translations as the images go out, and the faults a live
 * client must survive (send-time jitter, a dropped image, late positions, reordered PandA
 * messages, a detector restart). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ptl-stream-publisher-private.h"
#include "stream/ptl-panda.h"
#include "stream/ptl-zmq.h"

/* Sleeps until `deadline` (monotonic µs) in short slices, so that cancelling is prompt. */
static gboolean
wait_until (gint64        deadline,
            GCancellable *cancellable,
            GError      **error)
{
  for (gint64 now = g_get_monotonic_time (); now < deadline; now = g_get_monotonic_time ())
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (deadline - now, 20000));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static guint64
parts_bytes (GPtrArray *parts)
{
  guint64 bytes = 0;

  for (guint i = 0; i < parts->len; i++)
    bytes += g_bytes_get_size (g_ptr_array_index (parts, i));
  return bytes;
}

static gboolean
send_detector (PtlStreamPublisher   *self,
               GPtrArray            *parts,
               PtlPublisherCounters *counters,
               GError              **error)
{
  if (!ptl_zmq_sender_send (self->detector, parts, error))
    return FALSE;
  counters->bytes += parts_bytes (parts);
  return TRUE;
}

/* PandA messages that became ready; without a position stream they are dropped. */
static gboolean
send_panda (PtlStreamPublisher   *self,
            GPtrArray            *messages,
            PtlPublisherCounters *counters,
            GError              **error)
{
  for (guint i = 0; self->positions != NULL && i < messages->len; i++)
    {
      char *text = g_ptr_array_index (messages, i);
      gsize len = strlen (text);
      g_autoptr (GPtrArray) parts =
        _ptl_stream_publisher_one_part (g_bytes_new_take (g_steal_pointer (&text), len));

      /* The array no longer owns the text: the part does. */
      messages->pdata[i] = NULL;
      if (!ptl_zmq_sender_send (self->positions, parts, error))
        return FALSE;
      counters->bytes += len;
      counters->panda_messages++;
    }
  g_ptr_array_set_size (messages, 0);
  return TRUE;
}

static void
add_positions (PtlStreamPublisher   *self,
               PtlPandaEncoder      *encoder,
               guint                 k,
               GPtrArray            *messages,
               PtlPublisherCounters *counters)
{
  double x = self->translation[2 * k] / self->params.stage_scale;
  double y = self->translation[2 * k + 1] / self->params.stage_scale;

  for (guint s = 0; s < self->params.samples_per_frame; s++)
    ptl_panda_encoder_add (encoder, x, y, messages);
  counters->positions++;
}

/* A detector restart: the socket goes away with what it had queued, then listens again
 * on the same port. The old listener is released by ZMQ's I/O thread, so binding may
 * need a few tries. */
static gboolean
restart_detector (PtlStreamPublisher *self,
                  GError            **error)
{
  g_clear_pointer (&self->detector, ptl_zmq_sender_free);
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr (GError) local = NULL;

      self->detector = ptl_zmq_sender_new (self->detector_endpoint, PTL_ZMQ_PUSH, TRUE, &local);
      if (self->detector != NULL)
        return TRUE;
      if (attempt == 50)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_usleep (20000);
    }
}

gboolean
ptl_stream_publisher_run (PtlStreamPublisher   *self,
                          GCancellable         *cancellable,
                          PtlPublisherCounters *counters,
                          GError              **error)
{
  const PtlPublisherParams *p = &self->params;
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) (p->seed ^ (p->seed >> 32)));
  g_autoptr (PtlPandaEncoder) encoder = ptl_panda_encoder_new (p->x_name, p->y_name,
                                                               p->chunk_size, p->swap_every);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *arm_time = g_date_time_format_iso8601 (now);
  guint next_position = 0;

  *counters = (PtlPublisherCounters) { 0 };
  if (!wait_until (g_get_monotonic_time () + (gint64) (p->wait_for_peer * G_USEC_PER_SEC),
                   cancellable, error))
    return FALSE;

  /* A PandA publishes whether anyone listens; the simulator waits for its subscriber as
   * the detector's PUSH waits for its reader, so that a client started just before or
   * after it still sees the scan's start. */
  while (self->positions != NULL && !ptl_zmq_sender_poll_subscriber (self->positions, 20))
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;

  ptl_panda_encoder_start (encoder, arm_time, messages);
  if (!send_panda (self, messages, counters, error))
    return FALSE;
  if (!send_detector (self, self->start, counters, error))
    return FALSE;

  gint64 t0 = g_get_monotonic_time ();
  for (guint k = 0; k < p->n_frames; k++)
    {
      double due_s = p->rate > 0 ? k / p->rate : 0.0;
      if (p->jitter_ms > 0)
        {
          /* Box–Muller: a Gaussian error of the requested rms. */
          double u = 1.0 - g_rand_double (rand), v = g_rand_double (rand);
          due_s += p->jitter_ms * 1e-3 * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
        }
      if (!wait_until (t0 + (gint64) (due_s * G_USEC_PER_SEC), cancellable, error))
        return FALSE;

      if ((gint64) k != p->drop_frame)
        {
          if (!send_detector (self, g_ptr_array_index (self->images, k), counters, error))
            return FALSE;
          counters->frames++;
        }
      if (k >= p->late_positions)
        add_positions (self, encoder, next_position++, messages, counters);
      if (!send_panda (self, messages, counters, error))
        return FALSE;
      if ((gint64) k == p->restart_at)
        {
          if (!restart_detector (self, error))
            return FALSE;
          counters->restarts++;
        }
    }

  while (next_position < p->n_frames)
    add_positions (self, encoder, next_position++, messages, counters);
  ptl_panda_encoder_stop (encoder, messages);
  if (!send_panda (self, messages, counters, error))
    return FALSE;
  return send_detector (self, self->end, counters, error);
}
