/* The headless live run: receive one series from a detector and a position stream, pair
 * them, print the series' counters. */
#pragma once

#include <glib.h>

#include "stream/ptl-detector-client.h"

G_BEGIN_DECLS

typedef struct
{
  char               *detector;        /* endpoint, e.g. tcp://host:31001 */
  PtlDetectorProtocol protocol;
  char               *channel;         /* V2 data channel; NULL: the first */
  char               *positions;       /* PandA endpoint */
  const char         *x_channel;       /* PandA dataset names */
  const char         *y_channel;
  guint               samples_per_frame;
  guint               series_timeout;  /* seconds without traffic that end the run; 0 = never */
} PtlConnectOptions;

/* Fails with PTL_PARAM_ERROR when an endpoint or the position configuration is not valid.
 * Ending on the timeout or a signal is not a failure: the counters so far are printed. */
gboolean ptl_headless_connect_run (const PtlConnectOptions *options,
                                   GError                 **error);

G_END_DECLS
