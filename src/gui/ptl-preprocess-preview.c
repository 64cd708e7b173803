#include "config.h"

#include "gui/ptl-preprocess-preview.h"

#include <math.h>

#include "preprocess/ptl-preprocess.h"

PtlArray *
ptl_preprocess_preview (const PtlArray            *raw,
                        const PtlPreprocessParams *params,
                        const PtlArray            *dark,
                        GError                   **error)
{
  g_return_val_if_fail (raw != NULL && raw->dtype == PTL_DTYPE_FLOAT && raw->ndim == 2, NULL);

  gsize rows = ptl_array_rows (raw), cols = ptl_array_cols (raw);
  PtlDetectorCalibration calibration = {
    .rows = (guint) rows,
    .cols = (guint) cols,
    .dark = dark,
  };
  g_autoptr (PtlPreprocessor) preprocessor =
    ptl_preprocessor_new (params, &calibration, PTL_PREPROCESS_CPU, 1, error);

  if (preprocessor == NULL)
    return NULL;

  /* The preprocessing reads detector counts: the float copy in the snapshot holds them
   * exactly, so rounding gives back the frame as it came. */
  g_autofree guint16 *frame = g_new (guint16, rows * cols);
  const float *values = ptl_array_float (raw);

  for (gsize i = 0; i < rows * cols; i++)
    {
      float v = values[i];

      frame[i] = !(v > 0.0f) ? 0 : v >= 65535.0f ? 65535 : (guint16) lrintf (v);
    }

  guint m = ptl_preprocessor_pattern_size (preprocessor);
  PtlArray *pattern = ptl_array_new_2d (PTL_DTYPE_FLOAT, m, m);

  if (!ptl_preprocessor_process (preprocessor, frame, 1, ptl_array_float (pattern), NULL, error))
    {
      ptl_array_free (pattern);
      return NULL;
    }
  return pattern;
}
