/* The detector of `ptycholive-bench live`: a simulated scan as a beamline sCMOS camera
 * sends it (uint16 frames of any size, bitshuffle+LZ4, Stream V2) with PandA positions,
 * at a given rate, on loopback. Unlike the built-in simulator it takes the frame size,
 * the binning and the dose, so that the case (2048² frames, crop 512, bin 4) can
 * be streamed; its dark and bad pixels are written to files for the pipeline to use. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-scan-data.h"

G_BEGIN_DECLS

typedef struct
{
  guint   n_frames;
  guint   pattern;    /* M: side of the pattern the pipeline reconstructs */
  guint   side;       /* raw frame side, detector pixels */
  guint   bin;        /* detector pixels per pattern pixel */
  double  photons;    /* incident photons per frame */
  double  gain;       /* ADU per photon */
  double  rate;       /* frames/s */
  guint64 seed;
} BenchSourceParams;

typedef struct _BenchSource BenchSource;

/* Simulates and encodes every frame, writes dark.h5 and mask.h5 into `dir`, binds. */
BenchSource       *bench_source_new (const BenchSourceParams *params,
                                     const char              *dir,
                                     GError                 **error);
void               bench_source_free (BenchSource *source);
const char        *bench_source_detector_endpoint (BenchSource *source);
const char        *bench_source_positions_endpoint (BenchSource *source);
const char        *bench_source_dark_file (BenchSource *source);
const char        *bench_source_mask_file (BenchSource *source);
const PtlScanData *bench_source_truth (BenchSource *source,
                                       const PtlArray **object,
                                       const PtlArray **probe);
/* Sends the series on a thread of its own. */
void               bench_source_start (BenchSource *source);
/* Waits for the sending thread; FALSE with the error it met. */
gboolean           bench_source_join (BenchSource *source,
                                      GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchSource, bench_source_free)

G_END_DECLS
