/* The CPU backend's kernels for mixed states and the batched engines against direct
 * computations in double precision, on one and on two threads (the canvas-band split). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
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

static void
fill_random (ptl_complex *z,
             gsize        n,
             GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = (float) g_rand_double_range (rand, -1, 1)
           + I * (float) g_rand_double_range (rand, -1, 1);
}

static PtlBuffer *
upload_new (PtlBackend *backend,
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

static void
download (PtlBackend *backend,
          PtlBuffer  *buffer,
          void       *data,
          gsize       bytes)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (ptl_backend_download (backend, buffer, 0, data, bytes, &error));
}

static void
problem_init (Problem *p,
              guint    threads)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  static const PtlPosition pos[FRAMES] = { { 2, 3 }, { 5, 6 }, { 0, 0 }, { 13, 18 }, { 7, 1 } };
  static const guint32 frames[FIRST + COUNT] = { 2, 3, 0, 1 };

  memset (p, 0, sizeof *p);
  p->backend = ptl_backend_new (PTL_BACKEND_CPU, 0, threads, &error);
  g_assert_no_error (error);
  fill_random (p->object, ROWS * COLS, rand);
  fill_random (p->probe, K * N, rand);
  fill_random (p->waves, FRAMES * K * N, rand);
  fill_random (p->work, 3 * COUNT * K * N, rand);
  fill_random (p->dir_object, ROWS * COLS, rand);
  fill_random (p->dir_probe, K * N, rand);
  for (gsize i = 0; i < FRAMES * N; i++)
    p->amp[i] = i % 7 == 3 ? -1.0f : (float) g_rand_double_range (rand, 0, 3);
  memcpy (p->pos, pos, sizeof pos);
  memcpy (p->frames, frames, sizeof frames);
  p->batch = (PtlWaveBatch) {
    .object = upload_new (p->backend, p->object, sizeof p->object),
    .canvas_rows = ROWS,
    .canvas_cols = COLS,
    .probe = upload_new (p->backend, p->probe, sizeof p->probe),
    .m = M,
    .n_modes = K,
    .positions = upload_new (p->backend, p->pos, sizeof p->pos),
    .frames = upload_new (p->backend, p->frames, sizeof p->frames),
    .first = FIRST,
    .count = COUNT,
    .work = upload_new (p->backend, p->work, sizeof p->work),
    .waves = upload_new (p->backend, p->waves, sizeof p->waves),
    .amplitudes = upload_new (p->backend, p->amp, sizeof p->amp),
    .errors = upload_new (p->backend, NULL, FRAMES * sizeof (float)),
    .object_num = upload_new (p->backend, NULL, ROWS * COLS * sizeof (ptl_complex)),
    .object_den = upload_new (p->backend, NULL, ROWS * COLS * sizeof (float)),
    .probe_num = upload_new (p->backend, NULL, K * N * sizeof (ptl_complex)),
    .probe_den = upload_new (p->backend, NULL, N * sizeof (float)),
  };
  p->dir_object_buf = upload_new (p->backend, p->dir_object, sizeof p->dir_object);
  p->dir_probe_buf = upload_new (p->backend, p->dir_probe, sizeof p->dir_probe);
}

static void
problem_clear (Problem *p)
{
  PtlWaveBatch *b = &p->batch;
  PtlBuffer *buffers[] = { b->object, b->probe, b->positions, b->frames, b->work, b->waves,
                           b->amplitudes, b->errors, b->object_num, b->object_den, b->probe_num,
                           b->probe_den, p->dir_object_buf, p->dir_probe_buf };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (p->backend, buffers[i]);
  ptl_backend_free (p->backend);
}

static dcomplex
object_at (const Problem *p,
           const ptl_complex *object,
           guint          frame,
           gsize          i)
{
  PtlPosition pos = p->pos[frame];
  return object[(gsize) (pos.row + i / M) * COLS + pos.col + i % M];
}

static void
check_close (const ptl_complex *got,
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

static void
check_close_real (const float  *got,
                  const double *want,
                  gsize         n,
                  double        tolerance)
{
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (got[i] - want[i]), <=, tolerance * MAX (1.0, fabs (want[i])));
}

/* DM's Fourier input, its exit update and the overlap sums gathered in the same pass. */
static void
check_exit_update (guint threads)
{
  g_autoptr (GError) error = NULL;
  Problem p;
  const float c = 2.0f, a = -0.8f, b = 1.0f;

  problem_init (&p, threads);
  g_assert_true (ptl_backend_projection_input (p.backend, &p.batch, c, &error));
  g_autofree ptl_complex *work = g_new (ptl_complex, COUNT * K * N);
  g_autofree dcomplex *want = g_new0 (dcomplex, FRAMES * K * N);
  download (p.backend, p.batch.work, work, COUNT * K * N * sizeof (ptl_complex));
  for (guint k = 0; k < COUNT; k++)
    for (guint l = 0; l < K; l++)
      for (gsize i = 0; i < N; i++)
        {
          guint j = p.frames[FIRST + k];
          want[(k * K + l) * N + i] = c * p.probe[l * N + i] * object_at (&p, p.object, j, i)
                                      + (1 - c) * p.waves[(j * K + l) * N + i];
        }
  check_close (work, want, COUNT * K * N, 1e-6);

  /* The Fourier projection's stand-in: any values in work will do. */
  g_assert_true (ptl_backend_upload (p.backend, p.batch.work, 0, p.work,
                                     COUNT * K * N * sizeof (ptl_complex), &error));
  g_assert_true (ptl_backend_exit_update (p.backend, &p.batch, a, b, &error));
  g_assert_no_error (error);

  g_autofree dcomplex *waves = g_new0 (dcomplex, FRAMES * K * N);
  g_autofree dcomplex *object_num = g_new0 (dcomplex, ROWS * COLS);
  g_autofree double *object_den = g_new0 (double, ROWS * COLS);
  g_autofree dcomplex *probe_num = g_new0 (dcomplex, K * N);
  g_autofree double *probe_den = g_new0 (double, N);
  for (gsize i = 0; i < FRAMES * K * N; i++)
    waves[i] = p.waves[i];
  for (guint k = 0; k < COUNT; k++)
    {
      guint j = p.frames[FIRST + k];
      PtlPosition pos = p.pos[j];
      for (gsize i = 0; i < N; i++)
        {
          dcomplex o = object_at (&p, p.object, j, i);
          gsize at = (gsize) (pos.row + i / M) * COLS + pos.col + i % M;
          for (guint l = 0; l < K; l++)
            {
              dcomplex pr = p.probe[l * N + i];
              dcomplex *w = &waves[(j * K + l) * N + i];
              *w = (1 - a - b) * *w + b * p.work[(k * K + l) * N + i] + a * pr * o;
              object_num[at] += conj (pr) * *w;
              object_den[at] += creal (pr * conj (pr));
              probe_num[l * N + i] += conj (o) * *w;
            }
          probe_den[i] += creal (o * conj (o));
        }
    }
  g_autofree ptl_complex *got = g_new (ptl_complex, FRAMES * K * N);
  g_autofree float *got_real = g_new (float, ROWS * COLS);
  download (p.backend, p.batch.waves, got, FRAMES * K * N * sizeof (ptl_complex));
  check_close (got, waves, FRAMES * K * N, 1e-6);
  download (p.backend, p.batch.object_num, got, ROWS * COLS * sizeof (ptl_complex));
  check_close (got, object_num, ROWS * COLS, 1e-6);
  download (p.backend, p.batch.object_den, got_real, ROWS * COLS * sizeof (float));
  check_close_real (got_real, object_den, ROWS * COLS, 1e-5);
  download (p.backend, p.batch.probe_num, got, K * N * sizeof (ptl_complex));
  check_close (got, probe_num, K * N, 1e-6);
  download (p.backend, p.batch.probe_den, got_real, N * sizeof (float));
  check_close_real (got_real, probe_den, N, 1e-5);

  /* The object from its sums: (c·O + num) / (c + den), and the sums start again at 0. */
  const float inertia = 0.25f;
  g_assert_true (ptl_backend_overlap_divide (p.backend, p.batch.object, p.batch.object_num,
                                             p.batch.object_den, ROWS * COLS, 1, inertia, inertia,
                                             &error));
  g_autofree dcomplex *divided = g_new (dcomplex, ROWS * COLS);
  for (gsize i = 0; i < ROWS * COLS; i++)
    divided[i] = (inertia * p.object[i] + object_num[i]) / (inertia + object_den[i]);
  download (p.backend, p.batch.object, got, ROWS * COLS * sizeof (ptl_complex));
  check_close (got, divided, ROWS * COLS, 1e-6);
  download (p.backend, p.batch.object_den, got_real, ROWS * COLS * sizeof (float));
  for (gsize i = 0; i < ROWS * COLS; i++)
    g_assert_cmpfloat (got_real[i], ==, 0.0f);
  problem_clear (&p);
}

static void
test_exit_update_one_thread (void)
{
  check_exit_update (1);
}

static void
test_exit_update_two_threads (void)
{
  check_exit_update (2);
}

/* Sums from the work slots (ML's gradient), object numerator only. */
static void
test_accumulate_from_work (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 2);
  PtlWaveBatch b = p.batch;
  b.waves = NULL;
  b.object_den = NULL;
  b.probe_den = NULL;
  g_assert_true (ptl_backend_overlap_accumulate (p.backend, &b, &error));
  g_assert_no_error (error);
  g_autofree dcomplex *object_num = g_new0 (dcomplex, ROWS * COLS);
  g_autofree dcomplex *probe_num = g_new0 (dcomplex, K * N);
  for (guint k = 0; k < COUNT; k++)
    {
      guint j = p.frames[FIRST + k];
      PtlPosition pos = p.pos[j];
      for (guint l = 0; l < K; l++)
        for (gsize i = 0; i < N; i++)
          {
            dcomplex w = p.work[(k * K + l) * N + i];
            object_num[(gsize) (pos.row + i / M) * COLS + pos.col + i % M]
              += conj (p.probe[l * N + i]) * w;
            probe_num[l * N + i] += conj (object_at (&p, p.object, j, i)) * w;
          }
    }
  g_autofree ptl_complex *got = g_new (ptl_complex, ROWS * COLS);
  download (p.backend, p.batch.object_num, got, ROWS * COLS * sizeof (ptl_complex));
  check_close (got, object_num, ROWS * COLS, 1e-6);
  download (p.backend, p.batch.probe_num, got, K * N * sizeof (ptl_complex));
  check_close (got, probe_num, K * N, 1e-6);
  problem_clear (&p);
}

/* Î, the residual factor and the cost of each frame, both noise models. */
static void
check_ml_residual (PtlNoiseModel model)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 2);
  g_assert_true (ptl_backend_ml_residual (p.backend, &p.batch, model, &error));
  g_assert_no_error (error);
  g_autofree dcomplex *want = g_new (dcomplex, COUNT * K * N);
  double cost[COUNT];
  for (guint k = 0; k < COUNT; k++)
    {
      guint j = p.frames[FIRST + k];
      double sum = 0, measured = 0;
      for (gsize i = 0; i < N; i++)
        {
          double model_i = 0, a = p.amp[j * N + i], obs = a * a, r;
          for (guint l = 0; l < K; l++)
            model_i += creal (p.work[(k * K + l) * N + i] * conj (p.work[(k * K + l) * N + i])) / N;
          if (model == PTL_NOISE_POISSON)
            {
              r = 1 - obs / (model_i + 1e-6);
              if (a >= 0)
                sum += model_i - obs - (obs > 0 ? obs * log ((model_i + 1e-6) / obs) : 0);
            }
          else
            {
              r = (model_i - obs) / (1 + obs);
              if (a >= 0)
                sum += (model_i - obs) * (model_i - obs) / (1 + obs);
            }
          measured += a >= 0;
          for (guint l = 0; l < K; l++)
            want[(k * K + l) * N + i] = (a >= 0 ? r : 0) * p.work[(k * K + l) * N + i] / N;
        }
      cost[k] = sum / measured;
    }
  g_autofree ptl_complex *got = g_new (ptl_complex, COUNT * K * N);
  float errors[FRAMES];
  download (p.backend, p.batch.work, got, COUNT * K * N * sizeof (ptl_complex));
  check_close (got, want, COUNT * K * N, 1e-5);
  download (p.backend, p.batch.errors, errors, sizeof errors);
  for (guint k = 0; k < COUNT; k++)
    g_assert_cmpfloat (fabs (errors[p.frames[FIRST + k]] - cost[k]), <, 1e-4 * MAX (1, cost[k]));
  problem_clear (&p);
}

static void
test_ml_residual_gaussian (void)
{
  check_ml_residual (PTL_NOISE_GAUSSIAN);
}

static void
test_ml_residual_poisson (void)
{
  check_ml_residual (PTL_NOISE_POISSON);
}

/* The line-search terms f, u, v and the quadratic coefficients built from them. */
static void
check_line_search (PtlNoiseModel model)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 2);
  g_assert_true (ptl_backend_ml_line_waves (p.backend, &p.batch, p.dir_object_buf,
                                            p.dir_probe_buf, &error));
  g_autofree ptl_complex *got = g_new (ptl_complex, 3 * COUNT * K * N);
  g_autofree dcomplex *want = g_new (dcomplex, 3 * COUNT * K * N);
  download (p.backend, p.batch.work, got, 3 * COUNT * K * N * sizeof (ptl_complex));
  for (guint k = 0; k < COUNT; k++)
    for (guint l = 0; l < K; l++)
      for (gsize i = 0; i < N; i++)
        {
          guint j = p.frames[FIRST + k];
          dcomplex pr = p.probe[l * N + i], o = object_at (&p, p.object, j, i);
          dcomplex hp = p.dir_probe[l * N + i], ho = object_at (&p, p.dir_object, j, i);
          want[(0 * COUNT * K) * N + (k * K + l) * N + i] = pr * o;
          want[(1 * COUNT * K) * N + (k * K + l) * N + i] = pr * ho + hp * o;
          want[(2 * COUNT * K) * N + (k * K + l) * N + i] = hp * ho;
        }
  check_close (got, want, 3 * COUNT * K * N, 1e-6);

  /* Coefficients of whatever spectra work holds now. */
  g_assert_true (ptl_backend_upload (p.backend, p.batch.work, 0, p.work, sizeof p.work, &error));
  PtlBuffer *coefficients = upload_new (p.backend, NULL, 3 * FRAMES * sizeof (float));
  g_assert_true (ptl_backend_ml_line_coefficients (p.backend, &p.batch, model, coefficients,
                                                   &error));
  g_assert_no_error (error);
  float c[3 * FRAMES];
  download (p.backend, coefficients, c, sizeof c);
  for (guint k = 0; k < COUNT; k++)
    {
      guint j = p.frames[FIRST + k];
      double b[3] = { 0, 0, 0 };
      for (gsize i = 0; i < N; i++)
        {
          double model_i = 0, a1 = 0, a2 = 0, a = p.amp[j * N + i], obs = a * a;
          for (guint l = 0; l < K; l++)
            {
              dcomplex f = p.work[(0 * COUNT * K + k * K + l) * N + i];
              dcomplex u = p.work[(1 * COUNT * K + k * K + l) * N + i];
              dcomplex v = p.work[(2 * COUNT * K + k * K + l) * N + i];
              model_i += creal (f * conj (f)) / N;
              a1 += 2 * creal (f * conj (u)) / N;
              a2 += (2 * creal (f * conj (v)) + creal (u * conj (u))) / N;
            }
          if (a < 0)
            continue;
          if (model == PTL_NOISE_POISSON)
            {
              double shifted = model_i + 1e-6, r = 1 - obs / shifted;
              b[0] += model_i - obs * log (shifted);
              b[1] += r * a1;
              b[2] += r * a2 + obs * a1 * a1 / (2 * shifted * shifted);
            }
          else
            {
              double w = 1 / (1 + obs), d = model_i - obs;
              b[0] += w * d * d;
              b[1] += 2 * w * d * a1;
              b[2] += w * (a1 * a1 + 2 * d * a2);
            }
        }
      for (guint t = 0; t < 3; t++)
        g_assert_cmpfloat (fabs (c[3 * j + t] - b[t]), <, 1e-3 * MAX (1, fabs (b[t])));
    }
  ptl_backend_buffer_free (p.backend, coefficients);
  problem_clear (&p);
}

static void
test_line_search_gaussian (void)
{
  check_line_search (PTL_NOISE_GAUSSIAN);
}

static void
test_line_search_poisson (void)
{
  check_line_search (PTL_NOISE_POISSON);
}

/* Fourier error of trial waves (indexed by slot) and the mixed-state Fourier constraint. */
static void
test_fourier_error_and_constraint (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 2);
  PtlBuffer *slot_errors = upload_new (p.backend, NULL, (FIRST + COUNT) * sizeof (float));
  PtlWaveBatch b = p.batch;
  b.errors = slot_errors;
  g_assert_true (ptl_backend_fourier_error (p.backend, &b, &error));
  g_assert_no_error (error);
  float errors[FIRST + COUNT];
  download (p.backend, slot_errors, errors, sizeof errors);

  g_autofree dcomplex *constrained = g_new (dcomplex, COUNT * K * N);
  for (guint k = 0; k < COUNT; k++)
    {
      guint j = p.frames[FIRST + k];
      double sum = 0, measured = 0;
      for (gsize i = 0; i < N; i++)
        {
          double intensity = 0, a = p.amp[j * N + i];
          for (guint l = 0; l < K; l++)
            intensity += creal (p.work[(k * K + l) * N + i] * conj (p.work[(k * K + l) * N + i]));
          double model = sqrt (intensity) / M; /* unitary */
          if (a >= 0)
            sum += (model - a) * (model - a), measured++;
          for (guint l = 0; l < K; l++)
            constrained[(k * K + l) * N + i]
              = p.work[(k * K + l) * N + i] * (a >= 0 ? a / (model * N) : 1.0 / N);
        }
      g_assert_cmpfloat (fabs (errors[FIRST + k] - sum / measured), <,
                         1e-4 * MAX (1, sum / measured));
    }

  /* The PIE constraint on the same waves: every mode scaled by one factor per pixel. */
  PtlPieBatch pie = {
    .object = p.batch.object, .canvas_rows = ROWS, .canvas_cols = COLS, .probe = p.batch.probe,
    .m = M, .exit = p.batch.work, .amplitudes = p.batch.amplitudes, .positions = p.batch.positions,
    .order = p.batch.frames, .first = FIRST, .count = COUNT,
    .errors = upload_new (p.backend, NULL, FRAMES * sizeof (float)),
    .scratch = upload_new (p.backend, NULL, 2 * COUNT * sizeof (float)), .n_modes = K,
  };
  g_assert_true (ptl_backend_fourier_constraint (p.backend, &pie, &error));
  g_autofree ptl_complex *got = g_new (ptl_complex, COUNT * K * N);
  download (p.backend, p.batch.work, got, COUNT * K * N * sizeof (ptl_complex));
  check_close (got, constrained, COUNT * K * N, 1e-5);
  ptl_backend_buffer_free (p.backend, pie.errors);
  ptl_backend_buffer_free (p.backend, pie.scratch);
  ptl_backend_buffer_free (p.backend, slot_errors);
  problem_clear (&p);
}

/* Mixed-state rPIE on one frame: the object step sums over modes, each mode its own step. */
/* The Fourier constraint with an amplitude tolerance, on one mode (the single-mode path)
 * and on K: a model amplitude A within the tolerance of the measured a is kept, one further
 * off moves to that distance, the modes sharing each pixel's factor; 0 is the exact
 * projection. Checked against a direct computation, with pixels on both sides of the
 * tolerance. */
static void
test_constraint_tolerance (void)
{
  static const guint mode_counts[] = { 1, K };
  static const float tolerances[] = { 0.0f, 0.25f };
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 2);
  for (guint mc = 0; mc < G_N_ELEMENTS (mode_counts); mc++)
    for (guint t = 0; t < G_N_ELEMENTS (tolerances); t++)
      {
        guint modes = mode_counts[mc];
        double tolerance = tolerances[t];
        guint kept = 0, moved = 0;
        g_autofree dcomplex *expected = g_new (dcomplex, COUNT * modes * N);
        for (guint k = 0; k < COUNT; k++)
          {
            guint j = p.frames[FIRST + k];
            for (gsize i = 0; i < N; i++)
              {
                double intensity = 0, a = p.amp[j * N + i], factor = 1.0 / N;
                for (guint l = 0; l < modes; l++)
                  intensity += creal (p.work[(k * modes + l) * N + i]
                                      * conj (p.work[(k * modes + l) * N + i]));
                double model = sqrt (intensity) / M;
                if (a >= 0)
                  {
                    double target = a + CLAMP (model - a, -tolerance, tolerance);
                    factor = target / (model * N);
                    kept += fabs (model - a) < tolerance;
                    moved += fabs (model - a) > tolerance;
                  }
                for (guint l = 0; l < modes; l++)
                  expected[(k * modes + l) * N + i] = p.work[(k * modes + l) * N + i] * factor;
              }
          }
        if (tolerance > 0)
          {
            g_assert_cmpuint (kept, >, 0);
            g_assert_cmpuint (moved, >, 0);
          }

        g_assert_true (ptl_backend_upload (p.backend, p.batch.work, 0, p.work, sizeof p.work,
                                           &error));
        PtlPieBatch pie = {
          .object = p.batch.object, .canvas_rows = ROWS, .canvas_cols = COLS,
          .probe = p.batch.probe, .m = M, .exit = p.batch.work, .amplitudes = p.batch.amplitudes,
          .positions = p.batch.positions, .order = p.batch.frames, .first = FIRST,
          .count = COUNT, .errors = p.batch.errors, .scratch = p.batch.object_den,
          .n_modes = modes, .amplitude_tolerance = tolerances[t],
        };
        g_assert_true (ptl_backend_fourier_constraint (p.backend, &pie, &error));
        g_assert_no_error (error);
        g_autofree ptl_complex *got = g_new (ptl_complex, COUNT * modes * N);
        download (p.backend, p.batch.work, got, COUNT * modes * N * sizeof (ptl_complex));
        check_close (got, expected, COUNT * modes * N, 1e-5);
      }
  problem_clear (&p);
}

static void
test_pie_update_modes (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;
  const float alpha = 0.3f, beta = 0.6f;

  problem_init (&p, 1);
  PtlBuffer *scratch = upload_new (p.backend, NULL, 2 * sizeof (float));
  PtlPieBatch pie = {
    .object = p.batch.object, .canvas_rows = ROWS, .canvas_cols = COLS, .probe = p.batch.probe,
    .m = M, .exit = p.batch.work, .amplitudes = p.batch.amplitudes, .positions = p.batch.positions,
    .order = p.batch.frames, .first = FIRST, .count = 1, .errors = p.batch.errors,
    .scratch = scratch, .variant = PTL_PIE_RPIE, .alpha = alpha, .beta = beta,
    .update_probe = TRUE, .n_modes = K,
  };
  /* The maxima exit_wave would give: Σ_l |P_l|² and |O_j|². */
  guint j = p.frames[FIRST];
  double max_p = 0, max_o = 0;
  for (gsize i = 0; i < N; i++)
    {
      double s = 0;
      for (guint l = 0; l < K; l++)
        s += creal (p.probe[l * N + i] * conj (p.probe[l * N + i]));
      dcomplex o = object_at (&p, p.object, j, i);
      max_p = MAX (max_p, s);
      max_o = MAX (max_o, creal (o * conj (o)));
    }
  float maxima[2] = { (float) max_p, (float) max_o };
  g_assert_true (ptl_backend_upload (p.backend, scratch, 0, maxima, sizeof maxima, &error));
  g_assert_true (ptl_backend_pie_update (p.backend, &pie, &error));
  g_assert_no_error (error);

  g_autofree dcomplex *object = g_new (dcomplex, ROWS * COLS);
  g_autofree dcomplex *probe = g_new (dcomplex, K * N);
  for (gsize i = 0; i < ROWS * COLS; i++)
    object[i] = p.object[i];
  for (gsize i = 0; i < N; i++)
    {
      dcomplex o = object_at (&p, p.object, j, i), num = 0;
      double s = 0;
      for (guint l = 0; l < K; l++)
        {
          dcomplex pr = p.probe[l * N + i];
          dcomplex delta = p.work[l * N + i] - pr * o;
          num += conj (pr) * delta;
          s += creal (pr * conj (pr));
          probe[l * N + i] = pr + conj (o) * delta
                                   / ((1 - beta) * creal (o * conj (o)) + beta * max_o);
        }
      PtlPosition pos = p.pos[j];
      object[(gsize) (pos.row + i / M) * COLS + pos.col + i % M]
        = o + num / ((1 - alpha) * s + alpha * max_p);
    }
  g_autofree ptl_complex *got = g_new (ptl_complex, ROWS * COLS);
  download (p.backend, p.batch.object, got, ROWS * COLS * sizeof (ptl_complex));
  check_close (got, object, ROWS * COLS, 1e-5);
  download (p.backend, p.batch.probe, got, K * N * sizeof (ptl_complex));
  check_close (got, probe, K * N, 1e-5);
  ptl_backend_buffer_free (p.backend, scratch);
  problem_clear (&p);
}

/* dot, axpby and momentum over a length that the pool splits. */
static void
test_vector_ops (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (PtlBackend) backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 2, &error);
  const gsize n = 100003;
  g_autofree ptl_complex *x = g_new (ptl_complex, n);
  g_autofree ptl_complex *y = g_new (ptl_complex, n);
  g_autofree ptl_complex *s = g_new (ptl_complex, n);
  g_autofree ptl_complex *got = g_new (ptl_complex, n);
  g_autofree dcomplex *want = g_new (dcomplex, n);

  fill_random (x, n, rand);
  fill_random (y, n, rand);
  fill_random (s, n, rand);
  PtlBuffer *xb = upload_new (backend, x, n * sizeof (ptl_complex));
  PtlBuffer *yb = upload_new (backend, y, n * sizeof (ptl_complex));
  PtlBuffer *sb = upload_new (backend, s, n * sizeof (ptl_complex));
  PtlBuffer *vb = upload_new (backend, NULL, n * sizeof (ptl_complex));
  PtlBuffer *result = upload_new (backend, NULL, 2 * sizeof (float));

  double dot = 0;
  for (gsize i = 0; i < n; i++)
    dot += creal (conj (x[i]) * y[i]);
  g_assert_true (ptl_backend_dot (backend, xb, yb, n, result, 1, &error));
  float r[2];
  download (backend, result, r, sizeof r);
  g_assert_cmpfloat (fabs (r[1] - dot), <, 1e-5 * fabs (dot) + 1e-3);

  g_assert_true (ptl_backend_axpby (backend, yb, xb, n, -1.5f, 0.25f, &error));
  for (gsize i = 0; i < n; i++)
    want[i] = -1.5 * x[i] + 0.25 * y[i];
  download (backend, yb, got, n * sizeof (ptl_complex));
  check_close (got, want, n, 1e-6);

  /* Two momentum steps: velocity from rest, then with friction. */
  g_assert_true (ptl_backend_momentum (backend, xb, sb, vb, n, 0.7f, 0.3f, &error));
  g_assert_true (ptl_backend_momentum (backend, xb, sb, vb, n, 0.7f, 0.3f, &error));
  for (gsize i = 0; i < n; i++)
    {
      dcomplex v = x[i] - s[i];
      dcomplex moved = x[i] + 0.3 * v;
      /* second step: x = snapshot = moved, so the change is 0 and only friction acts */
      v = 0.7 * v;
      want[i] = moved + 0.3 * v;
    }
  download (backend, xb, got, n * sizeof (ptl_complex));
  check_close (got, want, n, 1e-6);
  g_assert_no_error (error);

  PtlBuffer *buffers[] = { xb, yb, sb, vb, result };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (backend, buffers[i]);
}

/* Missing buffers and impossible batches are errors, not crashes. */
static void
test_bad_batches (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  problem_init (&p, 1);
  PtlWaveBatch b = p.batch;
  b.waves = NULL;
  g_assert_false (ptl_backend_exit_update (p.backend, &b, 0, 1, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_clear_error (&error);
  b = p.batch;
  b.n_modes = 0;
  g_assert_false (ptl_backend_overlap_accumulate (p.backend, &b, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  g_clear_error (&error);
  b = p.batch;
  b.count = FRAMES + 2; /* more slots than work holds */
  g_assert_false (ptl_backend_projection_input (p.backend, &b, 2.0f, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (ptl_backend_overlap_divide (p.backend, p.batch.object, p.batch.object_num,
                                              p.batch.probe_den, ROWS * COLS, 1, 1, 1, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  problem_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backend-waves/exit-update-1-thread", test_exit_update_one_thread);
  g_test_add_func ("/backend-waves/exit-update-2-threads", test_exit_update_two_threads);
  g_test_add_func ("/backend-waves/accumulate-from-work", test_accumulate_from_work);
  g_test_add_func ("/backend-waves/ml-residual-gaussian", test_ml_residual_gaussian);
  g_test_add_func ("/backend-waves/ml-residual-poisson", test_ml_residual_poisson);
  g_test_add_func ("/backend-waves/line-search-gaussian", test_line_search_gaussian);
  g_test_add_func ("/backend-waves/line-search-poisson", test_line_search_poisson);
  g_test_add_func ("/backend-waves/fourier-error-and-constraint",
                   test_fourier_error_and_constraint);
  g_test_add_func ("/backend-waves/constraint-tolerance", test_constraint_tolerance);
  g_test_add_func ("/backend-waves/pie-update-modes", test_pie_update_modes);
  g_test_add_func ("/backend-waves/vector-ops", test_vector_ops);
  g_test_add_func ("/backend-waves/bad-batches", test_bad_batches);
  return g_test_run ();
}
