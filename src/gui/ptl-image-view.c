/* The image view widget: display settings (its properties), the readout, and the choice
 * between GL drawing (ptl-image-view-gl.c) and the CPU fallback (ptl-image-view-cpu.c).
 * The image and overlay data it is given are in ptl-image-view-data.c; pan, zoom, readout
 * under the pointer and the crop drag in ptl-image-view-input.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-View"

#include "gui/ptl-image-view-private.h"

G_DEFINE_FINAL_TYPE (PtlImageView, ptl_image_view, GTK_TYPE_GL_AREA)

enum
{
  PROP_0,
  PROP_TITLE,
  PROP_COLORMAP,
  PROP_COMPONENT,
  PROP_PHASE_CORRECTION,
  PROP_LOG_SCALE,
  PROP_AUTO_LEVELS,
  PROP_SHOW_SCALE_BAR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
guint              _ptl_image_view_signals[PTL_IMAGE_VIEW_N_SIGNALS];

void
_ptl_image_view_redraw (PtlImageView *view)
{
  if (view->use_gl)
    gtk_gl_area_queue_render (GTK_GL_AREA (view));
  else
    gtk_widget_queue_draw (GTK_WIDGET (view));
}

void
ptl_image_view_set_component (PtlImageView    *view,
                              PtlViewComponent component)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (component <= PTL_VIEW_COMPLEX);

  if (view->component == component)
    return;
  view->component = component;
  _ptl_image_view_derive_planes (view);
  _ptl_image_view_update_auto_levels (view);
  _ptl_image_view_invalidate_pixels (view);
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_COMPONENT]);
}

PtlViewComponent
ptl_image_view_get_component (PtlImageView *view)
{
  g_return_val_if_fail (PTL_IS_IMAGE_VIEW (view), PTL_VIEW_AMPLITUDE);
  return view->component;
}

void
ptl_image_view_set_phase_correction (PtlImageView      *view,
                                     PtlPhaseCorrection correction)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  if (view->phase_correction == correction)
    return;
  view->phase_correction = correction;
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_PHASE_CORRECTION]);
  if (view->complex_data != NULL && view->component != PTL_VIEW_AMPLITUDE)
    {
      _ptl_image_view_derive_planes (view);
      _ptl_image_view_update_auto_levels (view);
      _ptl_image_view_invalidate_pixels (view);
    }
}

void
ptl_image_view_set_colormap (PtlImageView *view,
                             PtlColormap   colormap)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));
  g_return_if_fail (colormap < PTL_COLORMAP_N);

  if (view->colormap == colormap)
    return;
  view->colormap = colormap;
  view->gl.lut_dirty = TRUE;
  _ptl_image_view_invalidate_pixels (view);
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_COLORMAP]);
}

PtlColormap
ptl_image_view_get_colormap (PtlImageView *view)
{
  g_return_val_if_fail (PTL_IS_IMAGE_VIEW (view), PTL_COLORMAP_GREY);
  return view->colormap;
}

void
ptl_image_view_set_log_scale (PtlImageView *view,
                              gboolean      log_scale)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  log_scale = !!log_scale;
  if (view->levels.log_scale == log_scale)
    return;
  view->levels.log_scale = log_scale;
  g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);
  _ptl_image_view_redraw (view);
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_LOG_SCALE]);
}

void
ptl_image_view_set_levels (PtlImageView *view,
                           float         low,
                           float         high)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  ptl_image_view_set_auto_levels (view, FALSE);
  view->levels.low = low;
  view->levels.high = high;
  g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);
  _ptl_image_view_redraw (view);
}

void
ptl_image_view_get_levels (PtlImageView *view,
                           float        *low,
                           float        *high)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  if (low != NULL)
    *low = view->levels.low;
  if (high != NULL)
    *high = view->levels.high;
}

void
ptl_image_view_set_auto_levels (PtlImageView *view,
                                gboolean      auto_levels)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  auto_levels = !!auto_levels;
  if (view->auto_levels == auto_levels)
    return;
  view->auto_levels = auto_levels;
  if (auto_levels)
    {
      _ptl_image_view_update_auto_levels (view);
      g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);
      _ptl_image_view_redraw (view);
    }
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_AUTO_LEVELS]);
}

void
ptl_image_view_set_title (PtlImageView *view,
                          const char   *title)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  if (g_strcmp0 (view->title, title) == 0)
    return;
  g_free (view->title);
  view->title = g_strdup (title);
  gtk_widget_queue_draw (GTK_WIDGET (view));
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_TITLE]);
}

void
ptl_image_view_set_show_scale_bar (PtlImageView *view,
                                   gboolean      show)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  show = !!show;
  if (view->show_scale_bar == show)
    return;
  view->show_scale_bar = show;
  gtk_widget_queue_draw (GTK_WIDGET (view));
  g_object_notify_by_pspec (G_OBJECT (view), properties[PROP_SHOW_SCALE_BAR]);
}

void
ptl_image_view_fit (PtlImageView *view)
{
  g_return_if_fail (PTL_IS_IMAGE_VIEW (view));

  ptl_view_transform_fit (&view->transform, gtk_widget_get_width (GTK_WIDGET (view)),
                          gtk_widget_get_height (GTK_WIDGET (view)), view->rows, view->cols);
  view->follow_fit = TRUE;
  _ptl_image_view_redraw (view);
}

gboolean
ptl_image_view_get_uses_gl (PtlImageView *view)
{
  g_return_val_if_fail (PTL_IS_IMAGE_VIEW (view), FALSE);
  return view->use_gl;
}

gboolean
ptl_image_view_get_info_at (PtlImageView *view,
                            double        x,
                            double        y,
                            float        *value,
                            double       *x_um,
                            double       *y_um)
{
  double ix, iy;

  g_return_val_if_fail (PTL_IS_IMAGE_VIEW (view), FALSE);

  ptl_view_transform_to_image (&view->transform, gtk_widget_get_width (GTK_WIDGET (view)),
                               gtk_widget_get_height (GTK_WIDGET (view)), x, y, &ix, &iy);
  return ptl_image_readout (view->plane, view->rows, view->cols, view->pixel_size, ix, iy,
                            value, x_um, y_um);
}

static void
ptl_image_view_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  PtlImageView *view = PTL_IMAGE_VIEW (widget);
  double        width = gtk_widget_get_width (widget);
  double        height = gtk_widget_get_height (widget);

  /* An image larger than the GL textures can hold goes the CPU way. */
  if (view->use_gl && view->rows <= (gsize) view->gl.max_texture_size
      && view->cols <= (gsize) view->gl.max_texture_size)
    GTK_WIDGET_CLASS (ptl_image_view_parent_class)->snapshot (widget, snapshot);
  else
    {
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.1f, 0.1f, 0.1f, 1.0f },
                                 &GRAPHENE_RECT_INIT (0, 0, width, height));
      if (view->plane != NULL)
        _ptl_image_view_snapshot_cpu (view, snapshot, width, height);
    }
  ptl_overlay_snapshot (view, snapshot);
}

static void
ptl_image_view_realize (GtkWidget *widget)
{
  PtlImageView     *view = PTL_IMAGE_VIEW (widget);
  g_autoptr (GError) error = NULL;

  GTK_WIDGET_CLASS (ptl_image_view_parent_class)->realize (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (view));
  if (gtk_gl_area_get_error (GTK_GL_AREA (view)) != NULL)
    {
      g_info ("No GL, the image is coloured on the CPU: %s",
              gtk_gl_area_get_error (GTK_GL_AREA (view))->message);
      view->use_gl = FALSE;
    }
  else if (!ptl_image_view_gl_realize (view, &error))
    {
      g_warning ("GL drawing failed, the image is coloured on the CPU: %s", error->message);
      ptl_image_view_gl_unrealize (view);
      view->use_gl = FALSE;
    }
  else
    view->use_gl = TRUE;
  g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);
}

static void
ptl_image_view_unrealize (GtkWidget *widget)
{
  PtlImageView *view = PTL_IMAGE_VIEW (widget);

  if (view->use_gl)
    {
      gtk_gl_area_make_current (GTK_GL_AREA (view));
      ptl_image_view_gl_unrealize (view);
    }
  view->use_gl = FALSE;
  GTK_WIDGET_CLASS (ptl_image_view_parent_class)->unrealize (widget);
}

static gboolean
ptl_image_view_render (GtkGLArea    *area,
                       GdkGLContext *context)
{
  PtlImageView *view = PTL_IMAGE_VIEW (area);

  if (view->use_gl)
    ptl_image_view_gl_render (view);
  return TRUE;
}

static void
ptl_image_view_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  PtlImageView *view = PTL_IMAGE_VIEW (widget);

  GTK_WIDGET_CLASS (ptl_image_view_parent_class)->size_allocate (widget, width, height,
                                                                 baseline);
  if (view->follow_fit)
    ptl_view_transform_fit (&view->transform, width, height, view->rows, view->cols);
}

static void
ptl_image_view_finalize (GObject *object)
{
  PtlImageView *view = PTL_IMAGE_VIEW (object);

  g_clear_pointer (&view->complex_data, ptl_aligned_free);
  g_clear_pointer (&view->device_image, ptl_device_image_unref);
  g_clear_pointer (&view->plane, g_free);
  g_clear_pointer (&view->amplitude_phase, g_free);
  g_clear_pointer (&view->title, g_free);
  g_clear_pointer (&view->positions, g_free);
  g_clear_pointer (&view->arrival_s, g_free);
  g_clear_object (&view->coverage_texture);
  g_clear_pointer (&view->fallback_surface, cairo_surface_destroy);

  G_OBJECT_CLASS (ptl_image_view_parent_class)->finalize (object);
}

static void
ptl_image_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PtlImageView *view = PTL_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TITLE: g_value_set_string (value, view->title); break;
    case PROP_COLORMAP: g_value_set_enum (value, view->colormap); break;
    case PROP_COMPONENT: g_value_set_enum (value, view->component); break;
    case PROP_PHASE_CORRECTION: g_value_set_flags (value, view->phase_correction); break;
    case PROP_LOG_SCALE: g_value_set_boolean (value, view->levels.log_scale); break;
    case PROP_AUTO_LEVELS: g_value_set_boolean (value, view->auto_levels); break;
    case PROP_SHOW_SCALE_BAR: g_value_set_boolean (value, view->show_scale_bar); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ptl_image_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PtlImageView *view = PTL_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TITLE: ptl_image_view_set_title (view, g_value_get_string (value)); break;
    case PROP_COLORMAP: ptl_image_view_set_colormap (view, g_value_get_enum (value)); break;
    case PROP_COMPONENT: ptl_image_view_set_component (view, g_value_get_enum (value)); break;
    case PROP_PHASE_CORRECTION:
      ptl_image_view_set_phase_correction (view, g_value_get_flags (value));
      break;
    case PROP_LOG_SCALE: ptl_image_view_set_log_scale (view, g_value_get_boolean (value)); break;
    case PROP_AUTO_LEVELS:
      ptl_image_view_set_auto_levels (view, g_value_get_boolean (value));
      break;
    case PROP_SHOW_SCALE_BAR:
      ptl_image_view_set_show_scale_bar (view, g_value_get_boolean (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ptl_image_view_class_init (PtlImageViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);
  GParamFlags     flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = ptl_image_view_finalize;
  object_class->get_property = ptl_image_view_get_property;
  object_class->set_property = ptl_image_view_set_property;
  widget_class->realize = ptl_image_view_realize;
  widget_class->unrealize = ptl_image_view_unrealize;
  widget_class->snapshot = ptl_image_view_snapshot;
  widget_class->size_allocate = ptl_image_view_size_allocate;
  area_class->render = ptl_image_view_render;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_COLORMAP] =
    g_param_spec_enum ("colormap", NULL, NULL, PTL_TYPE_COLORMAP, PTL_COLORMAP_GREY, flags);
  properties[PROP_COMPONENT] =
    g_param_spec_enum ("component", NULL, NULL, PTL_TYPE_VIEW_COMPONENT, PTL_VIEW_AMPLITUDE,
                       flags);
  properties[PROP_PHASE_CORRECTION] =
    g_param_spec_flags ("phase-correction", NULL, NULL, PTL_TYPE_PHASE_CORRECTION,
                        PTL_PHASE_KEEP, flags);
  properties[PROP_LOG_SCALE] = g_param_spec_boolean ("log-scale", NULL, NULL, FALSE, flags);
  properties[PROP_AUTO_LEVELS] = g_param_spec_boolean ("auto-levels", NULL, NULL, TRUE, flags);
  properties[PROP_SHOW_SCALE_BAR] =
    g_param_spec_boolean ("show-scale-bar", NULL, NULL, TRUE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  _ptl_image_view_signals[PTL_IMAGE_VIEW_SIGNAL_POINTER_INFO] =
    g_signal_new ("pointer-info", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  _ptl_image_view_signals[PTL_IMAGE_VIEW_SIGNAL_CROP_CENTRE_CHANGED] =
    g_signal_new ("crop-centre-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  gtk_widget_class_set_css_name (widget_class, "ptl-image-view");
}

static void
ptl_image_view_init (PtlImageView *view)
{
  view->auto_levels = TRUE;
  view->show_scale_bar = TRUE;
  view->follow_fit = TRUE;
  view->levels = (PtlLevels) { 0.0f, 1.0f, FALSE };
  view->transform = (PtlViewTransform) { 1.0, 0.0, 0.0 };
  view->gl.lut_dirty = TRUE;

  gtk_gl_area_set_auto_render (GTK_GL_AREA (view), FALSE);
  gtk_gl_area_set_required_version (GTK_GL_AREA (view), 3, 2);
  gtk_widget_set_focusable (GTK_WIDGET (view), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (view), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (view), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (view), 64, 64);

  _ptl_image_view_add_input (view);
}

GtkWidget *
ptl_image_view_new (void)
{
  return g_object_new (PTL_TYPE_IMAGE_VIEW, NULL);
}