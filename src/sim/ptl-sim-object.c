#include "config.h"

#include "ptl-sim.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>

#include "core/ptl-error.h"
#include "ptl-sim-private.h"

#define AMPLITUDE_MIN 0.4

/* Feature cell of the built-in object. Feature sizes are set in pixels (a resolution test
 * is about pixels), so larger canvases get more cells rather than larger features; at
 * 64 px every probe-sized region meets at least one whole feature. */
#define TILE 64

/* Share of the sharp features against the smooth variation in each of amplitude and phase. */
#define FEATURE_WEIGHT 0.75

/* The central Siemens star, drawn only on canvases large enough to hold it beside the
 * cells, scales with the canvas: the one feature that spans many probe positions. */
#define CENTRAL_STAR_FRACTION 0.15
#define CENTRAL_STAR_SPOKES 48

static const char text[] = "PTYCHO LIVE 0123456789 ";
static const guint line_pair_periods[] = { 2, 3, 4, 6, 8 };

typedef enum
{
  FEATURE_STAR,
  FEATURE_LINE_PAIRS,
  FEATURE_TEXT_SMALL,
  FEATURE_TEXT_MEDIUM,
  FEATURE_TEXT_LARGE,
  N_FEATURES
} Feature;

/* Integer hash (a lowbias32 finaliser) that gives each cell its own feature and levels, so
 * that the object has no period for a raster scan to lock onto. */
static guint32
cell_hash (guint32 a,
           guint32 b,
           guint32 layer)
{
  guint32 h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u ^ layer * 0xC2B2AE3Du;

  h ^= h >> 16;
  h *= 0x7FEB352Du;
  h ^= h >> 15;
  h *= 0x846CA68Bu;
  h ^= h >> 16;
  return h;
}

static double
siemens_star (double dy,
              double dx,
              double radius,
              guint  spokes,
              double rotation)
{
  double r = hypot (dy, dx);

  if (r > radius)
    return 0.0;
  /* A solid hub where the spokes would be narrower than a pixel. */
  if (r < spokes * 0.5 / G_PI)
    return 1.0;
  return sin (spokes * (atan2 (dy, dx) + rotation)) > 0.0 ? 1.0 : 0.0;
}

/* Four quadrants of bars, each with its own period and orientation. */
static double
line_pairs (guint   u,
            guint   v,
            guint32 hash)
{
  guint quadrant = (u >= TILE / 2) * 2 + (v >= TILE / 2);
  guint period = line_pair_periods[(hash + quadrant) % G_N_ELEMENTS (line_pair_periods)];
  gboolean horizontal = ((hash >> 4) + quadrant) % 2 == 0;
  guint coord = horizontal ? u : v;

  return 2 * (coord % period) < period ? 1.0 : 0.0;
}

/* The cell filled with lines of text at `scale` pixels per font pixel: a 6×9 cell per
 * character leaves one column and two rows of spacing. */
static double
text_block (guint   u,
            guint   v,
            guint   scale,
            guint32 hash)
{
  guint line = u / (9 * scale), column = v / (6 * scale);
  guint glyph_row = (u % (9 * scale)) / scale, glyph_col = (v % (6 * scale)) / scale;
  char c = text[(hash + 7 * line + column) % (sizeof text - 1)];

  if (glyph_row < 1)
    return 0.0;
  return _ptl_sim_font_pixel (c, glyph_row - 1, glyph_col) ? 1.0 : 0.0;
}

/* Sharp features in [0, 1] for one layer (0: amplitude, 1: phase). The phase layer's cells
 * are offset by half a cell and hashed apart, so amplitude and phase edges differ. */
static double
feature_layer (guint y,
               guint x,
               guint rows,
               guint cols,
               guint layer)
{
  double star_radius = CENTRAL_STAR_FRACTION * MIN (rows, cols);

  if (star_radius >= TILE)
    {
      double dy = y - 0.5 * rows, dx = x - 0.5 * cols;
      if (hypot (dy, dx) <= star_radius)
        return siemens_star (dy, dx, star_radius, CENTRAL_STAR_SPOKES,
                             layer * G_PI / CENTRAL_STAR_SPOKES);
    }

  guint offset = layer * TILE / 2;
  guint u = (y + offset) % TILE, v = (x + offset) % TILE;
  guint32 hash = cell_hash ((y + offset) / TILE, (x + offset) / TILE, layer);
  double background = 0.3 * ((hash >> 8) & 0xFF) / 255.0;
  double foreground = 0.7 + 0.3 * ((hash >> 16) & 0xFF) / 255.0;
  double f = 0.0;

  switch ((Feature) (hash % N_FEATURES))
    {
    case FEATURE_STAR:
      f = siemens_star (u - 0.5 * TILE, v - 0.5 * TILE, 0.48 * TILE,
                        12 + 4 * ((hash >> 24) % 4), 0.0);
      break;
    case FEATURE_LINE_PAIRS:
      f = line_pairs (u, v, hash >> 12);
      break;
    case FEATURE_TEXT_SMALL:
      f = text_block (u, v, 1, hash >> 12);
      break;
    case FEATURE_TEXT_MEDIUM:
      f = text_block (u, v, 2, hash >> 12);
      break;
    case FEATURE_TEXT_LARGE:
      f = text_block (u, v, 3, hash >> 12);
      break;
    default:
      g_assert_not_reached ();
    }
  return background + f * (foreground - background);
}

/* Smooth variation in [0, 1] with periods unrelated to the cells and to each other. */
static double
smooth_layer (guint y,
              guint x,
              guint layer)
{
  static const double periods[2][3] = { { 187.0, 149.0, 263.0 }, { 211.0, 173.0, 229.0 } };
  const double *p = periods[layer];

  return 0.5 + 0.25 * sin (2.0 * G_PI * x / p[0] + 0.3) * cos (2.0 * G_PI * y / p[1] + 1.1 * layer)
         + 0.25 * sin (2.0 * G_PI * (0.6 * x + 0.8 * y) / p[2] + 2.0 * layer);
}

static ptl_complex
polar (double amplitude,
       double phase)
{
  return (float) (amplitude * cos (phase)) + I * (float) (amplitude * sin (phase));
}

static gboolean
check_object_size (guint    rows,
                   guint    cols,
                   double   max_phase,
                   GError **error)
{
  if (rows == 0 || cols == 0 || rows > G_MAXINT || cols > G_MAXINT)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Object size %u×%u is not a usable image size", rows, cols);
      return FALSE;
    }
  if (!(max_phase >= 0.0 && isfinite (max_phase)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Object phase range must be zero or positive (got %g rad)", max_phase);
      return FALSE;
    }
  return TRUE;
}

PtlArray *
ptl_sim_test_object (guint   rows,
                     guint   cols,
                     double  max_phase,
                     GError **error)
{
  if (!check_object_size (rows, cols, max_phase, error))
    return NULL;

  gsize shape[] = { rows, cols };
  PtlArray *object = ptl_array_try_new (PTL_DTYPE_COMPLEX, 2, shape, error);
  if (object == NULL)
    return NULL;

  ptl_complex *o = ptl_array_complex (object);
  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x < cols; x++)
      {
        double a = FEATURE_WEIGHT * feature_layer (y, x, rows, cols, 0)
                   + (1.0 - FEATURE_WEIGHT) * smooth_layer (y, x, 0);
        double p = FEATURE_WEIGHT * feature_layer (y, x, rows, cols, 1)
                   + (1.0 - FEATURE_WEIGHT) * smooth_layer (y, x, 1);
        double amplitude = 1.0 - (1.0 - AMPLITUDE_MIN) * a;
        double phase = max_phase * p;
        o[(gsize) y * cols + x] = polar (amplitude, phase);
      }
  return object;
}

/* Dark means thick: a dark pixel absorbs (amplitude 0.4) and delays the phase most
 * (max_phase); white, or transparent, is empty (amplitude 1, phase 0). */
PtlArray *
ptl_sim_object_from_image (const char *path,
                           guint       rows,
                           guint       cols,
                           double      max_phase,
                           GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;

  if (!check_object_size (rows, cols, max_phase, error))
    return NULL;

  gsize shape[] = { rows, cols };
  g_autoptr (PtlArray) object = ptl_array_try_new (PTL_DTYPE_COMPLEX, 2, shape, error);
  if (object == NULL)
    return NULL;

  pixbuf = gdk_pixbuf_new_from_file_at_scale (path, (int) cols, (int) rows, FALSE, &local_error);
  if (pixbuf == NULL)
    {
      g_autofree char *name = g_filename_display_name (path);
      g_set_error (error, PTL_IO_ERROR,
                   local_error->domain == G_FILE_ERROR ? PTL_IO_ERROR_OPEN : PTL_IO_ERROR_FORMAT,
                   "Cannot read the object image “%s”: %s", name, local_error->message);
      return NULL;
    }
  /* Some loaders ignore the requested size. */
  if ((guint) gdk_pixbuf_get_width (pixbuf) != cols
      || (guint) gdk_pixbuf_get_height (pixbuf) != rows)
    {
      GdkPixbuf *scaled = gdk_pixbuf_scale_simple (pixbuf, (int) cols, (int) rows,
                                                   GDK_INTERP_BILINEAR);
      g_object_unref (pixbuf);
      pixbuf = scaled;
    }

  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  ptl_complex *o = ptl_array_complex (object);

  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x < cols; x++)
      {
        const guint8 *px = pixels + (gsize) y * stride + (gsize) x * channels;
        /* Rec. 709 luminance, composited over white. */
        double grey = (0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2]) / 255.0;
        if (alpha)
          grey = 1.0 - px[3] / 255.0 * (1.0 - grey);
        double amplitude = AMPLITUDE_MIN + (1.0 - AMPLITUDE_MIN) * grey;
        double phase = max_phase * (1.0 - grey);
        o[(gsize) y * cols + x] = polar (amplitude, phase);
      }
  return g_steal_pointer (&object);
}
