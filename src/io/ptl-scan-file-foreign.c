/* Reading other programs' CXI files (reference/protocols.md §4.2, §5.4 G): frames of
 * already-processed intensities (N, M, M) at /entry_1/data_1/data or
 * /entry_1/instrument_1/detector_1/data, a translation of (N, 3) as CXI says or (3, N) as
 * PyNX writes it, energy in J, distance and pixel sizes in m. */
#include "config.h"

#include "ptl-recording.h"

#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

#define CXI_DETECTOR "/entry_1/instrument_1/detector_1"

static const char *const data_paths[] = {
  "/entry_1/data_1/data",
  CXI_DETECTOR "/data",
};

static const char *const translation_paths[] = {
  "/entry_1/data_1/translation",
  "/entry_1/sample_1/geometry_1/translation",
  CXI_DETECTOR "/translation",
};

static const char *const energy_paths[] = {
  "/entry_1/instrument_1/source_1/energy",
  "/entry_1/instrument_1/beam_1/energy",
};

/* Above this a photon energy "in J" is an energy in eV (the CXI 1.3 figure) or nonsense:
 * 1e-12 J is 6 MeV. */
#define MAX_ENERGY_J 1e-12

static gboolean
prefix_error (GError    **error,
              const char *path,
              GError     *local)
{
  g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
  g_error_free (local);
  return FALSE;
}

/* The first of `paths` that exists, or NULL. */
static const char *
first_existing (hid_t              file,
                const char *const *paths,
                guint              n_paths)
{
  for (guint i = 0; i < n_paths; i++)
    if (ptl_h5_exists (file, paths[i]))
      return paths[i];
  return NULL;
}

/* A positive finite length or energy, when the file has it; 0 when it has not. */
static gboolean
read_optional_positive (hid_t       file,
                        const char *path,
                        double     *value,
                        GError    **error)
{
  *value = 0.0;
  if (path == NULL || !ptl_h5_exists (file, path))
    return TRUE;
  if (!ptl_h5_read_scalar (file, path, H5T_NATIVE_DOUBLE, value, error))
    return FALSE;
  if (!(isfinite (*value) && *value > 0.0))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s is %g, not a positive number",
                   path, *value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_energy (hid_t          file,
             PtlSeriesInfo *series,
             GError       **error)
{
  const char *path = first_existing (file, energy_paths, G_N_ELEMENTS (energy_paths));
  double energy;

  if (!read_optional_positive (file, path, &energy, error))
    return FALSE;
  if (energy > MAX_ENERGY_J)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s is %g, not a photon energy in J as CXI requires", path, energy);
      return FALSE;
    }
  series->energy_ev = energy / PTL_ELECTRONVOLT_J;
  series->wavelength = energy > 0.0 ? PTL_PLANCK_EV_M / series->energy_ev : 0.0;
  return TRUE;
}

/* The first `rows` rows of a (≥ rows, 3) dataset of numbers. */
static gboolean
read_rows (hid_t    dataset,
           guint    rows,
           double  *values,
           GError **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) file_space = H5Dget_space (dataset);
  hsize_t start[2] = { 0, 0 }, count[2] = { rows, 3 };
  g_auto (PtlH5Id) mem_space = H5Screate_simple (2, count, NULL);

  if (!ptl_h5_check_type (dataset, H5T_NATIVE_DOUBLE, error))
    return FALSE;
  if (rows > 0
      && (H5Sselect_hyperslab (file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0
          || H5Dread (dataset, H5T_NATIVE_DOUBLE, mem_space, file_space, H5P_DEFAULT, values)
               < 0))
    {
      g_autofree char *detail = ptl_h5_error_detail ();

      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: cannot read (%s)",
                   REC_TRANSLATION, detail != NULL ? detail : "no detail");
      return FALSE;
    }
  return TRUE;
}

double *
_ptl_scan_file_read_translation (PtlScanFile *file,
                                 const char  *path,
                                 guint        n,
                                 gboolean     allow_short,
                                 GError     **error)
{
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;
  g_autofree double *values = NULL;
  hsize_t dims[2];
  int rank;
  gboolean transposed;
  guint rows;
  double *xy;

  if (!ptl_h5_exists (file->file, path))
    return NULL;
  if ((dataset = ptl_h5_open_dataset (file->file, path, error)) < 0
      || !ptl_h5_get_shape (dataset, 2, 2, &rank, dims, error))
    return NULL;
  /* (N, 3) is CXI's and ours; (3, N) with N ≠ 3 is PyNX's. */
  transposed = !allow_short && dims[0] == 3 && dims[1] != 3;
  rows = MIN (transposed ? dims[1] : dims[0], (hsize_t) G_MAXUINT);
  if ((transposed ? dims[0] : dims[1]) != 3 || rows > REC_MAX_FRAMES
      || (!allow_short && rows != n))
    {
      if (allow_short)
        g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                     "%s is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ", expected frames×3 "
                     "(x, y, z of each frame)", path, (guint64) dims[0], (guint64) dims[1]);
      else
        g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                     "%s is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ", expected %u×3 or 3×%u "
                     "(x, y, z of each frame)", path, (guint64) dims[0], (guint64) dims[1], n, n);
      return NULL;
    }
  /* Ours may hold more rows than frames (a corrupt table): only the frames' are read. */
  if (allow_short)
    rows = MIN (rows, n);
  values = g_new (double, 3 * (gsize) MAX (rows, 1));
  if (!(allow_short ? read_rows (dataset, rows, values, error)
                    : ptl_h5_read (dataset, H5T_NATIVE_DOUBLE, 3 * (gsize) rows, values, error)))
    return NULL;
  xy = g_new (double, 2 * (gsize) MAX (n, 1));
  for (guint k = 0; k < n; k++)
    {
      gboolean has = k < rows;

      xy[2 * k] = !has ? NAN : transposed ? values[k] : values[3 * (gsize) k];
      xy[2 * k + 1] = !has ? NAN : transposed ? values[rows + k] : values[3 * (gsize) k + 1];
    }
  return xy;
}

gboolean
_ptl_scan_file_open_foreign (PtlScanFile *file,
                             GError     **error)
{
  g_autoptr (GError) local = NULL;
  const char *data_path = first_existing (file->file, data_paths, G_N_ELEMENTS (data_paths));
  const char *translation_path;
  hsize_t dims[3];
  int rank;
  PtlSeriesInfo *series;

  if (data_path == NULL)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: neither a recording of this program nor a CXI scan (no %s or %s)",
                   file->path, data_paths[0], data_paths[1]);
      return FALSE;
    }
  if ((file->data = ptl_h5_open_dataset (file->file, data_path, &local)) < 0
      || !ptl_h5_get_shape (file->data, 3, 3, &rank, dims, &local)
      || !ptl_h5_check_type (file->data, H5T_NATIVE_FLOAT, &local))
    return prefix_error (error, file->path, g_steal_pointer (&local));
  if (dims[1] != dims[2])
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: %s holds %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT " frames; processed "
                   "intensities are square", file->path, data_path, (guint64) dims[1],
                   (guint64) dims[2]);
      return FALSE;
    }
  if (dims[1] == 0 || dims[1] > PTL_STREAM_MAX_SIDE || dims[0] > REC_MAX_FRAMES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: %s holds %" G_GUINT64_FORMAT " frames of %" G_GUINT64_FORMAT " pixels a "
                   "side (at most %u of 1 to %u)", file->path, data_path, (guint64) dims[0],
                   (guint64) dims[1], REC_MAX_FRAMES, PTL_STREAM_MAX_SIDE);
      return FALSE;
    }

  file->raw = FALSE;
  file->n_frames = dims[0];
  file->series = series = g_new0 (PtlSeriesInfo, 1);
  series->image_rows = series->image_cols = dims[1];
  series->element_size = sizeof (float);
  series->number_of_images = dims[0];
  if (!read_energy (file->file, series, &local)
      || !read_optional_positive (file->file, CXI_DETECTOR "/distance",
                                  &series->detector_distance, &local)
      || !read_optional_positive (file->file, CXI_DETECTOR "/x_pixel_size",
                                  &series->pixel_size_x, &local)
      || !read_optional_positive (file->file, CXI_DETECTOR "/y_pixel_size",
                                  &series->pixel_size_y, &local)
      || !read_optional_positive (file->file, CXI_DETECTOR "/count_time", &series->count_time,
                                  &local)
      || !read_optional_positive (file->file, CXI_DETECTOR "/frame_time", &series->frame_time,
                                  &local))
    return prefix_error (error, file->path, g_steal_pointer (&local));

  translation_path = first_existing (file->file, translation_paths,
                                     G_N_ELEMENTS (translation_paths));
  if (translation_path != NULL
      && (file->translation = _ptl_scan_file_read_translation (file, translation_path,
                                                               file->n_frames, FALSE, &local))
           == NULL)
    return prefix_error (error, file->path, g_steal_pointer (&local));
  return TRUE;
}
