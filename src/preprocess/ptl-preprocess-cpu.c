/* The CPU path: one pass over the crop's rows, b detector rows at a time, accumulated into
 * one row of column sums and then summed b columns at a time. Only the crop is read. */
#include "config.h"

#include "ptl-preprocess-private.h"

#include <string.h>

#include "core/ptl-array.h"
#include "core/ptl-simd.h"

gsize
_ptl_preprocess_cpu_scratch_size (const PtlPreprocessPlan *plan)
{
  /* column sums (float) and saturation flags (uint8), each padded to the alignment */
  gsize sums = ((gsize) plan->crop * sizeof (float) + PTL_ARRAY_ALIGNMENT - 1)
               / PTL_ARRAY_ALIGNMENT * PTL_ARRAY_ALIGNMENT;
  return sums + plan->crop;
}

/* One detector row of the crop added into the column sums: the formula of
 * ptl-preprocess-plan.h, and the saturation flags. */
PTL_PIXEL_LOOP static void
accumulate_row (const guint16 *restrict raw,
                const float *restrict   dark,
                const float *restrict   scale,
                gsize                   n,
                guint32                 saturation,
                float *restrict         sums,
                guint8 *restrict        saturated)
{
  for (gsize c = 0; c < n; c++)
    {
      guint32 r = raw[c];
      float v = (float) r - dark[c];
      v = v > 0.0f ? v : 0.0f;
      v = r >= saturation ? 0.0f : v * scale[c];
      sums[c] += v;
      saturated[c] |= r >= saturation;
    }
}

/* Sums of b adjacent columns: the pattern row, and the mask row. */
static void
bin_columns (const float   *sums,
             const guint8  *saturated,
             const guint8  *static_mask,
             guint          m,
             guint          bin,
             float         *pattern,
             guint8        *mask)
{
  for (guint j = 0; j < m; j++)
    {
      float v = 0.0f;
      guint8 any = 0;
      for (guint t = 0; t < bin; t++)
        {
          v += sums[j * bin + t];
          any |= saturated[j * bin + t];
        }
      pattern[j] = v;
      if (mask != NULL)
        mask[j] = static_mask[j] && !any;
    }
}

void
_ptl_preprocess_cpu_rows (const PtlPreprocessPlan *plan,
                          const guint16           *frame,
                          guint                    row_begin,
                          guint                    row_end,
                          float                   *pattern,
                          guint8                  *mask,
                          gpointer                 scratch)
{
  guint crop = plan->crop, bin = plan->bin, m = crop / bin;
  float *sums = scratch;
  guint8 *saturated = (guint8 *) scratch + _ptl_preprocess_cpu_scratch_size (plan) - crop;
  /* 0 means no limit: no uint16 value reaches 65536. */
  guint32 saturation = plan->saturation > 0 ? plan->saturation : 65536;

  for (guint i = row_begin; i < row_end; i++)
    {
      memset (sums, 0, crop * sizeof (float));
      memset (saturated, 0, crop);
      for (guint s = 0; s < bin; s++)
        {
          gsize r = (gsize) i * bin + s;
          accumulate_row (frame + (plan->row0 + r) * plan->frame_cols + plan->col0,
                          plan->dark + r * crop, plan->scale + r * crop, crop, saturation, sums,
                          saturated);
        }
      bin_columns (sums, saturated, plan->static_mask + (gsize) i * m, m, bin,
                   pattern + (gsize) i * m, mask ? mask + (gsize) i * m : NULL);
    }
}
