#include "config.h"

#include "ptl-hdf5-util.h"

#include <string.h>

#include "core/ptl-array.h"
#include "core/ptl-error.h"

/* Longest fixed-length string a reader accepts: names and small JSON documents, not data. */
#define MAX_FIXED_STRING (1u << 20)

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
static void G_GNUC_PRINTF (5, 6)
set_error (GError    **error,
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
static void G_GNUC_PRINTF (5, 6)
set_h5_error (GError    **error,
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
static gboolean
is_standard_number (hid_t type)
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

      if (member < 0 || H5Tget_class (member) != H5T_FLOAT || !is_standard_number (member)
          || offset > size || H5Tget_size (member) > size - offset)
        return FALSE;
    }
  return TRUE;
}

static const char *
describe_type (hid_t type)
{
  if (ptl_h5_type_is_complex (type))
    return "complex numbers";
  switch (H5Tget_class (type))
    {
    case H5T_INTEGER:
      return is_standard_number (type) ? "integers" : "integers of an unusual layout";
    case H5T_FLOAT:
      return is_standard_number (type) ? "floating-point numbers"
                                       : "floating-point numbers of an unusual layout";
    case H5T_STRING:
      return "a string";
    case H5T_COMPOUND:
      return "a compound other than {r, i}";
    default:
      return "an unsupported type";
    }
}

/* Fixed-length UTF-8, as DECTRIS and many NeXus writers store text: it reads back without
 * HDF5's global heap, which a damaged file can send astray. */
static hid_t
string_type_new (const char *value)
{
  hid_t type = H5Tcopy (H5T_C_S1);

  H5Tset_size (type, strlen (value) + 1);
  H5Tset_strpad (type, H5T_STR_NULLTERM);
  H5Tset_cset (type, H5T_CSET_UTF8);
  return type;
}

hid_t
ptl_h5_create_group (hid_t       loc,
                     const char *name,
                     const char *nx_class,
                     GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) group = H5Gcreate2 (loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

  if (group < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot create the group");
      return H5I_INVALID_HID;
    }
  if (nx_class != NULL && !ptl_h5_write_string_attribute (group, ".", "NX_class", nx_class, error))
    return H5I_INVALID_HID;
  return ptl_h5_steal (&group);
}

/* Contiguous and uncompressed, written in one call. Zero-length dimensions are allowed: an
 * empty list is a (0) dataset, not a missing one. */
gboolean
ptl_h5_write_array (hid_t          loc,
                    const char    *name,
                    hid_t          type,
                    int            rank,
                    const hsize_t *dims,
                    gconstpointer  data,
                    const char    *units,
                    GError       **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) space = rank == 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (rank, dims, NULL);
  g_auto (PtlH5Id) dataset = H5I_INVALID_HID;

  if (space < 0
      || (dataset = H5Dcreate2 (loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot create the dataset");
      return FALSE;
    }
  if (H5Sget_simple_extent_npoints (space) > 0
      && H5Dwrite (dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot write the dataset");
      return FALSE;
    }
  return units == NULL || ptl_h5_write_string_attribute (dataset, ".", "units", units, error);
}

gboolean
ptl_h5_write_scalar (hid_t         loc,
                     const char   *name,
                     hid_t         type,
                     gconstpointer value,
                     const char   *units,
                     GError      **error)
{
  return ptl_h5_write_array (loc, name, type, 0, NULL, value, units, error);
}

gboolean
ptl_h5_write_double (hid_t       loc,
                     const char *name,
                     double      value,
                     const char *units,
                     GError    **error)
{
  return ptl_h5_write_scalar (loc, name, H5T_NATIVE_DOUBLE, &value, units, error);
}

gboolean
ptl_h5_write_string (hid_t       loc,
                     const char *name,
                     const char *value,
                     GError    **error)
{
  g_auto (PtlH5Id) type = string_type_new (value);

  return ptl_h5_write_scalar (loc, name, type, value, NULL, error);
}

/* A scalar attribute on the object at @object relative to @loc ("." for @loc itself). */
gboolean
ptl_h5_write_attribute (hid_t         loc,
                        const char   *object,
                        const char   *name,
                        hid_t         type,
                        gconstpointer value,
                        GError      **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) space = H5Screate (H5S_SCALAR);
  g_auto (PtlH5Id) attribute = H5I_INVALID_HID;

  if (space < 0
      || (attribute = H5Acreate_by_name (loc, object, name, type, space, H5P_DEFAULT, H5P_DEFAULT,
                                         H5P_DEFAULT)) < 0
      || H5Awrite (attribute, type, value) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_WRITE, loc, object, "cannot write the attribute “%s”",
                    name);
      return FALSE;
    }
  return TRUE;
}

gboolean
ptl_h5_write_string_attribute (hid_t       loc,
                               const char *object,
                               const char *name,
                               const char *value,
                               GError    **error)
{
  g_auto (PtlH5Id) type = string_type_new (value);

  return ptl_h5_write_attribute (loc, object, name, type, value, error);
}

gboolean
ptl_h5_write_soft_link (hid_t       loc,
                        const char *name,
                        const char *target,
                        GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  if (H5Lcreate_soft (target, loc, name, H5P_DEFAULT, H5P_DEFAULT) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot link to %s", target);
      return FALSE;
    }
  return TRUE;
}

/* A missing parent group counts as missing, as does a path HDF5 cannot parse. */
gboolean
ptl_h5_exists (hid_t       loc,
               const char *path)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();

  return H5Lexists (loc, path, H5P_DEFAULT) > 0;
}

hid_t
ptl_h5_open_dataset (hid_t       loc,
                     const char *name,
                     GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  hid_t dataset;

  if (!ptl_h5_exists (loc, name))
    {
      set_error (error, PTL_IO_ERROR_FORMAT, loc, name, "missing dataset");
      return H5I_INVALID_HID;
    }
  dataset = H5Dopen2 (loc, name, H5P_DEFAULT);
  if (dataset < 0)
    set_h5_error (error, PTL_IO_ERROR_FORMAT, loc, name, "not a readable dataset");
  return dataset;
}

/* @dims holds @max_rank entries; a scalar has rank 0. */
gboolean
ptl_h5_get_shape (hid_t    dataset,
                  int      min_rank,
                  int      max_rank,
                  int     *rank,
                  hsize_t *dims,
                  GError **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) space = H5Dget_space (dataset);
  int found = space < 0 ? -1 : H5Sget_simple_extent_ndims (space);

  if (found < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the shape");
      return FALSE;
    }
  if (found < min_rank || found > max_rank)
    {
      if (min_rank == max_rank)
        set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "has %d dimensions, expected %d",
                   found, min_rank);
      else
        set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                   "has %d dimensions, expected %d to %d", found, min_rank, max_rank);
      return FALSE;
    }
  H5Sget_simple_extent_dims (space, dims, NULL);
  *rank = found;
  return TRUE;
}

/* Reading @file_type into @mem_type: a number from any number, complex only from complex. */
static gboolean
type_converts (hid_t file_type,
               hid_t mem_type)
{
  H5T_class_t found = H5Tget_class (file_type);

  if (ptl_h5_type_is_complex (mem_type))
    return ptl_h5_type_is_complex (file_type);
  return (found == H5T_INTEGER || found == H5T_FLOAT) && is_standard_number (file_type);
}

static const char *
describe_expected (hid_t mem_type)
{
  return ptl_h5_type_is_complex (mem_type) ? "complex numbers (a compound {r, i})" : "numbers";
}

gboolean
ptl_h5_check_type (hid_t    dataset,
                   hid_t    mem_type,
                   GError **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) type = H5Dget_type (dataset);

  if (type < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the type");
      return FALSE;
    }
  if (!type_converts (type, mem_type))
    {
      set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "holds %s, expected %s",
                 describe_type (type), describe_expected (mem_type));
      return FALSE;
    }
  return TRUE;
}

/* Reads the whole dataset, which must hold exactly @n_elements of a type that converts to
 * @mem_type. */
gboolean
ptl_h5_read (hid_t    dataset,
             hid_t    mem_type,
             gsize    n_elements,
             gpointer buffer,
             GError **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) space = H5Dget_space (dataset);
  hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints (space);

  if (n < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the shape");
      return FALSE;
    }
  if (!ptl_h5_check_type (dataset, mem_type, error))
    return FALSE;
  if ((guint64) n != n_elements)
    {
      set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                 "has %" G_GUINT64_FORMAT " elements, expected %" G_GSIZE_FORMAT, (guint64) n,
                 n_elements);
      return FALSE;
    }
  if (n > 0 && H5Dread (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the data");
      return FALSE;
    }
  return TRUE;
}

/* A scalar is a () or a (1) dataset. */
gboolean
ptl_h5_read_scalar (hid_t       loc,
                    const char *name,
                    hid_t       mem_type,
                    gpointer    value,
                    GError    **error)
{
  g_auto (PtlH5Id) dataset = ptl_h5_open_dataset (loc, name, error);

  return dataset >= 0 && ptl_h5_read (dataset, mem_type, 1, value, error);
}

/* Variable- or fixed-length, ASCII or UTF-8; the text must be valid UTF-8. */
char *
ptl_h5_read_string (hid_t       loc,
                    const char *name,
                    GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) dataset = ptl_h5_open_dataset (loc, name, error);
  g_auto (PtlH5Id) type = H5I_INVALID_HID;
  g_auto (PtlH5Id) space = H5I_INVALID_HID;
  g_auto (PtlH5Id) mem_type = H5I_INVALID_HID;
  g_autofree char *text = NULL;

  if (dataset < 0)
    return NULL;
  if ((type = H5Dget_type (dataset)) < 0 || (space = H5Dget_space (dataset)) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the type");
      return NULL;
    }
  if (H5Tget_class (type) != H5T_STRING || H5Sget_simple_extent_npoints (space) != 1)
    {
      set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "holds %s, expected one string",
                 describe_type (type));
      return NULL;
    }

  /* HDF5 converts between string sizes and paddings but not between character sets. */
  mem_type = H5Tcopy (H5T_C_S1);
  H5Tset_cset (mem_type, H5Tget_cset (type));
  if (H5Tis_variable_str (type) > 0)
    {
      char *raw = NULL;

      H5Tset_size (mem_type, H5T_VARIABLE);
      if (H5Dread (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &raw) < 0)
        {
          set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the string");
          return NULL;
        }
      text = g_strdup (raw != NULL ? raw : "");
      H5free_memory (raw);
    }
  else
    {
      size_t size = H5Tget_size (type);

      if (size > MAX_FIXED_STRING)
        {
          set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                     "holds a string of %" G_GSIZE_FORMAT " bytes, more than %u", (gsize) size,
                     MAX_FIXED_STRING);
          return NULL;
        }
      H5Tset_size (mem_type, size + 1);
      H5Tset_strpad (mem_type, H5T_STR_NULLTERM);
      text = g_malloc0 (size + 1);
      if (H5Dread (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0)
        {
          set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the string");
          return NULL;
        }
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "not valid UTF-8");
      return NULL;
    }
  return g_steal_pointer (&text);
}

/* A scalar numeric attribute of the object at @object relative to @loc. */
gboolean
ptl_h5_read_attribute (hid_t       loc,
                       const char *object,
                       const char *name,
                       hid_t       mem_type,
                       gpointer    value,
                       GError    **error)
{
  g_auto (PtlH5Quiet) quiet G_GNUC_UNUSED = ptl_h5_quiet ();
  g_auto (PtlH5Id) attribute = H5Aopen_by_name (loc, object, name, H5P_DEFAULT, H5P_DEFAULT);
  g_auto (PtlH5Id) type = H5I_INVALID_HID;
  g_auto (PtlH5Id) space = H5I_INVALID_HID;

  if (attribute < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_FORMAT, loc, object, "missing attribute “%s”", name);
      return FALSE;
    }
  if ((type = H5Aget_type (attribute)) < 0 || (space = H5Aget_space (attribute)) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, loc, object, "cannot read the attribute “%s”", name);
      return FALSE;
    }
  if (!type_converts (type, mem_type))
    {
      set_error (error, PTL_IO_ERROR_FORMAT, loc, object, "attribute “%s” holds %s, expected %s",
                 name, describe_type (type), describe_expected (mem_type));
      return FALSE;
    }
  if (H5Sget_simple_extent_npoints (space) != 1)
    {
      set_error (error, PTL_IO_ERROR_FORMAT, loc, object, "attribute “%s” is not one value", name);
      return FALSE;
    }
  if (H5Aread (attribute, mem_type, value) < 0)
    {
      set_h5_error (error, PTL_IO_ERROR_READ, loc, object, "cannot read the attribute “%s”", name);
      return FALSE;
    }
  return TRUE;
}
