/* The CBOR layer under the Stream V2 reader: libcbor's streaming decoder turned into one
 * call per head (a whole string at once, as a pointer into the message), with the checks
 * every message needs whatever it means: definite lengths only, no more items announced
 * than the bytes left can hold, and exactly one item in the message. */
#include "config.h"

#include <cbor.h>

#include "stream/ptl-stream-v2-private.h"

typedef struct
{
  PtlV2ItemFunc func;
  gpointer      user_data;
  gsize         len;
  gsize         pos;     /* offset of the head being decoded */
  guint64       pending; /* items still to come in the message's item */
  GError       *error;
} Walk;

static void
walk_item (Walk            *walk,
           const PtlV2Item *item)
{
  guint64 room = walk->len - walk->pos - 1; /* bytes after this head */
  guint64 children;

  if (walk->error != NULL)
    return;
  if (item->kind == PTL_V2_ITEM_INDEFINITE)
    {
      _ptl_stream_v2_invalid (&walk->error, "byte %" G_GSIZE_FORMAT
                              ": indefinite-length items are not supported", walk->pos);
      return;
    }
  walk->pending--;
  /* Every item still to come needs at least one byte: this bounds every count. */
  children = item->kind == PTL_V2_ITEM_ARRAY ? item->u :
             item->kind == PTL_V2_ITEM_MAP ? MIN (item->u, G_MAXUINT64 / 2) * 2 :
             item->kind == PTL_V2_ITEM_TAG ? 1 : 0;
  if (children > room || walk->pending > room - children)
    {
      _ptl_stream_v2_invalid (&walk->error, "byte %" G_GSIZE_FORMAT
                              ": more items announced than the message can hold", walk->pos);
      return;
    }
  walk->pending += children;
  walk->func (item, walk->pos, walk->user_data, &walk->error);
}

/* libcbor reports each kind of item through its own callback. */
#define ON_INTEGER(name, ctype, item_kind)                                \
  static void                                                             \
  name (void *walk,                                                       \
        ctype value)                                                      \
  {                                                                       \
    walk_item (walk, &(PtlV2Item) { .kind = item_kind, .u = value });     \
  }

ON_INTEGER (on_uint8, uint8_t, PTL_V2_ITEM_UINT)
ON_INTEGER (on_uint16, uint16_t, PTL_V2_ITEM_UINT)
ON_INTEGER (on_uint32, uint32_t, PTL_V2_ITEM_UINT)
ON_INTEGER (on_uint64, uint64_t, PTL_V2_ITEM_UINT)
ON_INTEGER (on_negint8, uint8_t, PTL_V2_ITEM_NEGINT)
ON_INTEGER (on_negint16, uint16_t, PTL_V2_ITEM_NEGINT)
ON_INTEGER (on_negint32, uint32_t, PTL_V2_ITEM_NEGINT)
ON_INTEGER (on_negint64, uint64_t, PTL_V2_ITEM_NEGINT)
ON_INTEGER (on_array, size_t, PTL_V2_ITEM_ARRAY)
ON_INTEGER (on_map, size_t, PTL_V2_ITEM_MAP)
ON_INTEGER (on_tag, uint64_t, PTL_V2_ITEM_TAG)
ON_INTEGER (on_bool, bool, PTL_V2_ITEM_BOOL)

static void
on_bytes (void     *walk,
          cbor_data ptr,
          size_t    len)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_BYTES, .ptr = ptr, .len = len });
}

static void
on_text (void     *walk,
         cbor_data ptr,
         size_t    len)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_TEXT, .ptr = ptr, .len = len });
}

static void
on_float (void *walk,
          float value)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_FLOAT, .d = value });
}

static void
on_double (void  *walk,
           double value)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_FLOAT, .d = value });
}

static void
on_null (void *walk)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_NULL });
}

static void
on_indefinite (void *walk)
{
  walk_item (walk, &(PtlV2Item) { .kind = PTL_V2_ITEM_INDEFINITE });
}

static const struct cbor_callbacks callbacks = {
  .uint8 = on_uint8,
  .uint16 = on_uint16,
  .uint32 = on_uint32,
  .uint64 = on_uint64,
  .negint8 = on_negint8,
  .negint16 = on_negint16,
  .negint32 = on_negint32,
  .negint64 = on_negint64,
  .byte_string = on_bytes,
  .byte_string_start = on_indefinite,
  .string = on_text,
  .string_start = on_indefinite,
  .array_start = on_array,
  .indef_array_start = on_indefinite,
  .map_start = on_map,
  .indef_map_start = on_indefinite,
  .tag = on_tag,
  .float2 = on_float,
  .float4 = on_float,
  .float8 = on_double,
  .undefined = on_null,
  .null = on_null,
  .boolean = on_bool,
  .indef_break = on_indefinite,
};

gboolean
_ptl_stream_v2_walk (const guint8 *data,
                     gsize         len,
                     PtlV2ItemFunc func,
                     gpointer      user_data,
                     GError      **error)
{
  Walk walk = { .func = func, .user_data = user_data, .len = len, .pending = 1 };

  while (walk.pending > 0 && walk.pos < len && walk.error == NULL)
    {
      /* One head (or whole string) per call, so the offset of each is known. */
      struct cbor_decoder_result result =
        cbor_stream_decode (data + walk.pos, len - walk.pos, &callbacks, &walk);

      if (walk.error != NULL)
        break;
      if (result.status == CBOR_DECODER_NEDATA)
        _ptl_stream_v2_invalid (&walk.error, "byte %" G_GSIZE_FORMAT
                                ": the message is truncated", walk.pos);
      else if (result.status != CBOR_DECODER_FINISHED || result.read == 0)
        _ptl_stream_v2_invalid (&walk.error, "byte %" G_GSIZE_FORMAT ": malformed CBOR",
                                walk.pos);
      else
        walk.pos += result.read;
    }
  if (walk.error != NULL)
    {
      g_propagate_error (error, walk.error);
      return FALSE;
    }
  if (len == 0)
    return _ptl_stream_v2_invalid (error, "empty message");
  if (walk.pending > 0)
    return _ptl_stream_v2_invalid (error, "the message is truncated");
  if (walk.pos < len)
    return _ptl_stream_v2_invalid (error, "trailing bytes after the message's item (%"
                                   G_GSIZE_FORMAT ")", len - walk.pos);
  return TRUE;
}
