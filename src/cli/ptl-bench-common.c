/* What every mode of ptycholive-bench shares: the machine's name and the JSON rows. */
#include "config.h"

#include "ptl-bench.h"

#include <string.h>

char *
cpu_model (void)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (lines[i], "model name"))
          {
            const char *colon = strchr (lines[i], ':');
            if (colon != NULL)
              return g_strdup_printf ("%s, %u cores", g_strstrip ((char *) colon + 1),
                                      g_get_num_processors ());
          }
    }
  return g_strdup_printf ("unknown CPU, %u cores", g_get_num_processors ());
}

/* JSON string escaping: quotes, backslashes and control characters; UTF-8 passes as is. */
static void
json_string (GString    *out,
             const char *key,
             const char *value)
{
  g_string_append_printf (out, "\"%s\": \"", key);
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if ((guchar) *c < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *c);
      else
        g_string_append_c (out, *c);
    }
  g_string_append (out, "\", ");
}

void
print_row (const BenchRow *row)
{
  g_autoptr (GString) out = g_string_new ("{");

  json_string (out, "bench", row->bench);
  json_string (out, "case", row->case_text);
  json_string (out, "metric", row->metric);
  g_string_append_printf (out, "\"value\": %.6g, ", row->value);
  json_string (out, "unit", row->unit);
  json_string (out, "backend", row->backend);
  g_string_append_printf (out, "\"threads\": %u, ", row->threads);
  json_string (out, "machine", row->machine);
  if (row->baseline != NULL)
    {
      json_string (out, "baseline", row->baseline);
      g_string_append_printf (out, "\"baseline_value\": %.6g, \"ratio\": %.4g, ", row->baseline_value,
                              row->value / row->baseline_value);
    }
  g_string_truncate (out, out->len - 2);
  g_string_append (out, "}");
  g_print ("%s\n", out->str);
}
