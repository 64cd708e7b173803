/* The shortcuts window on a real display: attached as a window's help overlay, it lists
 * exactly the application's shortcuts (Ctrl+O open, Ctrl+N connect, Ctrl+E export, Ctrl+S
 * save, Space start/stop, Ctrl+R restart, Ctrl+0 reset zoom, Ctrl+? and F1 shortcuts,
 * Ctrl+Q quit), each accelerator parsed back to its key and modifiers. Needs a display:
 * skips without one. */
#include "config.h"

#include <gtk/gtk.h>

#include "gui/ptl-shortcuts.h"

typedef struct
{
  const char     *title;
  guint           keyval;
  GdkModifierType modifiers;
  guint           keyval2; /* a second accelerator, or 0 */
} ExpectedShortcut;

static const ExpectedShortcut expected[] = {
  { "Connect to a detector", GDK_KEY_n, GDK_CONTROL_MASK, 0 },
  { "Open a recording", GDK_KEY_o, GDK_CONTROL_MASK, 0 },
  { "Start or stop the reconstruction", GDK_KEY_space, 0, 0 },
  { "Restart from the recording", GDK_KEY_r, GDK_CONTROL_MASK, 0 },
  { "Export the images", GDK_KEY_e, GDK_CONTROL_MASK, 0 },
  { "Save the result", GDK_KEY_s, GDK_CONTROL_MASK, 0 },
  { "Reset the zoom", GDK_KEY_0, GDK_CONTROL_MASK, 0 },
  { "Keyboard shortcuts", GDK_KEY_question, GDK_CONTROL_MASK, GDK_KEY_F1 },
  { "Quit", GDK_KEY_q, GDK_CONTROL_MASK, 0 },
};

/* The shortcuts of the window's sections; its search page holds copies, left out here. */
static void
collect_shortcuts (GtkWidget *widget,
                   gboolean   in_section,
                   GPtrArray *found)
{
  in_section = in_section || GTK_IS_SHORTCUTS_SECTION (widget);
  if (in_section && GTK_IS_SHORTCUTS_SHORTCUT (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shortcuts (child, in_section, found);
}

static void
assert_accelerator (const char           *accelerator,
                    const ExpectedShortcut *want)
{
  g_auto (GStrv) parts = g_strsplit (accelerator, " ", -1);
  guint keyval = 0;
  GdkModifierType modifiers = 0;

  g_assert_cmpuint (g_strv_length (parts), ==, want->keyval2 != 0 ? 2 : 1);
  g_assert_true (gtk_accelerator_parse (parts[0], &keyval, &modifiers));
  g_assert_cmpuint (keyval, ==, want->keyval);
  g_assert_cmpuint (modifiers, ==, want->modifiers);
  if (want->keyval2 != 0)
    {
      g_assert_true (gtk_accelerator_parse (parts[1], &keyval, &modifiers));
      g_assert_cmpuint (keyval, ==, want->keyval2);
      g_assert_cmpuint (modifiers, ==, 0);
    }
}

static void
test_listed (void)
{
  GtkWidget *window = g_object_new (GTK_TYPE_APPLICATION_WINDOW, NULL);
  GtkShortcutsWindow *overlay;
  g_autoptr (GPtrArray) found = g_ptr_array_new ();
  gboolean seen[G_N_ELEMENTS (expected)] = { FALSE };

  ptl_shortcuts_attach (GTK_APPLICATION_WINDOW (window));
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));

  collect_shortcuts (GTK_WIDGET (overlay), FALSE, found);
  g_assert_cmpuint (found->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *title = NULL;
      g_autofree char *accelerator = NULL;
      guint match = G_N_ELEMENTS (expected);

      g_object_get (found->pdata[i], "title", &title, "accelerator", &accelerator, NULL);
      for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
        if (g_strcmp0 (title, expected[k].title) == 0)
          match = k;
      if (match == G_N_ELEMENTS (expected))
        g_error ("Unexpected shortcut “%s” (%s)", title, accelerator);
      g_assert_false (seen[match]);
      seen[match] = TRUE;
      assert_accelerator (accelerator, &expected[match]);
    }

  /* GTK's action shows it. */
  gtk_window_present (GTK_WINDOW (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-help-overlay", NULL);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (overlay)) == GTK_WINDOW (window));

  gtk_window_destroy (GTK_WINDOW (window));
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

  g_test_add_func ("/shortcuts/listed", test_listed);
  return g_test_run ();
}
