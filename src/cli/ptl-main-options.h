/* The command line of ptycholive as GOption leaves it, and its validation into the
 * parameters of the headless and live runs. Kept apart from the option tables
 * (ptycholive-main.c) so that the checks (which option is out of range, which value is
 * unknown) read on their own. */
#pragma once

#include <glib.h>

#include "ptl-headless-live.h"
#include "ptl-headless.h"

G_BEGIN_DECLS

/* The values as the option tables fill them, before any check. */
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
  int      modes;
  int      batch;
  int      overlap_iterations;
  int      position_start;
  int      probe_modes;
  char    *ml_noise;
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
  gboolean receive_only;
  /* The live pipeline. */
  gboolean live;
  char    *replay;
  char    *record;
  double   rate;
  int      start_after;
  int      final_iterations;
  double   final_seconds;
  char    *preprocess_device;
  char    *recon_device;
  int      crop;
  int      detector_bin;
  double   centre_row;
  double   centre_col;
  double   adu_per_photon;
  char    *mask_file;
  char    *dark_file;
  double   beam_energy;
  double   detector_distance;
  double   pixel_size;
  double   stage_scale;
} RawOptions;

/* Fails with PTL_PARAM_ERROR naming the option. */
gboolean ptl_main_options_build (const RawOptions   *raw,
                                 PtlHeadlessOptions *options,
                                 GError            **error);
gboolean ptl_main_options_build_live (const RawOptions         *raw,
                                      const PtlHeadlessOptions *headless,
                                      PtlLiveOptions           *live,
                                      GError                  **error);

G_END_DECLS
