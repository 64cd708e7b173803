/* The compressions DECTRIS detectors stream, in the HDF5 filter framing (reference/
 * protocols.md §1.4): LZ4 (filter 32004) and bitshuffle+LZ4 (filter 32008) for 1-, 2- and
 * 4-byte elements. Both start with a 12-byte big-endian header: total uncompressed bytes
 * (u64) and block size in bytes (u32); then blocks, each a big-endian u32 compressed length
 * and an LZ4 block. Bitshuffle transposes the bits of each block of elements before LZ4.
 * Region decoding decompresses only the blocks that hold a range of rows. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Uncompressed size and block size from the 12-byte header; fails on a short buffer. */
gboolean ptl_bslz4_header (const guint8 *src,
                           gsize         src_len,
                           guint64      *uncompressed_bytes,
                           guint32      *block_bytes,
                           GError      **error);

/* Whole image: `dst_len` must equal the header's uncompressed size. */
gboolean ptl_bslz4_decode (const guint8 *src,
                           gsize         src_len,
                           guint         element_size,
                           gpointer      dst,
                           gsize         dst_len,
                           GError      **error);

/* Rows [row_begin, row_end) of an image `cols` elements wide, written to `dst` as those
 * rows only ((row_end − row_begin) · cols elements). Only the blocks that hold them are
 * decompressed. The image must be a whole number of rows. */
gboolean ptl_bslz4_decode_rows (const guint8 *src,
                                gsize         src_len,
                                guint         element_size,
                                guint         cols,
                                guint         row_begin,
                                guint         row_end,
                                gpointer      dst,
                                GError      **error);

/* block_bytes = 0 picks the default (8192 bytes, as DECTRIS detectors use). */
GBytes  *ptl_bslz4_encode (gconstpointer src,
                           gsize         n_elements,
                           guint         element_size,
                           guint32       block_bytes,
                           GError      **error);

/* Plain LZ4 with the same framing (no bit transpose). A block whose length is its
 * uncompressed size is stored as it is. block_bytes = 0 puts everything in one block, up
 * to 1 GiB, as HDF5's LZ4 filter does. */
gboolean ptl_lz4_decode (const guint8 *src,
                         gsize         src_len,
                         gpointer      dst,
                         gsize         dst_len,
                         GError      **error);
GBytes  *ptl_lz4_encode (gconstpointer src,
                         gsize         n_bytes,
                         guint32       block_bytes,
                         GError      **error);

G_END_DECLS
