/* Bad Stream V1 input: each case followed by a good image and a series end, which must
 * still decode; every truncation and many corruptions of a whole series; and pixel masks
 * of every width. */
#include "config.h"

#include <string.h>

#include "stream/ptl-stream-v1.h"
#include "test-stream-v1-common.h"

#define IMAGE "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":0}"
#define IMAGE_D(shape, type, encoding, size) \
  "{\"htype\":\"dimage_d-1.0\",\"shape\":" shape ",\"type\":\"" type "\",\"encoding\":\"" \
  encoding "\",\"size\":" size "}"
#define RAW_D IMAGE_D ("[2,2]", "uint8", "<", "4")
#define DCONFIG "{\"htype\":\"dconfig-1.0\",\"start_time\":1,\"stop_time\":2,\"real_time\":1}"
#define HEADER(detail) "{\"htype\":\"dheader-1.0\",\"series\":1,\"header_detail\":\"" detail "\"}"
#define CONFIG "{\"x_pixels_in_detector\":2,\"y_pixels_in_detector\":2,\"bit_depth_image\":8}"
#define SECTION(htype, shape, type) \
  "{\"htype\":\"" htype "\",\"shape\":" shape ",\"type\":\"" type "\"}"
#define FLATFIELD SECTION ("dflatfield-1.0", "[2,2]", "float32"), "#16"
#define PIXEL_MASK_HEADER SECTION ("dpixelmask-1.0", "[2,2]", "uint32")
#define PIXEL_MASK PIXEL_MASK_HEADER, "#16"
#define COUNTRATE SECTION ("dcountrate_table-1.0", "[2,1]", "float32"), "#8"
#define END "{\"htype\":\"dseries_end-1.0\",\"series\":1}"

typedef struct
{
  const char *name;
  const char *parts[10]; /* "#N": N zero bytes; "$deep", "$comment": JSON too deep to parse */
  guint       errors;
  guint       missing;
  guint       resyncs;
  const char *events;    /* the trailing good image and end included */
} BadCase;

static const BadCase bad_cases[] = {
  { "config-binary", { HEADER ("basic"), "#10" }, 1, 0, 1, "IE" },
  { "config-array", { HEADER ("basic"), "[1,2]" }, 1, 0, 1, "IE" },
  { "config-wrong-type", { HEADER ("basic"), "{\"x_pixels_in_detector\":\"2\"}" }, 1, 0, 1, "IE" },
  { "config-too-wide", { HEADER ("basic"), "{\"x_pixels_in_detector\":32769}" }, 1, 0, 1, "IE" },
  { "config-deep", { HEADER ("basic"), "$deep" }, 1, 0, 1, "IE" },
  { "config-comment", { HEADER ("basic"), "$comment" }, 1, 0, 1, "IE" },
  { "config-missing", { HEADER ("basic"), END }, 1, 1, 0, "EIE" },
  { "unknown-htype", { "{\"htype\":\"dfoo-1.0\"}" }, 1, 0, 1, "IE" },
  { "htype-not-string", { "{\"htype\":5}" }, 1, 0, 1, "IE" },
  { "unknown-header-detail",
    { "{\"htype\":\"dheader-1.0\",\"series\":1,\"header_detail\":\"most\"}" },
    1, 0, 1, "IE" },
  { "series-missing", { "{\"htype\":\"dimage-1.0\",\"frame\":0}" }, 1, 0, 1, "IE" },
  { "frame-string", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":\"0\"}" }, 1, 0, 1, "IE" },
  { "frame-negative", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":-1}" }, 1, 0, 1, "IE" },
  { "trailing-garbage", { "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":0} x" },
    1, 0, 1, "IE" },
  { "not-utf8", { "{\"htype\":\"dimage-1.0\",\"series\":\"\xff\",\"frame\":0}" }, 1, 0, 1, "IE" },
  { "dimage_d-missing", { IMAGE, "#4", DCONFIG }, 1, 0, 1, "IE" },
  { "blob-missing", { IMAGE, RAW_D, DCONFIG }, 1, 1, 1, "IE" },
  { "dconfig-missing", { IMAGE, RAW_D, "#4" }, 1, 1, 0, "IIE" },
  { "dimage-missing", { RAW_D, "#4", DCONFIG }, 1, 1, 1, "IE" },
  { "blob-short", { IMAGE, RAW_D, "#3", DCONFIG }, 1, 0, 1, "IE" },
  { "blob-long", { IMAGE, RAW_D, "#5", DCONFIG }, 1, 0, 1, "IE" },
  { "shape-too-wide", { IMAGE, IMAGE_D ("[32769,1]", "uint8", "<", "32769") }, 1, 0, 1, "IE" },
  { "shape-zero", { IMAGE, IMAGE_D ("[0,2]", "uint8", "<", "0") }, 1, 0, 1, "IE" },
  { "shape-one-side", { IMAGE, IMAGE_D ("[2]", "uint8", "<", "2") }, 1, 0, 1, "IE" },
  { "unknown-encoding", { IMAGE, IMAGE_D ("[2,2]", "uint16", "bs16-lz4>", "20") }, 1, 0, 1, "IE" },
  { "encoding-of-other-type", { IMAGE, IMAGE_D ("[2,2]", "uint8", "bs16-lz4<", "20") },
    1, 0, 1, "IE" },
  { "unknown-type", { IMAGE, IMAGE_D ("[2,2]", "int16", "<", "8") }, 1, 0, 1, "IE" },
  { "raw-size", { IMAGE, IMAGE_D ("[2,2]", "uint8", "<", "5"), "#5" }, 1, 0, 1, "IE" },
  { "lz4-size", { IMAGE, IMAGE_D ("[2,2]", "uint8", "lz4<", "100"), "#100" }, 1, 0, 1, "IE" },
  { "bslz4-total", { IMAGE, IMAGE_D ("[2,2]", "uint8", "bs8-lz4<", "12"), "#12", DCONFIG },
    1, 0, 1, "IE" },
  { "unknown-htype-in-image", { IMAGE, "{\"htype\":\"dfoo-1.0\"}", "#4" }, 1, 0, 1, "IE" },
  { "dconfig-wrong-type",
    { IMAGE, RAW_D, "#4", "{\"htype\":\"dconfig-1.0\",\"start_time\":\"1\"}" },
    1, 0, 1, "IIE" },
  { "after-complete-message", { IMAGE, RAW_D, "#4", DCONFIG, DCONFIG }, 1, 0, 1, "IIE" },
  { "outside-message", { "#4" }, 1, 0, 1, "IE" },
  { "empty-part", { "#0" }, 1, 0, 1, "IE" },
  { "after-end", { END, "#4" }, 1, 0, 1, "EIE" },
  { "sections-missing", { HEADER ("all"), CONFIG }, 1, 6, 0, "SIE" },
  { "flatfield-missing", { HEADER ("all"), CONFIG, PIXEL_MASK, COUNTRATE }, 1, 2, 0, "SIE" },
  { "section-backwards", { HEADER ("all"), CONFIG, FLATFIELD, SECTION ("dflatfield-1.0", "[2,2]",
                                                                     "float32") },
    1, 0, 1, "SIE" },
  { "section-unknown-type", { HEADER ("all"), CONFIG,
                              SECTION ("dflatfield-1.0", "[2,2]", "float64"), "#32",
                              PIXEL_MASK, COUNTRATE }, 1, 0, 1, "SIE" },
  { "section-blob-short", { HEADER ("all"), CONFIG, SECTION ("dflatfield-1.0", "[2,2]", "float32"),
                            "#15", PIXEL_MASK, COUNTRATE }, 1, 0, 1, "SIE" },
  { "pixel-mask-shape", { HEADER ("all"), CONFIG, FLATFIELD,
                          SECTION ("dpixelmask-1.0", "[3,2]", "uint32"), "#24", COUNTRATE },
    1, 0, 1, "SIE" },
  { "pixel-mask-float", { HEADER ("all"), CONFIG, FLATFIELD,
                          SECTION ("dpixelmask-1.0", "[2,2]", "float32"), "#16", COUNTRATE },
    1, 0, 1, "SIE" },
};

static GBytes *
bad_part (const char *spec)
{
  GString *text;

  if (spec[0] == '#')
    return g_bytes_new_take (g_malloc0 (atoi (spec + 1)), atoi (spec + 1));
  if (spec[0] != '$')
    return g_bytes_new_static (spec, strlen (spec));
  /* A comment could hide a quote, and with it the brackets, from a simple scan. */
  text = g_string_new (strcmp (spec, "$comment") == 0 ? "/*\"*/" : "");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, ']');
  return g_string_free_to_bytes (text);
}

static void
test_bad_input (gconstpointer data)
{
  const BadCase *bad = data;
  static const char *const trailer[] = {
    "{\"htype\":\"dimage-1.0\",\"series\":1,\"frame\":99}", RAW_D, "#4", DCONFIG, END
  };
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  PtlStreamV1Counters counters;
  guint failures;
  const PtlStreamEvent *last_image;

  for (guint i = 0; i < G_N_ELEMENTS (bad->parts) && bad->parts[i] != NULL; i++)
    g_ptr_array_add (parts, bad_part (bad->parts[i]));
  test_stream_v1_logged = 0;
  failures = test_stream_v1_push_all (decoder, parts, FALSE, events);

  g_ptr_array_set_size (parts, 0);
  for (guint i = 0; i < G_N_ELEMENTS (trailer); i++)
    g_ptr_array_add (parts, bad_part (trailer[i]));
  failures += test_stream_v1_push_all (decoder, parts, FALSE, events);

  test_stream_v1_assert_events (events, bad->events);
  last_image = events->pdata[events->len - 2];
  g_assert_cmpuint (last_image->image->image_id, ==, 99);
  g_assert_cmpmem (g_bytes_get_data (last_image->image->data, NULL), 4, "\0\0\0\0", 4);
  counters = ptl_stream_v1_decoder_get_counters (decoder);
  g_assert_cmpuint (counters.errors, ==, bad->errors);
  g_assert_cmpuint (failures, >=, 1);
  g_assert_cmpuint (failures, <=, counters.errors);
  g_assert_cmpuint (counters.missing_parts, ==, bad->missing);
  g_assert_cmpuint (counters.resyncs, ==, bad->resyncs);
  g_assert_cmpuint (counters.messages, ==, strlen (bad->events));
  g_assert_cmpuint (test_stream_v1_logged, ==, counters.errors);
  if (bad->events[0] == 'S')
    {
      gboolean mask_sent = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (bad->parts) && bad->parts[i] != NULL; i++)
        mask_sent = mask_sent || strcmp (bad->parts[i], PIXEL_MASK_HEADER) == 0;
      g_assert_true ((((PtlStreamEvent *) events->pdata[0])->series->pixel_mask != NULL)
                     == mask_sent);
    }
}

/* Masks of 1 and 2 bytes per pixel are widened, little-endian. */
static void
test_pixel_mask_types (void)
{
  static const guint8 blobs[2][8] = { { 1, 0, 0xff, 4 }, { 1, 0, 0, 0, 0x34, 0x12, 0, 0x80 } };
  static const guint32 expected[2][4] = { { 1, 0, 0xff, 4 }, { 1, 0, 0x1234, 0x8000 } };
  static const char *const headers[2] = {
    SECTION ("dpixelmask-1.0", "[2,2]", "uint8"), SECTION ("dpixelmask-1.0", "[2,2]", "uint16")
  };

  for (guint i = 0; i < 2; i++)
    {
      const char *specs[] = { HEADER ("all"), CONFIG, FLATFIELD, headers[i], NULL, COUNTRATE };
      g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
      g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
      g_autoptr (GPtrArray) parts =
        g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

      for (guint j = 0; j < G_N_ELEMENTS (specs); j++)
        g_ptr_array_add (parts, specs[j] != NULL ? bad_part (specs[j])
                                                 : g_bytes_new_static (blobs[i], 4 * (i + 1)));
      g_assert_cmpuint (test_stream_v1_push_all (decoder, parts, TRUE, events), ==, 0);
      test_stream_v1_assert_events (events, "S");
      g_assert_cmpmem (((PtlStreamEvent *) events->pdata[0])->series->pixel_mask, 16,
                       expected[i], 16);
    }
}

/* Every truncation and many corruptions of every JSON part of a whole series: the decoder
 * neither crashes nor stops decoding what follows. */
static void
test_damaged_json (void)
{
  g_autoptr (PtlSeriesInfo) series = test_stream_v1_series_new ();
  g_autoptr (PtlStreamV1Decoder) decoder = ptl_stream_v1_decoder_new ();
  g_autoptr (GPtrArray) events = test_stream_v1_events_new ();
  g_autoptr (GPtrArray) stream = ptl_stream_v1_encode_header (series, PTL_STREAM_V1_DETAIL_ALL);
  g_autoptr (GPtrArray) end = ptl_stream_v1_encode_end ("17");
  static const char replacements[] = { '"', '}', ']', '0', '\xff' };
  guint16 pixels[15] = { 1, 2, 3 };
  g_autofree char *types = NULL;

  g_ptr_array_set_free_func (stream, NULL);
  for (PtlEncoding encoding = PTL_ENCODING_RAW; encoding <= PTL_ENCODING_BSLZ4; encoding++)
    {
      g_autoptr (GBytes) data = test_stream_v1_compress (pixels, 15, 2, encoding);
      PtlImageInfo image = { "17", encoding, 3, 5, 2, encoding, data, 1, 2, 3 };
      g_autoptr (GPtrArray) parts = ptl_stream_v1_encode_image (&image, NULL);

      g_ptr_array_extend_and_steal (stream, g_steal_pointer (&parts));
    }
  g_ptr_array_extend_and_steal (stream, g_steal_pointer (&end));
  g_ptr_array_set_free_func (stream, (GDestroyNotify) g_bytes_unref);

  test_stream_v1_logged = 0;
  for (guint j = 0; j < stream->len; j++)
    {
      GBytes *original = stream->pdata[j];
      gsize length;
      const char *text = g_bytes_get_data (original, &length);

      if (text[0] != '{')
        continue;
      for (gsize cut = 0; cut <= length * (1 + G_N_ELEMENTS (replacements)); cut++)
        {
          g_autofree char *damaged = g_memdup2 (text, length);
          gsize damaged_length = length;

          if (cut < length)
            damaged_length = cut;
          else if (cut < length * (1 + G_N_ELEMENTS (replacements)))
            damaged[cut % length] = replacements[cut / length - 1];
          else
            continue;
          stream->pdata[j] = g_bytes_new_static (damaged, damaged_length);
          test_stream_v1_push_all (decoder, stream, cut % 2, events);
          g_bytes_unref (stream->pdata[j]);
          stream->pdata[j] = original;
        }
    }
  g_assert_cmpuint (test_stream_v1_logged, ==, ptl_stream_v1_decoder_get_counters (decoder).errors);
  g_assert_cmpuint (test_stream_v1_logged, >, 0);

  g_ptr_array_set_size (events, 0);
  g_assert_cmpuint (test_stream_v1_push_all (decoder, stream, TRUE, events), ==, 0);
  types = test_stream_v1_event_types (events);
  g_assert_true (g_str_has_suffix (types, "SIIIE"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_stream_v1_count_logged ();

  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/stream-v1/bad/%s", bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_bad_input);
    }
  g_test_add_func ("/stream-v1/bad/damaged-json", test_damaged_json);
  g_test_add_func ("/stream-v1/header/pixel-mask-types", test_pixel_mask_types);
  return g_test_run ();
}
