/* The application: settings, actions, accelerators and the main window. */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-App"

#include "gui/ptl-application.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "gui/ptl-about.h"
#include "gui/ptl-shortcuts.h"
#include "gui/ptl-window.h"

/* The scan the window opens on: a raw sCMOS stream at the I08-1 camera's rate. */
#define START_SIM_FRAMES 400
#define START_SIM_RATE   25.0

struct _PtlApplication
{
  GtkApplication parent_instance;

  GSettings *settings;
  gboolean   simulate_on_start;
  guint      signal_sources[2];
};

G_DEFINE_FINAL_TYPE (PtlApplication, ptl_application, GTK_TYPE_APPLICATION)

/* GSettings aborts on a schema it cannot find: look first, and go without settings when
 * neither the installation nor GSETTINGS_SCHEMA_DIR has ours. */
static GSettings *
settings_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_info ("Settings schema %s not installed: settings are not kept", APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ptl_show_about (gtk_application_get_active_window (GTK_APPLICATION (user_data)));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GtkApplication *application = user_data;
  GList *windows;

  /* Destroying the windows stops their runs and joins every thread before the loop ends. */
  while ((windows = gtk_application_get_windows (application)) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));
  g_application_quit (G_APPLICATION (application));
}

/* Ctrl+C in the terminal or a TERM from the session ends the run as the Quit action does:
 * the recording is closed valid and every thread joined. */
static gboolean
on_unix_signal (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
ptl_application_shutdown (GApplication *application)
{
  PtlApplication *self = PTL_APPLICATION (application);

  for (guint i = 0; i < G_N_ELEMENTS (self->signal_sources); i++)
    g_clear_handle_id (&self->signal_sources[i], g_source_remove);
  G_APPLICATION_CLASS (ptl_application_parent_class)->shutdown (application);
}

static void
ptl_application_startup (GApplication *application)
{
  PtlApplication *self = PTL_APPLICATION (application);
  static const GActionEntry actions[] = {
    { "about", about_action, NULL, NULL, NULL, { 0 } },
    { "quit", quit_action, NULL, NULL, NULL, { 0 } },
  };
  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Primary>q", NULL } },
    { "win.connect", { "<Primary>n", NULL } },
    { "win.open", { "<Primary>o", NULL } },
    { "win.toggle-run", { "space", NULL } },
    { "win.restart", { "<Primary>r", NULL } },
    { "win.export-images", { "<Primary>e", NULL } },
    { "win.save-result", { "<Primary>s", NULL } },
    { "win.reset-zoom", { "<Primary>0", NULL } },
    { "win.show-help-overlay", { "<Primary>question", "F1", NULL } },
  };

  G_APPLICATION_CLASS (ptl_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   application);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), accels[i].action,
                                           accels[i].accels);
  gtk_window_set_default_icon_name (APP_ID);
  self->signal_sources[0] = g_unix_signal_add (SIGINT, on_unix_signal, application);
  self->signal_sources[1] = g_unix_signal_add (SIGTERM, on_unix_signal, application);
}

static void
ptl_application_activate (GApplication *application)
{
  PtlApplication *self = PTL_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    {
      PtlWindow *main_window = ptl_window_new (GTK_APPLICATION (application), self->settings);
      g_autoptr (GError) error = NULL;

      ptl_shortcuts_attach (GTK_APPLICATION_WINDOW (main_window));
      window = GTK_WINDOW (main_window);
      if (self->simulate_on_start
          && !ptl_window_start_simulation (main_window, START_SIM_FRAMES, START_SIM_RATE, &error))
        {
          g_warning ("Could not start the simulated scan: %s", error->message);
          ptl_status_bar_set_message (ptl_window_get_status_bar (main_window), error->message);
        }
    }
  gtk_window_present (window);
}

static void
ptl_application_finalize (GObject *object)
{
  PtlApplication *self = PTL_APPLICATION (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ptl_application_parent_class)->finalize (object);
}

static void
ptl_application_class_init (PtlApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ptl_application_finalize;
  app_class->startup = ptl_application_startup;
  app_class->activate = ptl_application_activate;
  app_class->shutdown = ptl_application_shutdown;
}

static void
ptl_application_init (PtlApplication *self)
{
  self->simulate_on_start = TRUE;
  self->settings = settings_if_installed ();
}

PtlApplication *
ptl_application_new (void)
{
  /* Each process runs its own scan: a second `ptycholive` opens its own window rather
   * than handing over to the first. */
  return g_object_new (PTL_TYPE_APPLICATION, "application-id", APP_ID, "flags",
                       G_APPLICATION_NON_UNIQUE, "resource-base-path",
                       "/io/github/ptycholive/PtychoLive", NULL);
}

void
ptl_application_set_simulate_on_start (PtlApplication *application,
                                       gboolean        simulate)
{
  g_return_if_fail (PTL_IS_APPLICATION (application));
  application->simulate_on_start = simulate;
}

GSettings *
ptl_application_get_settings (PtlApplication *application)
{
  g_return_val_if_fail (PTL_IS_APPLICATION (application), NULL);
  return application->settings;
}
