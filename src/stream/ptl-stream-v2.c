/* Stream V2 decoder: checks what the reader kept as a whole (sizes against bounds and
 * against each other) and builds the event; and the shared error helper. */
#include "config.h"

#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bslz4.h"
#include "stream/ptl-stream-v2-private.h"
#include "stream/ptl-stream-v2.h"

#define COMPRESSED_HEADER_BYTES 12 /* u64be uncompressed size, u32be block size */
/* LZ4 expands at most ~255-fold: a larger claim is not worth an allocation. */
#define MAX_COMPRESSION_RATIO 256
#define HC_EV_M 1.23984198e-6 /* h·c in eV·m: wavelength = HC / energy */

gboolean
_ptl_stream_v2_invalid (GError    **error,
                        const char *format,
                        ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "Stream V2 message: %s", message);
  return FALSE;
}

static guint
typed_element_size (guint64 tag)
{
  /* RFC 8746 §2.1: the low two bits of an integer typed-array tag are log2 of its size. */
  return 1u << (tag & 3);
}

/* Checks the wanted channel's array against its own sizes and the bounds. */
/* Checks the wanted channel's array against its own sizes and the bounds. */
static gboolean
multidim_check (const PtlV2Array *md,
                const char       *what,
                guint            *element_size,
                GError          **error)
{
  guint64 rows = md->dims[0];
  guint64 cols = md->dims[1];
  guint64 size = md->typed_tag != 0 ? typed_element_size (md->typed_tag) :
                 md->encoding == PTL_ENCODING_BSLZ4 ? md->modifier : 0;
  guint64 bytes, header;

  if (rows == 0 || cols == 0 || rows > PTL_STREAM_MAX_SIDE || cols > PTL_STREAM_MAX_SIDE)
    return _ptl_stream_v2_invalid (error,
                                   "%s: %" G_GUINT64_FORMAT " × %" G_GUINT64_FORMAT
                                   " pixels is outside 1 to %d per side",
                                   what, rows, cols, PTL_STREAM_MAX_SIDE);
  if (md->encoding == PTL_ENCODING_BSLZ4 && md->modifier != size)
    return _ptl_stream_v2_invalid (error,
                                   "%s: bslz4 element size %" G_GUINT64_FORMAT
                                   " disagrees with the typed array's %" G_GUINT64_FORMAT,
                                   what, md->modifier, size);
  if (size != 1 && size != 2 && size != 4)
    return _ptl_stream_v2_invalid (error, "%s: element size %" G_GUINT64_FORMAT
                                   " is not 1, 2 or 4", what, size);
  bytes = rows * cols * size;
  if (bytes > PTL_STREAM_MAX_IMAGE_BYTES)
    return _ptl_stream_v2_invalid (error, "%s: %" G_GUINT64_FORMAT " bytes is over the limit",
                                   what, bytes);
  if (md->encoding == PTL_ENCODING_RAW && md->payload_len != bytes)
    return _ptl_stream_v2_invalid (error,
                                   "%s: %" G_GUINT64_FORMAT " × %" G_GUINT64_FORMAT " × %"
                                   G_GUINT64_FORMAT " bytes expected, the typed array holds %"
                                   G_GSIZE_FORMAT, what, rows, cols, size, md->payload_len);
  if (md->encoding != PTL_ENCODING_RAW && md->payload_len < COMPRESSED_HEADER_BYTES)
    return _ptl_stream_v2_invalid (error, "%s: compressed bytes shorter than their header",
                                   what);
  if (md->encoding != PTL_ENCODING_RAW)
    {
      memcpy (&header, md->payload, sizeof header);
      if (GUINT64_FROM_BE (header) != bytes)
        return _ptl_stream_v2_invalid (error,
                                       "%s: the compressed bytes hold %" G_GUINT64_FORMAT
                                       " bytes, the dims say %" G_GUINT64_FORMAT,
                                       what, GUINT64_FROM_BE (header), bytes);
    }
  *element_size = size;
  return TRUE;
}

/* Any unsigned element size, raw or compressed, widened to the guint32 the series keeps. */
static gboolean
decode_mask (const PtlV2Array *md,
             PtlSeriesInfo    *series,
             GError          **error)
{
  g_autofree guint8 *decompressed = NULL;
  g_autoptr (GError) local_error = NULL;
  const guint8 *src = md->payload;
  guint size;
  gsize n, bytes;
  gboolean ok;

  if (!multidim_check (md, "pixel_mask", &size, error))
    return FALSE;
  if ((series->image_rows != 0 && series->image_rows != md->dims[0])
      || (series->image_cols != 0 && series->image_cols != md->dims[1]))
    return _ptl_stream_v2_invalid (error,
                                   "pixel_mask: %" G_GUINT64_FORMAT " × %" G_GUINT64_FORMAT
                                   " pixels, the image %u × %u", md->dims[0], md->dims[1],
                                   series->image_rows, series->image_cols);
  series->image_rows = md->dims[0];
  series->image_cols = md->dims[1];
  n = (gsize) md->dims[0] * md->dims[1];
  bytes = n * size;
  if (md->encoding != PTL_ENCODING_RAW)
    {
      if (bytes / MAX_COMPRESSION_RATIO > md->payload_len)
        return _ptl_stream_v2_invalid (error,
                                       "pixel_mask: %" G_GSIZE_FORMAT
                                       " compressed bytes cannot hold %" G_GSIZE_FORMAT,
                                       md->payload_len, bytes);
      decompressed = g_malloc (bytes);
      if (md->encoding == PTL_ENCODING_BSLZ4)
        ok = ptl_bslz4_decode (md->payload, md->payload_len, size, decompressed, bytes,
                               &local_error);
      else
        ok = ptl_lz4_decode (md->payload, md->payload_len, decompressed, bytes, &local_error);
      if (!ok)
        return _ptl_stream_v2_invalid (error, "pixel_mask: %s", local_error->message);
      src = decompressed;
    }
  series->pixel_mask = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    {
      guint16 u16;
      guint32 u32;

      if (size == 1)
        series->pixel_mask[i] = src[i];
      else if (size == 2)
        {
          memcpy (&u16, src + 2 * i, sizeof u16);
          series->pixel_mask[i] = GUINT16_FROM_LE (u16);
        }
      else
        {
          memcpy (&u32, src + 4 * i, sizeof u32);
          series->pixel_mask[i] = GUINT32_FROM_LE (u32);
        }
    }
  return TRUE;
}

static gboolean
has (const PtlV2Fields *fields,
     PtlV2Field         field)
{
  return (fields->seen & (1u << field)) != 0;
}

static gboolean
parse_dtype (const char    *dtype,
             PtlSeriesInfo *series,
             GError       **error)
{
  static const struct { const char *name; guint size; gboolean is_signed; } dtypes[] = {
    { "uint8", 1, FALSE }, { "uint16", 2, FALSE }, { "uint32", 4, FALSE },
    { "int8", 1, TRUE }, { "int16", 2, TRUE }, { "int32", 4, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (strcmp (dtype, dtypes[i].name) == 0)
      {
        series->element_size = dtypes[i].size;
        series->element_signed = dtypes[i].is_signed;
        return TRUE;
      }
  return _ptl_stream_v2_invalid (error, "unsupported image_dtype \"%s\"", dtype);
}

static PtlStreamEvent *
build_start (PtlV2Fields *fields,
             GBytes      *message,
             GError     **error)
{
  g_autoptr (PtlSeriesInfo) series = g_new0 (PtlSeriesInfo, 1);
  PtlV2Value *v = fields->values;

  if (!has (fields, PTL_V2_FIELD_SERIES_ID))
    {
      _ptl_stream_v2_invalid (error, "start without series_id");
      return NULL;
    }
  if (v[PTL_V2_FIELD_IMAGE_SIZE_X].uint > PTL_STREAM_MAX_SIDE
      || v[PTL_V2_FIELD_IMAGE_SIZE_Y].uint > PTL_STREAM_MAX_SIDE)
    {
      _ptl_stream_v2_invalid (error, "image size %" G_GUINT64_FORMAT " × %" G_GUINT64_FORMAT
                              " is over %d per side", v[PTL_V2_FIELD_IMAGE_SIZE_X].uint,
                              v[PTL_V2_FIELD_IMAGE_SIZE_Y].uint, PTL_STREAM_MAX_SIDE);
      return NULL;
    }
  series->image_cols = v[PTL_V2_FIELD_IMAGE_SIZE_X].uint;
  series->image_rows = v[PTL_V2_FIELD_IMAGE_SIZE_Y].uint;
  if (has (fields, PTL_V2_FIELD_IMAGE_DTYPE)
      && !parse_dtype (v[PTL_V2_FIELD_IMAGE_DTYPE].text, series, error))
    return NULL;
  if (fields->mask.found && !decode_mask (&fields->mask, series, error))
    return NULL;
  series->series_id = g_steal_pointer (&v[PTL_V2_FIELD_SERIES_ID].text);
  series->series_unique_id = g_steal_pointer (&v[PTL_V2_FIELD_SERIES_UNIQUE_ID].text);
  series->number_of_images = v[PTL_V2_FIELD_NUMBER_OF_IMAGES].uint;
  series->pixel_size_x = v[PTL_V2_FIELD_PIXEL_SIZE_X].number;
  series->pixel_size_y = v[PTL_V2_FIELD_PIXEL_SIZE_Y].number;
  series->energy_ev = v[PTL_V2_FIELD_INCIDENT_ENERGY].number;
  series->wavelength = v[PTL_V2_FIELD_INCIDENT_WAVELENGTH].number * 1e-10;
  if (series->wavelength == 0 && series->energy_ev > 0)
    series->wavelength = HC_EV_M / series->energy_ev;
  else if (series->energy_ev == 0 && series->wavelength > 0)
    series->energy_ev = HC_EV_M / series->wavelength;
  series->count_time = v[PTL_V2_FIELD_COUNT_TIME].number;
  series->frame_time = v[PTL_V2_FIELD_FRAME_TIME].number;
  series->beam_center_x = v[PTL_V2_FIELD_BEAM_CENTER_X].number;
  series->beam_center_y = v[PTL_V2_FIELD_BEAM_CENTER_Y].number;
  series->saturation_value = v[PTL_V2_FIELD_SATURATION_VALUE].uint;
  series->user_data = g_steal_pointer (&fields->user_data);
  series->raw_header = g_bytes_ref (message);
  return ptl_stream_event_new_start (g_steal_pointer (&series));
}

/* [num, den] seconds → ns, exact while den·10⁹ fits in 64 bits (every real time base). */
static gboolean
rational_to_ns (const PtlV2Value *value,
                const char       *name,
                guint64          *ns,
                GError          **error)
{
  const guint64 giga = 1000000000;
  guint64 whole, rest, fraction;

  if (value->den == 0)
    return _ptl_stream_v2_invalid (error, "%s has a zero denominator", name);
  whole = value->uint / value->den;
  rest = value->uint % value->den;
  fraction = value->den <= G_MAXUINT64 / giga ? rest * giga / value->den :
             (guint64) ((double) rest / (double) value->den * giga);
  if (!g_uint64_checked_mul (ns, whole, giga) || !g_uint64_checked_add (ns, *ns, fraction))
    return _ptl_stream_v2_invalid (error, "%s does not fit in 64-bit nanoseconds", name);
  return TRUE;
}

static PtlStreamEvent *
build_image (PtlV2Fields *fields,
             GBytes      *message,
             const char  *channel,
             GError     **error)
{
  g_autoptr (PtlImageInfo) image = g_new0 (PtlImageInfo, 1);
  const guint8 *base = g_bytes_get_data (message, NULL);
  const PtlV2Array *md = &fields->image;
  static const PtlV2Field times[] = {
    PTL_V2_FIELD_START_TIME, PTL_V2_FIELD_STOP_TIME, PTL_V2_FIELD_REAL_TIME
  };
  static const char *const time_names[] = { "start_time", "stop_time", "real_time" };
  guint64 *ns[] = { &image->start_time_ns, &image->stop_time_ns, &image->real_time_ns };

  if (!has (fields, PTL_V2_FIELD_SERIES_ID) || !has (fields, PTL_V2_FIELD_IMAGE_ID))
    {
      _ptl_stream_v2_invalid (error, "image without %s",
                              has (fields, PTL_V2_FIELD_SERIES_ID) ? "image_id" : "series_id");
      return NULL;
    }
  if (!md->found && channel != NULL)
    {
      _ptl_stream_v2_invalid (error, "image without data for channel \"%s\"", channel);
      return NULL;
    }
  if (!md->found)
    {
      _ptl_stream_v2_invalid (error, "image without data");
      return NULL;
    }
  if (!multidim_check (md, "data", &image->element_size, error))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    if (has (fields, times[i])
        && !rational_to_ns (&fields->values[times[i]], time_names[i], ns[i], error))
      return NULL;
  image->series_id = g_steal_pointer (&fields->values[PTL_V2_FIELD_SERIES_ID].text);
  image->image_id = fields->values[PTL_V2_FIELD_IMAGE_ID].uint;
  image->rows = md->dims[0];
  image->cols = md->dims[1];
  image->encoding = md->encoding;
  image->data = g_bytes_new_from_bytes (message, md->payload - base, md->payload_len);
  return ptl_stream_event_new_image (g_steal_pointer (&image));
}

PtlStreamEvent *
ptl_stream_v2_decode (GBytes     *message,
                      const char *channel,
                      GError    **error)
{
  g_auto (PtlV2Fields) fields = { 0 };
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (message, &len);
  if (!_ptl_stream_v2_read (data, len, channel, &fields, error))
    return NULL;
  switch (fields.type)
    {
    case PTL_V2_START:
      return build_start (&fields, message, error);
    case PTL_V2_IMAGE:
      return build_image (&fields, message, channel, error);
    case PTL_V2_END:
      if (!has (&fields, PTL_V2_FIELD_SERIES_ID))
        {
          _ptl_stream_v2_invalid (error, "end without series_id");
          return NULL;
        }
      return ptl_stream_event_new_end (fields.values[PTL_V2_FIELD_SERIES_ID].text);
    default:
      _ptl_stream_v2_invalid (error, "no \"type\"");
      return NULL;
    }
}
