/* The preprocessor: the checks of its parameters, the plan (the crop and the calibration
 * cut to it), the choice of device, and the frames handed to the CPU workers or to the
 * CUDA module. The dark statistics are in ptl-preprocess-dark.c, the automatic centre in
 * ptl-preprocess-centre.c, the CPU path's arithmetic in ptl-preprocess-cpu.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Preprocess"

#include "ptl-preprocess.h"

#include <math.h>
#include <string.h>

#include "core/ptl-array.h"
#include "core/ptl-error.h"
#include "core/ptl-module.h"
#include "ptl-preprocess-private.h"

#define MAX_FRAME_SIDE 16384

static gboolean
all_finite (const float *values,
            gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (values[i]))
      return FALSE;
  return TRUE;
}

static gboolean
validate (const PtlPreprocessParams    *params,
          const PtlDetectorCalibration *cal,
          GError                      **error)
{
  gsize pixels = (gsize) cal->rows * cal->cols;

  if (cal->rows == 0 || cal->cols == 0 || cal->rows > MAX_FRAME_SIDE || cal->cols > MAX_FRAME_SIDE)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Detector frames of %u×%u pixels are not supported (1 to %u per side)",
                   cal->rows, cal->cols, MAX_FRAME_SIDE);
      return FALSE;
    }
  if (params->bin == 0 || params->crop == 0 || params->crop % params->bin != 0
      || (params->crop / params->bin) % 2 != 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "Binning %u must divide the crop %u into an even number of pattern pixels",
                   params->bin, params->crop);
      return FALSE;
    }
  if (params->crop > cal->rows || params->crop > cal->cols)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "A crop of %u pixels does not fit in a %u×%u frame", params->crop, cal->rows,
                   cal->cols);
      return FALSE;
    }
  if (!(params->adu_per_photon > 0.0 && isfinite (params->adu_per_photon)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "ADU per photon must be positive (got %g)", params->adu_per_photon);
      return FALSE;
    }
  if (params->saturation > G_MAXUINT16 + 1u)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Saturation %u is beyond the 16-bit range", params->saturation);
      return FALSE;
    }
  if (params->auto_centre && params->auto_centre_frames == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "The automatic centre needs at least one frame");
      return FALSE;
    }
  const PtlArray *arrays[] = { cal->dark, cal->gain };
  const char *names[] = { "dark", "gain (flat field)" };
  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    if (arrays[i] != NULL
        && (arrays[i]->dtype != PTL_DTYPE_FLOAT || arrays[i]->ndim != 2
            || ptl_array_rows (arrays[i]) != cal->rows || ptl_array_cols (arrays[i]) != cal->cols))
      {
        g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                     "The %s is not a %u×%u float image like the frames (got %" G_GSIZE_FORMAT
                     "×%" G_GSIZE_FORMAT ")",
                     names[i], cal->rows, cal->cols, ptl_array_rows (arrays[i]),
                     ptl_array_cols (arrays[i]));
        return FALSE;
      }
  if (cal->dark != NULL && !all_finite (ptl_array_float (cal->dark), pixels))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The dark contains NaN or infinite values");
      return FALSE;
    }
  if (cal->gain != NULL && !all_finite (ptl_array_float (cal->gain), pixels))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "The gain (flat field) contains NaN or infinite values");
      return FALSE;
    }
  return TRUE;
}

/* Cuts the calibration to the crop around the current centre; fails when the crop leaves
 * the frame. */
gboolean
_ptl_preprocessor_build_plan (PtlPreprocessor *p,
                              GError         **error)
{
  guint crop = p->params.crop, bin = p->params.bin, m = crop / bin;
  double row0 = round (p->params.centre_row - crop / 2.0);
  double col0 = round (p->params.centre_col - crop / 2.0);

  if (!(row0 >= 0 && col0 >= 0 && row0 + crop <= p->rows && col0 + crop <= p->cols))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "A %u-pixel crop centred at (%.1f, %.1f) leaves the %u×%u frame", crop,
                   p->params.centre_row, p->params.centre_col, p->rows, p->cols);
      return FALSE;
    }

  float inv_adu = (float) (1.0 / p->params.adu_per_photon);
  for (guint r = 0; r < crop; r++)
    for (guint c = 0; c < crop; c++)
      {
        gsize full = ((gsize) row0 + r) * p->cols + (gsize) col0 + c;
        gsize cut = (gsize) r * crop + c;
        gboolean good = p->mask == NULL || p->mask[full];
        float gain = p->gain != NULL ? p->gain[full] : 1.0f;
        p->plan_dark[cut] = p->dark != NULL ? p->dark[full] : 0.0f;
        p->plan_scale[cut] = good && gain > 0.0f ? gain * inv_adu : 0.0f;
      }
  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < m; j++)
      {
        guint8 good = 1;
        for (guint s = 0; s < bin; s++)
          for (guint t = 0; t < bin; t++)
            good &= p->plan_scale[((gsize) i * bin + s) * crop + (gsize) j * bin + t] > 0.0f;
        p->plan_static_mask[(gsize) i * m + j] = good;
      }

  p->plan = (PtlPreprocessPlan) {
    .frame_rows = p->rows,
    .frame_cols = p->cols,
    .row0 = (guint) row0,
    .col0 = (guint) col0,
    .crop = crop,
    .bin = bin,
    .saturation = p->params.saturation,
    .dark = p->plan_dark,
    .scale = p->plan_scale,
    .static_mask = p->plan_static_mask,
  };
  return p->device_ops == NULL || p->device_ops->set_plan (p->device_ctx, &p->plan, error);
}

static gboolean
open_device (PtlPreprocessor    *p,
             PtlPreprocessDevice device,
             int                 gpu,
             GError            **error)
{
  g_autoptr (GError) local = NULL;
  PtlPreprocessModuleOpen open_fn = NULL;

  if (device == PTL_PREPROCESS_CPU)
    return TRUE;
  if (ptl_cuda_module_symbol (PTL_PREPROCESS_MODULE_ENTRY, (gpointer *) &open_fn, &local)
      && open_fn (gpu, &p->device_ops, &p->device_ctx, &local))
    return TRUE;
  p->device_ops = NULL;
  if (device == PTL_PREPROCESS_CUDA)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_message ("CUDA preprocessing not available (%s); preprocessing on the CPU", local->message);
  return TRUE;
}

static void run_job (gpointer data, gpointer user_data);

PtlPreprocessor *
ptl_preprocessor_new (const PtlPreprocessParams    *params,
                      const PtlDetectorCalibration *calibration,
                      PtlPreprocessDevice           device,
                      guint                         threads,
                      GError                      **error)
{
  return ptl_preprocessor_new_on_gpu (params, calibration, device, 0, threads, error);
}

PtlPreprocessor *
ptl_preprocessor_new_on_gpu (const PtlPreprocessParams    *params,
                             const PtlDetectorCalibration *calibration,
                             PtlPreprocessDevice           device,
                             int                           gpu,
                             guint                         threads,
                             GError                      **error)
{
  g_autoptr (PtlPreprocessor) p = NULL;
  gsize pixels = (gsize) calibration->rows * calibration->cols;
  gsize crop2 = (gsize) params->crop * params->crop;

  if (!validate (params, calibration, error))
    return NULL;

  p = g_new0 (PtlPreprocessor, 1);
  p->params = *params;
  p->rows = calibration->rows;
  p->cols = calibration->cols;
  p->dark = calibration->dark ? g_memdup2 (calibration->dark->data, pixels * sizeof (float)) : NULL;
  p->gain = calibration->gain ? g_memdup2 (calibration->gain->data, pixels * sizeof (float)) : NULL;
  p->mask = calibration->mask ? g_memdup2 (calibration->mask, pixels) : NULL;
  p->plan_dark = ptl_aligned_alloc0 (crop2 * sizeof (float));
  p->plan_scale = ptl_aligned_alloc0 (crop2 * sizeof (float));
  p->plan_static_mask = ptl_aligned_alloc0 (crop2 / ((gsize) params->bin * params->bin));
  p->threads = threads > 0 ? threads : g_get_num_processors ();

  if (gpu < 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "GPU number %d is negative", gpu);
      return NULL;
    }
  if (!open_device (p, device, gpu, error))
    return NULL;
  /* With the automatic centre the crop is placed later; until then the given centre
   * stands in, and only needs to be a valid one when it is used. */
  if (!params->auto_centre && !_ptl_preprocessor_build_plan (p, error))
    return NULL;
  if (p->device_ops == NULL && p->threads > 1)
    p->pool = g_thread_pool_new (run_job, p, (gint) p->threads, TRUE, NULL);
  return g_steal_pointer (&p);
}

void
ptl_preprocessor_free (PtlPreprocessor *p)
{
  if (p == NULL)
    return;
  if (p->pool != NULL)
    g_thread_pool_free (p->pool, FALSE, TRUE);
  if (p->device_ops != NULL)
    p->device_ops->destroy (p->device_ctx);
  g_free (p->dark);
  g_free (p->gain);
  g_free (p->mask);
  g_free (p->cpu_description);
  ptl_aligned_free (p->plan_dark);
  ptl_aligned_free (p->plan_scale);
  ptl_aligned_free (p->plan_static_mask);
  g_free (p);
}

const char *
ptl_preprocessor_device_name (PtlPreprocessor *p)
{
  return p->device_ops != NULL ? p->device_ops->name : "cpu";
}

const char *
ptl_preprocessor_device_description (PtlPreprocessor *p)
{
  if (p->device_ops != NULL)
    return p->device_ops->describe (p->device_ctx);
  if (p->cpu_description == NULL)
    p->cpu_description = g_strdup_printf ("CPU, %u thread%s", p->threads,
                                          p->threads == 1 ? "" : "s");
  return p->cpu_description;
}

gpointer
ptl_preprocessor_host_alloc (PtlPreprocessor *p,
                             gsize            bytes,
                             GError         **error)
{
  gpointer memory;

  if (p->device_ops != NULL)
    return p->device_ops->host_alloc (p->device_ctx, bytes, error);
  memory = ptl_aligned_alloc0 (bytes);
  if (memory == NULL)
    g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                 "Out of memory allocating %" G_GSIZE_FORMAT " bytes for frames", bytes);
  return memory;
}

void
ptl_preprocessor_host_free (PtlPreprocessor *p,
                            gpointer         memory)
{
  if (memory == NULL)
    return;
  if (p->device_ops != NULL)
    p->device_ops->host_free (p->device_ctx, memory);
  else
    ptl_aligned_free (memory);
}

guint
ptl_preprocessor_pattern_size (PtlPreprocessor *p)
{
  return p->params.crop / p->params.bin;
}

void
ptl_preprocessor_get_centre (PtlPreprocessor *p,
                             double          *row,
                             double          *col)
{
  *row = p->params.centre_row;
  *col = p->params.centre_col;
}


/* A unit of CPU work: output rows [row_begin, row_end) of one frame. */
typedef struct
{
  const guint16 *frame;
  float         *pattern;
  guint8        *mask;
  guint          row_begin;
  guint          row_end;
  gint          *pending;
  GMutex        *lock;
  GCond         *done;
} Job;

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  PtlPreprocessor *p = user_data;
  g_autofree gpointer scratch = ptl_aligned_alloc0 (_ptl_preprocess_cpu_scratch_size (&p->plan));

  _ptl_preprocess_cpu_rows (&p->plan, job->frame, job->row_begin, job->row_end, job->pattern,
                            job->mask, scratch);
  if (g_atomic_int_dec_and_test (job->pending))
    {
      g_mutex_lock (job->lock);
      g_cond_signal (job->done);
      g_mutex_unlock (job->lock);
    }
}

/* Frames go to the workers whole when there are enough of them; a few frames are split by
 * rows so that every core still has work. */
static void
process_on_cpu (PtlPreprocessor *p,
                const guint16   *frames,
                guint            n,
                float           *patterns,
                guint8          *masks)
{
  gsize frame_pixels = (gsize) p->rows * p->cols;
  guint m = p->params.crop / p->params.bin;
  gsize out = (gsize) m * m;

  if (p->pool == NULL)
    {
      g_autofree gpointer scratch = ptl_aligned_alloc0 (_ptl_preprocess_cpu_scratch_size (&p->plan));
      for (guint k = 0; k < n; k++)
        _ptl_preprocess_cpu_rows (&p->plan, frames + k * frame_pixels, 0, m, patterns + k * out,
                                  masks ? masks + k * out : NULL, scratch);
      return;
    }

  guint splits = n >= p->threads ? 1 : (p->threads + n - 1) / n;
  guint n_jobs = 0;
  g_autofree Job *jobs = g_new (Job, (gsize) n * splits);
  gint pending;
  GMutex lock;
  GCond done;

  g_mutex_init (&lock);
  g_cond_init (&done);
  for (guint f = 0; f < n; f++)
    for (guint s = 0; s < splits; s++)
      jobs[n_jobs++] = (Job) {
        .frame = frames + f * frame_pixels,
        .pattern = patterns + f * out,
        .mask = masks ? masks + f * out : NULL,
        .row_begin = m * s / splits,
        .row_end = m * (s + 1) / splits,
        .pending = &pending,
        .lock = &lock,
        .done = &done,
      };
  pending = (gint) n_jobs;
  for (guint j = 0; j < n_jobs; j++)
    g_thread_pool_push (p->pool, &jobs[j], NULL);
  g_mutex_lock (&lock);
  while (g_atomic_int_get (&pending) > 0)
    g_cond_wait (&done, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&done);
}

gboolean
ptl_preprocessor_process (PtlPreprocessor *p,
                          const guint16   *frames,
                          guint            n,
                          float           *patterns,
                          guint8          *masks,
                          GError         **error)
{
  if (p->params.auto_centre && !ptl_preprocessor_find_centre (p, frames, n, error))
    return FALSE;
  if (n == 0)
    return TRUE;
  if (p->device_ops != NULL)
    return p->device_ops->process (p->device_ctx, frames, n, patterns, masks, error);
  process_on_cpu (p, frames, n, patterns, masks);
  return TRUE;
}

gboolean
ptl_preprocessor_time_kernel (PtlPreprocessor *p,
                              guint            n,
                              double          *seconds,
                              GError         **error)
{
  if (p->device_ops == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "Kernel timing needs the CUDA path; this preprocessor runs on the CPU");
      return FALSE;
    }
  return p->device_ops->time_kernel (p->device_ctx, n, seconds, error);
}

gboolean
ptl_preprocessor_bus_bandwidth (PtlPreprocessor *p,
                                gsize            bytes,
                                double          *bytes_per_second,
                                GError         **error)
{
  if (p->device_ops == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The bus bandwidth is measured on the CUDA path; this preprocessor runs on "
                   "the CPU");
      return FALSE;
    }
  return p->device_ops->host_to_device_bandwidth (p->device_ctx, bytes, bytes_per_second, error);
}
