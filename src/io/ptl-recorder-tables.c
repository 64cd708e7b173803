/* The recorder's open datasets and its writes to them a row, or a fixed-length string, at a
 * time: the steps that ptl-recorder-append.c (frames, positions) and ptl-recorder.c (counters,
 * end time) are made of, with the ones that undo a failed call (a table shrunk back, the
 * datasets opened anew), so that those files read as what they record and not as HDF5. */
#include "config.h"

#include "ptl-recording.h"

#include <string.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

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

void
_ptl_recorder_close_ids (PtlRecorder *self)
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
gboolean
_ptl_recorder_reopen_ids (PtlRecorder *self)
{
  g_auto (PtlH5Id) dapl = _ptl_recorder_dataset_access_new ();
  gboolean ok = TRUE;

  _ptl_recorder_close_ids (self);
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

gboolean
_ptl_recorder_rewrite_fixed_string (PtlRecorder *self,
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
gboolean
_ptl_recorder_set_rows (PtlRecorder *self,
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
gboolean
_ptl_recorder_write_row (PtlRecorder  *self,
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

gboolean
_ptl_recorder_append_row (PtlRecorder  *self,
                          hid_t         dataset,
                          guint64       row,
                          hid_t         mem_type,
                          gconstpointer values,
                          GError      **error)
{
  return _ptl_recorder_set_rows (self, dataset, row + 1, error)
         && _ptl_recorder_write_row (self, dataset, row, mem_type, values, error);
}
