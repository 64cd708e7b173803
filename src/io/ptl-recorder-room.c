/* Room on disk for a recording, taken before HDF5 writes (see ptl-recorder.c): HDF5 never
 * meets a full disk, so a flush is never left half done. */
#include "config.h"

#include "ptl-recording.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util.h"
#include "ptl-recording-private.h"

/* Makes the file at least `extra` bytes longer than HDF5's end of allocation, so that what
 * the next call writes lands in space the file system has already given. */
gboolean
_ptl_recorder_reserve_room (PtlRecorder *self,
                            guint64      extra,
                            GError     **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  haddr_t eoa = 0;
  int *fd = NULL;
  struct stat st;
  int status;

  if (H5Fget_eoa (self->file, &eoa) < 0
      || H5Fget_vfd_handle (self->file, H5P_DEFAULT, (void **) &fd) < 0 || fd == NULL
      || fstat (*fd, &st) != 0)
    {
      _ptl_recorder_set_h5_error (error, PTL_IO_ERROR_WRITE, self->path,
                                  "cannot find the end of the file");
      return FALSE;
    }
  if ((guint64) st.st_size >= eoa + extra)
    return TRUE;
  status = posix_fallocate (*fd, st.st_size, eoa + extra - st.st_size);
  /* A file system that cannot reserve space gets no guarantee, and no refusal either. */
  if (status == 0 || status == EOPNOTSUPP || status == EINVAL)
    return TRUE;
  /* What was reserved in part would make the file look longer than HDF5 made it: harmless
   * (HDF5 reads files longer than their end of allocation), but given back. */
  if (ftruncate (*fd, st.st_size) != 0)
    g_debug ("%s: cannot give back the space reserved in part", self->path);
  g_set_error (error, PTL_IO_ERROR, PTL_IO_ERROR_WRITE, "%s: no room left to write (%s)",
               self->path, g_strerror (status));
  return FALSE;
}

/* What _ptl_recorder_reserve_room added past the end of allocation goes at the close. */
void
_ptl_recorder_give_back_room (PtlRecorder *self)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  haddr_t eoa = 0;
  int *fd = NULL;
  struct stat st;

  if (H5Fget_eoa (self->file, &eoa) >= 0
      && H5Fget_vfd_handle (self->file, H5P_DEFAULT, (void **) &fd) >= 0 && fd != NULL
      && fstat (*fd, &st) == 0 && (guint64) st.st_size > eoa && ftruncate (*fd, eoa) != 0)
    g_debug ("%s: cannot give back the space reserved", self->path);
}
