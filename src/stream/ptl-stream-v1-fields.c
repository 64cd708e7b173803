/* Stream V1 field readers: what each part of a message contributes to the event. A known
 * key must have the expected type; unknown keys are ignored. Every size is bounded before
 * it is trusted. */
#include "config.h"

#include <lz4.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "core/ptl-geometry.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1-private.h"

#define ANGSTROM 1e-10

const char *
_ptl_stream_v1_detail_name (PtlStreamV1Detail detail)
{
  static const char *const names[] = { "none", "basic", "all" };

  return names[detail];
}

const char *
_ptl_stream_v1_type_name (guint element_size)
{
  switch (element_size)
    {
    case 1:
      return "uint8";
    case 2:
      return "uint16";
    case 4:
      return "uint32";
    default:
      return NULL;
    }
}

const char *
_ptl_stream_v1_encoding_name (PtlEncoding encoding,
                              guint       element_size)
{
  static const char *const bitshuffle[] = { NULL, "bs8-lz4<", "bs16-lz4<", NULL, "bs32-lz4<" };

  if (_ptl_stream_v1_type_name (element_size) == NULL)
    return NULL;
  switch (encoding)
    {
    case PTL_ENCODING_RAW:
      return "<";
    case PTL_ENCODING_LZ4:
      return "lz4<";
    case PTL_ENCODING_BSLZ4:
      return bitshuffle[element_size];
    default:
      return NULL;
    }
}

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

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, format,
                                                args));
  va_end (args);
  return FALSE;
}

static JsonNode *
value_member (JsonObject *object,
              const char *name,
              GType       type)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type)
    return node;
  return NULL;
}

static gboolean
require (JsonObject *object,
         const char *name,
         GError    **error)
{
  return json_object_has_member (object, name)
         || format_error (error, "“%s” is missing", name);
}

/* Absent keys leave *value as it was. */
static gboolean
read_double (JsonObject *object,
             const char *name,
             double     *value,
             GError    **error)
{
  JsonNode *node;

  if (!json_object_has_member (object, name))
    return TRUE;
  if ((node = value_member (object, name, G_TYPE_DOUBLE)) != NULL)
    *value = json_node_get_double (node);
  else if ((node = value_member (object, name, G_TYPE_INT64)) != NULL)
    *value = json_node_get_int (node);
  else
    return format_error (error, "“%s” is not a number", name);
  return TRUE;
}

static gboolean
read_uint (JsonObject *object,
           const char *name,
           guint64     max,
           guint64    *value,
           GError    **error)
{
  JsonNode *node;
  gint64 number;

  if (!json_object_has_member (object, name))
    return TRUE;
  if ((node = value_member (object, name, G_TYPE_INT64)) == NULL)
    return format_error (error, "“%s” is not an integer", name);
  number = json_node_get_int (node);
  if (number < 0 || (guint64) number > max)
    return format_error (error, "“%s” = %" G_GINT64_FORMAT " is outside [0, %"
                         G_GUINT64_FORMAT "]", name, number, max);
  *value = number;
  return TRUE;
}

static gboolean
read_string (JsonObject  *object,
             const char  *name,
             const char **value,
             GError     **error)
{
  JsonNode *node;

  if (!json_object_has_member (object, name))
    return TRUE;
  if ((node = value_member (object, name, G_TYPE_STRING)) == NULL)
    return format_error (error, "“%s” is not a string", name);
  *value = json_node_get_string (node);
  return TRUE;
}

/* [x, y], each within [min, PTL_STREAM_MAX_SIDE]. */
static gboolean
read_shape (JsonObject *object,
            guint64     min,
            guint64     shape[2],
            GError    **error)
{
  JsonNode *node = json_object_get_member (object, "shape");
  JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY (node)
                     ? json_node_get_array (node) : NULL;

  if (array == NULL || json_array_get_length (array) != 2)
    return format_error (error, "“shape” is not an array of two integers");
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *side = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (side) || json_node_get_value_type (side) != G_TYPE_INT64
          || json_node_get_int (side) < (gint64) min
          || json_node_get_int (side) > PTL_STREAM_MAX_SIDE)
        return format_error (error, "“shape” holds a side outside [%" G_GUINT64_FORMAT ", %d]",
                             min, PTL_STREAM_MAX_SIDE);
      shape[i] = json_node_get_int (side);
    }
  return TRUE;
}

/* uint8/16/32, or float32 when `is_float` is given; 0 for anything else. */
static guint
element_size_of (const char *type,
                 gboolean   *is_float)
{
  if (is_float != NULL)
    {
      *is_float = strcmp (type, "float32") == 0;
      if (*is_float)
        return 4;
    }
  for (guint size = 1; size <= 4; size *= 2)
    if (strcmp (type, _ptl_stream_v1_type_name (size)) == 0)
      return size;
  return 0;
}

gboolean
_ptl_stream_v1_read_series (JsonObject *object,
                            char      **series_id,
                            GError    **error)
{
  JsonNode *node;

  if ((node = value_member (object, "series", G_TYPE_INT64)) != NULL)
    *series_id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  else if ((node = value_member (object, "series", G_TYPE_STRING)) != NULL)
    *series_id = g_strdup (json_node_get_string (node));
  else
    return format_error (error, "“series” is missing or neither an integer nor a string");
  return TRUE;
}

gboolean
_ptl_stream_v1_read_header (PtlV1Message      *message,
                            JsonObject        *object,
                            PtlStreamV1Detail *detail,
                            GError           **error)
{
  const char *name = NULL;
  g_autofree char *series_id = NULL;

  if (!_ptl_stream_v1_read_series (object, &series_id, error)
      || !require (object, "header_detail", error)
      || !read_string (object, "header_detail", &name, error))
    return FALSE;
  for (PtlStreamV1Detail i = PTL_STREAM_V1_DETAIL_NONE; i <= PTL_STREAM_V1_DETAIL_ALL; i++)
    if (strcmp (name, _ptl_stream_v1_detail_name (i)) == 0)
      {
        *detail = i;
        message->series = g_new0 (PtlSeriesInfo, 1);
        message->series->series_id = g_steal_pointer (&series_id);
        return TRUE;
      }
  return format_error (error, "unknown header_detail “%s”", name);
}

static guint
element_size_for_bits (guint64 bits)
{
  return bits == 0 ? 0 : bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
}

gboolean
_ptl_stream_v1_read_config (PtlV1Message *message,
                            JsonObject   *object,
                            GBytes       *part,
                            GError      **error)
{
  PtlSeriesInfo *series = message->series;
  guint64 cols = 0, rows = 0, nimages = 0, ntrigger = 0, bits = 0;
  double wavelength = 0, cutoff = 0;
  const char *trigger_mode = "";

  /* bit_depth_image is read last: firmware that lacks it has only the readout depth. */
  if (!read_uint (object, "x_pixels_in_detector", PTL_STREAM_MAX_SIDE, &cols, error)
      || !read_uint (object, "y_pixels_in_detector", PTL_STREAM_MAX_SIDE, &rows, error)
      || !read_double (object, "x_pixel_size", &series->pixel_size_x, error)
      || !read_double (object, "y_pixel_size", &series->pixel_size_y, error)
      || !read_double (object, "detector_distance", &series->detector_distance, error)
      || !read_double (object, "photon_energy", &series->energy_ev, error)
      || !read_double (object, "wavelength", &wavelength, error)
      || !read_double (object, "beam_center_x", &series->beam_center_x, error)
      || !read_double (object, "beam_center_y", &series->beam_center_y, error)
      || !read_double (object, "count_time", &series->count_time, error)
      || !read_double (object, "frame_time", &series->frame_time, error)
      || !read_uint (object, "nimages", G_MAXUINT32, &nimages, error)
      || !read_uint (object, "ntrigger", G_MAXUINT32, &ntrigger, error)
      || !read_string (object, "trigger_mode", &trigger_mode, error)
      || !read_double (object, "countrate_correction_count_cutoff", &cutoff, error)
      || !read_uint (object, "bit_depth_readout", 32, &bits, error)
      || !read_uint (object, "bit_depth_image", 32, &bits, error))
    return FALSE;

  series->image_cols = cols;
  series->image_rows = rows;
  series->element_size = element_size_for_bits (bits);
  /* In the enable modes (inte, exte) each trigger takes one image. */
  if (strcmp (trigger_mode, "inte") == 0 || strcmp (trigger_mode, "exte") == 0)
    series->number_of_images = ntrigger;
  else
    series->number_of_images = nimages * MAX (ntrigger, 1);
  if (cutoff > 0 && cutoff < 0x1p64)
    series->saturation_value = cutoff;
  if (wavelength > 0)
    series->wavelength = wavelength * ANGSTROM;
  if (series->energy_ev <= 0 && series->wavelength > 0)
    series->energy_ev = ptl_energy_ev_from_wavelength (series->wavelength);
  if (series->wavelength <= 0 && series->energy_ev > 0)
    series->wavelength = ptl_wavelength_from_energy_ev (series->energy_ev);
  series->raw_header = g_bytes_ref (part);
  return TRUE;
}

gboolean
_ptl_stream_v1_read_section (PtlV1Message *message,
                             PtlV1Part     kind,
                             JsonObject   *object,
                             GError      **error)
{
  const PtlSeriesInfo *series = message->series;
  guint64 shape[2];
  const char *type = NULL;
  guint element_size;
  gboolean is_float;

  if (!read_shape (object, 0, shape, error) || !require (object, "type", error)
      || !read_string (object, "type", &type, error))
    return FALSE;
  if ((element_size = element_size_of (type, &is_float)) == 0)
    return format_error (error, "unknown type “%s”", type);

  message->mask_element_size = 0;
  if (kind == PTL_V1_PART_PIXEL_MASK)
    {
      if (is_float)
        return format_error (error, "a pixel mask of type %s", type);
      if (shape[0] != series->image_cols || shape[1] != series->image_rows)
        return format_error (error, "a pixel mask of %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                             " for a detector of %u×%u", shape[0], shape[1],
                             series->image_cols, series->image_rows);
      message->mask_element_size = element_size;
    }
  message->blob_bytes = shape[0] * shape[1] * element_size;
  return TRUE;
}

gboolean
_ptl_stream_v1_read_image (PtlV1Message *message,
                           JsonObject   *object,
                           GError      **error)
{
  guint64 frame = 0;
  g_autofree char *series_id = NULL;

  if (!require (object, "frame", error)
      || !read_uint (object, "frame", G_MAXINT64, &frame, error)
      || !_ptl_stream_v1_read_series (object, &series_id, error))
    return FALSE;
  message->image = g_new0 (PtlImageInfo, 1);
  message->image->series_id = g_steal_pointer (&series_id);
  message->image->image_id = frame;
  return TRUE;
}

gboolean
_ptl_stream_v1_read_image_d (PtlV1Message *message,
                             JsonObject   *object,
                             GError      **error)
{
  static const PtlEncoding encodings[] = {
    PTL_ENCODING_RAW, PTL_ENCODING_LZ4, PTL_ENCODING_BSLZ4
  };
  PtlImageInfo *image = message->image;
  guint64 shape[2], size = 0, bytes;
  const char *type = NULL, *encoding = NULL;
  guint element_size, i;

  if (!read_shape (object, 1, shape, error)
      || !require (object, "type", error) || !read_string (object, "type", &type, error)
      || !require (object, "encoding", error)
      || !read_string (object, "encoding", &encoding, error)
      || !require (object, "size", error)
      || !read_uint (object, "size", PTL_STREAM_MAX_IMAGE_BYTES, &size, error))
    return FALSE;
  if ((element_size = element_size_of (type, NULL)) == 0)
    return format_error (error, "unknown image type “%s”", type);
  bytes = shape[0] * shape[1] * element_size;
  if (bytes > PTL_STREAM_MAX_IMAGE_BYTES)
    return format_error (error, "an image of %" G_GUINT64_FORMAT " bytes", bytes);
  for (i = 0; i < G_N_ELEMENTS (encodings); i++)
    if (strcmp (encoding, _ptl_stream_v1_encoding_name (encodings[i], element_size)) == 0)
      break;
  if (i == G_N_ELEMENTS (encodings))
    return format_error (error, "unknown encoding “%s” for %s", encoding, type);

  switch (encodings[i])
    {
    case PTL_ENCODING_RAW:
      if (size != bytes)
        return format_error (error, "raw data of %" G_GUINT64_FORMAT " bytes for an image of %"
                             G_GUINT64_FORMAT, size, bytes);
      break;
    case PTL_ENCODING_LZ4:
      if (bytes > LZ4_MAX_INPUT_SIZE || size == 0 || size > LZ4_COMPRESSBOUND (bytes))
        return format_error (error, "one LZ4 block of %" G_GUINT64_FORMAT " bytes for an "
                             "image of %" G_GUINT64_FORMAT, size, bytes);
      break;
    case PTL_ENCODING_BSLZ4:
      if (size < PTL_STREAM_V1_FRAMING_BYTES)
        return format_error (error, "bitshuffle data of %" G_GUINT64_FORMAT " bytes", size);
      break;
    }
  image->cols = shape[0];
  image->rows = shape[1];
  image->element_size = element_size;
  image->encoding = encodings[i];
  message->image_bytes = bytes;
  message->blob_bytes = size;
  return TRUE;
}

gboolean
_ptl_stream_v1_read_image_config (PtlV1Message *message,
                                  JsonObject   *object,
                                  GError      **error)
{
  guint64 start_time = 0, stop_time = 0, real_time = 0;

  if (!read_uint (object, "start_time", G_MAXINT64, &start_time, error)
      || !read_uint (object, "stop_time", G_MAXINT64, &stop_time, error)
      || !read_uint (object, "real_time", G_MAXINT64, &real_time, error))
    return FALSE;
  message->image->start_time_ns = start_time;
  message->image->stop_time_ns = stop_time;
  message->image->real_time_ns = real_time;
  return TRUE;
}

/* `lz4<` is one LZ4 block without a header. Behind the HDF5 framing of a single block it
 * decodes and records like V2's LZ4. A block exactly as long as the image would read there
 * as stored bytes, so that one is stored decompressed. */
static GBytes *
frame_lz4_block (GBytes  *part,
                 guint64  image_bytes,
                 GError **error)
{
  gsize size;
  const guint8 *block = g_bytes_get_data (part, &size);
  gsize offset = PTL_STREAM_V1_FRAMING_BYTES + PTL_STREAM_V1_BLOCK_SIZE_BYTES;
  g_autofree guint8 *framed = g_malloc (offset + size);
  guint64 total = GUINT64_TO_BE (image_bytes);
  guint32 block_bytes = GUINT32_TO_BE ((guint32) image_bytes);
  guint32 compressed = GUINT32_TO_BE ((guint32) size);

  memcpy (framed, &total, sizeof total);
  memcpy (framed + 8, &block_bytes, sizeof block_bytes);
  memcpy (framed + PTL_STREAM_V1_FRAMING_BYTES, &compressed, sizeof compressed);
  if (size != image_bytes)
    memcpy (framed + offset, block, size);
  else if (LZ4_decompress_safe ((const char *) block, (char *) framed + offset, size, size)
           != (int) size)
    {
      format_error (error, "the LZ4 block does not decode to %" G_GUINT64_FORMAT " bytes",
                    image_bytes);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&framed), offset + size);
}

static void
take_pixel_mask (PtlSeriesInfo *series,
                 const guint8  *blob,
                 guint          element_size)
{
  gsize n = (gsize) series->image_rows * series->image_cols;

  series->pixel_mask = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = blob + i * element_size;

      series->pixel_mask[i] = element_size == 1 ? p[0]
                              : element_size == 2 ? (guint32) (p[0] | p[1] << 8)
                              : (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16
                                | (guint32) p[3] << 24;
    }
}

gboolean
_ptl_stream_v1_take_blob (PtlV1Message *message,
                          const char   *name,
                          GBytes       *part,
                          GError      **error)
{
  PtlImageInfo *image = message->image;
  gsize size;
  const guint8 *blob = g_bytes_get_data (part, &size);
  guint64 total;
  guint32 block_bytes;

  if (size != message->blob_bytes)
    return format_error (error, "a %s of %" G_GSIZE_FORMAT " bytes where %" G_GSIZE_FORMAT
                         " were declared", name, size, message->blob_bytes);
  if (image == NULL)
    {
      if (message->mask_element_size != 0 && size > 0)
        take_pixel_mask (message->series, blob, message->mask_element_size);
      return TRUE;
    }

  switch (image->encoding)
    {
    case PTL_ENCODING_RAW:
      image->data = g_bytes_ref (part);
      break;
    case PTL_ENCODING_BSLZ4:
      if (!ptl_bslz4_header (blob, size, &total, &block_bytes, error))
        return FALSE;
      if (total != message->image_bytes)
        return format_error (error, "bitshuffle data of %" G_GUINT64_FORMAT " bytes for an "
                             "image of %" G_GUINT64_FORMAT, total, message->image_bytes);
      image->data = g_bytes_ref (part);
      break;
    case PTL_ENCODING_LZ4:
      image->data = frame_lz4_block (part, message->image_bytes, error);
      break;
    }
  return image->data != NULL;
}

gboolean
_ptl_stream_v1_take_appendix (PtlV1Message *message,
                              GBytes       *part,
                              JsonNode     *root,
                              GError      **error)
{
  gsize length;
  const char *text = g_bytes_get_data (part, &length);
  g_autofree char *valid = NULL;
  g_autoptr (JsonNode) string = NULL;

  if (message->series == NULL)
    return TRUE;
  if (root != NULL)
    {
      message->series->user_data = g_strndup (text, length);
      return TRUE;
    }
  if (length > PTL_STREAM_V1_MAX_JSON_BYTES)
    return format_error (error, "an appendix of %" G_GSIZE_FORMAT " bytes", length);
  valid = g_utf8_make_valid (length > 0 ? text : "", length);
  string = json_node_init_string (json_node_alloc (), valid);
  message->series->user_data = json_to_string (string, FALSE);
  return TRUE;
}
