/* Hot pixel loops are compiled for three instruction sets and chosen when the program
 * loads, so one binary runs everywhere and uses AVX2/AVX-512 where the CPU has them
 * (3–10× on these loops). Loops marked so work on explicit float/integer arrays with gsize
 * indices (32-bit indices block vectorisation) and are vectorised at -O3 with finite,
 * reassociating math: their data are finite by construction, reductions only vectorise
 * that way (their order then differs from a scalar loop's, as on a GPU), and divisions
 * and square roots become the hardware estimates plus a Newton step (~1e-7 relative). */
#pragma once

#ifdef __clang__
/* clang (the fuzzing build) vectorises at -O2 already and has no per-function options. */
#define PTL_PIXEL_LOOP __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PTL_PIXEL_LOOP                                                                           \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default"),               \
                  optimize ("O3", "finite-math-only", "unsafe-math-optimizations")))
#endif
