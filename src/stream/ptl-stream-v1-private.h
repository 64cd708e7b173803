/* What the Stream V1 decoder, its field readers and the encoders share: the htypes, the V1
 * names of element types and encodings, and the message being assembled. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "stream/ptl-stream-types.h"
#include "stream/ptl-stream-v1.h"

G_BEGIN_DECLS

#define PTL_STREAM_V1_HTYPE_HEADER "dheader-1.0"
#define PTL_STREAM_V1_HTYPE_FLATFIELD "dflatfield-1.0"
#define PTL_STREAM_V1_HTYPE_PIXEL_MASK "dpixelmask-1.0"
#define PTL_STREAM_V1_HTYPE_COUNTRATE "dcountrate_table-1.0"
#define PTL_STREAM_V1_HTYPE_IMAGE "dimage-1.0"
#define PTL_STREAM_V1_HTYPE_IMAGE_D "dimage_d-1.0"
#define PTL_STREAM_V1_HTYPE_IMAGE_CONFIG "dconfig-1.0"
#define PTL_STREAM_V1_HTYPE_END "dseries_end-1.0"

/* HDF5 LZ4 framing (protocols.md §1.4): u64be uncompressed bytes, u32be block bytes, then
 * per block a u32be compressed size and the block. */
#define PTL_STREAM_V1_FRAMING_BYTES 12
#define PTL_STREAM_V1_BLOCK_SIZE_BYTES 4

typedef enum
{
  PTL_V1_PART_BINARY,        /* not JSON: a blob, or an appendix */
  PTL_V1_PART_JSON,          /* JSON without htype: the configuration, or an appendix */
  PTL_V1_PART_UNKNOWN_HTYPE,
  PTL_V1_PART_HEADER,        /* the three that start a message */
  PTL_V1_PART_IMAGE,
  PTL_V1_PART_END,
  PTL_V1_PART_FLATFIELD,     /* the sections of a detail-all header */
  PTL_V1_PART_PIXEL_MASK,
  PTL_V1_PART_COUNTRATE,
  PTL_V1_PART_IMAGE_D,
  PTL_V1_PART_IMAGE_CONFIG
} PtlV1Part;

/* A header has `series`, an image `image`; the other fields describe the next blob. */
typedef struct
{
  PtlSeriesInfo *series;
  PtlImageInfo  *image;
  gsize          blob_bytes;        /* declared size */
  guint          mask_element_size; /* the pixel mask's; 0 when the blob is not kept */
  guint64        image_bytes;       /* uncompressed */
} PtlV1Message;

/* "none", "basic", "all". */
const char *_ptl_stream_v1_detail_name (PtlStreamV1Detail detail);

/* "uint8", "uint16", "uint32" for 1, 2, 4 bytes; NULL for any other size. */
const char *_ptl_stream_v1_type_name (guint element_size);

/* "<", "lz4<" or "bs<8 × element size>-lz4<"; NULL for an element size V1 lacks. */
const char *_ptl_stream_v1_encoding_name (PtlEncoding encoding,
                                          guint       element_size);

/* The readers fail with PTL_IO_ERROR_FORMAT and leave the message usable as far as it was. */
gboolean _ptl_stream_v1_read_series (JsonObject *object,
                                     char      **series_id,
                                     GError    **error);
gboolean _ptl_stream_v1_read_header (PtlV1Message      *message,
                                     JsonObject        *object,
                                     PtlStreamV1Detail *detail,
                                     GError           **error);
gboolean _ptl_stream_v1_read_config (PtlV1Message *message,
                                     JsonObject   *object,
                                     GBytes       *part,
                                     GError      **error);
gboolean _ptl_stream_v1_read_section (PtlV1Message *message,
                                      PtlV1Part     kind,
                                      JsonObject   *object,
                                      GError      **error);
gboolean _ptl_stream_v1_read_image (PtlV1Message *message,
                                    JsonObject   *object,
                                    GError      **error);
gboolean _ptl_stream_v1_read_image_d (PtlV1Message *message,
                                      JsonObject   *object,
                                      GError      **error);
gboolean _ptl_stream_v1_read_image_config (PtlV1Message *message,
                                           JsonObject   *object,
                                           GError      **error);
/* The image's data, or a header section's blob; `name` says which in errors. */
gboolean _ptl_stream_v1_take_blob (PtlV1Message *message,
                                   const char   *name,
                                   GBytes       *part,
                                   GError      **error);
/* `root`: the part as JSON, NULL when it is not. An image's appendix is not kept. */
gboolean _ptl_stream_v1_take_appendix (PtlV1Message *message,
                                       GBytes       *part,
                                       JsonNode     *root,
                                       GError      **error);

G_END_DECLS
