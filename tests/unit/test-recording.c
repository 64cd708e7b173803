/* Recordings of simulated detector frames: bytes and pixels back exactly, the CXI layout
 * other programs read (checked with plain HDF5 calls and h5dump), positions and metadata.
 * Bad input: test-recording-errors.c; other programs' and damaged files:
 * test-scan-file.c; crashes and full disks: tests/integration/test-recording-crash.c. */
#include "config.h"

#include <hdf5.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-recording.h"
#include "stream/ptl-bslz4.h"
#include "test-recording-common.h"

#define DATA "/entry_1/instrument_1/detector_1/data"
#define TRANSLATION "/entry_1/sample_1/geometry_1/translation"

typedef struct
{
  guint       element_size;
  PtlEncoding encoding;
} Case;

static void
decode (const PtlImageInfo *image,
        guint8             *pixels)
{
  g_autoptr (GError) error = NULL;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (image->data, &size);
  gsize pixel_bytes = (gsize) ROWS * COLS * image->element_size;

  if (image->encoding == PTL_ENCODING_RAW)
    {
      g_assert_cmpuint (size, ==, pixel_bytes);
      memcpy (pixels, bytes, size);
    }
  else if (image->encoding == PTL_ENCODING_LZ4)
    g_assert_true (ptl_lz4_decode (bytes, size, pixels, pixel_bytes, &error));
  else
    g_assert_true (ptl_bslz4_decode (bytes, size, image->element_size, pixels, pixel_bytes,
                                     &error));
  g_assert_no_error (error);
}

/* The layout other programs read, checked with plain HDF5 calls. */
static void
check_layout (const char          *path,
              const Case          *c,
              const PtlSeriesInfo *series,
              const double        *xy,
              const char          *counters)
{
  g_autoptr (GError) error = NULL;
  g_auto (PtlH5Id) file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  g_auto (PtlH5Id) data = ptl_h5_open_dataset (file, DATA, &error);
  g_auto (PtlH5Id) linked = ptl_h5_open_dataset (file, "/entry_1/data_1/data", &error);
  g_auto (PtlH5Id) dcpl = H5Dget_create_plist (data);
  g_auto (PtlH5Id) space = H5Dget_space (data);
  g_auto (PtlH5Id) type = H5Dget_type (data);
  hsize_t dims[3], max[3], chunk[3];
  double translation[N_FRAMES][3], value;
  int version;
  g_autofree char *text = NULL;

  g_assert_cmpint (file, >=, 0);
  g_assert_no_error (error);
  g_assert_true (ptl_h5_read_scalar (file, "/cxi_version", H5T_NATIVE_INT, &version, &error));
  g_assert_cmpint (version, ==, 160);
  text = ptl_h5_read_string (file, "/entry_1/definition", &error);
  g_assert_cmpstr (text, ==, "NXcxi_ptycho");
  g_clear_pointer (&text, g_free);

  /* One frame per chunk, unlimited first dimension, the detector's pixel type. */
  g_assert_cmpint (H5Sget_simple_extent_dims (space, dims, max), ==, 3);
  g_assert_cmpuint (dims[0], ==, N_FRAMES);
  g_assert_cmpuint (dims[1], ==, ROWS);
  g_assert_cmpuint (dims[2], ==, COLS);
  g_assert_true (max[0] == H5S_UNLIMITED);
  g_assert_cmpint (H5Pget_chunk (dcpl, 3, chunk), ==, 3);
  g_assert_cmpuint (chunk[0], ==, 1);
  g_assert_cmpuint (chunk[1], ==, ROWS);
  g_assert_cmpuint (chunk[2], ==, COLS);
  g_assert_cmpint (H5Tget_class (type), ==, H5T_INTEGER);
  g_assert_cmpuint (H5Tget_size (type), ==, c->element_size);
  g_assert_cmpint (H5Tget_sign (type), ==, H5T_SGN_NONE);
  g_assert_cmpint (linked, >=, 0);

  /* The filter pipeline as h5py and the plugins see it. */
  if (c->encoding == PTL_ENCODING_RAW)
    g_assert_cmpint (H5Pget_nfilters (dcpl), ==, 0);
  else
    {
      unsigned int flags, cd_values[8], config;
      size_t n_values = G_N_ELEMENTS (cd_values);
      H5Z_filter_t id;

      g_assert_cmpint (H5Pget_nfilters (dcpl), ==, 1);
      id = H5Pget_filter2 (dcpl, 0, &flags, &n_values, cd_values, 0, NULL, &config);
      g_assert_true (flags & H5Z_FLAG_OPTIONAL);
      if (c->encoding == PTL_ENCODING_BSLZ4)
        {
          const unsigned int expected[5] = { 0, 0, c->element_size, 0, 2 };

          g_assert_cmpint (id, ==, 32008);
          g_assert_cmpmem (cd_values, n_values * sizeof (unsigned int), expected, sizeof expected);
        }
      else
        {
          g_assert_cmpint (id, ==, 32004);
          g_assert_cmpuint (n_values, ==, 0);
        }
    }

  /* Translation N×3 (x, y, 0) in metres, NaN where no position was paired. */
  g_auto (PtlH5Id) tr = ptl_h5_open_dataset (file, TRANSLATION, &error);
  g_assert_true (ptl_h5_read (tr, H5T_NATIVE_DOUBLE, 3 * N_FRAMES, translation, &error));
  for (guint k = 0; k < N_FRAMES; k++)
    {
      if (isnan (xy[2 * k]))
        g_assert_true (isnan (translation[k][0]) && isnan (translation[k][1]));
      else
        {
          g_assert_cmpfloat (translation[k][0], ==, xy[2 * k]);
          g_assert_cmpfloat (translation[k][1], ==, xy[2 * k + 1]);
          g_assert_cmpfloat (translation[k][2], ==, 0.0);
        }
    }

  g_assert_true (ptl_h5_read_scalar (file, "/entry_1/instrument_1/source_1/energy",
                                     H5T_NATIVE_DOUBLE, &value, &error));
  g_assert_cmpfloat_with_epsilon (value, series->energy_ev * 1.602176634e-19, 1e-30);
  g_assert_true (ptl_h5_read_scalar (file, "/entry_1/instrument_1/detector_1/distance",
                                     H5T_NATIVE_DOUBLE, &value, &error));
  g_assert_cmpfloat (value, ==, series->detector_distance);
  g_assert_true (ptl_h5_read_scalar (file, "/entry_1/instrument_1/detector_1/x_pixel_size",
                                     H5T_NATIVE_DOUBLE, &value, &error));
  g_assert_cmpfloat (value, ==, series->pixel_size_x);
  text = ptl_h5_read_string (file, "/entry_1/collection_1/counters", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, counters);
  g_clear_pointer (&text, g_free);
  text = ptl_h5_read_string (file, "/entry_1/end_time", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, "20"));
}

static void
assert_same_series (const PtlSeriesInfo *a,
                    const PtlSeriesInfo *b)
{
  g_assert_cmpstr (a->series_id, ==, b->series_id);
  g_assert_cmpstr (a->series_unique_id, ==, b->series_unique_id);
  g_assert_cmpuint (a->image_rows, ==, b->image_rows);
  g_assert_cmpuint (a->image_cols, ==, b->image_cols);
  g_assert_cmpuint (a->element_size, ==, b->element_size);
  g_assert_cmpint (!!a->element_signed, ==, !!b->element_signed);
  g_assert_cmpuint (a->number_of_images, ==, b->number_of_images);
  g_assert_cmpfloat (a->pixel_size_x, ==, b->pixel_size_x);
  g_assert_cmpfloat (a->pixel_size_y, ==, b->pixel_size_y);
  g_assert_cmpfloat (a->energy_ev, ==, b->energy_ev);
  g_assert_cmpfloat (a->wavelength, ==, b->wavelength);
  g_assert_cmpfloat (a->detector_distance, ==, b->detector_distance);
  g_assert_cmpfloat (a->count_time, ==, b->count_time);
  g_assert_cmpfloat (a->frame_time, ==, b->frame_time);
  g_assert_cmpfloat (a->beam_center_x, ==, b->beam_center_x);
  g_assert_cmpfloat (a->beam_center_y, ==, b->beam_center_y);
  g_assert_cmpuint (a->saturation_value, ==, b->saturation_value);
  g_assert_cmpmem (a->pixel_mask, ROWS * COLS * sizeof (guint32), b->pixel_mask,
                   ROWS * COLS * sizeof (guint32));
  g_assert_cmpstr (a->user_data, ==, b->user_data);
  g_assert_true (g_bytes_equal (a->raw_header, b->raw_header));
}

/* Frames, positions (before and after their frame, one for an image never recorded, one
 * frame without any), metadata and counters go in; everything comes back. */
static void
test_round_trip (Fixture      *fixture,
                 gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (c->element_size);
  g_autoptr (PtlRawDetector) detector = test_recording_make_detector ();
  PtlPreprocessParams preprocess;
  const PtlPreprocessParams *read_preprocess;
  guint8 *pixels[N_FRAMES];
  double xy[2 * N_FRAMES];
  const char *counters = "{\"received\": 7, \"recorded\": 7}";
  PtlRecorder *recorder;

  test_recording_init_preprocess (&preprocess);
  recorder = ptl_recorder_create (fixture->path, series, c->encoding, &preprocess, 3, &error);
  g_assert_no_error (error);
  g_assert_true (ptl_recorder_set_counters (recorder, "{\"received\": 0}", &error));
  for (guint k = 0; k < N_FRAMES; k++)
    {
      g_autoptr (PtlImageInfo) image = NULL;
      guint64 id = 100 + 3 * k;

      pixels[k] = test_recording_make_pixels (detector, k, c->element_size);
      image = test_recording_make_image (pixels[k], id, c->element_size, c->encoding);
      xy[2 * k] = k == 4 ? NAN : 1e-6 * k - 3e-6;
      xy[2 * k + 1] = k == 4 ? NAN : -2e-7 * k * k;
      /* Even frames' positions are paired before the frame is written, odd ones after. */
      if (k % 2 == 0 && k != 4)
        g_assert_true (ptl_recorder_add_position (recorder, id, xy[2 * k], xy[2 * k + 1], &error));
      g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
      g_assert_no_error (error);
      if (k % 2 == 1)
        g_assert_true (ptl_recorder_add_position (recorder, id, xy[2 * k], xy[2 * k + 1], &error));
      g_assert_cmpuint (ptl_recorder_frames (recorder), ==, k + 1);
    }
  g_assert_true (ptl_recorder_add_position (recorder, 99999, 1.0, 2.0, &error));
  g_assert_true (ptl_recorder_set_counters (recorder, counters, &error));
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  check_layout (fixture->path, c, series, xy, counters);

  g_autoptr (PtlScanFile) file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, N_FRAMES);
  g_assert_true (ptl_scan_file_is_raw (file));
  assert_same_series (ptl_scan_file_series (file), series);
  read_preprocess = ptl_scan_file_preprocess (file);
  g_assert_nonnull (read_preprocess);
  g_assert_cmpuint (read_preprocess->crop, ==, preprocess.crop);
  g_assert_cmpuint (read_preprocess->bin, ==, preprocess.bin);
  g_assert_cmpfloat (read_preprocess->centre_row, ==, preprocess.centre_row);
  g_assert_cmpfloat (read_preprocess->centre_col, ==, preprocess.centre_col);
  g_assert_cmpint (read_preprocess->auto_centre, ==, preprocess.auto_centre);
  g_assert_cmpuint (read_preprocess->auto_centre_frames, ==, preprocess.auto_centre_frames);
  g_assert_cmpfloat (read_preprocess->adu_per_photon, ==, preprocess.adu_per_photon);
  g_assert_cmpuint (read_preprocess->saturation, ==, preprocess.saturation);
  g_assert_cmpfloat (ptl_scan_file_frame_time (file), ==, series->frame_time);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      g_autoptr (PtlImageInfo) sent = test_recording_make_image (pixels[k], 100 + 3 * k,
                                                                 c->element_size, c->encoding);
      g_autoptr (PtlImageInfo) image = NULL;
      g_autofree guint8 *decoded = g_malloc (ROWS * COLS * c->element_size);
      double x, y;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (image->data, sent->data));
      g_assert_cmpint (image->encoding, ==, c->encoding);
      g_assert_cmpuint (image->image_id, ==, sent->image_id);
      g_assert_cmpuint (image->rows, ==, ROWS);
      g_assert_cmpuint (image->cols, ==, COLS);
      g_assert_cmpuint (image->element_size, ==, c->element_size);
      g_assert_cmpuint (image->start_time_ns, ==, sent->start_time_ns);
      g_assert_cmpuint (image->stop_time_ns, ==, sent->stop_time_ns);
      g_assert_cmpuint (image->real_time_ns, ==, sent->real_time_ns);
      decode (image, decoded);
      g_assert_cmpmem (decoded, ROWS * COLS * c->element_size, pixels[k],
                       ROWS * COLS * c->element_size);
      if (isnan (xy[2 * k]))
        g_assert_false (ptl_scan_file_translation (file, k, &x, &y));
      else
        {
          g_assert_true (ptl_scan_file_translation (file, k, &x, &y));
          g_assert_cmpfloat (x, ==, xy[2 * k]);
          g_assert_cmpfloat (y, ==, xy[2 * k + 1]);
        }
      g_free (pixels[k]);
    }
  g_assert_false (ptl_scan_file_translation (file, N_FRAMES, NULL, NULL));
  g_assert_false (ptl_scan_file_read_image (file, N_FRAMES, &(PtlImageInfo *) { NULL }, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ);
  g_clear_error (&error);
  g_assert_false (ptl_scan_file_read_intensity (file, 0, (float[ROWS * COLS]) { 0 }, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
}

/* h5dump, as a user would run it, reads the header and the filter. */
static void
test_h5dump (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autoptr (PtlRawDetector) detector = test_recording_make_detector ();
  g_autofree guint8 *pixels = test_recording_make_pixels (detector, 0, 2);
  g_autoptr (PtlImageInfo) image = test_recording_make_image (pixels, 1, 2, PTL_ENCODING_BSLZ4);
  g_autofree char *h5dump = g_find_program_in_path ("h5dump");
  g_autofree char *out = NULL;
  PtlPreprocessParams preprocess;
  int status;

  g_assert_nonnull (h5dump); /* tools/setup.sh installs hdf5-tools */
  test_recording_init_preprocess (&preprocess);
  PtlRecorder *recorder = ptl_recorder_create (fixture->path, series, PTL_ENCODING_BSLZ4,
                                               &preprocess, 1, &error);
  g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  const char *argv[] = { h5dump, "-H", "-p", fixture->path, NULL };
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_nonnull (strstr (out, "FILTER_ID 32008"));
  g_assert_nonnull (strstr (out, "PARAMS { 0 0 2 0 2 }"));
  g_assert_nonnull (strstr (out, "( 1, 40, 56 ) / ( H5S_UNLIMITED, 40, 56 )"));
}

static void
read_doubles (hid_t       file,
              const char *path,
              double     *values,
              gsize       n)
{
  hid_t dataset = H5Dopen2 (file, path, H5P_DEFAULT);
  hid_t space = H5Dget_space (dataset);

  g_assert_cmpint (dataset, >=, 0);
  g_assert_cmpint (H5Sget_simple_extent_npoints (space), ==, n);
  g_assert_cmpint (H5Dread (dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
                   >=, 0);
  H5Sclose (space);
  H5Dclose (dataset);
}

/* The stage's own numbers go with the metres: the first PandA sample of each position, the
 * raw values in tables named by the PandA fields, and the mapping as JSON. */
static void
test_position_source (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autoptr (PtlRawDetector) detector = test_recording_make_detector ();
  const PtlPositionSource source = {
    "/PANDA/INENC1.VAL.Mean", "INENC2.VAL.Mean", 1e-6, 4, { 1.0, TRUE, -1, 1 },
  };
  const guint64 arrival[] = { 2, 0, 1 };
  PtlPreprocessParams preprocess;

  test_recording_init_preprocess (&preprocess);
  PtlRecorder *recorder = ptl_recorder_create_full (fixture->path, series, PTL_ENCODING_RAW,
                                                    &preprocess, &source, 2, &error);
  g_assert_no_error (error);
  for (guint64 id = 0; id < 3; id++)
    {
      g_autofree guint8 *pixels = test_recording_make_pixels (detector, id, 2);
      g_autoptr (PtlImageInfo) image = test_recording_make_image (pixels, id, 2, PTL_ENCODING_RAW);
      g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
    }
  for (guint i = 0; i < G_N_ELEMENTS (arrival); i++)
    g_assert_true (ptl_recorder_add_position (recorder, arrival[i], (arrival[i] + 1) * 1.5e-6,
                                              -(double) arrival[i] * 2.25e-6, &error));
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  hid_t file = H5Fopen (fixture->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  double index[3], raw_x[3], raw_y[3], scale = 0;
  g_assert_cmpint (file, >=, 0);
  read_doubles (file, "/entry_1/collection_1/position_index", index, 3);
  read_doubles (file, "/entry_1/collection_1/raw_positions/PANDA_INENC1.VAL.Mean", raw_x, 3);
  read_doubles (file, "/entry_1/collection_1/raw_positions/INENC2.VAL.Mean", raw_y, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpfloat (index[i], ==, 4.0 * arrival[i]);
      g_assert_cmpfloat_with_epsilon (raw_x[i], (arrival[i] + 1) * 1.5, 1e-9);
      g_assert_cmpfloat_with_epsilon (raw_y[i], -(double) arrival[i] * 2.25, 1e-9);
    }
  hid_t raw = H5Dopen2 (file, "/entry_1/collection_1/raw_positions/INENC2.VAL.Mean", H5P_DEFAULT);
  hid_t attribute = H5Aopen (raw, "metres_per_unit", H5P_DEFAULT);
  g_assert_cmpint (H5Aread (attribute, H5T_NATIVE_DOUBLE, &scale), >=, 0);
  g_assert_cmpfloat (scale, ==, 1e-6);
  H5Aclose (attribute);
  H5Dclose (raw);

  g_autofree char *text = ptl_h5_read_string (file, "/entry_1/collection_1/position_mapping",
                                              &error);
  g_assert_no_error (error);
  H5Fclose (file);
  g_autoptr (JsonNode) root = json_from_string (text, &error);
  g_assert_no_error (error);
  JsonObject *mapping = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (mapping, "x_field"), ==,
                   "/PANDA/INENC1.VAL.Mean");
  g_assert_cmpstr (json_object_get_string_member (mapping, "y_field"), ==, "INENC2.VAL.Mean");
  g_assert_cmpfloat (json_object_get_double_member (mapping, "metres_per_unit"), ==, 1e-6);
  g_assert_cmpint (json_object_get_int_member (mapping, "samples_per_frame"), ==, 4);
  g_assert_true (json_object_get_boolean_member (mapping, "swap_xy"));
  g_assert_cmpint (json_object_get_int_member (mapping, "sign_x"), ==, -1);
  g_assert_cmpint (json_object_get_int_member (mapping, "sign_y"), ==, 1);

  /* A scale that makes no metres is refused before anything is created. */
  PtlPositionSource zero = source;
  g_autofree char *other = g_strconcat (fixture->path, ".2", NULL);
  zero.scale = 0.0;
  g_assert_null (ptl_recorder_create_full (other, series, PTL_ENCODING_RAW, &preprocess, &zero, 2,
                                           &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
}

typedef struct
{
  const char *path;
  guint       n_frames;
} Writer;

static gpointer
record_in_thread (gpointer data)
{
  const Writer *w = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autoptr (PtlRawDetector) detector = test_recording_make_detector ();
  g_autofree guint8 *pixels = test_recording_make_pixels (detector, 0, 2);
  PtlPreprocessParams preprocess;
  PtlRecorder *recorder;

  test_recording_init_preprocess (&preprocess);
  recorder = ptl_recorder_create (w->path, series, PTL_ENCODING_BSLZ4, &preprocess, 3, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < w->n_frames; k++)
    {
      g_autoptr (PtlImageInfo) image = test_recording_make_image (pixels, k, 2,
                                                                  PTL_ENCODING_BSLZ4);

      g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
      g_assert_true (ptl_recorder_add_position (recorder, k, 1e-6 * k, 0.0, &error));
    }
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);
  return NULL;
}

/* The system's HDF5 is not thread-safe: a recording written in one thread while another
 * reads a scan file must not interleave their HDF5 calls. */
static void
test_concurrent_threads (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = g_build_filename (fixture->dir, "first.cxi", NULL);
  Writer w = { first, 20 };
  Writer again = { fixture->path, 400 };
  GThread *thread;

  record_in_thread (&w);
  thread = g_thread_new ("ptl-test-recorder", record_in_thread, &again);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr (PtlScanFile) file = ptl_scan_file_open (first, &error);
      g_autoptr (PtlImageInfo) image = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, w.n_frames);
      g_assert_true (ptl_scan_file_read_image (file, i % w.n_frames, &image, &error));
      g_assert_cmpuint (image->image_id, ==, i % w.n_frames);
    }
  g_thread_join (thread);
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, again.n_frames);
}

int
main (int   argc,
      char *argv[])
{
  static const Case cases[] = {
    { 2, PTL_ENCODING_RAW },
    { 4, PTL_ENCODING_RAW },
    { 2, PTL_ENCODING_BSLZ4 },
    { 4, PTL_ENCODING_BSLZ4 },
    { 2, PTL_ENCODING_LZ4 },
  };
  static const char *const names[] = { "raw16", "raw32", "bslz4-16", "bslz4-32", "lz4-16" };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/recording/round-trip/%s", names[i]);
      g_test_add (path, Fixture, &cases[i], test_recording_fixture_set_up, test_round_trip,
                  test_recording_fixture_tear_down);
    }
  g_test_add ("/recording/h5dump", Fixture, NULL, test_recording_fixture_set_up, test_h5dump,
              test_recording_fixture_tear_down);
  g_test_add ("/recording/position-source", Fixture, NULL, test_recording_fixture_set_up,
              test_position_source, test_recording_fixture_tear_down);
  g_test_add ("/recording/concurrent-threads", Fixture, NULL, test_recording_fixture_set_up,
              test_concurrent_threads, test_recording_fixture_tear_down);
  return g_test_run ();
}
