/* The preprocessing thread's own state, shared between its loop (pairing, restarts) and
 * its per-frame work (ptl-preprocess-frame.c). */
#pragma once

#include "ptl-pipeline-private.h"

G_BEGIN_DECLS

typedef struct
{
  PtlPipeline        *self;
  PtlPreprocessParams params;
  guint               generation;    /* increases with every new preprocessing */
  PtlPreprocessor    *preprocessor;  /* uint16 frames */
  gboolean            ready;
  gboolean            processed;     /* float intensities of a processed file */
  guint               rows;
  guint               cols;
  guint               element_size;
  guint               m;
  guint               row0;          /* crop corner */
  guint               col0;
  guint8             *good;          /* [rows][cols] 1 = good, or NULL */
  gpointer            frame;         /* [rows][cols] elements, the crop's rows decoded */
  PtlPairing         *pairing;       /* patterns (payload: PtlItem) with their positions */
  GArray             *pairs;
  GPtrArray          *received;      /* PtlFrameRef, every image, in order */
  GPtrArray          *centre_frames; /* PtlFrameRef waiting for the automatic centre */
  gboolean            series_ended;
  gboolean            end_sent;
  gint64              last_raw_us;
  gint64              last_pattern_us;
} PtlWorker;

/* ptl-preprocess-frame.c */
gboolean _ptl_worker_setup (PtlWorker *w,
                            GError   **error);
void     _ptl_worker_reset (PtlWorker *w);
/* The pattern of one image (NULL when the image cannot be decoded: counted, left out). */
PtlItem *_ptl_worker_preprocess (PtlWorker   *w,
                                 PtlFrameRef *frame,
                                 GError     **error);
gboolean _ptl_worker_decode_rows (const PtlImageInfo *image,
                                  guint               element_size,
                                  guint               cols,
                                  guint               row_begin,
                                  guint               row_end,
                                  gpointer            frame,
                                  GError            **error);

G_END_DECLS
