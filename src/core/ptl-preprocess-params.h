/* Preprocessing parameters: a plain value type (like the reconstruction's), so that the
 * recorder can store them and the GUI and pipeline can pass them by copy. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint    crop;               /* side of the square cut from the frame, detector pixels */
  guint    bin;                /* b: b×b detector pixels summed per pattern pixel; divides crop */
  double   centre_row;         /* crop centre on the detector (manual, or found automatically) */
  double   centre_col;
  gboolean auto_centre;        /* centre of mass of the first frames, then held fixed */
  guint    auto_centre_frames; /* frames averaged for it */
  double   adu_per_photon;     /* raw units per photon (1 when frames already count photons) */
  guint    saturation;         /* raw values ≥ this are masked in that frame; 0 = no limit */
} PtlPreprocessParams;

void ptl_preprocess_params_init (PtlPreprocessParams *params);

G_END_DECLS
