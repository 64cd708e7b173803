/* ptycholive: the application. `--headless` runs without a display. The option tables
 * and the choice of run are here; the checks of the values are in ptl-main-options.c. */
#include "config.h"

#include <fftw3.h>
#include <glib.h>
#include <hdf5.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "core/ptl-error.h"
#include "gui/ptl-gui.h"
#include "ptl-headless-connect.h"
#include "ptl-headless-live.h"
#include "ptl-headless.h"
#include "ptl-main-options.h"

#define EXIT_USAGE 2

static void
print_version (void)
{
  unsigned h5_major, h5_minor, h5_release;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlBackend) backend = ptl_backend_new (PTL_BACKEND_AUTO, 0, 0, &error);

  H5get_libversion (&h5_major, &h5_minor, &h5_release);
  g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
  g_print ("GLib %d.%d.%d (built against %d.%d.%d)\n", glib_major_version, glib_minor_version,
           glib_micro_version, GLIB_MAJOR_VERSION, GLIB_MINOR_VERSION, GLIB_MICRO_VERSION);
  g_print ("%s\n", fftwf_version);
  g_print ("HDF5 %u.%u.%u (built against %d.%d.%d)\n", h5_major, h5_minor, h5_release,
           H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
  g_print ("CUDA module: %s\n", HAVE_CUDA_MODULE ? "built" : "not built");
  g_print ("backend in use: %s\n", backend ? ptl_backend_description (backend) : error->message);
}

/* --receive-only: the streams alone, for checking a beamline's set-up before a scan. */
static int
run_receive_only (const RawOptions *raw)
{
  PtlConnectOptions options = { 0 };
  g_autoptr (GError) error = NULL;

  if (raw->positions == NULL)
    g_set_error (&error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                 "--connect needs the position stream: --positions tcp://HOST:PORT");
  else if (raw->samples_per_frame <= 0 || raw->series_timeout < 0)
    g_set_error (&error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                 "--samples-per-frame must be positive and --series-timeout not negative "
                 "(%d, %d)", raw->samples_per_frame, raw->series_timeout);
  else
    {
      options.protocol = PTL_DETECTOR_PROTOCOL_V2;
      if (raw->protocol == NULL
          || ptl_detector_protocol_from_string (raw->protocol, &options.protocol, &error))
        {
          options.detector = raw->connect;
          options.channel = raw->channel;
          options.positions = raw->positions;
          /* Defaults applied after parsing: GOption replaces a string without freeing it. */
          options.x_channel = raw->x_channel ? raw->x_channel : "INENC1.VAL.Mean";
          options.y_channel = raw->y_channel ? raw->y_channel : "INENC2.VAL.Mean";
          options.samples_per_frame = (guint) raw->samples_per_frame;
          options.series_timeout = (guint) raw->series_timeout;
          ptl_headless_connect_run (&options, &error);
        }
    }
  if (error != NULL)
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return error->domain == PTL_PARAM_ERROR ? EXIT_USAGE : EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

static int
run_live (const RawOptions         *raw,
          const PtlHeadlessOptions *headless)
{
  PtlLiveOptions live = { 0 };
  g_autoptr (GError) error = NULL;

  ptl_pipeline_config_init (&live.config);
  if (!ptl_main_options_build_live (raw, headless, &live, &error)
      || !ptl_headless_live_run (&live, NULL, NULL, &error))
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return error->domain == PTL_PARAM_ERROR ? EXIT_USAGE : EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

static int
run_command (GOptionContext     *context,
             RawOptions         *raw,
             PtlHeadlessOptions *options,
             int                *argc,
             char             ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (raw->version)
    {
      print_version ();
      return EXIT_SUCCESS;
    }
  if (*argc > 1)
    {
      g_printerr ("ptycholive: unexpected argument “%s”\n", (*argv)[1]);
      return EXIT_USAGE;
    }
  if (!raw->headless)
    {
      gboolean no_input = !raw->simulate && raw->connect == NULL && raw->replay == NULL;

      if (no_input && ptl_gui_display_available ())
        return ptl_gui_run (1, *argv);
      /* No display (or an input named on the command line): the headless run, on a
       * simulated live scan when no input is named. */
      if (no_input)
        raw->simulate = raw->live = TRUE;
      raw->headless = TRUE;
    }
  if (raw->simulate + (raw->connect != NULL) + (raw->replay != NULL) != 1)
    {
      g_printerr ("ptycholive: --headless needs one input: --simulate, --connect or --replay\n");
      return EXIT_USAGE;
    }
  if (raw->receive_only)
    {
      if (raw->connect == NULL)
        {
          g_printerr ("ptycholive: --receive-only needs --connect\n");
          return EXIT_USAGE;
        }
      return run_receive_only (raw);
    }
  if (!ptl_main_options_build (raw, options, &error))
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (raw->connect != NULL || raw->replay != NULL || raw->live)
    return run_live (raw, options);
  if (!ptl_headless_run (options, &error))
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return g_error_matches (error, PTL_PARAM_ERROR, error->code) ? EXIT_USAGE : EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  RawOptions raw = { 0 };
  PtlHeadlessOptions options = { 0 };
  g_autoptr (GOptionContext) context = NULL;

  setlocale (LC_ALL, "");
  ptl_sim_params_init (&options.sim);
  ptl_recon_params_init (&options.recon);
  options.backend = PTL_BACKEND_AUTO;
  options.report_every = 10;
  raw.frames = (int) options.sim.n_frames;
  raw.frame_size = (int) options.sim.geometry.frame_size;
  raw.bin = (int) options.sim.geometry.bin;
  raw.iterations = (int) options.recon.iterations;
  raw.probe_update_start = (int) options.recon.probe_update_start;
  raw.modes = (int) options.recon.n_modes;
  raw.batch = (int) options.recon.batch_size;
  raw.overlap_iterations = (int) options.recon.overlap_iterations;
  raw.position_start = (int) options.recon.position_start;
  raw.probe_modes = (int) options.sim.probe_modes;
  raw.report_every = (int) options.report_every;
  raw.seed = (gint64) options.sim.seed;
  raw.samples_per_frame = 1;
  raw.series_timeout = 30;
  raw.start_after = 20;
  raw.final_iterations = 50;
  raw.centre_row = raw.centre_col = NAN;

  const GOptionEntry main_entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &raw.headless, "Run without a display", NULL },
    { "simulate", 0, 0, G_OPTION_ARG_NONE, &raw.simulate,
      "Simulate a scan with known ground truth and reconstruct it", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output,
      "Write the result (CXI) to FILE", "FILE" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &raw.backend, "Compute backend: auto, cpu, cuda",
      "NAME" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &raw.threads, "CPU threads (0 = all cores)", "N" },
    { "report-every", 0, 0, G_OPTION_ARG_INT, &raw.report_every,
      "Print progress every N iterations (0 = only the final line)", "N" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &raw.version, "Print versions and the backend in use",
      NULL },
    { NULL }
  };
  const GOptionEntry sim_entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &raw.frames, "Number of frames", "N" },
    { "frame-size", 0, 0, G_OPTION_ARG_INT, &raw.frame_size, "Pattern size M (M×M)", "M" },
    { "bin", 0, 0, G_OPTION_ARG_INT, &raw.bin, "Detector binning", "B" },
    { "energy", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.geometry.energy_ev, "Photon energy",
      "EV" },
    { "distance", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.geometry.distance,
      "Sample–detector distance", "METRES" },
    { "detector-pixel", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.geometry.detector_pixel,
      "Detector pixel size", "METRES" },
    { "pattern", 0, 0, G_OPTION_ARG_STRING, &raw.pattern,
      "Scan pattern: raster, snake, round, fermat", "NAME" },
    { "overlap", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.overlap, "Linear overlap in (0, 1)",
      "F" },
    { "jitter", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.jitter, "Rms position jitter",
      "METRES" },
    { "position-error", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.position_error,
      "Rms error of the reported positions per axis (patterns at the true ones)", "METRES" },
    { "probe-modes", 0, 0, G_OPTION_ARG_INT, &raw.probe_modes,
      "Partially coherent beam: number of modes", "K" },
    { "mode-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.mode_ratio,
      "Power of each beam mode over the one before", "R" },
    { "probe", 0, 0, G_OPTION_ARG_STRING, &raw.probe_model, "Probe model: aperture, gaussian",
      "NAME" },
    { "probe-diameter", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.probe_diameter,
      "Probe diameter", "METRES" },
    { "defocus", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.defocus, "Probe defocus", "METRES" },
    { "photons", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.photons, "Incident photons per frame",
      "N" },
    { "no-noise", 0, 0, G_OPTION_ARG_NONE, &raw.no_noise, "Exact intensities, no Poisson noise",
      NULL },
    { "max-phase", 0, 0, G_OPTION_ARG_DOUBLE, &options.sim.max_phase,
      "Phase range of the object", "RAD" },
    { "object-image", 0, 0, G_OPTION_ARG_FILENAME, &options.sim.object_image,
      "Object from an image file instead of the built-in test object", "FILE" },
    { "object-size", 0, 0, G_OPTION_ARG_INT, &raw.object_size,
      "Largest object the scan may need (pixels per side)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &raw.seed, "Random seed of noise, jitter and order",
      "N" },
    { NULL }
  };
  const GOptionEntry stream_entries[] = {
    { "connect", 0, 0, G_OPTION_ARG_STRING, &raw.connect,
      "Receive one series from the detector stream at ENDPOINT", "ENDPOINT" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &raw.protocol,
      "Detector stream protocol: v2, v1", "NAME" },
    { "channel", 0, 0, G_OPTION_ARG_STRING, &raw.channel,
      "Detector data channel (V2; default: the first)", "NAME" },
    { "positions", 0, 0, G_OPTION_ARG_STRING, &raw.positions,
      "PandA position stream (ZMQ publisher)", "ENDPOINT" },
    { "x-channel", 0, 0, G_OPTION_ARG_STRING, &raw.x_channel, "PandA dataset of x", "NAME" },
    { "y-channel", 0, 0, G_OPTION_ARG_STRING, &raw.y_channel, "PandA dataset of y", "NAME" },
    { "samples-per-frame", 0, 0, G_OPTION_ARG_INT, &raw.samples_per_frame,
      "PandA samples averaged into one position", "N" },
    { "series-timeout", 0, 0, G_OPTION_ARG_INT, &raw.series_timeout,
      "Stop after this long without traffic (0 = never)", "SECONDS" },
    { "receive-only", 0, 0, G_OPTION_ARG_NONE, &raw.receive_only,
      "With --connect: receive and pair one series and print the stream's counters, without "
      "reconstructing (a check of the streams before a scan)", NULL },
    { "replay", 0, 0, G_OPTION_ARG_FILENAME, &raw.replay,
      "Reconstruct a recording (ours, or a CXI file of another program)", "FILE" },
    { "live", 0, 0, G_OPTION_ARG_NONE, &raw.live,
      "With --simulate: stream the scan over loopback through the live pipeline", NULL },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &raw.record,
      "Record every frame and position as it arrives (CXI)", "FILE" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &raw.rate,
      "Frames/s of the simulated stream; for --replay a multiple of the original rate "
      "(0 = as fast as possible)", "R" },
    { "stage-scale", 0, 0, G_OPTION_ARG_DOUBLE, &raw.stage_scale,
      "Metres per PandA stage unit (default 1e-6)", "METRES" },
    { "beam-energy", 0, 0, G_OPTION_ARG_DOUBLE, &raw.beam_energy,
      "Photon energy, when the stream does not give it", "EV" },
    { "detector-distance", 0, 0, G_OPTION_ARG_DOUBLE, &raw.detector_distance,
      "Sample–detector distance, when the stream does not give it", "METRES" },
    { "pixel-size", 0, 0, G_OPTION_ARG_DOUBLE, &raw.pixel_size,
      "Detector pixel size, when the stream does not give it", "METRES" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &raw.crop, "Crop of the detector frames, pixels", "N" },
    { "detector-bin", 0, 0, G_OPTION_ARG_INT, &raw.detector_bin,
      "Detector pixels summed per pattern pixel along each axis", "B" },
    { "centre-row", 0, 0, G_OPTION_ARG_DOUBLE, &raw.centre_row, "Crop centre row", "PX" },
    { "centre-col", 0, 0, G_OPTION_ARG_DOUBLE, &raw.centre_col, "Crop centre column", "PX" },
    { "adu-per-photon", 0, 0, G_OPTION_ARG_DOUBLE, &raw.adu_per_photon,
      "Raw detector units per photon", "ADU" },
    { "mask-file", 0, 0, G_OPTION_ARG_FILENAME, &raw.mask_file, "Detector mask (HDF5)", "FILE" },
    { "dark-file", 0, 0, G_OPTION_ARG_FILENAME, &raw.dark_file,
      "Dark of the raw frames (HDF5: a mean or a series)", "FILE" },
    { "preprocess-device", 0, 0, G_OPTION_ARG_STRING, &raw.preprocess_device,
      "Preprocessing on: auto, cpu, cuda or a GPU number", "DEVICE" },
    { "recon-device", 0, 0, G_OPTION_ARG_STRING, &raw.recon_device,
      "Reconstruction on: auto, cpu, cuda or a GPU number (overrides --backend)", "DEVICE" },
    { "start-after", 0, 0, G_OPTION_ARG_INT, &raw.start_after,
      "Frames received before the reconstruction starts", "N" },
    { "final-iterations", 0, 0, G_OPTION_ARG_INT, &raw.final_iterations,
      "Refinement sweeps after the series at most", "N" },
    { "final-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &raw.final_seconds,
      "Refinement time after the series at most (0 = no limit)", "S" },
    { NULL }
  };
  const GOptionEntry recon_entries[] = {
    { "algorithm", 0, 0, G_OPTION_ARG_STRING, &raw.algorithm,
      "Algorithm: epie, rpie, mpie, dm, ap, raar, ml", "NAME" },
    { "modes", 0, 0, G_OPTION_ARG_INT, &raw.modes, "Probe modes (mixed state)", "K" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &raw.batch, "PIE mini-batch (1 = sequential)", "N" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &options.recon.momentum, "mPIE friction in [0, 1)",
      "ETA" },
    { "relax", 0, 0, G_OPTION_ARG_DOUBLE, &options.recon.relax, "DM blend or RAAR beta", "R" },
    { "overlap-iterations", 0, 0, G_OPTION_ARG_INT, &raw.overlap_iterations,
      "DM/AP/RAAR object–probe passes per iteration", "N" },
    { "ml-noise", 0, 0, G_OPTION_ARG_STRING, &raw.ml_noise, "ML noise model: gaussian, poisson",
      "NAME" },
    { "refine-positions", 0, 0, G_OPTION_ARG_NONE, &options.recon.refine_positions,
      "Refine the scan positions", NULL },
    { "position-start", 0, 0, G_OPTION_ARG_INT, &raw.position_start,
      "First iteration that refines positions", "N" },
    { "position-max-shift", 0, 0, G_OPTION_ARG_DOUBLE, &options.recon.position_max_shift,
      "Largest move of a position, pixels", "PX" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &raw.iterations, "Iterations", "N" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &options.recon.alpha, "Object step/regularisation",
      "A" },
    { "beta", 0, 0, G_OPTION_ARG_DOUBLE, &options.recon.beta, "Probe step/regularisation", "B" },
    { "probe-update-start", 0, 0, G_OPTION_ARG_INT, &raw.probe_update_start,
      "First iteration that updates the probe", "N" },
    { "probe-init", 0, 0, G_OPTION_ARG_STRING, &raw.probe_init,
      "Initial probe: mean (from the data: mean pattern, defocus searched), model (the optics)",
      "NAME" },
    { NULL }
  };

  context = g_option_context_new ("— live ptychographic reconstruction");
  g_option_context_set_summary (context,
                                "Reconstructs object and probe from ptychographic scans.\n"
                                "Example: ptycholive --headless --simulate --frames 300 -o result.cxi");
  g_option_context_add_main_entries (context, main_entries, NULL);
  GOptionGroup *sim_group = g_option_group_new ("simulation", "Simulation options:",
                                                "Show the simulation options", NULL, NULL);
  g_option_group_add_entries (sim_group, sim_entries);
  g_option_context_add_group (context, sim_group);
  GOptionGroup *stream_group = g_option_group_new ("stream", "Live stream options:",
                                                   "Show the live stream options", NULL, NULL);
  g_option_group_add_entries (stream_group, stream_entries);
  g_option_context_add_group (context, stream_group);
  GOptionGroup *recon_group = g_option_group_new ("reconstruction", "Reconstruction options:",
                                                  "Show the reconstruction options", NULL, NULL);
  g_option_group_add_entries (recon_group, recon_entries);
  g_option_context_add_group (context, recon_group);

  int status = run_command (context, &raw, &options, &argc, &argv);

  g_free (raw.pattern);
  g_free (raw.probe_model);
  g_free (raw.probe_init);
  g_free (raw.algorithm);
  g_free (raw.ml_noise);
  g_free (raw.backend);
  g_free (raw.connect);
  g_free (raw.protocol);
  g_free (raw.channel);
  g_free (raw.positions);
  g_free (raw.x_channel);
  g_free (raw.y_channel);
  g_free (raw.replay);
  g_free (raw.record);
  g_free (raw.preprocess_device);
  g_free (raw.recon_device);
  g_free (raw.mask_file);
  g_free (raw.dark_file);
  ptl_sim_params_clear (&options.sim);
  g_free (options.output);
  return status;
}
