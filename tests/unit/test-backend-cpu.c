/* The CPU backend against direct computations in double precision. */
#include "config.h"

#include <math.h>

#include "core/ptl-error.h"
#include "recon/ptl-backend.h"

typedef double _Complex dcomplex;

static PtlBackend *
cpu_backend (void)
{
  g_autoptr (GError) error = NULL;
  PtlBackend *backend = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ptl_backend_name (backend), ==, "cpu");
  return backend;
}

static void
fill_random (ptl_complex *z,
             gsize        n,
             GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = (float) g_rand_double_range (rand, -1, 1) + I * (float) g_rand_double_range (rand, -1, 1);
}

static PtlBuffer *
upload_new (PtlBackend *backend,
            const void *data,
            gsize       bytes)
{
  g_autoptr (GError) error = NULL;
  PtlBuffer *buffer = ptl_backend_alloc (backend, bytes, &error);
  g_assert_no_error (error);
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
  g_assert_no_error (error);
}

static double
rel_error (const ptl_complex *a,
           const dcomplex    *b,
           gsize              n)
{
  double num = 0, den = 0;
  for (gsize i = 0; i < n; i++)
    {
      num += pow (cabs (a[i] - b[i]), 2);
      den += pow (cabs (b[i]), 2);
    }
  return sqrt (num / den);
}

static void
direct_dft (const ptl_complex *in,
            dcomplex          *out,
            guint              rows,
            guint              cols,
            int                sign)
{
  for (guint kr = 0; kr < rows; kr++)
    for (guint kc = 0; kc < cols; kc++)
      {
        dcomplex sum = 0;
        for (guint r = 0; r < rows; r++)
          for (guint c = 0; c < cols; c++)
            sum += in[r * cols + c]
                   * cexp (sign * 2 * G_PI * I * ((double) kr * r / rows + (double) kc * c / cols));
        out[kr * cols + kc] = sum;
      }
}

static void
test_fft_against_direct_dft (void)
{
  g_autoptr (PtlBackend) backend = cpu_backend ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GError) error = NULL;
  const guint rows = 8, cols = 12, n = rows * cols;
  ptl_complex in[96], out[96];
  dcomplex expected[96];

  fill_random (in, n, rand);
  for (int sign = -1; sign <= 1; sign += 2)
    {
      PtlBuffer *buf = upload_new (backend, in, sizeof in);
      PtlFftPlan *plan = ptl_backend_fft_plan (backend, rows, cols, 1, &error);
      g_assert_no_error (error);
      g_assert_true (ptl_backend_fft_execute (backend, plan, buf, 0, sign, &error));
      download (backend, buf, out, sizeof out);
      direct_dft (in, expected, rows, cols, sign);
      g_assert_cmpfloat (rel_error (out, expected, n), <, 1e-6);
      ptl_backend_fft_plan_free (backend, plan);
      ptl_backend_buffer_free (backend, buf);
    }
}

static void
test_fft_round_trip_and_unitarity (void)
{
  g_autoptr (PtlBackend) backend = cpu_backend ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GError) error = NULL;
  const guint m = 64, batch = 3;
  gsize n = (gsize) m * m * batch;
  g_autoptr (PtlArray) in = ptl_array_new_3d (PTL_DTYPE_COMPLEX, batch, m, m);
  g_autoptr (PtlArray) out = ptl_array_new_3d (PTL_DTYPE_COMPLEX, batch, m, m);
  ptl_complex *x = ptl_array_complex (in), *y = ptl_array_complex (out);

  fill_random (x, n, rand);
  PtlBuffer *buf = upload_new (backend, x, n * sizeof (ptl_complex));
  PtlFftPlan *plan = ptl_backend_fft_plan (backend, m, m, batch, &error);
  g_assert_no_error (error);

  /* Unitary forward: Σ|Ψ|² = Σ|ψ|² frame by frame. */
  g_assert_true (ptl_backend_fft_execute (backend, plan, buf, 0, PTL_FFT_FORWARD, &error));
  g_assert_true (ptl_backend_scale (backend, buf, 0, n, 1.0f / m, &error));
  download (backend, buf, y, n * sizeof (ptl_complex));
  for (guint b = 0; b < batch; b++)
    {
      double p_in = 0, p_out = 0;
      for (gsize i = b * m * m; i < (b + 1) * m * m; i++)
        {
          p_in += pow (cabsf (x[i]), 2);
          p_out += pow (cabsf (y[i]), 2);
        }
      g_assert_cmpfloat_with_epsilon (p_out / p_in, 1.0, 1e-5);
    }

  /* Backward with the other 1/M returns the input. */
  g_assert_true (ptl_backend_fft_execute (backend, plan, buf, 0, PTL_FFT_BACKWARD, &error));
  g_assert_true (ptl_backend_scale (backend, buf, 0, n, 1.0f / m, &error));
  download (backend, buf, y, n * sizeof (ptl_complex));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (cabsf (y[i] - x[i]), <, 1e-5);

  /* A batch is the same as its frames one by one. */
  PtlFftPlan *single = ptl_backend_fft_plan (backend, m, m, 1, &error);
  g_assert_true (ptl_backend_upload (backend, buf, 0, x, n * sizeof (ptl_complex), &error));
  g_assert_true (ptl_backend_fft_execute (backend, plan, buf, 0, PTL_FFT_FORWARD, &error));
  download (backend, buf, y, n * sizeof (ptl_complex));
  PtlBuffer *one = upload_new (backend, x + m * m, (gsize) m * m * sizeof (ptl_complex));
  g_autoptr (PtlArray) frame = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  g_assert_true (ptl_backend_fft_execute (backend, single, one, 0, PTL_FFT_FORWARD, &error));
  download (backend, one, frame->data, ptl_array_bytes (frame));
  for (gsize i = 0; i < (gsize) m * m; i++)
    g_assert_cmpfloat (cabsf (ptl_array_complex (frame)[i] - y[m * m + i]), <, 1e-4);

  /* The plan checks the buffer: a batch of 3 does not fit in one frame. */
  g_assert_false (ptl_backend_fft_execute (backend, plan, one, 0, PTL_FFT_FORWARD, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);

  ptl_backend_fft_plan_free (backend, plan);
  ptl_backend_fft_plan_free (backend, single);
  ptl_backend_buffer_free (backend, buf);
  ptl_backend_buffer_free (backend, one);
}

/* A small PIE problem on the backend: canvas, probe, two frames, amplitudes with a mask. */
typedef struct
{
  PtlBackend  *backend;
  guint        m, rows, cols, n_frames;
  ptl_complex *object, *probe, *exit;
  float       *amp;
  PtlPosition  pos[2];
  guint32      order[2];
  PtlPieBatch  batch;
} Problem;

static void
problem_init (Problem *p,
              guint    count)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  gsize n;

  p->backend = cpu_backend ();
  p->m = 8;
  p->rows = 14;
  p->cols = 17;
  p->n_frames = 2;
  n = (gsize) p->m * p->m;
  p->object = g_new (ptl_complex, p->rows * p->cols);
  p->probe = g_new (ptl_complex, n);
  p->exit = g_new (ptl_complex, count * n);
  p->amp = g_new (float, p->n_frames * n);
  fill_random (p->object, p->rows * p->cols, rand);
  fill_random (p->probe, n, rand);
  fill_random (p->exit, count * n, rand);
  for (gsize i = 0; i < p->n_frames * n; i++)
    p->amp[i] = i % 7 == 3 ? -1.0f : (float) g_rand_double_range (rand, 0, 3);
  p->pos[0] = (PtlPosition) { 2, 3 };
  p->pos[1] = (PtlPosition) { 5, 6 }; /* overlaps frame 0 */
  p->order[0] = 1;
  p->order[1] = 0;

  p->batch = (PtlPieBatch) {
    .object = upload_new (p->backend, p->object, p->rows * p->cols * sizeof (ptl_complex)),
    .canvas_rows = p->rows,
    .canvas_cols = p->cols,
    .probe = upload_new (p->backend, p->probe, n * sizeof (ptl_complex)),
    .m = p->m,
    .exit = upload_new (p->backend, p->exit, count * n * sizeof (ptl_complex)),
    .amplitudes = upload_new (p->backend, p->amp, p->n_frames * n * sizeof (float)),
    .positions = upload_new (p->backend, p->pos, sizeof p->pos),
    .order = upload_new (p->backend, p->order, sizeof p->order),
    .first = 0,
    .count = count,
    .errors = ptl_backend_alloc (p->backend, p->n_frames * sizeof (float), NULL),
    .scratch = ptl_backend_alloc (p->backend, 2 * count * sizeof (float), NULL),
    .alpha = 0.3f,
    .beta = 0.6f,
  };
}

static void
problem_clear (Problem *p)
{
  PtlBuffer *buffers[] = { p->batch.object, p->batch.probe, p->batch.exit, p->batch.amplitudes,
                           p->batch.positions, p->batch.order, p->batch.errors, p->batch.scratch };
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    ptl_backend_buffer_free (p->backend, buffers[i]);
  ptl_backend_free (p->backend);
  g_free (p->object);
  g_free (p->probe);
  g_free (p->exit);
  g_free (p->amp);
}

static void
test_exit_wave (void)
{
  Problem p;
  g_autoptr (GError) error = NULL;

  problem_init (&p, 2);
  g_assert_true (ptl_backend_exit_wave (p.backend, &p.batch, &error));
  g_autofree ptl_complex *exit = g_new (ptl_complex, 2 * 64);
  float scratch[4];
  download (p.backend, p.batch.exit, exit, 2 * 64 * sizeof (ptl_complex));
  download (p.backend, p.batch.scratch, scratch, sizeof scratch);

  for (guint k = 0; k < 2; k++)
    {
      PtlPosition pos = p.pos[p.order[k]];
      double max_p = 0, max_o = 0;
      for (guint r = 0; r < 8; r++)
        for (guint c = 0; c < 8; c++)
          {
            ptl_complex o = p.object[(pos.row + r) * p.cols + pos.col + c];
            ptl_complex pr = p.probe[r * 8 + c];
            g_assert_cmpfloat (cabsf (exit[k * 64 + r * 8 + c] - pr * o), <, 1e-6);
            max_p = MAX (max_p, pow (cabsf (pr), 2));
            max_o = MAX (max_o, pow (cabsf (o), 2));
          }
      g_assert_cmpfloat_with_epsilon (scratch[2 * k], max_p, 1e-5);
      g_assert_cmpfloat_with_epsilon (scratch[2 * k + 1], max_o, 1e-5);
    }
  problem_clear (&p);
}

static void
test_fourier_constraint (void)
{
  Problem p;
  g_autoptr (GError) error = NULL;
  const double m = 8, n = 64;

  problem_init (&p, 2);
  g_assert_true (ptl_backend_fourier_constraint (p.backend, &p.batch, &error));
  g_autofree ptl_complex *out = g_new (ptl_complex, 2 * 64);
  float errors[2];
  download (p.backend, p.batch.exit, out, 2 * 64 * sizeof (ptl_complex));
  download (p.backend, p.batch.errors, errors, sizeof errors);

  for (guint k = 0; k < 2; k++)
    {
      guint frame = p.order[k];
      double err = 0;
      guint measured = 0;
      for (guint i = 0; i < 64; i++)
        {
          dcomplex psi = p.exit[k * 64 + i];
          double a = p.amp[frame * 64 + i];
          /* The unitary spectrum is psi/M; the corrected one goes back through an
           * unnormalised inverse FFT, which multiplies by N, hence the 1/N. */
          dcomplex expected = a >= 0 ? psi / cabs (psi) * a * m / n : psi / n;
          g_assert_cmpfloat (cabs (out[k * 64 + i] - expected), <, 1e-5 * (1 + cabs (expected)));
          if (a >= 0)
            {
              err += pow (cabs (psi) / m - a, 2);
              measured++;
            }
        }
      g_assert_cmpfloat_with_epsilon (errors[frame], err / measured, 1e-4 * err / measured);
    }
  problem_clear (&p);
}

static void
check_pie_update (PtlPieVariant variant,
                  gboolean      update_probe)
{
  Problem p;
  g_autoptr (GError) error = NULL;

  problem_init (&p, 1);
  p.batch.variant = variant;
  p.batch.update_probe = update_probe;
  /* scratch from the exit-wave kernel, then the update with the random "corrected" wave. */
  g_assert_true (ptl_backend_exit_wave (p.backend, &p.batch, &error));
  g_assert_true (ptl_backend_upload (p.backend, p.batch.exit, 0, p.exit, 64 * sizeof (ptl_complex),
                                     &error));
  g_assert_true (ptl_backend_pie_update (p.backend, &p.batch, &error));

  g_autofree ptl_complex *object = g_new (ptl_complex, p.rows * p.cols);
  ptl_complex probe[64];
  download (p.backend, p.batch.object, object, p.rows * p.cols * sizeof (ptl_complex));
  download (p.backend, p.batch.probe, probe, sizeof probe);

  PtlPosition pos = p.pos[p.order[0]];
  double max_p = 0, max_o = 0;
  for (guint r = 0; r < 8; r++)
    for (guint c = 0; c < 8; c++)
      {
        max_p = MAX (max_p, pow (cabsf (p.probe[r * 8 + c]), 2));
        max_o = MAX (max_o, pow (cabsf (p.object[(pos.row + r) * p.cols + pos.col + c]), 2));
      }
  double alpha = p.batch.alpha, beta = p.batch.beta;
  for (guint r = 0; r < p.rows; r++)
    for (guint c = 0; c < p.cols; c++)
      {
        dcomplex o = p.object[r * p.cols + c];
        dcomplex expected = o;
        gboolean inside = r >= (guint) pos.row && r < (guint) pos.row + 8 && c >= (guint) pos.col
                          && c < (guint) pos.col + 8;
        if (inside)
          {
            guint i = (r - pos.row) * 8 + (c - pos.col);
            dcomplex pr = p.probe[i], delta = p.exit[i] - pr * o;
            double w = variant == PTL_PIE_EPIE
                         ? alpha / max_p
                         : 1.0 / ((1 - alpha) * pow (cabs (pr), 2) + alpha * max_p);
            expected = o + conj (pr) * delta * w;
            double wp = variant == PTL_PIE_EPIE
                          ? beta / max_o
                          : 1.0 / ((1 - beta) * pow (cabs (o), 2) + beta * max_o);
            dcomplex expected_p = update_probe ? pr + conj (o) * delta * wp : pr;
            g_assert_cmpfloat (cabs (probe[i] - expected_p), <, 1e-5 * (1 + cabs (expected_p)));
          }
        g_assert_cmpfloat (cabs (object[r * p.cols + c] - expected), <,
                           1e-5 * (1 + cabs (expected)));
      }
  problem_clear (&p);
}

static void
test_pie_update (void)
{
  check_pie_update (PTL_PIE_EPIE, TRUE);
  check_pie_update (PTL_PIE_EPIE, FALSE);
  check_pie_update (PTL_PIE_RPIE, TRUE);
  check_pie_update (PTL_PIE_RPIE, FALSE);
}

static void
test_bounds_checked (void)
{
  Problem p;
  g_autoptr (GError) error = NULL;
  char bytes[64] = { 0 };

  problem_init (&p, 2);
  g_assert_false (ptl_backend_upload (p.backend, p.batch.scratch, 8, bytes, sizeof bytes, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);

  p.batch.count = 3; /* exit waves and order hold two */
  g_assert_false (ptl_backend_exit_wave (p.backend, &p.batch, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_error (&error);

  p.batch.count = 2;
  p.batch.canvas_rows = 4; /* smaller than a frame */
  g_assert_false (ptl_backend_pie_update (p.backend, &p.batch, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY);
  problem_clear (&p);
}

static void
test_selection (void)
{
  g_autoptr (GError) error = NULL;
  PtlBackendKind kind;

  g_assert_true (ptl_backend_kind_from_string ("CUDA", &kind, &error));
  g_assert_cmpint (kind, ==, PTL_BACKEND_CUDA);
  g_assert_false (ptl_backend_kind_from_string ("opencl", &kind, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID);
  g_clear_error (&error);

  /* auto always yields a working backend; cuda either works or says why it is unavailable. */
  g_autoptr (PtlBackend) any = ptl_backend_new (PTL_BACKEND_AUTO, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ptl_backend_description (any));
  g_autoptr (PtlBackend) cuda = ptl_backend_new (PTL_BACKEND_CUDA, 0, 0, &error);
  if (cuda == NULL)
    g_assert_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE);
  else
    g_assert_cmpstr (ptl_backend_name (cuda), ==, "cuda");
}

/* The CPU backend keeps nothing on a device: its snapshots reach the views through the
 * host, and asking for a device image says so instead of pretending. */
static void
test_no_device_image (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlBackend) cpu = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  PtlBuffer *buffer = ptl_backend_alloc (cpu, 64, &error);

  g_assert_no_error (error);
  g_assert_null (ptl_backend_device_image (cpu, buffer, 0, 64, &error));
  g_assert_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE);
  ptl_backend_buffer_free (cpu, buffer);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backend-cpu/fft-direct-dft", test_fft_against_direct_dft);
  g_test_add_func ("/backend-cpu/fft-round-trip-unitarity", test_fft_round_trip_and_unitarity);
  g_test_add_func ("/backend-cpu/exit-wave", test_exit_wave);
  g_test_add_func ("/backend-cpu/fourier-constraint", test_fourier_constraint);
  g_test_add_func ("/backend-cpu/pie-update", test_pie_update);
  g_test_add_func ("/backend-cpu/bounds", test_bounds_checked);
  g_test_add_func ("/backend-cpu/selection", test_selection);
  g_test_add_func ("/backend-cpu/no-device-image", test_no_device_image);
  return g_test_run ();
}
