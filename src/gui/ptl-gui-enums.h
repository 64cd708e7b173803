/* GTypes of the view enums, so that they can be GObject properties and be bound to
 * GSettings enum keys by nick ("grey", "viridis", …; "amplitude", "phase", "complex"). */
#pragma once

#include <glib-object.h>

#include "gui/ptl-colormap.h"
#include "gui/ptl-image-data.h"

G_BEGIN_DECLS

#define PTL_TYPE_COLORMAP (ptl_colormap_get_type ())
GType ptl_colormap_get_type (void) G_GNUC_CONST;
#define PTL_TYPE_VIEW_COMPONENT (ptl_view_component_get_type ())
GType ptl_view_component_get_type (void) G_GNUC_CONST;
#define PTL_TYPE_PHASE_CORRECTION (ptl_phase_correction_get_type ())
GType ptl_phase_correction_get_type (void) G_GNUC_CONST;

G_END_DECLS
