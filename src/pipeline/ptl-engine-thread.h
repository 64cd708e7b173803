/* The engine thread's own state, shared between its loop and its snapshots. */
#pragma once

#include "ptl-pipeline-private.h"
#include "recon/ptl-engine.h"

G_BEGIN_DECLS

/* For _ptl_engine_snapshot: the state the pipeline is in now. */
#define PTL_PIPELINE_STATE_CURRENT ((PtlPipelineState) -1)

typedef struct
{
  PtlPipeline       *self;
  PtlBackend        *backend;
  PtlEngine         *engine;
  PtlReconParams     params;
  PtlGeometry        geometry;
  guint              generation;   /* of the preprocessing whose patterns are taken */
  PtlAxisMapping     mapping;      /* the configured one, on translations in metres */
  double             pixel_size;
  double             offset_row;   /* mapped pixel that is (0, 0) of the first canvas */
  double             offset_col;
  gboolean           anchored;     /* the first usable position is known: */
  double             anchor_row;   /* its mapped pixel, which bounds the others' */
  double             anchor_col;
  GPtrArray         *incoming;     /* PtlItem patterns not yet in the engine */
  GArray            *translation;  /* double (x, y) per frame in the engine, metres */
  GArray            *arrival;      /* double, seconds from the first frame */
  gint64             first_us;
  gboolean           series_ended;
  gboolean           scan_end_published;
  gboolean           finished;
  guint              refine_sweeps;
  gint64             refine_start_us;
  gint64             last_snapshot_us;
  gboolean           device_snapshots; /* FALSE once the backend could not keep one on a GPU
                                        * (the CPU's): it is asked once per run */
  gint64             last_timings_us;
  PtlPipelineTimings timings;
} PtlEngineRun;

void _ptl_engine_run_init (PtlEngineRun *run,
                           PtlPipeline  *self);
void _ptl_engine_run_reset (PtlEngineRun *run);
void _ptl_engine_run_clear (PtlEngineRun *run);

/* A snapshot of the engine now (ptl-engine-snapshot.c); `timings_now` forces the latency
 * summaries to be computed afresh. */
PtlSnapshot *_ptl_engine_snapshot (PtlEngineRun    *run,
                                   PtlPipelineState state,
                                   gboolean         timings_now,
                                   GError         **error);

G_END_DECLS
