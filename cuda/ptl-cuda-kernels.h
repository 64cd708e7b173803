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

/* Scratch memory of a context for reductions across the blocks of a slot
 * (ptl-cuda-reduce.cuh): partial results, and one arrival counter per slot of a launch,
 * kept at 0 between launches. */
typedef struct
{
  float    *partials; /* at least ptl_cuda_partials_needed () floats for the launch */
  unsigned *counters; /* [PTL_CUDA_MAX_SLOTS_PER_LAUNCH] */
} PtlCudaWorkspace;

/* cudaSuccess when this module holds kernels the current device can run: a card older
 * than the architectures it was built for answers cudaErrorNoKernelImageForDevice. */
cudaError_t ptl_cuda_kernel_image_status (void);

/* One PIE batch on the device; the fields mirror PtlPieBatch. */
typedef struct
{
  float2         *object;      /* [canvas_rows][canvas_cols] */
  unsigned int    canvas_cols;
  float2         *probe;       /* [modes][m][m] */
  unsigned int    m;
  unsigned int    modes;       /* K ≥ 1 */
  float2         *exit;        /* [count][modes][m][m] */
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
  float           amplitude_tolerance; /* Fourier constraint: 0 = exact projection */
  PtlCudaWorkspace workspace;
} PtlCudaPieArgs;

cudaError_t ptl_cuda_scale (cudaStream_t stream,
                            float2      *data,
                            size_t       n,
                            float        factor);

cudaError_t ptl_cuda_exit_wave (cudaStream_t          stream,
                                const PtlCudaPieArgs *args);

cudaError_t ptl_cuda_fourier_constraint (cudaStream_t          stream,
                                         const PtlCudaPieArgs *args);

/* Needs 8 · count floats of workspace partials (a plan of each slot). */
cudaError_t ptl_cuda_pie_update (cudaStream_t          stream,
                                 const PtlCudaPieArgs *args);

/* One batch of the batched engines on the device; the fields mirror PtlWaveBatch, and a
 * buffer the op does not use is NULL. */
typedef struct
{
  float2          *object;      /* [canvas_rows][canvas_cols] */
  unsigned int     canvas_cols;
  float2          *probe;       /* [modes][m][m] */
  unsigned int     m;
  unsigned int     modes;
  const int       *positions;   /* [n_frames][2] */
  const unsigned  *frames;      /* frame of slot k is frames[first + k] */
  unsigned int     first;
  unsigned int     count;
  float2          *work;        /* [count][modes][m][m] (line search: [3][count][modes][m][m]) */
  float2          *waves;       /* [n_frames][modes][m][m] */
  const float     *amplitudes;  /* [n_frames][m][m], < 0 = masked */
  float           *errors;
  float2          *object_num;  /* [canvas] accumulators */
  float           *object_den;
  float2          *probe_num;   /* [modes][m][m] accumulators */
  float           *probe_den;
  PtlCudaWorkspace workspace;
} PtlCudaWaveArgs;

/* The batched engines' kernels (waves-kernels.cu), one per op of the same name. The ones
 * that reduce per slot need ptl_cuda_wave_partials () floats of workspace. */
size_t      ptl_cuda_wave_partials (const PtlCudaWaveArgs *args);
cudaError_t ptl_cuda_projection_input (cudaStream_t           stream,
                                       const PtlCudaWaveArgs *args,
                                       float                  c);
cudaError_t ptl_cuda_exit_update (cudaStream_t           stream,
                                  const PtlCudaWaveArgs *args,
                                  float                  a,
                                  float                  b);
cudaError_t ptl_cuda_overlap_accumulate (cudaStream_t           stream,
                                         const PtlCudaWaveArgs *args);
cudaError_t ptl_cuda_ml_residual (cudaStream_t           stream,
                                  const PtlCudaWaveArgs *args,
                                  int                    poisson);
cudaError_t ptl_cuda_ml_line_waves (cudaStream_t           stream,
                                    const PtlCudaWaveArgs *args,
                                    const float2          *object_dir,
                                    const float2          *probe_dir);
cudaError_t ptl_cuda_ml_line_coefficients (cudaStream_t           stream,
                                           const PtlCudaWaveArgs *args,
                                           int                    poisson,
                                           float                 *coefficients);
cudaError_t ptl_cuda_fourier_error (cudaStream_t           stream,
                                    const PtlCudaWaveArgs *args);

/* Whole-array kernels (vector-kernels.cu); n counts complex values. */
cudaError_t ptl_cuda_overlap_divide (cudaStream_t stream,
                                     float2      *dst,
                                     float2      *num,
                                     float       *den,
                                     size_t       n,
                                     unsigned     layers,
                                     float        c_dst,
                                     float        c_den);
cudaError_t ptl_cuda_axpby (cudaStream_t  stream,
                            float2       *y,
                            const float2 *x,
                            size_t        n,
                            float         a,
                            float         b);
cudaError_t ptl_cuda_momentum (cudaStream_t stream,
                               float2      *x,
                               float2      *snapshot,
                               float2      *velocity,
                               size_t       n,
                               float        friction,
                               float        feedback);
/* Floats of workspace partials that ptl_cuda_dot needs for n values. */
size_t      ptl_cuda_dot_workspace (size_t n);
cudaError_t ptl_cuda_dot (cudaStream_t     stream,
                          const float2    *x,
                          const float2    *y,
                          size_t           n,
                          float           *result,
                          PtlCudaWorkspace workspace);

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
