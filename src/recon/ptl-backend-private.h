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

/* Every slot is required unless marked optional. Offsets and sizes are in bytes. Buffers
 * and bounds are checked by the public wrappers in ptl-backend.c before a slot is called,
 * so implementations may assume valid arguments. */
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

  /* exit[k] = P · O_j, and scratch[2k] = max|P|², scratch[2k+1] = max|O_j|². */
  gboolean (*exit_wave) (gpointer ctx, const PtlPieBatch *batch, GError **error);
  /* exit[k] holds the unnormalised forward FFT of the exit wave. Replaces the modulus with
   * the measured amplitude where unmasked, keeps the model where masked, and scales by 1/N
   * so that an unnormalised backward FFT gives the corrected exit wave directly. Writes
   * errors[j] = Σ_unmasked (|Ψ| − a)² / n_unmasked with Ψ the unitary transform. */
  gboolean (*fourier_constraint) (gpointer ctx, const PtlPieBatch *batch, GError **error);
  /* exit[k] holds the corrected exit wave ψ'. With Δ = ψ' − P·O_j:
   *   ePIE: O_j += α conj(P) Δ / max|P|²;   P += β conj(O_j) Δ / max|O_j|²
   *   rPIE: O_j += conj(P) Δ / ((1−α)|P|² + α max|P|²);
   *         P   += conj(O_j) Δ / ((1−β)|O_j|² + β max|O_j|²)
   * both right-hand sides from the values before this frame's update; P only if update_probe. */
  gboolean (*pie_update) (gpointer ctx, const PtlPieBatch *batch, GError **error);

  gboolean (*synchronize) (gpointer ctx, GError **error); /* optional: NULL = always in sync */
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
