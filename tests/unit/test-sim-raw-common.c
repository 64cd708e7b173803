/* Shared by the tests of the raw sCMOS detector simulation (test-sim-raw-common.h). */
#include "config.h"

#include "test-sim-raw-common.h"

#include <math.h>

void
test_sim_raw_small_params (PtlRawParams *params,
                           guint         side)
{
  ptl_raw_params_init (params);
  params->rows = side;
  params->cols = side;
  params->centre_row = side / 2;
  params->centre_col = side / 2;
}

PtlRawDetector *
test_sim_raw_make_detector (const PtlRawParams *params)
{
  g_autoptr (GError) error = NULL;
  PtlRawDetector *detector = ptl_raw_detector_new (params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (detector);
  return detector;
}

void
test_sim_raw_expose (PtlRawDetector *detector,
                     const float    *pattern,
                     guint           m,
                     guint16        *frame)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_raw_detector_expose (detector, pattern, m, frame, &error));
  g_assert_no_error (error);
}

double
test_sim_raw_read_rms (const PtlRawParams *params)
{
  return sqrt (params->read_noise * params->read_noise + 1.0 / 12.0);
}

gboolean
test_sim_raw_behind (const PtlRawParams *params,
                     guint               row,
                     guint               col)
{
  double dr = row - params->centre_row, dc = col - params->centre_col;

  return hypot (dr, dc) < params->beam_stop_radius;
}
