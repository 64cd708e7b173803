/* Adding frames and positions to a recording (layout: ptl-recording-private.h), the work of
 * the recorder thread between the creation and the close: each call takes its room on disk
 * first, then grows the tables and writes its rows, and a call that fails takes back the
 * rows it added, so that the recorder goes on with the next one.
 *
 * Frames are stored as the detector sent them with a direct chunk write, one chunk per
 * frame: bslz4 is HDF5's bitshuffle filter framing (32008) and the HDF5 LZ4 framing the
 * stream uses for lz4 is byte for byte that of HDF5's LZ4 filter (32004), so both are
 * declared as those filters, optional so that HDF5 takes them without the plugins; raw
 * frames are uncompressed chunks. Only the 12-byte header of compressed frames is checked
 * (size and shape agree); decoding every frame here would cost the recorder thread what it
 * must save. */
#include "config.h"

#include "ptl-recording.h"

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"
#include "stream/ptl-bslz4.h"

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
  if (size > REC_MAX_CHUNK_BYTES)
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
  _ptl_recorder_reopen_ids (self);
  _ptl_recorder_set_rows (self, self->data, frames, NULL);
  _ptl_recorder_set_rows (self, self->image_id, frames, NULL);
  _ptl_recorder_set_rows (self, self->image_time, frames, NULL);
  _ptl_recorder_set_rows (self, self->translation, frames, NULL);
}

static gboolean
write_translation (PtlRecorder *self,
                   guint64      frame,
                   double       x,
                   double       y,
                   GError     **error)
{
  const double xyz[3] = { x, y, 0.0 };

  return _ptl_recorder_write_row (self, self->translation, frame, H5T_NATIVE_DOUBLE, xyz,
                                  error);
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
  if (!_ptl_recorder_reserve_room (self, size + REC_ROOM_MARGIN, error))
    return FALSE;
  if (!_ptl_recorder_set_rows (self, self->data, frame + 1, error))
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
  if (!_ptl_recorder_append_row (self, self->image_id, frame, H5T_NATIVE_UINT64,
                                 &image->image_id, error)
      || !_ptl_recorder_append_row (self, self->image_time, frame, H5T_NATIVE_UINT64, times,
                                    error)
      || !_ptl_recorder_set_rows (self, self->translation, frame + 1, error)
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

  if (!_ptl_recorder_reserve_room (self, REC_ROOM_MARGIN, error))
    return FALSE;

  /* The stage's own numbers: the mean of the samples, before the scale made them metres. */
  guint64 first_sample = image_id * self->samples_per_frame;
  double raw_x = x / self->scale, raw_y = y / self->scale;

  if (!_ptl_recorder_append_row (self, self->position_id, row, H5T_NATIVE_UINT64, &image_id,
                                 error)
      || !_ptl_recorder_append_row (self, self->position_x, row, H5T_NATIVE_DOUBLE, &x, error)
      || !_ptl_recorder_append_row (self, self->position_y, row, H5T_NATIVE_DOUBLE, &y, error)
      || !_ptl_recorder_append_row (self, self->position_index, row, H5T_NATIVE_UINT64,
                                    &first_sample, error)
      || !_ptl_recorder_append_row (self, self->raw_x, row, H5T_NATIVE_DOUBLE, &raw_x, error)
      || !_ptl_recorder_append_row (self, self->raw_y, row, H5T_NATIVE_DOUBLE, &raw_y, error)
      || (frame != NULL && !write_translation (self, frame->frame, x, y, error)))
    {
      _ptl_recorder_reopen_ids (self);
      /* After the reopen: the identifiers are new. */
      hid_t tables[] = { self->position_id, self->position_x, self->position_y,
                         self->position_index, self->raw_x, self->raw_y };
      for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
        _ptl_recorder_set_rows (self, tables[i], row, NULL);
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
