/* The image view's state, shared by its files: the widget (ptl-image-view.c), the data it
 * is given (ptl-image-view-data.c), its input (ptl-image-view-input.c), the GL drawing
 * (ptl-image-view-gl.c), the CPU drawing (ptl-image-view-cpu.c) and the overlays drawn on
 * top of either path (ptl-overlay.c). */
#pragma once

#include <epoxy/gl.h>

#include "gui/ptl-gl-interop.h"
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
  GLint  u_rect, u_data, u_lut, u_mode, u_component, u_plane, u_low, u_high, u_log_scale;
  GLint  max_texture_size; /* larger images are drawn by the CPU path */
  gsize  texture_rows, texture_cols;
  guint  texture_channels;
  gboolean data_dirty;
  gboolean lut_dirty;

  /* CUDA-GL interop: a buffer of its own, since a registered buffer's storage is fixed. */
  GLuint        interop_pbo;
  PtlGlInterop *interop;
  gsize         interop_bytes;
  int           interop_device;
  gboolean      interop_off; /* tried and failed in this context: the host path only */
} PtlImageViewGL;

struct _PtlImageView
{
  GtkGLArea parent_instance;

  /* The data as given, and the plane(s) shown. */
  gsize        rows, cols;
  double       pixel_size;
  ptl_complex *complex_data;   /* set_complex, else NULL */
  PtlPhasePlane phase_plane;   /* removed from the shown phase of complex_data */
  PtlDeviceImage *device_image; /* complex_data on a GPU, for the GL texture, or NULL */
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

enum
{
  PTL_IMAGE_VIEW_SIGNAL_POINTER_INFO,
  PTL_IMAGE_VIEW_SIGNAL_CROP_CENTRE_CHANGED,
  PTL_IMAGE_VIEW_N_SIGNALS
};

extern guint _ptl_image_view_signals[PTL_IMAGE_VIEW_N_SIGNALS];

/* Queues a new frame of whichever drawing path is in use. */
void     _ptl_image_view_redraw (PtlImageView *view);
/* After a change of the shown plane or its colours: both paths colour the image again. */
void     _ptl_image_view_invalidate_pixels (PtlImageView *view);
/* The level window fitted to the shown plane, when auto-levels is on. */
void     _ptl_image_view_update_auto_levels (PtlImageView *view);
/* Recomputes the shown plane(s) from the complex data for the current component. */
void     _ptl_image_view_derive_planes (PtlImageView *view);
/* The event controllers of ptl-image-view-input.c. */
void     _ptl_image_view_add_input (PtlImageView *view);
/* The image coloured on the CPU, into `snapshot`. */
void     _ptl_image_view_snapshot_cpu (PtlImageView *view,
                                       GtkSnapshot  *snapshot,
                                       double        width,
                                       double        height);

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
