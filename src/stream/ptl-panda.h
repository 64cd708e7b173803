/* PandA positions as PandABlocks-ioc publishes them on ZMQ: one JSON object per message
 * (reference/protocols.md §2.4, §5.4 C).
 *
 *   {"msg_type": "start", "arm_time": "2026-…" | null, "start_time": …, "hw_time_offset_ns": …}
 *   {"msg_type": "data", "frame_number": 0,
 *    "datasets": {"/INENC1.VAL.Mean": {"dtype": "float64", "size": 3,
 *                                      "starting_sample_number": 0, "data": [1.0, 2.0, 3.0]},
 *                 …}}
 *   {"msg_type": "stop", "emitted_frames": 1}
 *
 * The decoder takes the x and y datasets (named with or without the leading "/"), averages
 * every `samples_per_frame` consecutive samples into one position (sample k belongs to
 * position k / samples_per_frame, the detector's image id) and scales stage units to
 * metres. Data messages may arrive out of order: they are held back, up to
 * `reorder_window` of them, so that positions leave strictly in index order.
 *
 * A message that cannot be used (not JSON, a missing or mistyped field, x and y of
 * different lengths, data outside start…stop) fails with PTL_IO_ERROR_FORMAT, is counted
 * and changes nothing. A sample whose x or y is null, non-finite or not a number is
 * dropped and counted; a position averages the samples of its frame that remain. JSON has
 * no NaN: the bare NaN that Python writes by default makes the whole message fail. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A sample position, in metres, before the axis mapping (swap, signs) of the geometry. */
typedef struct
{
  guint64 index;       /* sample index / samples_per_frame: the image id it belongs to */
  double  x;
  double  y;
  gint64  received_us; /* when the message that completed it was pushed */
} PtlStagePosition;

typedef struct
{
  const char *x_name;            /* dataset names, e.g. "FMC_IN.VAL1.Mean" */
  const char *y_name;
  guint       samples_per_frame; /* ≥ 1 */
  double      scale;             /* metres per stage unit, finite and nonzero */
  guint       reorder_window;    /* data messages held back at most; 0 = no reordering */
} PtlPandaConfig;

typedef enum
{
  PTL_PANDA_MSG_START,
  PTL_PANDA_MSG_DATA,
  PTL_PANDA_MSG_STOP
} PtlPandaMsgType;

typedef struct
{
  guint64  messages;         /* every message pushed, good or bad */
  guint64  bad_messages;     /* rejected whole */
  guint64  acquisitions;     /* start messages */
  gboolean running;          /* between start and stop */
  guint64  chunks;           /* data messages accepted */
  guint64  reordered_chunks; /* arrived after a later one (by frame_number, else sample) */
  guint64  samples;          /* samples used */
  guint64  bad_samples;      /* null, non-finite or not a number: dropped */
  guint64  late_samples;     /* at an index already passed (duplicates, too late): dropped */
  guint64  gap_samples;      /* never arrived, given up when the window overflowed or at stop */
  guint64  positions;        /* positions emitted */
  guint64  emitted_frames;   /* data messages the last stop announced */
  guint64  lost_chunks;      /* announced by stop but never accepted */
} PtlPandaCounters;

typedef struct _PtlPandaDecoder PtlPandaDecoder;

/* Copies the configuration; fails with PTL_PARAM_ERROR_INVALID or _RANGE. */
PtlPandaDecoder *ptl_panda_decoder_new (const PtlPandaConfig *config,
                                        GError              **error);
void             ptl_panda_decoder_free (PtlPandaDecoder *decoder);

/* Decodes one message and appends the positions it completes to `positions` (an array of
 * PtlStagePosition). A start or stop first flushes what is held back: stop ends the
 * acquisition, start begins a new one (a start without a stop ends the previous one as
 * a stop would). `type`, when not NULL, receives the message type on success. */
gboolean ptl_panda_decoder_push (PtlPandaDecoder *decoder,
                                 GBytes          *message,
                                 gint64           now_us,
                                 PtlPandaMsgType *type,
                                 GArray          *positions,
                                 GError         **error);

PtlPandaCounters ptl_panda_decoder_counters (PtlPandaDecoder *decoder);
/* The last start's arm_time (ISO 8601), NULL when it sent none. */
const char      *ptl_panda_decoder_get_arm_time (PtlPandaDecoder *decoder);

/* Encoders, for the publisher. The messages are JSON text, as PandABlocks-ioc sends them
 * (float64 datasets); non-finite values are written as null. `arm_time` may be NULL. */
char *ptl_panda_encode_start (const char *arm_time);
char *ptl_panda_encode_data (const char   *x_name,
                             const char   *y_name,
                             guint64       frame_number,
                             guint64       starting_sample,
                             const double *x,
                             const double *y,
                             gsize         n_samples);
char *ptl_panda_encode_stop (guint64 emitted_frames);

/* Cuts a stream of samples into data messages of `chunk_size` samples. With `swap_every`
 * = n > 0, every n-th message is sent after the one that follows it, as a network that
 * reorders would (fault injection; n = 1 swaps every pair). Messages are appended to
 * `messages` (char *, to be freed with g_free) as they become ready. */
typedef struct _PtlPandaEncoder PtlPandaEncoder;

PtlPandaEncoder *ptl_panda_encoder_new (const char *x_name,
                                        const char *y_name,
                                        guint       chunk_size,
                                        guint       swap_every);
void             ptl_panda_encoder_free (PtlPandaEncoder *encoder);
void             ptl_panda_encoder_start (PtlPandaEncoder *encoder,
                                          const char      *arm_time,
                                          GPtrArray       *messages);
void             ptl_panda_encoder_add (PtlPandaEncoder *encoder,
                                        double           x,
                                        double           y,
                                        GPtrArray       *messages);
/* Sends the partial chunk, any message held back, then stop. */
void             ptl_panda_encoder_stop (PtlPandaEncoder *encoder,
                                         GPtrArray       *messages);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPandaDecoder, ptl_panda_decoder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPandaEncoder, ptl_panda_encoder_free)

G_END_DECLS
