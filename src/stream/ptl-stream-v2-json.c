/* A start message's user_data (any CBOR value) as JSON text, built from the items the
 * reader hands over one by one. JSON has no tags, byte strings or non-finite numbers:
 * tags are dropped, byte strings become base64 text, NaN and infinities null. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "core/ptl-error.h"
#include "stream/ptl-stream-v2-private.h"

#define MAX_DEPTH 32

struct _PtlV2Json
{
  JsonBuilder *builder;
  JsonNode    *scalar;                /* the value, when it is not a container */
  guint64      remaining[MAX_DEPTH];  /* items left in each open container; keys count */
  gboolean     is_object[MAX_DEPTH];
  guint        depth;
};

PtlV2Json *
_ptl_stream_v2_json_new (void)
{
  PtlV2Json *json = g_new0 (PtlV2Json, 1);

  json->builder = json_builder_new ();
  return json;
}

void
_ptl_stream_v2_json_free (PtlV2Json *json)
{
  if (json == NULL)
    return;
  g_clear_object (&json->builder);
  g_clear_pointer (&json->scalar, json_node_unref);
  g_free (json);
}

/* A value is complete: count it in its container, closing those it completes. */
static gboolean
value_done (PtlV2Json *json)
{
  while (json->depth > 0)
    {
      if (--json->remaining[json->depth - 1] > 0)
        return FALSE;
      if (json->is_object[--json->depth])
        json_builder_end_object (json->builder);
      else
        json_builder_end_array (json->builder);
    }
  return TRUE;
}

static gboolean
add_container (PtlV2Json       *json,
               const PtlV2Item *item,
               gboolean        *complete,
               GError         **error)
{
  gboolean is_object = item->kind == PTL_V2_ITEM_MAP;

  if (item->u > 0 && json->depth == MAX_DEPTH)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "user_data nested deeper than %d", MAX_DEPTH);
      return FALSE;
    }
  if (is_object)
    json_builder_begin_object (json->builder);
  else
    json_builder_begin_array (json->builder);
  if (item->u == 0)
    {
      if (is_object)
        json_builder_end_object (json->builder);
      else
        json_builder_end_array (json->builder);
      *complete = value_done (json);
      return TRUE;
    }
  json->remaining[json->depth] = is_object ? 2 * item->u : item->u;
  json->is_object[json->depth++] = is_object;
  return TRUE;
}

static gboolean
add_key (PtlV2Json       *json,
         const PtlV2Item *item,
         GError         **error)
{
  g_autofree char *name = NULL;

  if (item->kind == PTL_V2_ITEM_TEXT
      && g_utf8_validate_len ((const char *) item->ptr, item->len, NULL))
    name = g_strndup ((const char *) item->ptr, item->len);
  else if (item->kind == PTL_V2_ITEM_UINT)
    name = g_strdup_printf ("%" G_GUINT64_FORMAT, item->u);
  else
    {
      g_set_error_literal (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                           "user_data: a map key is neither UTF-8 text nor an unsigned integer");
      return FALSE;
    }
  json_builder_set_member_name (json->builder, name);
  json->remaining[json->depth - 1]--; /* a value follows, so the map stays open */
  return TRUE;
}

static JsonNode *
scalar_node (const PtlV2Item *item,
             GError         **error)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  switch (item->kind)
    {
    case PTL_V2_ITEM_UINT:
      if (item->u <= G_MAXINT64)
        json_node_set_int (node, (gint64) item->u);
      else
        json_node_set_double (node, (double) item->u);
      break;
    case PTL_V2_ITEM_NEGINT:
      if (item->u <= G_MAXINT64)
        json_node_set_int (node, -1 - (gint64) item->u);
      else
        json_node_set_double (node, -1.0 - (double) item->u);
      break;
    case PTL_V2_ITEM_FLOAT:
      if (isfinite (item->d))
        json_node_set_double (node, item->d);
      else
        json_node_init_null (node);
      break;
    case PTL_V2_ITEM_BOOL:
      json_node_set_boolean (node, item->u != 0);
      break;
    case PTL_V2_ITEM_NULL:
      json_node_init_null (node);
      break;
    case PTL_V2_ITEM_TEXT:
      {
        g_autofree char *text = NULL;

        if (!g_utf8_validate_len ((const char *) item->ptr, item->len, NULL))
          {
            g_set_error_literal (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                                 "user_data: text is not valid UTF-8");
            return NULL;
          }
        text = g_strndup ((const char *) item->ptr, item->len);
        json_node_set_string (node, text);
      }
      break;
    case PTL_V2_ITEM_BYTES:
      {
        g_autofree char *base64 = g_base64_encode (item->ptr, item->len);

        json_node_set_string (node, base64);
      }
      break;
    case PTL_V2_ITEM_ARRAY:
    case PTL_V2_ITEM_MAP:
    case PTL_V2_ITEM_TAG:
    case PTL_V2_ITEM_INDEFINITE:
      g_assert_not_reached ();
    }
  return g_steal_pointer (&node);
}

gboolean
_ptl_stream_v2_json_add (PtlV2Json       *json,
                         const PtlV2Item *item,
                         gboolean        *complete,
                         GError         **error)
{
  JsonNode *node;

  *complete = FALSE;
  if (item->kind == PTL_V2_ITEM_TAG)
    return TRUE;
  if (json->depth > 0 && json->is_object[json->depth - 1]
      && json->remaining[json->depth - 1] % 2 == 0)
    return add_key (json, item, error);
  if (item->kind == PTL_V2_ITEM_ARRAY || item->kind == PTL_V2_ITEM_MAP)
    return add_container (json, item, complete, error);
  node = scalar_node (item, error);
  if (node == NULL)
    return FALSE;
  /* JsonBuilder takes values only inside a container. */
  if (json->depth == 0)
    json->scalar = node;
  else
    json_builder_add_value (json->builder, node);
  *complete = value_done (json);
  return TRUE;
}

char *
_ptl_stream_v2_json_text (PtlV2Json *json)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json->scalar != NULL ? g_steal_pointer (&json->scalar) :
                              json_builder_get_root (json->builder);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
