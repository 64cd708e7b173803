/* The validation of ptycholive's command line: the raw values of the option tables
 * (ptycholive-main.c) turned into the parameters of the headless and the live runs. Every
 * value out of range or unknown is an error that names its option. */
#include "config.h"

#include "ptl-main-options.h"

#include <math.h>

#include "core/ptl-error.h"

/* Turns the raw command line into validated parameters; every unknown value is an error
 * that names the option. */
gboolean
ptl_main_options_build (const RawOptions   *raw,
                        PtlHeadlessOptions *options,
                        GError            **error)
{
  if (raw->frames <= 0 || raw->frame_size <= 0 || raw->bin <= 0 || raw->iterations < 0
      || raw->probe_update_start < 0 || raw->threads < 0 || raw->report_every < 0
      || raw->object_size < 0 || raw->seed < 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Counts and sizes must be positive (--frames %d, --frame-size %d, --bin %d, "
                   "--iterations %d, --threads %d)",
                   raw->frames, raw->frame_size, raw->bin, raw->iterations, raw->threads);
      return FALSE;
    }
  options->sim.n_frames = (guint) raw->frames;
  options->sim.geometry.frame_size = (guint) raw->frame_size;
  options->sim.geometry.bin = (guint) raw->bin;
  options->sim.poisson = !raw->no_noise;
  options->sim.seed = (guint64) raw->seed;
  options->recon.seed = (guint64) raw->seed;
  options->recon.iterations = (guint) raw->iterations;
  options->recon.probe_update_start = (guint) raw->probe_update_start;
  options->threads = (guint) raw->threads;
  options->report_every = (guint) raw->report_every;
  options->object_size = (guint) raw->object_size;

  if (raw->pattern && !ptl_scan_pattern_from_string (raw->pattern, &options->sim.pattern, error))
    return FALSE;
  if (raw->probe_model
      && !ptl_probe_model_from_string (raw->probe_model, &options->sim.probe_model, error))
    return FALSE;
  if (raw->algorithm && !ptl_algorithm_from_string (raw->algorithm, &options->recon.algorithm, error))
    return FALSE;
  if (raw->modes < 1 || raw->batch < 1 || raw->overlap_iterations < 1 || raw->position_start < 0
      || raw->probe_modes < 1)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "--modes, --batch, --overlap-iterations and --probe-modes must be positive");
      return FALSE;
    }
  options->recon.n_modes = (guint) raw->modes;
  options->recon.batch_size = (guint) raw->batch;
  options->recon.overlap_iterations = (guint) raw->overlap_iterations;
  options->recon.position_start = (guint) raw->position_start;
  options->sim.probe_modes = (guint) raw->probe_modes;
  if (raw->ml_noise && !ptl_ml_noise_from_string (raw->ml_noise, &options->recon.ml_noise, error))
    return FALSE;
  if (raw->backend && !ptl_backend_kind_from_string (raw->backend, &options->backend, error))
    return FALSE;
  if (raw->probe_init != NULL)
    {
      if (g_str_equal (raw->probe_init, "mean"))
        options->recon.probe_init = PTL_PROBE_INIT_MEAN_PATTERN;
      else if (g_str_equal (raw->probe_init, "model"))
        options->recon.probe_init = PTL_PROBE_INIT_MODEL;
      else
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "Unknown probe initialisation “%s” (known: model, mean)", raw->probe_init);
          return FALSE;
        }
    }
  return TRUE;
}

/* A device on the command line: auto, cpu, cuda (GPU 0), or a GPU number. */
static gboolean
parse_device (const char *option,
              const char *text,
              gboolean   *cpu,
              gboolean   *automatic,
              int        *gpu,
              GError    **error)
{
  guint64 number;

  *cpu = g_str_equal (text, "cpu");
  *automatic = g_str_equal (text, "auto");
  *gpu = 0;
  if (*cpu || *automatic || g_str_equal (text, "cuda"))
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, 63, &number, NULL))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown device “%s” for %s (known: auto, cpu, cuda, or a GPU number)", text,
                   option);
      return FALSE;
    }
  *gpu = (int) number;
  return TRUE;
}

/* The live pipeline's configuration: the source, then what the stream does not say. */
gboolean
ptl_main_options_build_live (const RawOptions         *raw,
                             const PtlHeadlessOptions *headless,
                             PtlLiveOptions           *live,
                             GError                  **error)
{
  PtlPipelineConfig *c = &live->config;

  if (raw->samples_per_frame <= 0 || raw->series_timeout < 0 || raw->start_after <= 0
      || raw->final_iterations < 0 || raw->final_seconds < 0 || raw->rate < 0
      || raw->crop < 0 || raw->detector_bin < 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Live options out of range: --samples-per-frame and --start-after must be "
                   "positive; --series-timeout, --final-iterations, --final-seconds, --rate, "
                   "--crop and --detector-bin not negative");
      return FALSE;
    }
  c->sim = headless->sim;
  c->sim.object_image = headless->sim.object_image;
  c->recon = headless->recon;
  c->backend = headless->backend;
  c->threads = headless->threads;
  c->result_file = headless->output;
  c->record_file = raw->record;
  c->start_after = (guint) raw->start_after;
  c->final_iterations = (guint) raw->final_iterations;
  c->final_seconds = raw->final_seconds;
  c->samples_per_frame = (guint) raw->samples_per_frame;
  c->energy_ev = raw->beam_energy;
  c->distance = raw->detector_distance;
  c->pixel_size = raw->pixel_size;
  if (raw->stage_scale != 0)
    c->stage_scale = raw->stage_scale;
  c->mask_file = raw->mask_file;
  c->dark_file = raw->dark_file;
  if (raw->x_channel != NULL)
    c->x_name = raw->x_channel;
  if (raw->y_channel != NULL)
    c->y_name = raw->y_channel;
  if (raw->preprocess_device != NULL)
    {
      gboolean cpu, automatic;
      if (!parse_device ("--preprocess-device", raw->preprocess_device, &cpu, &automatic,
                         &c->preprocess_gpu, error))
        return FALSE;
      c->preprocess_device = cpu ? PTL_PREPROCESS_CPU
                             : automatic ? PTL_PREPROCESS_AUTO : PTL_PREPROCESS_CUDA;
    }
  if (raw->recon_device != NULL)
    {
      gboolean cpu, automatic;
      if (!parse_device ("--recon-device", raw->recon_device, &cpu, &automatic, &c->recon_gpu,
                         error))
        return FALSE;
      c->backend = cpu ? PTL_BACKEND_CPU : automatic ? PTL_BACKEND_AUTO : PTL_BACKEND_CUDA;
    }
  if (raw->protocol != NULL && !ptl_detector_protocol_from_string (raw->protocol, &c->protocol,
                                                                   error))
    return FALSE;

  /* Preprocessing given on the command line replaces a recording's own. */
  if (raw->crop > 0 || raw->detector_bin > 0 || !isnan (raw->centre_row) || !isnan (raw->centre_col))
    c->preprocess_from_file = FALSE;
  if (raw->crop > 0)
    c->preprocess.crop = (guint) raw->crop;
  if (raw->detector_bin > 0)
    c->preprocess.bin = (guint) raw->detector_bin;
  if (!isnan (raw->centre_row))
    c->preprocess.centre_row = raw->centre_row;
  if (!isnan (raw->centre_col))
    c->preprocess.centre_col = raw->centre_col;
  if (raw->adu_per_photon > 0)
    c->preprocess.adu_per_photon = raw->adu_per_photon;

  if (raw->replay != NULL)
    {
      c->source = PTL_SOURCE_REPLAY;
      c->replay_file = raw->replay;
      c->replay_rate = raw->rate;
    }
  else if (raw->connect != NULL)
    {
      if (raw->positions == NULL)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                       "--connect needs the position stream: --positions tcp://HOST:PORT");
          return FALSE;
        }
      c->source = PTL_SOURCE_STREAM;
      c->detector_endpoint = raw->connect;
      c->channel = raw->channel;
      c->positions_endpoint = raw->positions;
    }
  else
    {
      c->source = PTL_SOURCE_SIMULATION;
      c->sim_rate = raw->rate;
    }
  live->series_timeout = (guint) raw->series_timeout;
  return TRUE;
}
