/* The HDF5 framings of LZ4 and bitshuffle+LZ4 (reference/protocols.md §1.4). Every length
 * and offset in the data is checked before it is used: the bytes come off the network. */
#include "config.h"

#include "ptl-bslz4.h"

#include <lz4.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-bitshuffle.h"

#define HEADER_BYTES 12
#define PREFIX_BYTES 4
/* Bitshuffle's default, and what DECTRIS detectors use. */
#define DEFAULT_BSLZ4_BLOCK_BYTES 8192
/* HDF5's LZ4 filter puts up to 1 GiB in one block by default; nothing larger is real. */
#define MAX_BLOCK_BYTES ((guint32) 1 << 30)

/* How a bitshuffle+LZ4 image splits: blocks of block_elems, the last one shorter (a
 * multiple of 8), then the n mod 8 elements that no block holds, stored raw. */
typedef struct
{
  guint size;
  gsize n;
  gsize block_elems;
  gsize n_blocks;
  gsize last_elems;
  gsize tail_elems;
} Layout;

static guint32
read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
write_be32 (guint8 *p,
            guint32 v)
{
  for (guint i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (24 - 8 * i));
}

static void
write_header (guint8 *p,
              guint64 total,
              guint32 block_bytes)
{
  write_be32 (p, (guint32) (total >> 32));
  write_be32 (p + 4, (guint32) total);
  write_be32 (p + 8, block_bytes);
}

static Layout
layout_of (gsize n,
           guint size,
           gsize block_bytes)
{
  Layout l = { .size = size, .n = n, .block_elems = block_bytes / size, .tail_elems = n % 8 };
  gsize last = n % l.block_elems / 8 * 8;

  l.n_blocks = n / l.block_elems + (last > 0);
  l.last_elems = last > 0 ? last : l.block_elems;
  return l;
}

static gsize
block_elems (const Layout *l,
             gsize         b)
{
  return b + 1 < l->n_blocks ? l->block_elems : l->last_elems;
}

gboolean
ptl_bslz4_header (const guint8 *src,
                  gsize         src_len,
                  guint64      *uncompressed_bytes,
                  guint32      *block_bytes,
                  GError      **error)
{
  if (src_len < HEADER_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Compressed data of %zu bytes are shorter than their 12-byte header", src_len);
      return FALSE;
    }
  *uncompressed_bytes = (guint64) read_be32 (src) << 32 | read_be32 (src + 4);
  *block_bytes = read_be32 (src + 8);
  return TRUE;
}

static gboolean
check_block_bytes (guint32  block_bytes,
                   guint    multiple,
                   GQuark   domain,
                   int      code,
                   GError **error)
{
  if (block_bytes == 0 || block_bytes % multiple != 0 || block_bytes > MAX_BLOCK_BYTES)
    {
      g_set_error (error, domain, code,
                   "Block size %u bytes is not a multiple of %u between %u and %u",
                   block_bytes, multiple, multiple, MAX_BLOCK_BYTES);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_element_size (guint    size,
                    GQuark   domain,
                    int      code,
                    GError **error)
{
  if (size != 1 && size != 2 && size != 4)
    {
      g_set_error (error, domain, code, "Element size %u is not 1, 2 or 4 bytes", size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_bslz4 (const guint8 *src,
             gsize         src_len,
             guint         size,
             Layout       *layout,
             GError      **error)
{
  guint64 total;
  guint32 block_bytes;

  if (!check_element_size (size, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, error)
      || !ptl_bslz4_header (src, src_len, &total, &block_bytes, error)
      || !check_block_bytes (block_bytes, 8 * size, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, error))
    return FALSE;
  if (total % size != 0 || total > G_MAXSIZE)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Uncompressed size %" G_GUINT64_FORMAT " bytes is not a whole number of "
                   "%u-byte elements that fits in memory",
                   total, size);
      return FALSE;
    }
  *layout = layout_of ((gsize) (total / size), size, block_bytes);
  return TRUE;
}

/* Reads the length prefix of block b at *pos, checks that its LZ4 data lie inside the
 * buffer, and moves *pos past them. */
static gboolean
next_block (const guint8 *src,
            gsize         src_len,
            gsize         b,
            gsize         raw_bytes,
            gsize        *pos,
            guint32      *csize,
            GError      **error)
{
  if (src_len - *pos < PREFIX_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Block %zu: its length at offset %zu lies past the end of the %zu bytes",
                   b, *pos, src_len);
      return FALSE;
    }
  *csize = read_be32 (src + *pos);
  if (*csize > src_len - *pos - PREFIX_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Block %zu at offset %zu: %u compressed bytes, but only %zu remain",
                   b, *pos, *csize, src_len - *pos - PREFIX_BYTES);
      return FALSE;
    }
  /* LZ4 never writes more than its bound, nor more than 255 bytes for each byte it reads:
   * a header that promises more cannot make us allocate what the data do not hold. */
  if (*csize > (guint32) LZ4_compressBound ((int) raw_bytes)
      || (guint64) *csize * 255 < raw_bytes)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Block %zu at offset %zu: LZ4 cannot make %zu bytes of %u",
                   b, *pos, raw_bytes, *csize);
      return FALSE;
    }
  *pos += PREFIX_BYTES + *csize;
  return TRUE;
}

static gboolean
lz4_block (const guint8 *src,
           guint32       csize,
           guint8       *dst,
           gsize         raw_bytes,
           gsize         b,
           gsize         offset,
           GError      **error)
{
  int got = LZ4_decompress_safe ((const char *) src, (char *) dst, (int) csize, (int) raw_bytes);

  if (got != (int) raw_bytes)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Block %zu at offset %zu: corrupt LZ4 data (%s %zu bytes)", b, offset,
                   got < 0 ? "error decoding" : "wrong size for", raw_bytes);
      return FALSE;
    }
  return TRUE;
}

/* After the last block: exactly the raw bytes that no block holds. */
static gboolean
check_end (gsize    pos,
           gsize    src_len,
           gsize    raw_bytes,
           GError **error)
{
  if (src_len - pos != raw_bytes)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "The blocks end at offset %zu, so %zu raw bytes should end the data at %zu, "
                   "but it ends at %zu",
                   pos, raw_bytes, pos + raw_bytes, src_len);
      return FALSE;
    }
  return TRUE;
}

/* Walks every length prefix: the blocks must lie inside the data, and exactly the raw tail
 * must follow them. */
static gboolean
check_framing (const guint8 *src,
               gsize         src_len,
               const Layout *l,
               GError      **error)
{
  gsize pos = HEADER_BYTES;
  guint32 csize;

  for (gsize b = 0; b < l->n_blocks; b++)
    if (!next_block (src, src_len, b, block_elems (l, b) * l->size, &pos, &csize, error))
      return FALSE;
  return check_end (pos, src_len, l->tail_elems * l->size, error);
}

/* Elements [first, end) into dst. Only the blocks that hold them are decompressed; those
 * wholly inside go straight to dst. The framing is checked first, so that the blocks to
 * allocate for are known to be in the data. */
static gboolean
decode_range (const guint8 *src,
              gsize         src_len,
              const Layout *l,
              gsize         first,
              gsize         end,
              guint8       *dst,
              GError      **error)
{
  gsize size = l->size, scratch_bytes = MIN (l->block_elems, l->n) * size;
  PtlBitshuffleIsa isa = ptl_bitshuffle_best_isa ();
  gsize pos = HEADER_BYTES;

  if (!check_framing (src, src_len, l, error))
    return FALSE;
  if (first == end)
    return TRUE;
  g_autofree guint8 *scratch = g_try_malloc (2 * scratch_bytes);
  if (scratch == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "No memory to decompress blocks of %zu bytes", scratch_bytes);
      return FALSE;
    }
  guint8 *planes = scratch, *partial = scratch + scratch_bytes;

  for (gsize b = 0; b < l->n_blocks; b++)
    {
      gsize begin = b * l->block_elems, m = block_elems (l, b);
      gsize lo = MAX (begin, first), hi = MIN (begin + m, end);
      gsize at = pos + PREFIX_BYTES;
      guint32 csize;

      /* Checked above: cannot fail. */
      next_block (src, src_len, b, m * size, &pos, &csize, NULL);
      if (lo >= hi)
        continue;
      if (!lz4_block (src + at, csize, planes, m * size, b, at, error))
        return FALSE;
      if (lo == begin && hi == begin + m)
        ptl_bitunshuffle (isa, planes, dst + (begin - first) * size, m, size);
      else
        {
          ptl_bitunshuffle (isa, planes, partial, m, size);
          memcpy (dst + (lo - first) * size, partial + (lo - begin) * size, (hi - lo) * size);
        }
    }

  gsize tail_begin = l->n - l->tail_elems;
  gsize lo = MAX (tail_begin, first), hi = MIN (l->n, end);
  if (lo < hi)
    memcpy (dst + (lo - first) * size, src + pos + (lo - tail_begin) * size, (hi - lo) * size);
  return TRUE;
}

gboolean
ptl_bslz4_decode (const guint8 *src,
                  gsize         src_len,
                  guint         element_size,
                  gpointer      dst,
                  gsize         dst_len,
                  GError      **error)
{
  Layout l;

  if (!parse_bslz4 (src, src_len, element_size, &l, error))
    return FALSE;
  if (l.n * element_size != dst_len)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "The data decompress to %zu bytes, not the %zu expected",
                   l.n * element_size, dst_len);
      return FALSE;
    }
  return decode_range (src, src_len, &l, 0, l.n, dst, error);
}

gboolean
ptl_bslz4_decode_rows (const guint8 *src,
                       gsize         src_len,
                       guint         element_size,
                       guint         cols,
                       guint         row_begin,
                       guint         row_end,
                       gpointer      dst,
                       GError      **error)
{
  Layout l;

  if (!parse_bslz4 (src, src_len, element_size, &l, error))
    return FALSE;
  if (cols == 0 || l.n % cols != 0 || row_begin > row_end || (guint64) row_end * cols > l.n)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "Rows %u to %u of %u columns are not inside an image of %zu elements",
                   row_begin, row_end, cols, l.n);
      return FALSE;
    }
  return decode_range (src, src_len, &l, (gsize) row_begin * cols, (gsize) row_end * cols, dst,
                       error);
}

/* Room for the header, n_blocks blocks of at most block_bytes and the raw tail; NULL with
 * an error if that does not fit in memory. */
static guint8 *
alloc_output (gsize    n_blocks,
              gsize    block_bytes,
              gsize    tail_bytes,
              gsize   *capacity,
              GError **error)
{
  guint8 *out = NULL;

  if (g_size_checked_mul (capacity, n_blocks,
                          PREFIX_BYTES + (gsize) LZ4_compressBound ((int) block_bytes))
      && g_size_checked_add (capacity, *capacity, HEADER_BYTES + tail_bytes))
    out = g_try_malloc (*capacity);
  if (out == NULL)
    g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                 "No memory for %zu compressed blocks of %zu bytes", n_blocks, block_bytes);
  return out;
}

/* LZ4 of one block after its length prefix at out + *pos; *pos moves past them. */
static gboolean
compress_block (const guint8 *block,
                gsize         raw_bytes,
                guint8       *out,
                gsize         capacity,
                gsize        *pos,
                gboolean      raw_if_larger,
                GError      **error)
{
  guint8 *data = out + *pos + PREFIX_BYTES;
  int csize = LZ4_compress_default ((const char *) block, (char *) data, (int) raw_bytes,
                                    (int) MIN (capacity - *pos - PREFIX_BYTES, G_MAXINT));

  if (csize <= 0)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE,
                   "LZ4 could not compress a block of %zu bytes", raw_bytes);
      return FALSE;
    }
  /* HDF5's LZ4 filter stores a block that does not shrink as it is: the decoder knows it
   * by its length. */
  if (raw_if_larger && (gsize) csize >= raw_bytes)
    {
      memcpy (data, block, raw_bytes);
      csize = (int) raw_bytes;
    }
  write_be32 (out + *pos, (guint32) csize);
  *pos += PREFIX_BYTES + (gsize) csize;
  return TRUE;
}

GBytes *
ptl_bslz4_encode (gconstpointer src,
                  gsize         n_elements,
                  guint         element_size,
                  guint32       block_bytes,
                  GError      **error)
{
  const guint8 *elements = src;
  gsize capacity, pos = HEADER_BYTES;

  if (block_bytes == 0)
    block_bytes = DEFAULT_BSLZ4_BLOCK_BYTES;
  if (!check_element_size (element_size, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, error)
      || !check_block_bytes (block_bytes, 8 * element_size, PTL_PARAM_ERROR,
                             PTL_PARAM_ERROR_INVALID, error))
    return NULL;
  if (n_elements > G_MAXSIZE / element_size)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "%zu elements of %u bytes do not fit in memory", n_elements, element_size);
      return NULL;
    }

  Layout l = layout_of (n_elements, element_size, block_bytes);
  gsize tail_bytes = l.tail_elems * element_size;
  g_autofree guint8 *out = alloc_output (l.n_blocks, block_bytes, tail_bytes, &capacity, error);
  if (out == NULL)
    return NULL;
  g_autofree guint8 *planes = g_malloc (MIN (l.block_elems, n_elements) * element_size);
  PtlBitshuffleIsa isa = ptl_bitshuffle_best_isa ();

  write_header (out, (guint64) n_elements * element_size, block_bytes);
  for (gsize b = 0; b < l.n_blocks; b++)
    {
      gsize m = block_elems (&l, b);
      ptl_bitshuffle (isa, elements + b * l.block_elems * element_size, planes, m, element_size);
      if (!compress_block (planes, m * element_size, out, capacity, &pos, FALSE, error))
        return NULL;
    }
  memcpy (out + pos, elements + (n_elements - l.tail_elems) * element_size, tail_bytes);
  pos += tail_bytes;
  return g_bytes_new_take (g_realloc (g_steal_pointer (&out), pos), pos);
}

gboolean
ptl_lz4_decode (const guint8 *src,
                gsize         src_len,
                gpointer      dst,
                gsize         dst_len,
                GError      **error)
{
  guint8 *out = dst;
  guint64 total;
  guint32 block_bytes;
  gsize pos = HEADER_BYTES;

  if (!ptl_bslz4_header (src, src_len, &total, &block_bytes, error)
      || !check_block_bytes (block_bytes, 1, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, error))
    return FALSE;
  if (total != dst_len)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "The data decompress to %" G_GUINT64_FORMAT " bytes, not the %zu expected",
                   total, dst_len);
      return FALSE;
    }
  for (gsize offset = 0, b = 0; offset < dst_len; b++)
    {
      gsize raw_bytes = MIN (block_bytes, dst_len - offset), at = pos + PREFIX_BYTES;
      guint32 csize;

      if (!next_block (src, src_len, b, raw_bytes, &pos, &csize, error))
        return FALSE;
      if (csize == raw_bytes)
        memcpy (out + offset, src + at, raw_bytes);
      else if (!lz4_block (src + at, csize, out + offset, raw_bytes, b, at, error))
        return FALSE;
      offset += raw_bytes;
    }
  return check_end (pos, src_len, 0, error);
}

GBytes *
ptl_lz4_encode (gconstpointer src,
                gsize         n_bytes,
                guint32       block_bytes,
                GError      **error)
{
  const guint8 *bytes = src;
  gsize capacity, pos = HEADER_BYTES;

  /* As HDF5's LZ4 filter: the whole buffer in one block, up to 1 GiB. */
  if (block_bytes == 0)
    block_bytes = (guint32) CLAMP (n_bytes, 1, MAX_BLOCK_BYTES);
  if (!check_block_bytes (block_bytes, 1, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, error))
    return NULL;

  gsize n_blocks = n_bytes / block_bytes + (n_bytes % block_bytes != 0);
  g_autofree guint8 *out = alloc_output (n_blocks, block_bytes, 0, &capacity, error);
  if (out == NULL)
    return NULL;
  write_header (out, n_bytes, block_bytes);
  for (gsize offset = 0; offset < n_bytes; offset += block_bytes)
    if (!compress_block (bytes + offset, MIN (block_bytes, n_bytes - offset), out, capacity, &pos,
                         TRUE, error))
      return NULL;
  return g_bytes_new_take (g_realloc (g_steal_pointer (&out), pos), pos);
}
