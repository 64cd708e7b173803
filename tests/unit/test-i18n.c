/* Translations: ptl_i18n_init binds the application's domain, and with LANGUAGE=de the
 * German catalogue compiled into the build folder (PTL_LOCALEDIR) translates the strings
 * of the About dialog and the shortcuts window. The expected German is written out here,
 * so a catalogue that is not found, not compiled or not bound fails. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "gui/ptl-i18n.h"

static void
test_binding (void)
{
  const char *build_locale_dir = g_getenv ("PTL_LOCALEDIR");

  g_assert_nonnull (build_locale_dir);
  ptl_i18n_init ();
  g_assert_cmpstr (textdomain (NULL), ==, GETTEXT_PACKAGE);
  g_assert_cmpstr (bindtextdomain (GETTEXT_PACKAGE, NULL), ==, build_locale_dir);
  g_assert_cmpstr (bind_textdomain_codeset (GETTEXT_PACKAGE, NULL), ==, "UTF-8");
}

static void
test_installed_location (void)
{
  g_autofree char *build_locale_dir = g_strdup (g_getenv ("PTL_LOCALEDIR"));

  /* Without the override the catalogues are looked for where they are installed. */
  g_unsetenv ("PTL_LOCALEDIR");
  ptl_i18n_init ();
  g_assert_cmpstr (bindtextdomain (GETTEXT_PACKAGE, NULL), ==, LOCALEDIR);

  g_setenv ("PTL_LOCALEDIR", build_locale_dir, TRUE);
  ptl_i18n_init ();
  g_assert_cmpstr (bindtextdomain (GETTEXT_PACKAGE, NULL), ==, build_locale_dir);
}

static void
test_german (void)
{
  g_autofree char *cuda = NULL;

  ptl_i18n_init ();
  /* _() goes through the default domain, which ptl_i18n_init sets. */
  g_assert_cmpstr (_("Live ptychographic reconstruction at the beamline"), ==,
                   "Live-Rekonstruktion ptychographischer Bilder an der Beamline");
  g_assert_cmpstr (_("Compute backends"), ==, "Rechen-Backends");
  g_assert_cmpstr (C_("shortcut window", "Quit"), ==, "Beenden");
  g_assert_cmpstr (C_("shortcut window", "Start or stop the reconstruction"), ==,
                   "Rekonstruktion starten oder anhalten");
  /* GtkBuilder looks up the shortcuts window's strings in this domain, with their context. */
  g_assert_cmpstr (g_dpgettext2 (GETTEXT_PACKAGE, "shortcut window", "Keyboard shortcuts"), ==,
                   "Tastenkürzel");

  cuda = g_strdup_printf (_("CUDA: not available (%s)"), "no device");
  g_assert_cmpstr (cuda, ==, "CUDA: nicht verfügbar (no device)");

  /* A string the catalogue does not hold comes back as it is. */
  g_assert_cmpstr (_("No such message in PtychoLive"), ==, "No such message in PtychoLive");
}

int
main (int    argc,
      char **argv)
{
  /* GNU gettext ignores LANGUAGE in the C locale: the test's environment sets
   * LC_ALL=C.UTF-8, which every glibc system has, and LANGUAGE=de. */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/i18n/binding", test_binding);
  g_test_add_func ("/i18n/installed-location", test_installed_location);
  g_test_add_func ("/i18n/german", test_german);
  return g_test_run ();
}
