/* The status bar: one line of counters, the state on the left, a message on the right. */
#include "config.h"

#include "gui/ptl-status-bar.h"

#include <glib/gi18n.h>
#include <string.h>

struct _PtlStatusBar
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkLabel  *state_label;
  GtkLabel  *counters_label;
  GtkLabel  *message_label;
};

G_DEFINE_FINAL_TYPE (PtlStatusBar, ptl_status_bar, GTK_TYPE_WIDGET)

/* 4311 → "4,311": counters are read at a glance. */
static char *
format_count (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

void
ptl_status_bar_update (PtlStatusBar      *bar,
                       const PtlSnapshot *s)
{
  g_return_if_fail (PTL_IS_STATUS_BAR (bar));

  if (s == NULL)
    {
      gtk_label_set_label (bar->state_label, _("idle"));
      gtk_label_set_label (bar->counters_label, "");
      return;
    }

  const PtlPipelineCounters *c = &s->counters;
  g_autofree char *received = format_count (c->received);
  g_autofree char *paired = format_count (c->paired);
  g_autofree char *recorded = format_count (c->recorded);
  g_autofree char *reconstructed = format_count (c->reconstructed);
  g_autofree char *skipped = format_count (c->skipped);
  g_autofree char *iteration = format_count (c->iteration);
  /* Counts go in as text: a format macro inside _() would hide the string from xgettext. */
  g_autofree char *lag = g_strdup_printf ("%" G_GINT64_FORMAT, c->position_lag_frames);
  double latency = s->timings.receive_to_preprocessed.median_ms
                   + s->timings.preprocessed_to_reconstructed.median_ms;
  g_autofree char *text =
    g_strdup_printf (_("received %s · paired %s · recorded %s · reconstructed %s · "
                       "skipped %s · %.1f frames/s · lag %s fr (%.0f ms) · "
                       "latency %.0f ms · iteration %s · error %.4g"),
                     received, paired, recorded, reconstructed, skipped, c->frames_per_second,
                     lag, c->position_lag_ms, latency, iteration, c->error);

  gtk_label_set_label (bar->state_label, ptl_pipeline_state_to_string (s->state));
  gtk_label_set_label (bar->counters_label, text);
  if (s->state == PTL_PIPELINE_FAILED && s->message != NULL)
    ptl_status_bar_set_message (bar, s->message);
  else if (s->record_message != NULL)
    ptl_status_bar_set_message (bar, s->record_message);
}

void
ptl_status_bar_set_message (PtlStatusBar *bar,
                            const char   *message)
{
  g_return_if_fail (PTL_IS_STATUS_BAR (bar));
  gtk_label_set_label (bar->message_label, message != NULL ? message : "");
}

const char *
ptl_status_bar_get_counters_text (PtlStatusBar *bar)
{
  g_return_val_if_fail (PTL_IS_STATUS_BAR (bar), NULL);
  return gtk_label_get_label (bar->counters_label);
}

const char *
ptl_status_bar_get_message (PtlStatusBar *bar)
{
  g_return_val_if_fail (PTL_IS_STATUS_BAR (bar), NULL);
  return gtk_label_get_label (bar->message_label);
}

static GtkLabel *
add_label (PtlStatusBar *bar,
           gboolean      expand,
           float         xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, expand);
  gtk_box_append (GTK_BOX (bar->box), label);
  return GTK_LABEL (label);
}

static void
ptl_status_bar_dispose (GObject *object)
{
  PtlStatusBar *bar = PTL_STATUS_BAR (object);

  g_clear_pointer (&bar->box, gtk_widget_unparent);
  G_OBJECT_CLASS (ptl_status_bar_parent_class)->dispose (object);
}

static void
ptl_status_bar_class_init (PtlStatusBarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ptl_status_bar_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ptl-status-bar");
}

static void
ptl_status_bar_init (PtlStatusBar *bar)
{
  bar->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start (bar->box, 8);
  gtk_widget_set_margin_end (bar->box, 8);
  gtk_widget_set_margin_top (bar->box, 3);
  gtk_widget_set_margin_bottom (bar->box, 3);
  gtk_widget_set_parent (bar->box, GTK_WIDGET (bar));

  bar->state_label = add_label (bar, FALSE, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (bar->state_label), "heading");
  bar->counters_label = add_label (bar, TRUE, 0.0f);
  gtk_label_set_selectable (bar->counters_label, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (bar->counters_label), "numeric");
  bar->message_label = add_label (bar, FALSE, 1.0f);
  gtk_widget_add_css_class (GTK_WIDGET (bar->message_label), "dim-label");
  ptl_status_bar_update (bar, NULL);
}

GtkWidget *
ptl_status_bar_new (void)
{
  return g_object_new (PTL_TYPE_STATUS_BAR, NULL);
}
