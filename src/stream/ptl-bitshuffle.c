/* Bitshuffle's transpose as two steps that each vectorise without a branch.
 *
 * Bits: plane 8k + b of a block holds bit b of byte k of every element. Transposing the 8×8
 * bit matrix that byte c of planes 8k … 8k + 7 form turns plane 8k + i into byte k of
 * elements 8c + i, c = 0 … m/8 − 1: a butterfly of shifts and masks does it for a whole
 * word or vector of columns at once.
 *
 * Bytes: the group of 8 elements c is 8·size contiguous bytes, byte r = i·size + k of it
 * being byte k of element i, i.e. byte c of plane 8k + i after the bit step: a transpose of
 * an (8·size) × (m/8) byte matrix, rows taken in that order. The vector versions do it with
 * byte unpacks, 16 columns per 128-bit lane.
 *
 * Unshuffling runs bits then bytes, shuffling bytes then bits, both on a chunk of columns
 * held in registers, so that the planes are read or written once. Columns that do not fill
 * a vector go through the scalar version. */
#include "config.h"

#include "ptl-bitshuffle.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PTL_BITSHUFFLE_X86 1
#endif

/* Byte r of a group of 8 elements (byte k of element i) is found in plane 8k + i. */
static inline gsize
plane_of (guint r,
          guint size)
{
  return 8 * (r % size) + r / size;
}

/* One butterfly step: exchanges bit i + d of x with bit i of y wherever `mask` has bit i.
 * Masks that clear the top d bits of every byte keep shifted bits inside their byte. */
static inline void
swap_bits_64 (guint64 *x,
              guint64 *y,
              guint    d,
              guint64  mask)
{
  guint64 t = ((*x >> d) ^ *y) & mask;

  *y ^= t;
  *x ^= t << d;
}

/* Row b of each matrix is a byte of w[b], its columns are the bits; every byte position
 * holds its own matrix. */
static inline void
transpose_bits_64 (guint64 w[8])
{
  static const guint64 masks[5] = { 0, 0x5555555555555555, 0x3333333333333333, 0,
                                    0x0f0f0f0f0f0f0f0f };

  for (guint d = 1; d <= 4; d *= 2)
    for (guint b = 0; b < 8; b++)
      if ((b & d) == 0)
        swap_bits_64 (&w[b], &w[b + d], d, masks[d]);
}

/* Columns [begin, width) of the planes: 8 at a time, the bits of each group of 8 planes
 * transposed in words, then their bytes scattered to the elements. */
static void
planes_to_elements_scalar (const guint8 *planes,
                           gsize         width,
                           guint         size,
                           gsize         begin,
                           guint8       *elements)
{
  guint rows = 8 * size;

  for (gsize c = begin; c < width; c += 8)
    {
      gsize n = MIN (8, width - c);
      for (guint k = 0; k < size; k++)
        {
          guint64 w[8] = { 0 };
          for (guint b = 0; b < 8; b++)
            for (gsize j = 0; j < n; j++)
              w[b] |= (guint64) planes[(8 * k + b) * width + c + j] << (8 * j);
          transpose_bits_64 (w);
          for (guint i = 0; i < 8; i++)
            for (gsize j = 0; j < n; j++)
              elements[(c + j) * rows + i * size + k] = (guint8) (w[i] >> (8 * j));
        }
    }
}

static void
elements_to_planes_scalar (const guint8 *elements,
                           gsize         width,
                           guint         size,
                           gsize         begin,
                           guint8       *planes)
{
  guint rows = 8 * size;

  for (gsize c = begin; c < width; c += 8)
    {
      gsize n = MIN (8, width - c);
      for (guint k = 0; k < size; k++)
        {
          guint64 w[8] = { 0 };
          for (guint i = 0; i < 8; i++)
            for (gsize j = 0; j < n; j++)
              w[i] |= (guint64) elements[(c + j) * rows + i * size + k] << (8 * j);
          transpose_bits_64 (w);
          for (guint b = 0; b < 8; b++)
            for (gsize j = 0; j < n; j++)
              planes[(8 * k + b) * width + c + j] = (guint8) (w[b] >> (8 * j));
        }
    }
}

typedef struct
{
  void (*planes_to_elements) (const guint8 *planes,
                              gsize         width,
                              guint         size,
                              guint8       *elements);
  void (*elements_to_planes) (const guint8 *elements,
                              gsize         width,
                              guint         size,
                              guint8       *planes);
} Kernels;

static void
planes_to_elements_all_scalar (const guint8 *planes,
                               gsize         width,
                               guint         size,
                               guint8       *elements)
{
  planes_to_elements_scalar (planes, width, size, 0, elements);
}

static void
elements_to_planes_all_scalar (const guint8 *elements,
                               gsize         width,
                               guint         size,
                               guint8       *planes)
{
  elements_to_planes_scalar (elements, width, size, 0, planes);
}

#ifdef PTL_BITSHUFFLE_X86

/* The vector versions work on chunks of 16·lanes columns. w[p] holds plane p of a chunk;
 * after the bit step, v[r] = w[plane_of (r)] is row r of the byte matrix, and unpack stages
 * on all rows at once turn it into v[t], lane L of which holds bytes 16·L·rows + 16t … + 15
 * of the chunk's elements. Sizes are constants once inlined, so the rows stay in registers. */

#define TARGET_AVX2 __attribute__ ((target ("avx2")))

TARGET_AVX2 G_ALWAYS_INLINE static inline void
swap_bits_256 (__m256i *x,
               __m256i *y,
               int      d,
               guint8   mask)
{
  __m256i t = _mm256_and_si256 (_mm256_xor_si256 (_mm256_srli_epi64 (*x, d), *y),
                                _mm256_set1_epi8 ((char) mask));

  *y = _mm256_xor_si256 (*y, t);
  *x = _mm256_xor_si256 (*x, _mm256_slli_epi64 (t, d));
}

/* transpose_bits_64 on vectors. */
TARGET_AVX2 G_ALWAYS_INLINE static inline void
transpose_bits_256 (__m256i *w)
{
  static const guint8 masks[5] = { 0, 0x55, 0x33, 0, 0x0f };

#pragma GCC unroll 3
  for (guint d = 1; d <= 4; d *= 2)
#pragma GCC unroll 8
    for (guint b = 0; b < 8; b++)
      if ((b & d) == 0)
        swap_bits_256 (&w[b], &w[b + d], d, masks[d]);
}

/* One unpack stage on n rows: the address (row, byte in lane) of every byte, log2(n) + 4
 * bits, rotates left by one. log2(n) stages take rows to columns, 4 take them back. */
TARGET_AVX2 G_ALWAYS_INLINE static inline void
interleave_256 (__m256i *v,
                guint    n)
{
  __m256i t[32];

#pragma GCC unroll 16
  for (guint u = 0; u < n / 2; u++)
    {
      t[2 * u] = _mm256_unpacklo_epi8 (v[u], v[u + n / 2]);
      t[2 * u + 1] = _mm256_unpackhi_epi8 (v[u], v[u + n / 2]);
    }
  memcpy (v, t, n * sizeof *v);
}

/* Lane j of v[i] ↔ lane i of v[j]. */
TARGET_AVX2 G_ALWAYS_INLINE static inline void
transpose_lanes_256 (__m256i *v)
{
  __m256i a = _mm256_permute2x128_si256 (v[0], v[1], 0x20);

  v[1] = _mm256_permute2x128_si256 (v[0], v[1], 0x31);
  v[0] = a;
}

TARGET_AVX2 G_ALWAYS_INLINE static inline void
planes_to_elements_256 (const guint8 *planes,
                        gsize         width,
                        guint         size,
                        guint8       *elements)
{
  guint rows = 8 * size;
  gsize end = width / 32 * 32;

  for (gsize c = 0; c < end; c += 32)
    {
      guint8 *out = elements + c * rows;
      __m256i w[32], v[32];

#pragma GCC unroll 32
      for (guint p = 0; p < rows; p++)
        w[p] = _mm256_loadu_si256 ((const __m256i *) (planes + p * width + c));
#pragma GCC unroll 4
      for (guint k = 0; k < size; k++)
        transpose_bits_256 (w + 8 * k);
#pragma GCC unroll 32
      for (guint r = 0; r < rows; r++)
        v[r] = w[plane_of (r, size)];
#pragma GCC unroll 5
      for (guint s = 1; s < rows; s *= 2)
        interleave_256 (v, rows);
#pragma GCC unroll 16
      for (guint t = 0; t < rows; t += 2)
        {
          transpose_lanes_256 (v + t);
          _mm256_storeu_si256 ((__m256i *) (out + 16 * t), v[t]);
          _mm256_storeu_si256 ((__m256i *) (out + 16 * rows + 16 * t), v[t + 1]);
        }
    }
  planes_to_elements_scalar (planes, width, size, end, elements);
}

TARGET_AVX2 G_ALWAYS_INLINE static inline void
elements_to_planes_256 (const guint8 *elements,
                        gsize         width,
                        guint         size,
                        guint8       *planes)
{
  guint rows = 8 * size;
  gsize end = width / 32 * 32;

  for (gsize c = 0; c < end; c += 32)
    {
      const guint8 *in = elements + c * rows;
      __m256i w[32], v[32];

#pragma GCC unroll 16
      for (guint t = 0; t < rows; t += 2)
        {
          v[t] = _mm256_loadu_si256 ((const __m256i *) (in + 16 * t));
          v[t + 1] = _mm256_loadu_si256 ((const __m256i *) (in + 16 * rows + 16 * t));
          transpose_lanes_256 (v + t);
        }
#pragma GCC unroll 4
      for (guint s = 0; s < 4; s++)
        interleave_256 (v, rows);
#pragma GCC unroll 32
      for (guint r = 0; r < rows; r++)
        w[plane_of (r, size)] = v[r];
#pragma GCC unroll 4
      for (guint k = 0; k < size; k++)
        transpose_bits_256 (w + 8 * k);
#pragma GCC unroll 32
      for (guint p = 0; p < rows; p++)
        _mm256_storeu_si256 ((__m256i *) (planes + p * width + c), w[p]);
    }
  elements_to_planes_scalar (elements, width, size, end, planes);
}

TARGET_AVX2 static void
planes_to_elements_avx2 (const guint8 *planes,
                         gsize         width,
                         guint         size,
                         guint8       *elements)
{
  if (size == 1)
    planes_to_elements_256 (planes, width, 1, elements);
  else if (size == 2)
    planes_to_elements_256 (planes, width, 2, elements);
  else
    planes_to_elements_256 (planes, width, 4, elements);
}

TARGET_AVX2 static void
elements_to_planes_avx2 (const guint8 *elements,
                         gsize         width,
                         guint         size,
                         guint8       *planes)
{
  if (size == 1)
    elements_to_planes_256 (elements, width, 1, planes);
  else if (size == 2)
    elements_to_planes_256 (elements, width, 2, planes);
  else
    elements_to_planes_256 (elements, width, 4, planes);
}

/* The same with 512-bit vectors of four lanes. */

#define TARGET_AVX512 __attribute__ ((target ("avx512f,avx512bw")))

TARGET_AVX512 G_ALWAYS_INLINE static inline void
swap_bits_512 (__m512i *x,
               __m512i *y,
               int      d,
               guint8   mask)
{
  __m512i t = _mm512_and_si512 (_mm512_xor_si512 (_mm512_srli_epi64 (*x, d), *y),
                                _mm512_set1_epi8 ((char) mask));

  *y = _mm512_xor_si512 (*y, t);
  *x = _mm512_xor_si512 (*x, _mm512_slli_epi64 (t, d));
}

TARGET_AVX512 G_ALWAYS_INLINE static inline void
transpose_bits_512 (__m512i *w)
{
  static const guint8 masks[5] = { 0, 0x55, 0x33, 0, 0x0f };

#pragma GCC unroll 3
  for (guint d = 1; d <= 4; d *= 2)
#pragma GCC unroll 8
    for (guint b = 0; b < 8; b++)
      if ((b & d) == 0)
        swap_bits_512 (&w[b], &w[b + d], d, masks[d]);
}

TARGET_AVX512 G_ALWAYS_INLINE static inline void
interleave_512 (__m512i *v,
                guint    n)
{
  __m512i t[32];

#pragma GCC unroll 16
  for (guint u = 0; u < n / 2; u++)
    {
      t[2 * u] = _mm512_unpacklo_epi8 (v[u], v[u + n / 2]);
      t[2 * u + 1] = _mm512_unpackhi_epi8 (v[u], v[u + n / 2]);
    }
  memcpy (v, t, n * sizeof *v);
}

/* Lane j of v[i] ↔ lane i of v[j], i, j < 4. */
TARGET_AVX512 G_ALWAYS_INLINE static inline void
transpose_lanes_512 (__m512i *v)
{
  __m512i a = _mm512_shuffle_i64x2 (v[0], v[1], 0x44);
  __m512i b = _mm512_shuffle_i64x2 (v[0], v[1], 0xee);
  __m512i c = _mm512_shuffle_i64x2 (v[2], v[3], 0x44);
  __m512i d = _mm512_shuffle_i64x2 (v[2], v[3], 0xee);

  v[0] = _mm512_shuffle_i64x2 (a, c, 0x88);
  v[1] = _mm512_shuffle_i64x2 (a, c, 0xdd);
  v[2] = _mm512_shuffle_i64x2 (b, d, 0x88);
  v[3] = _mm512_shuffle_i64x2 (b, d, 0xdd);
}

TARGET_AVX512 G_ALWAYS_INLINE static inline void
planes_to_elements_512 (const guint8 *planes,
                        gsize         width,
                        guint         size,
                        guint8       *elements)
{
  guint rows = 8 * size;
  gsize end = width / 64 * 64;

  for (gsize c = 0; c < end; c += 64)
    {
      guint8 *out = elements + c * rows;
      __m512i w[32], v[32];

#pragma GCC unroll 32
      for (guint p = 0; p < rows; p++)
        w[p] = _mm512_loadu_si512 (planes + p * width + c);
#pragma GCC unroll 4
      for (guint k = 0; k < size; k++)
        transpose_bits_512 (w + 8 * k);
#pragma GCC unroll 32
      for (guint r = 0; r < rows; r++)
        v[r] = w[plane_of (r, size)];
#pragma GCC unroll 5
      for (guint s = 1; s < rows; s *= 2)
        interleave_512 (v, rows);
#pragma GCC unroll 8
      for (guint t = 0; t < rows; t += 4)
        {
          transpose_lanes_512 (v + t);
#pragma GCC unroll 4
          for (guint lane = 0; lane < 4; lane++)
            _mm512_storeu_si512 (out + 16 * lane * rows + 16 * t, v[t + lane]);
        }
    }
  planes_to_elements_scalar (planes, width, size, end, elements);
}

TARGET_AVX512 G_ALWAYS_INLINE static inline void
elements_to_planes_512 (const guint8 *elements,
                        gsize         width,
                        guint         size,
                        guint8       *planes)
{
  guint rows = 8 * size;
  gsize end = width / 64 * 64;

  for (gsize c = 0; c < end; c += 64)
    {
      const guint8 *in = elements + c * rows;
      __m512i w[32], v[32];

#pragma GCC unroll 8
      for (guint t = 0; t < rows; t += 4)
        {
#pragma GCC unroll 4
          for (guint lane = 0; lane < 4; lane++)
            v[t + lane] = _mm512_loadu_si512 (in + 16 * lane * rows + 16 * t);
          transpose_lanes_512 (v + t);
        }
#pragma GCC unroll 4
      for (guint s = 0; s < 4; s++)
        interleave_512 (v, rows);
#pragma GCC unroll 32
      for (guint r = 0; r < rows; r++)
        w[plane_of (r, size)] = v[r];
#pragma GCC unroll 4
      for (guint k = 0; k < size; k++)
        transpose_bits_512 (w + 8 * k);
#pragma GCC unroll 32
      for (guint p = 0; p < rows; p++)
        _mm512_storeu_si512 (planes + p * width + c, w[p]);
    }
  elements_to_planes_scalar (elements, width, size, end, planes);
}

TARGET_AVX512 static void
planes_to_elements_avx512 (const guint8 *planes,
                           gsize         width,
                           guint         size,
                           guint8       *elements)
{
  if (size == 1)
    planes_to_elements_512 (planes, width, 1, elements);
  else if (size == 2)
    planes_to_elements_512 (planes, width, 2, elements);
  else
    planes_to_elements_512 (planes, width, 4, elements);
}

TARGET_AVX512 static void
elements_to_planes_avx512 (const guint8 *elements,
                           gsize         width,
                           guint         size,
                           guint8       *planes)
{
  if (size == 1)
    elements_to_planes_512 (elements, width, 1, planes);
  else if (size == 2)
    elements_to_planes_512 (elements, width, 2, planes);
  else
    elements_to_planes_512 (elements, width, 4, planes);
}

#endif

static const Kernels kernels[PTL_BITSHUFFLE_N_ISAS] = {
  [PTL_BITSHUFFLE_SCALAR] = { planes_to_elements_all_scalar, elements_to_planes_all_scalar },
#ifdef PTL_BITSHUFFLE_X86
  [PTL_BITSHUFFLE_AVX2] = { planes_to_elements_avx2, elements_to_planes_avx2 },
  [PTL_BITSHUFFLE_AVX512] = { planes_to_elements_avx512, elements_to_planes_avx512 },
#endif
};

gboolean
ptl_bitshuffle_isa_supported (PtlBitshuffleIsa isa)
{
  switch (isa)
    {
    case PTL_BITSHUFFLE_SCALAR:
      return TRUE;
#ifdef PTL_BITSHUFFLE_X86
    case PTL_BITSHUFFLE_AVX2:
      return __builtin_cpu_supports ("avx2");
    case PTL_BITSHUFFLE_AVX512:
      return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw");
#endif
    default:
      return FALSE;
    }
}

PtlBitshuffleIsa
ptl_bitshuffle_best_isa (void)
{
  for (PtlBitshuffleIsa isa = PTL_BITSHUFFLE_N_ISAS - 1; isa > PTL_BITSHUFFLE_SCALAR; isa--)
    if (ptl_bitshuffle_isa_supported (isa))
      return isa;
  return PTL_BITSHUFFLE_SCALAR;
}

const char *
ptl_bitshuffle_isa_name (PtlBitshuffleIsa isa)
{
  static const char *const names[PTL_BITSHUFFLE_N_ISAS] = { "scalar", "AVX2", "AVX-512" };

  g_return_val_if_fail (isa < PTL_BITSHUFFLE_N_ISAS, NULL);
  return names[isa];
}

void
ptl_bitshuffle (PtlBitshuffleIsa isa,
                gconstpointer    elements,
                gpointer         planes,
                gsize            n_elements,
                guint            element_size)
{
  g_return_if_fail (ptl_bitshuffle_isa_supported (isa));
  g_return_if_fail (n_elements % 8 == 0);
  g_return_if_fail (element_size == 1 || element_size == 2 || element_size == 4);

  kernels[isa].elements_to_planes (elements, n_elements / 8, element_size, planes);
}

void
ptl_bitunshuffle (PtlBitshuffleIsa isa,
                  gconstpointer    planes,
                  gpointer         elements,
                  gsize            n_elements,
                  guint            element_size)
{
  g_return_if_fail (ptl_bitshuffle_isa_supported (isa));
  g_return_if_fail (n_elements % 8 == 0);
  g_return_if_fail (element_size == 1 || element_size == 2 || element_size == 4);

  kernels[isa].planes_to_elements (planes, n_elements / 8, element_size, elements);
}
