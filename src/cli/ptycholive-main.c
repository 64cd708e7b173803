/* ptycholive: the application. `--headless` runs without a display. */
#include "config.h"

#include <fftw3.h>
#include <glib.h>
#include <hdf5.h>
#include <locale.h>
#include <stdlib.h>

#include "core/ptl-error.h"
#include "ptl-headless-connect.h"
#include "ptl-headless.h"

#define EXIT_USAGE 2

typedef struct
{
  gboolean headless;
  gboolean simulate;
  gboolean version;
  gboolean no_noise;
  char    *pattern;
  char    *probe_model;
  char    *probe_init;
  char    *algorithm;
  char    *backend;
  int      frames;
  int      frame_size;
  int      bin;
  int      iterations;
  int      probe_update_start;
  int      threads;
  int      report_every;
  int      object_size;
  gint64   seed;
  char    *connect;
  char    *protocol;
  char    *channel;
  char    *positions;
  char    *x_channel;
  char    *y_channel;
  int      samples_per_frame;
  int      series_timeout;
} RawOptions;

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

/* Turns the raw command line into validated parameters; every unknown value is an error
 * that names the option. */
static gboolean
build_options (const RawOptions   *raw,
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

static gboolean
build_connect_options (const RawOptions  *raw,
                       PtlConnectOptions *options,
                       GError           **error)
{
  if (raw->positions == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "--connect needs the position stream: --positions tcp://HOST:PORT");
      return FALSE;
    }
  if (raw->samples_per_frame <= 0 || raw->series_timeout < 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "--samples-per-frame must be positive and --series-timeout not negative "
                   "(%d, %d)", raw->samples_per_frame, raw->series_timeout);
      return FALSE;
    }
  options->protocol = PTL_DETECTOR_PROTOCOL_V2;
  if (raw->protocol != NULL && !ptl_detector_protocol_from_string (raw->protocol,
                                                                   &options->protocol, error))
    return FALSE;
  options->detector = raw->connect;
  options->channel = raw->channel;
  options->positions = raw->positions;
  /* Defaults applied after parsing: GOption replaces a string without freeing it. */
  options->x_channel = raw->x_channel ? raw->x_channel : "INENC1.VAL.Mean";
  options->y_channel = raw->y_channel ? raw->y_channel : "INENC2.VAL.Mean";
  options->samples_per_frame = (guint) raw->samples_per_frame;
  options->series_timeout = (guint) raw->series_timeout;
  return TRUE;
}

static int
run_connect (const RawOptions *raw)
{
  PtlConnectOptions options = { 0 };
  g_autoptr (GError) error = NULL;

  if (!build_connect_options (raw, &options, &error)
      || !ptl_headless_connect_run (&options, &error))
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
      g_printerr ("ptycholive: this build has no graphical interface; run with --headless\n");
      return EXIT_USAGE;
    }
  if (raw->simulate == (raw->connect != NULL))
    {
      g_printerr ("ptycholive: --headless needs one input: --simulate or --connect\n");
      return EXIT_USAGE;
    }
  if (raw->connect != NULL)
    return run_connect (raw);
  if (!build_options (raw, options, &error))
    {
      g_printerr ("ptycholive: %s\n", error->message);
      return EXIT_USAGE;
    }
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
  raw.report_every = (int) options.report_every;
  raw.seed = (gint64) options.sim.seed;
  raw.samples_per_frame = 1;
  raw.series_timeout = 30;

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
    { NULL }
  };
  const GOptionEntry recon_entries[] = {
    { "algorithm", 0, 0, G_OPTION_ARG_STRING, &raw.algorithm, "Algorithm: epie, rpie", "NAME" },
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
  g_free (raw.backend);
  g_free (raw.connect);
  g_free (raw.protocol);
  g_free (raw.channel);
  g_free (raw.positions);
  g_free (raw.x_channel);
  g_free (raw.y_channel);
  ptl_sim_params_clear (&options.sim);
  g_free (options.output);
  return status;
}
