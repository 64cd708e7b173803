/* What the tests of the CPU backend's mixed-state kernels share: one small problem (a
 * canvas, K probe modes, frames at fixed positions, a batch of slots) filled with random
 * values and uploaded, and comparisons against direct computations in double precision. */
#pragma once

#include <glib.h>

#include "recon/ptl-backend.h"

typedef double _Complex dcomplex;

#define M 8
#define N (M * M)
#define K 2
#define ROWS 21
#define COLS 26
#define FRAMES 5
#define COUNT 3
#define FIRST 1

typedef struct
{
  PtlBackend  *backend;
  ptl_complex  object[ROWS * COLS];
  ptl_complex  probe[K * N];
  ptl_complex  waves[FRAMES * K * N];
  ptl_complex  work[3 * COUNT * K * N];
  ptl_complex  dir_object[ROWS * COLS];
  ptl_complex  dir_probe[K * N];
  float        amp[FRAMES * N];
  PtlPosition  pos[FRAMES];
  guint32      frames[FIRST + COUNT];
  PtlWaveBatch batch;
  PtlBuffer   *dir_object_buf;
  PtlBuffer   *dir_probe_buf;
} Problem;

void       test_waves_fill_random (ptl_complex *z,
                                   gsize        n,
                                   GRand       *rand);
PtlBuffer *test_waves_upload_new (PtlBackend *backend,
                                  const void *data,
                                  gsize       bytes);
void       test_waves_download (PtlBackend *backend,
                                PtlBuffer  *buffer,
                                void       *data,
                                gsize       bytes);
/* The same random problem every time, on a CPU backend with `threads` threads. */
void       test_waves_problem_init (Problem *p,
                                    guint    threads);
void       test_waves_problem_clear (Problem *p);
/* Pixel i of the M×M window of `frame` in `object` (a canvas of COLS columns). */
dcomplex   test_waves_object_at (const Problem     *p,
                                 const ptl_complex *object,
                                 guint              frame,
                                 gsize              i);
/* The relative error of `got` against `want` is below `tolerance`. */
void       test_waves_check_close (const ptl_complex *got,
                                   const dcomplex    *want,
                                   gsize              n,
                                   double             tolerance);
