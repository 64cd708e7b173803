/* A detector stream client: a PULL socket connected to a DECTRIS detector (Stream V2 or
 * V1), decoded on the socket's own thread, with the rules across messages applied there
 * (reference/protocols.md §5.4 A–B). A message that breaks them (an image before its
 * start, a second start, an end without a start, an image of another series or of
 * another shape) is counted, logged and dropped; the stream goes on and nothing already
 * delivered is taken back. */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-types.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_DETECTOR_PROTOCOL_V2,
  PTL_DETECTOR_PROTOCOL_V1
} PtlDetectorProtocol;

/* Called on the client's thread for every event that passed the rules; the callee owns
 * `event` (free it with ptl_stream_event_free). Must not free the client. */
typedef void (*PtlDetectorEventFunc) (PtlStreamEvent *event,
                                      gpointer        user_data);

typedef struct
{
  guint64 messages;        /* ZMQ messages received (a V1 part sent alone is one) */
  guint64 bytes;           /* payload bytes received */
  guint64 series;          /* starts delivered */
  guint64 images;          /* images delivered */
  guint64 ends;            /* ends delivered */
  guint64 decode_errors;   /* messages (V1: parts) the decoder rejected */
  guint64 order_errors;    /* image before start, two starts, end without start, other series */
  guint64 mismatched;      /* images whose shape or element size differs from the series */
} PtlDetectorCounters;

typedef struct _PtlDetectorClient PtlDetectorClient;

/* Connects and starts the thread. `channel` picks the V2 data channel (NULL: the first);
 * V1 has one. Fails when the endpoint is not valid. */
PtlDetectorClient  *ptl_detector_client_new (const char          *endpoint,
                                             PtlDetectorProtocol  protocol,
                                             const char          *channel,
                                             PtlDetectorEventFunc func,
                                             gpointer             user_data,
                                             GError             **error);
/* Stops the thread promptly and closes the socket; no callback runs after it returns. */
void                ptl_detector_client_free (PtlDetectorClient *client);
/* Thread-safe. */
PtlDetectorCounters ptl_detector_client_counters (PtlDetectorClient *client);

gboolean            ptl_detector_protocol_from_string (const char          *text,
                                                       PtlDetectorProtocol *protocol,
                                                       GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlDetectorClient, ptl_detector_client_free)

G_END_DECLS
