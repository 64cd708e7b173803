/* libFuzzer target: arbitrary bytes as a bitshuffle+LZ4 or LZ4 buffer, decoded whole and
 * by rows; the decoder must reject what is malformed without reading or writing out of
 * bounds. The first byte picks the element size and the variant. */
#include "config.h"

#include <stdint.h>

#include "stream/ptl-bslz4.h"

#define MAX_OUTPUT ((guint64) 1 << 24)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint64 uncompressed;
  guint32 block;

  if (size < 1)
    return 0;
  guint element_size = 1u << (data[0] % 3);
  gboolean plain = (data[0] & 0x80) != 0;
  data++;
  size--;
  if (!ptl_bslz4_header (data, size, &uncompressed, &block, NULL) || uncompressed > MAX_OUTPUT)
    return 0;

  g_autofree guint8 *out = g_malloc (MAX (uncompressed, 1));
  if (plain)
    {
      ptl_lz4_decode (data, size, out, uncompressed, NULL);
      return 0;
    }
  ptl_bslz4_decode (data, size, element_size, out, uncompressed, NULL);
  guint cols = 64;
  guint rows = (guint) (uncompressed / element_size / cols);
  if (rows >= 2)
    ptl_bslz4_decode_rows (data, size, element_size, cols, rows / 3, rows / 3 + 1, out, NULL);
  return 0;
}
