/* Reading a scan file: our recordings (layout: ptl-recording-private.h) here and in
 * ptl-scan-file-series.c, other programs' CXI files in ptl-scan-file-foreign.c. Every size a
 * file states is checked against the bounds of core/ptl-frame.h and ptl-recording-private.h
 * before anything is allocated for it; a recording cut short by a kill reads up to its last
 * complete frame. */
#include "config.h"

#include "ptl-recording.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"
#include "stream/ptl-bslz4.h"

/* "path: message" for an error of the layout (the message names the dataset). */
static gboolean
prefix_error (GError     **error,
              const char  *path,
              GError      *local)
{
  g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (3, 4)
format_error (GError    **error,
              const char *path,
              const char *format,
              ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: %s", path, what);
  return FALSE;
}

void
ptl_scan_file_free (PtlScanFile *file)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  if (file == NULL)
    return;
  if (file->data >= 0)
    H5Dclose (file->data);
  if (file->file >= 0)
    H5Fclose (file->file);
  ptl_series_info_free (file->series);
  g_free (file->image_ids);
  g_free (file->image_times);
  g_free (file->translation);
  g_free (file->path);
  g_free (file);
}

static gboolean
is_hdf5 (const char *path)
{
#if H5_VERSION_GE(1, 12, 0)
  return H5Fis_accessible (path, H5P_DEFAULT) > 0;
#else
  return H5Fis_hdf5 (path) > 0;
#endif
}

/* A writer killed in the middle of a flush may have written object headers that point
 * past the end of allocation its superblock still records (HDF5 writes the superblock
 * last), and HDF5 then refuses to read them. The space is in the file: reading up to its
 * end, in memory only, is what `h5clear --increment` makes permanent. */
static void
allow_reading_to_end_of_file (hid_t       file,
                              const char *path)
{
  haddr_t eoa;
  GStatBuf st;

  if (H5Fget_eoa (file, &eoa) >= 0 && g_stat (path, &st) == 0 && (haddr_t) st.st_size > eoa)
    H5Fincrement_filesize (file, 0);
}

/* A file whose writer was killed in HDF5's SWMR mode keeps its "open for writing" flags
 * and opens only for SWMR reading. */
static hid_t
open_hdf5 (const char *path,
           GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_autofree char *detail = NULL;
  hid_t file;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "%s: no such file", path);
      return H5I_INVALID_HID;
    }
  file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    {
      detail = ptl_h5_error_detail ();
      file = H5Fopen (path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
    }
  if (file >= 0)
    {
      allow_reading_to_end_of_file (file, path);
      return file;
    }
  if (!is_hdf5 (path))
    g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: not an HDF5 file", path);
  else
    g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN, "%s: cannot open the HDF5 file (%s)",
                 path, detail != NULL ? detail : "no detail");
  return H5I_INVALID_HID;
}

static gboolean
is_our_recording (hid_t file)
{
  g_autofree char *program = NULL;

  if (!ptl_h5_exists (file, REC_COLLECTION "/program"))
    return FALSE;
  program = ptl_h5_read_string (file, REC_COLLECTION "/program", NULL);
  return g_strcmp0 (program, REC_PROGRAM) == 0;
}

/* The encoding the filter pipeline declares: none, bitshuffle+LZ4 or LZ4; -1 otherwise. */
static int
frames_encoding (hid_t dcpl)
{
  unsigned int flags, config;
  size_t n_values = 0;
  int n_filters = H5Pget_nfilters (dcpl);
  H5Z_filter_t filter;

  if (n_filters == 0)
    return PTL_ENCODING_RAW;
  if (n_filters != 1)
    return -1;
  filter = H5Pget_filter2 (dcpl, 0, &flags, &n_values, NULL, 0, NULL, &config);
  return filter == REC_FILTER_BITSHUFFLE ? PTL_ENCODING_BSLZ4
         : filter == REC_FILTER_LZ4      ? PTL_ENCODING_LZ4
                                         : -1;
}

/* Frames of 1-, 2- or 4-byte integers of the series' shape, one chunk per frame; the filter
 * pipeline says how the chunks are compressed. */
static gboolean
check_frames (PtlScanFile *file,
              hsize_t     *n,
              GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) type = H5Dget_type (file->data);
  g_auto (PtlH5Id) dcpl = H5Dget_create_plist (file->data);
  g_autoptr (GError) local = NULL;
  hsize_t dims[3], chunk[3];
  int rank;
  PtlSeriesInfo *series = file->series;

  if (!ptl_h5_get_shape (file->data, 3, 3, &rank, dims, &local))
    return prefix_error (error, file->path, g_steal_pointer (&local));
  if (type < 0 || H5Tget_class (type) != H5T_INTEGER
      || H5Tget_size (type) != series->element_size
      || (H5Tget_sign (type) == H5T_SGN_2) != !!series->element_signed)
    return format_error (error, file->path, REC_DATA " does not hold %s %u-byte integers",
                         series->element_signed ? "signed" : "unsigned", series->element_size);
  if (dims[1] != series->image_rows || dims[2] != series->image_cols)
    return format_error (error, file->path,
                         REC_DATA " holds %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                         " frames, the series %u×%u", (guint64) dims[1], (guint64) dims[2],
                         series->image_rows, series->image_cols);
  if (dims[0] > REC_MAX_FRAMES)
    return format_error (error, file->path,
                         REC_DATA " holds %" G_GUINT64_FORMAT " frames, more than %u",
                         (guint64) dims[0], REC_MAX_FRAMES);
  if (dcpl < 0 || H5Pget_layout (dcpl) != H5D_CHUNKED || H5Pget_chunk (dcpl, 3, chunk) != 3
      || chunk[0] != 1 || chunk[1] != dims[1] || chunk[2] != dims[2])
    return format_error (error, file->path, REC_DATA " is not stored one frame per chunk");

  if (frames_encoding (dcpl) != (int) file->encoding)
    return format_error (error, file->path,
                         REC_DATA " is compressed otherwise than its “encoding” (%s) says",
                         _ptl_recording_encoding_name (file->encoding));
  *n = dims[0];
  return TRUE;
}

static gboolean
read_encoding (PtlScanFile *file,
               GError     **error)
{
  g_autofree char *name = ptl_h5_read_string (file->file, REC_COLLECTION "/encoding", error);
  PtlEncoding encodings[] = { PTL_ENCODING_RAW, PTL_ENCODING_LZ4, PTL_ENCODING_BSLZ4 };

  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    if (strcmp (name, _ptl_recording_encoding_name (encodings[i])) == 0)
      {
        file->encoding = encodings[i];
        return TRUE;
      }
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
               REC_COLLECTION "/encoding “%s” is none of raw, lz4, bslz4", name);
  return FALSE;
}

/* The first `n` rows of a per-frame table of `width` uint64 columns (0: 1-D); a shorter
 * table (a recording cut short) lowers `n`. */
static guint64 *
read_frame_table (hid_t       file,
                  const char *name,
                  guint       width,
                  guint      *n,
                  GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) dataset = ptl_h5_open_dataset (file, name, error);
  g_auto (PtlH5Id) file_space = H5I_INVALID_HID;
  g_auto (PtlH5Id) mem_space = H5I_INVALID_HID;
  g_autofree guint64 *values = NULL;
  hsize_t dims[2], start[2] = { 0, 0 }, count[2];
  int rank = width > 0 ? 2 : 1;

  if (dataset < 0 || !ptl_h5_get_shape (dataset, rank, rank, &rank, dims, error)
      || !ptl_h5_check_type (dataset, H5T_NATIVE_UINT64, error))
    return NULL;
  if (width > 0 && dims[1] != width)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s has %" G_GUINT64_FORMAT
                   " columns, expected %u", name, (guint64) dims[1], width);
      return NULL;
    }
  *n = MIN (*n, dims[0]);
  count[0] = *n;
  count[1] = MAX (width, 1);
  values = g_new0 (guint64, MAX ((gsize) *n * count[1], 1));
  if (*n == 0)
    return g_steal_pointer (&values);
  file_space = H5Dget_space (dataset);
  mem_space = H5Screate_simple (rank, count, NULL);
  if (H5Sselect_hyperslab (file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0
      || H5Dread (dataset, H5T_NATIVE_UINT64, mem_space, file_space, H5P_DEFAULT, values) < 0)
    {
      g_autofree char *detail = ptl_h5_error_detail ();

      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: cannot read (%s)", name,
                   detail != NULL ? detail : "no detail");
      return NULL;
    }
  return g_steal_pointer (&values);
}

/* Bytes a chunk of a frame may take: LZ4's worst case for incompressible data plus the
 * block headers, well under this. */
static guint64
max_chunk_bytes (PtlScanFile *file)
{
  return file->encoding == PTL_ENCODING_RAW ? file->frame_bytes
                                            : file->frame_bytes + file->frame_bytes / 64 + 4096;
}

static gboolean
chunk_size (PtlScanFile *file,
            guint        k,
            hsize_t     *size)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  hsize_t offset[3] = { k, 0, 0 };

  return H5Dget_chunk_storage_size (file->data, offset, size) >= 0 && *size > 0;
}

/* FALSE when the chunk index cannot be read: a writer killed during a flush may have
 * written the dataset's header but not yet the index node it points to. */
static gboolean
stored_chunks (PtlScanFile *file,
               hsize_t     *n)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) space = H5Dget_space (file->data);

  *n = 0;
  return space >= 0 && H5Dget_num_chunks (file->data, space, n) >= 0;
}

static gboolean
open_ours (PtlScanFile *file,
           GError     **error)
{
  g_autoptr (GError) local = NULL;
  hsize_t n_data = 0, n_stored, size;
  guint n;

  file->raw = TRUE;
  file->series = g_new0 (PtlSeriesInfo, 1);
  if (!_ptl_scan_file_read_series (file->file, file->series, &local)
      || !_ptl_scan_file_read_preprocess (file->file, &file->preprocess, &local)
      || !read_encoding (file, &local)
      || (file->data = ptl_h5_open_dataset (file->file, REC_DATA, &local)) < 0)
    return prefix_error (error, file->path, g_steal_pointer (&local));
  file->frame_bytes = (gsize) file->series->image_rows * file->series->image_cols
                      * file->series->element_size;
  if (!check_frames (file, &n_data, error))
    return FALSE;

  /* Frames whose bytes never reached the file before a kill are not counted: the recorder
   * writes them in order, so the stored chunks are the first ones (a corrupt extent asks
   * for no more than that either). */
  if (!stored_chunks (file, &n_stored))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: the index of its frames is damaged (was its writer killed while it "
                   "flushed the file?)", file->path);
      return FALSE;
    }
  n = MIN (n_data, n_stored);
  while (n > 0 && !chunk_size (file, n - 1, &size))
    n--;
  /* The per-frame tables grow with the frames; after a kill the shortest one counts. */
  if ((file->image_ids = read_frame_table (file->file, REC_COLLECTION "/image_id", 0, &n,
                                           &local)) == NULL
      || (file->image_times = read_frame_table (file->file, REC_COLLECTION "/image_time_ns", 3,
                                                &n, &local)) == NULL
      || (file->translation = _ptl_scan_file_read_translation (file, REC_TRANSLATION, n, TRUE,
                                                               &local)) == NULL)
    {
      if (local == NULL)
        g_set_error (&local, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, REC_TRANSLATION ": missing");
      return prefix_error (error, file->path, g_steal_pointer (&local));
    }
  file->n_frames = n;
  return TRUE;
}

PtlScanFile *
ptl_scan_file_open (const char *path,
                    GError    **error)
{
  g_autoptr (PtlScanFile) file = g_new0 (PtlScanFile, 1);

  g_return_val_if_fail (path != NULL, NULL);
  file->path = g_strdup (path);
  file->data = H5I_INVALID_HID;
  file->file = open_hdf5 (path, error);
  if (file->file < 0)
    return NULL;
  if (is_our_recording (file->file) ? !open_ours (file, error)
                                    : !_ptl_scan_file_open_foreign (file, error))
    return NULL;
  return g_steal_pointer (&file);
}

guint
ptl_scan_file_n_frames (PtlScanFile *file)
{
  return file->n_frames;
}

gboolean
ptl_scan_file_is_raw (PtlScanFile *file)
{
  return file->raw;
}

const PtlSeriesInfo *
ptl_scan_file_series (PtlScanFile *file)
{
  return file->series;
}

const PtlPreprocessParams *
ptl_scan_file_preprocess (PtlScanFile *file)
{
  return file->raw ? &file->preprocess : NULL;
}

static gboolean
check_frame_index (PtlScanFile *file,
                   guint        k,
                   GError     **error)
{
  if (k < file->n_frames)
    return TRUE;
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: no frame %u (it holds %u)",
               file->path, k, file->n_frames);
  return FALSE;
}

gboolean
ptl_scan_file_read_image (PtlScanFile   *file,
                          guint          k,
                          PtlImageInfo **image,
                          GError       **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  hsize_t offset[3] = { k, 0, 0 };
  hsize_t size = 0;
  guint32 filters = 0;
  g_autofree guint8 *bytes = NULL;
  g_autoptr (PtlImageInfo) result = NULL;
  PtlEncoding encoding = file->encoding;

  if (!file->raw)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: holds processed intensities, not detector frames", file->path);
      return FALSE;
    }
  if (!check_frame_index (file, k, error))
    return FALSE;
  if (!chunk_size (file, k, &size))
    return format_error (error, file->path, "frame %u was never written", k);
  if (size > max_chunk_bytes (file))
    return format_error (error, file->path,
                         "frame %u takes %" G_GUINT64_FORMAT " bytes, more than %"
                         G_GUINT64_FORMAT " for a %" G_GSIZE_FORMAT "-byte image", k,
                         (guint64) size, max_chunk_bytes (file), file->frame_bytes);
  bytes = g_malloc (size);
  if (H5Dread_chunk (file->data, H5P_DEFAULT, offset, &filters, bytes) < 0)
    {
      g_autofree char *detail = ptl_h5_error_detail ();

      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: cannot read frame %u (%s)",
                   file->path, k, detail != NULL ? detail : "no detail");
      return FALSE;
    }
  /* A chunk written with its filter skipped holds the pixels themselves. */
  if (filters != 0)
    encoding = PTL_ENCODING_RAW;
  if (encoding == PTL_ENCODING_RAW && size != file->frame_bytes)
    return format_error (error, file->path,
                         "frame %u has %" G_GUINT64_FORMAT " bytes, expected %" G_GSIZE_FORMAT, k,
                         (guint64) size, file->frame_bytes);
  if (encoding != PTL_ENCODING_RAW)
    {
      g_autoptr (GError) local = NULL;
      guint64 uncompressed = 0;
      guint32 block_bytes;

      if (!ptl_bslz4_header (bytes, size, &uncompressed, &block_bytes, &local)
          || uncompressed != file->frame_bytes)
        return format_error (error, file->path,
                             "frame %u does not decompress to a %" G_GSIZE_FORMAT
                             "-byte image", k, file->frame_bytes);
    }
  result = g_new0 (PtlImageInfo, 1);
  result->series_id = g_strdup (file->series->series_id);
  result->image_id = file->image_ids[k];
  result->rows = file->series->image_rows;
  result->cols = file->series->image_cols;
  result->element_size = file->series->element_size;
  result->encoding = encoding;
  result->data = g_bytes_new_take (g_steal_pointer (&bytes), size);
  result->start_time_ns = file->image_times[3 * (gsize) k];
  result->stop_time_ns = file->image_times[3 * (gsize) k + 1];
  result->real_time_ns = file->image_times[3 * (gsize) k + 2];
  *image = g_steal_pointer (&result);
  return TRUE;
}

gboolean
ptl_scan_file_read_intensity (PtlScanFile *file,
                              guint        k,
                              float       *intensity,
                              GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  guint m = file->series != NULL ? file->series->image_rows : 0;
  hsize_t start[3] = { k, 0, 0 }, count[3] = { 1, m, m };
  g_auto (PtlH5Id) file_space = H5I_INVALID_HID;
  g_auto (PtlH5Id) mem_space = H5I_INVALID_HID;

  if (file->raw)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: holds raw detector frames, to be preprocessed, not intensities",
                   file->path);
      return FALSE;
    }
  if (!check_frame_index (file, k, error))
    return FALSE;
  file_space = H5Dget_space (file->data);
  mem_space = H5Screate_simple (3, count, NULL);
  if (file_space < 0 || mem_space < 0
      || H5Sselect_hyperslab (file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0
      || H5Dread (file->data, H5T_NATIVE_FLOAT, mem_space, file_space, H5P_DEFAULT,
                  intensity) < 0)
    {
      g_autofree char *detail = ptl_h5_error_detail ();

      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_READ, "%s: cannot read frame %u (%s)",
                   file->path, k, detail != NULL ? detail : "no detail");
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_scan_file_translation (PtlScanFile *file,
                           guint        k,
                           double      *x,
                           double      *y)
{
  if (file->translation == NULL || k >= file->n_frames || isnan (file->translation[2 * (gsize) k])
      || isnan (file->translation[2 * (gsize) k + 1]))
    return FALSE;
  *x = file->translation[2 * (gsize) k];
  *y = file->translation[2 * (gsize) k + 1];
  return TRUE;
}

double
ptl_scan_file_frame_time (PtlScanFile *file)
{
  return file->series != NULL && file->series->frame_time > 0.0 ? file->series->frame_time : 0.0;
}
