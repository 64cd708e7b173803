/* For preprocessing implementations only (src/preprocess and the cuda/ module): the crop
 * and the calibration cut to it, prepared once by ptl_preprocessor_new, and the table of
 * operations the CUDA module provides. Both paths compute, per detector pixel of the crop,
 *   v = raw ≥ saturation (when saturation > 0) ? 0 : max(raw − dark, 0) · scale
 * in float32 (subtract, clamp, then multiply: no fused multiply-add), sum the b×b values
 * of each pattern pixel (the order of that sum may differ between paths: results agree to
 * float rounding, ~1e-7 relative), and mark the pattern pixel measured when its static
 * mask is 1 and no pixel of the bin is saturated. Masked detector pixels have scale = 0. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint         frame_rows;  /* full detector frame */
  guint         frame_cols;
  guint         row0;        /* top-left corner of the crop on the detector */
  guint         col0;
  guint         crop;
  guint         bin;
  guint         saturation;  /* 0 = none */
  const float  *dark;        /* [crop][crop], 0 where there is no dark */
  const float  *scale;       /* [crop][crop]: gain / adu_per_photon, 0 for bad pixels */
  const guint8 *static_mask; /* [M][M]: 1 when every detector pixel of the bin is good */
} PtlPreprocessPlan;

#define PTL_PREPROCESS_MODULE_ENTRY "ptl_preprocess_module_open"

typedef struct
{
  const char *name; /* "cuda" */
  void        (*destroy) (gpointer ctx);
  const char *(*describe) (gpointer ctx);
  /* Uploads the cut calibration; called again when the crop moves (auto centre). */
  gboolean    (*set_plan) (gpointer ctx, const PtlPreprocessPlan *plan, GError **error);
  /* n full frames [n][frame_rows][frame_cols] in host memory; only the crop's rows cross
   * the bus (a 2-D copy), and the copy of frame k+1 overlaps the kernel of frame k. The
   * results land in host memory, complete on return. */
  gboolean    (*process) (gpointer ctx, const guint16 *frames, guint n, float *patterns,
                          guint8 *masks, GError **error);
  /* Page-locked host memory for frames, so that copies run at full bus speed. */
  gpointer    (*host_alloc) (gpointer ctx, gsize bytes, GError **error);
  void        (*host_free) (gpointer ctx, gpointer memory);
  /* For the benchmark: the kernel alone on n frames already on the device, and the pinned
   * host→device bandwidth of this card for copies of `bytes`. */
  gboolean    (*time_kernel) (gpointer ctx, guint n, double *seconds, GError **error);
  gboolean    (*host_to_device_bandwidth) (gpointer ctx, gsize bytes, double *bytes_per_second,
                                           GError **error);
} PtlPreprocessDeviceOps;

/* Returns FALSE with PTL_BACKEND_ERROR_UNAVAILABLE when no device answers. */
typedef gboolean (*PtlPreprocessModuleOpen) (int                            device,
                                             const PtlPreprocessDeviceOps **ops,
                                             gpointer                      *ctx,
                                             GError                       **error);

G_END_DECLS
