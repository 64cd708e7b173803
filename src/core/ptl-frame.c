#include "config.h"

#include "ptl-frame.h"

void
ptl_series_info_free (PtlSeriesInfo *series)
{
  if (series == NULL)
    return;
  g_free (series->series_id);
  g_free (series->series_unique_id);
  g_free (series->pixel_mask);
  g_free (series->user_data);
  g_clear_pointer (&series->raw_header, g_bytes_unref);
  g_free (series);
}

void
ptl_image_info_free (PtlImageInfo *image)
{
  if (image == NULL)
    return;
  g_free (image->series_id);
  g_clear_pointer (&image->data, g_bytes_unref);
  g_free (image);
}
