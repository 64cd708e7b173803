/* Launchers of the CUDA kernels, callable from C. Each enqueues its work on `stream` and
 * returns the launch status (cudaGetLastError); none waits for the device.
 *
 * The kernels see plain device pointers: the C side unpacks PtlPieBatch, whose header
 * uses C99 complex types that nvcc's C++ cannot read. */
#pragma once

#include <stddef.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One PIE batch on the device; the fields mirror PtlPieBatch. */
typedef struct
{
  float2         *object;      /* [canvas_rows][canvas_cols] */
  unsigned int    canvas_cols;
  float2         *probe;       /* [m][m] */
  unsigned int    m;
  float2         *exit;        /* [count][m][m] */
  const float    *amplitudes;  /* [n_frames][m][m], < 0 = masked */
  const int      *positions;   /* [n_frames][2]: row, col of the window's top-left corner */
  const unsigned *order;       /* frame of batch slot k is order[first + k] */
  unsigned int    first;
  unsigned int    count;
  float          *errors;      /* [n_frames] */
  float          *scratch;     /* [count][2]: max|P|², max|O_j|² */
  int             rpie;
  float           alpha;
  float           beta;
  int             update_probe;
} PtlCudaPieArgs;

cudaError_t ptl_cuda_scale (cudaStream_t stream,
                            float2      *data,
                            size_t       n,
                            float        factor);

cudaError_t ptl_cuda_exit_wave (cudaStream_t          stream,
                                const PtlCudaPieArgs *args);

cudaError_t ptl_cuda_fourier_constraint (cudaStream_t          stream,
                                         const PtlCudaPieArgs *args);

cudaError_t ptl_cuda_pie_update (cudaStream_t          stream,
                                 const PtlCudaPieArgs *args);

/* One chunk of frames for the fused preprocessing kernel (ptl-preprocess-plan.h). */
typedef struct
{
  const unsigned short *raw;         /* [frames][crop][crop]: the crops, packed */
  const float          *dark;        /* [crop][crop] */
  const float          *scale;       /* [crop][crop] */
  const unsigned char  *static_mask; /* [m][m] */
  float                *patterns;    /* [frames][m][m] */
  unsigned char        *masks;       /* [frames][m][m] */
  unsigned int          crop;
  unsigned int          bin;
  unsigned int          frames;      /* at most PTL_CUDA_PREPROCESS_MAX_FRAMES */
  unsigned int          saturation;  /* raw ≥ this is saturated; 65536 for no limit */
} PtlCudaPreprocessArgs;

/* Frames in one launch: one grid row per frame. */
#define PTL_CUDA_PREPROCESS_MAX_FRAMES 65535u

cudaError_t ptl_cuda_preprocess (cudaStream_t                 stream,
                                 const PtlCudaPreprocessArgs *args);

#ifdef __cplusplus
}
#endif
