/* The bit transpose of bitshuffle (reference/protocols.md §1.4): a block of m elements (m a
 * multiple of 8) of 1, 2 or 4 bytes becomes 8·size bit planes of m/8 bytes each; plane
 * 8k + b holds bit b of byte k of every element, element i at bit i of the plane, LSB
 * first. A portable scalar version is the reference; AVX2 and AVX-512 versions give the same
 * bytes, and callers pick one with ptl_bitshuffle_best_isa (). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PTL_BITSHUFFLE_SCALAR, /* portable, the reference */
  PTL_BITSHUFFLE_AVX2,   /* x86-64-v3 */
  PTL_BITSHUFFLE_AVX512, /* x86-64-v4 (AVX-512 F and BW) */
  PTL_BITSHUFFLE_N_ISAS
} PtlBitshuffleIsa;

gboolean         ptl_bitshuffle_isa_supported (PtlBitshuffleIsa isa);
/* The fastest one this CPU supports. */
PtlBitshuffleIsa ptl_bitshuffle_best_isa (void);
const char      *ptl_bitshuffle_isa_name (PtlBitshuffleIsa isa);

/* Elements to planes: `n_elements` a multiple of 8, `planes` n_elements·element_size bytes
 * not overlapping `elements`. */
void ptl_bitshuffle (PtlBitshuffleIsa isa,
                     gconstpointer    elements,
                     gpointer         planes,
                     gsize            n_elements,
                     guint            element_size);
/* Planes back to elements, with the same conditions. */
void ptl_bitunshuffle (PtlBitshuffleIsa isa,
                       gconstpointer    planes,
                       gpointer         elements,
                       gsize            n_elements,
                       guint            element_size);

G_END_DECLS
