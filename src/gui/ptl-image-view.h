/* An image view: a float plane or a complex array shown through a level window and a
 * colormap, with pan (drag), zoom (scroll, at the pointer; double-click fits), a pixel
 * readout, a scale bar in physical units, and overlays: scan positions coloured by
 * arrival, a coverage map, and a crop box that can be dragged.
 *
 * A GtkGLArea: the data goes to a float texture through a pixel-unpack buffer and a
 * shader applies levels and colormap. Where GL is not available (GDK_DEBUG=gl-disable,
 * no context, a shader that does not compile) the same widget colours the data on the
 * CPU and draws it with GSK instead; nothing changes for the caller.
 *
 * Signals:
 *   "pointer-info"        (double value, double x_um, double y_um): the pixel under the
 *                         pointer and the pointer's position from the image's top-left
 *                         corner; value is NaN when the pointer is off the image.
 *   "crop-centre-changed" (double row, double col): the crop box was dragged to a new
 *                         centre (image pixels), emitted when the drag ends. */
#pragma once

#include <gtk/gtk.h>

#include "core/ptl-array.h"
#include "gui/ptl-colormap.h"
#include "gui/ptl-gui-enums.h"
#include "gui/ptl-image-data.h"
#include "recon/ptl-device-image.h"

G_BEGIN_DECLS

#define PTL_TYPE_IMAGE_VIEW (ptl_image_view_get_type ())
G_DECLARE_FINAL_TYPE (PtlImageView, ptl_image_view, PTL, IMAGE_VIEW, GtkGLArea)

GtkWidget *ptl_image_view_new (void);

/* The data is copied. pixel_size_m ≤ 0: unknown (no scale bar, readout in pixels·0). */
void      ptl_image_view_set_data (PtlImageView *view,
                                   const float  *plane,
                                   gsize         rows,
                                   gsize         cols,
                                   double        pixel_size_m);
/* Shown as the component set with ptl_image_view_set_component. */
void      ptl_image_view_set_complex (PtlImageView      *view,
                                      const ptl_complex *data,
                                      gsize              rows,
                                      gsize              cols,
                                      double             pixel_size_m);
/* The complex data last given, as a copy on a GPU: with GL on that GPU, the texture is
 * filled from it device to device (CUDA-GL interop); else from the host copy, which also
 * serves the readout, the levels and the CPU drawing. Dropped by the next set_data,
 * set_complex or clear. */
void      ptl_image_view_set_device_image (PtlImageView   *view,
                                           PtlDeviceImage *image);
void      ptl_image_view_clear (PtlImageView *view);
gboolean  ptl_image_view_has_data (PtlImageView *view);

/* Properties (each also a GObject property of the same name). */
void      ptl_image_view_set_component (PtlImageView    *view,
                                        PtlViewComponent component);
PtlViewComponent ptl_image_view_get_component (PtlImageView *view);
void      ptl_image_view_set_phase_correction (PtlImageView      *view,
                                               PtlPhaseCorrection correction);
void      ptl_image_view_set_colormap (PtlImageView *view,
                                       PtlColormap   colormap);
PtlColormap ptl_image_view_get_colormap (PtlImageView *view);
void      ptl_image_view_set_log_scale (PtlImageView *view,
                                        gboolean      log_scale);
/* Fixed levels (turns auto-levels off). */
void      ptl_image_view_set_levels (PtlImageView *view,
                                     float         low,
                                     float         high);
void      ptl_image_view_get_levels (PtlImageView *view,
                                     float        *low,
                                     float        *high);
/* Levels from the 0.5th and 99.5th percentiles of each new image (the phase: symmetric
 * about 0, at most ±π; the complex view: amplitude from 0). On by default. */
void      ptl_image_view_set_auto_levels (PtlImageView *view,
                                          gboolean      auto_levels);
void      ptl_image_view_set_title (PtlImageView *view,
                                    const char   *title);
void      ptl_image_view_set_show_scale_bar (PtlImageView *view,
                                             gboolean      show);

/* Scan positions: `positions` [n][2] are window corners (row, col) in image pixels,
 * marked at the window's centre (corner + window/2), coloured by `arrival_s` (viridis,
 * first to last; NULL: all one colour). Copied; n = 0 removes them. */
void      ptl_image_view_set_positions (PtlImageView *view,
                                        const double *positions,
                                        const double *arrival_s,
                                        guint         n_positions,
                                        guint         window);
/* A plane of counts (ptl_image_coverage), registered to the image pixel for pixel: it
 * dims the image where the count falls short of the most any pixel got (black at 60 %
 * where no window fell). NULL removes it. */
void      ptl_image_view_set_coverage (PtlImageView *view,
                                       const float  *coverage,
                                       gsize         rows,
                                       gsize         cols);
/* A size × size box centred on (row, col), draggable; size 0 removes it. */
void      ptl_image_view_set_crop_box (PtlImageView *view,
                                       double        centre_row,
                                       double        centre_col,
                                       guint         size);

/* The whole image, as large as fits (also what a double-click does). */
void      ptl_image_view_fit (PtlImageView *view);
/* Whether the view draws with GL (FALSE: the CPU fallback); meaningful once realized. */
gboolean  ptl_image_view_get_uses_gl (PtlImageView *view);
/* The readout at widget point (x, y), as "pointer-info" reports it. */
gboolean  ptl_image_view_get_info_at (PtlImageView *view,
                                      double        x,
                                      double        y,
                                      float        *value,
                                      double       *x_um,
                                      double       *y_um);

G_END_DECLS
