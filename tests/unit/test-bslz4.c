#include "config.h"

#include <lz4.h>
#include <string.h>

#include "core/ptl-error.h"
#include "stream/ptl-bitshuffle.h"
#include "stream/ptl-bslz4.h"

/* The real EIGER 4M frames: 2167 rows × 2070 columns of uint16. */
#define FIXTURE_ROWS 2167
#define FIXTURE_COLS 2070
#define FIXTURE_PIXELS ((gsize) FIXTURE_ROWS * FIXTURE_COLS)

/* More than three 8192-element blocks, a partial block and a raw tail of 5. */
#define AWKWARD_N (8192 * 3 + 40 + 5)

static const guint sizes[] = { 1, 2, 4 };

static guint8 *
random_bytes (GRand *rand,
              gsize  n)
{
  guint8 *bytes = g_malloc (n + 1);

  for (gsize i = 0; i < n; i++)
    bytes[i] = (guint8) g_rand_int (rand);
  return bytes;
}

/* Detector-like: an offset near 100 with a few noisy low bits, now and then a large value. */
static guint8 *
detector_like (GRand *rand,
               gsize  n,
               guint  size)
{
  guint8 *bytes = g_malloc0 (n * size + 1);

  for (gsize i = 0; i < n; i++)
    {
      guint32 value = 100 + g_rand_int_range (rand, 0, 8);
      if (g_rand_int_range (rand, 0, 100) == 0)
        value = g_rand_int (rand);
      for (guint k = 0; k < size; k++)
        bytes[i * size + k] = (guint8) (value >> (8 * k));
    }
  return bytes;
}

/* The layout of reference/protocols.md §1.4, bit by bit: bit b of byte k of element i at
 * bit (8k + b)·m + i of the block. */
static void
oracle_shuffle (const guint8 *elements,
                gsize         m,
                guint         size,
                guint8       *planes)
{
  memset (planes, 0, m * size);
  for (gsize i = 0; i < m; i++)
    for (guint k = 0; k < size; k++)
      for (guint b = 0; b < 8; b++)
        if ((elements[i * size + k] >> b) & 1)
          {
            gsize bit = (8 * k + b) * m + i;
            planes[bit / 8] |= (guint8) (1u << (bit % 8));
          }
}

static void
assert_format_error (GError *error)
{
  g_assert_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT);
  g_assert_cmpuint (strlen (error->message), >, 0);
}

static guint32
block_length (const guint8 *blob,
              gsize         offset)
{
  return (guint32) blob[offset] << 24 | (guint32) blob[offset + 1] << 16
         | (guint32) blob[offset + 2] << 8 | blob[offset + 3];
}

static void
put_be32 (guint8 *p,
          guint32 v)
{
  for (guint i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (24 - 8 * i));
}

/* Every vector version against the bit-by-bit layout and the scalar version, with plane
 * widths on both sides of the vector sizes so that the scalar tails run too. */
static void
test_transpose (void)
{
  static const gsize widths[] = { 1, 7, 8, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 512, 1000 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint checked = 0;

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
      {
        guint size = sizes[s];
        gsize m = 8 * widths[w], bytes = m * size;
        g_autofree guint8 *elements = random_bytes (rand, bytes);
        g_autofree guint8 *expected = g_malloc (bytes);
        g_autofree guint8 *scalar = g_malloc (bytes);
        g_autofree guint8 *planes = g_malloc (bytes);
        g_autofree guint8 *back = g_malloc (bytes);

        oracle_shuffle (elements, m, size, expected);
        ptl_bitshuffle (PTL_BITSHUFFLE_SCALAR, elements, scalar, m, size);
        g_assert_cmpmem (scalar, bytes, expected, bytes);
        for (PtlBitshuffleIsa isa = 0; isa < PTL_BITSHUFFLE_N_ISAS; isa++)
          {
            if (!ptl_bitshuffle_isa_supported (isa))
              continue;
            memset (planes, 0xa5, bytes);
            ptl_bitshuffle (isa, elements, planes, m, size);
            g_assert_cmpmem (planes, bytes, scalar, bytes);
            memset (back, 0x5a, bytes);
            ptl_bitunshuffle (isa, expected, back, m, size);
            g_assert_cmpmem (back, bytes, elements, bytes);
            checked |= 1u << isa;
          }
      }
  for (PtlBitshuffleIsa isa = 0; isa < PTL_BITSHUFFLE_N_ISAS; isa++)
    if (!(checked & (1u << isa)))
      g_test_message ("%s not supported here: not checked", ptl_bitshuffle_isa_name (isa));
  g_assert_true (checked & (1u << ptl_bitshuffle_best_isa ()));
}

/* The real EIGER capture kept in tests/data (G_TEST_SRCDIR is the tests folder). */
static char *
fixture_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "dectris-stream-v1", NULL);
}

static void
assert_rows_match (const guint8 *blob,
                   gsize         blob_len,
                   guint         size,
                   const guint8 *full,
                   guint         cols,
                   guint         row_begin,
                   guint         row_end)
{
  gsize bytes = (gsize) (row_end - row_begin) * cols * size;
  g_autofree guint8 *rows = g_malloc (bytes + 1);
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_bslz4_decode_rows (blob, blob_len, size, cols, row_begin, row_end, rows,
                                        &error));
  g_assert_no_error (error);
  g_assert_cmpmem (rows, bytes, full + (gsize) row_begin * cols * size, bytes);
}

/* The README's checksums of the decoded pixels, the rows of a crop, the first block against
 * our forward transpose, and a round trip through our encoder. */
static void
test_fixture (gconstpointer data)
{
  const char *name = data;
  static const struct
  {
    const char *name;
    const char *sha256;
  } expected[] = {
    { "streamfile_12", "fa504f12f9042b142374ba82fe7579b96544c2fadb4c1a7ef16f6b332b4cb142" },
    { "streamfile_16", "685636ee73380e3a340175ec8bb341509efd9378e2bd2d39b5506be907f47bba" },
    { "streamfile_20", "6d03204b2b134ec40a6b5e0ad7a17c54edb59afe64e40431af22056afab7d11a" },
  };
  g_autofree char *dir = fixture_dir ();
  g_autofree char *path = NULL;
  g_autofree guint8 *blob = NULL;
  g_autofree guint16 *pixels = g_new (guint16, FIXTURE_PIXELS);
  g_autofree char *digest = NULL;
  g_autoptr (GError) error = NULL;
  guint64 sum = 0, saturated = 0, total;
  guint32 block_bytes;
  guint16 max = 0;
  gsize len;

  path = g_build_filename (dir, name, NULL);
  g_file_get_contents (path, (char **) &blob, &len, &error);
  g_assert_no_error (error);

  g_assert_true (ptl_bslz4_header (blob, len, &total, &block_bytes, &error));
  g_assert_cmpuint (total, ==, FIXTURE_PIXELS * 2);
  g_assert_cmpuint (block_bytes, ==, 8192);
  g_assert_true (ptl_bslz4_decode (blob, len, 2, pixels, FIXTURE_PIXELS * 2, &error));
  g_assert_no_error (error);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) pixels,
                                        FIXTURE_PIXELS * 2);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (g_str_equal (expected[i].name, name))
      g_assert_cmpstr (digest, ==, expected[i].sha256);
  for (gsize i = 0; i < FIXTURE_PIXELS; i++)
    {
      guint16 value = GUINT16_FROM_LE (pixels[i]);
      sum += value;
      if (value == G_MAXUINT16)
        saturated++;
      else
        max = MAX (max, value);
    }
  g_assert_cmpuint (sum, ==, 16473358719);
  g_assert_cmpuint (saturated, ==, 251297);
  g_assert_cmpuint (max, ==, 12322);

  /* A crop of the live path, the first and the last rows (the raw tail). */
  assert_rows_match (blob, len, 2, (guint8 *) pixels, FIXTURE_COLS, 800, 1312);
  assert_rows_match (blob, len, 2, (guint8 *) pixels, FIXTURE_COLS, 0, 1);
  assert_rows_match (blob, len, 2, (guint8 *) pixels, FIXTURE_COLS, FIXTURE_ROWS - 3,
                     FIXTURE_ROWS);

  /* The detector's first block is exactly our transpose of the first 4096 pixels. */
  guint8 planes[8192], ours[8192];
  g_assert_cmpint (LZ4_decompress_safe ((const char *) blob + 16, (char *) planes,
                                        (int) block_length (blob, 12), sizeof planes),
                   ==, sizeof planes);
  ptl_bitshuffle (ptl_bitshuffle_best_isa (), pixels, ours, 4096, 2);
  g_assert_cmpmem (ours, sizeof ours, planes, sizeof planes);

  g_autoptr (GBytes) again = ptl_bslz4_encode (pixels, FIXTURE_PIXELS, 2, 0, &error);
  g_assert_no_error (error);
  g_autofree guint16 *decoded = g_new (guint16, FIXTURE_PIXELS);
  const guint8 *again_data = g_bytes_get_data (again, &len);
  g_assert_cmpmem (again_data, 12, blob, 12);
  g_assert_true (ptl_bslz4_decode (again_data, len, 2, decoded, FIXTURE_PIXELS * 2, &error));
  g_assert_cmpmem (decoded, FIXTURE_PIXELS * 2, pixels, FIXTURE_PIXELS * 2);
}

static void
round_trip (const guint8 *elements,
            gsize         n,
            guint         size,
            guint32       block_bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) blob = ptl_bslz4_encode (elements, n, size, block_bytes, &error);
  g_autofree guint8 *decoded = g_malloc (n * size + 1);
  guint64 total;
  guint32 header_block;
  gsize len;

  g_assert_no_error (error);
  const guint8 *data = g_bytes_get_data (blob, &len);
  g_assert_true (ptl_bslz4_header (data, len, &total, &header_block, &error));
  g_assert_cmpuint (total, ==, n * size);
  g_assert_cmpuint (header_block, ==, block_bytes == 0 ? 8192 : block_bytes);
  /* The n mod 8 elements that no block holds end the data as they are. */
  g_assert_cmpmem (data + len - n % 8 * size, n % 8 * size, elements + (n - n % 8) * size,
                   n % 8 * size);
  g_assert_true (ptl_bslz4_decode (data, len, size, decoded, n * size, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, n * size, elements, n * size);
}

static void
test_round_trip (void)
{
  static const gsize counts[] = { 0, 5, 8, 64, 1000, 8192, AWKWARD_N };
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
      {
        guint size = sizes[s];
        const guint32 blocks[] = { 0, 4096, 64 * size, 8 * size };
        g_autofree guint8 *noise = random_bytes (rand, counts[c] * size);
        g_autofree guint8 *detector = detector_like (rand, counts[c], size);
        g_autofree guint8 *zeros = g_malloc0 (counts[c] * size + 1);

        for (guint b = 0; b < G_N_ELEMENTS (blocks); b++)
          {
            round_trip (noise, counts[c], size, blocks[b]);
            round_trip (detector, counts[c], size, blocks[b]);
            round_trip (zeros, counts[c], size, blocks[b]);
          }
      }
}

/* Row ranges inside one block, across block boundaries, and into the raw tail, for an
 * image whose 24 947 elements make 12 blocks of 2048, a partial one of 368, and a tail of 3. */
static void
test_rows (void)
{
  const guint rows = 247, cols = 101;
  const guint ranges[][2] = { { 0, 1 },      { 0, 247 },   { 20, 21 },   { 10, 60 },
                              { 40, 41 },    { 200, 246 }, { 242, 247 }, { 246, 247 },
                              { 123, 200 },  { 7, 7 } };
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint size = sizes[s];
      gsize n = (gsize) rows * cols, len;
      g_autofree guint8 *image = detector_like (rand, n, size);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) blob = ptl_bslz4_encode (image, n, size, 2048 * size, &error);
      const guint8 *data = g_bytes_get_data (blob, &len);

      g_assert_no_error (error);
      for (guint r = 0; r < G_N_ELEMENTS (ranges); r++)
        assert_rows_match (data, len, size, image, cols, ranges[r][0], ranges[r][1]);
    }
}

static void
assert_lz4_round_trip (const guint8 *bytes,
                       gsize         n,
                       guint32       block_bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) blob = ptl_lz4_encode (bytes, n, block_bytes, &error);
  g_autofree guint8 *decoded = g_malloc (n + 1);
  gsize len;

  g_assert_no_error (error);
  const guint8 *data = g_bytes_get_data (blob, &len);
  g_assert_true (ptl_lz4_decode (data, len, decoded, n, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, n, bytes, n);
}

static void
test_lz4 (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  gsize n = 3 * 4096 + 100, len;
  g_autofree guint8 *mixed = random_bytes (rand, n);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *decoded = g_malloc (n);

  /* As much as LZ4 can compress, in one block. */
  g_autofree guint8 *zeros = g_malloc0 (1 << 20);
  assert_lz4_round_trip (zeros, 1 << 20, 0);

  /* Block 1 compresses, blocks 0, 2 and 3 are noise and stay raw. */
  memset (mixed + 4096, 7, 4096);
  for (guint32 block = 0; block <= 4096; block += 4096)
    {
      assert_lz4_round_trip (mixed, n, block);
      assert_lz4_round_trip (mixed, 0, block);
      assert_lz4_round_trip (mixed + 4096, 4096, block);
    }
  g_autoptr (GBytes) blob = ptl_lz4_encode (mixed, n, 4096, &error);
  const guint8 *data = g_bytes_get_data (blob, &len);
  g_assert_cmpuint (block_length (data, 12), ==, 4096);
  g_assert_cmpuint (block_length (data, 16 + 4096), <, 4096);

  /* A stored block written by hand, as HDF5's filter writes incompressible data. */
  guint8 stored[12 + 4 + 10] = { 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10 };
  memcpy (stored + 16, "0123456789", 10);
  g_assert_true (ptl_lz4_decode (stored, sizeof stored, decoded, 10, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, 10, "0123456789", 10);
}

/* A bslz4 blob with every part of the format: 3 blocks, a partial one and a raw tail. */
static GBytes *
small_blob (guint8 **elements,
            gsize   *n)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (19);

  *n = 3 * 64 + 24 + 5;
  *elements = detector_like (rand, *n, 2);
  return ptl_bslz4_encode (*elements, *n, 2, 128, NULL);
}

static void
assert_bslz4_fails (const guint8 *data,
                    gsize         len,
                    guint         size,
                    gsize         dst_len)
{
  g_autofree guint8 *dst = g_malloc (dst_len + 1);
  g_autoptr (GError) error = NULL;

  g_assert_false (ptl_bslz4_decode (data, len, size, dst, dst_len, &error));
  assert_format_error (error);
}

/* Length prefixes changed, header fields that lie, truncation and trailing bytes. */
static void
test_bad_bslz4 (void)
{
  g_autofree guint8 *elements = NULL;
  gsize n, len;
  g_autoptr (GBytes) blob = small_blob (&elements, &n);
  const guint8 *good = g_bytes_get_data (blob, &len);
  g_autofree guint8 *data = g_malloc (len + 1);
  g_autoptr (GError) error = NULL;
  gsize bytes = n * 2;
  guint8 dst[1024];

  g_assert_cmpuint (bytes, <=, sizeof dst);
  g_assert_true (ptl_bslz4_decode (good, len, 2, dst, bytes, &error));
  /* Every truncation, to the whole image and to its last row. */
  for (gsize cut = 0; cut < len; cut++)
    {
      assert_bslz4_fails (good, cut, 2, bytes);
      g_assert_false (ptl_bslz4_decode_rows (good, cut, 2, 1, (guint) n - 1, (guint) n, dst,
                                             &error));
      assert_format_error (error);
      g_clear_error (&error);
    }
  /* Trailing garbage; a wrong element size or destination size. */
  memcpy (data, good, len);
  data[len] = 0;
  assert_bslz4_fails (data, len + 1, 2, bytes);
  assert_bslz4_fails (good, len, 3, bytes);
  assert_bslz4_fails (good, len, 4, bytes);
  assert_bslz4_fails (good, len, 2, bytes - 2);
  assert_bslz4_fails (good, len, 2, bytes + 2);

  /* Header lies: sizes, and block sizes 0, not a multiple of 16, above 1 GiB. */
  const struct
  {
    guint64 total;
    guint32 block;
  } headers[] = {
    { bytes + 2, 128 }, { bytes - 2, 128 }, { bytes + 1, 128 }, { bytes, 0 },
    { bytes, 120 },     { bytes, 130 },     { bytes, 256 },     { bytes, 64 },
    { bytes, (1u << 30) + 16 }, { G_MAXUINT64, 128 },
  };
  for (guint h = 0; h < G_N_ELEMENTS (headers); h++)
    {
      memcpy (data, good, len);
      put_be32 (data, (guint32) (headers[h].total >> 32));
      put_be32 (data + 4, (guint32) headers[h].total);
      put_be32 (data + 8, headers[h].block);
      assert_bslz4_fails (data, len, 2, MIN (headers[h].total, sizeof dst - 1));
      g_assert_false (ptl_bslz4_decode_rows (data, len, 2, 1, 0, 1, dst, &error));
      assert_format_error (error);
      g_clear_error (&error);
    }

  /* A 1 GiB block in 100 bytes, which LZ4 cannot make: refused before any allocation. */
  guint8 promise[12 + 4 + 100] = { 0 };
  put_be32 (promise + 4, 1u << 30);
  put_be32 (promise + 8, 1u << 30);
  put_be32 (promise + 12, 100);
  g_assert_false (ptl_bslz4_decode_rows (promise, sizeof promise, 1, 1024, 0, 1, dst, &error));
  assert_format_error (error);
  g_assert_nonnull (strstr (error->message, "LZ4 cannot make"));
  g_clear_error (&error);

  /* Each length prefix made shorter, longer, zero and huge; each LZ4 block corrupted. */
  for (gsize pos = 12, b = 0; b < 4; b++)
    {
      guint32 csize = block_length (good, pos);
      const guint32 lies[] = { csize - 1, csize + 1, 0, G_MAXUINT32, (guint32) len };
      for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
        {
          memcpy (data, good, len);
          put_be32 (data + pos, lies[i]);
          assert_bslz4_fails (data, len, 2, bytes);
        }
      memcpy (data, good, len);
      memset (data + pos + 4, 0xff, csize);
      assert_bslz4_fails (data, len, 2, bytes);
      pos += 4 + csize;
    }

  /* Rows outside the image or not dividing it. */
  const guint rows_args[][3] = { { 0, 0, 1 }, { 1, 0, (guint) n + 1 }, { 1, 5, 4 },
                                 { 2, 0, 1 }, { G_MAXUINT, 0, G_MAXUINT } };
  for (guint i = 0; i < G_N_ELEMENTS (rows_args); i++)
    {
      g_assert_false (ptl_bslz4_decode_rows (good, len, 2, rows_args[i][0], rows_args[i][1],
                                             rows_args[i][2], dst, &error));
      assert_format_error (error);
      g_clear_error (&error);
    }
}

/* Random bytes overwritten: decoding either succeeds or fails with a format error, and never
 * touches memory outside its buffers (the sanitizer build watches that). */
static void
test_corrupt_bslz4 (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  g_autofree guint8 *elements = NULL;
  gsize n, len;
  g_autoptr (GBytes) blob = small_blob (&elements, &n);
  const guint8 *good = g_bytes_get_data (blob, &len);

  for (guint trial = 0; trial < 20000; trial++)
    {
      g_autofree guint8 *data = g_memdup2 (good, len);
      g_autofree guint8 *dst = g_malloc (n * 2);
      g_autoptr (GError) error = NULL;
      guint flips = g_rand_int_range (rand, 1, 4);

      for (guint f = 0; f < flips; f++)
        data[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int (rand);
      if (!ptl_bslz4_decode (data, len, 2, dst, n * 2, &error))
        assert_format_error (error);
      g_clear_error (&error);
      if (!ptl_bslz4_decode_rows (data, len, 2, 1, 50, 150, dst, &error))
        assert_format_error (error);
    }
}

static void
assert_lz4_fails (const guint8 *data,
                  gsize         len,
                  gsize         dst_len)
{
  g_autofree guint8 *dst = g_malloc (dst_len + 1);
  g_autoptr (GError) error = NULL;

  g_assert_false (ptl_lz4_decode (data, len, dst, dst_len, &error));
  assert_format_error (error);
}

static void
test_bad_lz4 (void)
{
  gsize n = 2 * 256 + 17, len;
  g_autofree guint8 *bytes = g_malloc (n);
  g_autoptr (GBytes) blob = NULL;

  for (gsize i = 0; i < n; i++)
    bytes[i] = (guint8) (i / 50);
  blob = ptl_lz4_encode (bytes, n, 256, NULL);
  const guint8 *good = g_bytes_get_data (blob, &len);
  g_autofree guint8 *data = g_malloc (len + 1);
  guint32 csize = block_length (good, 12);

  g_assert_cmpuint (csize, <, 256);
  for (gsize cut = 0; cut < len; cut++)
    assert_lz4_fails (good, cut, n);
  assert_lz4_fails (good, len, n - 1);
  assert_lz4_fails (good, len, n + 1);
  memcpy (data, good, len);
  data[len] = 0;
  assert_lz4_fails (data, len + 1, n);
  put_be32 (data + 8, 0);
  assert_lz4_fails (data, len, n);
  put_be32 (data + 8, (1u << 30) + 1);
  assert_lz4_fails (data, len, n);
  memcpy (data, good, len);
  put_be32 (data + 12, (guint32) len);
  assert_lz4_fails (data, len, n);
  put_be32 (data + 12, csize + 1);
  assert_lz4_fails (data, len, n);
  memcpy (data, good, len);
  memset (data + 16, 0xff, csize);
  assert_lz4_fails (data, len, n);
}

static void
test_bad_encode (void)
{
  guint8 elements[64] = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_null (ptl_bslz4_encode (elements, 8, 3, 0, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (ptl_bslz4_encode (elements, 8, 2, 24, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (ptl_lz4_encode (elements, 8, (1u << 30) + 1, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bitshuffle/transpose", test_transpose);
  g_test_add_data_func ("/bslz4/fixture/12", "streamfile_12", test_fixture);
  g_test_add_data_func ("/bslz4/fixture/16", "streamfile_16", test_fixture);
  g_test_add_data_func ("/bslz4/fixture/20", "streamfile_20", test_fixture);
  g_test_add_func ("/bslz4/round-trip", test_round_trip);
  g_test_add_func ("/bslz4/rows", test_rows);
  g_test_add_func ("/bslz4/bad-input", test_bad_bslz4);
  g_test_add_func ("/bslz4/corrupt", test_corrupt_bslz4);
  g_test_add_func ("/bslz4/bad-encode", test_bad_encode);
  g_test_add_func ("/lz4/round-trip", test_lz4);
  g_test_add_func ("/lz4/bad-input", test_bad_lz4);
  return g_test_run ();
}
