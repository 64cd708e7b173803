/* Shared by the modes of ptycholive-bench: one result row, printed as one JSON object per
 * line with the keys of DESIGN.md ("How it is checked"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EXIT_USAGE 2

typedef struct
{
  const char *bench;
  const char *case_text;
  const char *metric;
  double      value;
  const char *unit;
  const char *backend;
  guint       threads;
  const char *machine;
  const char *baseline; /* NULL: no baseline */
  double      baseline_value;
} BenchRow;

/* "model name" of /proc/cpuinfo and the number of cores. */
char *cpu_model (void);
void  print_row (const BenchRow *row);

int   bench_recon (int    argc,
                   char **argv);
int   bench_preprocess (int    argc,
                        char **argv);
int   bench_stream (int    argc,
                    char **argv);
gboolean bench_stream_tcp (const guint16 *const *frames,
                           guint                 n_frames,
                           guint                 rows,
                           guint                 cols,
                           guint                 row_begin,
                           guint                 row_end,
                           guint                 n_images,
                           const char           *machine,
                           GError              **error);

G_END_DECLS
