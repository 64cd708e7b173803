#include "config.h"

#include "ptl-stream-types.h"

void
ptl_stream_event_free (PtlStreamEvent *event)
{
  if (event == NULL)
    return;
  ptl_series_info_free (event->series);
  ptl_image_info_free (event->image);
  g_free (event->series_id);
  g_free (event);
}

PtlStreamEvent *
ptl_stream_event_new_start (PtlSeriesInfo *series)
{
  PtlStreamEvent *event = g_new0 (PtlStreamEvent, 1);
  event->type = PTL_STREAM_EVENT_START;
  event->series = series;
  return event;
}

PtlStreamEvent *
ptl_stream_event_new_image (PtlImageInfo *image)
{
  PtlStreamEvent *event = g_new0 (PtlStreamEvent, 1);
  event->type = PTL_STREAM_EVENT_IMAGE;
  event->image = image;
  return event;
}

PtlStreamEvent *
ptl_stream_event_new_end (const char *series_id)
{
  PtlStreamEvent *event = g_new0 (PtlStreamEvent, 1);
  event->type = PTL_STREAM_EVENT_END;
  event->series_id = g_strdup (series_id);
  return event;
}
