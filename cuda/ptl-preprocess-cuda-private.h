/* Inside the CUDA module's preprocessing: the context that its two files share (its life
 * in ptl-preprocess-cuda.c, the frames' way through it in ptl-preprocess-cuda-process.c),
 * and the helpers that turn CUDA statuses into GErrors. */
#pragma once

#include <cuda_runtime.h>
#include <glib.h>

#include "preprocess/ptl-preprocess-plan.h"
#include "ptl-cuda-kernels.h"

G_BEGIN_DECLS

/* A slot's arrays, carved from one block. */
typedef struct
{
  guint16 *raw;      /* [capacity][crop][crop] */
  float   *patterns; /* [capacity][m][m] */
  guint8  *masks;    /* [capacity][m][m] */
} Buffers;

enum
{
  COPIED,   /* the chunk's crops are on the device */
  COMPUTED, /* its kernel is done */
  RETURNED, /* its results are in host memory */
  N_SLOT_EVENTS
};

typedef struct
{
  Buffers     device;
  Buffers     host; /* pinned staging for pageable memory */
  cudaEvent_t events[N_SLOT_EVENTS];
} Slot;

typedef struct
{
  int               device;
  cudaStream_t      upload;
  cudaStream_t      compute;
  cudaStream_t      download;
  cudaEvent_t       start; /* timing */
  cudaEvent_t       stop;
  char             *description;

  gboolean          has_plan;
  PtlPreprocessPlan plan;        /* geometry only: the arrays are copied to the device */
  gsize             crop_pixels; /* crop² */
  gsize             out_pixels;  /* m² */
  float            *dark;        /* device [crop][crop], one block with the next two */
  float            *scale;       /* device [crop][crop] */
  guint8           *static_mask; /* device [m][m] */
  guint             capacity;    /* frames per slot */
  Slot              slots[2];
} CudaPreprocess;

/* The context's helpers (ptl-preprocess-cuda.c). */
gboolean _ptl_preprocess_cuda_check (cudaError_t status,
                                     const char *what,
                                     GError    **error);
gboolean _ptl_preprocess_cuda_make_current (CudaPreprocess *pp,
                                            GError        **error);
void     _ptl_preprocess_cuda_drain_streams (CudaPreprocess *pp);
gboolean _ptl_preprocess_cuda_check_plan (CudaPreprocess *pp,
                                          GError        **error);

/* The ops on frames (ptl-preprocess-cuda-process.c); see PtlPreprocessDeviceOps. */
gboolean _ptl_preprocess_cuda_process (gpointer       ctx,
                                       const guint16 *frames,
                                       guint          n,
                                       float         *patterns,
                                       guint8        *masks,
                                       GError       **error);
gboolean _ptl_preprocess_cuda_time_kernel (gpointer ctx,
                                           guint    n,
                                           double  *seconds,
                                           GError **error);
gboolean _ptl_preprocess_cuda_host_to_device_bandwidth (gpointer ctx,
                                                        gsize    bytes,
                                                        double  *bytes_per_second,
                                                        GError **error);

G_END_DECLS
