/* Streaming: frames join the engine while the scan runs. The per-frame buffers grow by
 * doubling, the canvas grows by whole windows of free space (|O| = 1) on the side a new
 * frame needs, and the object already reconstructed keeps its values. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Engine"

#include "ptl-engine-private.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"

/* Corners further out than this are a unit mistake, not a scan. */
#define MAX_CORNER 1e6
#define MAX_CANVAS_SIDE 65536

/* Zero frequency from the centre (stored patterns) to [0, 0] (the FFT's convention). */
static void
ifftshift (const float *src,
           float       *dst,
           guint        m)
{
  guint h = m - m / 2;

  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      dst[((r + h) % m) * m + (c + h) % m] = src[r * m + c];
}

/* The one place where patterns move from the stored convention (zero frequency at the
 * centre) to the FFT's (zero frequency at [0, 0]); masked pixels become negative. Returns
 * the frame's photon count. */
static double
to_amplitudes (const float  *intensity,
               const guint8 *mask,
               float        *amp,
               float        *shifted,
               guint         m)
{
  gsize n = (gsize) m * m;
  double photons = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      float v = intensity[i];
      gboolean measured = (mask == NULL || mask[i]) && isfinite (v);
      amp[i] = measured ? sqrtf (MAX (v, 0.0f)) : -1.0f;
      photons += measured ? MAX (v, 0.0f) : 0.0f;
    }
  ifftshift (amp, shifted, m);
  return photons;
}

/* Room for `needed` frames in every per-frame buffer; nothing changes on failure except
 * spare capacity. */
static gboolean
reserve (PtlEngine *engine,
         guint      needed,
         GError   **error)
{
  if (needed <= engine->capacity)
    return TRUE;

  guint capacity = MAX (needed, MIN (2 * (guint64) engine->capacity, G_MAXUINT32 / 2));
  gsize used = engine->n_frames, n = engine->pixels;
  PtlPosition *positions = g_try_renew (PtlPosition, engine->positions, capacity);
  if (positions != NULL)
    engine->positions = positions;
  PtlPosition *arrival = g_try_renew (PtlPosition, engine->arrival, capacity);
  if (arrival != NULL)
    engine->arrival = arrival;
  guint32 *order = g_try_renew (guint32, engine->order, capacity);
  if (order != NULL)
    engine->order = order;
  float *frame_errors = g_try_renew (float, engine->frame_errors, capacity);
  if (frame_errors != NULL)
    engine->frame_errors = frame_errors;
  double *offsets = g_try_renew (double, engine->offsets, 2 * (gsize) capacity);
  if (offsets != NULL)
    engine->offsets = offsets;
  double *arrival_offsets = g_try_renew (double, engine->arrival_offsets, 2 * (gsize) capacity);
  if (arrival_offsets != NULL)
    engine->arrival_offsets = arrival_offsets;
  if (positions == NULL || arrival == NULL || order == NULL || frame_errors == NULL
      || offsets == NULL || arrival_offsets == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_MEMORY,
                   "Out of memory for %u frames", capacity);
      return FALSE;
    }

  if (!_ptl_engine_grow_buffer (engine, &engine->amplitudes, used * n * sizeof (float),
                                capacity * n * sizeof (float), error)
      || !_ptl_engine_grow_buffer (engine, &engine->positions_buf, used * sizeof (PtlPosition),
                                   capacity * sizeof (PtlPosition), error)
      || !_ptl_engine_grow_buffer (engine, &engine->order_buf, 0, capacity * sizeof (guint32),
                                   error)
      || !_ptl_engine_grow_buffer (engine, &engine->errors_buf, used * sizeof (float),
                                   capacity * sizeof (float), error)
      || !_ptl_engine_grow_buffer (engine, &engine->frames_buf, 0, capacity * sizeof (guint32),
                                   error))
    return FALSE;
  for (guint j = 0; j < capacity; j++)
    engine->order[j] = j;
  if (!ptl_backend_upload (engine->backend, engine->frames_buf, 0, engine->order,
                           capacity * sizeof (guint32), error))
    return FALSE;
  engine->capacity = capacity;
  return TRUE;
}

/* Moves the object onto a canvas larger by the given margins, filled with free space. */
static gboolean
grow_canvas (PtlEngine *engine,
             guint      top,
             guint      left,
             guint      bottom,
             guint      right,
             GError   **error)
{
  guint rows = engine->canvas_rows + top + bottom, cols = engine->canvas_cols + left + right;

  if (rows > MAX_CANVAS_SIDE || cols > MAX_CANVAS_SIDE)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "The scan needs a %u×%u object canvas, more than %u pixels a side", rows, cols,
                   MAX_CANVAS_SIDE);
      return FALSE;
    }
  g_autoptr (PtlArray) old = ptl_engine_get_object (engine, error);
  if (old == NULL)
    return FALSE;
  gsize shape[] = { rows, cols };
  g_autoptr (PtlArray) canvas = ptl_array_try_new (PTL_DTYPE_COMPLEX, 2, shape, error);
  if (canvas == NULL)
    return FALSE;
  ptl_complex *dst = ptl_array_complex (canvas);
  const ptl_complex *src = ptl_array_complex (old);
  for (gsize i = 0; i < canvas->n; i++)
    dst[i] = 1.0f;
  for (guint r = 0; r < engine->canvas_rows; r++)
    memcpy (dst + (gsize) (r + top) * cols + left, src + (gsize) r * engine->canvas_cols,
            engine->canvas_cols * sizeof (ptl_complex));

  PtlBuffer *object = ptl_backend_alloc (engine->backend, ptl_array_bytes (canvas), error);
  if (object == NULL || !ptl_backend_upload (engine->backend, object, 0, dst,
                                             ptl_array_bytes (canvas), error))
    {
      ptl_backend_buffer_free (engine->backend, object);
      return FALSE;
    }
  ptl_backend_buffer_free (engine->backend, engine->object);
  engine->object = object;
  _ptl_engine_momentum_free (engine); /* mPIE's velocities were sized on the old canvas */
  engine->canvas_rows = rows;
  engine->canvas_cols = cols;
  engine->origin_row += (gint) top;
  engine->origin_col += (gint) left;
  for (guint j = 0; j < engine->n_frames; j++)
    {
      engine->positions[j].row += (gint32) top;
      engine->positions[j].col += (gint32) left;
      engine->arrival[j].row += (gint32) top;
      engine->arrival[j].col += (gint32) left;
    }
  return _ptl_engine_upload_positions (engine, error)
         && (engine->algorithm == NULL
             || engine->algorithm->canvas_grown (engine, engine->state, error));
}

/* Grows the canvas, if needed, so that every corner (in the creating scan's frame) fits. */
static gboolean
make_room (PtlEngine    *engine,
           const double *corners,
           guint         n,
           GError      **error)
{
  double min_r = 0, min_c = 0, max_r = 0, max_c = 0;

  for (guint j = 0; j < n; j++)
    {
      double r = round (corners[2 * j]) + engine->origin_row;
      double c = round (corners[2 * j + 1]) + engine->origin_col;
      min_r = MIN (min_r, r);
      min_c = MIN (min_c, c);
      max_r = MAX (max_r, r + engine->m - (double) engine->canvas_rows);
      max_c = MAX (max_c, c + engine->m - (double) engine->canvas_cols);
    }
  if (min_r >= 0 && min_c >= 0 && max_r <= 0 && max_c <= 0)
    return TRUE;
  /* A window of margin on each side that grows, so that a scan creeping outwards does not
   * move the canvas at every frame. */
  guint margin = engine->m;
  return grow_canvas (engine, min_r < 0 ? (guint) -min_r + margin : 0,
                      min_c < 0 ? (guint) -min_c + margin : 0,
                      max_r > 0 ? (guint) max_r + margin : 0,
                      max_c > 0 ? (guint) max_c + margin : 0, error);
}

static gboolean
check_corners (const double *corners,
               guint         n,
               GError      **error)
{
  for (guint j = 0; j < n; j++)
    if (!(fabs (corners[2 * j]) <= MAX_CORNER && fabs (corners[2 * j + 1]) <= MAX_CORNER))
      {
        g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                     "Frame %u at (%g, %g) px lies implausibly far from the scan", j,
                     corners[2 * j], corners[2 * j + 1]);
        return FALSE;
      }
  return TRUE;
}

/* Frames into the engine: `common_mask` [M][M] applies to all, `masks` [n][M][M] one each. */
static gboolean
add_frames (PtlEngine    *engine,
            const float  *intensity,
            const guint8 *common_mask,
            const guint8 *masks,
            const double *corners,
            guint         n,
            GError      **error)
{
  guint first = engine->n_frames, m = engine->m;
  gsize pixels = engine->pixels;

  if (n == 0)
    return TRUE;
  if (intensity == NULL || corners == NULL || (guint64) first + n > G_MAXUINT32 / 2)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Frames need their patterns and window corners");
      return FALSE;
    }
  if (!check_corners (corners, n, error) || !reserve (engine, first + n, error)
      || !make_room (engine, corners, n, error))
    return FALSE;

  g_autofree float *amp = g_new (float, pixels);
  g_autofree float *shifted = g_new (float, pixels);
  for (guint j = 0; j < n; j++)
    {
      const guint8 *mask = masks ? masks + j * pixels : common_mask;
      double photons = to_amplitudes (intensity + j * pixels, mask, amp, shifted, m);
      engine->max_frame_photons = MAX (engine->max_frame_photons, photons);
      if (!ptl_backend_upload (engine->backend, engine->amplitudes,
                               (first + j) * pixels * sizeof (float), shifted,
                               pixels * sizeof (float), error))
        return FALSE;
      double row = round (corners[2 * j]), col = round (corners[2 * j + 1]);
      PtlPosition pos = { (gint32) row + engine->origin_row, (gint32) col + engine->origin_col };
      double *offset = engine->offsets + 2 * (gsize) (first + j);
      engine->positions[first + j] = engine->arrival[first + j] = pos;
      offset[0] = corners[2 * j] - row;
      offset[1] = corners[2 * j + 1] - col;
      memcpy (engine->arrival_offsets + 2 * (gsize) (first + j), offset, 2 * sizeof (double));
      engine->frame_errors[first + j] = 0.0f;
    }
  if (!ptl_backend_upload (engine->backend, engine->positions_buf, first * sizeof (PtlPosition),
                           engine->positions + first, n * sizeof (PtlPosition), error))
    return FALSE;
  engine->n_frames = first + n;
  if (engine->algorithm != NULL
      && !engine->algorithm->frames_changed (engine, engine->state, first, n, error))
    {
      engine->n_frames = first;
      return FALSE;
    }
  return TRUE;
}

/* The creating scan's frames must lie on its canvas: a frame outside it is a scan that
 * contradicts itself. */
gboolean
_ptl_engine_add_scan_frames (PtlEngine         *engine,
                             const PtlScanData *scan,
                             GError           **error)
{
  for (guint j = 0; j < scan->n_frames; j++)
    {
      double row = round (scan->positions[2 * j]), col = round (scan->positions[2 * j + 1]);
      if (!(row >= 0 && col >= 0 && row + engine->m <= scan->canvas_rows
            && col + engine->m <= scan->canvas_cols))
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "Frame %u at (%.0f, %.0f) px does not fit the %u×%u object", j, row, col,
                       scan->canvas_rows, scan->canvas_cols);
          return FALSE;
        }
    }
  return add_frames (engine, ptl_array_float (scan->intensity), scan->mask, NULL, scan->positions,
                     scan->n_frames, error);
}

gboolean
ptl_engine_add_frames (PtlEngine    *engine,
                       const float  *intensity,
                       const guint8 *masks,
                       const double *corners,
                       guint         n,
                       GError      **error)
{
  return add_frames (engine, intensity, NULL, masks, corners, n, error);
}

gboolean
ptl_engine_visit_frames (PtlEngine *engine,
                         guint      first,
                         guint      count,
                         GError   **error)
{
  if ((guint64) first + count > engine->n_frames)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Frames %u…%u do not exist (the engine holds %u)", first,
                   first + count - 1, engine->n_frames);
      return FALSE;
    }
  if (count == 0)
    return TRUE;
  g_autofree guint32 *frames = g_new (guint32, count);
  for (guint k = 0; k < count; k++)
    frames[k] = first + k;
  return _ptl_engine_pie_pass (engine, frames, count,
                               engine->errors->len >= engine->params.probe_update_start, NULL,
                               error);
}

guint
ptl_engine_n_frames (PtlEngine *engine)
{
  return engine->n_frames;
}

void
ptl_engine_canvas (PtlEngine *engine,
                   guint     *rows,
                   guint     *cols,
                   gint      *origin_row,
                   gint      *origin_col)
{
  if (rows)
    *rows = engine->canvas_rows;
  if (cols)
    *cols = engine->canvas_cols;
  if (origin_row)
    *origin_row = engine->origin_row;
  if (origin_col)
    *origin_col = engine->origin_col;
}
