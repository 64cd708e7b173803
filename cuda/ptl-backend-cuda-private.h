/* Inside the CUDA backend module: the context that every op file shares, and the helpers
 * that turn CUDA and cuFFT statuses into GErrors. */
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>
#include <glib.h>

#include "ptl-cuda-kernels.h"
#include "recon/ptl-backend-private.h"

G_BEGIN_DECLS

typedef struct _CudaSnapshot CudaSnapshot;

typedef struct
{
  int              device;
  cudaStream_t     stream;   /* every op of the context runs here, in call order */
  cudaStream_t     transfer; /* snapshot copies to the host, behind events */
  char            *description;
  PtlCudaWorkspace workspace;
  gsize            partial_capacity; /* floats in workspace.partials */
  GPtrArray       *snapshots;        /* CudaSnapshot *: finished ones, for reuse */
} CudaContext;

gboolean _ptl_cuda_check (cudaError_t status,
                          const char *what,
                          GError    **error);
gboolean _ptl_cuda_check_cufft (cufftResult status,
                                const char *what,
                                GError    **error);
gboolean _ptl_cuda_make_current (CudaContext *cuda,
                                 GError     **error);
/* Checks that frames of m×m pixels can be indexed on the device. */
gboolean _ptl_cuda_check_frame (guint    m,
                                GError **error);
/* Grows the workspace's partials to at least `floats` floats. Waits for the stream only
 * when it must grow. */
gboolean _ptl_cuda_reserve_workspace (CudaContext *cuda,
                                      gsize        floats,
                                      GError     **error);
/* Grows the workspace to hold the partial results of `n_values` values per block for a
 * batch of `count` frames of m×m pixels. */
gboolean _ptl_cuda_reserve_partials (CudaContext *cuda,
                                     guint        count,
                                     guint        m,
                                     guint        n_values,
                                     GError     **error);

/* The PIE ops (ptl-backend-cuda-pie.c). */
gboolean _ptl_cuda_exit_wave (gpointer           ctx,
                              const PtlPieBatch *batch,
                              GError           **error);
gboolean _ptl_cuda_fourier_constraint (gpointer           ctx,
                                       const PtlPieBatch *batch,
                                       GError           **error);
gboolean _ptl_cuda_pie_update (gpointer           ctx,
                               const PtlPieBatch *batch,
                               GError           **error);

/* The batched engines' ops (ptl-backend-cuda-waves.c). */
gboolean _ptl_cuda_projection_input (gpointer            ctx,
                                     const PtlWaveBatch *batch,
                                     float               c,
                                     GError            **error);
gboolean _ptl_cuda_exit_update (gpointer            ctx,
                                const PtlWaveBatch *batch,
                                float               a,
                                float               b,
                                GError            **error);
gboolean _ptl_cuda_overlap_accumulate (gpointer            ctx,
                                       const PtlWaveBatch *batch,
                                       GError            **error);
gboolean _ptl_cuda_ml_residual (gpointer            ctx,
                                const PtlWaveBatch *batch,
                                PtlNoiseModel       model,
                                GError            **error);
gboolean _ptl_cuda_ml_line_waves (gpointer            ctx,
                                  const PtlWaveBatch *batch,
                                  PtlBuffer          *object_dir,
                                  PtlBuffer          *probe_dir,
                                  GError            **error);
gboolean _ptl_cuda_ml_line_coefficients (gpointer            ctx,
                                         const PtlWaveBatch *batch,
                                         PtlNoiseModel       model,
                                         PtlBuffer          *coefficients,
                                         GError            **error);
gboolean _ptl_cuda_fourier_error (gpointer            ctx,
                                  const PtlWaveBatch *batch,
                                  GError            **error);

/* Whole-array ops (ptl-backend-cuda-vector.c). */
gboolean _ptl_cuda_overlap_divide (gpointer   ctx,
                                   PtlBuffer *dst,
                                   PtlBuffer *num,
                                   PtlBuffer *den,
                                   gsize      n,
                                   guint      layers,
                                   float      c_dst,
                                   float      c_den,
                                   GError   **error);
gboolean _ptl_cuda_dot (gpointer         ctx,
                        const PtlBuffer *x,
                        const PtlBuffer *y,
                        gsize            n_complex,
                        PtlBuffer       *result,
                        guint            index,
                        GError         **error);
gboolean _ptl_cuda_axpby (gpointer         ctx,
                          PtlBuffer       *y,
                          const PtlBuffer *x,
                          gsize            n_complex,
                          float            a,
                          float            b,
                          GError         **error);
gboolean _ptl_cuda_momentum (gpointer   ctx,
                             PtlBuffer *x,
                             PtlBuffer *snapshot,
                             PtlBuffer *velocity,
                             gsize      n_complex,
                             float      friction,
                             float      feedback,
                             GError   **error);

/* Snapshots and bandwidth (ptl-backend-cuda-transfer.c). */
gpointer _ptl_cuda_snapshot_begin (gpointer         ctx,
                                   const PtlBuffer *src,
                                   gsize            offset,
                                   gsize            bytes,
                                   GError         **error);
gboolean _ptl_cuda_snapshot_finish (gpointer ctx,
                                    gpointer snapshot,
                                    void    *dst,
                                    GError **error);
void     _ptl_cuda_snapshot_release (CudaSnapshot *snapshot);
/* ptl-cuda-device-image.c */
PtlDeviceImage *_ptl_cuda_device_image (gpointer         ctx,
                                        const PtlBuffer *src,
                                        gsize            offset,
                                        gsize            bytes,
                                        GError         **error);
gboolean _ptl_cuda_measure_bandwidth (gpointer ctx,
                                      gsize    bytes,
                                      double  *copy_bytes_per_s,
                                      double  *upload_bytes_per_s,
                                      GError **error);

G_END_DECLS
