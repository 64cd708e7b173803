/* Inside the pipeline: what its threads share, and the items its queues carry. */
#pragma once

#include "ptl-pipeline.h"
#include "ptl-queue.h"
#include "ptl-run-stats.h"
#include "io/ptl-recording.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-pairing.h"
#include "stream/ptl-position-client.h"

G_BEGIN_DECLS

/* Bytes of compressed images the recorder may be behind before the receive threads wait
 * (back-pressure into ZMQ's queues and the detector; nothing is dropped). */
#define PTL_RECORD_QUEUE_BYTES ((gsize) 1 << 30)
/* Likewise for images waiting for the preprocessing. */
#define PTL_PREPROCESS_QUEUE_BYTES ((gsize) 1 << 30)

/* The simulator's raw frames spread each pattern pixel over 2×2 detector pixels
 * (sim/ptl-stream-publisher-messages.c, where PTL_PUBLISHER_RAW_BIN must agree). */
#define PTL_SIM_RAW_BIN 2
/* The simulated detector's margin around the patterns, on each side: this fraction of the
 * footprint. */
#define PTL_SIM_RAW_MARGIN_DIVISOR 4

/* One received image, shared by the recorder and the preprocessing (reference-counted
 * with g_atomic_rc_box). */
typedef struct
{
  PtlImageInfo *image;
  gint64        received_us;
  gboolean      paired; /* set by the preprocessing thread only */
  gboolean      timed;  /* preprocessing thread only: its first pattern was counted and
                         * timed (a restart makes it again, untimed) */
  double        x;      /* stage translation, metres, once paired */
  double        y;
} PtlFrameRef;

PtlFrameRef *ptl_frame_ref_new (PtlImageInfo *image,
                                gint64        received_us);
PtlFrameRef *ptl_frame_ref_acquire (PtlFrameRef *frame);
void         ptl_frame_ref_release (PtlFrameRef *frame);

typedef enum
{
  PTL_ITEM_START,    /* a series begins (recorder, preprocessing) / geometry (engine) */
  PTL_ITEM_IMAGE,    /* recorder: to write; preprocessing: a paired image */
  PTL_ITEM_POSITION, /* recorder: a paired position */
  PTL_ITEM_POSITIONS, /* preprocessing: positions as the position stream delivered them */
  PTL_ITEM_PATTERN,  /* engine: a preprocessed pattern with its translation */
  PTL_ITEM_END,      /* the series is complete */
  PTL_ITEM_RESTART   /* engine: start again; the frames follow preprocessed anew */
} PtlItemKind;

typedef struct
{
  PtlItemKind  kind;
  PtlFrameRef *frame;        /* IMAGE; PATTERN: the image it came from */
  GArray      *positions;    /* POSITIONS: PtlStagePosition */
  guint        generation;   /* PATTERN, RESTART: which preprocessing made it */
  guint64      image_id;     /* POSITION, PATTERN */
  double       x;            /* POSITION, PATTERN: metres */
  double       y;
  float       *pattern;      /* PATTERN: [M][M] photons */
  guint8      *mask;         /* PATTERN: [M][M] 1 = measured */
  gint64       received_us;  /* PATTERN */
  gint64       preprocessed_us;
  gint64       paired_us;    /* PATTERN: when its position was found */
  gboolean     first;        /* PATTERN: the image's first pattern (a restart's are not
                              * timed again) */
  PtlGeometry  geometry;     /* START for the engine */
} PtlItem;

PtlItem *ptl_item_new (PtlItemKind kind);
void     ptl_item_free (PtlItem *item);

struct _PtlPipeline
{
  GObject           parent_instance;

  PtlPipelineConfig config; /* strings owned */
  GMainContext     *context;

  /* Mailbox, run control and everything the main thread reads. */
  GMutex            lock;
  PtlSnapshot      *snapshot;
  PtlSnapshot      *scan_end_snapshot;
  GSource          *notify_source;
  gboolean          notify_snapshot;
  gboolean          notify_finished;
  PtlPipelineState  state;
  char             *failure;
  gboolean          recon_pending;
  PtlReconParams    recon_params;
  gboolean          preprocess_pending;
  gboolean          restart_pending;
  guint             refine_sweeps;  /* the refinement budget in force */
  double            refine_seconds;
  PtlPreprocessParams preprocess_params;
  PtlArray         *latest_pattern;
  PtlArray         *latest_raw;
  double            crop_centre_row;
  double            crop_centre_col;
  guint             crop;
  char             *preprocess_device;
  char             *record_message;

  gboolean          started;
  gboolean          stopped;
  gint              stopping; /* atomic */

  PtlQueue         *record_queue;
  PtlQueue         *preprocess_queue;
  PtlQueue         *engine_queue;

  /* Ingest: the receive threads' shared state (ptl-ingest.c). The series is set once,
   * before anything of it is queued, and never changes. */
  GMutex            ingest_lock;
  PtlSeriesInfo    *series;
  gboolean          series_ended;

  /* Sources. */
  PtlDetectorClient  *detector;
  PtlPositionClient  *positions;
  double              position_scale; /* metres per stage unit the position client uses */
  PtlStreamPublisher *publisher;
  GThread            *publisher_thread;
  GCancellable       *cancellable;
  GThread            *replay_thread;
  PtlScanFile        *scan_file;
  PtlArray           *model_probe;       /* PTL_PROBE_INIT_MODEL: from probe_file */
  PtlArray           *calibration_dark;  /* the simulated detector's, or from dark_file */
  guint8             *calibration_mask;

  GThread          *preprocess_thread;
  GThread          *engine_thread;
  GThread          *record_thread;

  /* Counters, under stats_lock. */
  GMutex            stats_lock;
  PtlPipelineCounters counters;
  gint64            first_received_us;
  gint64            last_received_us;
  gint64            rate_window_us;    /* start of the current one-second window */
  guint64           rate_window_count; /* frames received in it */
  double            rate_last;         /* frames/s over the last full window */
  guint64           ingest_errors; /* images of another series, a second series */
  guint64           client_errors; /* decode and order errors the clients counted */
  PtlLatencyLog    *receive_to_preprocessed;
  PtlLatencyLog    *preprocessed_to_reconstructed;
  PtlLatencyLog    *paired_to_reconstructed;
  PtlLatencyLog    *receive_to_recorded;
};

/* ptl-pipeline-config.c */
void     _ptl_pipeline_config_copy (PtlPipelineConfig       *dst,
                                    const PtlPipelineConfig *src);
void     _ptl_pipeline_config_clear (PtlPipelineConfig *config);
gboolean _ptl_pipeline_config_validate (const PtlPipelineConfig *config,
                                        GError                 **error);
PtlSnapshot *_ptl_snapshot_new (void);
PtlSeriesInfo *_ptl_series_info_copy (const PtlSeriesInfo *series);
/* A deep copy, to be changed before it is published. */
PtlSnapshot *_ptl_snapshot_copy (const PtlSnapshot *snapshot);

/* ptl-pipeline.c: called from the pipeline's threads. */
gboolean _ptl_pipeline_is_stopping (PtlPipeline *self);
void     _ptl_pipeline_publish (PtlPipeline *self,
                                PtlSnapshot *snapshot,
                                gboolean     scan_end,
                                gboolean     finished);
void     _ptl_pipeline_set_state (PtlPipeline     *self,
                                  PtlPipelineState state);
void     _ptl_pipeline_fail (PtlPipeline *self,
                             const char  *message);
PtlPipelineCounters _ptl_pipeline_counters (PtlPipeline *self);

/* ptl-ingest.c: the receive threads hand over here (any thread). */
void     _ptl_ingest_push_record (PtlPipeline *self,
                                  PtlItem     *item,
                                  gsize        bytes);
void     _ptl_ingest_count_client_errors (PtlPipeline *self);
void     _ptl_ingest_detector_event (PtlStreamEvent *event,
                                     gpointer        user_data);
void     _ptl_ingest_positions (PtlPandaMsgType         type,
                                const PtlStagePosition *positions,
                                guint                   n_positions,
                                gpointer                user_data);

/* ptl-source-*.c: prepare (before the threads: opens files, makes the simulator, fixes
 * the preprocessing), then start (connects, starts the source's threads). */
gboolean _ptl_source_prepare (PtlPipeline *self,
                              GError     **error);
gboolean _ptl_source_replay_prepare (PtlPipeline *self,
                                     GError     **error);
gboolean _ptl_source_start (PtlPipeline *self,
                            GError     **error);
void     _ptl_source_stop (PtlPipeline *self);
gboolean _ptl_source_replay_start (PtlPipeline *self,
                                   GError     **error);

/* Thread functions. */
gpointer _ptl_preprocess_worker (gpointer pipeline);
gpointer _ptl_engine_thread (gpointer pipeline);
gpointer _ptl_record_thread (gpointer pipeline);

/* ptl-pipeline-result.c */
/* Object, probe, positions used, parameters and error history as a CXI result file, and
 * the run's counters and timings (JSON) in /entry_1/ptycholive/live_counters, live_timings. */
gboolean _ptl_pipeline_write_result (const char        *path,
                                     const PtlSnapshot *snapshot,
                                     GError           **error);

G_END_DECLS
