/* DECTRIS SIMPLON Stream V1 ("legacy"): JSON message parts with binary blobs between them
 * (reference/protocols.md §1.2). A series header is `dheader-1.0`, then with detail basic or
 * all the detector configuration, then with all three header + blob pairs (flat field,
 * pixel mask, count-rate table), then an optional appendix; an image is `dimage-1.0`,
 * `dimage_d-1.0`, the data blob, `dconfig-1.0` and an optional appendix; `dseries_end-1.0`
 * ends the series.
 *
 * The decoder is fed one ZMQ message part at a time. It assembles messages by content, not
 * by the ZMQ "more" flag alone, because proxies are known to forward every part as its own
 * message: a part that is a JSON object with a known htype starts or continues a message,
 * a blob is the part that follows its JSON header. "more" only tells it whether to wait for
 * an appendix. A part that is missing, malformed or out of place is an error that is
 * counted and logged; the decoder keeps what is usable (a header whose configuration
 * arrived, an image whose data arrived), skips to the next part that starts a message, and
 * never loses what it has already decoded.
 *
 * Decoded fields:
 * - start: series (integer or text → series_id); configuration keys x/y_pixels_in_detector,
 *   x/y_pixel_size (m), detector_distance (m), photon_energy (eV) and wavelength (Å, stored
 *   in metres; either is derived from the other when only one is sent), beam_center_x/y,
 *   count_time, frame_time, nimages × ntrigger (ntrigger alone for trigger modes inte/exte),
 *   bit_depth_image (firmware without it: bit_depth_readout) rounded up to whole bytes →
 *   element_size, countrate_correction_count_cutoff → saturation_value; the pixel mask of
 *   detail all (uint8/16/32, shape equal to the detector's, widened to guint32); the
 *   appendix as user_data (verbatim when it is JSON, else as a JSON string); raw_header =
 *   the configuration part (NULL with detail none).
 * - image: series, frame → image_id, shape [x, y] = [cols, rows], type uint8/16/32,
 *   encoding `<` (RAW), `bsN-lz4<` with N = 8 × element size (BSLZ4: the blob is already in
 *   HDF5 framing) — both a view of the part, no copy — or `lz4<`, one LZ4 block without a
 *   header, delivered as LZ4 in HDF5 framing with one block (a copy of the blob behind a
 *   16-byte header, so that it decodes and records like the V2 encodings); start_time,
 *   stop_time and real_time (ns) from dconfig. `hash` is ignored: real detectors send a
 *   value that matches nothing.
 * - end: series.
 * Unknown keys are ignored. A known key of the wrong type, sizes over PTL_STREAM_MAX_SIDE /
 * PTL_STREAM_MAX_IMAGE_BYTES, a blob whose size differs from the declared one, an unknown
 * htype, type or encoding, JSON nested deeper than 64 levels or over
 * PTL_STREAM_V1_MAX_JSON_BYTES fail with PTL_IO_ERROR_FORMAT. Rules across messages (an
 * image before its header) are the client's. */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-types.h"

G_BEGIN_DECLS

/* Larger parts are never taken for JSON: configurations are ~2 KiB. */
#define PTL_STREAM_V1_MAX_JSON_BYTES ((gsize) 1 << 20)

typedef enum
{
  PTL_STREAM_V1_DETAIL_NONE,  /* dheader only */
  PTL_STREAM_V1_DETAIL_BASIC, /* + detector configuration */
  PTL_STREAM_V1_DETAIL_ALL    /* + flat field, pixel mask, count-rate table */
} PtlStreamV1Detail;

typedef struct
{
  guint64 parts;         /* parts pushed */
  guint64 messages;      /* messages that produced an event, complete or not */
  guint64 errors;        /* problems found, each logged (one push may find two) */
  guint64 missing_parts; /* parts found missing, when what came next showed it */
  guint64 resyncs;       /* times the decoder skipped parts to find the next message */
} PtlStreamV1Counters;

typedef struct _PtlStreamV1Decoder PtlStreamV1Decoder;

PtlStreamV1Decoder *ptl_stream_v1_decoder_new (void);
void                ptl_stream_v1_decoder_free (PtlStreamV1Decoder *decoder);

/* Appends the events that `part` completes to `events` (an array that frees its elements
 * with ptl_stream_event_free). Returns FALSE with PTL_IO_ERROR_FORMAT when the part revealed
 * bad input; the events appended stay valid, the part is still used where it can be (a
 * header that shows the previous part missing starts its own section or message), and the
 * decoder stays usable. Keeps a reference to `part` only while its bytes are needed. */
gboolean ptl_stream_v1_decoder_push (PtlStreamV1Decoder *decoder,
                                     GBytes             *part,
                                     gboolean            more,
                                     GPtrArray          *events,
                                     GError            **error);

/* When parts arrive without "more", a complete series header is held until the next part
 * shows whether it is the appendix. A receiver that sees the stream go quiet calls this to
 * deliver it anyway. */
void                ptl_stream_v1_decoder_flush (PtlStreamV1Decoder *decoder,
                                                 GPtrArray          *events);

PtlStreamV1Counters ptl_stream_v1_decoder_get_counters (const PtlStreamV1Decoder *decoder);

/* The encoders return the parts of one message, in order, as an array of GBytes (freeing
 * them with it), written as an EIGER writes them; integers are JSON integers, a series id
 * that is decimal text as an integer. */

/* Detail basic and all write the configuration keys the decoder reads (wavelength in Å,
 * trigger_mode ints with nimages = number_of_images and ntrigger 1, bit_depth_image =
 * 8 × element size; energy, wavelength, element size and saturation only when known); all adds
 * a flat field of ones, the pixel mask (zeros when there is none) and a two-point identity
 * count-rate table. user_data, when set, follows as the appendix: a JSON string as its
 * text, any other JSON verbatim. raw_header is not used. */
GPtrArray *ptl_stream_v1_encode_header (const PtlSeriesInfo *series,
                                        PtlStreamV1Detail    detail);

/* RAW and BSLZ4 data go out as they are (`<`, `bsN-lz4<`, no copy); LZ4 in HDF5 framing is
 * rewritten as the one LZ4 block `lz4<` wants (without recompressing when it already is one
 * block). Fails only on LZ4 data that does not decode. */
GPtrArray *ptl_stream_v1_encode_image (const PtlImageInfo *image,
                                       GError            **error);

GPtrArray *ptl_stream_v1_encode_end (const char *series_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlStreamV1Decoder, ptl_stream_v1_decoder_free)

G_END_DECLS
