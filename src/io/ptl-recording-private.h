/* The layout of a recording (reference/protocols.md §5.4 E), shared by its writer
 * (ptl-recorder*.c) and reader (ptl-scan-file*.c):
 *
 * /cxi_version                                  int 160
 * /entry_1                                      NXentry
 *     definition                                "NXcxi_ptycho"
 *     start_time, end_time                      ISO 8601 UTC (end_time: fixed 64 bytes,
 *                                               empty until the close)
 *     instrument_1                              NXinstrument
 *         source_1                              NXsource: name ("unknown"), type, energy (J)
 *         beam_1                                NXbeam: energy, incident_beam_energy (J),
 *                                               incident_wavelength (m)
 *                                               (energies and lengths only when known)
 *         detector_1                            NXdetector
 *             data                              (N, rows, cols) u/int 8|16|32, chunk
 *                                               (1, rows, cols): one frame per chunk, the
 *                                               detector's bytes; filter 32008 {0,0,elem,0,2}
 *                                               (bslz4), 32004 {0} (lz4) or none (raw);
 *                                               @axes "translation:y:x"
 *             distance, x_pixel_size, y_pixel_size   m
 *             beam_center_x, beam_center_y      pixel
 *             count_time, frame_time            s (when known)
 *             saturation_value                  counts (0: unknown)
 *             mask                              uint32 (rows, cols), CXI 0x1 where the stream's
 *                                               mask is nonzero (when it sent one)
 *             translation                       soft link -> sample_1/geometry_1/translation
 *     sample_1                                  NXsample
 *         geometry_1                            NXcollection
 *             translation                       float64 (N, 3) m: x, y, 0 of frame k; NaN
 *                                               until its position is paired; @units "m",
 *                                               @axes "translation:y:x", @interpretation
 *     data_1                                    NXcollection: soft links data, translation
 *     collection_1                              NXcollection, this program's own fields
 *         program                               "ptycholive" (marks our recordings)
 *         format_version                        int 1
 *         encoding                              "raw" | "lz4" | "bslz4"
 *         image_id                              uint64 (N): the stream's id of frame k
 *         image_time_ns                         uint64 (N, 3): start, stop, real time
 *         position_image_id                     uint64 (P) ┐ every paired position, in
 *         position_x, position_y                float64 (P) │ arrival order, m
 *         position_index                        uint64 (P)  │ first PandA sample used
 *         raw_positions/<x field>, <y field>    float64 (P) ┘ stage units (mean of the
 *                                               samples); @units "stage",
 *                                               @metres_per_unit
 *         position_mapping                      JSON: fields, metres_per_unit,
 *                                               samples_per_frame, swap_xy, sign_x, sign_y
 *         counters                              JSON text, fixed-length REC_COUNTERS_MAX bytes
 *         series/                               every PtlSeriesInfo field by its own name,
 *                                               stream_start (uint8, the raw start message)
 *         preprocess/                           every PtlPreprocessParams field by its name
 */
#pragma once

#include <glib.h>
#include <hdf5.h>

#include "core/ptl-frame.h"
#include "core/ptl-preprocess-params.h"
#include "ptl-recording.h"

G_BEGIN_DECLS

#define REC_CXI_VERSION 160
#define REC_FORMAT_VERSION 1
#define REC_PROGRAM "ptycholive"

#define REC_ENTRY "/entry_1"
#define REC_DETECTOR "/entry_1/instrument_1/detector_1"
#define REC_DATA "/entry_1/instrument_1/detector_1/data"
#define REC_TRANSLATION "/entry_1/sample_1/geometry_1/translation"
#define REC_COLLECTION "/entry_1/collection_1"
#define REC_SERIES "/entry_1/collection_1/series"
#define REC_PREPROCESS "/entry_1/collection_1/preprocess"

/* HDF5 registered filter ids (the plugins are not needed to write or to read chunks back). */
#define REC_FILTER_LZ4 32004
#define REC_FILTER_BITSHUFFLE 32008
#define REC_BITSHUFFLE_LZ4 2 /* the plugin's cd_values[4]: compress with LZ4 */

/* Room for the counters' JSON text: a fixed-length string can be rewritten in place. */
#define REC_COUNTERS_MAX 4096
#define REC_TIME_MAX 64

/* Longest scan a reader accepts: bounds the per-frame tables it allocates. */
#define REC_MAX_FRAMES (1u << 24)

/* HDF5 stores a chunk's size in 32 bits. */
#define REC_MAX_CHUNK_BYTES ((guint64) G_MAXUINT32)
/* Room beyond a frame's bytes that one call may take: a new chunk of every table (64 rows
 * of at most 24 bytes), B-tree nodes and HDF5's 2 KiB allocation blocks, many times over. */
#define REC_ROOM_MARGIN ((guint64) 256 << 10)

const char *_ptl_recording_encoding_name (PtlEncoding encoding);

/* A recorder (ptl-recorder*.c: see the top of ptl-recorder.c). */
struct _PtlRecorder
{
  char       *path;
  PtlEncoding encoding;
  guint       rows;
  guint       cols;
  guint       element_size;
  gsize       frame_bytes;
  guint       flush_every;
  guint       since_flush;
  guint64     n_frames;
  guint64     n_positions;

  hid_t file;
  hid_t data;
  hid_t image_id;
  hid_t image_time;
  hid_t translation;
  hid_t position_id;
  hid_t position_x;
  hid_t position_y;
  hid_t position_index;
  hid_t raw_x;
  hid_t raw_y;
  hid_t counters;
  hid_t end_time;

  /* Positions' source: raw stage values are the metres over `scale`. */
  double  scale;
  guint   samples_per_frame;
  char   *raw_paths[2]; /* of raw_x, raw_y: named by their PandA fields */

  GHashTable *frame_of_id; /* image id → frame, FrameOfId */
  GHashTable *pending;     /* positions paired before their frame was written */
};

/* "path: what (HDF5's reason)" for the HDF5 call that just failed. */
void     _ptl_recorder_set_h5_error (GError    **error,
                                     int         code,
                                     const char *path,
                                     const char *format,
                                     ...) G_GNUC_PRINTF (4, 5);
hid_t    _ptl_recorder_dataset_access_new (void);
/* ptl-recorder-room.c: grows the file `extra` bytes past HDF5's end of allocation
 * (posix_fallocate), or fails with the system's reason and nothing written; and gives what
 * is left of it back at the close. */
gboolean _ptl_recorder_reserve_room (PtlRecorder *self,
                                     guint64      extra,
                                     GError     **error);
void     _ptl_recorder_give_back_room (PtlRecorder *self);
/* ptl-recorder-tables.c: the open datasets, closed, or reopened after a failed write. */
void     _ptl_recorder_close_ids (PtlRecorder *self);
gboolean _ptl_recorder_reopen_ids (PtlRecorder *self);
/* A fixed-length string dataset rewritten in place: `value` must fit. */
gboolean _ptl_recorder_rewrite_fixed_string (PtlRecorder *self,
                                             hid_t        dataset,
                                             const char  *value,
                                             const char  *what,
                                             GError     **error);
gboolean _ptl_recorder_set_rows (PtlRecorder *self,
                                 hid_t        dataset,
                                 guint64      rows,
                                 GError     **error);
gboolean _ptl_recorder_write_row (PtlRecorder  *self,
                                  hid_t         dataset,
                                  guint64       row,
                                  hid_t         mem_type,
                                  gconstpointer values,
                                  GError      **error);
/* Grows the table by row `row` and writes it. */
gboolean _ptl_recorder_append_row (PtlRecorder  *self,
                                   hid_t         dataset,
                                   guint64       row,
                                   hid_t         mem_type,
                                   gconstpointer values,
                                   GError      **error);
/* Every object, the series metadata and the preprocessing; sets the recorder's dataset
 * identifiers. */
gboolean _ptl_recorder_write_layout (PtlRecorder               *self,
                                     const PtlSeriesInfo       *series,
                                     const PtlPreprocessParams *preprocess,
                                     const PtlPositionSource   *positions,
                                     GError                   **error);

/* A scan file open for reading (ptl-scan-file.c: ours; ptl-scan-file-foreign.c: others). */
struct _PtlScanFile
{
  char                *path;
  hid_t                file;
  hid_t                data;           /* the frames, (N, rows, cols) */
  gboolean             raw;            /* our recording of detector frames */
  guint                n_frames;
  PtlSeriesInfo       *series;
  PtlPreprocessParams  preprocess;     /* ours only */
  PtlEncoding          encoding;       /* ours only */
  gsize                frame_bytes;    /* ours only: uncompressed bytes of a frame */
  guint64             *image_ids;      /* ours only: [n_frames] */
  guint64             *image_times;    /* ours only: [n_frames][3] start, stop, real (ns) */
  double              *translation;    /* [n_frames][2] x, y in m, NaN = none; or NULL */
};

/* Our recordings' metadata groups (ptl-scan-file-series.c). */
gboolean _ptl_scan_file_read_series (hid_t          file,
                                     PtlSeriesInfo *series,
                                     GError       **error);
gboolean _ptl_scan_file_read_preprocess (hid_t                file,
                                         PtlPreprocessParams *params,
                                         GError             **error);
/* Fills file->data, n_frames, series and translation from another program's CXI file. */
gboolean _ptl_scan_file_open_foreign (PtlScanFile *file,
                                      GError     **error);
/* Reads a translation of (n, 3) or (3, n) into [n][2] x, y; NULL and no error when the file
 * has none at `path`. With `allow_short` (our recordings): (rows, 3) only, and the frames
 * past its rows (a recording cut short) have none. */
double  *_ptl_scan_file_read_translation (PtlScanFile *file,
                                          const char  *path,
                                          guint        n,
                                          gboolean     allow_short,
                                          GError     **error);

G_END_DECLS
