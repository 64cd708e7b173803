/* Internals shared by the stream publisher's files: ptl-stream-publisher.c (parameters,
 * making and freeing it), ptl-stream-publisher-messages.c (the scan and every message,
 * made before the first is sent) and ptl-stream-publisher-send.c (sending them). */
#pragma once

#include <glib.h>

#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-zmq.h"

G_BEGIN_DECLS

/* Raw frames: each pattern pixel spread over bin×bin detector pixels. */
#define PTL_PUBLISHER_RAW_BIN 2

struct _PtlStreamPublisher
{
  PtlPublisherParams params;  /* strings owned below */
  char              *channel;
  char              *series_id;
  char              *x_name;
  char              *y_name;
  char              *from_file;
  PtlSeriesInfo     *file_series; /* the recording's metadata, or NULL */
  guint              rows;
  guint              cols;
  guint              element_size;
  GPtrArray         *pixels;   /* GBytes per image */
  double            *translation; /* [n][2] metres */
  GPtrArray         *start;    /* parts of each message, GBytes */
  GPtrArray         *images;   /* GPtrArray of parts per image */
  GPtrArray         *end;
  PtlZmqSender      *detector;
  PtlZmqSender      *positions;
  char              *detector_endpoint;
};

/* A message of one part, which the array now owns. */
GPtrArray *_ptl_stream_publisher_one_part (GBytes *message);
/* The pixels and translations of every image, simulated or read from params.from_file,
 * then the start, image and end messages encoded from them. */
gboolean   _ptl_stream_publisher_make_messages (PtlStreamPublisher *self,
                                                GError            **error);

G_END_DECLS
