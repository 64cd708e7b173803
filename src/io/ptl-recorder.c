/* Writing a recording (layout: ptl-recording-private.h).
 *
 * Valid after a kill at any moment outside a flush. HDF5's SWMR write mode would order
 * metadata writes for that, but a file left by a killed SWMR writer keeps its "open for
 * writing" superblock flags: h5dump and h5py (without swmr=True) refuse it until
 * `h5clear -s` is run on it. Instead every object is created before the first flush, and
 * the metadata cache is told never to evict: metadata reaches the disk only at a flush
 * (every flush_every frames and at the close), so between flushes the file on disk is the
 * one of the last flush, plus frame bytes written past its end, which nothing refers to
 * yet. A kill loses at most the frames since the last flush. A kill inside a flush (a
 * millisecond in every flush_every frames) can leave headers written and the index nodes
 * they point at not yet: the reader then says the frames' index is damaged.
 *
 * Frames are stored as the detector sent them with a direct chunk write, one chunk per
 * frame: bslz4 is HDF5's bitshuffle filter framing (32008) and the HDF5 LZ4 framing the
 * stream uses for lz4 is byte for byte that of HDF5's LZ4 filter (32004), so both are
 * declared as those filters, optional so that HDF5 takes them without the plugins; raw
 * frames are uncompressed chunks. Only the 12-byte header of compressed frames is checked
 * (size and shape agree); decoding every frame here would cost the recorder thread what it
 * must save.
 *
 * A full disk never reaches HDF5: before each frame, position and flush the file is grown
 * (posix_fallocate) past HDF5's end of allocation by what the call can add, so a lack of
 * room fails there, with nothing written. A write HDF5 itself finds failing leaves a flush
 * half done (its superblock may then promise more bytes than the file has) and, in 1.10,
 * leaks the chunk buffer of the failed write. */
#include "config.h"

#include "ptl-recording.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"
#include "stream/ptl-bslz4.h"

/* HDF5 stores a chunk's size in 32 bits. */
#define MAX_CHUNK_BYTES ((guint64) G_MAXUINT32)
/* Room beyond a frame's bytes that one call may take: a new chunk of every table (64 rows
 * of at most 24 bytes), B-tree nodes and HDF5's 2 KiB allocation blocks, many times over. */
#define ROOM_MARGIN ((guint64) 256 << 10)

typedef struct
{
  guint64 image_id; /* first: the key of g_int64_hash */
  guint64 frame;
} FrameOfId;

typedef struct
{
  guint64 image_id; /* first: the key of g_int64_hash */
  double  x;
  double  y;
} PendingPosition;

const char *
_ptl_recording_encoding_name (PtlEncoding encoding)
{
  switch (encoding)
    {
    case PTL_ENCODING_RAW:
      return "raw";
    case PTL_ENCODING_LZ4:
      return "lz4";
    case PTL_ENCODING_BSLZ4:
      return "bslz4";
    default:
      return NULL;
    }
}

typedef struct
{
  gsize       offset; /* of the hid_t in PtlRecorder */
  const char *path;
} DatasetPath;

static const DatasetPath datasets[] = {
  { G_STRUCT_OFFSET (PtlRecorder, data), REC_DATA },
  { G_STRUCT_OFFSET (PtlRecorder, image_id), REC_COLLECTION "/image_id" },
  { G_STRUCT_OFFSET (PtlRecorder, image_time), REC_COLLECTION "/image_time_ns" },
  { G_STRUCT_OFFSET (PtlRecorder, translation), REC_TRANSLATION },
  { G_STRUCT_OFFSET (PtlRecorder, position_id), REC_COLLECTION "/position_image_id" },
  { G_STRUCT_OFFSET (PtlRecorder, position_x), REC_COLLECTION "/position_x" },
  { G_STRUCT_OFFSET (PtlRecorder, position_y), REC_COLLECTION "/position_y" },
  { G_STRUCT_OFFSET (PtlRecorder, position_index), REC_COLLECTION "/position_index" },
  { G_STRUCT_OFFSET (PtlRecorder, counters), REC_COLLECTION "/counters" },
  { G_STRUCT_OFFSET (PtlRecorder, end_time), REC_ENTRY "/end_time" },
};

static hid_t *
dataset_id (PtlRecorder *self,
            guint        i)
{
  return G_STRUCT_MEMBER_P (self, datasets[i].offset);
}

static void
close_ids (PtlRecorder *self)
{
  hid_t *raw[] = { &self->raw_x, &self->raw_y };

  for (guint i = 0; i < G_N_ELEMENTS (datasets); i++)
    {
      hid_t *id = dataset_id (self, i);

      if (*id >= 0)
        H5Dclose (*id);
      *id = H5I_INVALID_HID;
    }
  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    {
      if (*raw[i] >= 0)
        H5Dclose (*raw[i]);
      *raw[i] = H5I_INVALID_HID;
    }
}

/* After a failed write HDF5 1.10 may keep a chunk it never indexed in the dataset's lookup
 * cache (then a shrink fails and the next write of that chunk is lost); a dataset opened
 * anew starts with an empty cache. */
static gboolean
reopen_ids (PtlRecorder *self)
{
  g_auto (PtlH5Id) dapl = _ptl_recorder_dataset_access_new ();
  gboolean ok = TRUE;

  close_ids (self);
  for (guint i = 0; i < G_N_ELEMENTS (datasets); i++)
    {
      hid_t *id = dataset_id (self, i);

      *id = H5Dopen2 (self->file, datasets[i].path, dapl);
      ok = ok && *id >= 0;
    }
  /* The raw position tables are named by the stage's fields. */
  self->raw_x = H5Dopen2 (self->file, self->raw_paths[0], dapl);
  self->raw_y = H5Dopen2 (self->file, self->raw_paths[1], dapl);
  return ok && self->raw_x >= 0 && self->raw_y >= 0;
}

static void
recorder_free (PtlRecorder *self)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  close_ids (self);
  if (self->file >= 0)
    H5Fclose (self->file);
  g_hash_table_unref (self->frame_of_id);
  g_hash_table_unref (self->pending);
  g_free (self->raw_paths[0]);
  g_free (self->raw_paths[1]);
  g_free (self->path);
  g_free (self);
}

static gboolean
validate_series (const PtlSeriesInfo *series,
                 PtlEncoding          encoding,
                 guint                flush_every,
                 GError             **error)
{
  if (series->image_rows == 0 || series->image_cols == 0
      || series->image_rows > PTL_STREAM_MAX_SIDE || series->image_cols > PTL_STREAM_MAX_SIDE)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Cannot record %u×%u images: each side must be 1 to %u pixels",
                   series->image_rows, series->image_cols, PTL_STREAM_MAX_SIDE);
      return FALSE;
    }
  if (series->element_size != 1 && series->element_size != 2 && series->element_size != 4)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID,
                   "Cannot record %u-byte pixels (1, 2 or 4 bytes)", series->element_size);
      return FALSE;
    }
  if ((guint64) series->image_rows * series->image_cols * series->element_size >= MAX_CHUNK_BYTES)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "Cannot record %u×%u images of %u-byte pixels: HDF5 chunks hold less than "
                   "4 GiB", series->image_rows, series->image_cols, series->element_size);
      return FALSE;
    }
  if (_ptl_recording_encoding_name (encoding) == NULL)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_INVALID, "Unknown image encoding %d",
                   (int) encoding);
      return FALSE;
    }
  if (flush_every == 0)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "Frames between flushes must be at least 1");
      return FALSE;
    }
  return TRUE;
}

static gboolean
rewrite_fixed_string (PtlRecorder *self,
                      hid_t        dataset,
                      const char  *value,
                      const char  *what,
                      GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) type = H5Dget_type (dataset);
  gsize size = type >= 0 ? H5Tget_size (type) : 0;
  g_autofree char *buffer = NULL;

  if (strlen (value) >= size)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_TOO_LARGE,
                   "%s: the %s text of %" G_GSIZE_FORMAT " bytes exceeds the %" G_GSIZE_FORMAT
                   " bytes kept for it", self->path, what, strlen (value),
                   size > 0 ? size - 1 : 0);
      return FALSE;
    }
  buffer = g_malloc0 (size);
  memcpy (buffer, value, strlen (value));
  if (H5Dwrite (dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path, "cannot write the %s",
                                  what);
      return FALSE;
    }
  return TRUE;
}

/* Grows or shrinks the first dimension of a table or of the frames. On failure, the HDF5
 * error is taken here, before any other HDF5 call (a cleanup too) clears it. */
static gboolean
set_rows (PtlRecorder *self,
          hid_t        dataset,
          guint64      rows,
          GError     **error)
{
  g_auto (PtlH5Id) space = H5Dget_space (dataset);
  hsize_t dims[3];
  int rank = space < 0 ? -1 : H5Sget_simple_extent_dims (space, dims, NULL);

  if (rank >= 1)
    {
      dims[0] = rows;
      if (H5Dset_extent (dataset, dims) >= 0)
        return TRUE;
    }
  _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path,
                              "cannot resize a table to %" G_GUINT64_FORMAT " rows", rows);
  return FALSE;
}

/* Writes one row (all its columns) of a table that already has it. */
static gboolean
write_row (PtlRecorder  *self,
           hid_t         dataset,
           guint64       row,
           hid_t         mem_type,
           gconstpointer values,
           GError      **error)
{
  g_auto (PtlH5Id) file_space = H5Dget_space (dataset);
  hsize_t dims[2], start[2] = { row, 0 }, count[2] = { 1, 1 };
  int rank = file_space < 0 ? -1 : H5Sget_simple_extent_dims (file_space, dims, NULL);
  g_auto (PtlH5Id) mem_space = H5I_INVALID_HID;

  if (rank == 2)
    count[1] = dims[1];
  if (rank >= 1 && rank <= 2 && (mem_space = H5Screate_simple (rank, count, NULL)) >= 0
      && H5Sselect_hyperslab (file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0
      && H5Dwrite (dataset, mem_type, mem_space, file_space, H5P_DEFAULT, values) >= 0)
    return TRUE;
  _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path,
                              "cannot write row %" G_GUINT64_FORMAT " of a table", row);
  return FALSE;
}

static gboolean
append_row (PtlRecorder  *self,
            hid_t         dataset,
            guint64       row,
            hid_t         mem_type,
            gconstpointer values,
            GError      **error)
{
  return set_rows (self, dataset, row + 1, error)
         && write_row (self, dataset, row, mem_type, values, error);
}

/* Metadata waits in the cache until a flush: see the top of this file. */
static hid_t
file_access_new (void)
{
  hid_t fapl = H5Pcreate (H5P_FILE_ACCESS);
  H5AC_cache_config_t cache = { .version = H5AC__CURR_CACHE_CONFIG_VERSION };

  if (H5Pget_mdc_config (fapl, &cache) >= 0)
    {
      cache.evictions_enabled = FALSE;
      cache.incr_mode = H5C_incr__off;
      cache.flash_incr_mode = H5C_flash_incr__off;
      cache.decr_mode = H5C_decr__off;
      H5Pset_mdc_config (fapl, &cache);
    }
  return fapl;
}

PtlRecorder *
ptl_recorder_create (const char                *path,
                     const PtlSeriesInfo       *series,
                     PtlEncoding                encoding,
                     const PtlPreprocessParams *preprocess,
                     guint                      flush_every,
                     GError                   **error)
{
  return ptl_recorder_create_full (path, series, encoding, preprocess, NULL, flush_every, error);
}

PtlRecorder *
ptl_recorder_create_full (const char                *path,
                          const PtlSeriesInfo       *series,
                          PtlEncoding                encoding,
                          const PtlPreprocessParams *preprocess,
                          const PtlPositionSource   *positions,
                          guint                      flush_every,
                          GError                   **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) fapl = H5I_INVALID_HID;
  PtlRecorder *self;
  g_autoptr (GError) local = NULL;
  const PtlPositionSource metres = { "x", "y", 1.0, 1, PTL_AXIS_MAPPING_IDENTITY };

  g_return_val_if_fail (path != NULL && series != NULL && preprocess != NULL, NULL);
  if (!validate_series (series, encoding, flush_every, error))
    return NULL;
  if (positions == NULL)
    positions = &metres;
  if (!isfinite (positions->scale) || positions->scale == 0 || positions->samples_per_frame < 1)
    {
      g_set_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE,
                   "%s: positions need a finite, nonzero scale (not %g) and at least one "
                   "sample per image (not %u)", path, positions->scale,
                   positions->samples_per_frame);
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_OPEN,
                   "%s: already exists; a recording never replaces a file", path);
      return NULL;
    }

  self = g_new0 (PtlRecorder, 1);
  self->path = g_strdup (path);
  self->encoding = encoding;
  self->rows = series->image_rows;
  self->cols = series->image_cols;
  self->element_size = series->element_size;
  self->frame_bytes = (gsize) self->rows * self->cols * self->element_size;
  self->flush_every = flush_every;
  self->data = self->image_id = self->image_time = self->translation = H5I_INVALID_HID;
  self->position_id = self->position_x = self->position_y = H5I_INVALID_HID;
  self->position_index = self->raw_x = self->raw_y = H5I_INVALID_HID;
  self->counters = self->end_time = H5I_INVALID_HID;
  self->frame_of_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  /* EXCL: the check above is for the message; this one is the race-free refusal. */
  fapl = file_access_new ();
  self->file = H5Fcreate (path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
  if (self->file < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_OPEN, path,
                                  "cannot create the recording");
      recorder_free (self);
      return NULL;
    }
  if (!_ptl_recorder_write_layout (self, series, preprocess, positions, &local))
    g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "%s: %s", path, local->message);
  /* On disk at once: a kill before the first frames leaves an empty but valid recording. */
  if (local != NULL || !ptl_recorder_flush (self, error))
    {
      recorder_free (self);
      /* Ours since H5F_ACC_EXCL made it: an unusable half-written file goes. */
      g_unlink (path);
      return NULL;
    }
  return self;
}

static gboolean
check_image (PtlRecorder        *self,
             const PtlImageInfo *image,
             GError            **error)
{
  gsize size = image->data != NULL ? g_bytes_get_size (image->data) : 0;
  guint64 uncompressed;
  guint32 block_bytes;
  g_autoptr (GError) local = NULL;

  if (image->rows != self->rows || image->cols != self->cols
      || image->element_size != self->element_size)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: image %" G_GUINT64_FORMAT " is %u×%u of %u-byte pixels, the recording "
                   "%u×%u of %u-byte pixels", self->path, image->image_id, image->rows,
                   image->cols, image->element_size, self->rows, self->cols, self->element_size);
      return FALSE;
    }
  if (image->encoding != self->encoding)
    {
      const char *name = _ptl_recording_encoding_name (image->encoding);

      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: image %" G_GUINT64_FORMAT " is %s, the recording %s", self->path,
                   image->image_id, name != NULL ? name : "of an unknown encoding",
                   _ptl_recording_encoding_name (self->encoding));
      return FALSE;
    }
  if (image->encoding == PTL_ENCODING_RAW)
    {
      if (size == self->frame_bytes)
        return TRUE;
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: image %" G_GUINT64_FORMAT " has %" G_GSIZE_FORMAT " bytes, expected %"
                   G_GSIZE_FORMAT, self->path, image->image_id, size, self->frame_bytes);
      return FALSE;
    }
  if (size > MAX_CHUNK_BYTES)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: image %" G_GUINT64_FORMAT " has %" G_GSIZE_FORMAT " compressed bytes, "
                   "more than an HDF5 chunk holds", self->path, image->image_id, size);
      return FALSE;
    }
  if (!ptl_bslz4_header (size > 0 ? g_bytes_get_data (image->data, NULL) : NULL, size,
                         &uncompressed, &block_bytes, &local))
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT, "%s: image %" G_GUINT64_FORMAT
                   ": %s", self->path, image->image_id, local->message);
      return FALSE;
    }
  if (uncompressed != self->frame_bytes)
    {
      g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_FORMAT,
                   "%s: image %" G_GUINT64_FORMAT " decompresses to %" G_GUINT64_FORMAT
                   " bytes, expected %" G_GSIZE_FORMAT, self->path, image->image_id,
                   uncompressed, self->frame_bytes);
      return FALSE;
    }
  return TRUE;
}

/* Back to `frames` rows in every per-frame table: what the failed call had added goes. */
static void
roll_back (PtlRecorder *self,
           guint64      frames)
{
  reopen_ids (self);
  set_rows (self, self->data, frames, NULL);
  set_rows (self, self->image_id, frames, NULL);
  set_rows (self, self->image_time, frames, NULL);
  set_rows (self, self->translation, frames, NULL);
}

static gboolean
write_translation (PtlRecorder *self,
                   guint64      frame,
                   double       x,
                   double       y,
                   GError     **error)
{
  const double xyz[3] = { x, y, 0.0 };

  return write_row (self, self->translation, frame, H5T_NATIVE_DOUBLE, xyz, error);
}

gboolean
ptl_recorder_add_frame (PtlRecorder        *self,
                        const PtlImageInfo *image,
                        GError            **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  guint64 frame = self->n_frames;
  hsize_t offset[3] = { frame, 0, 0 };
  const guint64 times[3] = { image->start_time_ns, image->stop_time_ns, image->real_time_ns };
  PendingPosition *pending = g_hash_table_lookup (self->pending, &image->image_id);
  FrameOfId *entry;
  gsize size;
  gconstpointer bytes;

  if (!check_image (self, image, error))
    return FALSE;
  bytes = g_bytes_get_data (image->data, &size);
  if (!_ptl_recorder_reserve_room (self, size + ROOM_MARGIN, error))
    return FALSE;
  if (!set_rows (self, self->data, frame + 1, error))
    {
      roll_back (self, frame);
      return FALSE;
    }
  if (H5Dwrite_chunk (self->data, H5P_DEFAULT, 0, offset, size, bytes) < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path,
                                  "cannot write image %" G_GUINT64_FORMAT, image->image_id);
      roll_back (self, frame);
      return FALSE;
    }
  if (!append_row (self, self->image_id, frame, H5T_NATIVE_UINT64, &image->image_id, error)
      || !append_row (self, self->image_time, frame, H5T_NATIVE_UINT64, times, error)
      || !set_rows (self, self->translation, frame + 1, error)
      || (pending != NULL
          && !write_translation (self, frame, pending->x, pending->y, error)))
    {
      roll_back (self, frame);
      return FALSE;
    }
  if (self->since_flush + 1 < self->flush_every)
    self->since_flush++;
  else if (!ptl_recorder_flush (self, error))
    {
      /* Not on disk: the frame counts as not recorded, and the next one flushes again. */
      roll_back (self, frame);
      return FALSE;
    }
  self->n_frames = frame + 1;
  g_hash_table_remove (self->pending, &image->image_id);
  entry = g_new (FrameOfId, 1);
  entry->image_id = image->image_id;
  entry->frame = frame;
  g_hash_table_replace (self->frame_of_id, entry, entry);
  return TRUE;
}

gboolean
ptl_recorder_add_position (PtlRecorder *self,
                           guint64      image_id,
                           double       x,
                           double       y,
                           GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  guint64 row = self->n_positions;
  FrameOfId *frame = g_hash_table_lookup (self->frame_of_id, &image_id);

  if (!_ptl_recorder_reserve_room (self, ROOM_MARGIN, error))
    return FALSE;

  /* The stage's own numbers: the mean of the samples, before the scale made them metres. */
  guint64 first_sample = image_id * self->samples_per_frame;
  double raw_x = x / self->scale, raw_y = y / self->scale;

  if (!append_row (self, self->position_id, row, H5T_NATIVE_UINT64, &image_id, error)
      || !append_row (self, self->position_x, row, H5T_NATIVE_DOUBLE, &x, error)
      || !append_row (self, self->position_y, row, H5T_NATIVE_DOUBLE, &y, error)
      || !append_row (self, self->position_index, row, H5T_NATIVE_UINT64, &first_sample, error)
      || !append_row (self, self->raw_x, row, H5T_NATIVE_DOUBLE, &raw_x, error)
      || !append_row (self, self->raw_y, row, H5T_NATIVE_DOUBLE, &raw_y, error)
      || (frame != NULL && !write_translation (self, frame->frame, x, y, error)))
    {
      reopen_ids (self);
      /* After the reopen: the identifiers are new. */
      hid_t tables[] = { self->position_id, self->position_x, self->position_y,
                         self->position_index, self->raw_x, self->raw_y };
      for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
        set_rows (self, tables[i], row, NULL);
      return FALSE;
    }
  self->n_positions = row + 1;
  if (frame == NULL)
    {
      PendingPosition *pending = g_new (PendingPosition, 1);

      pending->image_id = image_id;
      pending->x = x;
      pending->y = y;
      g_hash_table_replace (self->pending, pending, pending);
    }
  return TRUE;
}

gboolean
ptl_recorder_set_counters (PtlRecorder *self,
                           const char  *counters_json,
                           GError     **error)
{
  return rewrite_fixed_string (self, self->counters, counters_json, "counters", error);
}

gboolean
ptl_recorder_flush (PtlRecorder *self,
                    GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  if (!_ptl_recorder_reserve_room (self, ROOM_MARGIN, error))
    return FALSE;
  if (H5Fflush (self->file, H5F_SCOPE_GLOBAL) < 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path,
                                  "cannot flush the recording");
      return FALSE;
    }
  self->since_flush = 0;
  return TRUE;
}

guint64
ptl_recorder_frames (PtlRecorder *self)
{
  return self->n_frames;
}

gboolean
ptl_recorder_close (PtlRecorder *self,
                    GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *end_time = g_date_time_format_iso8601 (now);
  g_autoptr (GError) local = NULL;
  gboolean ok;

  /* A frame whose flush failed was rolled back; the tables hold exactly n_frames rows. */
  ok = rewrite_fixed_string (self, self->end_time, end_time, "end_time", &local)
       && ptl_recorder_flush (self, &local);
  if (ok)
    _ptl_recorder_give_back_room (self);
  close_ids (self);
  if (H5Fclose (self->file) < 0 && ok)
    {
      _ptl_recorder_set_h5_error (&local, PTL_IO_ERROR_WRITE, self->path,
                                  "cannot close the recording");
      ok = FALSE;
    }
  self->file = H5I_INVALID_HID;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local));
  recorder_free (self);
  return ok;
}
