/* The live pipeline: a detector stream (or a recording, or the built-in simulator) and a
 * position stream in; preprocessing, a streaming reconstruction and a lossless recording
 * in background threads; the latest result out through a snapshot mailbox.
 *
 * Threads (DESIGN.md): one per socket (the detector and PandA clients, or the replay), a
 * preprocessing worker (which also pairs patterns with positions), the engine thread
 * (owns the backend), the recorder. Everything here is called from one thread, the one
 * whose thread-default GMainContext was current at ptl_pipeline_new (the GTK main thread,
 * or the headless run's loop); signals are emitted there.
 *
 * Queue policy:
 * - receive → recorder: never drops. No count limit; past 1 GiB of images not yet written
 *   the receive threads wait (back-pressure into ZMQ and the detector), and the time they
 *   waited is counted (counters.record_wait_ms).
 * - receive → preprocessing: never drops; the same 1 GiB bound and back-pressure.
 * - preprocessing → engine: no bound; the engine drains it whole at every step and never
 *   makes anybody wait. A burst gives its newest 16 frames their own update at once; the
 *   older ones join the sweeps without it and are counted in counters.skipped.
 * A recording that fails (disk full, unwritable path, the file or its folder removed
 * during the run) is reported in the snapshot's record_message; the reconstruction goes
 * on, and counters.not_recorded says how many frames are missing from the file.
 *
 * One run reconstructs one series. A start message of another series ends the current
 * series if it was still running (the detector was armed again); the later series' images
 * are counted in counters.other_series and neither reconstructed nor recorded: a new run
 * (a new pipeline) takes the next series. */
#pragma once

#include <glib-object.h>

#include "core/ptl-array.h"
#include "core/ptl-geometry.h"
#include "core/ptl-params.h"
#include "core/ptl-preprocess-params.h"
#include "preprocess/ptl-preprocess.h"
/* recon/ptl-backend.h also declares a PtlSnapshot (its asynchronous device copies); the
 * pipeline's snapshot is the one the application sees, so the backend's is renamed here. */
#define PtlSnapshot PtlBackendSnapshot
#include "recon/ptl-backend.h"
#undef PtlSnapshot
#include "sim/ptl-sim.h"
#include "stream/ptl-detector-client.h"

G_BEGIN_DECLS

typedef enum
{
  PTL_SOURCE_SIMULATION, /* the simulator publishes on loopback and the live path reads it */
  PTL_SOURCE_STREAM,     /* a detector and a PandA on the network */
  PTL_SOURCE_REPLAY      /* a recording (ours, or a CXI file written by another program) */
} PtlSourceKind;

typedef enum
{
  PTL_PIPELINE_IDLE,       /* made, not started */
  PTL_PIPELINE_WAITING,    /* connected, no series yet */
  PTL_PIPELINE_ACQUIRING,  /* frames arriving, reconstruction following */
  PTL_PIPELINE_REFINING,   /* series ended, refining until converged or the budget is spent */
  PTL_PIPELINE_FINISHED,   /* final result ready (and written, when a result file is set) */
  PTL_PIPELINE_FAILED      /* stopped on an error; the message is in the snapshot */
} PtlPipelineState;

/* Everything a run needs, copied whole by ptl_pipeline_new: the strings are owned by the
 * caller and duplicated. */
typedef struct
{
  PtlSourceKind source;

  /* PTL_SOURCE_STREAM */
  const char         *detector_endpoint;  /* tcp://host:port */
  PtlDetectorProtocol protocol;
  const char         *channel;            /* V2 data channel; NULL: the first */
  const char         *positions_endpoint; /* PandA; NULL: positions from the recording/simulator */
  const char         *x_name;             /* PandA dataset names, with or without a leading / */
  const char         *y_name;
  guint               samples_per_frame;
  double              stage_scale;        /* metres per stage unit */
  double              pairing_timeout_s;

  /* PTL_SOURCE_REPLAY */
  const char *replay_file;
  double      replay_rate; /* 0: as fast as possible; 1: the original frame rate; k: k× it */

  /* PTL_SOURCE_SIMULATION */
  PtlSimParams sim;
  gboolean     sim_raw;   /* raw sCMOS frames through the preprocessing, else patterns */
  double       sim_rate;  /* frames/s; 0: as fast as possible */

  /* Geometry the stream does not carry (0: take it from the stream or the file). */
  double         energy_ev;
  double         distance;
  double         pixel_size;
  PtlAxisMapping mapping;

  /* Preprocessing. */
  PtlPreprocessParams preprocess;
  const char         *dark_file;  /* NULL: no dark subtraction */
  const char         *mask_file;  /* NULL: the stream's pixel mask only */
  PtlPreprocessDevice preprocess_device;
  int                 preprocess_gpu;

  /* Reconstruction. */
  PtlReconParams recon;
  PtlBackendKind backend;
  int            recon_gpu;
  guint          threads;          /* CPU threads of the reconstruction; 0 = all cores */
  guint          start_after;      /* frames before the engine starts */
  guint          final_iterations; /* refinement budget after the series, sweeps */
  double         final_seconds;    /* and in time; 0 = no time limit */
  const char    *probe_file;       /* PTL_PROBE_INIT_MODEL: the probe of this result file */

  /* Output. */
  const char *record_file; /* NULL: no recording */
  guint       flush_every; /* frames between HDF5 flushes */
  const char *result_file; /* NULL: no result file */
  gsize       record_queue_bytes; /* images the recorder may be behind before the receive
                                   * threads wait; 0: PTL_RECORD_QUEUE_BYTES (1 GiB) */
  double      record_delay_s;     /* a pause before each frame is written, seconds: a slow
                                   * disk, for tests of the back-pressure; 0 in real runs */

  /* Replay of our recordings: TRUE keeps the crop, bin and centre they were made with;
   * FALSE preprocesses the raw frames anew with `preprocess`. */
  gboolean preprocess_from_file;
  double   snapshot_rate;     /* snapshots per second at most (≤ 30) */
  gboolean device_snapshots;  /* also keep the object on the GPU in each snapshot, when the
                               * engine runs on one (for views filled device to device) */
  double   converged_change;  /* refinement stops when the error changed less than this
                               * (relative) over the last 10 sweeps; 0 = only the budget */
} PtlPipelineConfig;

/* Counters of one series, as the status bar and the headless run print them. */
typedef struct
{
  guint64 received;       /* images from the detector (or the recording) */
  guint64 paired;         /* with their positions */
  guint64 recorded;       /* written to the recording */
  guint64 not_recorded;   /* the recording failed (disk full, unwritable): still reconstructed */
  guint64 preprocessed;
  guint64 reconstructed;  /* frames the engine holds */
  guint64 skipped;        /* frames the engine had no time to give their own update */
  guint64 stream_errors;  /* decode and order errors of the detector and the positions */
  guint64 dropped;        /* images or positions that never found their partner */
  guint64 other_series;   /* images of a later series: a run reconstructs one series */
  gint64  position_lag_frames;
  double  position_lag_ms;
  double  frames_per_second; /* received, over the last second */
  guint   iteration;         /* sweeps done */
  double  error;             /* latest Fourier error */
  double  record_wait_ms;    /* receive threads held back by a recorder behind by more than
                              * its byte bound (back-pressure, nothing dropped) */
} PtlPipelineCounters;

/* Median and 99th percentile of a stage's latency, milliseconds. */
typedef struct
{
  double median_ms;
  double p99_ms;
} PtlLatency;

typedef struct
{
  PtlLatency receive_to_preprocessed;
  PtlLatency preprocessed_to_reconstructed; /* the wait for its position included */
  PtlLatency paired_to_reconstructed;       /* the engine's own lag */
  PtlLatency receive_to_recorded;
  double     wait_after_scan_s; /* last frame received → final result ready; < 0 until then */
} PtlPipelineTimings;

/* An immutable snapshot: the engine publishes one at most ~30 times a second and the
 * newest wins. Reference-counted; never changed once published. Arrays may be NULL before
 * the engine starts. */
typedef struct
{
  guint64             sequence;        /* increases with every snapshot */
  PtlPipelineState    state;
  char               *message;         /* the failure, or NULL */
  PtlArray           *object;          /* complex [rows][cols] */
  PtlDeviceImage     *object_device;   /* the same on the engine's GPU, or NULL (config's
                                        * device_snapshots, CUDA backend) */
  PtlArray           *probe;           /* complex [modes·M][M]: mode k is rows k·M … */
  guint               n_modes;
  double              pixel_size;      /* object plane, metres */
  double             *positions;       /* [n][2] (row, col) window corners on `object`, px */
  double             *arrival_s;       /* [n] seconds from the first frame to its arrival */
  guint               n_positions;
  PtlArray           *pattern;         /* float [M][M]: the latest preprocessed pattern */
  PtlArray           *raw_frame;       /* float [rows][cols]: the latest raw frame (or NULL) */
  double              crop_centre_row; /* where the crop sits on raw_frame */
  double              crop_centre_col;
  guint               crop;
  double             *errors;          /* [n_errors] Fourier error per sweep */
  guint               n_errors;
  PtlPipelineCounters counters;
  PtlPipelineTimings  timings;
  char               *backend;         /* in words: "CUDA (GPU 0)", "CPU (2 threads)" */
  char               *preprocess_device;
  char               *record_message;  /* why frames were not recorded, or NULL */
  double              stage_origin_row; /* where stage (0, 0) maps on `object`, px: a window */
  double              stage_origin_col; /* corner is this plus the mapped translation */
  PtlAxisMapping      mapping;
  PtlGeometry         geometry;        /* of the patterns reconstructed */
  PtlReconParams      params;          /* in force for this snapshot */
} PtlSnapshot;

PtlSnapshot *ptl_snapshot_ref (PtlSnapshot *snapshot);
void         ptl_snapshot_unref (PtlSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlSnapshot, ptl_snapshot_unref)

void        ptl_pipeline_config_init (PtlPipelineConfig *config);
const char *ptl_pipeline_state_to_string (PtlPipelineState state);

#define PTL_TYPE_PIPELINE (ptl_pipeline_get_type ())
G_DECLARE_FINAL_TYPE (PtlPipeline, ptl_pipeline, PTL, PIPELINE, GObject)

/* Validates the configuration (impossible parameters fail here, with a message that says
 * which). Opens nothing yet.
 *
 * Signals:
 *   "snapshot"  (PtlPipeline *) — a newer snapshot is in the mailbox (≤ ~30 Hz)
 *   "finished"  (PtlPipeline *) — the series is done: final result ready or failed */
PtlPipeline *ptl_pipeline_new (const PtlPipelineConfig *config,
                               GError                 **error);
/* Connects (or opens the file, or starts the simulator) and starts the threads. */
gboolean     ptl_pipeline_start (PtlPipeline *pipeline,
                                 GError     **error);
/* Stops every thread promptly and joins them; the recording is closed valid. Idempotent;
 * also done by finalize. The snapshot in the mailbox afterwards carries the final counters
 * (every frame the recorder wrote while it drained its queue included). */
void         ptl_pipeline_stop (PtlPipeline *pipeline);
/* The newest snapshot (a new reference), or NULL before the first. */
PtlSnapshot *ptl_pipeline_get_snapshot (PtlPipeline *pipeline);
/* The snapshot taken when the series ended (last frame in, before refinement), or NULL. */
PtlSnapshot *ptl_pipeline_get_scan_end_snapshot (PtlPipeline *pipeline);
PtlPipelineState ptl_pipeline_get_state (PtlPipeline *pipeline);
/* Applies to the running reconstruction at its next sweep; object and probe are kept. */
gboolean     ptl_pipeline_set_recon_params (PtlPipeline          *pipeline,
                                            const PtlReconParams *params,
                                            GError              **error);
/* The refinement budget after the series (sweeps, and seconds; 0 = no time limit), for the
 * refinement running or to come. */
gboolean     ptl_pipeline_set_refine_budget (PtlPipeline *pipeline,
                                             guint        sweeps,
                                             double       seconds,
                                             GError     **error);
/* New preprocessing for the rest of the run: the engine restarts from the recording (or
 * from what it received, without one) with frames preprocessed anew. */
gboolean     ptl_pipeline_set_preprocess_params (PtlPipeline               *pipeline,
                                                 const PtlPreprocessParams *params,
                                                 GError                   **error);
/* Starts the reconstruction again from every frame received so far (the recording's
 * frames, as they came) with the preprocessing in force: a new object and probe, the same
 * reconstruction parameters. During the series the frames still to come join it; after
 * it, the run refines and finishes again ("finished" is emitted once more). */
void         ptl_pipeline_restart (PtlPipeline *pipeline);
/* Writes the current object and probe as a CXI result file now. */
gboolean     ptl_pipeline_save_result (PtlPipeline *pipeline,
                                       const char  *path,
                                       GError     **error);

G_END_DECLS
