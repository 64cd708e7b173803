/* Internals shared by the simulator's files: random numbers, the FFT plan cache and the
 * bitmap font of the test object. */
#pragma once

#include <complex.h>
/* After complex.h, fftwf_complex is the native float _Complex: the layout of ptl_complex. */
#include <fftw3.h>
#include <glib.h>

#include "ptl-sim.h"

G_BEGIN_DECLS

/* Independent random streams derived from one user seed, so that switching noise on or
 * off does not move the scan positions. */
typedef enum
{
  PTL_SIM_STREAM_POSITIONS = 1,
  PTL_SIM_STREAM_NOISE     = 2
} PtlSimStream;

#define PTL_SIM_FONT_ROWS 7
#define PTL_SIM_FONT_COLS 5

GRand     *_ptl_sim_rand_new (guint64      seed,
                              PtlSimStream stream);
double     _ptl_sim_normal (GRand *rand);
double     _ptl_sim_poisson (GRand *rand,
                             double mean);

/* Geometry, probe model and size, defocus and photon count: what the probe needs. */
gboolean   _ptl_sim_check_probe (const PtlSimParams *params,
                                 GError            **error);

/* A cached single-precision plan for an m×m complex transform (FFTW_FORWARD or
 * FFTW_BACKWARD), for use with fftwf_execute_dft on fftwf_malloc'd arrays. */
fftwf_plan _ptl_sim_fft_plan (guint m,
                              int   sign);

/* Whether pixel (row, col) of the 5×7 glyph of `c` is set; digits and A–Z, else blank. */
gboolean   _ptl_sim_font_pixel (char  c,
                                guint row,
                                guint col);

G_END_DECLS
