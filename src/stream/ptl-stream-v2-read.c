/* Stream V2 reader: the meaning of the heads the CBOR layer hands over, one at a time with
 * strings as pointers into the message, so that nothing is copied but the few fields we
 * keep. A small stack follows the containers whose meaning we know; subtrees we do not
 * need are skipped with a counter of the items still to come, however deep. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "stream/ptl-stream-v2-private.h"

#define TAG_MULTIDIM 40
#define TAG_SELF_DESCRIBE 55799
#define TAG_COMPRESSION 56500
#define MAX_DEPTH 4 /* message, channels, multi-dimensional array, compression */
#define MAX_TAGS 2 /* a typed-array tag around the compression tag */
#define SKIP PTL_V2_N_FIELDS /* a key we do not keep */
#define ANY (PTL_V2_START | PTL_V2_IMAGE | PTL_V2_END)

typedef enum
{
  VALUE_TYPE,     /* "start" | "image" | "end" */
  VALUE_ID,       /* integer or text, kept as text */
  VALUE_TEXT,
  VALUE_UINT,
  VALUE_NUMBER,   /* finite float or integer */
  VALUE_CHANNELS, /* map channel → multi-dimensional array */
  VALUE_RATIONAL,
  VALUE_ANY       /* kept as JSON text */
} ValueKind;

static const struct
{
  const char *name;
  ValueKind   kind;
  guint       messages; /* the message types that keep it */
} keys[PTL_V2_N_FIELDS] = {
  [PTL_V2_FIELD_TYPE] = { "type", VALUE_TYPE, ANY },
  [PTL_V2_FIELD_SERIES_ID] = { "series_id", VALUE_ID, ANY },
  [PTL_V2_FIELD_SERIES_UNIQUE_ID] = { "series_unique_id", VALUE_TEXT, PTL_V2_START },
  [PTL_V2_FIELD_IMAGE_SIZE_X] = { "image_size_x", VALUE_UINT, PTL_V2_START },
  [PTL_V2_FIELD_IMAGE_SIZE_Y] = { "image_size_y", VALUE_UINT, PTL_V2_START },
  [PTL_V2_FIELD_IMAGE_DTYPE] = { "image_dtype", VALUE_TEXT, PTL_V2_START },
  [PTL_V2_FIELD_NUMBER_OF_IMAGES] = { "number_of_images", VALUE_UINT, PTL_V2_START },
  [PTL_V2_FIELD_PIXEL_SIZE_X] = { "pixel_size_x", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_PIXEL_SIZE_Y] = { "pixel_size_y", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_INCIDENT_ENERGY] = { "incident_energy", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_INCIDENT_WAVELENGTH] = { "incident_wavelength", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_COUNT_TIME] = { "count_time", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_FRAME_TIME] = { "frame_time", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_BEAM_CENTER_X] = { "beam_center_x", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_BEAM_CENTER_Y] = { "beam_center_y", VALUE_NUMBER, PTL_V2_START },
  [PTL_V2_FIELD_SATURATION_VALUE] = { "saturation_value", VALUE_UINT, PTL_V2_START },
  [PTL_V2_FIELD_PIXEL_MASK] = { "pixel_mask", VALUE_CHANNELS, PTL_V2_START },
  [PTL_V2_FIELD_USER_DATA] = { "user_data", VALUE_ANY, PTL_V2_START },
  [PTL_V2_FIELD_IMAGE_ID] = { "image_id", VALUE_UINT, PTL_V2_IMAGE },
  [PTL_V2_FIELD_DATA] = { "data", VALUE_CHANNELS, PTL_V2_IMAGE },
  [PTL_V2_FIELD_START_TIME] = { "start_time", VALUE_RATIONAL, PTL_V2_IMAGE },
  [PTL_V2_FIELD_STOP_TIME] = { "stop_time", VALUE_RATIONAL, PTL_V2_IMAGE },
  [PTL_V2_FIELD_REAL_TIME] = { "real_time", VALUE_RATIONAL, PTL_V2_IMAGE },
};

typedef enum
{
  ROLE_TOP,         /* the message map */
  ROLE_CHANNELS,    /* map channel → multi-dimensional array */
  ROLE_MULTIDIM,    /* [dims, typed array] */
  ROLE_DIMS,        /* [rows, cols] */
  ROLE_COMPRESSION, /* [algorithm, modifier, bytes] */
  ROLE_RATIONAL     /* [numerator, denominator] */
} Role;

typedef struct
{
  Role       role;
  guint64    count;    /* items; a map's keys and values count separately */
  guint64    index;    /* the item that comes next */
  PtlV2Field field;    /* ROLE_TOP: the key whose value comes next; else the key it is under */
  gboolean   selected; /* ROLE_CHANNELS: the value that comes next is the wanted channel */
} Frame;

typedef struct
{
  gsize        pos; /* offset of the head being read */
  const char  *channel;
  GError      *error;
  guint64      skip; /* items left in a subtree we do not need */
  Frame        stack[MAX_DEPTH];
  guint        depth;
  guint64      tags[MAX_TAGS]; /* tags waiting for the item they apply to */
  guint        n_tags;
  PtlV2Fields *out;
  PtlV2Json   *json; /* user_data being converted */
} Decoder;

static void fail (Decoder    *dec,
                  const char *format,
                  ...) G_GNUC_PRINTF (2, 3);

static void
fail (Decoder    *dec,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  _ptl_stream_v2_invalid (&dec->error, "byte %" G_GSIZE_FORMAT ": %s", dec->pos, message);
}

/* Text from the wire, shortened and escaped for an error message. */
static char *
printable (const guint8 *ptr,
           gsize         len)
{
  g_autofree char *text = g_strndup ((const char *) ptr, MIN (len, 64));

  return g_strescape (text, NULL);
}

static gboolean
text_equal (const PtlV2Item *item,
            const char      *text)
{
  return item->kind == PTL_V2_ITEM_TEXT && item->len == strlen (text)
         && memcmp (item->ptr, text, item->len) == 0;
}

static gboolean
is_utf8 (const PtlV2Item *item)
{
  return item->kind == PTL_V2_ITEM_TEXT
         && g_utf8_validate_len ((const char *) item->ptr, item->len, NULL);
}

static PtlV2Array *
multidim_of (Decoder   *dec,
             PtlV2Field field)
{
  return field == PTL_V2_FIELD_DATA ? &dec->out->image : &dec->out->mask;
}

/* The item at the current position is complete: advance, closing finished containers. */
static void
item_done (Decoder *dec)
{
  while (dec->depth > 0)
    {
      Frame *frame = &dec->stack[dec->depth - 1];

      if (++frame->index < frame->count)
        return;
      dec->depth--;
    }
}

static void
push_frame (Decoder   *dec,
            Role       role,
            guint64    count,
            PtlV2Field field)
{
  g_assert (dec->depth < MAX_DEPTH);
  dec->stack[dec->depth++] = (Frame) { .role = role, .count = count, .field = field };
  if (count == 0)
    {
      dec->depth--;
      item_done (dec);
    }
}

/* The walk has bounded the counts, so the skip counter cannot overflow. */
static void
skip_item (Decoder         *dec,
           const PtlV2Item *item)
{
  dec->skip += item->kind == PTL_V2_ITEM_ARRAY ? item->u :
               item->kind == PTL_V2_ITEM_MAP ? 2 * item->u :
               item->kind == PTL_V2_ITEM_TAG ? 1 : 0;
  if (--dec->skip == 0)
    item_done (dec);
}

/* user_data goes to the JSON converter item by item until it is complete. */
static void
json_item (Decoder         *dec,
           const PtlV2Item *item)
{
  g_autoptr (GError) error = NULL;
  gboolean complete;

  if (dec->json == NULL)
    dec->json = _ptl_stream_v2_json_new ();
  if (!_ptl_stream_v2_json_add (dec->json, item, &complete, &error))
    fail (dec, "%s", error->message);
  else if (complete)
    {
      dec->out->user_data = _ptl_stream_v2_json_text (dec->json);
      g_clear_pointer (&dec->json, _ptl_stream_v2_json_free);
      item_done (dec);
    }
}

static gboolean
number_of (const PtlV2Item *item,
           double          *number)
{
  if (item->kind == PTL_V2_ITEM_UINT)
    *number = (double) item->u;
  else if (item->kind == PTL_V2_ITEM_NEGINT)
    *number = -1.0 - (double) item->u;
  else if (item->kind == PTL_V2_ITEM_FLOAT && isfinite (item->d))
    *number = item->d;
  else
    return FALSE;
  return TRUE;
}

/* The value of a key of the message map. */
static void
field_value (Decoder         *dec,
             PtlV2Field       field,
             const PtlV2Item *item)
{
  PtlV2Value *value = &dec->out->values[field];
  const char *name = keys[field].name;

  switch (keys[field].kind)
    {
    case VALUE_TYPE:
      if (text_equal (item, "start"))
        dec->out->type = PTL_V2_START;
      else if (text_equal (item, "image"))
        dec->out->type = PTL_V2_IMAGE;
      else if (text_equal (item, "end"))
        dec->out->type = PTL_V2_END;
      else if (item->kind == PTL_V2_ITEM_TEXT)
        {
          g_autofree char *text = printable (item->ptr, item->len);

          fail (dec, "unknown message type \"%s\"", text);
          return;
        }
      else
        {
          fail (dec, "\"type\" is not text");
          return;
        }
      break;
    case VALUE_ID:
    case VALUE_TEXT:
      if (keys[field].kind == VALUE_ID && item->kind == PTL_V2_ITEM_UINT)
        value->text = g_strdup_printf ("%" G_GUINT64_FORMAT, item->u);
      else if (is_utf8 (item))
        value->text = g_strndup ((const char *) item->ptr, item->len);
      else
        {
          fail (dec, "\"%s\" is not %s", name,
                keys[field].kind == VALUE_ID ? "an integer or UTF-8 text" : "UTF-8 text");
          return;
        }
      break;
    case VALUE_UINT:
      if (item->kind != PTL_V2_ITEM_UINT)
        {
          fail (dec, "\"%s\" is not an unsigned integer", name);
          return;
        }
      value->uint = item->u;
      break;
    case VALUE_NUMBER:
      if (!number_of (item, &value->number))
        {
          fail (dec, "\"%s\" is not a finite number", name);
          return;
        }
      break;
    case VALUE_CHANNELS:
      if (item->kind != PTL_V2_ITEM_MAP)
        fail (dec, "\"%s\" is not a map of channels", name);
      else
        push_frame (dec, ROLE_CHANNELS, 2 * item->u, field);
      return;
    case VALUE_RATIONAL:
      if (item->kind != PTL_V2_ITEM_ARRAY || item->u != 2)
        fail (dec, "\"%s\" is not a [numerator, denominator] pair", name);
      else
        push_frame (dec, ROLE_RATIONAL, 2, field);
      return;
    case VALUE_ANY:
      g_assert_not_reached ();
    }
  item_done (dec);
}

static gboolean
check_typed_tag (Decoder *dec,
                 guint64  tag)
{
  switch (tag)
    {
    case 64: case 69: case 70: /* uint8, uint16 LE, uint32 LE */
    case 72: case 77: case 78: /* int8, int16 LE, int32 LE */
      return TRUE;
    case 65: case 66: case 67: case 73: case 74: case 75:
      fail (dec, "big-endian typed arrays (tag %" G_GUINT64_FORMAT ") are not supported", tag);
      return FALSE;
    default:
      fail (dec, "unsupported typed array tag %" G_GUINT64_FORMAT, tag);
      return FALSE;
    }
}

/* The second item of tag 40: a typed-array tag around bytes, or around (or instead of)
 * the compression tag around [algorithm, modifier, bytes]. */
static void
multidim_item (Decoder         *dec,
               Frame           *frame,
               const guint64   *tags,
               guint            n_tags,
               const PtlV2Item *item)
{
  PtlV2Array *md = multidim_of (dec, frame->field);
  guint i = 0;
  gboolean compressed;

  if (frame->index == 0)
    {
      if (n_tags > 0 || item->kind != PTL_V2_ITEM_ARRAY || item->u != 2)
        fail (dec, "the dims of a multi-dimensional array are not [rows, cols]");
      else
        push_frame (dec, ROLE_DIMS, 2, frame->field);
      return;
    }
  if (n_tags > 0 && tags[0] != TAG_COMPRESSION)
    {
      if (!check_typed_tag (dec, tags[0]))
        return;
      md->typed_tag = tags[i++];
    }
  if (n_tags > i + 1 || (n_tags > i && tags[i] != TAG_COMPRESSION))
    {
      fail (dec, "unexpected tag %" G_GUINT64_FORMAT " in a typed array", tags[n_tags - 1]);
      return;
    }
  compressed = n_tags > i;
  md->encoding = PTL_ENCODING_RAW; /* until the compression's name says otherwise */
  if (compressed && (item->kind != PTL_V2_ITEM_ARRAY || item->u != 3))
    fail (dec, "the compression tag is not on [algorithm, modifier, bytes]");
  else if (compressed)
    push_frame (dec, ROLE_COMPRESSION, 3, frame->field);
  else if (md->typed_tag == 0 || item->kind != PTL_V2_ITEM_BYTES)
    fail (dec, "the image is not a typed array of bytes");
  else
    {
      md->payload = item->ptr;
      md->payload_len = item->len;
      item_done (dec);
    }
}

static void
compression_item (Decoder         *dec,
                  Frame           *frame,
                  const PtlV2Item *item)
{
  PtlV2Array *md = multidim_of (dec, frame->field);

  if (frame->index == 0 && text_equal (item, "bslz4"))
    md->encoding = PTL_ENCODING_BSLZ4;
  else if (frame->index == 0 && text_equal (item, "lz4"))
    md->encoding = PTL_ENCODING_LZ4;
  else if (frame->index == 0 && item->kind == PTL_V2_ITEM_TEXT)
    {
      g_autofree char *name = printable (item->ptr, item->len);

      fail (dec, "unknown compression \"%s\"", name);
      return;
    }
  else if (frame->index == 1 && item->kind == PTL_V2_ITEM_UINT)
    md->modifier = item->u;
  else if (frame->index == 2 && item->kind == PTL_V2_ITEM_BYTES)
    {
      md->payload = item->ptr;
      md->payload_len = item->len;
    }
  else
    {
      fail (dec, "the compression tag is not on [algorithm, modifier, bytes]");
      return;
    }
  item_done (dec);
}

/* A key of the message map: the field its value fills, or SKIP. */
static void
message_key (Decoder         *dec,
             Frame           *frame,
             const PtlV2Item *item)
{
  PtlV2Field field = SKIP;

  for (guint f = 0; f < PTL_V2_N_FIELDS; f++)
    if (text_equal (item, keys[f].name))
      field = f;
  if (field != SKIP && (dec->out->seen & (1u << field)) != 0)
    {
      fail (dec, "\"%s\" appears twice", keys[field].name);
      return;
    }
  if (field != SKIP)
    dec->out->seen |= 1u << field;
  /* Once the type is known, the fields of other messages are not worth reading. */
  if (field != SKIP && dec->out->type != 0 && (keys[field].messages & dec->out->type) == 0)
    field = SKIP;
  frame->field = field;
  item_done (dec);
}

/* An item (not a tag) where the stack says what it means; `tags` are those before it. */
static void
structured_item (Decoder         *dec,
                 Frame           *frame,
                 const guint64   *tags,
                 guint            n_tags,
                 const PtlV2Item *item)
{
  gboolean key = frame->index % 2 == 0;

  if (frame->role == ROLE_MULTIDIM)
    {
      multidim_item (dec, frame, tags, n_tags, item);
      return;
    }
  if (n_tags > 0 && !(frame->role == ROLE_CHANNELS && !key))
    {
      fail (dec, "unexpected tag %" G_GUINT64_FORMAT, tags[0]);
      return;
    }
  switch (frame->role)
    {
    case ROLE_TOP:
      if (!key)
        field_value (dec, frame->field, item);
      else if (item->kind != PTL_V2_ITEM_TEXT)
        fail (dec, "a key of the message map is not text");
      else
        message_key (dec, frame, item);
      break;
    case ROLE_CHANNELS:
      if (key && item->kind == PTL_V2_ITEM_TEXT)
        {
          PtlV2Array *md = multidim_of (dec, frame->field);

          frame->selected = !md->found
                            && (dec->channel == NULL || text_equal (item, dec->channel));
          md->found |= frame->selected;
          item_done (dec);
        }
      else if (key)
        fail (dec, "a channel name is not text");
      else if (n_tags != 1 || tags[0] != TAG_MULTIDIM
               || item->kind != PTL_V2_ITEM_ARRAY || item->u != 2)
        fail (dec, "channel data is not a tag 40 multi-dimensional array");
      else
        push_frame (dec, ROLE_MULTIDIM, 2, frame->field);
      break;
    case ROLE_DIMS:
      if (item->kind != PTL_V2_ITEM_UINT)
        fail (dec, "the dims of a multi-dimensional array are not unsigned integers");
      else
        {
          multidim_of (dec, frame->field)->dims[frame->index] = item->u;
          item_done (dec);
        }
      break;
    case ROLE_COMPRESSION:
      compression_item (dec, frame, item);
      break;
    case ROLE_RATIONAL:
      if (item->kind != PTL_V2_ITEM_UINT)
        fail (dec, "\"%s\" is not a pair of unsigned integers", keys[frame->field].name);
      else
        {
          PtlV2Value *value = &dec->out->values[frame->field];

          *(frame->index == 0 ? &value->uint : &value->den) = item->u;
          item_done (dec);
        }
      break;
    case ROLE_MULTIDIM:
      g_assert_not_reached ();
    }
}

static void
handle_item (const PtlV2Item *item,
             gsize            offset,
             gpointer         user_data,
             GError         **error)
{
  Decoder *dec = user_data;
  Frame *frame = dec->depth > 0 ? &dec->stack[dec->depth - 1] : NULL;
  gboolean at_value = frame != NULL && frame->index % 2 == 1;
  guint64 tags[MAX_TAGS];
  guint n_tags;

  dec->pos = offset;
  if (dec->skip == 0 && at_value
      && ((frame->role == ROLE_TOP && frame->field == SKIP)
          || (frame->role == ROLE_CHANNELS && !frame->selected)))
    dec->skip = 1;
  if (dec->skip > 0)
    skip_item (dec, item);
  else if (at_value && frame->role == ROLE_TOP && frame->field == PTL_V2_FIELD_USER_DATA)
    json_item (dec, item);
  else if (item->kind == PTL_V2_ITEM_TAG && dec->n_tags == MAX_TAGS)
    fail (dec, "more than %d tags on one item", MAX_TAGS);
  else if (item->kind == PTL_V2_ITEM_TAG)
    dec->tags[dec->n_tags++] = item->u;
  else
    {
      n_tags = dec->n_tags;
      memcpy (tags, dec->tags, sizeof tags);
      dec->n_tags = 0;
      if (frame != NULL)
        structured_item (dec, frame, tags, n_tags, item);
      else if (n_tags > 1 || (n_tags == 1 && tags[0] != TAG_SELF_DESCRIBE))
        fail (dec, "unexpected tag %" G_GUINT64_FORMAT " on the message", tags[n_tags - 1]);
      else if (item->kind != PTL_V2_ITEM_MAP)
        fail (dec, "the message is not a CBOR map");
      else
        push_frame (dec, ROLE_TOP, 2 * item->u, SKIP);
    }
  if (dec->error != NULL)
    g_propagate_error (error, g_steal_pointer (&dec->error));
}

void
_ptl_stream_v2_fields_clear (PtlV2Fields *fields)
{
  for (guint i = 0; i < PTL_V2_N_FIELDS; i++)
    g_free (fields->values[i].text);
  g_free (fields->user_data);
}

gboolean
_ptl_stream_v2_read (const guint8 *data,
                     gsize         len,
                     const char   *channel,
                     PtlV2Fields  *fields,
                     GError      **error)
{
  Decoder dec = { .channel = channel, .out = fields };
  gboolean ok = _ptl_stream_v2_walk (data, len, handle_item, &dec, error);

  g_clear_pointer (&dec.json, _ptl_stream_v2_json_free);
  return ok;
}
