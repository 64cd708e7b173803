/* Writing a recording (layout: ptl-recording-private.h): creating it, flushing it and
 * closing it. Its objects are made in ptl-recorder-layout.c, frames and positions added in
 * ptl-recorder-append.c through the table writes of ptl-recorder-tables.c, and room on disk
 * taken in ptl-recorder-room.c.
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
 * A full disk never reaches HDF5: before each frame, position and flush the file is grown
 * (posix_fallocate) past HDF5's end of allocation by what the call can add, so a lack of
 * room fails there, with nothing written. A write HDF5 itself finds failing leaves a flush
 * half done (its superblock may then promise more bytes than the file has) and, in 1.10,
 * leaks the chunk buffer of the failed write. */
#include "config.h"

#include "ptl-recording.h"

#include <glib/gstdio.h>
#include <math.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

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

static void
recorder_free (PtlRecorder *self)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  _ptl_recorder_close_ids (self);
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
  if ((guint64) series->image_rows * series->image_cols * series->element_size
      >= REC_MAX_CHUNK_BYTES)
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

gboolean
ptl_recorder_set_counters (PtlRecorder *self,
                           const char  *counters_json,
                           GError     **error)
{
  return _ptl_recorder_rewrite_fixed_string (self, self->counters, counters_json, "counters",
                                             error);
}

gboolean
ptl_recorder_flush (PtlRecorder *self,
                    GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  if (!_ptl_recorder_reserve_room (self, REC_ROOM_MARGIN, error))
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
  ok = _ptl_recorder_rewrite_fixed_string (self, self->end_time, end_time, "end_time",
                                           &local)
       && ptl_recorder_flush (self, &local);
  if (ok)
    _ptl_recorder_give_back_room (self);
  _ptl_recorder_close_ids (self);
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
