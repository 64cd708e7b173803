#include "config.h"

#include "ptl-scan-data.h"

#include <math.h>

#include "ptl-error.h"

#define MAX_FRAMES 10000000u

PtlScanData *
ptl_scan_data_new (const PtlGeometry    *geometry,
                   const PtlAxisMapping *mapping,
                   guint                 n_frames,
                   GError              **error)
{
  if (!ptl_geometry_validate (geometry, error) || !ptl_axis_mapping_validate (mapping, error))
    return NULL;
  if (n_frames == 0 || n_frames > MAX_FRAMES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "A scan has 1 to %u frames (got %u)", MAX_FRAMES, n_frames);
      return NULL;
    }

  gsize m = geometry->frame_size;
  gsize shape[] = { n_frames, m, m };
  PtlArray *intensity = ptl_array_try_new (PTL_DTYPE_FLOAT, 3, shape, error);
  if (intensity == NULL)
    return NULL;

  PtlScanData *scan = g_new0 (PtlScanData, 1);
  scan->geometry = *geometry;
  scan->mapping = *mapping;
  scan->n_frames = n_frames;
  scan->intensity = intensity;
  scan->positions = g_new0 (double, 2 * (gsize) n_frames);
  scan->translation = g_new0 (double, 2 * (gsize) n_frames);
  return scan;
}

void
ptl_scan_data_free (PtlScanData *scan)
{
  if (scan == NULL)
    return;
  ptl_array_free (scan->intensity);
  g_free (scan->mask);
  g_free (scan->positions);
  g_free (scan->translation);
  g_free (scan);
}

/* Derives the canvas positions from the stage translations: map through the axis mapping,
 * shift so that the smallest window corner sits at `margin`, and size the canvas so every
 * window fits with the same margin on the far side. */
void
ptl_scan_data_place_on_canvas (PtlScanData *scan,
                               guint        margin)
{
  double dx = ptl_geometry_pixel_size (&scan->geometry);
  double min_row = INFINITY, min_col = INFINITY, max_row = -INFINITY, max_col = -INFINITY;

  for (guint i = 0; i < scan->n_frames; i++)
    {
      double row, col;
      ptl_axis_mapping_to_pixels (&scan->mapping, dx, scan->translation[2 * i],
                                  scan->translation[2 * i + 1], &row, &col);
      scan->positions[2 * i] = row;
      scan->positions[2 * i + 1] = col;
      min_row = MIN (min_row, row);
      min_col = MIN (min_col, col);
      max_row = MAX (max_row, row);
      max_col = MAX (max_col, col);
    }
  for (guint i = 0; i < scan->n_frames; i++)
    {
      scan->positions[2 * i] += margin - min_row;
      scan->positions[2 * i + 1] += margin - min_col;
    }
  scan->canvas_rows = (guint) ceil (max_row - min_row) + 2 * margin + scan->geometry.frame_size + 1;
  scan->canvas_cols = (guint) ceil (max_col - min_col) + 2 * margin + scan->geometry.frame_size + 1;
}

gboolean
ptl_scan_data_validate (const PtlScanData *scan,
                        GError           **error)
{
  guint m = scan->geometry.frame_size;

  if (scan->canvas_rows < m || scan->canvas_cols < m)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "Object canvas %u×%u is smaller than the %u×%u frame",
                   scan->canvas_rows, scan->canvas_cols, m, m);
      return FALSE;
    }
  for (guint i = 0; i < scan->n_frames; i++)
    {
      double row = scan->positions[2 * i], col = scan->positions[2 * i + 1];
      if (!(row >= 0 && col >= 0 && row + m <= scan->canvas_rows && col + m <= scan->canvas_cols))
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "Frame %u at (%.1f, %.1f) px lies outside the %u×%u object canvas",
                       i, row, col, scan->canvas_rows, scan->canvas_cols);
          return FALSE;
        }
    }
  return TRUE;
}
