#include "config.h"

#define G_LOG_DOMAIN "Ptl-Stream"

#include "ptl-panda.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "core/ptl-error.h"

/* json-glib 1.6 parses recursively and overflows the stack on deeply nested input; a
 * PandA message nests four deep. */
#define MAX_NESTING 32

/* Samples larger than this (in metres) are dropped, so that the sum over a frame of up to
 * G_MAXUINT samples stays finite. */
#define MAX_SAMPLE (G_MAXDOUBLE / G_MAXUINT)

typedef struct
{
  guint64 start;
  guint   n;
  double *xy; /* x, y interleaved, scaled; NaN marks a bad sample */
} Chunk;

struct _PtlPandaDecoder
{
  char       *x_name; /* without the leading "/" */
  char       *y_name;
  guint       samples_per_frame;
  double      scale;
  guint       reorder_window;
  JsonParser *parser;
  char       *arm_time;

  PtlPandaCounters counters;
  guint64          acquisition_chunks;
  guint64          next_sample;    /* first sample index not yet consumed */
  GQueue           pending;        /* Chunk *, held back, sorted by start */
  gboolean         have_key;
  guint64          max_key;        /* highest frame_number (else start) seen */

  gboolean frame_open; /* the frame being averaged */
  guint64  frame;
  double   sum_x;
  double   sum_y;
  guint    frame_samples;
};

static void
chunk_free (gpointer data)
{
  Chunk *chunk = data;

  g_free (chunk->xy);
  g_free (chunk);
}

PtlPandaDecoder *
ptl_panda_decoder_new (const PtlPandaConfig *config,
                       GError              **error)
{
  PtlPandaDecoder *decoder;

  g_return_val_if_fail (config != NULL, NULL);

  if (config->x_name == NULL || config->y_name == NULL
      || config->x_name[config->x_name[0] == '/'] == '\0'
      || config->y_name[config->y_name[0] == '/'] == '\0')
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "PandA x and y dataset names must not be empty");
      return NULL;
    }
  if (config->samples_per_frame == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "PandA samples per frame must be at least 1");
      return NULL;
    }
  if (!isfinite (config->scale) || config->scale == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "PandA position scale must be finite and nonzero, not %g", config->scale);
      return NULL;
    }

  decoder = g_new0 (PtlPandaDecoder, 1);
  decoder->x_name = g_strdup (config->x_name + (config->x_name[0] == '/'));
  decoder->y_name = g_strdup (config->y_name + (config->y_name[0] == '/'));
  decoder->samples_per_frame = config->samples_per_frame;
  decoder->scale = config->scale;
  decoder->reorder_window = config->reorder_window;
  decoder->parser = json_parser_new ();
  g_queue_init (&decoder->pending);
  return decoder;
}

void
ptl_panda_decoder_free (PtlPandaDecoder *decoder)
{
  if (decoder == NULL)
    return;
  g_queue_clear_full (&decoder->pending, chunk_free);
  g_object_unref (decoder->parser);
  g_free (decoder->x_name);
  g_free (decoder->y_name);
  g_free (decoder->arm_time);
  g_free (decoder);
}

PtlPandaCounters
ptl_panda_decoder_counters (PtlPandaDecoder *decoder)
{
  return decoder->counters;
}

const char *
ptl_panda_decoder_get_arm_time (PtlPandaDecoder *decoder)
{
  return decoder->arm_time;
}

/* ---- averaging and reordering ---- */

static void
close_frame (PtlPandaDecoder *decoder,
             gint64           now_us,
             GArray          *positions)
{
  PtlStagePosition position;

  if (!decoder->frame_open)
    return;
  decoder->frame_open = FALSE;
  if (decoder->frame_samples == 0)
    return;
  position.index = decoder->frame;
  position.x = decoder->sum_x / decoder->frame_samples;
  position.y = decoder->sum_y / decoder->frame_samples;
  position.received_us = now_us;
  g_array_append_val (positions, position);
  decoder->counters.positions++;
}

static void
add_sample (PtlPandaDecoder *decoder,
            guint64          k,
            const double    *xy,
            gint64           now_us,
            GArray          *positions)
{
  guint64 frame = k / decoder->samples_per_frame;

  /* A frame whose other samples never came still averages those that did. */
  if (decoder->frame_open && decoder->frame != frame)
    close_frame (decoder, now_us, positions);
  if (!decoder->frame_open)
    {
      decoder->frame_open = TRUE;
      decoder->frame = frame;
      decoder->sum_x = decoder->sum_y = 0;
      decoder->frame_samples = 0;
    }
  if (isnan (xy[0]))
    decoder->counters.bad_samples++;
  else
    {
      decoder->sum_x += xy[0];
      decoder->sum_y += xy[1];
      decoder->frame_samples++;
      decoder->counters.samples++;
    }
  if (k % decoder->samples_per_frame == decoder->samples_per_frame - 1)
    close_frame (decoder, now_us, positions);
}

/* The chunk starts at or before next_sample: what lies before it was already passed. */
static void
consume (PtlPandaDecoder *decoder,
         Chunk           *chunk,
         gint64           now_us,
         GArray          *positions)
{
  for (guint i = 0; i < chunk->n; i++)
    {
      guint64 k = chunk->start + i;

      if (k < decoder->next_sample)
        decoder->counters.late_samples++;
      else
        {
          add_sample (decoder, k, chunk->xy + 2 * (gsize) i, now_us, positions);
          decoder->next_sample = k + 1;
        }
    }
  chunk_free (chunk);
}

static void
drain (PtlPandaDecoder *decoder,
       guint            keep,
       gint64           now_us,
       GArray          *positions)
{
  Chunk *head;

  while ((head = g_queue_peek_head (&decoder->pending)) != NULL)
    {
      if (head->start > decoder->next_sample)
        {
          if (decoder->pending.length <= keep)
            break;
          decoder->counters.gap_samples += head->start - decoder->next_sample;
          decoder->next_sample = head->start;
        }
      consume (decoder, g_queue_pop_head (&decoder->pending), now_us, positions);
    }
}

static gint
chunk_compare (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const Chunk *ca = a, *cb = b;

  return (ca->start > cb->start) - (ca->start < cb->start);
}

/* Ends the acquisition: everything held back leaves, across any gap. */
static void
flush (PtlPandaDecoder *decoder,
       gint64           now_us,
       GArray          *positions)
{
  drain (decoder, 0, now_us, positions);
  close_frame (decoder, now_us, positions);
  decoder->counters.running = FALSE;
}

/* ---- message fields ---- */

static gboolean
format_error (GError    **error,
              const char *format,
              ...) G_GNUC_PRINTF (2, 3);

static gboolean
format_error (GError    **error,
              const char *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "PandA message: %s", message);
  return FALSE;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
is_integer (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

/* A non-negative integer member; absent is an error only when `required`. */
static gboolean
get_count (JsonObject *object,
           const char *name,
           gboolean    required,
           gboolean   *present,
           guint64    *value,
           GError    **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *present = node != NULL;
  if (node == NULL)
    return !required || format_error (error, "no \"%s\"", name);
  if (!is_integer (node) || json_node_get_int (node) < 0)
    return format_error (error, "\"%s\" is not a non-negative integer", name);
  *value = json_node_get_int (node);
  return TRUE;
}

/* Looks the dataset up under its name with and without the leading "/". */
static JsonObject *
get_dataset (JsonObject *datasets,
             const char *name,
             GError    **error)
{
  g_autofree char *slashed = g_strconcat ("/", name, NULL);
  JsonNode *node = json_object_get_member (datasets, name);

  if (node == NULL)
    node = json_object_get_member (datasets, slashed);
  if (node == NULL)
    {
      format_error (error, "no dataset \"%s\"", name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      format_error (error, "dataset \"%s\" is not an object", name);
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
get_samples (JsonObject *dataset,
             const char *name,
             guint64    *start,
             JsonArray **data,
             GError    **error)
{
  JsonNode *node = json_object_get_member (dataset, "data");
  gboolean present;
  guint64 size;

  if (!get_count (dataset, "starting_sample_number", TRUE, &present, start, error))
    return FALSE;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return format_error (error, "dataset \"%s\" has no data array", name);
  *data = json_node_get_array (node);
  if (!get_count (dataset, "size", FALSE, &present, &size, error))
    return FALSE;
  if (present && size != json_array_get_length (*data))
    return format_error (error, "dataset \"%s\" has size %" G_GUINT64_FORMAT " but %u samples",
                         name, size, json_array_get_length (*data));
  return TRUE;
}

/* NaN for anything that is not a finite number in range once scaled. */
static double
sample_value (JsonNode *node,
              double    scale)
{
  GType type;
  double value;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return NAN;
  value = json_node_get_double (node) * scale;
  return fabs (value) <= MAX_SAMPLE ? value : NAN;
}

/* ---- messages ---- */

static gboolean
push_start (PtlPandaDecoder *decoder,
            JsonObject      *root,
            gint64           now_us,
            GArray          *positions,
            GError         **error)
{
  JsonNode *arm = json_object_get_member (root, "arm_time");
  const char *arm_time = get_string (root, "arm_time");

  if (arm != NULL && !JSON_NODE_HOLDS_NULL (arm) && arm_time == NULL)
    return format_error (error, "\"arm_time\" is neither a string nor null");

  if (decoder->counters.running)
    flush (decoder, now_us, positions);
  g_free (decoder->arm_time);
  decoder->arm_time = g_strdup (arm_time);
  decoder->counters.running = TRUE;
  decoder->counters.acquisitions++;
  decoder->acquisition_chunks = 0;
  decoder->next_sample = 0;
  decoder->have_key = FALSE;
  return TRUE;
}

static gboolean
push_data (PtlPandaDecoder *decoder,
           JsonObject      *root,
           gint64           now_us,
           GArray          *positions,
           GError         **error)
{
  JsonNode *node = json_object_get_member (root, "datasets");
  JsonObject *datasets, *x_set, *y_set;
  JsonArray *x_data, *y_data;
  guint64 x_start, y_start, frame_number, key;
  gboolean has_frame_number;
  Chunk *chunk;

  if (!decoder->counters.running)
    return format_error (error, "data outside an acquisition (no start)");
  if (!get_count (root, "frame_number", FALSE, &has_frame_number, &frame_number, error))
    return FALSE;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return format_error (error, "no \"datasets\" object");
  datasets = json_node_get_object (node);
  if ((x_set = get_dataset (datasets, decoder->x_name, error)) == NULL
      || (y_set = get_dataset (datasets, decoder->y_name, error)) == NULL
      || !get_samples (x_set, decoder->x_name, &x_start, &x_data, error)
      || !get_samples (y_set, decoder->y_name, &y_start, &y_data, error))
    return FALSE;
  if (x_start != y_start || json_array_get_length (x_data) != json_array_get_length (y_data))
    return format_error (error, "x and y datasets do not hold the same samples");

  chunk = g_new (Chunk, 1);
  chunk->start = x_start;
  chunk->n = json_array_get_length (x_data);
  chunk->xy = g_new (double, 2 * (gsize) chunk->n);
  for (guint i = 0; i < chunk->n; i++)
    {
      double x = sample_value (json_array_get_element (x_data, i), decoder->scale);
      double y = sample_value (json_array_get_element (y_data, i), decoder->scale);

      chunk->xy[2 * (gsize) i] = isnan (y) ? NAN : x;
      chunk->xy[2 * (gsize) i + 1] = y;
    }

  key = has_frame_number ? frame_number : x_start;
  if (decoder->have_key && key < decoder->max_key)
    decoder->counters.reordered_chunks++;
  decoder->max_key = decoder->have_key ? MAX (decoder->max_key, key) : key;
  decoder->have_key = TRUE;
  decoder->counters.chunks++;
  decoder->acquisition_chunks++;

  if (chunk->start <= decoder->next_sample)
    consume (decoder, chunk, now_us, positions);
  else
    g_queue_insert_sorted (&decoder->pending, chunk, chunk_compare, NULL);
  drain (decoder, decoder->reorder_window, now_us, positions);
  return TRUE;
}

static gboolean
push_stop (PtlPandaDecoder *decoder,
           JsonObject      *root,
           gint64           now_us,
           GArray          *positions,
           GError         **error)
{
  guint64 emitted;
  gboolean present;

  if (!decoder->counters.running)
    return format_error (error, "stop outside an acquisition (no start)");
  if (!get_count (root, "emitted_frames", TRUE, &present, &emitted, error))
    return FALSE;
  flush (decoder, now_us, positions);
  decoder->counters.emitted_frames = emitted;
  if (emitted > decoder->acquisition_chunks)
    decoder->counters.lost_chunks += emitted - decoder->acquisition_chunks;
  return TRUE;
}

static gboolean
nesting_within (const char *text,
                gsize       length,
                guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

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
      else if ((c == '[' || c == '{') && ++depth > max_depth)
        return FALSE;
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static gboolean
push_message (PtlPandaDecoder *decoder,
              GBytes          *message,
              gint64           now_us,
              PtlPandaMsgType *type,
              GArray          *positions,
              GError         **error)
{
  gsize length;
  const char *text = g_bytes_get_data (message, &length);
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonObject *object;
  const char *msg_type;

  if (length == 0)
    return format_error (error, "empty");
  if (!nesting_within (text, length, MAX_NESTING))
    return format_error (error, "nested deeper than %d", MAX_NESTING);
  if (!json_parser_load_from_data (decoder->parser, text, length, &local))
    return format_error (error, "not JSON: %s", local->message);
  root = json_parser_get_root (decoder->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return format_error (error, "not a JSON object");
  object = json_node_get_object (root);
  msg_type = get_string (object, "msg_type");
  if (msg_type == NULL)
    return format_error (error, "no \"msg_type\" string");

  if (g_str_equal (msg_type, "start"))
    {
      *type = PTL_PANDA_MSG_START;
      return push_start (decoder, object, now_us, positions, error);
    }
  if (g_str_equal (msg_type, "data"))
    {
      *type = PTL_PANDA_MSG_DATA;
      return push_data (decoder, object, now_us, positions, error);
    }
  if (g_str_equal (msg_type, "stop"))
    {
      *type = PTL_PANDA_MSG_STOP;
      return push_stop (decoder, object, now_us, positions, error);
    }
  return format_error (error, "unknown msg_type \"%s\"", msg_type);
}

gboolean
ptl_panda_decoder_push (PtlPandaDecoder *decoder,
                        GBytes          *message,
                        gint64           now_us,
                        PtlPandaMsgType *type,
                        GArray          *positions,
                        GError         **error)
{
  g_autoptr (GError) local = NULL;
  PtlPandaMsgType message_type = PTL_PANDA_MSG_DATA;

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (positions != NULL, FALSE);

  decoder->counters.messages++;
  if (!push_message (decoder, message, now_us, &message_type, positions, &local))
    {
      decoder->counters.bad_messages++;
      g_debug ("%s", local->message);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (type != NULL)
    *type = message_type;
  return TRUE;
}
