/* Far-field ptychography simulator with known ground truth.
 * Conventions (DESIGN.md): unitary 2-D DFT, patterns with zero frequency at (M/2, M/2),
 * positions as window corners on the object canvas and as stage translations in metres. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-geometry.h"
#include "core/ptl-scan-data.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_SCAN_RASTER, /* row by row, each row left to right */
  PTL_SCAN_SNAKE,  /* row by row, alternate rows reversed */
  PTL_SCAN_ROUND,  /* PtyPy's concentric rings: ring i has 5·i points, centre first */
  PTL_SCAN_FERMAT  /* Fermat spiral, r = c·sqrt(k), golden angle */
} PtlScanPattern;

typedef enum
{
  PTL_PROBE_APERTURE, /* focused beam: circular aperture in the far field, propagated by defocus */
  PTL_PROBE_GAUSSIAN
} PtlProbeModel;

typedef struct
{
  PtlGeometry    geometry;
  PtlAxisMapping mapping;
  PtlScanPattern pattern;
  guint          n_frames;       /* frames requested; patterns produce exactly this many */
  double         overlap;        /* linear overlap in (0, 1): step = (1 − overlap) · probe diameter */
  double         jitter;         /* rms random position error added to each position, metres */
  double         position_error; /* rms error of each reported position per axis, metres: the
                                  * patterns are taken at the true positions (0 = exact) */
  PtlProbeModel  probe_model;
  double         probe_diameter; /* metres: beam diameter at the sample (aperture: geometric
                                  * cone plus focus, Airy first zero in focus) or Gaussian FWHM */
  double         defocus;        /* metres from the focus to the sample (aperture model) */
  double         photons;        /* incident photons per frame: Σ|P|² (all modes together) */
  guint          probe_modes;    /* partially coherent beam: K orthogonal modes (0, 1 = coherent) */
  double         mode_ratio;     /* power of mode k + 1 over that of mode k, in (0, 1] */
  gboolean       poisson;        /* draw Poisson counts (else the exact intensities) */
  double         max_phase;      /* phase range of the built-in object, radians */
  char          *object_image;   /* optional image file for the object (NULL: built-in) */
  guint64        seed;
} PtlSimParams;

void     ptl_sim_params_init (PtlSimParams *params);
void     ptl_sim_params_clear (PtlSimParams *params);
gboolean ptl_sim_params_validate (const PtlSimParams *params,
                                  GError            **error);
gboolean ptl_scan_pattern_from_string (const char     *text,
                                       PtlScanPattern *pattern,
                                       GError        **error);
const char *ptl_scan_pattern_to_string (PtlScanPattern pattern);
gboolean ptl_probe_model_from_string (const char    *text,
                                      PtlProbeModel *model,
                                      GError       **error);
const char *ptl_probe_model_to_string (PtlProbeModel model);

/* Stage positions (x, y) in metres, n of them, centred on (0, 0). `step` is the distance
 * between neighbouring points (grid pitch, ring spacing, or spiral mean spacing); `jitter`
 * is the rms of independent Gaussian errors on each axis, drawn from `seed`. */
double *ptl_scan_pattern_positions (PtlScanPattern pattern,
                                    guint          n,
                                    double         step,
                                    double         jitter,
                                    guint64        seed,
                                    GError       **error);

/* Complex probe [M][M] with Σ|P|² = photons (the coherent beam). */
PtlArray *ptl_sim_probe (const PtlSimParams *params,
                         GError            **error);
/* The partially coherent beam: K = probe_modes orthogonal modes [K][M][M], mode k carrying
 * a fraction ∝ mode_ratio^k of the photons. Mode 0 is the coherent beam's shape; the others
 * are it filtered by low-order patterns across its angular spectrum (the incoherent parts
 * of an extended source). */
PtlArray *ptl_sim_probe_modes (const PtlSimParams *params,
                               GError            **error);

/* Built-in test object [rows][cols]: Siemens star, line pairs and text at several scales,
 * amplitude in [0.4, 1] and phase in [0, max_phase], with sharp edges in both. */
PtlArray *ptl_sim_test_object (guint   rows,
                               guint   cols,
                               double  max_phase,
                               GError **error);
/* Object from an image file: grey value → amplitude (0.4…1) and phase (0…max_phase);
 * black is the thickest sample (0.4, max_phase), white or transparent is empty (1, 0). */
PtlArray *ptl_sim_object_from_image (const char *path,
                                     guint       rows,
                                     guint       cols,
                                     double      max_phase,
                                     GError    **error);

/* I = |fftshift(F(P · O_window))|² with the unitary DFT; window corner (row, col) integer. */
void ptl_sim_forward (const PtlArray *probe,
                      const PtlArray *object,
                      guint           row,
                      guint           col,
                      float          *intensity);

/* Simulates a whole scan: positions, object (built-in or image) on the canvas, probe,
 * patterns with optional Poisson noise. The truth is returned for comparisons: the probe
 * as [M][M], or [K][M][M] for a partially coherent beam. With position_error the scan
 * reports positions off the true ones, which are those of the same simulation without it
 * (the errors come from a random stream of their own). */
PtlScanData *ptl_simulate_scan (const PtlSimParams *params,
                                PtlArray          **object_truth,
                                PtlArray          **probe_truth,
                                GError            **error);

G_END_DECLS
