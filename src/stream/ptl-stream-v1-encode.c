/* Stream V1 encoders, for the simulator and the replay publisher: the parts of each
 * message as an EIGER sends them, the JSON parts built with JsonBuilder. */
#include "config.h"

#include <lz4.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v1-private.h"

#define ANGSTROM 1e-10

static GPtrArray *
parts_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

/* Appends the builder's object as a part and resets the builder for the next one. */
static void
add_json_part (GPtrArray   *parts,
               JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  char *text = json_to_string (root, FALSE);

  g_ptr_array_add (parts, g_bytes_new_take (text, strlen (text)));
  json_builder_reset (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_shape (JsonBuilder *builder,
           guint        x,
           guint        y)
{
  json_builder_set_member_name (builder, "shape");
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, x);
  json_builder_add_int_value (builder, y);
  json_builder_end_array (builder);
}

/* V1 series ids are integers: decimal text goes out as one. */
static void
add_series (JsonBuilder *builder,
            const char  *series_id)
{
  gint64 number;
  g_autofree char *canonical = NULL;

  if (g_ascii_string_to_signed (series_id, 10, G_MININT64, G_MAXINT64, &number, NULL))
    canonical = g_strdup_printf ("%" G_GINT64_FORMAT, number);
  if (canonical != NULL && strcmp (canonical, series_id) == 0)
    add_int (builder, "series", number);
  else
    add_string (builder, "series", series_id);
}

static void
add_config (GPtrArray           *parts,
            JsonBuilder         *builder,
            const PtlSeriesInfo *series)
{
  json_builder_begin_object (builder);
  add_int (builder, "x_pixels_in_detector", series->image_cols);
  add_int (builder, "y_pixels_in_detector", series->image_rows);
  add_double (builder, "x_pixel_size", series->pixel_size_x);
  add_double (builder, "y_pixel_size", series->pixel_size_y);
  add_double (builder, "detector_distance", series->detector_distance);
  if (series->energy_ev > 0)
    add_double (builder, "photon_energy", series->energy_ev);
  if (series->wavelength > 0)
    add_double (builder, "wavelength", series->wavelength / ANGSTROM);
  add_double (builder, "beam_center_x", series->beam_center_x);
  add_double (builder, "beam_center_y", series->beam_center_y);
  add_double (builder, "count_time", series->count_time);
  add_double (builder, "frame_time", series->frame_time);
  add_int (builder, "nimages", series->number_of_images);
  add_int (builder, "ntrigger", 1);
  add_string (builder, "trigger_mode", "ints");
  if (series->element_size > 0)
    add_int (builder, "bit_depth_image", 8 * series->element_size);
  if (series->saturation_value > 0)
    add_int (builder, "countrate_correction_count_cutoff", series->saturation_value);
  json_builder_end_object (builder);
  add_json_part (parts, builder);
}

static void
add_section (GPtrArray   *parts,
             JsonBuilder *builder,
             const char  *htype,
             guint        x,
             guint        y,
             const char  *type,
             GBytes      *blob)
{
  json_builder_begin_object (builder);
  add_string (builder, "htype", htype);
  add_shape (builder, x, y);
  add_string (builder, "type", type);
  json_builder_end_object (builder);
  add_json_part (parts, builder);
  g_ptr_array_add (parts, blob);
}

static void
add_sections (GPtrArray           *parts,
              JsonBuilder         *builder,
              const PtlSeriesInfo *series)
{
  static const float countrate[] = { 0, 0, 1e6f, 1e6f };
  gsize n = (gsize) series->image_rows * series->image_cols;
  float *flatfield = g_new (float, n);
  guint32 *mask = g_new0 (guint32, n);

  for (gsize i = 0; i < n; i++)
    flatfield[i] = 1;
  for (gsize i = 0; i < n && series->pixel_mask != NULL; i++)
    mask[i] = GUINT32_TO_LE (series->pixel_mask[i]);

  add_section (parts, builder, PTL_STREAM_V1_HTYPE_FLATFIELD, series->image_cols,
               series->image_rows, "float32", g_bytes_new_take (flatfield, n * sizeof *flatfield));
  add_section (parts, builder, PTL_STREAM_V1_HTYPE_PIXEL_MASK, series->image_cols,
               series->image_rows, _ptl_stream_v1_type_name (4),
               g_bytes_new_take (mask, n * sizeof *mask));
  add_section (parts, builder, PTL_STREAM_V1_HTYPE_COUNTRATE, 2, G_N_ELEMENTS (countrate) / 2,
               "float32", g_bytes_new_static (countrate, sizeof countrate));
}

/* user_data is JSON text; the detector sends the appendix string itself. */
static GBytes *
appendix (const char *user_data)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (json_parser_load_from_data (parser, user_data, -1, NULL)
      && (root = json_parser_get_root (parser)) != NULL
      && JSON_NODE_HOLDS_VALUE (root) && json_node_get_value_type (root) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (root);

      return g_bytes_new (text, strlen (text));
    }
  return g_bytes_new (user_data, strlen (user_data));
}

GPtrArray *
ptl_stream_v1_encode_header (const PtlSeriesInfo *series,
                             PtlStreamV1Detail    detail)
{
  GPtrArray *parts;
  g_autoptr (JsonBuilder) builder = NULL;

  g_return_val_if_fail (series != NULL && series->series_id != NULL, NULL);
  g_return_val_if_fail (detail <= PTL_STREAM_V1_DETAIL_ALL, NULL);

  parts = parts_new ();
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string (builder, "htype", PTL_STREAM_V1_HTYPE_HEADER);
  add_series (builder, series->series_id);
  add_string (builder, "header_detail", _ptl_stream_v1_detail_name (detail));
  json_builder_end_object (builder);
  add_json_part (parts, builder);

  if (detail >= PTL_STREAM_V1_DETAIL_BASIC)
    add_config (parts, builder, series);
  if (detail == PTL_STREAM_V1_DETAIL_ALL)
    add_sections (parts, builder, series);
  if (series->user_data != NULL)
    g_ptr_array_add (parts, appendix (series->user_data));
  return parts;
}

/* `lz4<` wants the whole image as one LZ4 block. The single compressed block of an HDF5
 * framing is that block already; anything else is decoded and compressed again. */
static GBytes *
lz4_block (const PtlImageInfo *image,
           GError            **error)
{
  gsize size, bytes = (gsize) image->rows * image->cols * image->element_size;
  const guint8 *data = g_bytes_get_data (image->data, &size);
  gsize offset = PTL_STREAM_V1_FRAMING_BYTES + PTL_STREAM_V1_BLOCK_SIZE_BYTES;
  guint64 total;
  guint32 block_bytes, compressed;
  g_autofree char *raw = NULL;
  char *block;
  int bound, length;

  if (size >= offset && ptl_bslz4_header (data, size, &total, &block_bytes, NULL))
    {
      memcpy (&compressed, data + PTL_STREAM_V1_FRAMING_BYTES, sizeof compressed);
      compressed = GUINT32_FROM_BE (compressed);
      if (total == bytes && block_bytes >= total && compressed == size - offset
          && compressed != total)
        return g_bytes_new_from_bytes (image->data, offset, compressed);
    }

  if (bytes > LZ4_MAX_INPUT_SIZE)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "an image of %" G_GSIZE_FORMAT " bytes is too large for one LZ4 block", bytes);
      return NULL;
    }
  raw = g_malloc (bytes);
  if (!ptl_lz4_decode (data, size, raw, bytes, error))
    return NULL;
  bound = LZ4_compressBound (bytes);
  block = g_malloc (bound);
  length = LZ4_compress_default (raw, block, bytes, bound);
  return g_bytes_new_take (g_realloc (block, length), length);
}

GPtrArray *
ptl_stream_v1_encode_image (const PtlImageInfo *image,
                            GError            **error)
{
  const char *encoding;
  g_autoptr (GBytes) blob = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  GPtrArray *parts;

  g_return_val_if_fail (image != NULL && image->series_id != NULL && image->data != NULL, NULL);
  encoding = _ptl_stream_v1_encoding_name (image->encoding, image->element_size);
  g_return_val_if_fail (encoding != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  blob = image->encoding == PTL_ENCODING_LZ4 ? lz4_block (image, error)
         : g_bytes_ref (image->data);
  if (blob == NULL)
    return NULL;

  parts = parts_new ();
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string (builder, "htype", PTL_STREAM_V1_HTYPE_IMAGE);
  add_series (builder, image->series_id);
  add_int (builder, "frame", image->image_id);
  json_builder_end_object (builder);
  add_json_part (parts, builder);

  json_builder_begin_object (builder);
  add_string (builder, "htype", PTL_STREAM_V1_HTYPE_IMAGE_D);
  add_shape (builder, image->cols, image->rows);
  add_string (builder, "type", _ptl_stream_v1_type_name (image->element_size));
  add_string (builder, "encoding", encoding);
  add_int (builder, "size", g_bytes_get_size (blob));
  json_builder_end_object (builder);
  add_json_part (parts, builder);

  g_ptr_array_add (parts, g_steal_pointer (&blob));

  json_builder_begin_object (builder);
  add_string (builder, "htype", PTL_STREAM_V1_HTYPE_IMAGE_CONFIG);
  add_int (builder, "start_time", image->start_time_ns);
  add_int (builder, "stop_time", image->stop_time_ns);
  add_int (builder, "real_time", image->real_time_ns);
  json_builder_end_object (builder);
  add_json_part (parts, builder);
  return parts;
}

GPtrArray *
ptl_stream_v1_encode_end (const char *series_id)
{
  GPtrArray *parts;
  g_autoptr (JsonBuilder) builder = NULL;

  g_return_val_if_fail (series_id != NULL, NULL);

  parts = parts_new ();
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string (builder, "htype", PTL_STREAM_V1_HTYPE_END);
  add_series (builder, series_id);
  json_builder_end_object (builder);
  add_json_part (parts, builder);
  return parts;
}
