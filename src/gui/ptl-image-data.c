/* The numbers behind the image views (see ptl-image-data.h). */
#include "config.h"

#include "gui/ptl-image-data.h"

#include <math.h>
#include <stdlib.h>

void
ptl_image_amplitude (const ptl_complex *data,
                     gsize              n,
                     float             *out)
{
  for (gsize i = 0; i < n; i++)
    out[i] = cabsf (data[i]);
}

void
ptl_image_phase_plane (const ptl_complex *data,
                       gsize              rows,
                       gsize              cols,
                       PtlPhaseCorrection correction,
                       PtlPhasePlane     *plane)
{
  *plane = (PtlPhasePlane) { 0 };

  if (correction & PTL_PHASE_REMOVE_RAMP)
    {
      double _Complex along_cols = 0, along_rows = 0;

      for (gsize r = 0; r < rows; r++)
        for (gsize c = 0; c < cols; c++)
          {
            double _Complex z = data[r * cols + c];

            if (c + 1 < cols)
              along_cols += data[r * cols + c + 1] * conj (z);
            if (r + 1 < rows)
              along_rows += data[(r + 1) * cols + c] * conj (z);
          }
      plane->ramp_col = cabs (along_cols) > 0 ? carg (along_cols) : 0.0;
      plane->ramp_row = cabs (along_rows) > 0 ? carg (along_rows) : 0.0;
    }

  if (correction & PTL_PHASE_REMOVE_OFFSET)
    {
      double _Complex sum = 0;

      for (gsize r = 0; r < rows; r++)
        for (gsize c = 0; c < cols; c++)
          sum += data[r * cols + c]
                 * cexp (-I * (plane->ramp_row * r + plane->ramp_col * c));
      plane->offset = cabs (sum) > 0 ? carg (sum) : 0.0;
    }
}

void
ptl_image_phase_less_plane (const ptl_complex   *data,
                            gsize                rows,
                            gsize                cols,
                            const PtlPhasePlane *plane,
                            float               *out)
{
  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        double phi = carg ((double _Complex) data[r * cols + c]) - plane->offset
                     - plane->ramp_row * r - plane->ramp_col * c;

        out[r * cols + c] = (float) remainder (phi, 2.0 * G_PI);
      }
}

void
ptl_image_phase (const ptl_complex *data,
                 gsize              rows,
                 gsize              cols,
                 PtlPhaseCorrection correction,
                 float             *out)
{
  PtlPhasePlane plane;

  ptl_image_phase_plane (data, rows, cols, correction, &plane);
  ptl_image_phase_less_plane (data, rows, cols, &plane, out);
}

static int
compare_floats (const void *a,
                const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

static float
percentile (const float *sorted,
            gsize        n,
            double       percent)
{
  double pos = CLAMP (percent, 0.0, 100.0) / 100.0 * (n - 1);
  gsize  i = (gsize) floor (pos);
  double f = pos - i;

  if (i + 1 >= n)
    return sorted[n - 1];
  return (float) (sorted[i] + f * (sorted[i + 1] - sorted[i]));
}

void
ptl_image_levels_auto (const float *plane,
                       gsize        n,
                       double       low_percent,
                       double       high_percent,
                       PtlLevels   *levels)
{
  gsize  stride = MAX (1, (n + PTL_LEVELS_SAMPLES - 1) / PTL_LEVELS_SAMPLES);
  gsize  count = 0;
  float *values = g_new (float, MIN (n, PTL_LEVELS_SAMPLES) + 1);

  for (gsize i = 0; i < n; i += stride)
    if (isfinite (plane[i]))
      values[count++] = plane[i];

  if (count == 0)
    {
      levels->low = 0.0f;
      levels->high = 1.0f;
    }
  else
    {
      qsort (values, count, sizeof *values, compare_floats);
      levels->low = percentile (values, count, low_percent);
      levels->high = percentile (values, count, high_percent);
      if (!(levels->high > levels->low))
        {
          float mid = levels->low;

          levels->low = mid - 0.5f;
          levels->high = mid + 0.5f;
        }
    }
  g_free (values);
}

void
ptl_view_transform_fit (PtlViewTransform *transform,
                        double            widget_width,
                        double            widget_height,
                        gsize             rows,
                        gsize             cols)
{
  double zoom = 1.0;

  if (rows > 0 && cols > 0 && widget_width > 0 && widget_height > 0)
    zoom = MIN (widget_width / cols, widget_height / rows);
  transform->zoom = CLAMP (zoom, PTL_VIEW_ZOOM_MIN, PTL_VIEW_ZOOM_MAX);
  transform->centre_x = cols / 2.0;
  transform->centre_y = rows / 2.0;
}

void
ptl_view_transform_to_image (const PtlViewTransform *transform,
                             double                  widget_width,
                             double                  widget_height,
                             double                  wx,
                             double                  wy,
                             double                 *ix,
                             double                 *iy)
{
  *ix = transform->centre_x + (wx - widget_width / 2.0) / transform->zoom;
  *iy = transform->centre_y + (wy - widget_height / 2.0) / transform->zoom;
}

void
ptl_view_transform_to_widget (const PtlViewTransform *transform,
                              double                  widget_width,
                              double                  widget_height,
                              double                  ix,
                              double                  iy,
                              double                 *wx,
                              double                 *wy)
{
  *wx = widget_width / 2.0 + (ix - transform->centre_x) * transform->zoom;
  *wy = widget_height / 2.0 + (iy - transform->centre_y) * transform->zoom;
}

void
ptl_view_transform_zoom_at (PtlViewTransform *transform,
                            double            widget_width,
                            double            widget_height,
                            double            wx,
                            double            wy,
                            double            factor)
{
  double ix, iy;

  ptl_view_transform_to_image (transform, widget_width, widget_height, wx, wy, &ix, &iy);
  transform->zoom = CLAMP (transform->zoom * factor, PTL_VIEW_ZOOM_MIN, PTL_VIEW_ZOOM_MAX);
  /* Solve wx = W/2 + (ix − centre)·zoom for the centre. */
  transform->centre_x = ix - (wx - widget_width / 2.0) / transform->zoom;
  transform->centre_y = iy - (wy - widget_height / 2.0) / transform->zoom;
}

gboolean
ptl_image_readout (const float *plane,
                   gsize        rows,
                   gsize        cols,
                   double       pixel_size_m,
                   double       ix,
                   double       iy,
                   float       *value,
                   double      *x_um,
                   double      *y_um)
{
  if (plane == NULL || !(ix >= 0.0 && iy >= 0.0 && ix < cols && iy < rows))
    return FALSE;

  *value = plane[(gsize) iy * cols + (gsize) ix];
  *x_um = ix * pixel_size_m * 1e6;
  *y_um = iy * pixel_size_m * 1e6;
  return TRUE;
}

double
ptl_scale_bar_length (double  pixel_size_m,
                      double  zoom,
                      double  max_widget_px,
                      double *length_px)
{
  static const double steps[] = { 5.0, 2.0, 1.0 };
  double max_m = max_widget_px / zoom * pixel_size_m;

  *length_px = 0.0;
  if (!(pixel_size_m > 0.0 && zoom > 0.0 && max_m > 0.0) || !isfinite (max_m))
    return 0.0;

  double decade = pow (10.0, floor (log10 (max_m)));

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      /* The tolerance keeps 10^k itself when rounding put max_m a hair below it. */
      if (steps[i] * decade <= max_m * (1.0 + 1e-9))
        {
          double length = steps[i] * decade;

          *length_px = length / pixel_size_m * zoom;
          return length;
        }
    }
  g_assert_not_reached ();
}

char *
ptl_format_length (double metres)
{
  static const struct { double scale; const char *unit; } units[] = {
    { 1e-9, "nm" }, { 1e-6, "µm" }, { 1e-3, "mm" }, { 1.0, "m" },
  };
  guint u = 0;

  while (u + 1 < G_N_ELEMENTS (units) && fabs (metres) >= units[u + 1].scale * (1 - 1e-9))
    u++;
  return g_strdup_printf ("%.3g %s", metres / units[u].scale, units[u].unit);
}

void
ptl_image_coverage (const double *positions,
                    guint         n_positions,
                    guint         window,
                    gsize         rows,
                    gsize         cols,
                    float        *out)
{
  /* Each window adds +1 at its corners in a (rows+1)×(cols+1) difference table; a 2-D
   * running sum turns that into counts: O(n + rows·cols) however large the windows. */
  gsize  stride = cols + 1;
  gint32 *diff = g_new0 (gint32, (rows + 1) * stride);

  for (guint i = 0; i < n_positions; i++)
    {
      double r = round (positions[2 * i]), c = round (positions[2 * i + 1]);
      gssize r0 = (gssize) CLAMP (r, 0.0, (double) rows);
      gssize c0 = (gssize) CLAMP (c, 0.0, (double) cols);
      gssize r1 = (gssize) CLAMP (r + window, 0.0, (double) rows);
      gssize c1 = (gssize) CLAMP (c + window, 0.0, (double) cols);

      if (!isfinite (r) || !isfinite (c) || r1 <= r0 || c1 <= c0)
        continue;
      diff[r0 * stride + c0] += 1;
      diff[r0 * stride + c1] -= 1;
      diff[r1 * stride + c0] -= 1;
      diff[r1 * stride + c1] += 1;
    }

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        gint32 v = diff[r * stride + c];

        if (r > 0)
          v += diff[(r - 1) * stride + c];
        if (c > 0)
          v += diff[r * stride + c - 1];
        if (r > 0 && c > 0)
          v -= diff[(r - 1) * stride + c - 1];
        diff[r * stride + c] = v;
        out[r * cols + c] = (float) v;
      }
  g_free (diff);
}
