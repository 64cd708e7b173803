/* Stream V1 decoder. Each part is classified by its content (a JSON object with a known
 * htype, other JSON, or binary) and placed in the layout of the message it belongs to: a
 * part found further along the layout than expected shows the parts before it missing,
 * and a part that fits nowhere starts a resynchronisation that skips to the next part with
 * an htype. A message survives such gaps when its essential parts arrived (a header its
 * configuration, an image its data); a header may then resume at a later section. The
 * field readers are in ptl-stream-v1-fields.c. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-Stream"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-stream-v1-private.h"
#include "stream/ptl-stream-v1.h"

/* json-glib's parser recurses once per level; deeper input would exhaust the stack. */
#define MAX_DEPTH 64

static const struct
{
  const char *htype;
  PtlV1Part   kind;
} htypes[] = {
  { PTL_STREAM_V1_HTYPE_HEADER, PTL_V1_PART_HEADER },
  { PTL_STREAM_V1_HTYPE_IMAGE, PTL_V1_PART_IMAGE },
  { PTL_STREAM_V1_HTYPE_END, PTL_V1_PART_END },
  { PTL_STREAM_V1_HTYPE_FLATFIELD, PTL_V1_PART_FLATFIELD },
  { PTL_STREAM_V1_HTYPE_PIXEL_MASK, PTL_V1_PART_PIXEL_MASK },
  { PTL_STREAM_V1_HTYPE_COUNTRATE, PTL_V1_PART_COUNTRATE },
  { PTL_STREAM_V1_HTYPE_IMAGE_D, PTL_V1_PART_IMAGE_D },
  { PTL_STREAM_V1_HTYPE_IMAGE_CONFIG, PTL_V1_PART_IMAGE_CONFIG },
};

typedef struct
{
  PtlV1Part   kind; /* PTL_V1_PART_JSON, PTL_V1_PART_BINARY: the parts without an htype */
  const char *name;
} Slot;

static const Slot header_slots[] = {
  { PTL_V1_PART_HEADER, PTL_STREAM_V1_HTYPE_HEADER },
  { PTL_V1_PART_JSON, "detector configuration" },
  { PTL_V1_PART_FLATFIELD, PTL_STREAM_V1_HTYPE_FLATFIELD },
  { PTL_V1_PART_BINARY, "flat-field blob" },
  { PTL_V1_PART_PIXEL_MASK, PTL_STREAM_V1_HTYPE_PIXEL_MASK },
  { PTL_V1_PART_BINARY, "pixel-mask blob" },
  { PTL_V1_PART_COUNTRATE, PTL_STREAM_V1_HTYPE_COUNTRATE },
  { PTL_V1_PART_BINARY, "count-rate table blob" },
};

static const Slot image_slots[] = {
  { PTL_V1_PART_IMAGE, PTL_STREAM_V1_HTYPE_IMAGE },
  { PTL_V1_PART_IMAGE_D, PTL_STREAM_V1_HTYPE_IMAGE_D },
  { PTL_V1_PART_BINARY, "image data blob" },
  { PTL_V1_PART_IMAGE_CONFIG, PTL_STREAM_V1_HTYPE_IMAGE_CONFIG },
};

struct _PtlStreamV1Decoder
{
  JsonParser         *parser;
  PtlStreamV1Counters counters;
  gboolean            unframed;  /* parts come without "more" inside messages */
  gboolean            resyncing; /* skipping to the next part with an htype */

  /* The message being assembled: slots[position] is the part expected next; at
   * position == length it is complete and only an appendix may follow. */
  const Slot         *slots;     /* NULL between messages */
  guint               length;
  guint               essential; /* the message is usable from this position on */
  guint               position;
  PtlV1Message        message;
};

static void
fail (PtlStreamV1Decoder *decoder,
      GError            **error,
      GError             *problem)
{
  decoder->counters.errors++;
  g_message ("Stream V1 part %" G_GUINT64_FORMAT ": %s", decoder->counters.parts,
             problem->message);
  if (error != NULL && *error == NULL)
    g_propagate_error (error, problem);
  else
    g_error_free (problem);
}

G_GNUC_PRINTF (3, 4)
static void
failf (PtlStreamV1Decoder *decoder,
       GError            **error,
       const char         *format,
       ...)
{
  va_list args;

  va_start (args, format);
  fail (decoder, error, g_error_new_valist (PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, format, args));
  va_end (args);
}

/* Only for text that is already valid UTF-8. A JSON parser sees a string wherever this does,
 * because what could hide a quote from it (comments, single quotes) is refused. */
static gboolean
json_nesting_within_bounds (const char *text,
                            gsize       length)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_DEPTH)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth = depth > 0 ? depth - 1 : 0;
      else if (c == '/' || c == '#' || c == '\'')
        return FALSE;
    }
  return TRUE;
}

/* `root` belongs to the decoder's parser and lives until the next part. */
static PtlV1Part
classify (PtlStreamV1Decoder *decoder,
          GBytes             *part,
          JsonNode          **root)
{
  gsize length;
  const char *text = g_bytes_get_data (part, &length);
  JsonNode *htype;

  *root = NULL;
  if (length == 0 || length > PTL_STREAM_V1_MAX_JSON_BYTES
      || !g_utf8_validate_len (text, length, NULL)
      || !json_nesting_within_bounds (text, length)
      || !json_parser_load_from_data (decoder->parser, text, length, NULL)
      || json_parser_get_root (decoder->parser) == NULL)
    return PTL_V1_PART_BINARY;

  *root = json_parser_get_root (decoder->parser);
  if (!JSON_NODE_HOLDS_OBJECT (*root))
    return PTL_V1_PART_JSON;
  htype = json_object_get_member (json_node_get_object (*root), "htype");
  if (htype == NULL)
    return PTL_V1_PART_JSON;
  if (JSON_NODE_HOLDS_VALUE (htype) && json_node_get_value_type (htype) == G_TYPE_STRING)
    for (guint i = 0; i < G_N_ELEMENTS (htypes); i++)
      if (strcmp (json_node_get_string (htype), htypes[i].htype) == 0)
        return htypes[i].kind;
  return PTL_V1_PART_UNKNOWN_HTYPE;
}

static const char *
describe (PtlV1Part kind)
{
  switch (kind)
    {
    case PTL_V1_PART_BINARY:
      return "a part that is not JSON";
    case PTL_V1_PART_JSON:
      return "a JSON part without htype";
    case PTL_V1_PART_UNKNOWN_HTYPE:
      return "a part with an unknown htype";
    default:
      for (guint i = 0; i < G_N_ELEMENTS (htypes); i++)
        if (htypes[i].kind == kind)
          return htypes[i].htype;
      g_assert_not_reached ();
    }
}

static void
emit (PtlStreamV1Decoder *decoder,
      GPtrArray          *events,
      PtlStreamEvent     *event)
{
  decoder->counters.messages++;
  g_ptr_array_add (events, event);
}

static void
drop (PtlStreamV1Decoder *decoder)
{
  g_clear_pointer (&decoder->message.series, ptl_series_info_free);
  g_clear_pointer (&decoder->message.image, ptl_image_info_free);
  decoder->slots = NULL;
}

/* Delivers what the message holds if its essential parts arrived, and forgets it. */
static void
finish (PtlStreamV1Decoder *decoder,
        GPtrArray          *events)
{
  if (decoder->slots != NULL && decoder->position >= decoder->essential)
    {
      if (decoder->message.series != NULL)
        emit (decoder, events,
              ptl_stream_event_new_start (g_steal_pointer (&decoder->message.series)));
      if (decoder->message.image != NULL)
        emit (decoder, events,
              ptl_stream_event_new_image (g_steal_pointer (&decoder->message.image)));
    }
  drop (decoder);
}

/* An image goes out at once (nothing later can complete it); a usable header stays, for a
 * later section may still resume it. */
static void
resync (PtlStreamV1Decoder *decoder,
        GPtrArray          *events)
{
  decoder->counters.resyncs++;
  decoder->resyncing = TRUE;
  if (decoder->message.image != NULL || decoder->position < decoder->essential)
    finish (decoder, events);
}

/* The image goes out at once; a header waits for a possible appendix. */
static void
complete (PtlStreamV1Decoder *decoder,
          gboolean            more,
          GPtrArray          *events)
{
  if (decoder->message.image != NULL)
    emit (decoder, events,
          ptl_stream_event_new_image (g_steal_pointer (&decoder->message.image)));
  if (!more && !decoder->unframed)
    finish (decoder, events);
}

static gboolean
take_part (PtlStreamV1Decoder *decoder,
           const Slot         *slot,
           GBytes             *part,
           JsonNode           *root,
           GError            **error)
{
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                       ? json_node_get_object (root) : NULL;

  switch (slot->kind)
    {
    case PTL_V1_PART_JSON:
      if (object == NULL)
        {
          g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                       "the detector configuration is not a JSON object");
          return FALSE;
        }
      return _ptl_stream_v1_read_config (&decoder->message, object, part, error);
    case PTL_V1_PART_FLATFIELD:
    case PTL_V1_PART_PIXEL_MASK:
    case PTL_V1_PART_COUNTRATE:
      return _ptl_stream_v1_read_section (&decoder->message, slot->kind, object, error);
    case PTL_V1_PART_IMAGE_D:
      return _ptl_stream_v1_read_image_d (&decoder->message, object, error);
    case PTL_V1_PART_IMAGE_CONFIG:
      return _ptl_stream_v1_read_image_config (&decoder->message, object, error);
    case PTL_V1_PART_BINARY:
      return _ptl_stream_v1_take_blob (&decoder->message, slot->name, part, error);
    default:
      g_assert_not_reached ();
    }
}

/* `part` fills slot `position` of the current message. */
static void
place (PtlStreamV1Decoder *decoder,
       guint               position,
       GBytes             *part,
       JsonNode           *root,
       gboolean            more,
       GPtrArray          *events,
       GError            **error)
{
  GError *local = NULL;

  decoder->position = position;
  if (!take_part (decoder, &decoder->slots[position], part, root, &local))
    {
      fail (decoder, error, local);
      if (position < decoder->essential)
        drop (decoder);
      resync (decoder, events);
      return;
    }
  decoder->position = position + 1;
  if (decoder->position == decoder->length)
    complete (decoder, more, events);
}

static void
start (PtlStreamV1Decoder *decoder,
       PtlV1Part           kind,
       JsonObject         *object,
       gboolean            more,
       GPtrArray          *events,
       GError            **error)
{
  PtlV1Message *message = &decoder->message;
  GError *local = NULL;
  g_autofree char *series_id = NULL;

  switch (kind)
    {
    case PTL_V1_PART_HEADER:
      {
        PtlStreamV1Detail detail;

        if (!_ptl_stream_v1_read_header (message, object, &detail, &local))
          break;
        decoder->slots = header_slots;
        decoder->length = detail == PTL_STREAM_V1_DETAIL_ALL ? G_N_ELEMENTS (header_slots)
                          : detail == PTL_STREAM_V1_DETAIL_BASIC ? 2 : 1;
        decoder->essential = MIN (decoder->length, 2);
        break;
      }
    case PTL_V1_PART_IMAGE:
      if (!_ptl_stream_v1_read_image (message, object, &local))
        break;
      decoder->slots = image_slots;
      decoder->length = G_N_ELEMENTS (image_slots);
      decoder->essential = 3;
      break;
    case PTL_V1_PART_END:
      if (_ptl_stream_v1_read_series (object, &series_id, &local))
        emit (decoder, events, ptl_stream_event_new_end (series_id));
      break;
    default:
      g_assert_not_reached ();
    }

  if (local != NULL)
    {
      fail (decoder, error, local);
      drop (decoder);
      resync (decoder, events);
      return;
    }
  if (decoder->slots == NULL)
    return;
  decoder->position = 1;
  if (decoder->position == decoder->length)
    complete (decoder, more, events);
}

/* The slot of the current message at or after the expected one that `kind` fills;
 * `length` when none. */
static guint
find_slot (PtlStreamV1Decoder *decoder,
           PtlV1Part           kind)
{
  guint position = decoder->position;

  while (position < decoder->length && decoder->slots[position].kind != kind)
    position++;
  return position;
}

/* The parts from the expected one up to `position` did not come before `next`. */
static void
missing (PtlStreamV1Decoder *decoder,
         guint               position,
         const char         *next,
         GError            **error)
{
  guint count = position - decoder->position;
  const char *first = decoder->slots[decoder->position].name;

  decoder->counters.missing_parts += count;
  if (count == 1)
    failf (decoder, error, "%s missing before %s", first, next);
  else
    failf (decoder, error, "%s and %u more parts missing before %s", first, count - 1, next);
}

static gboolean
is_message_start (PtlV1Part kind)
{
  return kind == PTL_V1_PART_HEADER || kind == PTL_V1_PART_IMAGE || kind == PTL_V1_PART_END;
}

static gboolean
has_htype (PtlV1Part kind)
{
  return kind != PTL_V1_PART_BINARY && kind != PTL_V1_PART_JSON;
}

static void
route (PtlStreamV1Decoder *decoder,
       GBytes             *part,
       PtlV1Part           kind,
       JsonNode           *root,
       gboolean            more,
       GPtrArray          *events,
       GError            **error)
{
  guint position;

  if (is_message_start (kind))
    {
      if (decoder->slots != NULL && !decoder->resyncing && decoder->position < decoder->length)
        missing (decoder, decoder->length, describe (kind), error);
      finish (decoder, events);
      decoder->resyncing = FALSE;
      start (decoder, kind, json_node_get_object (root), more, events, error);
      return;
    }

  if (decoder->resyncing)
    {
      if (decoder->slots != NULL && has_htype (kind)
          && (position = find_slot (decoder, kind)) < decoder->length)
        {
          decoder->resyncing = FALSE;
          place (decoder, position, part, root, more, events, error);
        }
      return;
    }

  if (kind == PTL_V1_PART_UNKNOWN_HTYPE)
    {
      JsonNode *htype = json_object_get_member (json_node_get_object (root), "htype");

      failf (decoder, error, "unknown htype “%s”",
             json_node_get_value_type (htype) == G_TYPE_STRING
             ? json_node_get_string (htype) : "(not a string)");
      resync (decoder, events);
      return;
    }

  if (decoder->slots == NULL)
    {
      if (has_htype (kind))
        decoder->counters.missing_parts++;
      failf (decoder, error, "%s outside any message", describe (kind));
      resync (decoder, events);
      return;
    }

  if (decoder->position == decoder->length)
    {
      if (!has_htype (kind))
        {
          GError *local = NULL;

          if (!_ptl_stream_v1_take_appendix (&decoder->message, part, root, &local))
            fail (decoder, error, local);
          finish (decoder, events);
          return;
        }
      finish (decoder, events);
      failf (decoder, error, "%s after a complete message", describe (kind));
      resync (decoder, events);
      return;
    }

  if (!has_htype (kind))
    {
      if (!has_htype (decoder->slots[decoder->position].kind))
        place (decoder, decoder->position, part, root, more, events, error);
      else
        {
          failf (decoder, error, "%s where %s was expected", describe (kind),
                 decoder->slots[decoder->position].name);
          if (decoder->position < decoder->essential)
            drop (decoder);
          resync (decoder, events);
        }
      return;
    }

  position = find_slot (decoder, kind);
  if (position == decoder->length)
    {
      failf (decoder, error, "%s where %s was expected", describe (kind),
             decoder->slots[decoder->position].name);
      resync (decoder, events);
      return;
    }
  if (position > decoder->position)
    {
      missing (decoder, position, describe (kind), error);
      if (decoder->position < decoder->essential)
        {
          drop (decoder);
          resync (decoder, events);
          return;
        }
    }
  place (decoder, position, part, root, more, events, error);
}

PtlStreamV1Decoder *
ptl_stream_v1_decoder_new (void)
{
  PtlStreamV1Decoder *decoder = g_new0 (PtlStreamV1Decoder, 1);

  decoder->parser = json_parser_new_immutable ();
  /* Until a part with "more" shows framing, a header waits for a possible appendix: late
   * by one part at worst, where assuming framing would lose a proxied appendix. */
  decoder->unframed = TRUE;
  return decoder;
}

void
ptl_stream_v1_decoder_free (PtlStreamV1Decoder *decoder)
{
  if (decoder == NULL)
    return;
  drop (decoder);
  g_object_unref (decoder->parser);
  g_free (decoder);
}

gboolean
ptl_stream_v1_decoder_push (PtlStreamV1Decoder *decoder,
                            GBytes             *part,
                            gboolean            more,
                            GPtrArray          *events,
                            GError            **error)
{
  guint64 errors;
  JsonNode *root;

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (part != NULL, FALSE);
  g_return_val_if_fail (events != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  errors = decoder->counters.errors;
  decoder->counters.parts++;
  if (more)
    decoder->unframed = FALSE;

  /* A blob of the declared size is taken as it is: parsing megabytes is not needed to
   * know that they are not the next header. */
  if (decoder->slots != NULL && !decoder->resyncing && decoder->position < decoder->length
      && decoder->slots[decoder->position].kind == PTL_V1_PART_BINARY
      && g_bytes_get_size (part) == decoder->message.blob_bytes)
    place (decoder, decoder->position, part, NULL, more, events, error);
  else
    {
      PtlV1Part kind = classify (decoder, part, &root);

      route (decoder, part, kind, root, more, events, error);
    }

  if (!more && decoder->slots != NULL && !decoder->resyncing
      && decoder->position < decoder->length)
    decoder->unframed = TRUE;
  return decoder->counters.errors == errors;
}

void
ptl_stream_v1_decoder_flush (PtlStreamV1Decoder *decoder,
                             GPtrArray          *events)
{
  g_return_if_fail (decoder != NULL);
  g_return_if_fail (events != NULL);

  if (decoder->slots != NULL && (decoder->resyncing || decoder->position == decoder->length))
    finish (decoder, events);
}

PtlStreamV1Counters
ptl_stream_v1_decoder_get_counters (const PtlStreamV1Decoder *decoder)
{
  g_return_val_if_fail (decoder != NULL, (PtlStreamV1Counters) { 0 });

  return decoder->counters;
}
