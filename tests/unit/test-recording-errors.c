/* What the recorder refuses: an existing file, a path it cannot create, series it cannot
 * record, frames that do not fit the recording, counters too long; each with an error, and
 * the recording goes on where it can. */
#include "config.h"

#include <hdf5.h>
#include <string.h>

#include "core/ptl-error.h"
#include "io/ptl-hdf5-util.h"
#include "io/ptl-recording.h"
#include "test-recording-common.h"

static PtlRecorder *
create (const char          *path,
        const PtlSeriesInfo *series,
        PtlEncoding          encoding,
        guint                flush_every,
        GError             **error)
{
  PtlPreprocessParams preprocess;

  test_recording_init_preprocess (&preprocess);
  return ptl_recorder_create (path, series, encoding, &preprocess, flush_every, error);
}

/* A recording never replaces a file. */
static void
test_existing_file (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autofree char *contents = NULL;

  g_assert_true (g_file_set_contents (fixture->path, "an earlier scan", -1, NULL));
  g_assert_null (create (fixture->path, series, PTL_ENCODING_RAW, 1, &error));
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "an earlier scan");
}

/* A directory that does not exist, and a "directory" that is a file: no recording, a
 * message that names the path, and nothing left behind. */
static void
test_unwritable (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", "scan.cxi", NULL);
  g_autofree char *not_dir = g_build_filename (fixture->dir, "file", NULL);
  g_autofree char *under_file = g_build_filename (not_dir, "scan.cxi", NULL);
  const char *paths[] = { missing, under_file };

  g_assert_true (g_file_set_contents (not_dir, "", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (create (paths[i], series, PTL_ENCODING_BSLZ4, 1, &error));
      g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN);
      g_assert_nonnull (strstr (error->message, paths[i]));
      g_test_message ("%s", error->message);
    }
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_bad_series (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  static const struct
  {
    guint       rows, cols, element_size, flush_every;
    PtlEncoding encoding;
  } cases[] = {
    { 0, COLS, 2, 1, PTL_ENCODING_RAW },
    { ROWS, PTL_STREAM_MAX_SIDE + 1, 2, 1, PTL_ENCODING_RAW },
    { PTL_STREAM_MAX_SIDE, PTL_STREAM_MAX_SIDE, 4, 1, PTL_ENCODING_RAW }, /* 4 GiB chunks */
    { ROWS, COLS, 3, 1, PTL_ENCODING_RAW },
    { ROWS, COLS, 2, 0, PTL_ENCODING_RAW },
    { ROWS, COLS, 2, 1, (PtlEncoding) 7 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      series->image_rows = cases[i].rows;
      series->image_cols = cases[i].cols;
      series->element_size = cases[i].element_size;
      g_assert_null (create (fixture->path, series, cases[i].encoding, cases[i].flush_every,
                             &error));
      g_assert_true (error != NULL && error->domain == PTL_PARAM_ERROR);
      g_test_message ("%s", error->message);
      g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
    }
}

/* Frames that do not fit the recording are refused one by one; the recording goes on. */
static void
test_bad_frames (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = test_recording_make_series (2);
  g_autoptr (PtlRawDetector) detector = test_recording_make_detector ();
  g_autofree guint8 *pixels = test_recording_make_pixels (detector, 0, 2);
  g_autoptr (PtlImageInfo) good = test_recording_make_image (pixels, 5, 2, PTL_ENCODING_BSLZ4);
  PtlRecorder *recorder = create (fixture->path, series, PTL_ENCODING_BSLZ4, 2, &error);
  g_autofree char *long_text = g_strnfill (5000, 'x');
  gsize size;
  const guint8 *bytes = g_bytes_get_data (good->data, &size);
  g_autofree guint8 *other_size = g_memdup2 (bytes, size);

  g_assert_no_error (error);
  g_assert_true (ptl_recorder_add_frame (recorder, good, &error));
  g_assert_true (ptl_recorder_set_counters (recorder, "{\"recorded\": 1}", &error));
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr (PtlImageInfo) bad = test_recording_make_image (pixels, 6, 2, PTL_ENCODING_BSLZ4);

      switch (i)
        {
        case 0:
          bad->rows = ROWS - 1;
          break;
        case 1:
          bad->element_size = 4;
          break;
        case 2:
          bad->encoding = PTL_ENCODING_LZ4;
          break;
        case 3: /* shorter than the 12-byte header */
          g_bytes_unref (bad->data);
          bad->data = g_bytes_new (bytes, 7);
          break;
        case 4: /* a header announcing another size */
          other_size[7] ^= 0x40;
          g_bytes_unref (bad->data);
          bad->data = g_bytes_new (other_size, size);
          break;
        default:
          g_bytes_unref (bad->data);
          bad->data = NULL;
          break;
        }
      g_assert_false (ptl_recorder_add_frame (recorder, bad, &error));
      g_assert_true (error != NULL);
      g_test_message ("%s", error->message);
      g_clear_error (&error);
      g_assert_cmpuint (ptl_recorder_frames (recorder), ==, 1);
    }
  /* Counters longer than the room kept for them are refused; the earlier ones stay. */
  g_assert_false (ptl_recorder_set_counters (recorder, long_text, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE);
  g_clear_error (&error);
  good->image_id = 8;
  g_assert_true (ptl_recorder_add_frame (recorder, good, &error));
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  g_autoptr (PtlScanFile) file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, 2);
  for (guint k = 0; k < 2; k++)
    {
      g_autoptr (PtlImageInfo) image = NULL;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_cmpuint (image->image_id, ==, k == 0 ? 5 : 8);
      g_assert_true (g_bytes_equal (image->data, good->data));
    }
  {
    g_auto (PtlH5Id) h5 = H5Fopen (fixture->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    g_autofree char *counters = ptl_h5_read_string (h5, "/entry_1/collection_1/counters", &error);

    g_assert_cmpstr (counters, ==, "{\"recorded\": 1}");
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
  ADD ("/recording-errors/existing-file", test_existing_file);
  ADD ("/recording-errors/unwritable", test_unwritable);
  ADD ("/recording-errors/bad-series", test_bad_series);
  ADD ("/recording-errors/bad-frames", test_bad_frames);
#undef ADD
  return g_test_run ();
}
