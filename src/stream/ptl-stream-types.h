/* The events a detector stream client delivers: a series start, an image, a series end,
 * each carrying the frame types of core/ptl-frame.h. */
#pragma once

#include <glib.h>

#include "core/ptl-frame.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_STREAM_EVENT_START,
  PTL_STREAM_EVENT_IMAGE,
  PTL_STREAM_EVENT_END
} PtlStreamEventType;

typedef struct
{
  PtlStreamEventType type;
  PtlSeriesInfo     *series; /* START */
  PtlImageInfo      *image;  /* IMAGE */
  char              *series_id; /* END */
} PtlStreamEvent;

void            ptl_stream_event_free (PtlStreamEvent *event);
PtlStreamEvent *ptl_stream_event_new_start (PtlSeriesInfo *series);
PtlStreamEvent *ptl_stream_event_new_image (PtlImageInfo *image);
PtlStreamEvent *ptl_stream_event_new_end (const char *series_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlStreamEvent, ptl_stream_event_free)

G_END_DECLS
