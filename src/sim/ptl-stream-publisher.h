/* A simulated scan published as a beamline publishes it: the detector's images on a PUSH
 * socket (DECTRIS Stream V2 or V1, raw, LZ4 or bitshuffle+LZ4) and the stage positions as
 * PandA JSON on a PUB socket, with the faults a live client must survive (send-time
 * jitter, a dropped image, late positions, reordered PandA chunks, a detector restart).
 *
 * Every message is encoded when the publisher is made, so that the send rate measures
 * the transport and not the encoder. Image id i goes with position index i: the PandA
 * samples start at 0, `samples_per_frame` of them per image, each the stage translation
 * of that image in stage units (metres / stage_scale). */
#pragma once

#include <gio/gio.h>

#include "stream/ptl-stream-types.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_PUBLISHER_V2, /* DECTRIS SIMPLON Stream V2 (CBOR) */
  PTL_PUBLISHER_V1  /* DECTRIS SIMPLON Stream V1 (JSON parts + blobs) */
} PtlPublisherProtocol;

typedef struct
{
  const char          *detector_endpoint;  /* bound, PUSH; a wildcard port is resolved */
  const char          *positions_endpoint; /* bound, PUB; NULL: no positions */
  PtlPublisherProtocol protocol;
  PtlEncoding          encoding;
  const char          *channel;            /* V2 data channel; NULL: the default */
  gboolean             raw;                /* uint16 sCMOS frames, else uint32 photon counts */
  guint                n_frames;
  guint                frame_size;         /* image side: the pattern, or the raw frame */
  guint                raw_margin;         /* raw frames: pixels added on every side of the
                                            * pattern's frame_size footprint, so that the
                                            * crop can move on the detector; 0: none */
  guint64              seed;
  const char          *series_id;
  double               rate;               /* images/s; 0 = as fast as the peer reads */
  double               wait_for_peer;      /* seconds before the first message */
  guint                samples_per_frame;  /* PandA samples per image, ≥ 1 */
  guint                chunk_size;         /* PandA samples per data message, ≥ 1 */
  double               stage_scale;        /* metres per stage unit */
  const char          *x_name;             /* PandA dataset names */
  const char          *y_name;
  const char          *from_file;          /* a recording (ours, or another program's CXI
                                            * file) published instead of a simulation: its
                                            * frames with positions and its metadata; raw,
                                            * n_frames, frame_size and seed are not used */
  /* Faults. */
  double               jitter_ms;          /* rms of the send-time error */
  gint64               drop_frame;         /* image never sent (its position is); -1 = none */
  guint                late_positions;     /* positions of image i go out after image i + k */
  guint                swap_every;         /* every n-th PandA data message swapped; 0 = none */
  gint64               restart_at;         /* detector socket closed and re-bound after this
                                            * image (what is queued is sent first); -1 = none */
} PtlPublisherParams;

typedef struct
{
  guint64 frames;         /* images sent */
  guint64 positions;      /* images whose PandA samples were sent */
  guint64 panda_messages; /* start, data and stop */
  guint64 bytes;          /* detector and PandA bytes together */
  guint64 restarts;
} PtlPublisherCounters;

typedef struct _PtlStreamPublisher PtlStreamPublisher;

void ptl_publisher_params_init (PtlPublisherParams *params);
gboolean ptl_publisher_protocol_from_string (const char           *text,
                                             PtlPublisherProtocol *protocol,
                                             GError              **error);
gboolean ptl_encoding_from_string (const char  *text,
                                   PtlEncoding *encoding,
                                   GError     **error);

/* Simulates the scan (or reads the recording), encodes every message and binds both
 * sockets. */
PtlStreamPublisher *ptl_stream_publisher_new (const PtlPublisherParams *params,
                                              GError                  **error);
void                ptl_stream_publisher_free (PtlStreamPublisher *publisher);

const char *ptl_stream_publisher_detector_endpoint (PtlStreamPublisher *publisher);
/* Images in the series: the simulation's, or the recording's frames that have a position. */
guint       ptl_stream_publisher_n_frames (PtlStreamPublisher *publisher);
/* NULL when there is no position stream. */
const char *ptl_stream_publisher_positions_endpoint (PtlStreamPublisher *publisher);
/* Image k's pixels as encoded ([rows][cols] little-endian elements), for comparisons. */
const void *ptl_stream_publisher_frame (PtlStreamPublisher *publisher,
                                        guint               k,
                                        guint              *rows,
                                        guint              *cols,
                                        guint              *element_size);
/* The stage translations of the scan, [n][2] (x, y) in metres. */
const double *ptl_stream_publisher_translations (PtlStreamPublisher *publisher);

/* Sends start, the images with their positions, end. Blocks until the position stream
 * has a subscriber, and while the detector's peer does not read (PUSH); the cancellable
 * is checked between messages. */
gboolean ptl_stream_publisher_run (PtlStreamPublisher   *publisher,
                                   GCancellable         *cancellable,
                                   PtlPublisherCounters *counters,
                                   GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlStreamPublisher, ptl_stream_publisher_free)

G_END_DECLS
