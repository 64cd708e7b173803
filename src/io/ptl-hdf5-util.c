/* What the HDF5 helpers (ptl-hdf5-util.h) share: identifiers closed by scope, HDF5's error
 * printing silenced, errors that name the object, and the number and complex types they
 * accept. Writing is in ptl-hdf5-util-write.c, reading in ptl-hdf5-util-read.c. */
#include "config.h"

#include "ptl-hdf5-util.h"

#include <string.h>

#include "core/ptl-array.h"
#include "core/ptl-error.h"
#include "ptl-hdf5-util-private.h"

G_STATIC_ASSERT (sizeof (ptl_complex) == 2 * sizeof (float));

/* Dropping the last reference closes any kind of identifier, as H5Fclose, H5Dclose… do. */
void
ptl_h5_id_close (PtlH5Id id)
{
  H5Idec_ref (id);
}

PtlH5Quiet
ptl_h5_quiet (void)
{
  PtlH5Quiet saved = { NULL, NULL };

  H5Eget_auto2 (H5E_DEFAULT, &saved.func, &saved.data);
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
  return saved;
}

void
ptl_h5_quiet_restore (PtlH5Quiet *quiet)
{
  H5Eset_auto2 (H5E_DEFAULT, quiet->func, quiet->data);
}

static herr_t
take_innermost (unsigned int        n,
                const H5E_error2_t *entry,
                void               *data)
{
  char **detail = data;

  if (*detail == NULL && entry->desc != NULL && entry->desc[0] != '\0')
    *detail = g_strdup (entry->desc);
  return 0;
}

/* HDF5's own explanation of the last failed call (e.g. "truncated file: eof = …"), or NULL.
 * Call it before any other HDF5 function, which would clear the error stack. */
char *
ptl_h5_error_detail (void)
{
  char *detail = NULL;

  H5Ewalk2 (H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &detail);
  return detail;
}

/* "/entry_1/energy" for (group /entry_1, "energy"); the object itself for a NULL name. */
static char *
object_path (hid_t       loc,
             const char *name)
{
  ssize_t length = H5Iget_name (loc, NULL, 0);
  g_autofree char *base = g_malloc0 (MAX (length, 0) + 1);

  if (length > 0)
    H5Iget_name (loc, base, length + 1);
  if (name == NULL || strcmp (name, ".") == 0)
    return length > 0 ? g_steal_pointer (&base) : g_strdup ("(unnamed object)");
  if (name[0] == '/')
    return g_strdup (name);
  return g_strconcat (base, g_str_has_suffix (base, "/") ? "" : "/", name, NULL);
}

static void G_GNUC_PRINTF (6, 0)
set_error_valist (GError    **error,
                  PtlIoError  code,
                  hid_t       loc,
                  const char *name,
                  gboolean    with_detail,
                  const char *format,
                  va_list     args)
{
  g_autofree char *detail = with_detail ? ptl_h5_error_detail () : NULL;
  g_autofree char *path = object_path (loc, name);
  g_autofree char *what = g_strdup_vprintf (format, args);

  if (detail != NULL)
    g_set_error (error, PTL_IO_ERROR, code, "%s: %s (%s)", path, what, detail);
  else
    g_set_error (error, PTL_IO_ERROR, code, "%s: %s", path, what);
}

/* The content of the object is not what the caller expects. */
void
_ptl_h5_set_error (GError    **error,
                   PtlIoError  code,
                   hid_t       loc,
                   const char *name,
                   const char *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (error, code, loc, name, FALSE, format, args);
  va_end (args);
}

/* An HDF5 call failed just now: its explanation is appended. */
void
_ptl_h5_set_h5_error (GError    **error,
                      PtlIoError  code,
                      hid_t       loc,
                      const char *name,
                      const char *format,
                      ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (error, code, loc, name, TRUE, format, args);
  va_end (args);
}

hid_t
ptl_h5_complex_type_new (void)
{
  hid_t type = H5Tcreate (H5T_COMPOUND, 2 * sizeof (float));

  H5Tinsert (type, "r", 0, H5T_NATIVE_FLOAT);
  H5Tinsert (type, "i", sizeof (float), H5T_NATIVE_FLOAT);
  return type;
}

/* The standard integer and IEEE float types, in either byte order: what every writer stores.
 * HDF5 converts from anything it can describe, but a damaged type description (an odd
 * precision or member offset) sends its conversion routines out of bounds. */
gboolean
_ptl_h5_is_standard_number (hid_t type)
{
  const hid_t standard[] = {
    H5T_STD_I8LE, H5T_STD_I16LE, H5T_STD_I32LE, H5T_STD_I64LE,
    H5T_STD_U8LE, H5T_STD_U16LE, H5T_STD_U32LE, H5T_STD_U64LE,
    H5T_STD_I8BE, H5T_STD_I16BE, H5T_STD_I32BE, H5T_STD_I64BE,
    H5T_STD_U8BE, H5T_STD_U16BE, H5T_STD_U32BE, H5T_STD_U64BE,
    H5T_IEEE_F32LE, H5T_IEEE_F64LE, H5T_IEEE_F32BE, H5T_IEEE_F64BE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (standard); i++)
    if (H5Tequal (type, standard[i]) > 0)
      return TRUE;
  return FALSE;
}

/* Any {r, i} compound of two standard floats that lie inside it: complex64 and complex128
 * as h5py writes them. */
gboolean
ptl_h5_type_is_complex (hid_t type)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  static const char *const members[] = { "r", "i" };
  size_t size = H5Tget_size (type);

  if (H5Tget_class (type) != H5T_COMPOUND || H5Tget_nmembers (type) != 2)
    return FALSE;
  for (guint m = 0; m < G_N_ELEMENTS (members); m++)
    {
      int index = H5Tget_member_index (type, members[m]);
      g_auto (PtlH5Id) member = index < 0 ? H5I_INVALID_HID
                                          : H5Tget_member_type (type, (unsigned int) index);
      size_t offset = index < 0 ? 0 : H5Tget_member_offset (type, (unsigned int) index);

      if (member < 0 || H5Tget_class (member) != H5T_FLOAT
          || !_ptl_h5_is_standard_number (member) || offset > size
          || H5Tget_size (member) > size - offset)
        return FALSE;
    }
  return TRUE;
}
