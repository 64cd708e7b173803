/* Raw sCMOS detector frames from the simulator's patterns: the pattern placed at a centre
 * of a large uint16 frame, each pattern pixel spread over bin×bin detector pixels with
 * Poisson counts, then ADU = gain·photons + per-pixel dark offset + read noise, clipped
 * at saturation, with hot and dead pixels and an optional beam stop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint    rows;             /* detector frame, e.g. 2048×2048 */
  guint    cols;
  double   centre_row;       /* where the pattern's zero frequency lands, detector pixels */
  double   centre_col;
  guint    bin;              /* detector pixels per pattern pixel along each axis */
  double   gain;             /* ADU per photon */
  double   dark_level;       /* mean dark offset, ADU */
  double   dark_spread;      /* rms pixel-to-pixel variation of the dark offset, ADU */
  double   read_noise;       /* rms per read, ADU */
  guint    saturation;       /* ADU where the converter clips (≤ 65535) */
  guint    n_hot;            /* pixels with a large, noisy offset */
  guint    n_dead;           /* pixels that always read 0 */
  double   beam_stop_radius; /* detector pixels around the centre that receive no photons; 0 = none */
  guint64  seed;
} PtlRawParams;

typedef struct _PtlRawDetector PtlRawDetector;

void            ptl_raw_params_init (PtlRawParams *params);
/* Draws the fixed per-pixel dark offsets and the bad pixels; validates the parameters. */
PtlRawDetector *ptl_raw_detector_new (const PtlRawParams *params,
                                      GError            **error);
void            ptl_raw_detector_free (PtlRawDetector *detector);
const PtlRawParams *ptl_raw_detector_params (PtlRawDetector *detector);

/* One exposure of an m×m pattern (photons, zero frequency at (m/2, m/2)) whose pixel (m/2,
 * m/2) lands at the centre; fails if the pattern does not fit on the detector. */
gboolean ptl_raw_detector_expose (PtlRawDetector *detector,
                                  const float    *pattern,
                                  guint           m,
                                  guint16        *frame,
                                  GError        **error);
/* A frame with the beam off: dark offset and read noise only. */
void     ptl_raw_detector_dark (PtlRawDetector *detector,
                                guint16        *frame);
/* Ground truth of the bad pixels, [rows][cols]: 1 = good, 0 = hot, dead or behind the
 * beam stop. */
const guint8 *ptl_raw_detector_truth_mask (PtlRawDetector *detector);
/* The per-pixel mean dark offset actually simulated, [rows][cols] ADU. */
const float  *ptl_raw_detector_truth_dark (PtlRawDetector *detector);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlRawDetector, ptl_raw_detector_free)

G_END_DECLS
