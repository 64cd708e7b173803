/* The About dialog on a real display: its version, licence and icon, and the versions and
 * backends it reports, each compared with what the libraries and the backend interface
 * say when asked directly. Needs a display: skips without one. */
#include "config.h"

#include <fftw3.h>
#include <gtk/gtk.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "gui/ptl-about.h"
#include "recon/ptl-backend.h"
#include "ptl-resources.h"

#define RESOURCE_ICONS "/io/github/ptycholive/PtychoLive/icons"

/* The About dialogs among the toplevels (the test opens no other). */
static GList *
about_dialogs (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* GTK's own list */
  GList *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_ABOUT_DIALOG (window))
        found = g_list_prepend (found, window);
    }
  return found;
}

static GtkAboutDialog *
the_about_dialog (void)
{
  GList *dialogs = about_dialogs ();
  GtkAboutDialog *dialog;

  g_assert_cmpuint (g_list_length (dialogs), ==, 1);
  dialog = dialogs->data;
  g_list_free (dialogs);
  return dialog;
}

/* The backends are looked up in a worker thread: wait until the dialog has them. */
static const char *
wait_for_backends (GtkAboutDialog *dialog)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  while (strstr (gtk_about_dialog_get_system_information (dialog), "Looking for") != NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return gtk_about_dialog_get_system_information (dialog);
}

static void
assert_has_line (const char *text,
                 const char *line)
{
  g_autofree char *wanted = g_strdup_printf ("\n  %s\n", line);

  if (strstr (text, wanted) == NULL)
    g_error ("The system information lacks the line “%s”:\n%s", line, text);
}

static void
assert_has_prefix_line (const char *text,
                        const char *prefix)
{
  g_autofree char *wanted = g_strdup_printf ("\n  %s", prefix);

  if (strstr (text, wanted) == NULL)
    g_error ("The system information has no line starting with “%s”:\n%s", prefix, text);
}

static void
test_content (void)
{
  GtkWidget *parent = gtk_window_new ();
  GtkAboutDialog *dialog;
  const char *info;
  const char *backends;
  unsigned h5_major, h5_minor, h5_release;
  int zmq_major, zmq_minor, zmq_patch;
  g_autofree char *gtk_line = NULL;
  g_autofree char *glib_line = NULL;
  g_autofree char *hdf5_line = NULL;
  g_autofree char *zmq_line = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlBackend) cpu = NULL;
  guint n_backend_lines = 0;

  gtk_window_present (GTK_WINDOW (parent));
  ptl_show_about (GTK_WINDOW (parent));
  dialog = the_about_dialog ();

  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (parent));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_cmpstr (gtk_about_dialog_get_program_name (dialog), ==, "PtychoLive");
  g_assert_cmpstr (gtk_about_dialog_get_version (dialog), ==, PACKAGE_VERSION);
  g_assert_cmpint (gtk_about_dialog_get_license_type (dialog), ==, GTK_LICENSE_GPL_3_0);
  g_assert_true (g_str_has_prefix (gtk_about_dialog_get_website (dialog), "https://"));
  g_assert_cmpstr (gtk_about_dialog_get_logo_icon_name (dialog), ==, APP_ID);

  info = wait_for_backends (dialog);
  g_test_message ("System information:\n%s", info);

  /* Every version as the library reports it at run time. */
  gtk_line = g_strdup_printf ("GTK %u.%u.%u", gtk_get_major_version (), gtk_get_minor_version (),
                              gtk_get_micro_version ());
  glib_line = g_strdup_printf ("GLib %u.%u.%u", glib_major_version, glib_minor_version,
                               glib_micro_version);
  H5get_libversion (&h5_major, &h5_minor, &h5_release);
  hdf5_line = g_strdup_printf ("HDF5 %u.%u.%u", h5_major, h5_minor, h5_release);
  zmq_version (&zmq_major, &zmq_minor, &zmq_patch);
  zmq_line = g_strdup_printf ("ZeroMQ %d.%d.%d", zmq_major, zmq_minor, zmq_patch);
  assert_has_prefix_line (info, gtk_line);
  assert_has_prefix_line (info, glib_line);
  assert_has_prefix_line (info, hdf5_line);
  assert_has_prefix_line (info, zmq_line);
  assert_has_line (info, fftwf_version);

  /* The backends, as the backend interface describes them when opened the same way. */
  backends = strstr (info, "\nCompute backends\n");
  g_assert_nonnull (backends);
  cpu = ptl_backend_new (PTL_BACKEND_CPU, 0, 0, &error);
  g_assert_no_error (error);
  assert_has_line (backends, ptl_backend_description (cpu));
#if HAVE_CUDA_MODULE
  {
    g_autoptr (GError) cuda_error = NULL;
    g_autoptr (PtlBackend) cuda = ptl_backend_new (PTL_BACKEND_CUDA, 0, 1, &cuda_error);

    if (cuda != NULL)
      assert_has_line (backends, ptl_backend_description (cuda));
    else
      {
        g_autofree char *line = g_strdup_printf ("CUDA: not available (%s)", cuda_error->message);
        assert_has_line (backends, line);
      }
  }
#else
  assert_has_line (backends, "CUDA: not part of this build");
#endif
  for (const char *p = strchr (backends + 1, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    if (g_str_has_prefix (p + 1, "  "))
      n_backend_lines++;
  g_assert_cmpuint (n_backend_lines, >=, 2);

  gtk_window_destroy (GTK_WINDOW (parent));
}

static void
test_one_per_parent (void)
{
  GtkWidget *parent = gtk_window_new ();
  GtkAboutDialog *dialog;
  GList *dialogs;

  gtk_window_present (GTK_WINDOW (parent));
  ptl_show_about (GTK_WINDOW (parent));
  dialog = the_about_dialog ();
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);

  /* Asked again, the parent's dialog comes back rather than a second one. */
  ptl_show_about (GTK_WINDOW (parent));
  g_assert_true (the_about_dialog () == dialog);

  /* Closing hides it; the next call shows the same dialog again. */
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_nonnull (dialog);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  ptl_show_about (GTK_WINDOW (parent));
  g_assert_true (the_about_dialog () == dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  wait_for_backends (dialog);

  /* It goes with its parent. */
  gtk_window_destroy (GTK_WINDOW (parent));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (dialog);
  dialogs = about_dialogs ();
  g_assert_null (dialogs);
}

static void
test_without_parent (void)
{
  GtkAboutDialog *dialog;
  gint64 deadline;

  ptl_show_about (NULL);
  dialog = the_about_dialog ();
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_assert_null (gtk_window_get_transient_for (GTK_WINDOW (dialog)));

  /* Closed at once, before the backends are found: the dialog leaves the screen, and the
   * search's answer, when it comes, is dropped along with the last reference. */
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_null (about_dialogs ());
  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (dialog != NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_icon (void)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  g_autoptr (GBytes) svg = NULL;
  g_autoptr (GError) error = NULL;

  /* GtkApplication adds this resource path by itself; without one the test adds it. */
  svg = g_resource_lookup_data (ptl_get_resource (), RESOURCE_ICONS "/scalable/apps/" APP_ID ".svg",
                                G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (svg), >, 0);
  gtk_icon_theme_add_resource_path (theme, RESOURCE_ICONS);
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID));
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID "-symbolic"));
}

int
main (int    argc,
      char **argv)
{
  if (!gtk_init_check ())
    {
      /* Under the TAP protocol a skip is a plan of no tests, and exit status 0. */
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/about/content", test_content);
  g_test_add_func ("/about/one-per-parent", test_one_per_parent);
  g_test_add_func ("/about/without-parent", test_without_parent);
  g_test_add_func ("/about/icon", test_icon);
  return g_test_run ();
}
