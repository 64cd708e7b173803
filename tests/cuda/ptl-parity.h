/* Shared by the CPU-vs-CUDA parity tests: opening both backends (exit 77 without a CUDA
 * device), seeded random inputs, and the relative comparison every test applies. */
#pragma once

#include <complex.h>
#include <math.h>

#include <glib.h>

#include "core/ptl-error.h"
#include "recon/ptl-backend.h"

/* Opens the CPU backend and the CUDA one into *cpu and *cuda. Returns -1 when both are
 * open, else the exit status the test program should end with: 77 (skip) when no CUDA
 * device answers, 1 when a backend fails otherwise. */
static inline int
ptl_parity_open (PtlBackend **cpu,
                 PtlBackend **cuda)
{
  g_autoptr (GError) error = NULL;

  *cpu = ptl_backend_new (PTL_BACKEND_CPU, 0, 1, &error);
  if (*cpu == NULL)
    {
      g_printerr ("The CPU backend does not open: %s\n", error->message);
      return 1;
    }
  *cuda = ptl_backend_new (PTL_BACKEND_CUDA, 0, 0, &error);
  if (*cuda == NULL)
    {
      gboolean unavailable = g_error_matches (error, PTL_BACKEND_ERROR,
                                              PTL_BACKEND_ERROR_UNAVAILABLE);
      g_printerr ("%s: %s\n", unavailable ? "Skipped" : "The CUDA backend fails",
                  error->message);
      g_clear_pointer (cpu, ptl_backend_free);
      return unavailable ? 77 : 1;
    }
  g_test_message ("CUDA backend: %s", ptl_backend_description (*cuda));
  return -1;
}

static inline double
ptl_parity_relative_l2 (const float *a,
                        const float *b,
                        gsize        n)
{
  double diff = 0.0, norm = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      norm += (double) b[i] * b[i];
    }
  return norm > 0.0 ? sqrt (diff / norm) : sqrt (diff);
}

/* Fails the test when `n` floats computed by CUDA differ from the CPU's by `tolerance` or
 * more (relative L2), or when either holds a NaN. */
static inline void
ptl_parity_check (const char  *what,
                  const float *cuda,
                  const float *cpu,
                  gsize        n,
                  double       tolerance)
{
  double rel = ptl_parity_relative_l2 (cuda, cpu, n);

  g_test_message ("%s: CUDA vs CPU relative L2 difference %.2e", what, rel);
  if (!(rel < tolerance))
    g_test_fail_printf ("%s: CUDA and CPU differ by %.2e (relative L2), more than %.0e", what,
                        rel, tolerance);
}

/* Parity is empty if neither backend did anything. */
static inline void
ptl_parity_check_changed (const char  *what,
                          const float *output,
                          const float *input,
                          gsize        n)
{
  if (ptl_parity_relative_l2 (output, input, n) < 1e-3)
    g_test_fail_printf ("%s: left (nearly) unchanged", what);
}

static inline void
ptl_parity_fill_complex (ptl_complex *z,
                         gsize        n,
                         float        scale,
                         GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = scale * ((float) g_rand_double_range (rand, -1, 1)
                    + I * (float) g_rand_double_range (rand, -1, 1));
}

/* Modulus in [0.5, 1], random phase: no window is dark. */
static inline void
ptl_parity_fill_object (ptl_complex *z,
                        gsize        n,
                        GRand       *rand)
{
  for (gsize i = 0; i < n; i++)
    z[i] = (float) g_rand_double_range (rand, 0.5, 1.0)
           * cexpf (I * (float) g_rand_double_range (rand, -G_PI, G_PI));
}

/* Amplitudes in [0, scale) with a fraction `masked` of the pixels masked (< 0). */
static inline void
ptl_parity_fill_amplitudes (float *a,
                            gsize  n,
                            float  scale,
                            double masked,
                            GRand *rand)
{
  for (gsize i = 0; i < n; i++)
    a[i] = g_rand_double (rand) < masked ? -1.0f : scale * (float) g_rand_double (rand);
}
