#include "config.h"

#include "ptl-probe-init.h"

#include <fftw3.h>
#include <math.h>

/* Pixels of the mean pattern below this fraction of its peak are object scattering, not
 * the direct beam; leaving them in blurs every candidate probe alike and hides the defocus. */
#define BRIGHT_FIELD_FRACTION 0.1
/* The beam may fill at most this fraction of the window (oversampling of 2). */
#define MAX_BEAM_FRACTION 0.5

PtlPupil *
ptl_pupil_from_scan (const PtlScanData *scan)
{
  guint m = scan->geometry.frame_size;
  gsize n = (gsize) m * m;
  const float *intensity = ptl_array_float (scan->intensity);
  g_autofree double *mean = g_new0 (double, n);
  double peak = 0.0, photons = 0.0, bright = 0.0;

  for (guint j = 0; j < scan->n_frames; j++)
    {
      double frame = 0.0;
      for (gsize i = 0; i < n; i++)
        {
          double v = isfinite (intensity[j * n + i]) ? intensity[j * n + i] : 0.0;
          mean[i] += v / scan->n_frames;
          frame += v;
        }
      photons = MAX (photons, frame);
    }
  for (gsize i = 0; i < n; i++)
    if (scan->mask == NULL || scan->mask[i])
      peak = MAX (peak, mean[i]);

  PtlPupil *pupil = g_new0 (PtlPupil, 1);
  pupil->pupil = ptl_array_new_2d (PTL_DTYPE_FLOAT, m, m);
  pupil->mean = ptl_array_new_2d (PTL_DTYPE_FLOAT, m, m);
  float *p = ptl_array_float (pupil->pupil);
  float *all = ptl_array_float (pupil->mean);
  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      {
        gsize i = (gsize) r * m + c;
        gboolean lit = (scan->mask == NULL || scan->mask[i]) && mean[i] >= BRIGHT_FIELD_FRACTION * peak;
        gboolean measured = scan->mask == NULL || scan->mask[i];
        /* stored patterns have zero frequency at the centre; the pupil at [0, 0] */
        gsize shifted = ((r + m - m / 2) % m) * m + (c + m - m / 2) % m;
        p[shifted] = lit ? sqrt (mean[i]) : 0.0f;
        all[shifted] = measured ? sqrt (mean[i]) : 0.0f;
        bright += lit;
      }

  pupil->photons = photons;
  pupil->wavelength = ptl_geometry_wavelength (&scan->geometry);
  pupil->pixel_size = ptl_geometry_pixel_size (&scan->geometry);
  /* A pupil of radius ρ (cycles/m) has NA = λρ; the beam 2·NA·z wide fills the allowed
   * part of the window at z = fraction·M·dx / (2·NA). */
  double window = m * pupil->pixel_size;
  double rho = sqrt (MAX (bright, 1.0) / G_PI) / window;
  pupil->max_defocus = MAX_BEAM_FRACTION * window / (2.0 * pupil->wavelength * rho);
  return pupil;
}

void
ptl_pupil_free (PtlPupil *pupil)
{
  if (pupil == NULL)
    return;
  ptl_array_free (pupil->pupil);
  ptl_array_free (pupil->mean);
  g_free (pupil);
}

PtlArray *
ptl_pupil_probe (const PtlPupil *pupil,
                 gboolean        bright_field_only,
                 double          defocus)
{
  guint m = ptl_array_rows (pupil->pupil);
  gsize n = (gsize) m * m;
  const float *a = ptl_array_float (bright_field_only ? pupil->pupil : pupil->mean);
  double df = 1.0 / (m * pupil->pixel_size);
  g_autoptr (PtlArray) field = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  ptl_complex *f = ptl_array_complex (field);

  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      {
        double fy = (r < m / 2 ? (double) r : (double) r - m) * df;
        double fx = (c < m / 2 ? (double) c : (double) c - m) * df;
        double phase = -G_PI * pupil->wavelength * defocus * (fx * fx + fy * fy);
        f[(gsize) r * m + c] = a[(gsize) r * m + c] * (float) cos (phase)
                               + I * a[(gsize) r * m + c] * (float) sin (phase);
      }

  fftwf_plan plan = fftwf_plan_dft_2d ((int) m, (int) m, (fftwf_complex *) f, (fftwf_complex *) f,
                                       FFTW_BACKWARD, FFTW_ESTIMATE);
  fftwf_execute (plan);
  fftwf_destroy_plan (plan);

  /* Move the beam from [0, 0] to the window centre and scale it to the photon count. */
  PtlArray *probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  ptl_complex *p = ptl_array_complex (probe);
  double power = 0.0;
  for (guint r = 0; r < m; r++)
    for (guint c = 0; c < m; c++)
      {
        ptl_complex v = f[((r + m / 2) % m) * m + (c + m / 2) % m];
        p[(gsize) r * m + c] = v;
        power += crealf (v) * crealf (v) + cimagf (v) * cimagf (v);
      }
  float scale = power > 0.0 ? (float) sqrt (pupil->photons / power) : 0.0f;
  for (gsize i = 0; i < n; i++)
    p[i] *= scale;
  return probe;
}
