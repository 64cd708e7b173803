/* Reading with the HDF5 helpers (ptl-hdf5-util.h): every rank, shape, type and string size
 * is checked before anything is allocated or read, since the files come from other
 * programs and may be damaged, and a mismatch is an error that names the object. */
#include "config.h"

#include "ptl-hdf5-util.h"

#include "core/ptl-error.h"
#include "ptl-hdf5-util-private.h"

/* Longest fixed-length string a reader accepts: names and small JSON documents, not data. */
#define MAX_FIXED_STRING (1u << 20)

static const char *
describe_type (hid_t type)
{
  if (ptl_h5_type_is_complex (type))
    return "complex numbers";
  switch (H5Tget_class (type))
    {
    case H5T_INTEGER:
      return _ptl_h5_is_standard_number (type) ? "integers" : "integers of an unusual layout";
    case H5T_FLOAT:
      return _ptl_h5_is_standard_number (type) ? "floating-point numbers"
                                               : "floating-point numbers of an unusual layout";
    case H5T_STRING:
      return "a string";
    case H5T_COMPOUND:
      return "a compound other than {r, i}";
    default:
      return "an unsupported type";
    }
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
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, loc, name, "missing dataset");
      return H5I_INVALID_HID;
    }
  dataset = H5Dopen2 (loc, name, H5P_DEFAULT);
  if (dataset < 0)
    _ptl_h5_set_h5_error (error, PTL_IO_ERROR_FORMAT, loc, name, "not a readable dataset");
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the shape");
      return FALSE;
    }
  if (found < min_rank || found > max_rank)
    {
      if (min_rank == max_rank)
        _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                           "has %d dimensions, expected %d", found, min_rank);
      else
        _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                           "has %d dimensions, expected %d to %d", found, min_rank,
                           max_rank);
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
  return (found == H5T_INTEGER || found == H5T_FLOAT) && _ptl_h5_is_standard_number (file_type);
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the type");
      return FALSE;
    }
  if (!type_converts (type, mem_type))
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "holds %s, expected %s",
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the shape");
      return FALSE;
    }
  if (!ptl_h5_check_type (dataset, mem_type, error))
    return FALSE;
  if ((guint64) n != n_elements)
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                         "has %" G_GUINT64_FORMAT " elements, expected %" G_GSIZE_FORMAT,
                         (guint64) n, n_elements);
      return FALSE;
    }
  if (n > 0 && H5Dread (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0)
    {
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the data");
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL, "cannot read the type");
      return NULL;
    }
  if (H5Tget_class (type) != H5T_STRING || H5Sget_simple_extent_npoints (space) != 1)
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                         "holds %s, expected one string", describe_type (type));
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
          _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL,
                                "cannot read the string");
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
          _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL,
                             "holds a string of %" G_GSIZE_FORMAT " bytes, more than %u",
                             (gsize) size, MAX_FIXED_STRING);
          return NULL;
        }
      H5Tset_size (mem_type, size + 1);
      H5Tset_strpad (mem_type, H5T_STR_NULLTERM);
      text = g_malloc0 (size + 1);
      if (H5Dread (dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0)
        {
          _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, dataset, NULL,
                                "cannot read the string");
          return NULL;
        }
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, dataset, NULL, "not valid UTF-8");
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_FORMAT, loc, object, "missing attribute “%s”",
                            name);
      return FALSE;
    }
  if ((type = H5Aget_type (attribute)) < 0 || (space = H5Aget_space (attribute)) < 0)
    {
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, loc, object,
                            "cannot read the attribute “%s”", name);
      return FALSE;
    }
  if (!type_converts (type, mem_type))
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, loc, object,
                         "attribute “%s” holds %s, expected %s", name, describe_type (type),
                         describe_expected (mem_type));
      return FALSE;
    }
  if (H5Sget_simple_extent_npoints (space) != 1)
    {
      _ptl_h5_set_error (error, PTL_IO_ERROR_FORMAT, loc, object,
                         "attribute “%s” is not one value", name);
      return FALSE;
    }
  if (H5Aread (attribute, mem_type, value) < 0)
    {
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_READ, loc, object,
                            "cannot read the attribute “%s”", name);
      return FALSE;
    }
  return TRUE;
}
