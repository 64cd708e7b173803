/* Colormaps for the image views: lookup tables of 256 RGBA8 entries, the same tables on
 * the GPU (a 256×1 texture) and on the CPU (the view without GL), and the complex HSV
 * colouring (hue = phase, value = amplitude). No GTK here: the tables are unit-tested
 * without a display. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PTL_COLORMAP_GREY,
  PTL_COLORMAP_VIRIDIS,
  PTL_COLORMAP_CIVIDIS,
  PTL_COLORMAP_TWILIGHT, /* cyclic: the two ends meet, for phase */
  PTL_COLORMAP_N
} PtlColormap;

#define PTL_COLORMAP_SIZE 256

/* The table of `map`: PTL_COLORMAP_SIZE × RGBA8, alpha 255. Static, built on first use;
 * thread-safe. */
const guint8 *ptl_colormap_lut (PtlColormap map);
/* The continuous map at t ∈ [0, 1] (clamped), RGB in [0, 1]: the value the table rounds. */
void          ptl_colormap_sample (PtlColormap map,
                                   double      t,
                                   double      rgb[3]);
/* The table entry a normalised value t falls in: round (t · 255), clamped; NaN gives 0.
 * The fragment shader computes the same index. */
static inline guint
ptl_colormap_index (float t)
{
  if (!(t > 0.0f))
    return 0;
  if (t >= 1.0f)
    return PTL_COLORMAP_SIZE - 1;
  return (guint) (t * (PTL_COLORMAP_SIZE - 1) + 0.5f);
}

/* Stable names for settings and menus ("grey", "viridis", "cividis", "twilight"). */
const char   *ptl_colormap_to_string (PtlColormap map);
gboolean      ptl_colormap_from_string (const char  *name,
                                        PtlColormap *map);

/* HSV → RGB, h in turns (any real value, wrapped), s and v in [0, 1]. */
void          ptl_colormap_hsv_to_rgb (double h,
                                       double s,
                                       double v,
                                       double rgb[3]);
/* Complex colouring: hue = phase / 2π (phase 0 is red), full saturation, value = t
 * (the normalised amplitude, clamped to [0, 1]). */
void          ptl_colormap_complex_rgba (float  t,
                                         float  phase,
                                         guint8 rgba[4]);

G_END_DECLS
