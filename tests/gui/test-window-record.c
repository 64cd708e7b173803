/* Recording from the window: with the Record toggle on, a run on a detector stream writes
 * every frame it receives, as the detector sent it, with its position, to a new file in
 * the recordings folder (made when missing); with it off, nothing is written; a folder
 * that cannot be made leaves the run going unrecorded, with the reason in the status bar.
 * The detector is the simulator's publisher on a thread, speaking Stream V2 and PandA
 * over loopback. Exits 77 (skip) without a display. */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <hdf5.h>
#include <string.h>

#include "gui/ptl-window.h"
#include "io/ptl-recording.h"
#include "sim/ptl-stream-publisher.h"
#include "stream/ptl-bslz4.h"

#define N_FRAMES 40
#define FRAME    64
#define TIMEOUT_S 60.0

typedef struct
{
  PtlStreamPublisher *publisher;
  GCancellable       *cancellable;
  GThread            *thread;
} Detector;

static gpointer
publish (gpointer data)
{
  Detector *d = data;
  g_autoptr (GError) error = NULL;
  PtlPublisherCounters counters;

  if (!ptl_stream_publisher_run (d->publisher, d->cancellable, &counters, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_printerr ("publisher: %s\n", error->message);
  return NULL;
}

static void
detector_start (Detector *d)
{
  g_autoptr (GError) error = NULL;
  PtlPublisherParams params;

  ptl_publisher_params_init (&params);
  params.detector_endpoint = "tcp://127.0.0.1:*";
  params.positions_endpoint = "tcp://127.0.0.1:*";
  params.n_frames = N_FRAMES;
  params.frame_size = FRAME;
  params.wait_for_peer = 0.5;
  d->publisher = ptl_stream_publisher_new (&params, &error);
  g_assert_no_error (error);
  d->cancellable = g_cancellable_new ();
  d->thread = g_thread_new ("test-detector", publish, d);
}

static void
detector_stop (Detector *d)
{
  g_cancellable_cancel (d->cancellable);
  g_thread_join (d->thread);
  g_clear_object (&d->cancellable);
  g_clear_pointer (&d->publisher, ptl_stream_publisher_free);
}

static PtlWindow *
new_window (const char *folder)
{
  PtlWindow *window = ptl_window_new (NULL, NULL);
  PtlPreprocessParams pre;

  g_object_set (window, "record-folder", folder, NULL);
  /* The publisher sends 64² photon counts: the whole frame is the crop. */
  ptl_preprocess_params_init (&pre);
  pre.crop = FRAME;
  pre.bin = 1;
  pre.centre_row = pre.centre_col = FRAME / 2;
  ptl_param_panel_set_preprocess (ptl_window_get_param_panel (window), &pre);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* Connects the window to the detector as the Connect dialog does, and runs the main loop
 * until the series is reconstructed and the run has finished. */
static PtlSnapshot *
run_on_detector (PtlWindow *window)
{
  g_autoptr (GError) error = NULL;
  Detector detector = { 0 };
  PtlPipelineConfig config;
  PtlSimParams sim;

  detector_start (&detector);
  ptl_sim_params_init (&sim);
  ptl_pipeline_config_init (&config);
  config.source = PTL_SOURCE_STREAM;
  config.protocol = PTL_DETECTOR_PROTOCOL_V2;
  config.detector_endpoint = ptl_stream_publisher_detector_endpoint (detector.publisher);
  config.positions_endpoint = ptl_stream_publisher_positions_endpoint (detector.publisher);
  config.distance = sim.geometry.distance;
  config.preprocess_from_file = FALSE;
  config.final_seconds = 1.0;
  g_assert_true (ptl_window_start_run (window, &config, &error));
  g_assert_no_error (error);

  gint64 deadline = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);
  while (ptl_window_is_running (window))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the run on the detector did not finish");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  detector_stop (&detector);
  ptl_sim_params_clear (&sim);
  ptl_sim_params_clear (&config.sim);
  return ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
}

static guint
count_files (const char *folder)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Every frame in the file is the detector's, byte for byte once decoded, with the
 * translation the PandA sent for it. */
static void
assert_recording_is_the_stream (const char *path)
{
  g_autoptr (GError) error = NULL;
  PtlPublisherParams params;

  ptl_publisher_params_init (&params);
  params.detector_endpoint = "tcp://127.0.0.1:*";
  params.n_frames = N_FRAMES;
  params.frame_size = FRAME;
  g_autoptr (PtlStreamPublisher) same = ptl_stream_publisher_new (&params, &error);
  g_assert_no_error (error);
  const double *translation = ptl_stream_publisher_translations (same);

  PtlScanFile *file = ptl_scan_file_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptl_scan_file_n_frames (file), ==, N_FRAMES);
  for (guint k = 0; k < N_FRAMES; k++)
    {
      guint rows, cols, element_size;
      const void *sent = ptl_stream_publisher_frame (same, k, &rows, &cols, &element_size);
      gsize n_bytes = (gsize) rows * cols * element_size, size;
      PtlImageInfo *image = NULL;
      double x, y;

      g_assert_true (ptl_scan_file_read_image (file, k, &image, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (image->image_id, ==, k);
      const guint8 *data = g_bytes_get_data (image->data, &size);
      g_autofree guint8 *decoded = g_malloc (n_bytes);
      g_assert_true (ptl_bslz4_decode (data, size, element_size, decoded, n_bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, n_bytes, sent, n_bytes);
      ptl_image_info_free (image);

      g_assert_true (ptl_scan_file_translation (file, k, &x, &y));
      g_assert_cmpfloat_with_epsilon (x, translation[2 * k], 1e-12);
      g_assert_cmpfloat_with_epsilon (y, translation[2 * k + 1], 1e-12);
    }
  g_clear_pointer (&file, ptl_scan_file_free);

  /* Beside the metres, the PandA's own numbers (micrometres here) under its field's name,
   * and its first sample of each image. */
  PtlPipelineConfig defaults;
  ptl_pipeline_config_init (&defaults);
  g_autofree char *raw_path = g_strconcat ("/entry_1/collection_1/raw_positions/",
                                           defaults.x_name, NULL);
  hid_t h5 = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ids = H5Dopen2 (h5, "/entry_1/collection_1/position_image_id", H5P_DEFAULT);
  hid_t index = H5Dopen2 (h5, "/entry_1/collection_1/position_index", H5P_DEFAULT);
  hid_t raw = H5Dopen2 (h5, raw_path, H5P_DEFAULT);
  guint64 id[N_FRAMES], first_sample[N_FRAMES];
  double raw_x[N_FRAMES];

  g_assert_cmpint (raw, >=, 0);
  g_assert_cmpint (H5Dread (ids, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, id), >=, 0);
  g_assert_cmpint (H5Dread (index, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, first_sample),
                   >=, 0);
  g_assert_cmpint (H5Dread (raw, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw_x), >=, 0);
  for (guint p = 0; p < N_FRAMES; p++)
    {
      g_assert_cmpuint (first_sample[p], ==, id[p] * defaults.samples_per_frame);
      g_assert_cmpfloat_with_epsilon (raw_x[p], translation[2 * id[p]] / defaults.stage_scale,
                                      1e-6);
    }
  H5Dclose (raw);
  H5Dclose (index);
  H5Dclose (ids);
  H5Fclose (h5);
  ptl_sim_params_clear (&defaults.sim);
}

static char *
make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ptl-record-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                               NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
      remove_tree (child);
      g_object_unref (info);
    }
  g_remove (path);
}

/* On: a new folder is made, and the run's file in it holds the whole stream; the header
 * says where it records. Off (through the header bar's action): the next run writes
 * nothing, and still reconstructs every frame. */
static void
test_record_toggle (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "beamtime", "recordings", NULL);
  PtlWindow *window = new_window (folder);
  gboolean record;

  GtkToggleButton *button = GTK_TOGGLE_BUTTON (
    gtk_widget_get_template_child (GTK_WIDGET (window), PTL_TYPE_WINDOW, "record_button"));

  g_object_get (window, "record", &record, NULL);
  g_assert_true (record);
  g_assert_true (gtk_toggle_button_get_active (button));

  g_autoptr (PtlSnapshot) first = run_on_detector (window);
  g_assert_cmpint (first->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (first->counters.received, ==, N_FRAMES);
  g_assert_cmpuint (first->counters.recorded, ==, N_FRAMES);
  g_assert_cmpuint (first->counters.not_recorded, ==, 0);
  const char *path = ptl_window_get_record_file (window);
  g_assert_nonnull (path);
  g_autofree char *parent = g_path_get_dirname (path);
  g_assert_cmpstr (parent, ==, folder);
  g_autofree char *name = g_path_get_basename (path);
  g_assert_true (g_str_has_prefix (name, "scan-") && g_str_has_suffix (name, ".cxi"));
  assert_recording_is_the_stream (path);

  GObject *label = gtk_widget_get_template_child (GTK_WIDGET (window), PTL_TYPE_WINDOW,
                                                    "connection_label");
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), name));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.record", NULL));
  g_object_get (window, "record", &record, NULL);
  g_assert_false (record);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (gtk_toggle_button_get_active (button));
  g_autoptr (PtlSnapshot) second = run_on_detector (window);
  g_assert_cmpint (second->state, ==, PTL_PIPELINE_FINISHED);

  g_assert_cmpuint (second->counters.reconstructed, ==, N_FRAMES);
  g_assert_cmpuint (second->counters.recorded, ==, 0);
  g_assert_null (ptl_window_get_record_file (window));
  g_assert_cmpuint (count_files (folder), ==, 1);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "not recorded"));

  gtk_window_destroy (GTK_WINDOW (window));
  remove_tree (tmp);
}

/* A recordings folder under a plain file cannot be made: the run goes on and
 * reconstructs everything, and the status bar says what was not recorded and why. */
static void
test_folder_cannot_be_made (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *blocker = g_build_filename (tmp, "a-file", NULL);
  g_autofree char *folder = g_build_filename (blocker, "recordings", NULL);

  g_assert_true (g_file_set_contents (blocker, "not a folder", -1, NULL));
  PtlWindow *window = new_window (folder);
  g_test_expect_message ("Ptl-Window", G_LOG_LEVEL_WARNING,
                         "Not recording: Cannot make the recordings folder*");
  g_autoptr (PtlSnapshot) run = run_on_detector (window);
  g_test_assert_expected_messages ();
  g_assert_cmpint (run->state, ==, PTL_PIPELINE_FINISHED);
  g_assert_cmpuint (run->counters.reconstructed, ==, N_FRAMES);
  g_assert_null (ptl_window_get_record_file (window));

  GtkWidget *bar = GTK_WIDGET (ptl_window_get_status_bar (window));
  const char *message = ptl_status_bar_get_message (PTL_STATUS_BAR (bar));
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "Not recording"));
  g_assert_nonnull (strstr (message, folder));

  gtk_window_destroy (GTK_WINDOW (window));
  remove_tree (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipped\n");
      return 77;
    }
  g_test_add_func ("/window-record/toggle", test_record_toggle);
  g_test_add_func ("/window-record/folder-cannot-be-made", test_folder_cannot_be_made);
  return g_test_run ();
}
