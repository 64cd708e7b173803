/* Initial probes from the data alone: the bright field of the mean pattern is the pupil's
 * amplitude, and a defocus (a quadratic phase on the pupil) makes the beam at the sample. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-scan-data.h"

G_BEGIN_DECLS

typedef struct
{
  PtlArray *pupil;        /* float [M][M], zero frequency at [0, 0]: sqrt of the mean bright field */
  PtlArray *mean;         /* the same without the bright-field cut: for beams with soft edges */
  double    photons;      /* the brightest frame's count: Σ|P|² of the probe */
  double    max_defocus;  /* metres: a larger defocus spreads the beam over half the window */
  double    wavelength;
  double    pixel_size;   /* object plane */
} PtlPupil;

PtlPupil *ptl_pupil_from_scan (const PtlScanData *scan);
void      ptl_pupil_free (PtlPupil *pupil);
/* P = F⁻¹[A · exp(−iπλz f²)], centred in the window, Σ|P|² = photons, with A the bright
 * field (or the whole mean pattern when `bright_field_only` is FALSE). */
PtlArray *ptl_pupil_probe (const PtlPupil *pupil,
                           gboolean        bright_field_only,
                           double          defocus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPupil, ptl_pupil_free)

G_END_DECLS
