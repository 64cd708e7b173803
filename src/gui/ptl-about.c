/* The About dialog (see ptl-about.h). */
#include "config.h"

#include "gui/ptl-about.h"

#include <fftw3.h>
#include <glib/gi18n.h>
#include <hdf5.h>
#include <zmq.h>

#include "recon/ptl-backend.h"

#define ABOUT_DIALOG_KEY "ptl-about-dialog"

/* More GPUs than a workstation holds; the search stops at the first missing one anyway. */
#define MAX_CUDA_DEVICES 16

static void
append_version (GString    *text,
                const char *library,
                const char *running,
                const char *built)
{
  g_string_append (text, "  ");
  if (g_strcmp0 (running, built) == 0)
    g_string_append_printf (text, "%s %s", library, running);
  else
    /* Translators: a library, the version in use, and the one PtychoLive was built with. */
    g_string_append_printf (text, _("%s %s (built against %s)"), library, running, built);
  g_string_append_c (text, '\n');
}

static char *
describe_libraries (void)
{
  GString *text = g_string_new (NULL);
  unsigned h5_major = 0, h5_minor = 0, h5_release = 0;
  int zmq_major = 0, zmq_minor = 0, zmq_patch = 0;
  /* Each pair: the version in use, then the one this program was compiled against. */
  g_autofree char *gtk_running = g_strdup_printf ("%u.%u.%u", gtk_get_major_version (),
                                                  gtk_get_minor_version (),
                                                  gtk_get_micro_version ());
  g_autofree char *gtk_built = g_strdup_printf ("%d.%d.%d", GTK_MAJOR_VERSION, GTK_MINOR_VERSION,
                                                GTK_MICRO_VERSION);
  g_autofree char *glib_running = g_strdup_printf ("%u.%u.%u", glib_major_version,
                                                   glib_minor_version, glib_micro_version);
  g_autofree char *glib_built = g_strdup_printf ("%d.%d.%d", GLIB_MAJOR_VERSION,
                                                 GLIB_MINOR_VERSION, GLIB_MICRO_VERSION);
  g_autofree char *h5_running = NULL;
  g_autofree char *h5_built = g_strdup_printf ("%d.%d.%d", H5_VERS_MAJOR, H5_VERS_MINOR,
                                               H5_VERS_RELEASE);
  g_autofree char *zmq_running = NULL;
  g_autofree char *zmq_built = g_strdup_printf ("%d.%d.%d", ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR,
                                                ZMQ_VERSION_PATCH);

  H5get_libversion (&h5_major, &h5_minor, &h5_release);
  h5_running = g_strdup_printf ("%u.%u.%u", h5_major, h5_minor, h5_release);
  zmq_version (&zmq_major, &zmq_minor, &zmq_patch);
  zmq_running = g_strdup_printf ("%d.%d.%d", zmq_major, zmq_minor, zmq_patch);

  g_string_append_printf (text, "%s\n", _("Libraries"));
  append_version (text, "GTK", gtk_running, gtk_built);
  append_version (text, "GLib", glib_running, glib_built);
  append_version (text, "HDF5", h5_running, h5_built);
  append_version (text, "ZeroMQ", zmq_running, zmq_built);
  /* FFTW names itself, its version and the SIMD it was built for ("fftw-3.3.10-sse2-avx"). */
  g_string_append_printf (text, "  %s\n", fftwf_version);
  return g_string_free (text, FALSE);
}

static void
set_system_information (GtkAboutDialog *dialog,
                        const char     *backends)
{
  g_autofree char *libraries = describe_libraries ();
  g_autofree char *text = g_strdup_printf ("%s\n%s\n%s", libraries, _("Compute backends"),
                                           backends);

  gtk_about_dialog_set_system_information (dialog, text);
}

/* Runs in a worker thread: each backend is opened as the reconstruction would open it, so
 * the dialog reports what a run would get, GPU model included. */
static void
find_backends (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GString *text = g_string_new (NULL);
  g_autoptr (GError) cpu_error = NULL;
  g_autoptr (PtlBackend) cpu = ptl_backend_new (PTL_BACKEND_CPU, 0, 0, &cpu_error);

  if (cpu != NULL)
    g_string_append_printf (text, "  %s\n", ptl_backend_description (cpu));
  else
    g_string_append_printf (text, "  %s\n", cpu_error->message);

#if HAVE_CUDA_MODULE
  for (int device = 0; device < MAX_CUDA_DEVICES; device++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (PtlBackend) cuda = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      cuda = ptl_backend_new (PTL_BACKEND_CUDA, device, 1, &error);
      if (cuda == NULL)
        {
          /* Past the last device; when there is none at all, say why. */
          if (device == 0)
            {
              g_string_append (text, "  ");
              /* Translators: %s is the reason, e.g. "No CUDA device answers: …". */
              g_string_append_printf (text, _("CUDA: not available (%s)"), error->message);
              g_string_append_c (text, '\n');
            }
          break;
        }
      g_string_append_printf (text, "  %s\n", ptl_backend_description (cuda));
    }
#else
  g_string_append_printf (text, "  %s\n", _("CUDA: not part of this build"));
#endif

  g_task_return_pointer (task, g_string_free (text, FALSE), g_free);
}

static void
backends_found (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autofree char *backends = g_task_propagate_pointer (G_TASK (result), NULL);

  /* NULL: the dialog was destroyed first, which cancelled the search. */
  if (backends != NULL)
    set_system_information (GTK_ABOUT_DIALOG (source_object), backends);
}

static void
cancel_search (GtkWidget    *dialog,
               GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
release_cancellable (gpointer  cancellable,
                     GClosure *closure)
{
  g_object_unref (cancellable);
}

static GtkWindow *
new_about_dialog (GtkWindow *parent)
{
  static const char *authors[] = { "The PtychoLive developers", NULL };
  GtkAboutDialog *dialog = GTK_ABOUT_DIALOG (gtk_about_dialog_new ());
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GTask) task = NULL;
  g_autofree char *searching = g_strdup_printf ("  %s\n", _("Looking for compute backends…"));

  gtk_window_set_transient_for (GTK_WINDOW (dialog), parent);
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  /* A parent keeps its dialog (see ptl_show_about); without one, closing frees it. */
  gtk_window_set_hide_on_close (GTK_WINDOW (dialog), parent != NULL);

  gtk_about_dialog_set_program_name (dialog, "PtychoLive");
  gtk_about_dialog_set_logo_icon_name (dialog, APP_ID);
  gtk_about_dialog_set_version (dialog, PACKAGE_VERSION);
  gtk_about_dialog_set_comments (dialog, _("Live ptychographic reconstruction at the beamline"));
  gtk_about_dialog_set_website (dialog, PACKAGE_WEBSITE);
  gtk_about_dialog_set_website_label (dialog, _("Website"));
  gtk_about_dialog_set_copyright (dialog, _("© 2026 The PtychoLive developers"));
  gtk_about_dialog_set_license_type (dialog, GTK_LICENSE_GPL_3_0);
  gtk_about_dialog_set_authors (dialog, authors);
  /* Translators: your names, one per line; GTK hides the credit while it is untranslated. */
  gtk_about_dialog_set_translator_credits (dialog, _("translator-credits"));
  set_system_information (dialog, searching);

  g_signal_connect_data (dialog, "destroy", G_CALLBACK (cancel_search),
                         g_object_ref (cancellable), release_cancellable, 0);
  task = g_task_new (dialog, cancellable, backends_found, NULL);
  g_task_set_source_tag (task, new_about_dialog);
  g_task_run_in_thread (task, find_backends);
  return GTK_WINDOW (dialog);
}

void
ptl_show_about (GtkWindow *parent)
{
  GtkWindow *dialog = NULL;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (parent != NULL)
    dialog = g_object_get_data (G_OBJECT (parent), ABOUT_DIALOG_KEY);
  if (dialog == NULL)
    {
      dialog = new_about_dialog (parent);
      if (parent != NULL)
        g_object_set_data_full (G_OBJECT (parent), ABOUT_DIALOG_KEY, dialog,
                                (GDestroyNotify) gtk_window_destroy);
    }
  gtk_window_present (dialog);
}
