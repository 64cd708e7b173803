/* Geometry and units of a far-field ptychography experiment.
 * All lengths are metres, energies electronvolts unless the name says otherwise. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PTL_PLANCK_EV_M 1.23984198e-6 /* h·c / e: wavelength (m) × energy (eV) */
#define PTL_ELECTRONVOLT_J 1.602176634e-19

typedef struct
{
  double energy_ev;        /* photon energy */
  double distance;         /* sample–detector distance */
  double detector_pixel;   /* physical detector pixel pitch */
  guint  frame_size;       /* M: the reconstruction window is M×M (after binning) */
  guint  bin;              /* detector pixels summed per pattern pixel along each axis */
} PtlGeometry;

/* How a stage position (x, y), as the position stream reports it, maps onto the object
 * canvas's (row, col). Sign conventions are the most common failure in the field, so the
 * mapping is explicit, saved with every file, and shown to the user. */
typedef struct
{
  double   scale;   /* metres per stage unit (1 for metres, 1e-6 for micrometres) */
  gboolean swap_xy; /* stage x runs along canvas rows instead of columns */
  int      sign_x;  /* +1 or -1 */
  int      sign_y;  /* +1 or -1 */
} PtlAxisMapping;

#define PTL_AXIS_MAPPING_IDENTITY ((PtlAxisMapping) { 1.0, FALSE, 1, 1 })

double   ptl_wavelength_from_energy_ev (double energy_ev);
double   ptl_energy_ev_from_wavelength (double wavelength);
double   ptl_geometry_wavelength (const PtlGeometry *geometry);
double   ptl_geometry_pixel_size (const PtlGeometry *geometry);
gboolean ptl_geometry_validate (const PtlGeometry *geometry,
                                GError           **error);

gboolean ptl_axis_mapping_validate (const PtlAxisMapping *mapping,
                                    GError              **error);
void     ptl_axis_mapping_to_pixels (const PtlAxisMapping *mapping,
                                     double                pixel_size,
                                     double                x,
                                     double                y,
                                     double               *row,
                                     double               *col);
void     ptl_axis_mapping_to_stage (const PtlAxisMapping *mapping,
                                    double                pixel_size,
                                    double                row,
                                    double                col,
                                    double               *x,
                                    double               *y);

G_END_DECLS
