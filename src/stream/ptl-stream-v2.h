/* DECTRIS SIMPLON Stream V2: one ZMQ message is one CBOR map (optionally behind the
 * self-describe tag 55799) whose "type" is "start", "image" or "end" (reference/
 * protocols.md §1.3). The decoder walks the message with libcbor's streaming decoder, so
 * the image bytes are never copied: the event's data is a view of the message (with no
 * particular alignment). The encoders write what a detector writes, for the simulator and
 * the replay publisher.
 *
 * Decoded fields:
 * - start: series_id, series_unique_id, image_size_x/y (0 when not sent), image_dtype
 *   (uint8/16/32 or int8/16/32 → element_size and element_signed; 0 when not sent),
 *   number_of_images, pixel_size_x/y (m), incident_energy (eV) and incident_wavelength
 *   (Å, kept in metres; either one is derived from the other when only one is sent),
 *   count_time, frame_time, beam_center_x/y, saturation_value, pixel_mask[channel] (raw
 *   or compressed, any unsigned element size, widened to guint32; its dims give the image
 *   size when the start has none), user_data as JSON text (a string becomes a JSON string;
 *   byte strings become base64, tags are dropped, NaN and infinities become null),
 *   raw_header = the message. V2 has no detector distance: it stays 0.
 * - image: series_id, image_id, data[channel] = tag 40 [[rows, cols], typed array]: tag
 *   64/69/70 (uint8/16/32 LE) or 72/77/78 (int8/16/32 LE) around the raw bytes or around
 *   tag 56500 ["bslz4"|"lz4", modifier, bytes] (a bare tag 56500 "bslz4" takes its element
 *   size from the modifier); start_time/stop_time/real_time ([num, den] s → ns).
 * - end: series_id.
 * Integer series ids are given as decimal text; "type" may come anywhere in the map.
 * Unknown keys are skipped. A known key twice, a value of the wrong type, indefinite
 * lengths, user_data nested deeper than 32, sizes over PTL_STREAM_MAX_SIDE /
 * PTL_STREAM_MAX_IMAGE_BYTES, dims that disagree with the byte count (or with the size
 * header of compressed bytes), an unknown compression and bytes after the item all fail
 * with PTL_IO_ERROR_FORMAT. Rules across messages (an image before its start) are the
 * client's. */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-types.h"

G_BEGIN_DECLS

/* The channel the encoders write when given NULL, as single-threshold detectors name it. */
#define PTL_STREAM_V2_DEFAULT_CHANNEL "threshold_1"

/* `channel` picks the entry of an image's data map and of the start's pixel_mask map;
 * NULL takes the first entry. A named channel missing from an image's data is an error.
 * A start or image event keeps a reference to `message`. */
PtlStreamEvent *ptl_stream_v2_decode (GBytes     *message,
                                      const char *channel,
                                      GError    **error);

/* The encoders write the self-describe tag, "type" first, integers as CBOR integers (a
 * series id that is decimal text as one), one channel (NULL: the default), times as
 * [ns, 1000000000] and a compressed image as tag 40 [[rows, cols], typed array tag
 * (tag 56500 [name, modifier, bytes])] as EIGER2 detectors do (modifier = element size
 * for bslz4, 0 for lz4; the typed array is unsigned: the start's image_dtype carries the
 * sign). The start's user_data is sent as the CBOR value its JSON text describes (text
 * that is not JSON: as a string), its wavelength in Å, its mask as raw uint32, and
 * image_dtype only when element_size is 1, 2 or 4. */
GBytes *ptl_stream_v2_encode_start (const PtlSeriesInfo *series,
                                    const char          *channel);

/* Copies the image's bytes once, into the message. */
GBytes *ptl_stream_v2_encode_image (const PtlImageInfo *image,
                                    const char         *channel);

GBytes *ptl_stream_v2_encode_end (const char *series_id);

G_END_DECLS
