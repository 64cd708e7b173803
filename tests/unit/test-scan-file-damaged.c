/* Our recordings damaged after they were written (metadata that contradicts the frames,
 * missing tables, a chunk that is not a frame, extents that claim millions of frames, a
 * file cut at any length): each fails with an error that names what is wrong, or reads
 * what is there, and never allocates what a field asks for without a bound. */
#include "config.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-recording.h"
#include "stream/ptl-bslz4.h"
#include "test-recording-common.h"

#define REC_ROWS 8
#define REC_COLS 12
#define SERIES "/entry_1/collection_1/series"

/* Three frames of our own, as the recorder writes them. */
static void
record_small (const char *path,
              PtlEncoding encoding)
{
  g_autoptr (GError) error = NULL;
  PtlSeriesInfo series = { .image_rows = REC_ROWS, .image_cols = REC_COLS, .element_size = 2,
                           .energy_ev = 8000, .detector_distance = 2, .pixel_size_x = 75e-6,
                           .pixel_size_y = 75e-6 };
  PtlPreprocessParams preprocess;
  PtlRecorder *recorder;

  ptl_preprocess_params_init (&preprocess);
  recorder = ptl_recorder_create (path, &series, encoding, &preprocess, 2, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < 3; k++)
    {
      guint16 pixels[REC_ROWS * REC_COLS];
      PtlImageInfo image = { .image_id = k, .rows = REC_ROWS, .cols = REC_COLS,
                             .element_size = 2, .encoding = encoding };

      for (guint i = 0; i < REC_ROWS * REC_COLS; i++)
        pixels[i] = i * (k + 1);
      image.data = encoding == PTL_ENCODING_RAW
                     ? g_bytes_new (pixels, sizeof pixels)
                     : ptl_bslz4_encode (pixels, REC_ROWS * REC_COLS, 2, 0, &error);
      g_assert_true (ptl_recorder_add_frame (recorder, &image, &error));
      g_assert_true (ptl_recorder_add_position (recorder, k, 1e-6 * k, 0, &error));
      g_bytes_unref (image.data);
    }
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);
}

static void
replace_uint (hid_t       file,
              const char *path,
              guint       value)
{
  H5Ldelete (file, path, H5P_DEFAULT);
  test_recording_write_dataset (file, path, H5T_STD_U32LE, 0, NULL, NULL, H5T_NATIVE_UINT, &value);
}

static void
replace_string (hid_t       file,
                const char *path,
                const char *value)
{
  H5Ldelete (file, path, H5P_DEFAULT);
  g_assert_true (ptl_h5_write_string (file, path, value, NULL));
}

static void
huge_rows (hid_t file)
{
  replace_uint (file, SERIES "/image_rows", 99999);
}

static void
other_rows (hid_t file)
{
  replace_uint (file, SERIES "/image_rows", 9);
}

static void
wide_pixels (hid_t file)
{
  replace_uint (file, SERIES "/element_size", 4);
}

static void
unknown_encoding (hid_t file)
{
  replace_string (file, "/entry_1/collection_1/encoding", "zstd");
}

static void
wrong_encoding (hid_t file)
{
  replace_string (file, "/entry_1/collection_1/encoding", "bslz4");
}

static void
no_image_ids (hid_t file)
{
  H5Ldelete (file, "/entry_1/collection_1/image_id", H5P_DEFAULT);
}

static void
no_series (hid_t file)
{
  H5Ldelete (file, SERIES, H5P_DEFAULT);
}

static void
nan_energy (hid_t file)
{
  H5Ldelete (file, SERIES "/energy_ev", H5P_DEFAULT);
  test_recording_write_double (file, SERIES "/energy_ev", NAN);
}

static void
two_column_frames_translation (hid_t file)
{
  hsize_t dims[2] = { 3, 2 };

  H5Ldelete (file, "/entry_1/sample_1/geometry_1/translation", H5P_DEFAULT);
  test_recording_write_dataset (file, "/entry_1/sample_1/geometry_1/translation", H5T_IEEE_F64LE, 2,
                                dims, NULL, H5T_NATIVE_DOUBLE, NULL);
}

static void
test_recording_errors (Fixture      *fixture,
                       gconstpointer data)
{
  static const struct
  {
    Damage      damage;
    const char *fragment;
  } cases[] = {
    { huge_rows, "describes 99999×12 images" },
    { other_rows, "holds 8×12 frames, the series 9×12" },
    { wide_pixels, "does not hold unsigned 4-byte integers" },
    { unknown_encoding, "“zstd” is none of raw, lz4, bslz4" },
    { wrong_encoding, "compressed otherwise than its “encoding” (bslz4) says" },
    { no_image_ids, "/entry_1/collection_1/image_id: missing dataset" },
    { no_series, SERIES ": missing group" },
    { nan_energy, "energy_ev is not finite" },
    { two_column_frames_translation, "is 3×2, expected frames×3" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_remove (fixture->path);
      record_small (fixture->path, PTL_ENCODING_RAW);
      test_recording_damage_file (fixture->path, cases[i].damage);
      test_recording_expect_open_error (fixture->path, PTL_IO_ERROR_FORMAT, cases[i].fragment);
    }
}

/* A compressed chunk that is not what a frame can be opens, and fails when it is read.
 * (Uncompressed chunks have the frame's size by construction.) */
static void
test_damaged_frame (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const hsize_t offset[3] = { 1, 0, 0 };
  /* A header that announces 0xffff0000 bytes, not the 192 of a frame. */
  const guint8 garbage[20] = { 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0x20, 0 };
  PtlImageInfo *image = NULL;
  g_autoptr (PtlScanFile) file = NULL;

  record_small (fixture->path, PTL_ENCODING_BSLZ4);
  {
    g_auto (PtlH5Id) h5 = H5Fopen (fixture->path, H5F_ACC_RDWR, H5P_DEFAULT);
    g_auto (PtlH5Id) dataset = H5Dopen2 (h5, "/entry_1/instrument_1/detector_1/data",
                                         H5P_DEFAULT);

    g_assert_cmpint (H5Dwrite_chunk (dataset, H5P_DEFAULT, 0, offset, sizeof garbage, garbage),
                     >=, 0);
  }
  file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, 3);
  g_assert_true (ptl_scan_file_read_image (file, 0, &image, &error));
  g_clear_pointer (&image, ptl_image_info_free);
  g_assert_false (ptl_scan_file_read_image (file, 1, &image, &error));
  g_assert_null (image);
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "frame 1 does not decompress to a 192-byte image"));
  g_clear_error (&error);
  g_assert_true (ptl_scan_file_read_image (file, 2, &image, &error));
  g_clear_pointer (&image, ptl_image_info_free);
}

static void
set_rows (hid_t       file,
          const char *path,
          hsize_t     rows)
{
  g_auto (PtlH5Id) dataset = H5Dopen2 (file, path, H5P_DEFAULT);
  g_auto (PtlH5Id) space = H5Dget_space (dataset);
  hsize_t dims[3];

  H5Sget_simple_extent_dims (space, dims, NULL);
  dims[0] = rows;
  g_assert_cmpint (H5Dset_extent (dataset, dims), >=, 0);
}

/* Extents that claim millions of frames the file does not hold: the reader counts the
 * frames stored and allocates for those. */
static void
test_inflated_extents (Fixture      *fixture,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = NULL;

  record_small (fixture->path, PTL_ENCODING_BSLZ4);
  {
    g_auto (PtlH5Id) h5 = H5Fopen (fixture->path, H5F_ACC_RDWR, H5P_DEFAULT);

    set_rows (h5, "/entry_1/instrument_1/detector_1/data", 16000000);
    set_rows (h5, "/entry_1/collection_1/image_id", 16000000);
    set_rows (h5, "/entry_1/collection_1/image_time_ns", 16000000);
    set_rows (h5, "/entry_1/sample_1/geometry_1/translation", 16000000);
  }
  file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, 3);
  g_clear_pointer (&file, ptl_scan_file_free);

  /* Past the largest scan a reader takes, the extent itself is refused. */
  {
    g_auto (PtlH5Id) h5 = H5Fopen (fixture->path, H5F_ACC_RDWR, H5P_DEFAULT);

    set_rows (h5, "/entry_1/instrument_1/detector_1/data", (hsize_t) 1 << 40);
  }
  test_recording_expect_open_error (fixture->path, PTL_IO_ERROR_FORMAT,
                                    "1099511627776 frames, more than");
}

/* Every length at which a recording can be cut fails cleanly or reads. */
static void
test_truncated (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *contents = NULL;
  g_autofree char *cut = g_build_filename (fixture->dir, "cut.cxi", NULL);
  gsize length;

  record_small (fixture->path, PTL_ENCODING_BSLZ4);
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  for (gsize size = 0; size < length; size += length / 50 + 1)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (PtlScanFile) file = NULL;

      g_assert_true (g_file_set_contents (cut, contents, size, NULL));
      file = ptl_scan_file_open (cut, &error);
      if (file == NULL)
        {
          g_assert_true (error->domain == PTL_IO_ERROR);
          g_assert_nonnull (strstr (error->message, cut));
          continue;
        }
      for (guint k = 0; k < ptl_scan_file_n_frames (file); k++)
        {
          PtlImageInfo *image = NULL;

          if (ptl_scan_file_read_image (file, k, &image, &error))
            ptl_image_info_free (image);
          else
            g_clear_error (&error);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, test_recording_fixture_set_up, func, \
              test_recording_fixture_tear_down)
  ADD ("/scan-file-damaged/recording-errors", test_recording_errors);
  ADD ("/scan-file-damaged/damaged-frame", test_damaged_frame);
  ADD ("/scan-file-damaged/truncated", test_truncated);
  ADD ("/scan-file-damaged/inflated-extents", test_inflated_extents);
#undef ADD
  return g_test_run ();
}
