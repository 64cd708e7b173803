/* For backend implementations only (recon/ and the cuda/ module): the ops table.
 * Shape after FFTW and ggml: a const table of function pointers plus an opaque context. */
#pragma once

#include "ptl-backend.h"

G_BEGIN_DECLS

/* Memory on the backend's device; `ptr` is a host pointer (CPU) or a device pointer (CUDA). */
struct _PtlBuffer
{
  gpointer ptr;
  gsize    bytes;
};

/* Made by a backend's device_image slot, which fills in every field. */
struct _PtlDeviceImage
{
  gatomicrefcount ref;
  int             device;
  gsize           bytes;
  gpointer        data;  /* device memory */
  gpointer        ready; /* the backend's event: the copy into `data` is complete */
  void          (*release) (PtlDeviceImage *image); /* frees it all, from any thread */
};

/* Every slot is required unless marked optional. Offsets and sizes are in bytes. Buffers
 * and bounds are checked by the public wrappers in ptl-backend.c and ptl-backend-kernels.c
 * before a slot is called, so implementations may assume valid arguments. */
typedef struct
{
  const char *name; /* "cpu", "cuda" */
  void        (*destroy) (gpointer ctx);
  const char *(*describe) (gpointer ctx); /* human-readable device and library, owned by ctx */
  guint       (*threads) (gpointer ctx);

  PtlBuffer *(*alloc) (gpointer ctx, gsize bytes, GError **error); /* zero-filled */
  void       (*buffer_free) (gpointer ctx, PtlBuffer *buffer);
  gboolean   (*upload) (gpointer ctx, PtlBuffer *dst, gsize offset, const void *src, gsize bytes,
                        GError **error);
  gboolean   (*download) (gpointer ctx, const PtlBuffer *src, gsize offset, void *dst,
                          gsize bytes, GError **error);

  /* Batched in-place complex 2-D FFT of `batch` contiguous rows×cols frames. */
  PtlFftPlan *(*fft_plan) (gpointer ctx, guint rows, guint cols, guint batch, GError **error);
  void        (*fft_plan_free) (gpointer ctx, PtlFftPlan *plan);
  gboolean    (*fft_execute) (gpointer ctx, PtlFftPlan *plan, PtlBuffer *data, gsize offset,
                              PtlFftDirection direction, GError **error);
  gboolean    (*scale) (gpointer ctx, PtlBuffer *data, gsize offset, gsize n_complex,
                        float factor, GError **error);

  /* PIE batches (PtlPieBatch; K = n_modes, 0 read as 1; probe [K][m][m], slot k of exit
   * [K][m][m]). Sums over l run over the K modes.
   * exit[k][l] = P_l · O_j, and scratch[2k] = max_r Σ_l |P_l|², scratch[2k+1] = max|O_j|². */
  gboolean (*exit_wave) (gpointer ctx, const PtlPieBatch *batch, GError **error);
  /* exit[k][l] holds the unnormalised forward FFT of the exit wave of mode l. With
   * A = sqrt(Σ_l |Ψ_l|²) (Ψ the unitary transform) and a the measured amplitude, every mode
   * is scaled by the same factor t / A where unmasked, t = a + clamp(A − a, ±tolerance)
   * with the batch's amplitude_tolerance (t = a at 0; the model is kept where masked), and
   * by 1/N so that an unnormalised backward FFT gives the corrected exit waves directly.
   * Writes errors[j] = Σ_unmasked (A − a)² / n_unmasked. */
  gboolean (*fourier_constraint) (gpointer ctx, const PtlPieBatch *batch, GError **error);
  /* exit[k][l] holds the corrected exit wave ψ'_l. With Δ_l = ψ'_l − P_l·O_j and
   * S = Σ_l |P_l|²:
   *   ePIE: O_j += α Σ_l conj(P_l) Δ_l / max S;    P_l += β conj(O_j) Δ_l / max|O_j|²
   *   rPIE: O_j += Σ_l conj(P_l) Δ_l / ((1−α) S + α max S);
   *         P_l += conj(O_j) Δ_l / ((1−β)|O_j|² + β max|O_j|²)
   * all right-hand sides from the values before this frame's update; P only if
   * update_probe. Frames of a batch are applied one after the other in batch order. */
  gboolean (*pie_update) (gpointer ctx, const PtlPieBatch *batch, GError **error);

  gboolean (*synchronize) (gpointer ctx, GError **error); /* optional: NULL = always in sync */

  /* Batched engines (PtlWaveBatch; slot k holds frame j = frames[first + k], K modes).
   * These slots are optional for a module that predates them: NULL makes the engines that
   * need them fail with PTL_BACKEND_ERROR_UNAVAILABLE.
   * The Fourier projection of DM/AP/RAAR and ML is fourier_constraint above, called with a
   * PtlPieBatch whose exit is `work` and order is `frames`.
   *
   * work[k][l] = c · P_l·O_j + (1 − c) · waves[j][l]   (the wave that enters the Fourier
   * projection: c = 1 for AP, 2 for DM and RAAR). */
  gboolean (*projection_input) (gpointer ctx, const PtlWaveBatch *batch, float c,
                                GError **error);
  /* work[k][l] holds Π_F of the projection input. The stored exit waves become
   *   waves[j][l] = (1 − a − b) · waves[j][l] + b · work[k][l] + a · P_l·O_j
   * (algorithms.md §2.3: AP a = 0, b = 1; DM a = −1, b = 1; RAAR(β) a = 1 − 2β, b = β). The
   * new waves are then accumulated as by overlap_accumulate into the accumulators that are
   * not NULL (object and/or probe terms, with the object and probe as they are: neither is
   * written here). */
  gboolean (*exit_update) (gpointer ctx, const PtlWaveBatch *batch, float a, float b,
                           GError **error);
  /* With w_kl = waves[j][l] when waves is not NULL, else work[k][l]:
   *   object_num[r + r_j] += Σ_l conj(P_l(r)) w_kl(r)   object_den[r + r_j] += Σ_l |P_l(r)|²
   *   probe_num[l](r)     += conj(O_j(r)) w_kl(r)       probe_den(r)        += |O_j(r)|²
   * each only when its buffer is not NULL. O_j and P are read, not written. */
  gboolean (*overlap_accumulate) (gpointer ctx, const PtlWaveBatch *batch, GError **error);
  /* dst[l][i] = (c_dst · dst[l][i] + num[l][i]) / (c_den + den[i]) for l < layers, i < n
   * (dst, num complex [layers][n]; den float [n]); then num and den are set to zero. The
   * caller keeps c_den + den > 0. */
  gboolean (*overlap_divide) (gpointer ctx, PtlBuffer *dst, PtlBuffer *num, PtlBuffer *den,
                              gsize n, guint layers, float c_dst, float c_den, GError **error);
  /* work[k][l] holds the unnormalised forward FFT of P_l·O_j. With Î = Σ_l |Ψ_l|² (unitary)
   * and I = a² the measured intensity, every mode becomes r · work[k][l] / N with
   *   Gaussian: r = (Î − I) / (1 + I);   Poisson: r = 1 − I / (Î + 1e-6)
   * and r = 0 where masked, so that an unnormalised backward FFT gives the exit-wave
   * gradient χ_l = ∂L/∂conj(ψ_l) (half of it for the Gaussian model). errors[j] =
   * L_j / n_unmasked with
   *   Gaussian: L_j = Σ (Î − I)² / (1 + I);   Poisson: L_j = Σ Î − I − I ln((Î + 1e-6) / I)
   * (I ln I read as 0 at I = 0). */
  gboolean (*ml_residual) (gpointer ctx, const PtlWaveBatch *batch, PtlNoiseModel model,
                           GError **error);
  /* The three exit-wave terms of the ML line search along the directions (h_O, h_P):
   *   work[0][k][l] = P_l·O_j,  work[1][k][l] = P_l·hO_j + hP_l·O_j,  work[2][k][l] = hP_l·hO_j
   * with work[t] starting at t·count·K·m² (so one FFT plan of 3·count·K frames covers it);
   * object_dir complex [canvas], probe_dir complex [K][m][m]. */
  gboolean (*ml_line_waves) (gpointer ctx, const PtlWaveBatch *batch, PtlBuffer *object_dir,
                             PtlBuffer *probe_dir, GError **error);
  /* work holds the forward FFTs (unnormalised) of the three terms: f, u, v. Per unmasked
   * pixel, with Î = Σ_l |f_l|²/N, A1 = Σ_l 2 Re(f_l conj(u_l))/N,
   * A2 = Σ_l (2 Re(f_l conj(v_l)) + |u_l|²)/N and I = a², the cost along the line is
   * approximated to second order in the step t as L(t) = B0 + B1 t + B2 t² with
   *   Gaussian (w = 1/(1+I)): B0 = Σ w (Î−I)², B1 = Σ 2w (Î−I) A1, B2 = Σ w (A1² + 2(Î−I) A2)
   *   Poisson (Î' = Î + 1e-6): B0 = Σ Î − I ln Î', B1 = Σ (1 − I/Î') A1,
   *                            B2 = Σ (1 − I/Î') A2 + I A1² / (2 Î'²)
   * coefficients[3j + 0, 1, 2] = B0, B1, B2 of frame j (float, indexed by frame). */
  gboolean (*ml_line_coefficients) (gpointer ctx, const PtlWaveBatch *batch,
                                    PtlNoiseModel model, PtlBuffer *coefficients,
                                    GError **error);
  /* work[k][l] holds the unnormalised forward FFT of an exit wave for the amplitudes of
   * frame frames[first + k]. Writes errors[first + k] (indexed by slot, not by frame) =
   * Σ_unmasked (A − a)² / n_unmasked, A as in fourier_constraint; work is not modified. */
  gboolean (*fourier_error) (gpointer ctx, const PtlWaveBatch *batch, GError **error);
  /* result[index] (float) = Re Σ_i conj(x_i) y_i over n_complex values. */
  gboolean (*dot) (gpointer ctx, const PtlBuffer *x, const PtlBuffer *y, gsize n_complex,
                   PtlBuffer *result, guint index, GError **error);
  /* y = a·x + b·y over n_complex values (a, b real). */
  gboolean (*axpby) (gpointer ctx, PtlBuffer *y, const PtlBuffer *x, gsize n_complex, float a,
                     float b, GError **error);
  /* mPIE's heavy-ball step over n_complex values:
   *   velocity = friction·velocity + (x − snapshot);  x += feedback·velocity;  snapshot = x */
  gboolean (*momentum) (gpointer ctx, PtlBuffer *x, PtlBuffer *snapshot, PtlBuffer *velocity,
                        gsize n_complex, float friction, float feedback, GError **error);

  /* Optional, both or neither (NULL: the wrappers download at once). snapshot_begin starts a
   * copy of `bytes` at `offset` of `src`, as it stands after every op queued so far, to
   * memory of the backend's own, and returns without waiting; later ops may change `src`
   * at once. snapshot_finish waits for that copy alone, writes it to `dst` (NULL: drops it)
   * and frees the snapshot, on failure too. */
  gpointer (*snapshot_begin) (gpointer ctx, const PtlBuffer *src, gsize offset, gsize bytes,
                              GError **error);
  gboolean (*snapshot_finish) (gpointer ctx, gpointer snapshot, void *dst, GError **error);
  /* Optional, on backends whose memory a GL context can share: a device copy of `bytes`
   * at `offset` of `src` as it stands after every op queued so far, that lives on without
   * the backend. Returns without waiting for the copy. */
  PtlDeviceImage *(*device_image) (gpointer ctx, const PtlBuffer *src, gsize offset,
                                   gsize bytes, GError **error);
  /* Optional: memory bandwidth in bytes/s, measured on `bytes`-byte transfers: a copy within
   * the device (read + write counted) and an upload from page-locked host memory. */
  gboolean (*measure_bandwidth) (gpointer ctx, gsize bytes, double *copy_bytes_per_s,
                                 double *upload_bytes_per_s, GError **error);
} PtlBackendOps;

/* Entry point of a backend module (the CUDA one), found by name with GModule. It returns
 * FALSE with PTL_BACKEND_ERROR_UNAVAILABLE when no device answers. */
#define PTL_BACKEND_MODULE_ENTRY "ptl_backend_module_open"
typedef gboolean (*PtlBackendModuleOpen) (int                   device,
                                          const PtlBackendOps **ops,
                                          gpointer             *ctx,
                                          GError              **error);

gboolean _ptl_backend_cpu_open (guint                 threads,
                                const PtlBackendOps **ops,
                                gpointer             *ctx,
                                GError              **error);

G_END_DECLS
