/* The image view's state, shared by its files: the widget and its input
 * (ptl-image-view.c), the GL drawing (ptl-image-view-gl.c) and the overlays drawn on top
 * of either path (ptl-overlay.c). */
#pragma once

#include <epoxy/gl.h>

#include "gui/ptl-image-view.h"

G_BEGIN_DECLS

typedef struct
{
  GLuint program;
  GLuint vao;
  GLuint vbo;
  GLuint data_texture;
  GLuint lut_texture;
  GLuint pbo;
  GLint  u_rect, u_data, u_lut, u_mode, u_low, u_high, u_log_scale;
  GLint  max_texture_size; /* larger images are drawn by the CPU path */
  gsize  texture_rows, texture_cols;
  guint  texture_channels;
  gboolean data_dirty;
  gboolean lut_dirty;
} PtlImageViewGL;

struct _PtlImageView
{
  GtkGLArea parent_instance;

  /* The data as given, and the plane(s) shown. */
  gsize        rows, cols;
  double       pixel_size;
  ptl_complex *complex_data;   /* set_complex, else NULL */
  float       *plane;          /* rows·cols: real data, amplitude or phase */
  float       *amplitude_phase; /* rows·cols·2 for the complex colouring, else NULL */

  PtlViewComponent   component;
  PtlPhaseCorrection phase_correction;
  PtlColormap        colormap;
  PtlLevels          levels;
  gboolean           auto_levels;
  char              *title;
  gboolean           show_scale_bar;

  PtlViewTransform transform;
  gboolean         follow_fit; /* refit on resize until the user pans or zooms */

  /* Overlays. */
  double  *positions;
  double  *arrival_s;
  guint    n_positions;
  guint    window;
  GdkTexture *coverage_texture;
  gsize    coverage_rows, coverage_cols;
  guint    crop_size;
  double   crop_row, crop_col;

  /* Input. */
  gboolean         dragging_crop;
  double           drag_crop_row, drag_crop_col;
  PtlViewTransform drag_transform;
  double           pointer_x, pointer_y;
  gboolean         pointer_inside;

  /* Drawing. */
  gboolean        use_gl;
  PtlImageViewGL  gl;
  cairo_surface_t *fallback_surface; /* CPU-coloured image, when GL is not in use */
};

gboolean ptl_image_view_gl_realize (PtlImageView *view,
                                    GError      **error);
void     ptl_image_view_gl_unrealize (PtlImageView *view);
void     ptl_image_view_gl_render (PtlImageView *view);

/* Colours the shown plane on the CPU: RGBA8, rows·cols·4 bytes. */
guint8  *ptl_image_view_colour_cpu (PtlImageView *view);

void     ptl_overlay_snapshot (PtlImageView *view,
                               GtkSnapshot  *snapshot);
/* Whether widget point (x, y) is on the crop box. */
gboolean ptl_overlay_hits_crop_box (PtlImageView *view,
                                    double        x,
                                    double        y);
GdkTexture *ptl_overlay_coverage_texture (const float *coverage,
                                          gsize        rows,
                                          gsize        cols);

G_END_DECLS
