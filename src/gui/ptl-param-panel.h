/* The side panel: reconstruction parameters (applied to the running reconstruction at
 * once), preprocessing (crop, centre, binning, dark) and display options.
 *
 * Signals:
 *   "recon-changed"      — a reconstruction parameter changed (ptl_param_panel_get_recon)
 *   "preprocess-changed" — crop, centre, bin or dark changed (ptl_param_panel_get_preprocess)
 *   "display-changed"    — a display option changed (ptl_param_panel_get_display) */
#pragma once

#include <gtk/gtk.h>

#include "core/ptl-params.h"
#include "core/ptl-preprocess-params.h"
#include "gui/ptl-colormap.h"
#include "gui/ptl-image-data.h"

G_BEGIN_DECLS

typedef struct
{
  PtlColormap        amplitude_colormap;
  PtlColormap        phase_colormap;
  PtlPhaseCorrection phase_correction;
  gboolean           show_positions;
  gboolean           show_coverage;
  gboolean           pattern_log;
} PtlDisplayOptions;

#define PTL_TYPE_PARAM_PANEL (ptl_param_panel_get_type ())
G_DECLARE_FINAL_TYPE (PtlParamPanel, ptl_param_panel, PTL, PARAM_PANEL, GtkWidget)

GtkWidget *ptl_param_panel_new (void);

/* The panel's values over `params` (fields the panel has no control for are kept). */
void     ptl_param_panel_get_recon (PtlParamPanel  *panel,
                                    PtlReconParams *params);
/* Shows `params` without emitting "recon-changed". */
void     ptl_param_panel_set_recon (PtlParamPanel        *panel,
                                    const PtlReconParams *params);
/* Refinement sweeps after the series (the pipeline's final_iterations). */
guint    ptl_param_panel_get_iteration_budget (PtlParamPanel *panel);

void     ptl_param_panel_get_preprocess (PtlParamPanel       *panel,
                                         PtlPreprocessParams *params);
/* Shows `params` without emitting "preprocess-changed". */
void     ptl_param_panel_set_preprocess (PtlParamPanel             *panel,
                                         const PtlPreprocessParams *params);
gboolean ptl_param_panel_get_dark_enabled (PtlParamPanel *panel);
/* The dark file chosen, or NULL. */
const char *ptl_param_panel_get_dark_file (PtlParamPanel *panel);

void     ptl_param_panel_get_display (PtlParamPanel     *panel,
                                      PtlDisplayOptions *options);

/* Binds the panel's controls to the keys of `settings` that its schema has. */
void     ptl_param_panel_bind_settings (PtlParamPanel *panel,
                                        GSettings     *settings);

G_END_DECLS
