/* What the image views compute on the CPU, without GTK, so that it is unit-tested without
 * a display: the planes a complex array is shown as (amplitude, phase with its ramp and
 * offset removed), the level window and its normalisation (linear or logarithmic), the
 * widget ↔ image transform of pan and zoom, the pixel readout, the scale-bar length, and
 * the coverage map of a scan. */
#pragma once

#include <glib.h>
#include <math.h>

#include "core/ptl-array.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_VIEW_AMPLITUDE,
  PTL_VIEW_PHASE,
  PTL_VIEW_COMPLEX /* hue = phase, value = amplitude */
} PtlViewComponent;

typedef enum
{
  PTL_PHASE_KEEP          = 0,
  PTL_PHASE_REMOVE_OFFSET = 1 << 0, /* the mean phase (amplitude-weighted) becomes 0 */
  PTL_PHASE_REMOVE_RAMP   = 1 << 1  /* the mean phase gradient becomes 0 */
} PtlPhaseCorrection;

void ptl_image_amplitude (const ptl_complex *data,
                          gsize              n,
                          float             *out);

/* A phase ramp φ = offset + ramp_row·row + ramp_col·col (radians, per pixel), estimated
 * from the amplitude-weighted mean of the products of neighbouring pixels, which is
 * immune to the 2π wraps of the phase. */
typedef struct
{
  double ramp_row;
  double ramp_col;
  double offset;
} PtlPhasePlane;

void ptl_image_phase_plane (const ptl_complex *data,
                            gsize              rows,
                            gsize              cols,
                            PtlPhaseCorrection correction,
                            PtlPhasePlane     *plane);
/* The phase in (−π, π] less `plane`. The GL views do the same per texel (image.frag.glsl)
 * on the complex data, with the plane computed here. */
void ptl_image_phase_less_plane (const ptl_complex   *data,
                                 gsize                rows,
                                 gsize                cols,
                                 const PtlPhasePlane *plane,
                                 float               *out);
/* The phase in (−π, π] after removing what `correction` asks for. */
void ptl_image_phase (const ptl_complex *data,
                      gsize              rows,
                      gsize              cols,
                      PtlPhaseCorrection correction,
                      float             *out);

/* The level window: values at or below `low` show as the first colour, at or above
 * `high` as the last. With `log_scale`, the normalisation is of log(1 + max(v, 0)), the
 * usual view of diffraction counts. */
typedef struct
{
  float    low;
  float    high;
  gboolean log_scale;
} PtlLevels;

static inline float
ptl_levels_normalise (const PtlLevels *levels,
                      float            v)
{
  float lo = levels->low, hi = levels->high;

  if (levels->log_scale)
    {
      v = log1pf (v > 0.0f ? v : 0.0f);
      lo = log1pf (lo > 0.0f ? lo : 0.0f);
      hi = log1pf (hi > 0.0f ? hi : 0.0f);
    }
  if (!(hi > lo))
    return v > lo ? 1.0f : 0.0f;
  return (v - lo) / (hi - lo);
}

/* Levels at the given percentiles (0…100) of the finite values; a plane with no finite
 * value gives 0…1, a flat one its value ± 0.5. At most `PTL_LEVELS_SAMPLES` values are
 * looked at (evenly spread), so a 2048² frame costs the same as a 256² one. */
#define PTL_LEVELS_SAMPLES 65536
void ptl_image_levels_auto (const float *plane,
                            gsize        n,
                            double       low_percent,
                            double       high_percent,
                            PtlLevels   *levels);

/* Pan and zoom: `zoom` widget pixels per image pixel; (centre_x, centre_y) is the image
 * point (columns, rows; pixel (0,0) covers [0,1)²) at the middle of the widget. */
typedef struct
{
  double zoom;
  double centre_x;
  double centre_y;
} PtlViewTransform;

#define PTL_VIEW_ZOOM_MIN (1.0 / 64.0)
#define PTL_VIEW_ZOOM_MAX 256.0

/* The whole image, as large as fits, centred. */
void ptl_view_transform_fit (PtlViewTransform *transform,
                             double            widget_width,
                             double            widget_height,
                             gsize             rows,
                             gsize             cols);
void ptl_view_transform_to_image (const PtlViewTransform *transform,
                                  double                  widget_width,
                                  double                  widget_height,
                                  double                  wx,
                                  double                  wy,
                                  double                 *ix,
                                  double                 *iy);
void ptl_view_transform_to_widget (const PtlViewTransform *transform,
                                   double                  widget_width,
                                   double                  widget_height,
                                   double                  ix,
                                   double                  iy,
                                   double                 *wx,
                                   double                 *wy);
/* Multiplies the zoom by `factor` (clamped) keeping the image point under (wx, wy)
 * where it is. */
void ptl_view_transform_zoom_at (PtlViewTransform *transform,
                                 double            widget_width,
                                 double            widget_height,
                                 double            wx,
                                 double            wy,
                                 double            factor);

/* The pixel under image point (ix, iy): its value and the point's position in µm from
 * the image's top-left corner. FALSE outside the image. */
gboolean ptl_image_readout (const float *plane,
                            gsize        rows,
                            gsize        cols,
                            double       pixel_size_m,
                            double       ix,
                            double       iy,
                            float       *value,
                            double      *x_um,
                            double      *y_um);

/* The longest length of the form {1, 2, 5}·10^k metres that is at most `max_widget_px`
 * long on screen, with its on-screen length; 0 when none is (pixel size unknown). */
double ptl_scale_bar_length (double  pixel_size_m,
                             double  zoom,
                             double  max_widget_px,
                             double *length_px);
/* "500 nm", "2 µm", "1 mm": the unit that keeps the number between 1 and 999. */
char  *ptl_format_length (double metres);

/* How many scan windows (window × window pixels, corners at `positions` [n][2] = (row,
 * col)) cover each pixel of a rows × cols canvas. Windows may lie partly outside. */
void ptl_image_coverage (const double *positions,
                         guint         n_positions,
                         guint         window,
                         gsize         rows,
                         gsize         cols,
                         float        *out);

G_END_DECLS
