/* Between the parts of the Stream V2 decoder: the CBOR layer hands over one head at a time
 * (ptl-stream-v2-cbor.c); the reader keeps the fields it knows (ptl-stream-v2-read.c),
 * converting user_data to JSON on the way (ptl-stream-v2-json.c); the decoder checks the
 * fields as a whole and builds the event (ptl-stream-v2.c). */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-types.h"

G_BEGIN_DECLS

enum
{
  PTL_V2_START = 1 << 0,
  PTL_V2_IMAGE = 1 << 1,
  PTL_V2_END = 1 << 2
};

typedef enum
{
  PTL_V2_FIELD_TYPE,
  PTL_V2_FIELD_SERIES_ID,
  PTL_V2_FIELD_SERIES_UNIQUE_ID,
  PTL_V2_FIELD_IMAGE_SIZE_X,
  PTL_V2_FIELD_IMAGE_SIZE_Y,
  PTL_V2_FIELD_IMAGE_DTYPE,
  PTL_V2_FIELD_NUMBER_OF_IMAGES,
  PTL_V2_FIELD_PIXEL_SIZE_X,
  PTL_V2_FIELD_PIXEL_SIZE_Y,
  PTL_V2_FIELD_INCIDENT_ENERGY,
  PTL_V2_FIELD_INCIDENT_WAVELENGTH,
  PTL_V2_FIELD_COUNT_TIME,
  PTL_V2_FIELD_FRAME_TIME,
  PTL_V2_FIELD_BEAM_CENTER_X,
  PTL_V2_FIELD_BEAM_CENTER_Y,
  PTL_V2_FIELD_SATURATION_VALUE,
  PTL_V2_FIELD_PIXEL_MASK,
  PTL_V2_FIELD_USER_DATA,
  PTL_V2_FIELD_IMAGE_ID,
  PTL_V2_FIELD_DATA,
  PTL_V2_FIELD_START_TIME,
  PTL_V2_FIELD_STOP_TIME,
  PTL_V2_FIELD_REAL_TIME,
  PTL_V2_N_FIELDS
} PtlV2Field;

typedef struct
{
  char   *text;   /* text fields, and integer ids printed */
  guint64 uint;   /* integers; a rational's numerator */
  guint64 den;    /* a rational's denominator */
  double  number;
} PtlV2Value;

/* The wanted channel's tag 40 [[rows, cols], typed array]. */
typedef struct
{
  gboolean      found;
  guint64       dims[2];
  guint64       typed_tag;   /* 0 when the payload is not inside a typed-array tag */
  PtlEncoding   encoding;
  guint64       modifier;    /* of the compression tag */
  const guint8 *payload;     /* into the message */
  gsize         payload_len;
} PtlV2Array;

/* What one message said, each field checked on its own. */
typedef struct
{
  guint      type;  /* PTL_V2_START, _IMAGE or _END; 0 when "type" was not met */
  guint32    seen;  /* bit per PtlV2Field */
  PtlV2Value values[PTL_V2_N_FIELDS];
  PtlV2Array image; /* data[channel] */
  PtlV2Array mask;  /* pixel_mask[channel] */
  char      *user_data;
} PtlV2Fields;

/* One CBOR head (or whole string) as libcbor's streaming decoder reports it. */
typedef enum
{
  PTL_V2_ITEM_UINT,
  PTL_V2_ITEM_NEGINT, /* the value is −1 − u */
  PTL_V2_ITEM_BYTES,
  PTL_V2_ITEM_TEXT,
  PTL_V2_ITEM_ARRAY,
  PTL_V2_ITEM_MAP,
  PTL_V2_ITEM_TAG,
  PTL_V2_ITEM_FLOAT,
  PTL_V2_ITEM_BOOL,
  PTL_V2_ITEM_NULL,      /* null and undefined */
  PTL_V2_ITEM_INDEFINITE /* an indefinite-length item or its break */
} PtlV2ItemKind;

typedef struct
{
  PtlV2ItemKind kind;
  guint64       u;   /* integer, tag, item count or boolean */
  double        d;
  const guint8 *ptr; /* string bytes, inside the message */
  gsize         len;
} PtlV2Item;

/* Called for each head of the message in order, at `offset`; setting `error` stops the
 * walk. Counts have been checked: the items they announce fit in the message. */
typedef void (*PtlV2ItemFunc) (const PtlV2Item *item,
                               gsize            offset,
                               gpointer         user_data,
                               GError         **error);

/* Fails unless `data` holds exactly one well-formed, definite-length CBOR item. */
gboolean _ptl_stream_v2_walk (const guint8  *data,
                              gsize          len,
                              PtlV2ItemFunc  func,
                              gpointer       user_data,
                              GError       **error);

/* Fills `fields` (zeroed by the caller, cleared with _ptl_stream_v2_fields_clear) with
 * what the message says, each field checked on its own. */
gboolean _ptl_stream_v2_read (const guint8 *data,
                              gsize         len,
                              const char   *channel,
                              PtlV2Fields  *fields,
                              GError      **error);
void     _ptl_stream_v2_fields_clear (PtlV2Fields *fields);

/* A PTL_IO_ERROR_FORMAT error saying "Stream V2 message: …"; returns FALSE. */
gboolean _ptl_stream_v2_invalid (GError    **error,
                                 const char *format,
                                 ...) G_GNUC_PRINTF (2, 3);

typedef struct _PtlV2Json PtlV2Json;

PtlV2Json *_ptl_stream_v2_json_new (void);
void       _ptl_stream_v2_json_free (PtlV2Json *json);
/* Takes the items of one value in order, their counts already checked against the
 * message; `complete` is set at the last one. */
gboolean   _ptl_stream_v2_json_add (PtlV2Json       *json,
                                    const PtlV2Item *item,
                                    gboolean        *complete,
                                    GError         **error);
char      *_ptl_stream_v2_json_text (PtlV2Json *json);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PtlV2Fields, _ptl_stream_v2_fields_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlV2Json, _ptl_stream_v2_json_free)

G_END_DECLS
