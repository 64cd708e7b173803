/* The CUDA backend against the CPU one for the batched engines' kernels (DM/AP/RAAR, ML,
 * position refinement) and the whole-array ops, on the same seeded random inputs with K
 * probe modes, overlapping windows, masked pixels and batches that do not start at the
 * first frame. Skipped (77) without a CUDA device. */
#include "config.h"

#include <string.h>

#include "ptl-parity.h"

static PtlBackend *cpu_backend;
static PtlBackend *cuda_backend;

typedef enum
{
  B_OBJECT,
  B_PROBE,
  B_POSITIONS,
  B_FRAMES,
  B_WORK,
  B_WAVES,
  B_AMPLITUDES,
  B_ERRORS,
  B_OBJECT_NUM,
  B_OBJECT_DEN,
  B_PROBE_NUM,
  B_PROBE_DEN,
  B_OBJECT_DIR,
  B_PROBE_DIR,
  B_COEFFICIENTS,
  N_BUFFERS
} Buf;

static const char *const buffer_names[N_BUFFERS] = {
  "object", "probe", "positions", "frames", "work", "waves", "amplitudes", "errors",
  "object numerator", "object denominator", "probe numerator", "probe denominator",
  "object direction", "probe direction", "coefficients",
};

/* Host copies of the arrays of one PtlWaveBatch; host[b] == NULL: the op gets NULL. */
typedef struct
{
  guint    m, modes, canvas_rows, canvas_cols, n_frames, first, count;
  gsize    bytes[N_BUFFERS];
  gpointer host[N_BUFFERS];
} Waves;

static void
waves_free (Waves *w)
{
  for (Buf b = 0; b < N_BUFFERS; b++)
    g_free (w->host[b]);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Waves, waves_free)

/* Random inputs: a unit-modulus-ish object, probe modes, windows anywhere on a
 * non-square canvas (so that many overlap), a shuffled frame order, and every buffer of
 * the batch filled; `work_sets` sets of work ([count][K][m][m] each). */
static Waves *
waves_new (guint  m,
           guint  modes,
           guint  count,
           guint  work_sets,
           GRand *rand)
{
  Waves *w = g_new0 (Waves, 1);
  gsize n = (gsize) m * m, canvas;

  w->m = m;
  w->modes = modes;
  w->canvas_rows = 2 * m + 5;
  w->canvas_cols = 3 * m - 7;
  w->n_frames = count + 3;
  w->first = 2;
  w->count = count;
  canvas = (gsize) w->canvas_rows * w->canvas_cols;
  w->bytes[B_OBJECT] = canvas * sizeof (ptl_complex);
  w->bytes[B_OBJECT_NUM] = w->bytes[B_OBJECT_DIR] = w->bytes[B_OBJECT];
  w->bytes[B_OBJECT_DEN] = canvas * sizeof (float);
  w->bytes[B_PROBE] = modes * n * sizeof (ptl_complex);
  w->bytes[B_PROBE_NUM] = w->bytes[B_PROBE_DIR] = w->bytes[B_PROBE];
  w->bytes[B_PROBE_DEN] = n * sizeof (float);
  w->bytes[B_POSITIONS] = w->n_frames * sizeof (PtlPosition);
  w->bytes[B_FRAMES] = w->n_frames * sizeof (guint32);
  w->bytes[B_WORK] = work_sets * (gsize) count * modes * n * sizeof (ptl_complex);
  w->bytes[B_WAVES] = w->n_frames * modes * n * sizeof (ptl_complex);
  w->bytes[B_AMPLITUDES] = w->n_frames * n * sizeof (float);
  w->bytes[B_ERRORS] = w->n_frames * sizeof (float);
  w->bytes[B_COEFFICIENTS] = 3 * w->n_frames * sizeof (float);
  for (Buf b = 0; b < N_BUFFERS; b++)
    w->host[b] = g_malloc0 (w->bytes[b]);

  ptl_parity_fill_object (w->host[B_OBJECT], canvas, rand);
  ptl_parity_fill_complex (w->host[B_PROBE], modes * n, 2.0f, rand);
  ptl_parity_fill_complex (w->host[B_OBJECT_DIR], canvas, 0.3f, rand);
  ptl_parity_fill_complex (w->host[B_PROBE_DIR], modes * n, 0.5f, rand);
  ptl_parity_fill_complex (w->host[B_WAVES], w->n_frames * modes * n, 2.0f, rand);
  /* Fourier-space work of unitary modulus ~1: |Ψ_u| ~ m. */
  ptl_parity_fill_complex (w->host[B_WORK], w->bytes[B_WORK] / sizeof (ptl_complex), m, rand);
  ptl_parity_fill_amplitudes (w->host[B_AMPLITUDES], w->n_frames * n, 2.0f, 0.1, rand);
  /* Some exact zeros: the Poisson terms have a branch for them. */
  for (gsize i = 0; i < w->n_frames * n; i += 17)
    ((float *) w->host[B_AMPLITUDES])[i] = 0.0f;
  /* Accumulators hold earlier sums: the ops add to them. */
  ptl_parity_fill_complex (w->host[B_OBJECT_NUM], canvas, 1.0f, rand);
  ptl_parity_fill_complex (w->host[B_PROBE_NUM], modes * n, 1.0f, rand);
  for (gsize i = 0; i < canvas; i++)
    ((float *) w->host[B_OBJECT_DEN])[i] = (float) g_rand_double (rand);
  for (gsize i = 0; i < n; i++)
    ((float *) w->host[B_PROBE_DEN])[i] = (float) g_rand_double (rand);

  PtlPosition *positions = w->host[B_POSITIONS];
  guint32 *frames = w->host[B_FRAMES];
  for (guint j = 0; j < w->n_frames; j++)
    {
      positions[j].row = g_rand_int_range (rand, 0, (gint32) (w->canvas_rows - m + 1));
      positions[j].col = g_rand_int_range (rand, 0, (gint32) (w->canvas_cols - m + 1));
      frames[j] = j;
    }
  for (guint j = w->n_frames - 1; j > 0; j--)
    {
      guint i = g_rand_int_range (rand, 0, (gint32) j + 1);
      guint32 t = frames[i];
      frames[i] = frames[j];
      frames[j] = t;
    }
  for (guint j = 0; j < w->n_frames; j++)
    ((float *) w->host[B_ERRORS])[j] = -1.0f; /* frames outside the batch keep this */
  return w;
}

static Waves *
waves_copy (const Waves *w)
{
  Waves *copy = g_memdup2 (w, sizeof (Waves));

  for (Buf b = 0; b < N_BUFFERS; b++)
    copy->host[b] = w->host[b] ? g_memdup2 (w->host[b], w->bytes[b]) : NULL;
  return copy;
}

/* Leaves out of the batch the buffers the case wants NULL. */
static void
waves_drop (Waves *w,
            Buf    b)
{
  g_clear_pointer (&w->host[b], g_free);
}

typedef void (*WaveOp) (PtlBackend         *backend,
                        const PtlWaveBatch *batch,
                        PtlBuffer         **buffers,
                        gconstpointer       data,
                        GError            **error);

/* Uploads `input`, runs `op` on one batch naming every buffer it has, and reads every
 * buffer back: the one path both backends take. */
static Waves *
run_on (PtlBackend   *backend,
        const Waves  *input,
        WaveOp        op,
        gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  Waves *output = waves_copy (input);
  PtlBuffer *buffers[N_BUFFERS] = { NULL };

  for (Buf b = 0; b < N_BUFFERS; b++)
    if (input->host[b] != NULL)
      {
        buffers[b] = ptl_backend_alloc (backend, input->bytes[b], &error);
        g_assert_no_error (error);
        g_assert_true (ptl_backend_upload (backend, buffers[b], 0, input->host[b],
                                           input->bytes[b], &error));
      }

  PtlWaveBatch batch = {
    .object = buffers[B_OBJECT],
    .canvas_rows = input->canvas_rows,
    .canvas_cols = input->canvas_cols,
    .probe = buffers[B_PROBE],
    .m = input->m,
    .n_modes = input->modes,
    .positions = buffers[B_POSITIONS],
    .frames = buffers[B_FRAMES],
    .first = input->first,
    .count = input->count,
    .work = buffers[B_WORK],
    .waves = buffers[B_WAVES],
    .amplitudes = buffers[B_AMPLITUDES],
    .errors = buffers[B_ERRORS],
    .object_num = buffers[B_OBJECT_NUM],
    .object_den = buffers[B_OBJECT_DEN],
    .probe_num = buffers[B_PROBE_NUM],
    .probe_den = buffers[B_PROBE_DEN],
  };
  op (backend, &batch, buffers, data, &error);
  g_assert_no_error (error);
  g_assert_true (ptl_backend_synchronize (backend, &error));

  for (Buf b = 0; b < N_BUFFERS; b++)
    if (buffers[b] != NULL)
      {
        g_assert_true (ptl_backend_download (backend, buffers[b], 0, output->host[b],
                                             output->bytes[b], &error));
        g_assert_no_error (error);
        ptl_backend_buffer_free (backend, buffers[b]);
      }
  return output;
}

/* Runs `op` on both backends and compares the buffers listed (ending with N_BUFFERS),
 * each of which the op must have changed. */
static void
check_op (const Waves  *input,
          WaveOp        op,
          gconstpointer data,
          double        tolerance,
          ...)
{
  g_autoptr (Waves) cpu = run_on (cpu_backend, input, op, data);
  g_autoptr (Waves) cuda = run_on (cuda_backend, input, op, data);
  va_list list;

  va_start (list, tolerance);
  for (Buf b = va_arg (list, Buf); b != N_BUFFERS; b = va_arg (list, Buf))
    {
      gsize floats = input->bytes[b] / sizeof (float);
      ptl_parity_check_changed (buffer_names[b], cpu->host[b], input->host[b], floats);
      ptl_parity_check (buffer_names[b], cuda->host[b], cpu->host[b], floats, tolerance);
    }
  va_end (list);
  /* Buffers an op only reads stay as they were on the device. */
  g_assert_cmpmem (cuda->host[B_OBJECT], input->bytes[B_OBJECT], cpu->host[B_OBJECT],
                   input->bytes[B_OBJECT]);
  g_assert_cmpmem (cuda->host[B_PROBE], input->bytes[B_PROBE], cpu->host[B_PROBE],
                   input->bytes[B_PROBE]);
}

/* Case: K modes, and for the ops with variants a number (c, a noise model, …). */
typedef struct
{
  guint modes;
  int   variant;
} Case;

#define CASE_PATH(prefix, c)                                                   \
  g_strdup_printf ("/cuda/waves/%s/%d/K%u", prefix, (c)->variant, (c)->modes)

/* projection_input: c = 1 (AP, waves not read) and c = 2 (DM, RAAR). */

static void
op_projection_input (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                     gconstpointer data, GError **error)
{
  ptl_backend_projection_input (backend, b, (float) ((const Case *) data)->variant, error);
}

static void
test_projection_input (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (41 + c->modes);
  g_autoptr (Waves) input = waves_new (32, c->modes, 6, 1, rand);

  if (c->variant == 1)
    waves_drop (input, B_WAVES);
  check_op (input, op_projection_input, c, 1e-6, B_WORK, N_BUFFERS);
}

/* exit_update with DM's a = −1, b = 1: without accumulators (variant 0), with the object's
 * (1), and with the object's and the probe's (2). */

static void
op_exit_update (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                gconstpointer data, GError **error)
{
  ptl_backend_exit_update (backend, b, -1.0f, 1.0f, error);
}

static void
test_exit_update (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (43 + c->modes);
  g_autoptr (Waves) input = waves_new (32, c->modes, 7, 1, rand);

  if (c->variant < 2)
    {
      waves_drop (input, B_PROBE_NUM);
      waves_drop (input, B_PROBE_DEN);
    }
  if (c->variant == 0)
    {
      waves_drop (input, B_OBJECT_NUM);
      waves_drop (input, B_OBJECT_DEN);
      check_op (input, op_exit_update, c, 1e-6, B_WAVES, N_BUFFERS);
    }
  else if (c->variant == 1)
    check_op (input, op_exit_update, c, 1e-5, B_WAVES, B_OBJECT_NUM, B_OBJECT_DEN, N_BUFFERS);
  else
    check_op (input, op_exit_update, c, 1e-5, B_WAVES, B_OBJECT_NUM, B_OBJECT_DEN, B_PROBE_NUM,
              B_PROBE_DEN, N_BUFFERS);
}

/* overlap_accumulate from the stored waves (variant 0) or from work (1), over more slots
 * than one chunk of the probe gathering, with every window overlapping others. */

static void
op_overlap_accumulate (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                       gconstpointer data, GError **error)
{
  ptl_backend_overlap_accumulate (backend, b, error);
}

static void
test_overlap_accumulate (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (47 + c->modes);
  g_autoptr (Waves) input = waves_new (32, c->modes, 40, 1, rand);

  if (c->variant == 1)
    waves_drop (input, B_WAVES);
  check_op (input, op_overlap_accumulate, c, 1e-5, B_OBJECT_NUM, B_OBJECT_DEN, B_PROBE_NUM,
            B_PROBE_DEN, N_BUFFERS);
}

/* ml_residual, Gaussian (variant 0) and Poisson (1). */

static void
op_ml_residual (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                gconstpointer data, GError **error)
{
  ptl_backend_ml_residual (backend, b, ((const Case *) data)->variant, error);
}

static void
test_ml_residual (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (53 + c->modes + 10 * c->variant);
  g_autoptr (Waves) input = waves_new (64, c->modes, 5, 1, rand);

  check_op (input, op_ml_residual, c, 1e-5, B_WORK, B_ERRORS, N_BUFFERS);
}

static void
op_ml_line_waves (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                  gconstpointer data, GError **error)
{
  ptl_backend_ml_line_waves (backend, b, buffers[B_OBJECT_DIR], buffers[B_PROBE_DIR], error);
}

static void
test_ml_line_waves (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (59 + c->modes);
  g_autoptr (Waves) input = waves_new (32, c->modes, 4, 3, rand);

  check_op (input, op_ml_line_waves, c, 1e-6, B_WORK, N_BUFFERS);
}

static void
op_ml_line_coefficients (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                         gconstpointer data, GError **error)
{
  ptl_backend_ml_line_coefficients (backend, b, ((const Case *) data)->variant,
                                    buffers[B_COEFFICIENTS], error);
}

static void
test_ml_line_coefficients (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (61 + c->modes + 10 * c->variant);
  g_autoptr (Waves) input = waves_new (64, c->modes, 5, 3, rand);

  check_op (input, op_ml_line_coefficients, c, 1e-4, B_COEFFICIENTS, N_BUFFERS);
}

/* fourier_error: errors by slot (first + k), work untouched. */

static void
op_fourier_error (PtlBackend *backend, const PtlWaveBatch *b, PtlBuffer **buffers,
                  gconstpointer data, GError **error)
{
  ptl_backend_fourier_error (backend, b, error);
}

static void
test_fourier_error (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (67 + c->modes);
  g_autoptr (Waves) input = waves_new (128, c->modes, 4, 1, rand);
  g_autoptr (Waves) cuda = run_on (cuda_backend, input, op_fourier_error, c);

  g_assert_cmpmem (cuda->host[B_WORK], input->bytes[B_WORK], input->host[B_WORK],
                   input->bytes[B_WORK]);
  check_op (input, op_fourier_error, c, 1e-5, B_ERRORS, N_BUFFERS);
}

/* Whole-array ops on arrays longer than one block's share, with offsets into the result. */

#define VECTOR_N (300 * 1000 + 7)

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
download_free (PtlBackend *backend,
               PtlBuffer  *buffer,
               void       *data,
               gsize       bytes)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ptl_backend_download (backend, buffer, 0, data, bytes, &error));
  g_assert_no_error (error);
  ptl_backend_buffer_free (backend, buffer);
}

/* x, y, z random [VECTOR_N] complex, w random [VECTOR_N] float ≥ 0, and the result of
 * every whole-array op on them: overlap_divide (2 layers), dot into result[3], axpby and
 * momentum (z the velocity, w unused). */
typedef struct
{
  ptl_complex *x, *y, *z;
  float       *w;
  float        dots[4];
} Vectors;

static void
vectors_clear (Vectors *v)
{
  g_free (v->x);
  g_free (v->y);
  g_free (v->z);
  g_free (v->w);
}

static void
run_vectors (PtlBackend *backend,
             Vectors    *v)
{
  g_autoptr (GError) error = NULL;
  gsize c = VECTOR_N * sizeof (ptl_complex);
  PtlBuffer *x = upload_new (backend, v->x, 2 * c);
  PtlBuffer *y = upload_new (backend, v->y, 2 * c);
  PtlBuffer *z = upload_new (backend, v->z, c);
  PtlBuffer *w = upload_new (backend, v->w, VECTOR_N * sizeof (float));
  PtlBuffer *dots = upload_new (backend, v->dots, sizeof v->dots);
  gboolean ok;

  /* x = (0.5 x + y) / (0.25 + w) per layer, then y and w cleared. */
  ok = ptl_backend_overlap_divide (backend, x, y, w, VECTOR_N, 2, 0.5f, 0.25f, &error)
       && ptl_backend_dot (backend, x, z, VECTOR_N, dots, 3, &error)
       && ptl_backend_dot (backend, z, z, 1, dots, 1, &error)
       && ptl_backend_axpby (backend, z, x, VECTOR_N, 0.7f, -1.3f, &error)
       && ptl_backend_momentum (backend, x, y, z, VECTOR_N, 0.7f, 0.3f, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  download_free (backend, x, v->x, 2 * c);
  download_free (backend, y, v->y, 2 * c);
  download_free (backend, z, v->z, c);
  download_free (backend, w, v->w, VECTOR_N * sizeof (float));
  download_free (backend, dots, v->dots, sizeof v->dots);
}

static void
test_vectors (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (71);
  Vectors input = { g_new (ptl_complex, 2 * VECTOR_N), g_new (ptl_complex, 2 * VECTOR_N),
                    g_new (ptl_complex, VECTOR_N), g_new (float, VECTOR_N), { 0 } };
  Vectors cpu, cuda;
  gsize c = VECTOR_N * sizeof (ptl_complex);

  ptl_parity_fill_complex (input.x, 2 * VECTOR_N, 1.0f, rand);
  ptl_parity_fill_complex (input.y, 2 * VECTOR_N, 1.0f, rand);
  ptl_parity_fill_complex (input.z, VECTOR_N, 1.0f, rand);
  for (gsize i = 0; i < VECTOR_N; i++)
    input.w[i] = (float) g_rand_double (rand);
  for (guint i = 0; i < 4; i++)
    input.dots[i] = -7.0f;
  cpu = (Vectors) { g_memdup2 (input.x, 2 * c), g_memdup2 (input.y, 2 * c),
                    g_memdup2 (input.z, c), g_memdup2 (input.w, VECTOR_N * sizeof (float)),
                    { -7.0f, -7.0f, -7.0f, -7.0f } };
  cuda = (Vectors) { g_memdup2 (input.x, 2 * c), g_memdup2 (input.y, 2 * c),
                     g_memdup2 (input.z, c), g_memdup2 (input.w, VECTOR_N * sizeof (float)),
                     { -7.0f, -7.0f, -7.0f, -7.0f } };
  run_vectors (cpu_backend, &cpu);
  run_vectors (cuda_backend, &cuda);

  ptl_parity_check_changed ("x", (float *) cpu.x, (float *) input.x, 4 * VECTOR_N);
  ptl_parity_check ("x (divided, moved)", (float *) cuda.x, (float *) cpu.x, 4 * VECTOR_N, 1e-5);
  ptl_parity_check ("y (momentum snapshot)", (float *) cuda.y, (float *) cpu.y, 4 * VECTOR_N,
                    1e-5);
  ptl_parity_check ("z (axpby, velocity)", (float *) cuda.z, (float *) cpu.z, 2 * VECTOR_N, 1e-5);
  ptl_parity_check ("dot products", cuda.dots, cpu.dots, 4, 1e-5);
  /* Untouched slots of the result stay; cleared denominators are exactly 0. */
  g_assert_cmpfloat (cuda.dots[0], ==, -7.0f);
  g_assert_cmpfloat (cuda.dots[2], ==, -7.0f);
  for (gsize i = 0; i < VECTOR_N; i++)
    g_assert_cmpfloat (cuda.w[i], ==, 0.0f);
  vectors_clear (&input);
  vectors_clear (&cpu);
  vectors_clear (&cuda);
}

static void
add_cases (const char   *name,
           GTestDataFunc fn,
           const int    *variants,
           guint         n_variants,
           const guint  *modes,
           guint         n_modes)
{
  for (guint v = 0; v < n_variants; v++)
    for (guint k = 0; k < n_modes; k++)
      {
        Case *c = g_new (Case, 1);
        *c = (Case) { modes[k], variants[v] };
        g_autofree char *path = CASE_PATH (name, c);
        g_test_add_data_func_full (path, c, fn, g_free);
      }
}

int
main (int   argc,
      char *argv[])
{
  static const int projection_c[] = { 1, 2 }, two[] = { 0, 1 }, three[] = { 0, 1, 2 };
  static const int one[] = { 0 };
  static const guint modes[] = { 1, 3 };
  int status;

  g_test_init (&argc, &argv, NULL);
  if ((status = ptl_parity_open (&cpu_backend, &cuda_backend)) >= 0)
    return status;

  add_cases ("projection-input", test_projection_input, projection_c, 2, modes, 2);
  add_cases ("exit-update", test_exit_update, three, 3, modes, 2);
  add_cases ("overlap-accumulate", test_overlap_accumulate, two, 2, modes, 2);
  add_cases ("ml-residual", test_ml_residual, two, 2, modes, 2);
  add_cases ("ml-line-waves", test_ml_line_waves, one, 1, modes, 2);
  add_cases ("ml-line-coefficients", test_ml_line_coefficients, two, 2, modes, 2);
  add_cases ("fourier-error", test_fourier_error, one, 1, modes, 2);
  g_test_add_func ("/cuda/waves/vectors", test_vectors);

  status = g_test_run ();
  ptl_backend_free (cuda_backend);
  ptl_backend_free (cpu_backend);
  return status;
}
