/* GTypes of the view enums (see ptl-gui-enums.h). The nicks are the names settings use. */
#include "config.h"

#include "gui/ptl-gui-enums.h"

G_DEFINE_ENUM_TYPE (PtlColormap, ptl_colormap,
  G_DEFINE_ENUM_VALUE (PTL_COLORMAP_GREY, "grey"),
  G_DEFINE_ENUM_VALUE (PTL_COLORMAP_VIRIDIS, "viridis"),
  G_DEFINE_ENUM_VALUE (PTL_COLORMAP_CIVIDIS, "cividis"),
  G_DEFINE_ENUM_VALUE (PTL_COLORMAP_TWILIGHT, "twilight"))

G_DEFINE_ENUM_TYPE (PtlViewComponent, ptl_view_component,
  G_DEFINE_ENUM_VALUE (PTL_VIEW_AMPLITUDE, "amplitude"),
  G_DEFINE_ENUM_VALUE (PTL_VIEW_PHASE, "phase"),
  G_DEFINE_ENUM_VALUE (PTL_VIEW_COMPLEX, "complex"))

G_DEFINE_FLAGS_TYPE (PtlPhaseCorrection, ptl_phase_correction,
  G_DEFINE_ENUM_VALUE (PTL_PHASE_KEEP, "keep"),
  G_DEFINE_ENUM_VALUE (PTL_PHASE_REMOVE_OFFSET, "remove-offset"),
  G_DEFINE_ENUM_VALUE (PTL_PHASE_REMOVE_RAMP, "remove-ramp"))
