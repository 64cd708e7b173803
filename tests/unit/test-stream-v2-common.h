/* What the Stream V2 tests share: CBOR spelled out in hex, decoding that must succeed or
 * fail with a format error, a series with every field set, and a start message as the
 * EIGER2 sample sends it. */
#pragma once

#include <glib.h>

#include "stream/ptl-stream-v2.h"

/* CBOR spelled out in hex (spaces ignored), from the layout in reference/protocols.md §1.3. */
#define SELF "d9d9f7 "                            /* tag 55799, self-describe */
#define TYPE(value) "6474797065 " value            /* "type": */
#define START "657374617274 "
#define IMAGE "65696d616765 "
#define END "63656e64 "
#define SERIES_ID "697365726965735f6964 "
#define UNIQUE_ID "707365726965735f756e697175655f6964 "
#define IMAGE_ID "68696d6167655f6964 "
#define IMAGE_SIZE_X "6c696d6167655f73697a655f78 "
#define IMAGE_DTYPE "6b696d6167655f6474797065 "
#define PIXEL_SIZE_X "6c706978656c5f73697a655f78 "
#define PIXEL_MASK "6a706978656c5f6d61736b "
#define USER_DATA "69757365725f64617461 "
#define REAL_TIME "697265616c5f74696d65 "
#define DATA "6464617461 "
#define CH1 "6b7468726573686f6c645f31 "                /* "threshold_1" */
#define MD_2X3 "d828 82 82 02 03 "                      /* tag 40 [[2, 3], … */
#define U16_2X3 "d845 4c 010002000300040005000600 "     /* tag 69 bytes(12): 1 … 6 */
#define BSLZ4 "d9dcb4 83 6562736c7a34 "                 /* tag 56500 ["bslz4", … */
#define PAYLOAD_12 "4f 000000000000000c 00002000 aabbcc " /* bytes(15), header: 12 bytes */
#define IMAGE_WITH(entry) \
  SELF "a4 " TYPE (IMAGE) SERIES_ID "07 " IMAGE_ID "182a " DATA "a1 " CH1 entry

GBytes         *test_stream_v2_hex (const char *text);
PtlStreamEvent *test_stream_v2_decode_ok (GBytes     *message,
                                          const char *channel);
/* Fails with a format error whose message contains `expect` (when given). */
void            test_stream_v2_decode_bad (GBytes     *message,
                                           const char *channel,
                                           const char *expect);
/* The image bytes are a view of the message, not a copy. */
void            test_stream_v2_assert_view (GBytes *message,
                                            GBytes *view);
GBytes         *test_stream_v2_random_bytes (gsize n);
PtlSeriesInfo  *test_stream_v2_make_series (void);

/* A start as the EIGER2 sample sends it (no self-describe tag), with fields we skip. */
extern const char test_stream_v2_hand_start[];
