#include "config.h"

#include "ptl-sim.h"

#include <math.h>

#include "core/ptl-error.h"
#include "ptl-sim-private.h"

/* First zero of the Airy pattern: radius 0.6098/ρ for a pupil of radius ρ (cycles/m), so a
 * focus of first-zero diameter d needs ρ = 1.2197/d, i.e. d = 1.2197·λ/NA. */
#define AIRY_FIRST_ZERO_DIAMETER 1.2197

/* The soft support that keeps the probe off the window edges: zero from one pixel inside
 * the edge (so every edge pixel is dark), flat inside 80 % of that radius, cos² between.
 * Without it the Airy rings of neighbouring periods of the DFT would wrap into the window. */
#define SUPPORT_FLAT_FRACTION 0.8

/* Subsamples per axis where a frequency pixel straddles the pupil's rim. */
#define PUPIL_SUBSAMPLES 8

/* The probe must leave room around it (oversampling of the patterns): at most half the
 * window wide, and wide enough that the focusing pupil fits on the detector. */
#define MAX_WINDOW_FRACTION 0.5
#define MIN_DIAMETER_PIXELS 3.0

/* The numerical aperture that gives a beam of diameter D at `defocus` z from the focus.
 * The beam is about sqrt(d² + (2·NA·z)²) wide, with d = 1.2197·λ/NA the focus; with
 * u = NA² that is 4z²u² − D²u + 1.2197²λ² = 0, and the larger root is the defocused beam
 * (the geometric cone dominates), which is how ptychography illuminates a sample. In focus
 * (z = 0) D is the Airy first-zero diameter. Returns 0 when no aperture reaches D at z. */
static double
numerical_aperture (double diameter,
                    double defocus,
                    double lambda)
{
  double c = AIRY_FIRST_ZERO_DIAMETER * lambda;

  if (defocus == 0.0)
    return c / diameter;
  double z2 = defocus * defocus;
  double d2 = diameter * diameter;
  double discriminant = d2 * d2 - 16.0 * z2 * c * c;
  if (discriminant < 0.0)
    return 0.0;
  return sqrt ((d2 + sqrt (discriminant)) / (8.0 * z2));
}

static const char *const model_names[] = {
  [PTL_PROBE_APERTURE] = "aperture",
  [PTL_PROBE_GAUSSIAN] = "gaussian",
};

const char *
ptl_probe_model_to_string (PtlProbeModel model)
{
  g_return_val_if_fail ((guint) model < G_N_ELEMENTS (model_names), "unknown");
  return model_names[model];
}

gboolean
ptl_probe_model_from_string (const char    *text,
                             PtlProbeModel *model,
                             GError       **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (model_names); i++)
    if (g_ascii_strcasecmp (text, model_names[i]) == 0)
      {
        *model = i;
        return TRUE;
      }
  g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
               "Unknown probe model “%s” (known: aperture, gaussian)", text);
  return FALSE;
}

gboolean
_ptl_sim_check_probe (const PtlSimParams *params,
                      GError            **error)
{
  if (!ptl_geometry_validate (&params->geometry, error))
    return FALSE;
  if ((guint) params->probe_model >= G_N_ELEMENTS (model_names))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Unknown probe model %d (known: aperture, gaussian)", params->probe_model);
      return FALSE;
    }
  if (!(params->probe_diameter > 0.0 && isfinite (params->probe_diameter)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Probe diameter must be positive (got %g m)", params->probe_diameter);
      return FALSE;
    }

  double dx = ptl_geometry_pixel_size (&params->geometry);
  double window = params->geometry.frame_size * dx;
  if (params->probe_diameter > MAX_WINDOW_FRACTION * window)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "Probe diameter %.4g m is wider than half the %.4g m window (%u pixels of "
                   "%.4g m): the patterns would be undersampled",
                   params->probe_diameter, window, params->geometry.frame_size, dx);
      return FALSE;
    }
  if (params->probe_diameter < MIN_DIAMETER_PIXELS * dx)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                   "Probe diameter %.4g m spans fewer than %g object pixels of %.4g m",
                   params->probe_diameter, MIN_DIAMETER_PIXELS, dx);
      return FALSE;
    }
  if (!isfinite (params->defocus))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Probe defocus must be a finite distance (got %g m)", params->defocus);
      return FALSE;
    }
  if (params->probe_model == PTL_PROBE_APERTURE)
    {
      double lambda = ptl_geometry_wavelength (&params->geometry);
      double na = numerical_aperture (params->probe_diameter, params->defocus, lambda);
      double pupil_radius = na / lambda * window; /* frequency pixels */
      if (na == 0.0)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "No focused beam is %.4g m wide at %.4g m from its focus: at most "
                       "%.4g m of defocus for that diameter",
                       params->probe_diameter, params->defocus,
                       params->probe_diameter * params->probe_diameter
                         / (4.0 * AIRY_FIRST_ZERO_DIAMETER * lambda));
          return FALSE;
        }
      if (pupil_radius >= 0.5 * params->geometry.frame_size - 1.0)
        {
          g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_GEOMETRY,
                       "The focusing aperture for a %.4g m beam at %.4g m defocus does not fit "
                       "on the detector (NA %.3g)",
                       params->probe_diameter, params->defocus, na);
          return FALSE;
        }
    }
  if (!(params->photons > 0.0 && isfinite (params->photons)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Photons per frame must be positive (got %g)", params->photons);
      return FALSE;
    }
  return TRUE;
}

static double
support_weight (double r,
                guint  m)
{
  double edge = 0.5 * m - 1.0, flat = SUPPORT_FLAT_FRACTION * edge;

  if (r <= flat)
    return 1.0;
  if (r >= edge)
    return 0.0;
  double c = cos (0.5 * G_PI * (r - flat) / (edge - flat));
  return c * c;
}

/* Fraction of the frequency pixel centred at (fy, fx) inside a disc of `radius` pixels,
 * so that the pupil's rim is anti-aliased rather than a staircase. */
static double
pupil_coverage (double fy,
                double fx,
                double radius)
{
  double r = hypot (fy, fx);

  if (r <= radius - M_SQRT1_2)
    return 1.0;
  if (r >= radius + M_SQRT1_2)
    return 0.0;

  guint inside = 0;
  for (guint i = 0; i < PUPIL_SUBSAMPLES; i++)
    for (guint j = 0; j < PUPIL_SUBSAMPLES; j++)
      {
        double sy = fy - 0.5 + (i + 0.5) / PUPIL_SUBSAMPLES;
        double sx = fx - 0.5 + (j + 0.5) / PUPIL_SUBSAMPLES;
        inside += sy * sy + sx * sx <= radius * radius;
      }
  return (double) inside / (PUPIL_SUBSAMPLES * PUPIL_SUBSAMPLES);
}

/* A uniformly lit circular pupil focused onto the sample, then carried `defocus` metres
 * downstream by the angular-spectrum propagator exp(2πi·z·(sqrt(1/λ² − f²) − 1/λ)). The
 * field comes out of an inverse DFT with its centre at pixel (0, 0) and is moved to
 * (M/2, M/2). */
static void
aperture_probe (const PtlSimParams *params,
                double              dx,
                ptl_complex        *probe)
{
  guint m = params->geometry.frame_size;
  double lambda = ptl_geometry_wavelength (&params->geometry);
  double radius = numerical_aperture (params->probe_diameter, params->defocus, lambda) / lambda
                  * m * dx;
  double df = 1.0 / (m * dx);
  fftwf_complex *spectrum = fftwf_alloc_complex ((gsize) m * m);
  fftwf_complex *field = fftwf_alloc_complex ((gsize) m * m);

  for (guint ky = 0; ky < m; ky++)
    for (guint kx = 0; kx < m; kx++)
      {
        double fy = ky < m / 2 ? (double) ky : (double) ky - m;
        double fx = kx < m / 2 ? (double) kx : (double) kx - m;
        double a = pupil_coverage (fy, fx, radius);
        /* λ²f² stays far below 1 whenever dx > λ; the rewritten root avoids cancellation. */
        double lf2 = lambda * lambda * (fy * fy + fx * fx) * df * df;
        double phase = -2.0 * G_PI * params->defocus * lf2 / (lambda * (1.0 + sqrt (1.0 - lf2)));
        spectrum[(gsize) ky * m + kx] = (float) (a * cos (phase)) + I * (float) (a * sin (phase));
      }
  fftwf_execute_dft (_ptl_sim_fft_plan (m, FFTW_BACKWARD), spectrum, field);

  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      probe[(gsize) ((y + m / 2) % m) * m + (x + m / 2) % m] = field[(gsize) y * m + x];
  fftwf_free (spectrum);
  fftwf_free (field);
}

/* Flat phase; |P|² has a full width at half maximum of probe_diameter. */
static void
gaussian_probe (const PtlSimParams *params,
                double              dx,
                ptl_complex        *probe)
{
  guint m = params->geometry.frame_size;
  double fwhm_px = params->probe_diameter / dx;

  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      {
        double r2 = ((double) y - m / 2) * ((double) y - m / 2)
                    + ((double) x - m / 2) * ((double) x - m / 2);
        probe[(gsize) y * m + x] = (float) exp (-2.0 * G_LN2 * r2 / (fwhm_px * fwhm_px));
      }
}

PtlArray *
ptl_sim_probe (const PtlSimParams *params,
               GError            **error)
{
  if (!_ptl_sim_check_probe (params, error))
    return NULL;

  guint m = params->geometry.frame_size;
  double dx = ptl_geometry_pixel_size (&params->geometry);
  g_autoptr (PtlArray) probe = ptl_array_new_2d (PTL_DTYPE_COMPLEX, m, m);
  ptl_complex *p = ptl_array_complex (probe);

  if (params->probe_model == PTL_PROBE_APERTURE)
    aperture_probe (params, dx, p);
  else
    gaussian_probe (params, dx, p);

  double power = 0.0;
  for (guint y = 0; y < m; y++)
    for (guint x = 0; x < m; x++)
      {
        gsize k = (gsize) y * m + x;
        p[k] *= (float) support_weight (hypot ((double) y - m / 2, (double) x - m / 2), m);
        power += (double) crealf (p[k]) * crealf (p[k]) + (double) cimagf (p[k]) * cimagf (p[k]);
      }
  float scale = (float) sqrt (params->photons / power);
  for (gsize k = 0; k < probe->n; k++)
    p[k] *= scale;
  return g_steal_pointer (&probe);
}

/* Low-order patterns across the angular spectrum, in units of its rms width: fx, fy,
 * fx² − fy², 2 fx fy, then radial and higher orders. */
static double
spectral_pattern (guint  mode,
                  double fx,
                  double fy)
{
  switch (mode)
    {
    case 0: return 1.0;
    case 1: return fx;
    case 2: return fy;
    case 3: return fx * fx - fy * fy;
    case 4: return 2.0 * fx * fy;
    case 5: return fx * fx + fy * fy - 1.0;
    default: return pow (fx, (double) (mode - 4)) - pow (fy, (double) (mode - 5));
    }
}

PtlArray *
ptl_sim_probe_modes (const PtlSimParams *params,
                     GError            **error)
{
  g_autoptr (PtlArray) coherent = ptl_sim_probe (params, error);
  if (coherent == NULL)
    return NULL;

  guint m = params->geometry.frame_size, k = MAX (params->probe_modes, 1);
  gsize n = (gsize) m * m;
  PtlArray *modes = ptl_array_new_3d (PTL_DTYPE_COMPLEX, k, m, m);
  ptl_complex *out = ptl_array_complex (modes);
  fftwf_complex *spectrum = fftwf_alloc_complex (n);
  fftwf_complex *field = fftwf_alloc_complex (n);

  fftwf_execute_dft (_ptl_sim_fft_plan (m, FFTW_FORWARD), ptl_array_complex (coherent), spectrum);
  double width2 = 0.0, total = 0.0;
  for (guint ky = 0; ky < m; ky++)
    for (guint kx = 0; kx < m; kx++)
      {
        double fy = ky < m / 2 ? (double) ky : (double) ky - m;
        double fx = kx < m / 2 ? (double) kx : (double) kx - m;
        double p = cabsf (spectrum[(gsize) ky * m + kx]);
        width2 += (fx * fx + fy * fy) * p * p / 2.0;
        total += p * p;
      }
  double width = sqrt (width2 / total);

  for (guint l = 0; l < k; l++)
    {
      ptl_complex *p = out + l * n;
      for (guint ky = 0; ky < m; ky++)
        for (guint kx = 0; kx < m; kx++)
          {
            double fy = (ky < m / 2 ? (double) ky : (double) ky - m) / width;
            double fx = (kx < m / 2 ? (double) kx : (double) kx - m) / width;
            field[(gsize) ky * m + kx] = spectrum[(gsize) ky * m + kx]
                                         * (float) spectral_pattern (l, fx, fy);
          }
      fftwf_execute_dft (_ptl_sim_fft_plan (m, FFTW_BACKWARD), field, p);
      /* Gram–Schmidt against the stronger modes, so that the modes are the natural ones. */
      for (guint q = 0; q < l; q++)
        {
          const ptl_complex *o = out + q * n;
          double re = 0.0, im = 0.0, norm = 0.0;
          for (gsize i = 0; i < n; i++)
            {
              ptl_complex z = conjf (o[i]) * p[i];
              re += crealf (z), im += cimagf (z);
              norm += crealf (o[i]) * crealf (o[i]) + cimagf (o[i]) * cimagf (o[i]);
            }
          ptl_complex c = (float) (re / norm) + I * (float) (im / norm);
          for (gsize i = 0; i < n; i++)
            p[i] -= c * o[i];
        }
      double power = 0.0, share = 0.0;
      for (gsize i = 0; i < n; i++)
        power += crealf (p[i]) * crealf (p[i]) + cimagf (p[i]) * cimagf (p[i]);
      for (guint q = 0; q < k; q++)
        share += pow (params->mode_ratio, q);
      float scale = (float) sqrt (params->photons * pow (params->mode_ratio, l) / share / power);
      for (gsize i = 0; i < n; i++)
        p[i] *= scale;
    }
  fftwf_free (spectrum);
  fftwf_free (field);
  return modes;
}
