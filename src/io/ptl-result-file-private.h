/* The layout of result files, shared by their writer and reader: CXI 1.6 with the
 * NXcxi_ptycho names where they cost nothing.
 *
 *   /cxi_version                                    int 160
 *   /entry_1                                        NXentry
 *     program_name                                  "ptycholive", @version
 *     image_1/                                      NXdata, the probe
 *       data                                        complex64 {r, i} (modes, rows, cols),
 *                                                   @axes "incoherent:y:x"
 *       data_space "real", data_type "amplitude", image_size (3) m, is_fft_shifted 0
 *     image_2/                                      NXdata, the object
 *       data                                        complex64 {r, i} (layers, rows, cols),
 *                                                   @axes "layer:y:x"
 *       data_space "real", data_type "electron density", image_size (3) m, is_fft_shifted 0
 *       process_1/                                  NXprocess: program, version, date (ISO 8601)
 *     instrument_1/                                 NXinstrument
 *       source_1/                                   NXsource
 *         energy                                    float64, J
 *         illumination                              soft link → /entry_1/image_1/data
 *       detector_1/                                 NXdetector
 *         distance, x_pixel_size, y_pixel_size      float64, m (pixel = detector pixel × bin)
 *     sample_1/                                     NXsample
 *       geometry_1/                                 NXcollection
 *         translation                               float64 (N, 3), m: x, y, 0 used
 *     ptycholive/                                   NXcollection
 *       pixel_size                                  float64, m (object plane)
 *       frame_size, bin                             uint32
 *       position_mapping                            JSON string for people, and the numbers
 *                                                   this reader uses as @scale (float64),
 *                                                   @swap_xy (0/1), @sign_x, @sign_y (±1)
 *       fourier_error                               float64 (iterations), possibly (0)
 *       backend                                     string, when known
 *       parameters/                                 NXparameters: algorithm, probe_init
 *                                                   (strings), iterations, probe_update_start
 *                                                   (uint32), alpha, beta, seed (uint64)
 *
 * A 2-D probe or object is stored as one mode or layer. image_size is (cols·dx, rows·dx, 0)
 * with dx the object-plane pixel; is_fft_shifted is 0 because both are real-space images in
 * their natural order. The CXI fields are the single source of the geometry: the reader
 * converts the energy back to eV and divides the pixel size by the binning, which can differ
 * from the written value in the last bit. */
#pragma once

#include "core/ptl-params.h"

G_BEGIN_DECLS

#define CXI_VERSION 160
#define CXI_PROBE_DATA "/entry_1/image_1/data"
#define CXI_OBJECT_DATA "/entry_1/image_2/data"
#define CXI_SOURCE "/entry_1/instrument_1/source_1"
#define CXI_DETECTOR "/entry_1/instrument_1/detector_1"
#define CXI_TRANSLATION "/entry_1/sample_1/geometry_1/translation"
#define APP_GROUP "/entry_1/ptycholive"
#define APP_PARAMETERS APP_GROUP "/parameters"

/* Far above any scan or run, and small enough that a damaged file cannot ask for more than a
 * few hundred megabytes before anything is read. */
#define RESULT_MAX_POSITIONS (1u << 24)
#define RESULT_MAX_ERRORS (1u << 24)

extern const char *const _ptl_result_probe_init_names[PTL_PROBE_INIT_MODEL + 1];

G_END_DECLS
