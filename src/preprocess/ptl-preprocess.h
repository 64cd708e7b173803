/* Preprocessing of raw detector frames (reference/algorithms.md §7): crop first, then
 * signed dark subtraction clamped at 0, optional gain/flat and ADU→photon conversion, bad
 * and saturated pixels masked, and b×b rebinning by summing. Output: float32 photons with
 * zero frequency at (M/2, M/2), M = crop/bin, and the binned mask of the frame. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-preprocess-params.h"

G_BEGIN_DECLS


/* Calibration of the whole detector, for frames of rows×cols. The arrays carry their own
 * shapes (a dark taken with another detector mode is an error) and may be NULL. */
typedef struct
{
  guint           rows;
  guint           cols;
  const PtlArray *dark; /* float [rows][cols]: mean of a dark series, ADU (NULL: none) */
  const PtlArray *gain; /* float [rows][cols]: flat-field factor that multiplies (NULL: 1) */
  const guint8   *mask; /* [rows][cols]: 1 = good, 0 = bad (NULL: all good) */
} PtlDetectorCalibration;

typedef enum
{
  PTL_PREPROCESS_CPU,
  PTL_PREPROCESS_CUDA,
  PTL_PREPROCESS_AUTO /* CUDA when a device answers, else the CPU */
} PtlPreprocessDevice;

typedef struct _PtlPreprocessor PtlPreprocessor;


/* Mean and standard deviation per pixel of n dark frames. */
gboolean ptl_dark_from_series (const guint16 *frames,
                               guint          n,
                               guint          rows,
                               guint          cols,
                               float         *mean,
                               float         *sigma,
                               GError       **error);
/* Marks bad pixels from dark statistics (robust: median and MAD over the detector): hot
 * (mean too high), dead or stuck (mean too low, or no noise at all), noisy (sigma too
 * high), each beyond `threshold` robust standard deviations. Returns how many it marked;
 * pixels already 0 in `mask` stay 0. */
guint ptl_mask_from_dark (const float *mean,
                          const float *sigma,
                          gsize        n_pixels,
                          double       threshold,
                          guint8      *mask);

/* Validates everything against the frame size: crop outside the frame, bin not dividing
 * the crop, calibration of the wrong shape, NaN/Inf in gain or dark. With auto_centre the
 * crop is placed by ptl_preprocessor_find_centre before the first frame is processed. */
PtlPreprocessor *ptl_preprocessor_new (const PtlPreprocessParams    *params,
                                       const PtlDetectorCalibration *calibration,
                                       PtlPreprocessDevice           device,
                                       guint                         threads,
                                       GError                      **error);
/* The same on GPU number `gpu` (the first is 0): with two GPUs, preprocessing on one and
 * the reconstruction on the other. A GPU that does not exist is an error for
 * PTL_PREPROCESS_CUDA and means the CPU for PTL_PREPROCESS_AUTO. */
PtlPreprocessor *ptl_preprocessor_new_on_gpu (const PtlPreprocessParams    *params,
                                              const PtlDetectorCalibration *calibration,
                                              PtlPreprocessDevice           device,
                                              int                           gpu,
                                              guint                         threads,
                                              GError                      **error);
void             ptl_preprocessor_free (PtlPreprocessor *preprocessor);
const char      *ptl_preprocessor_device_name (PtlPreprocessor *preprocessor);
/* The device in words: the GPU and its runtime, or the CPU threads. */
const char      *ptl_preprocessor_device_description (PtlPreprocessor *preprocessor);
/* Host memory for frames that the device reads fastest: page-locked on the CUDA path (the
 * copies run at full bus speed), aligned memory on the CPU. */
gpointer         ptl_preprocessor_host_alloc (PtlPreprocessor *preprocessor,
                                              gsize            bytes,
                                              GError         **error);
void             ptl_preprocessor_host_free (PtlPreprocessor *preprocessor,
                                             gpointer         memory);

/* Centre of mass of the dark-subtracted, masked mean of n full frames; sets the crop there
 * (held fixed from then on). Fails if the centre puts the crop outside the frame. */
gboolean ptl_preprocessor_find_centre (PtlPreprocessor *preprocessor,
                                       const guint16   *frames,
                                       guint            n,
                                       GError         **error);
void     ptl_preprocessor_get_centre (PtlPreprocessor *preprocessor,
                                      double          *row,
                                      double          *col);
guint    ptl_preprocessor_pattern_size (PtlPreprocessor *preprocessor);

/* n full frames, one after the other ([n][rows][cols] uint16); only the crop's rows and
 * columns are read. Writes n patterns [n][M][M] (photons) and n masks [n][M][M] (1 =
 * measured: every detector pixel of the bin good and unsaturated). `masks` may be NULL. */
gboolean ptl_preprocessor_process (PtlPreprocessor *preprocessor,
                                   const guint16   *frames,
                                   guint            n,
                                   float           *patterns,
                                   guint8          *masks,
                                   GError         **error);

/* CUDA path only (PTL_BACKEND_ERROR_UNAVAILABLE on the CPU), for the benchmark: the kernel
 * alone on n frames already on the device, and the pinned host→device bandwidth. */
gboolean ptl_preprocessor_time_kernel (PtlPreprocessor *preprocessor,
                                       guint            n,
                                       double          *seconds,
                                       GError         **error);
gboolean ptl_preprocessor_bus_bandwidth (PtlPreprocessor *preprocessor,
                                         gsize            bytes,
                                         double          *bytes_per_second,
                                         GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPreprocessor, ptl_preprocessor_free)

G_END_DECLS
