/* Stream V2 encoders: messages as an EIGER2 detector writes them, for the simulator and
 * the replay publisher. Heads are written with libcbor's encoding functions straight into
 * one growing buffer, so an image's bytes are copied once, into the message. */
#include "config.h"

#include <cbor.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "stream/ptl-stream-v2.h"

#define TAG_MULTIDIM 40
#define TAG_UINT8 64
#define TAG_UINT16_LE 69
#define TAG_UINT32_LE 70
#define TAG_SELF_DESCRIBE 55799
#define TAG_COMPRESSION 56500
#define HEAD_MAX 9 /* the longest head: one byte and a 64-bit argument */
#define NS_PER_S 1000000000

static void
put_uint (GByteArray *out,
          guint64     value)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_uint (value, head, sizeof head));
}

static void
put_negint (GByteArray *out,
            guint64     minus_one_minus_value)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head,
                       cbor_encode_negint (minus_one_minus_value, head, sizeof head));
}

static void
put_tag (GByteArray *out,
         guint64     tag)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_tag (tag, head, sizeof head));
}

static void
put_array (GByteArray *out,
           gsize       n)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_array_start (n, head, sizeof head));
}

static void
put_map (GByteArray *out,
         gsize       n)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_map_start (n, head, sizeof head));
}

static void
put_text (GByteArray *out,
          const char *text)
{
  guint8 head[HEAD_MAX];
  gsize len = strlen (text);

  g_byte_array_append (out, head, cbor_encode_string_start (len, head, sizeof head));
  g_byte_array_append (out, (const guint8 *) text, len);
}

static void
put_bytes_head (GByteArray *out,
                gsize       len)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_bytestring_start (len, head, sizeof head));
}

static void
put_double (GByteArray *out,
            double      value)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_double (value, head, sizeof head));
}

static void
put_bool (GByteArray *out,
          gboolean    value)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_bool (value, head, sizeof head));
}

static void
put_null (GByteArray *out)
{
  guint8 head[HEAD_MAX];

  g_byte_array_append (out, head, cbor_encode_null (head, sizeof head));
}

/* Decimal text without leading zeros is sent as the Integer V2 specifies; anything else
 * as text, so that it reads back unchanged. */
static void
put_id (GByteArray *out,
        const char *id)
{
  guint64 value;

  if (id[0] != '\0' && (id[0] != '0' || id[1] == '\0')
      && strspn (id, "0123456789") == strlen (id)
      && g_ascii_string_to_unsigned (id, 10, 0, G_MAXUINT64, &value, NULL))
    put_uint (out, value);
  else
    put_text (out, id);
}

static void
put_json (GByteArray *out,
          JsonNode   *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr (GList) members = json_object_get_members (object);

        put_map (out, g_list_length (members));
        for (GList *l = members; l != NULL; l = l->next)
          {
            put_text (out, l->data);
            put_json (out, json_object_get_member (object, l->data));
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        put_array (out, n);
        for (guint i = 0; i < n; i++)
          put_json (out, json_array_get_element (array, i));
      }
      break;
    case JSON_NODE_NULL:
      put_null (out);
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          {
            gint64 value = json_node_get_int (node);

            if (value >= 0)
              put_uint (out, value);
            else
              put_negint (out, (guint64) (-(value + 1)));
          }
          break;
        case G_TYPE_DOUBLE:
          put_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          put_bool (out, json_node_get_boolean (node));
          break;
        default:
          put_text (out, json_node_get_string (node));
          break;
        }
      break;
    }
}

static void
put_user_data (GByteArray *out,
               const char *user_data)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (json_parser_load_from_data (parser, user_data, -1, NULL)
      && json_parser_get_root (parser) != NULL)
    put_json (out, json_parser_get_root (parser));
  else
    put_text (out, user_data);
}

/* tag 40 [[rows, cols], typed-array tag …]: the caller writes what the tag wraps. */
static void
put_multidim_head (GByteArray *out,
                   guint64     rows,
                   guint64     cols,
                   guint       element_size)
{
  put_tag (out, TAG_MULTIDIM);
  put_array (out, 2);
  put_array (out, 2);
  put_uint (out, rows);
  put_uint (out, cols);
  put_tag (out, element_size == 1 ? TAG_UINT8 :
                element_size == 2 ? TAG_UINT16_LE : TAG_UINT32_LE);
}

static const char *
dtype_name (guint    element_size,
            gboolean is_signed)
{
  switch (element_size)
    {
    case 1:
      return is_signed ? "int8" : "uint8";
    case 2:
      return is_signed ? "int16" : "uint16";
    case 4:
      return is_signed ? "int32" : "uint32";
    default:
      return NULL;
    }
}

#define N_NUMBERS 8

static void
put_numbers (GByteArray          *out,
             const PtlSeriesInfo *series)
{
  const struct { const char *key; double value; } numbers[N_NUMBERS] = {
    { "pixel_size_x", series->pixel_size_x },
    { "pixel_size_y", series->pixel_size_y },
    { "incident_energy", series->energy_ev },
    { "incident_wavelength", series->wavelength * 1e10 }, /* Å */
    { "count_time", series->count_time },
    { "frame_time", series->frame_time },
    { "beam_center_x", series->beam_center_x },
    { "beam_center_y", series->beam_center_y },
  };

  for (guint i = 0; i < N_NUMBERS; i++)
    {
      put_text (out, numbers[i].key);
      put_double (out, numbers[i].value);
    }
}

GBytes *
ptl_stream_v2_encode_start (const PtlSeriesInfo *series,
                            const char          *channel)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const char *dtype;

  g_return_val_if_fail (series != NULL, NULL);
  g_return_val_if_fail (series->series_id != NULL, NULL);

  if (channel == NULL)
    channel = PTL_STREAM_V2_DEFAULT_CHANNEL;
  dtype = dtype_name (series->element_size, series->element_signed);
  put_tag (out, TAG_SELF_DESCRIBE);
  /* type, series_id, image sizes, channels, number of images, saturation, the numbers */
  put_map (out, 7 + N_NUMBERS + (series->series_unique_id != NULL)
                + (dtype != NULL) + (series->pixel_mask != NULL) + (series->user_data != NULL));
  put_text (out, "type");
  put_text (out, "start");
  put_text (out, "series_id");
  put_id (out, series->series_id);
  if (series->series_unique_id != NULL)
    {
      put_text (out, "series_unique_id");
      put_text (out, series->series_unique_id);
    }
  put_text (out, "image_size_x");
  put_uint (out, series->image_cols);
  put_text (out, "image_size_y");
  put_uint (out, series->image_rows);
  if (dtype != NULL)
    {
      put_text (out, "image_dtype");
      put_text (out, dtype);
    }
  put_text (out, "channels");
  put_array (out, 1);
  put_text (out, channel);
  put_text (out, "number_of_images");
  put_uint (out, series->number_of_images);
  put_text (out, "saturation_value");
  put_uint (out, series->saturation_value);
  put_numbers (out, series);
  if (series->pixel_mask != NULL)
    {
      gsize n = (gsize) series->image_rows * series->image_cols;
      gsize offset;

      put_text (out, "pixel_mask");
      put_map (out, 1);
      put_text (out, channel);
      put_multidim_head (out, series->image_rows, series->image_cols, sizeof (guint32));
      put_bytes_head (out, n * sizeof (guint32));
      offset = out->len;
      g_byte_array_set_size (out, offset + n * sizeof (guint32));
      for (gsize i = 0; i < n; i++)
        {
          guint32 le = GUINT32_TO_LE (series->pixel_mask[i]);

          memcpy (out->data + offset + 4 * i, &le, sizeof le);
        }
    }
  if (series->user_data != NULL)
    {
      put_text (out, "user_data");
      put_user_data (out, series->user_data);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* A Rational of seconds, as [ns, 10⁹]. */
static void
put_time (GByteArray *out,
          const char *key,
          guint64     ns)
{
  put_text (out, key);
  put_array (out, 2);
  put_uint (out, ns);
  put_uint (out, NS_PER_S);
}

GBytes *
ptl_stream_v2_encode_image (const PtlImageInfo *image,
                            const char         *channel)
{
  g_autoptr (GByteArray) out = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (image->series_id != NULL, NULL);
  g_return_val_if_fail (image->data != NULL, NULL);
  g_return_val_if_fail (image->element_size == 1 || image->element_size == 2
                        || image->element_size == 4, NULL);

  if (channel == NULL)
    channel = PTL_STREAM_V2_DEFAULT_CHANNEL;
  data = g_bytes_get_data (image->data, &len);
  out = g_byte_array_sized_new (len + 256);
  put_tag (out, TAG_SELF_DESCRIBE);
  put_map (out, 7); /* type, series_id, image_id, the three times, data */
  put_text (out, "type");
  put_text (out, "image");
  put_text (out, "series_id");
  put_id (out, image->series_id);
  put_text (out, "image_id");
  put_uint (out, image->image_id);
  put_time (out, "start_time", image->start_time_ns);
  put_time (out, "stop_time", image->stop_time_ns);
  put_time (out, "real_time", image->real_time_ns);
  put_text (out, "data");
  put_map (out, 1);
  put_text (out, channel);
  put_multidim_head (out, image->rows, image->cols, image->element_size);
  if (image->encoding != PTL_ENCODING_RAW)
    {
      gboolean bslz4 = image->encoding == PTL_ENCODING_BSLZ4;

      put_tag (out, TAG_COMPRESSION);
      put_array (out, 3);
      put_text (out, bslz4 ? "bslz4" : "lz4");
      put_uint (out, bslz4 ? image->element_size : 0);
    }
  put_bytes_head (out, len);
  g_byte_array_append (out, data, len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
ptl_stream_v2_encode_end (const char *series_id)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_return_val_if_fail (series_id != NULL, NULL);

  put_tag (out, TAG_SELF_DESCRIBE);
  put_map (out, 2);
  put_text (out, "type");
  put_text (out, "end");
  put_text (out, "series_id");
  put_id (out, series_id);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
