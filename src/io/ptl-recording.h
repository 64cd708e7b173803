/* Recording of a live scan and reading it (or another program's CXI file) back.
 *
 * Layout: CXI 1.6 / NXcxi_ptycho as in reference/protocols.md §5.4 E. Frames are written as
 * they arrive, the detector's compressed bytes kept as they came with HDF5 direct chunk
 * write (bslz4: filter 32008 declared, so h5py with the bitshuffle plugin reads them; raw
 * input: uncompressed chunks), one chunk per frame. Positions are appended as they are
 * paired (image id, x, y), the stream's start metadata, the preprocessing parameters and
 * the counters are stored. The file is flushed every `flush_every` frames and at close, and
 * is valid (h5dump, h5py) after a crash or a kill at any moment: at worst the frames since
 * the last flush are missing. One thread owns a recorder. */
#pragma once

#include <glib.h>

#include "core/ptl-array.h"
#include "core/ptl-frame.h"
#include "core/ptl-geometry.h"
#include "core/ptl-preprocess-params.h"

G_BEGIN_DECLS

typedef struct _PtlRecorder PtlRecorder;

/* Where the paired positions come from, kept with them so that a reader can go back to
 * the stage's own numbers: the PandA fields, metres per stage unit, the samples averaged
 * per image, and how stage axes become object axes (its scale is not used: `scale` is). */
typedef struct
{
  const char    *x_name;            /* with or without a leading "/" */
  const char    *y_name;
  double         scale;             /* metres per stage unit, finite and nonzero */
  guint          samples_per_frame; /* ≥ 1 */
  PtlAxisMapping mapping;
} PtlPositionSource;

/* Creates `path` (replacing nothing: an existing file is an error) for frames of the
 * series' shape and encoding. `positions` NULL: positions given in metres, as "x" and
 * "y", one sample per image. */
PtlRecorder *ptl_recorder_create_full (const char                *path,
                                       const PtlSeriesInfo       *series,
                                       PtlEncoding                encoding,
                                       const PtlPreprocessParams *preprocess,
                                       const PtlPositionSource   *positions,
                                       guint                      flush_every,
                                       GError                   **error);
PtlRecorder *ptl_recorder_create (const char                *path,
                                  const PtlSeriesInfo       *series,
                                  PtlEncoding                encoding,
                                  const PtlPreprocessParams *preprocess,
                                  guint                      flush_every,
                                  GError                   **error);
/* The image's bytes exactly as received. A failure (disk full) leaves the file valid up to
 * the previous frame and the recorder usable for the next call. */
gboolean     ptl_recorder_add_frame (PtlRecorder        *recorder,
                                     const PtlImageInfo *image,
                                     GError            **error);
/* A paired position: stage translation in metres. */
gboolean     ptl_recorder_add_position (PtlRecorder *recorder,
                                        guint64      image_id,
                                        double       x,
                                        double       y,
                                        GError     **error);
/* Stored with the file (replaced at each call): JSON text of the run's counters. */
gboolean     ptl_recorder_set_counters (PtlRecorder *recorder,
                                        const char  *counters_json,
                                        GError     **error);
gboolean     ptl_recorder_flush (PtlRecorder *recorder,
                                 GError     **error);
guint64      ptl_recorder_frames (PtlRecorder *recorder);
/* Flushes and closes; the recorder is freed whatever happens. */
gboolean     ptl_recorder_close (PtlRecorder *recorder,
                                 GError     **error);

/* A scan read back: our recordings (raw frames, compressed or not, with the series
 * metadata and preprocessing they were taken with) or a CXI file from another program
 * (already-processed float intensities, translation N×3 or 3×N, energy in J, distance and
 * pixel size; reference/protocols.md §4.2, §5.4 G). Every size is bounded before it is
 * allocated; a corrupt or foreign file fails with a message that names what is wrong. */
typedef struct _PtlScanFile PtlScanFile;

PtlScanFile *ptl_scan_file_open (const char *path,
                                 GError    **error);
void         ptl_scan_file_free (PtlScanFile *file);
guint        ptl_scan_file_n_frames (PtlScanFile *file);
/* TRUE: frames are raw detector images (preprocess them); FALSE: processed intensities. */
gboolean     ptl_scan_file_is_raw (PtlScanFile *file);
/* The series metadata (ours) or what the file says of the geometry (others). */
const PtlSeriesInfo       *ptl_scan_file_series (PtlScanFile *file);
/* The preprocessing the recording was made for; NULL for other programs' files. */
const PtlPreprocessParams *ptl_scan_file_preprocess (PtlScanFile *file);
/* Frame k as the detector sent it (raw files): bytes and encoding, for re-publishing and
 * replay; the bytes are newly allocated. */
gboolean     ptl_scan_file_read_image (PtlScanFile  *file,
                                       guint         k,
                                       PtlImageInfo **image,
                                       GError      **error);
/* Frame k as float intensities [M][M] (processed files only). */
gboolean     ptl_scan_file_read_intensity (PtlScanFile *file,
                                           guint        k,
                                           float       *intensity,
                                           GError     **error);
/* Stage translation of frame k, metres; FALSE (no error) when it has none. */
gboolean     ptl_scan_file_translation (PtlScanFile *file,
                                        guint        k,
                                        double      *x,
                                        double      *y);
/* Seconds between frames when known (for replay at the original rate); 0 otherwise. */
double       ptl_scan_file_frame_time (PtlScanFile *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlScanFile, ptl_scan_file_free)

G_END_DECLS
