/* The preprocessed pattern that crop, centre, binning and dark settings would make of a raw
 * frame, computed with the pipeline's own CPU preprocessing, so that the settings can be
 * tuned on live frames before a run. No GTK: unit-testable without a display. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-preprocess-params.h"

G_BEGIN_DECLS

/* `raw`: float [rows][cols] detector units (whole numbers, as the detector counts);
 * `dark`: float [rows][cols] or NULL. Returns float [M][M], M = crop / bin, or NULL with
 * an error that says what does not fit (crop outside the frame, bin not dividing it). */
PtlArray *ptl_preprocess_preview (const PtlArray            *raw,
                                  const PtlPreprocessParams *params,
                                  const PtlArray            *dark,
                                  GError                   **error);

G_END_DECLS
