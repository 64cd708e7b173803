/* What the tests of the raw sCMOS detector simulation share: a detector small enough for
 * many frames per test, exposures that must succeed, and the truths the frames are
 * checked against. */
#pragma once

#include <glib.h>

#include "sim/ptl-sim-raw.h"

/* A detector `side` pixels square, centred, with the default electronics. */
void            test_sim_raw_small_params (PtlRawParams *params,
                                           guint         side);
PtlRawDetector *test_sim_raw_make_detector (const PtlRawParams *params);
void            test_sim_raw_expose (PtlRawDetector *detector,
                                     const float    *pattern,
                                     guint           m,
                                     guint16        *frame);
/* The rms of one read around the truth: read noise, and rounding to whole ADU. */
double          test_sim_raw_read_rms (const PtlRawParams *params);
/* Whether the pixel (row, col) lies behind the beam stop. */
gboolean        test_sim_raw_behind (const PtlRawParams *params,
                                     guint               row,
                                     guint               col);
