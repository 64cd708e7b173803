/* The GUI benchmark. A 10 ms timer on the main loop measures how late it fires: that
 * lateness is the stall a user feels (input and drawing wait as long). It is measured
 * first with the window idle (the baseline), then during a simulated live scan at the
 * detector's rate with the reconstruction using every core. The refresh rate is how many
 * new results the views took per second, against how many the pipeline offered. */
#include "config.h"

#include "gui/ptl-bench-gui.h"

#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>

#include "gui/ptl-window.h"

#define TICK_MS 10

typedef struct
{
  GArray  *lateness_ms; /* double */
  gint64   last_us;
  gint64   end_us;
  guint64  offered;     /* snapshots the pipeline signalled */
  gboolean done;
} Measure;

static gboolean
on_tick (gpointer user_data)
{
  Measure *m = user_data;
  gint64 now = g_get_monotonic_time ();

  if (m->last_us != 0)
    {
      double late = (now - m->last_us) / 1000.0 - TICK_MS;
      g_array_append_val (m->lateness_ms, late);
    }
  m->last_us = now;
  if (now >= m->end_us)
    {
      m->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  if (values->len == 0)
    return NAN;
  g_array_sort (values, compare_doubles);
  gsize i = (gsize) ceil (p / 100.0 * values->len) - 1;
  return MAX (g_array_index (values, double, MIN (i, values->len - 1)), 0.0);
}

/* Runs the main loop for `seconds`, timing the tick. */
static void
measure (Measure *m,
         double   seconds)
{
  g_array_set_size (m->lateness_ms, 0);
  m->last_us = 0;
  m->done = FALSE;
  m->end_us = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  g_timeout_add (TICK_MS, on_tick, m);
  while (!m->done)
    g_main_context_iteration (NULL, TRUE);
}

static char *
machine_name (void)
{
  g_autofree char *cpuinfo = NULL;

  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    {
      char *line = strstr (cpuinfo, "model name");
      char *colon = line ? strchr (line, ':') : NULL;

      if (colon != NULL)
        {
          char *end = strchr (colon, '\n');
          g_autofree char *name = g_strndup (colon + 1, end ? (gsize) (end - colon - 1) : strlen (colon + 1));
          return g_strdup_printf ("%s (%u cores)", g_strstrip (name), g_get_num_processors ());
        }
    }
  return g_strdup ("unknown");
}

static void
print_row (const char *case_text,
           const char *metric,
           double      value,
           const char *unit,
           const char *backend,
           const char *machine,
           const char *baseline,
           double      baseline_value)
{
  g_autoptr (GString) line = g_string_new ("{");
  g_autofree char *case_json = g_strescape (case_text, NULL);
  g_autofree char *backend_json = g_strescape (backend, NULL);
  g_autofree char *machine_json = g_strescape (machine, NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (line, "\"bench\": \"gui\", \"case\": \"%s\", \"metric\": \"%s\", ",
                          case_json, metric);
  g_string_append_printf (line, "\"value\": %s, \"unit\": \"%s\", ",
                          g_ascii_formatd (number, sizeof number, "%.4g", value), unit);
  g_string_append_printf (line, "\"backend\": \"%s\", \"threads\": %u, \"machine\": \"%s\"",
                          backend_json, g_get_num_processors (), machine_json);
  if (baseline != NULL)
    {
      g_autofree char *baseline_json = g_strescape (baseline, NULL);
      g_string_append_printf (line, ", \"baseline\": \"%s\", \"baseline_value\": %s",
                              baseline_json,
                              g_ascii_formatd (number, sizeof number, "%.4g", baseline_value));
      g_string_append_printf (line, ", \"ratio\": %s",
                              g_ascii_formatd (number, sizeof number, "%.4g",
                                               baseline_value != 0 ? value / baseline_value : NAN));
    }
  g_string_append (line, "}");
  g_print ("%s\n", line->str);
}

static void
on_snapshot (gpointer pipeline,
             Measure *m)
{
  m->offered++;
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *path)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr (GdkTexture) texture =
    gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_printerr ("ptycholive-bench gui: could not write %s\n", path);
}

static gboolean
engine_started (PtlWindow *window)
{
  g_autoptr (PtlSnapshot) s = ptl_window_get_pipeline (window)
                                ? ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window))
                                : NULL;
  return s != NULL && s->n_errors > 0;
}

int
ptl_bench_gui (int    argc,
               char **argv)
{
  double seconds = 15.0, rate = 25.0, idle_seconds = 3.0;
  int frames = 0;
  char *screenshot = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Seconds measured during the scan", "S" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Frames/s of the simulated detector", "R" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames of the scan (0: enough to last)", "N" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot,
      "Save the window as PNG at the end of the measurement", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— the window under a live scan");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || seconds <= 0 || rate <= 0
      || frames < 0)
    {
      g_printerr ("ptycholive-bench gui: %s\n",
                  error ? error->message : "--seconds and --rate must be positive");
      g_free (screenshot);
      return 2;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("ptycholive-bench gui: no display (run it under xvfb-run)\n");
      g_free (screenshot);
      return 77;
    }
  if (frames == 0)
    frames = (int) ceil (rate * (seconds + 30.0));

  Measure m = { g_array_new (FALSE, FALSE, sizeof (double)) };
  g_autofree char *machine = machine_name ();
  PtlWindow *window = ptl_window_new (NULL, NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  measure (&m, idle_seconds);
  double idle_p95 = percentile (m.lateness_ms, 95.0);

  if (!ptl_window_start_simulation (window, (guint) frames, rate, &error))
    {
      g_printerr ("ptycholive-bench gui: %s\n", error->message);
      gtk_window_destroy (GTK_WINDOW (window));
      g_array_unref (m.lateness_ms);
      g_free (screenshot);
      return EXIT_FAILURE;
    }
  g_signal_connect (ptl_window_get_pipeline (window), "snapshot", G_CALLBACK (on_snapshot), &m);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!engine_started (window) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  guint64 updates_before = ptl_window_get_view_updates (window);
  m.offered = 0;
  gint64 start = g_get_monotonic_time ();
  measure (&m, seconds);
  double elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  double refresh = (ptl_window_get_view_updates (window) - updates_before) / elapsed;
  double offered = m.offered / elapsed;
  double live_p95 = percentile (m.lateness_ms, 95.0);
  double live_max = percentile (m.lateness_ms, 100.0);

  g_autoptr (PtlSnapshot) s = ptl_pipeline_get_snapshot (ptl_window_get_pipeline (window));
  const char *backend = s != NULL && s->backend != NULL && g_str_has_prefix (s->backend, "CUDA")
                          ? "cuda" : "cpu";
  g_autofree char *what = g_strdup_printf (
    "window on a simulated live scan at %g frames/s (raw %u px frames), engine flat out; "
    "%s; %s GL", rate, s && s->raw_frame ? (guint) ptl_array_cols (s->raw_frame) : 0,
    s && s->backend ? s->backend : "?",
    ptl_image_view_get_uses_gl (ptl_window_get_view (window, PTL_WINDOW_VIEW_OBJECT)) ? "with"
                                                                                       : "without");

  if (screenshot != NULL)
    save_screenshot (GTK_WIDGET (window), screenshot);
  print_row (what, "main_loop_stall_p95_ms", live_p95, "ms", backend, machine,
             "the same window idle", idle_p95);
  print_row (what, "main_loop_stall_max_ms", live_max, "ms", backend, machine, NULL, 0);
  print_row (what, "view_refresh_hz", refresh, "Hz", backend, machine,
             "snapshots the pipeline offered", offered);

  ptl_window_stop (window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (m.lateness_ms);
  g_free (screenshot);
  return EXIT_SUCCESS;
}
