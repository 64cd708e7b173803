/* Shared inside src/preprocess: the preprocessor's state, which its files share (the
 * object in ptl-preprocess.c, the automatic centre in ptl-preprocess-centre.c), and the
 * CPU path's entry points (ptl-preprocess-cpu.c). */
#pragma once

#include "ptl-preprocess-plan.h"
#include "ptl-preprocess.h"

G_BEGIN_DECLS

struct _PtlPreprocessor
{
  PtlPreprocessParams params;
  guint               rows;
  guint               cols;
  float              *dark;  /* full-frame copies, kept because the crop can move */
  float              *gain;
  guint8             *mask;

  PtlPreprocessPlan plan;    /* the crop and the calibration cut to it */
  float            *plan_dark;
  float            *plan_scale;
  guint8           *plan_static_mask;

  guint        threads;
  GThreadPool *pool;
  char        *cpu_description;

  const PtlPreprocessDeviceOps *device_ops; /* NULL: the CPU path */
  gpointer                      device_ctx;
};

/* The plan for the current centre, also given to the device (ptl-preprocess.c). */
gboolean _ptl_preprocessor_build_plan (PtlPreprocessor *p,
                                       GError         **error);

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
