/* What the Stream V1 tests share: the decoder's logged errors counted, parts pushed and
 * the events they gave named, a series with every field set, and pixels compressed in each
 * encoding. */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-v1.h"

/* Decoder errors are logged as messages in the Ptl-Stream domain; once
 * test_stream_v1_count_logged () has run, each adds one here, so that a test can check
 * one per error. */
extern guint test_stream_v1_logged;

void           test_stream_v1_count_logged (void);
GPtrArray     *test_stream_v1_events_new (void);
/* Pushes every part, "more" set on all but the last when `framed`; returns the failures. */
guint          test_stream_v1_push_all (PtlStreamV1Decoder *decoder,
                                        GPtrArray          *parts,
                                        gboolean            framed,
                                        GPtrArray          *events);
/* "S", "I", "E" per event. */
char          *test_stream_v1_event_types (GPtrArray *events);
void           test_stream_v1_assert_events (GPtrArray  *events,
                                             const char *expected);
PtlSeriesInfo *test_stream_v1_series_new (void);
/* `n` pixels of `element_size` bytes in `encoding`; lz4 in small blocks. */
GBytes        *test_stream_v1_compress (const void  *pixels,
                                        gsize        n,
                                        guint        element_size,
                                        PtlEncoding  encoding);
