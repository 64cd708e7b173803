/* A recording read back for the stream publisher: every frame that has a position, as the
 * detector's little-endian pixels, with its stage translation and the series metadata, so
 * that a recorded scan (ours, or another program's CXI file) goes through the live path
 * again exactly as a detector and a PandA would send it. */
#pragma once

#include <glib.h>

#include "core/ptl-frame.h"

G_BEGIN_DECLS

typedef struct
{
  GPtrArray     *pixels;       /* GBytes per frame, [rows][cols] little-endian elements */
  double        *translation;  /* [n][2] (x, y), metres */
  guint          n_frames;
  guint          rows;
  guint          cols;
  guint          element_size; /* 2 or 4: processed intensities become uint32 counts */
  guint          skipped;      /* frames left out: no position */
  PtlSeriesInfo *series;       /* what the file says of the detector and the beam */
} PtlPublisherRecording;

/* Reads every frame into memory; fails on a file that has no frame with a position. */
PtlPublisherRecording *ptl_publisher_recording_read (const char *path,
                                                     GError    **error);
void                   ptl_publisher_recording_free (PtlPublisherRecording *recording);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPublisherRecording, ptl_publisher_recording_free)

G_END_DECLS
