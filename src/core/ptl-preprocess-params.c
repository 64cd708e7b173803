#include "config.h"

#include "ptl-preprocess-params.h"

void
ptl_preprocess_params_init (PtlPreprocessParams *params)
{
  *params = (PtlPreprocessParams) {
    .crop = 512,
    .bin = 2,
    .centre_row = 1024,
    .centre_col = 1024,
    .auto_centre = FALSE,
    .auto_centre_frames = 10,
    .adu_per_photon = 1.0,
    .saturation = 0,
  };
}
