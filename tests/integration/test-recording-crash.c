/* A recording survives its writer: killed (SIGKILL) after any frame or at a random moment
 * outside a flush, the file opens (here and in h5dump) with at least every frame flushed
 * before the kill, bit-exact; killed inside a flush, it is read or refused with a clear
 * error, never misread; on a full disk (a real file-size limit) the writer reports the failed frames,
 * the file stays readable, and recording goes on once there is room again. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ptl-error.h"
#include "io/ptl-recording.h"
#include "stream/ptl-bslz4.h"

#define ROWS 48
#define COLS 64
#define FLUSH_EVERY 5
/* A report of the child: this bit set, a flush begins (else: frames flushed so far). */
#define FLUSH_BEGINS 0x80000000u

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ptl-recording-crash-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "scan.cxi", NULL);
}

static void
fixture_tear_down (Fixture      *fixture,
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

static PtlSeriesInfo *
make_series (void)
{
  PtlSeriesInfo *series = g_new0 (PtlSeriesInfo, 1);

  series->series_id = g_strdup ("7");
  series->image_rows = ROWS;
  series->image_cols = COLS;
  series->element_size = 2;
  series->energy_ev = 6200.0;
  series->detector_distance = 2.0;
  series->pixel_size_x = series->pixel_size_y = 75e-6;
  series->frame_time = 0.002;
  return series;
}

/* Frame k: a spot that moves with k over a pseudo-random background, compressible like a
 * diffraction pattern but different in every frame. */
static void
make_pixels (guint    k,
             guint16 *pixels)
{
  guint32 state = 2654435761u * (k + 1);

  for (guint i = 0; i < ROWS; i++)
    for (guint j = 0; j < COLS; j++)
      {
        int di = (int) i - (int) (k % ROWS), dj = (int) j - COLS / 2;

        state = state * 1664525u + 1013904223u;
        pixels[i * COLS + j] = (state >> 29) + (di * di + dj * dj < 30 ? 1000 + k : 0);
      }
}

static PtlImageInfo *
make_image (guint       k,
            PtlEncoding encoding)
{
  g_autoptr (GError) error = NULL;
  guint16 pixels[ROWS * COLS];
  PtlImageInfo *image = g_new0 (PtlImageInfo, 1);

  make_pixels (k, pixels);
  image->series_id = g_strdup ("7");
  image->image_id = 1000 + k;
  image->rows = ROWS;
  image->cols = COLS;
  image->element_size = 2;
  image->encoding = encoding;
  image->data = encoding == PTL_ENCODING_BSLZ4
                  ? ptl_bslz4_encode (pixels, ROWS * COLS, 2, 0, &error)
                  : g_bytes_new (pixels, sizeof pixels);
  g_assert_no_error (error);
  return image;
}

static double
x_of (guint k)
{
  return 1e-7 * k;
}

static double
y_of (guint k)
{
  return -2e-7 * k;
}

/* In a child: frames (and their positions) go in and the writer dies without closing. */
static G_GNUC_NORETURN void
record_and_die (const char *path,
                PtlEncoding encoding,
                guint       n_frames,
                int         report_fd)
{
  g_autoptr (PtlSeriesInfo) series = make_series ();
  PtlPreprocessParams preprocess;
  PtlRecorder *recorder;

  ptl_preprocess_params_init (&preprocess);
  recorder = ptl_recorder_create (path, series, encoding, &preprocess, FLUSH_EVERY, NULL);
  if (recorder == NULL)
    _exit (3);
  for (guint k = 0; k < n_frames; k++)
    {
      g_autoptr (PtlImageInfo) image = make_image (k, encoding);
      guint32 flushing = FLUSH_BEGINS | (k + 1);

      /* This frame's add flushes: tell the parent, so that it knows a kill from now on
       * may fall inside HDF5's flush. */
      if ((k + 1) % FLUSH_EVERY == 0 && report_fd >= 0
          && write (report_fd, &flushing, sizeof flushing) != sizeof flushing)
        _exit (5);
      if (!ptl_recorder_add_frame (recorder, image, NULL)
          || !ptl_recorder_add_position (recorder, image->image_id, x_of (k), y_of (k), NULL))
        _exit (4);
      /* Frames up to a flush are on disk: tell the parent how many. */
      if ((k + 1) % FLUSH_EVERY == 0 && report_fd >= 0)
        {
          guint32 flushed = k + 1;

          if (write (report_fd, &flushed, sizeof flushed) != sizeof flushed)
            _exit (5);
        }
    }
  raise (SIGKILL);
  _exit (6);
}

/* A writer killed inside HDF5's flush may leave a file whose headers point at index nodes
 * not yet written (HDF5 has no atomic flush outside SWMR): such a file is refused with a
 * clear error, or read, never misread. */
static void
check_killed_in_flush (const char *path,
                       guint       at_most)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (path, &error);

  if (file == NULL)
    {
      g_test_message ("killed inside a flush: %s", error->message);
      g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, path));
      return;
    }
  g_assert_cmpuint (ptl_scan_file_n_frames (file), <=, at_most);
  for (guint k = 0; k < ptl_scan_file_n_frames (file); k++)
    {
      g_autoptr (PtlImageInfo) sent = make_image (k, PTL_ENCODING_BSLZ4);
      g_autoptr (PtlImageInfo) image = NULL;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_true (g_bytes_equal (image->data, sent->data));
    }
}

/* The file a killed writer left: h5dump reads its header, and we read at least `flushed`
 * frames, each exactly as sent, with its position. */
static void
check_survivor (const char *path,
                PtlEncoding encoding,
                guint       flushed,
                guint       at_most)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlScanFile) file = ptl_scan_file_open (path, &error);
  g_autofree char *h5dump = g_find_program_in_path ("h5dump");
  guint n;
  int status;

  g_assert_no_error (error);
  n = ptl_scan_file_n_frames (file);
  g_test_message ("%u frames flushed, %u read back, at most %u written", flushed, n, at_most);
  g_assert_cmpuint (n, >=, flushed);
  g_assert_cmpuint (n, <=, at_most);
  for (guint k = 0; k < n; k++)
    {
      g_autoptr (PtlImageInfo) sent = make_image (k, encoding);
      g_autoptr (PtlImageInfo) image = NULL;
      double x, y;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (image->image_id, ==, sent->image_id);
      g_assert_cmpint (image->encoding, ==, encoding);
      g_assert_true (g_bytes_equal (image->data, sent->data));
      /* A position is paired after its frame: the last flushed frame's may be lost. */
      if (k + 1 < flushed)
        {
          g_assert_true (ptl_scan_file_translation (file, k, &x, &y));
          g_assert_cmpfloat (x, ==, x_of (k));
          g_assert_cmpfloat (y, ==, y_of (k));
        }
    }

  g_assert_nonnull (h5dump); /* tools/setup.sh installs hdf5-tools */
  const char *argv[] = { h5dump, "-H", path, NULL };
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
}

static void
assert_killed (pid_t pid)
{
  int status;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFSIGNALED (status))
    g_error ("the recording child exited with %d instead of being killed", WEXITSTATUS (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
}

/* Killed just after frame n, for n at, before and after a flush. */
static void
test_kill_after_frame (Fixture      *fixture,
                       gconstpointer data)
{
  static const guint kill_after[] = { 0, 1, 4, 5, 6, 10, 13 };
  PtlEncoding encoding = GPOINTER_TO_INT (data);

  for (guint i = 0; i < G_N_ELEMENTS (kill_after); i++)
    {
      guint n = kill_after[i];
      pid_t pid;

      g_remove (fixture->path);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        record_and_die (fixture->path, encoding, n, -1);
      assert_killed (pid);
      check_survivor (fixture->path, encoding, n / FLUSH_EVERY * FLUSH_EVERY, n);
    }
}

/* Killed by another process at a moment it does not choose: in a frame, a position, a
 * flush. */
static void
test_kill_at_random (Fixture      *fixture,
                     gconstpointer data)
{
  const guint max_frames = 2000;

  for (guint run = 0; run < 6; run++)
    {
      guint32 flushed = 0, report;
      guint wait_for = g_test_rand_int_range (1, 60);
      gboolean in_flush;
      int fds[2];
      pid_t pid;

      g_remove (fixture->path);
      g_assert_cmpint (pipe (fds), ==, 0);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          close (fds[0]);
          record_and_die (fixture->path, PTL_ENCODING_BSLZ4, max_frames, fds[1]);
        }
      close (fds[1]);
      /* Kill once it has reported `wait_for` flushed frames, while it writes the next. */
      while (flushed < wait_for && read (fds[0], &report, sizeof report) == sizeof report)
        if (!(report & FLUSH_BEGINS))
          flushed = report;
      kill (pid, SIGKILL);
      assert_killed (pid);
      /* Reports already in the pipe were made before the kill too. */
      in_flush = FALSE;
      while (read (fds[0], &report, sizeof report) == sizeof report)
        {
          in_flush = (report & FLUSH_BEGINS) != 0;
          if (!in_flush)
            flushed = report;
        }
      close (fds[0]);
      if (in_flush)
        check_killed_in_flush (fixture->path, max_frames);
      else
        check_survivor (fixture->path, PTL_ENCODING_BSLZ4, flushed, max_frames);
    }
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_true (g_file_set_contents (to, contents, length, &error));
  g_assert_no_error (error);
}

typedef struct
{
  guint before; /* frames recorded before the limit */
  gsize room;   /* bytes the limit leaves */
} DiskFull;

/* A file-size limit (as a full disk) stops the frames; the recorder says so for each one,
 * the file on disk is valid, and with room again the recording goes on and closes. The
 * room left and the frames before vary, so that the first failure falls in a frame's
 * bytes or in a flush (the tables' first chunks are allocated at the first flush). */
static void
test_disk_full (Fixture      *fixture,
                gconstpointer data)
{
  const DiskFull *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlSeriesInfo) series = make_series ();
  g_autofree char *copy = g_build_filename (fixture->dir, "at-failure.cxi", NULL);
  struct rlimit limit;
  PtlPreprocessParams preprocess;
  PtlRecorder *recorder;
  GArray *recorded = g_array_new (FALSE, FALSE, sizeof (guint));
  guint k = 0, failures = 0, durable = 0;

  /* The limit is set in a child, which the parent watches. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      /* Nothing of HDF5's own failures (it prints them when its library cannot close). */
      g_test_trap_assert_stderr_unmatched ("*HDF5*");
      g_array_unref (recorded);
      return;
    }

  signal (SIGXFSZ, SIG_IGN);
  ptl_preprocess_params_init (&preprocess);
  recorder = ptl_recorder_create (fixture->path, series, PTL_ENCODING_RAW, &preprocess, 2,
                                  &error);
  g_assert_no_error (error);
  for (; k < c->before; k++)
    {
      g_autoptr (PtlImageInfo) image = make_image (k, PTL_ENCODING_RAW);

      g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
      g_array_append_val (recorded, k);
    }
  /* With a flush every 2 frames (and at the creation), these are on disk. */
  durable = c->before / 2 * 2;

  /* Raw frames of 6 KiB each, and the limit. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  rlim_t unlimited = limit.rlim_cur;
  limit.rlim_cur = file_size (fixture->path) + c->room;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  for (; failures < 3 && k < 40; k++)
    {
      g_autoptr (PtlImageInfo) image = make_image (k, PTL_ENCODING_RAW);

      if (ptl_recorder_add_frame (recorder, image, &error))
        {
          g_assert_no_error (error);
          g_array_append_val (recorded, k);
          continue;
        }
      g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE);
      g_assert_nonnull (strstr (error->message, fixture->path));
      g_test_message ("frame %u: %s", k, error->message);
      g_clear_error (&error);
      failures++;
    }
  g_assert_cmpuint (failures, ==, 3);
  g_assert_cmpuint (ptl_recorder_frames (recorder), ==, recorded->len);

  /* What is on disk now is a valid recording of at least the frames flushed. */
  limit.rlim_cur = unlimited;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  copy_file (fixture->path, copy);
  {
    g_autoptr (PtlScanFile) file = ptl_scan_file_open (copy, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (ptl_scan_file_n_frames (file), >=, durable);
    g_assert_cmpuint (ptl_scan_file_n_frames (file), <=, recorded->len);
  }

  /* Room again: the next frames and the close succeed. */
  for (guint i = 0; i < 3; i++, k++)
    {
      g_autoptr (PtlImageInfo) image = make_image (k, PTL_ENCODING_RAW);

      g_assert_true (ptl_recorder_add_frame (recorder, image, &error));
      g_assert_no_error (error);
      g_array_append_val (recorded, k);
    }
  g_assert_true (ptl_recorder_close (recorder, &error));
  g_assert_no_error (error);

  g_autoptr (PtlScanFile) file = ptl_scan_file_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, recorded->len);
  for (guint i = 0; i < recorded->len; i++)
    {
      g_autoptr (PtlImageInfo) sent = make_image (g_array_index (recorded, guint, i),
                                                  PTL_ENCODING_RAW);
      g_autoptr (PtlImageInfo) image = NULL;

      g_assert_true (ptl_scan_file_read_image (file, i, &image, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (image->image_id, ==, sent->image_id);
      g_assert_true (g_bytes_equal (image->data, sent->data));
    }
  g_array_unref (recorded);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/recording-crash/kill-after-frame/bslz4", Fixture,
              GINT_TO_POINTER (PTL_ENCODING_BSLZ4), fixture_set_up, test_kill_after_frame,
              fixture_tear_down);
  g_test_add ("/recording-crash/kill-after-frame/raw", Fixture,
              GINT_TO_POINTER (PTL_ENCODING_RAW), fixture_set_up, test_kill_after_frame,
              fixture_tear_down);
  g_test_add ("/recording-crash/kill-at-random", Fixture, NULL, fixture_set_up,
              test_kill_at_random, fixture_tear_down);
  static const gsize rooms[] = { 0, 100, 3000, 6144, 6500, 9000, 12800, 14000, 30000 };
  static DiskFull disk_full[2 * G_N_ELEMENTS (rooms)];
  for (guint i = 0; i < G_N_ELEMENTS (disk_full); i++)
    {
      g_autofree char *path = NULL;

      disk_full[i].before = i % 2 == 0 ? 0 : 4;
      disk_full[i].room = rooms[i / 2];
      path = g_strdup_printf ("/recording-crash/disk-full/after-%u/room-%" G_GSIZE_FORMAT,
                              disk_full[i].before, disk_full[i].room);
      g_test_add (path, Fixture, &disk_full[i], fixture_set_up, test_disk_full,
                  fixture_tear_down);
    }
  return g_test_run ();
}
