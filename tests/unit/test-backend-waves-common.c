/* Shared by the tests of the CPU backend's mixed-state kernels
 * (test-backend-waves-common.h). */
#include "config.h"

#include "test-backend-waves-common.h"

#include <math.h>
#include <string.h>

void
test_waves_fill_random (ptl_complex *z,
                        gsize        n,
                        GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = (float) g_rand_double_range (rand, -1, 1)
           + I * (float) g_rand_double_range (rand, -1, 1);
}

PtlBuffer *
test_waves_upload_new (PtlBackend *backend,
                       const void *data,
                       gsize       bytes)
{
  g_autoptr (GError) error = NULL;
  PtlBuffer *buffer = ptl_backend_alloc (backend, bytes, &error);

  g_assert_no_error (error);
  if (data != NULL)
    g_assert_true (ptl_backend_upload (backend, buffer, 0, data, bytes, &error));
  return buffer;
}

void
test_waves_download (PtlBackend *backend,
                     PtlBuffer  *buffer,
                     void       *data,
                     gsize       bytes)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (ptl_backend_download (backend, buffer, 0, data, bytes, &error));
}

void
test_waves_problem_init (Problem *p,
                         guint    threads)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  static const PtlPosition pos[FRAMES] = { { 2, 3 }, { 5, 6 }, { 0, 0 }, { 13, 18 }, { 7, 1 } };
  static const guint32 frames[FIRST + COUNT] = { 2, 3, 0, 1 };

  memset (p, 0, sizeof *p);
  p->backend = ptl_backend_new (PTL_BACKEND_CPU, 0, threads, &error);
  g_assert_no_error (error);
  test_waves_fill_random (p->object, ROWS * COLS, rand);
  test_waves_fill_random (p->probe, K * N, rand);
  test_waves_fill_random (p->waves, FRAMES * K * N, rand);
  test_waves_fill_random (p->work, 3 * COUNT * K * N, rand);
  test_waves_fill_random (p->dir_object, ROWS * COLS, rand);
  test_waves_fill_random (p->dir_probe, K * N, rand);
  for (gsize i = 0; i < FRAMES * N; i++)
    p->amp[i] = i % 7 == 3 ? -1.0f : (float) g_rand_double_range (rand, 0, 3);
  memcpy (p->pos, pos, sizeof pos);
  memcpy (p->frames, frames, sizeof frames);
  p->batch = (PtlWaveBatch) {
    .object = test_waves_upload_new (p->backend, p->object, sizeof p->object),
    .canvas_rows = ROWS,
    .canvas_cols = COLS,
    .probe = test_waves_upload_new (p->backend, p->probe, sizeof p->probe),
    .m = M,
    .n_modes = K,
    .positions = test_waves_upload_new (p->backend, p->pos, sizeof p->pos),
    .frames = test_waves_upload_new (p->backend, p->frames, sizeof p->frames),
    .first = FIRST,
    .count = COUNT,
    .work = test_waves_upload_new (p->backend, p->work, sizeof p->work),
    .waves = test_waves_upload_new (p->backend, p->waves, sizeof p->waves),
    .amplitudes = test_waves_upload_new (p->backend, p->amp, sizeof p->amp),
    .errors = test_waves_upload_new (p->backend, NULL, FRAMES * sizeof (float)),
    .object_num = test_waves_upload_new (p->backend, NULL, ROWS * COLS * sizeof (ptl_complex)),
    .object_den = test_waves_upload_new (p->backend, NULL, ROWS * COLS * sizeof (float)),
    .probe_num = test_waves_upload_new (p->backend, NULL, K * N * sizeof (ptl_complex)),
    .probe_den = test_waves_upload_new (p->backend, NULL, N * sizeof (float)),
  };
  p->dir_object_buf = test_waves_upload_new (p->backend, p->dir_object, sizeof p->dir_object);
  p->dir_probe_buf = test_waves_upload_new (p->backend, p->dir_probe, sizeof p->dir_probe);
}

void
test_waves_problem_clear (Problem *p)
{
  PtlWaveBatch *b = &p->batch;
  PtlBuffer *buffers[] = { b->object, b->probe, b->positions, b->frames, b->work, b->waves,
                           b->amplitudes, b->errors, b->object_num, b->object_den, b->probe_num,
                           b->probe_den, p->dir_object_buf, p->dir_probe_buf };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (p->backend, buffers[i]);
  ptl_backend_free (p->backend);
}

dcomplex
test_waves_object_at (const Problem     *p,
                      const ptl_complex *object,
                      guint              frame,
                      gsize              i)
{
  PtlPosition pos = p->pos[frame];
  return object[(gsize) (pos.row + i / M) * COLS + pos.col + i % M];
}

void
test_waves_check_close (const ptl_complex *got,
                        const dcomplex    *want,
                        gsize              n,
                        double             tolerance)
{
  double num = 0, den = 0;
  for (gsize i = 0; i < n; i++)
    {
      dcomplex d = got[i] - want[i];
      num += creal (d * conj (d));
      den += creal (want[i] * conj (want[i]));
    }
  g_assert_cmpfloat (sqrt (num / MAX (den, 1e-30)), <, tolerance);
}

