/* Shared inside src/preprocess: the CPU path's entry points. */
#pragma once

#include "ptl-preprocess-plan.h"

G_BEGIN_DECLS

/* Scratch one worker needs for one frame: crop floats and crop flags. */
gsize _ptl_preprocess_cpu_scratch_size (const PtlPreprocessPlan *plan);

/* Output rows [row_begin, row_end) of one frame. */
void _ptl_preprocess_cpu_rows (const PtlPreprocessPlan *plan,
                               const guint16           *frame,
                               guint                    row_begin,
                               guint                    row_end,
                               float                   *pattern,
                               guint8                  *mask,
                               gpointer                 scratch);

G_END_DECLS
