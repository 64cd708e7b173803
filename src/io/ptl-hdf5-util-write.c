/* Writing with the HDF5 helpers (ptl-hdf5-util.h): groups with their NeXus class, datasets
 * written whole, attributes and soft links, as result files and a recording's metadata are
 * made. Apart from the reading, whose work is to distrust what it finds. */
#include "config.h"

#include "ptl-hdf5-util.h"

#include <string.h>

#include "core/ptl-error.h"
#include "ptl-hdf5-util-private.h"

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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot create the group");
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot create the dataset");
      return FALSE;
    }
  if (H5Sget_simple_extent_npoints (space) > 0
      && H5Dwrite (dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    {
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot write the dataset");
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_WRITE, loc, object,
                            "cannot write the attribute “%s”", name);
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
      _ptl_h5_set_h5_error (error, PTL_IO_ERROR_WRITE, loc, name, "cannot link to %s", target);
      return FALSE;
    }
  return TRUE;
}
