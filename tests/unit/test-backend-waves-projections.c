/* The CPU backend's kernels for the projection algorithms on mixed states against direct
 * computations in double precision: difference map's Fourier input, exit update with the
 * overlap sums it gathers and object from its sums, on one and on two threads (the
 * canvas-band split); the Fourier error of trial waves and the Fourier constraint with and
 * without an amplitude tolerance; mixed-state rPIE on one frame; and batches that the
 * kernels must refuse. */
#include "config.h"

#include <math.h>

#include "core/ptl-error.h"
#include "recon/ptl-backend.h"
#include "test-backend-waves-common.h"

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

  test_waves_problem_init (&p, threads);
  g_assert_true (ptl_backend_projection_input (p.backend, &p.batch, c, &error));
  g_autofree ptl_complex *work = g_new (ptl_complex, COUNT * K * N);
  g_autofree dcomplex *want = g_new0 (dcomplex, FRAMES * K * N);
  test_waves_download (p.backend, p.batch.work, work, COUNT * K * N * sizeof (ptl_complex));
  for (guint k = 0; k < COUNT; k++)
    for (guint l = 0; l < K; l++)
      for (gsize i = 0; i < N; i++)
        {
          guint j = p.frames[FIRST + k];
          want[(k * K + l) * N + i]
            = c * p.probe[l * N + i] * test_waves_object_at (&p, p.object, j, i)
              + (1 - c) * p.waves[(j * K + l) * N + i];
        }
  test_waves_check_close (work, want, COUNT * K * N, 1e-6);

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
          dcomplex o = test_waves_object_at (&p, p.object, j, i);
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
  test_waves_download (p.backend, p.batch.waves, got, FRAMES * K * N * sizeof (ptl_complex));
  test_waves_check_close (got, waves, FRAMES * K * N, 1e-6);
  test_waves_download (p.backend, p.batch.object_num, got, ROWS * COLS * sizeof (ptl_complex));
  test_waves_check_close (got, object_num, ROWS * COLS, 1e-6);
  test_waves_download (p.backend, p.batch.object_den, got_real, ROWS * COLS * sizeof (float));
  check_close_real (got_real, object_den, ROWS * COLS, 1e-5);
  test_waves_download (p.backend, p.batch.probe_num, got, K * N * sizeof (ptl_complex));
  test_waves_check_close (got, probe_num, K * N, 1e-6);
  test_waves_download (p.backend, p.batch.probe_den, got_real, N * sizeof (float));
  check_close_real (got_real, probe_den, N, 1e-5);

  /* The object from its sums: (c·O + num) / (c + den), and the sums start again at 0. */
  const float inertia = 0.25f;
  g_assert_true (ptl_backend_overlap_divide (p.backend, p.batch.object, p.batch.object_num,
                                             p.batch.object_den, ROWS * COLS, 1, inertia, inertia,
                                             &error));
  g_autofree dcomplex *divided = g_new (dcomplex, ROWS * COLS);
  for (gsize i = 0; i < ROWS * COLS; i++)
    divided[i] = (inertia * p.object[i] + object_num[i]) / (inertia + object_den[i]);
  test_waves_download (p.backend, p.batch.object, got, ROWS * COLS * sizeof (ptl_complex));
  test_waves_check_close (got, divided, ROWS * COLS, 1e-6);
  test_waves_download (p.backend, p.batch.object_den, got_real, ROWS * COLS * sizeof (float));
  for (gsize i = 0; i < ROWS * COLS; i++)
    g_assert_cmpfloat (got_real[i], ==, 0.0f);
  test_waves_problem_clear (&p);
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

/* Fourier error of trial waves (indexed by slot) and the mixed-state Fourier constraint. */
static void
test_fourier_error_and_constraint (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  test_waves_problem_init (&p, 2);
  PtlBuffer *slot_errors =
    test_waves_upload_new (p.backend, NULL, (FIRST + COUNT) * sizeof (float));
  PtlWaveBatch b = p.batch;
  b.errors = slot_errors;
  g_assert_true (ptl_backend_fourier_error (p.backend, &b, &error));
  g_assert_no_error (error);
  float errors[FIRST + COUNT];
  test_waves_download (p.backend, slot_errors, errors, sizeof errors);

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
    .errors = test_waves_upload_new (p.backend, NULL, FRAMES * sizeof (float)),
    .scratch = test_waves_upload_new (p.backend, NULL, 2 * COUNT * sizeof (float)), .n_modes = K,
  };
  g_assert_true (ptl_backend_fourier_constraint (p.backend, &pie, &error));
  g_autofree ptl_complex *got = g_new (ptl_complex, COUNT * K * N);
  test_waves_download (p.backend, p.batch.work, got, COUNT * K * N * sizeof (ptl_complex));
  test_waves_check_close (got, constrained, COUNT * K * N, 1e-5);
  ptl_backend_buffer_free (p.backend, pie.errors);
  ptl_backend_buffer_free (p.backend, pie.scratch);
  ptl_backend_buffer_free (p.backend, slot_errors);
  test_waves_problem_clear (&p);
}

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

  test_waves_problem_init (&p, 2);
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
        test_waves_download (p.backend, p.batch.work, got,
                             COUNT * modes * N * sizeof (ptl_complex));
        test_waves_check_close (got, expected, COUNT * modes * N, 1e-5);
      }
  test_waves_problem_clear (&p);
}

/* Mixed-state rPIE on one frame: the object step sums over modes, each mode its own step. */
static void
test_pie_update_modes (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;
  const float alpha = 0.3f, beta = 0.6f;

  test_waves_problem_init (&p, 1);
  PtlBuffer *scratch = test_waves_upload_new (p.backend, NULL, 2 * sizeof (float));
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
      dcomplex o = test_waves_object_at (&p, p.object, j, i);
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
      dcomplex o = test_waves_object_at (&p, p.object, j, i), num = 0;
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
  test_waves_download (p.backend, p.batch.object, got, ROWS * COLS * sizeof (ptl_complex));
  test_waves_check_close (got, object, ROWS * COLS, 1e-5);
  test_waves_download (p.backend, p.batch.probe, got, K * N * sizeof (ptl_complex));
  test_waves_check_close (got, probe, K * N, 1e-5);
  ptl_backend_buffer_free (p.backend, scratch);
  test_waves_problem_clear (&p);
}

/* Missing buffers and impossible batches are errors, not crashes. */
static void
test_bad_batches (void)
{
  g_autoptr (GError) error = NULL;
  Problem p;

  test_waves_problem_init (&p, 1);
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
  test_waves_problem_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backend-waves/exit-update-1-thread", test_exit_update_one_thread);
  g_test_add_func ("/backend-waves/exit-update-2-threads", test_exit_update_two_threads);
  g_test_add_func ("/backend-waves/fourier-error-and-constraint",
                   test_fourier_error_and_constraint);
  g_test_add_func ("/backend-waves/constraint-tolerance", test_constraint_tolerance);
  g_test_add_func ("/backend-waves/pie-update-modes", test_pie_update_modes);
  g_test_add_func ("/backend-waves/bad-batches", test_bad_batches);
  return g_test_run ();
}
