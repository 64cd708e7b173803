/* The CPU backend's kernels for maximum likelihood on mixed states against direct
 * computations in double precision: the gradient sums, the residual and cost of each
 * frame and the line search for both noise models, and the vector operations of the
 * conjugate gradient over a length that the thread pool splits.
 * The projection algorithms' kernels: test-backend-waves-projections.c. */
#include "config.h"

#include <math.h>

#include "recon/ptl-backend.h"
#include "test-backend-waves-common.h"

/* Sums from the work slots (ML's gradient), object numerator only. */
static void
test_accumulate_from_work (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  test_waves_problem_init (&p, 2);
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
            probe_num[l * N + i] += conj (test_waves_object_at (&p, p.object, j, i)) * w;
          }
    }
  g_autofree ptl_complex *got = g_new (ptl_complex, ROWS * COLS);
  test_waves_download (p.backend, p.batch.object_num, got, ROWS * COLS * sizeof (ptl_complex));
  test_waves_check_close (got, object_num, ROWS * COLS, 1e-6);
  test_waves_download (p.backend, p.batch.probe_num, got, K * N * sizeof (ptl_complex));
  test_waves_check_close (got, probe_num, K * N, 1e-6);
  test_waves_problem_clear (&p);
}

/* Î, the residual factor and the cost of each frame, both noise models. */
static void
check_ml_residual (PtlNoiseModel model)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  test_waves_problem_init (&p, 2);
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
  test_waves_download (p.backend, p.batch.work, got, COUNT * K * N * sizeof (ptl_complex));
  test_waves_check_close (got, want, COUNT * K * N, 1e-5);
  test_waves_download (p.backend, p.batch.errors, errors, sizeof errors);
  for (guint k = 0; k < COUNT; k++)
    g_assert_cmpfloat (fabs (errors[p.frames[FIRST + k]] - cost[k]), <, 1e-4 * MAX (1, cost[k]));
  test_waves_problem_clear (&p);
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

  test_waves_problem_init (&p, 2);
  g_assert_true (ptl_backend_ml_line_waves (p.backend, &p.batch, p.dir_object_buf,
                                            p.dir_probe_buf, &error));
  g_autofree ptl_complex *got = g_new (ptl_complex, 3 * COUNT * K * N);
  g_autofree dcomplex *want = g_new (dcomplex, 3 * COUNT * K * N);
  test_waves_download (p.backend, p.batch.work, got, 3 * COUNT * K * N * sizeof (ptl_complex));
  for (guint k = 0; k < COUNT; k++)
    for (guint l = 0; l < K; l++)
      for (gsize i = 0; i < N; i++)
        {
          guint j = p.frames[FIRST + k];
          dcomplex pr = p.probe[l * N + i], o = test_waves_object_at (&p, p.object, j, i);
          dcomplex hp = p.dir_probe[l * N + i], ho = test_waves_object_at (&p, p.dir_object, j, i);
          want[(0 * COUNT * K) * N + (k * K + l) * N + i] = pr * o;
          want[(1 * COUNT * K) * N + (k * K + l) * N + i] = pr * ho + hp * o;
          want[(2 * COUNT * K) * N + (k * K + l) * N + i] = hp * ho;
        }
  test_waves_check_close (got, want, 3 * COUNT * K * N, 1e-6);

  /* Coefficients of whatever spectra work holds now. */
  g_assert_true (ptl_backend_upload (p.backend, p.batch.work, 0, p.work, sizeof p.work, &error));
  PtlBuffer *coefficients = test_waves_upload_new (p.backend, NULL, 3 * FRAMES * sizeof (float));
  g_assert_true (ptl_backend_ml_line_coefficients (p.backend, &p.batch, model, coefficients,
                                                   &error));
  g_assert_no_error (error);
  float c[3 * FRAMES];
  test_waves_download (p.backend, coefficients, c, sizeof c);
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
  test_waves_problem_clear (&p);
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

  test_waves_fill_random (x, n, rand);
  test_waves_fill_random (y, n, rand);
  test_waves_fill_random (s, n, rand);
  PtlBuffer *xb = test_waves_upload_new (backend, x, n * sizeof (ptl_complex));
  PtlBuffer *yb = test_waves_upload_new (backend, y, n * sizeof (ptl_complex));
  PtlBuffer *sb = test_waves_upload_new (backend, s, n * sizeof (ptl_complex));
  PtlBuffer *vb = test_waves_upload_new (backend, NULL, n * sizeof (ptl_complex));
  PtlBuffer *result = test_waves_upload_new (backend, NULL, 2 * sizeof (float));

  double dot = 0;
  for (gsize i = 0; i < n; i++)
    dot += creal (conj (x[i]) * y[i]);
  g_assert_true (ptl_backend_dot (backend, xb, yb, n, result, 1, &error));
  float r[2];
  test_waves_download (backend, result, r, sizeof r);
  g_assert_cmpfloat (fabs (r[1] - dot), <, 1e-5 * fabs (dot) + 1e-3);

  g_assert_true (ptl_backend_axpby (backend, yb, xb, n, -1.5f, 0.25f, &error));
  for (gsize i = 0; i < n; i++)
    want[i] = -1.5 * x[i] + 0.25 * y[i];
  test_waves_download (backend, yb, got, n * sizeof (ptl_complex));
  test_waves_check_close (got, want, n, 1e-6);

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
  test_waves_download (backend, xb, got, n * sizeof (ptl_complex));
  test_waves_check_close (got, want, n, 1e-6);
  g_assert_no_error (error);

  PtlBuffer *buffers[] = { xb, yb, sb, vb, result };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (backend, buffers[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backend-waves/accumulate-from-work", test_accumulate_from_work);
  g_test_add_func ("/backend-waves/ml-residual-gaussian", test_ml_residual_gaussian);
  g_test_add_func ("/backend-waves/ml-residual-poisson", test_ml_residual_poisson);
  g_test_add_func ("/backend-waves/line-search-gaussian", test_line_search_gaussian);
  g_test_add_func ("/backend-waves/line-search-poisson", test_line_search_poisson);
  g_test_add_func ("/backend-waves/vector-ops", test_vector_ops);
  return g_test_run ();
}
