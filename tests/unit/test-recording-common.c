/* Shared by the recording tests (test-recording-common.h). */
#include "config.h"

#include "test-recording-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "core/ptl-geometry.h"
#include "io/ptl-hdf5-util.h"
#include "stream/ptl-bslz4.h"

void
test_recording_fixture_set_up (Fixture      *fixture,
                               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ptl-recording-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "scan.cxi", NULL);
}

void
test_recording_fixture_tear_down (Fixture      *fixture,
                                  gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_remove (path);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

PtlSeriesInfo *
test_recording_make_series (guint element_size)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);
  const char start[] = "\xd9\xd9\xf7{start message}";

  series->series_id = g_strdup ("42");
  series->series_unique_id = g_strdup ("a1b2-c3");
  series->image_rows = ROWS;
  series->image_cols = COLS;
  series->element_size = element_size;
  series->number_of_images = N_FRAMES;
  series->pixel_size_x = 75e-6;
  series->pixel_size_y = 76e-6;
  series->energy_ev = 8047.8;
  series->wavelength = PTL_PLANCK_EV_M / 8047.8;
  series->detector_distance = 3.25;
  series->count_time = 0.0095;
  series->frame_time = 0.01;
  series->beam_center_x = 27.5;
  series->beam_center_y = 19.25;
  series->saturation_value = 60000;
  series->pixel_mask = g_new0 (guint32, ROWS * COLS);
  series->pixel_mask[3 * COLS + 5] = 1;
  series->pixel_mask[ROWS * COLS - 1] = 16;
  series->user_data = g_strdup ("{\"sample\": \"test\"}");
  series->raw_header = g_bytes_new (start, sizeof start);
  return series;
}

PtlRawDetector *
test_recording_make_detector (void)
{
  g_autoptr (GError) error = NULL;
  PtlRawParams params;
  PtlRawDetector *detector;

  ptl_raw_params_init (&params);
  params.rows = ROWS;
  params.cols = COLS;
  params.centre_row = ROWS / 2;
  params.centre_col = COLS / 2;
  params.n_hot = 3;
  params.n_dead = 3;
  detector = ptl_raw_detector_new (&params, &error);
  g_assert_no_error (error);
  return detector;
}

guint8 *
test_recording_make_pixels (PtlRawDetector *detector,
                            guint           k,
                            guint           element_size)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint16 *frame = g_new (guint16, ROWS * COLS);
  float pattern[PATTERN * PATTERN];
  guint8 *pixels = g_malloc (ROWS * COLS * element_size);

  for (guint i = 0; i < PATTERN; i++)
    for (guint j = 0; j < PATTERN; j++)
      {
        double di = i - PATTERN / 2.0, dj = j - PATTERN / 2.0;
        double r2 = di * di + dj * dj;
        pattern[i * PATTERN + j] = 80.0 * (1.0 + 0.2 * k) * exp (-r2 / 12.0);
      }
  g_assert_true (ptl_raw_detector_expose (detector, pattern, PATTERN, frame, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < ROWS * COLS; i++)
    {
      guint32 value = frame[i];

      if (element_size == 4)
        value = value * 65537u + k; /* high bytes too */
      memcpy (pixels + (gsize) i * element_size, &value, element_size);
    }
  return pixels;
}

PtlImageInfo *
test_recording_make_image (const guint8 *pixels,
                           guint64       image_id,
                           guint         element_size,
                           PtlEncoding   encoding)
{
  g_autoptr (GError) error = NULL;
  PtlImageInfo *image = g_new0 (PtlImageInfo, 1);
  gsize size = (gsize) ROWS * COLS * element_size;

  image->series_id = g_strdup ("42");
  image->image_id = image_id;
  image->rows = ROWS;
  image->cols = COLS;
  image->element_size = element_size;
  image->encoding = encoding;
  image->start_time_ns = 1000 * image_id + 1;
  image->stop_time_ns = 1000 * image_id + 2;
  image->real_time_ns = 1000 * image_id + 3;
  if (encoding == PTL_ENCODING_RAW)
    image->data = g_bytes_new (pixels, size);
  else if (encoding == PTL_ENCODING_LZ4)
    image->data = ptl_lz4_encode (pixels, size, 0, &error);
  else
    image->data = ptl_bslz4_encode (pixels, ROWS * COLS, element_size, 0, &error);
  g_assert_no_error (error);
  return image;
}

void
test_recording_init_preprocess (PtlPreprocessParams *params)
{
  ptl_preprocess_params_init (params);
  params->crop = 32;
  params->bin = 2;
  params->centre_row = 20.5;
  params->centre_col = 27.25;
  params->auto_centre = TRUE;
  params->auto_centre_frames = 4;
  params->adu_per_photon = 9.5;
  params->saturation = 60000;
}

/* Plain HDF5, as another program writes it: a dataset of `dims` (chunked and gzipped when
 * `chunk` is given) holding `values` of `mem_type`. */
void
test_recording_write_dataset (hid_t          file,
                              const char    *path,
                              hid_t          file_type,
                              int            rank,
                              const hsize_t *dims,
                              const hsize_t *chunk,
                              hid_t          mem_type,
                              gconstpointer  values)
{
  g_auto (PtlH5Id) lcpl = H5Pcreate (H5P_LINK_CREATE);
  g_auto (PtlH5Id) dcpl = H5Pcreate (H5P_DATASET_CREATE);
  g_auto (PtlH5Id) space = rank == 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (rank, dims, NULL);
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;

  H5Pset_create_intermediate_group (lcpl, 1);
  if (chunk != NULL)
    {
      H5Pset_chunk (dcpl, rank, chunk);
      H5Pset_shuffle (dcpl);
      H5Pset_deflate (dcpl, 4);
    }
  dataset = H5Dcreate2 (file, path, file_type, space, lcpl, dcpl, H5P_DEFAULT);
  g_assert_cmpint (dataset, >=, 0);
  if (values != NULL)
    g_assert_cmpint (H5Dwrite (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), >=, 0);
}

void
test_recording_write_double (hid_t       file,
                             const char *path,
                             double      value)
{
  test_recording_write_dataset (file, path, H5T_IEEE_F64LE, 0, NULL, NULL, H5T_NATIVE_DOUBLE,
                                &value);
}

void
test_recording_expect_open_error (const char *path,
                                  int         code,
                                  const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (path, &error);

  g_assert_null (file);
  g_assert_error (error, PTL_IO_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not say “%s”", error->message, fragment);
  g_assert_nonnull (strstr (error->message, path));
}

void
test_recording_damage_file (const char *path,
                            Damage      damage)
{
  g_auto (PtlH5Id) file = H5Fopen (path, H5F_ACC_RDWR, H5P_DEFAULT);

  g_assert_cmpint (file, >=, 0);
  damage (file);
}
