#include "config.h"

#include "ptl-geometry.h"

#include <math.h>

#include "ptl-error.h"

double
ptl_wavelength_from_energy_ev (double energy_ev)
{
  return PTL_PLANCK_EV_M / energy_ev;
}

double
ptl_energy_ev_from_wavelength (double wavelength)
{
  return PTL_PLANCK_EV_M / wavelength;
}

double
ptl_geometry_wavelength (const PtlGeometry *geometry)
{
  return ptl_wavelength_from_energy_ev (geometry->energy_ev);
}

/* dx = λ·z / (M·p·bin): the window M·bin detector pixels wide sets the resolution. */
double
ptl_geometry_pixel_size (const PtlGeometry *geometry)
{
  return ptl_geometry_wavelength (geometry) * geometry->distance
         / ((double) geometry->frame_size * geometry->detector_pixel * geometry->bin);
}

gboolean
ptl_geometry_validate (const PtlGeometry *geometry,
                       GError           **error)
{
  if (!(geometry->energy_ev > 0.0 && isfinite (geometry->energy_ev)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Photon energy must be positive (got %g eV)", geometry->energy_ev);
      return FALSE;
    }
  if (!(geometry->distance > 0.0 && isfinite (geometry->distance)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Sample–detector distance must be positive (got %g m)", geometry->distance);
      return FALSE;
    }
  if (!(geometry->detector_pixel > 0.0 && isfinite (geometry->detector_pixel)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Detector pixel size must be positive (got %g m)", geometry->detector_pixel);
      return FALSE;
    }
  if (geometry->frame_size < 8 || geometry->frame_size > 4096 || geometry->frame_size % 2 != 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Frame size must be even and between 8 and 4096 pixels (got %u)",
                   geometry->frame_size);
      return FALSE;
    }
  if (geometry->bin < 1 || geometry->bin > 64)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Binning must be between 1 and 64 (got %u)", geometry->bin);
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_axis_mapping_validate (const PtlAxisMapping *mapping,
                           GError              **error)
{
  if (!(mapping->scale > 0.0 && isfinite (mapping->scale)))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Axis mapping scale must be positive (got %g)", mapping->scale);
      return FALSE;
    }
  if ((mapping->sign_x != 1 && mapping->sign_x != -1)
      || (mapping->sign_y != 1 && mapping->sign_y != -1))
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Axis signs must be +1 or -1 (got %d, %d)", mapping->sign_x, mapping->sign_y);
      return FALSE;
    }
  return TRUE;
}

/* Pixels relative to the stage origin; the caller shifts them onto the canvas. */
void
ptl_axis_mapping_to_pixels (const PtlAxisMapping *mapping,
                            double                pixel_size,
                            double                x,
                            double                y,
                            double               *row,
                            double               *col)
{
  double u = mapping->sign_x * x * mapping->scale / pixel_size;
  double v = mapping->sign_y * y * mapping->scale / pixel_size;

  *col = mapping->swap_xy ? v : u;
  *row = mapping->swap_xy ? u : v;
}

void
ptl_axis_mapping_to_stage (const PtlAxisMapping *mapping,
                           double                pixel_size,
                           double                row,
                           double                col,
                           double               *x,
                           double               *y)
{
  double u = mapping->swap_xy ? row : col;
  double v = mapping->swap_xy ? col : row;

  *x = mapping->sign_x * u * pixel_size / mapping->scale;
  *y = mapping->sign_y * v * pixel_size / mapping->scale;
}
