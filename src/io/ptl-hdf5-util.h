/* Small HDF5 helpers shared by the file writers and readers of io/: identifiers closed by
 * scope, the library's own error printing silenced, complex numbers as the h5py compound
 * {r, i}, and reads that check rank, shape and type before anything is allocated.
 *
 * Errors come from the PTL_IO_ERROR domain and name the HDF5 object ("/entry_1/energy"),
 * with HDF5's innermost explanation where it has one; callers prefix the file name.
 *
 * Debian's serial HDF5 is built thread-safe (H5is_library_threadsafe): the recorder thread
 * and the threads reading masks, darks and results may call it at the same time, each on
 * its own file; HDF5 serialises them internally. */
#pragma once

#include <glib.h>
#include <hdf5.h>

G_BEGIN_DECLS

/* g_auto (PtlH5Id) dataset = H5Dopen2 (...): closed at the end of the scope, whatever its
 * kind (file, group, dataset, attribute, dataspace, datatype, property list). */
typedef hid_t PtlH5Id;

void ptl_h5_id_close (PtlH5Id id);

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (PtlH5Id, ptl_h5_id_close, H5I_INVALID_HID)

/* Hands the identifier over to the caller, as g_steal_pointer does for pointers. */
static inline hid_t
ptl_h5_steal (PtlH5Id *id)
{
  hid_t stolen = *id;

  *id = H5I_INVALID_HID;
  return stolen;
}

/* g_auto (PtlH5Quiet) quiet = ptl_h5_quiet (): HDF5 prints nothing on stderr until the end of
 * the scope, when the previous handler comes back. Declare it first, so that it outlives the
 * identifiers of the same scope. */
typedef struct
{
  H5E_auto2_t func;
  void       *data;
} PtlH5Quiet;

PtlH5Quiet ptl_h5_quiet (void);
void       ptl_h5_quiet_restore (PtlH5Quiet *quiet);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PtlH5Quiet, ptl_h5_quiet_restore)

char *ptl_h5_error_detail (void);

/* Complex float as the compound {r: float32, i: float32}: the memory layout of ptl_complex. */
hid_t    ptl_h5_complex_type_new (void);
gboolean ptl_h5_type_is_complex (hid_t type);

/* Writing. Strings are fixed-length UTF-8; a NULL units writes no units attribute. */
hid_t    ptl_h5_create_group (hid_t       loc,
                              const char *name,
                              const char *nx_class,
                              GError    **error);
gboolean ptl_h5_write_array (hid_t          loc,
                             const char    *name,
                             hid_t          type,
                             int            rank,
                             const hsize_t *dims,
                             gconstpointer  data,
                             const char    *units,
                             GError       **error);
gboolean ptl_h5_write_scalar (hid_t         loc,
                              const char   *name,
                              hid_t         type,
                              gconstpointer value,
                              const char   *units,
                              GError      **error);
gboolean ptl_h5_write_double (hid_t       loc,
                              const char *name,
                              double      value,
                              const char *units,
                              GError    **error);
gboolean ptl_h5_write_string (hid_t       loc,
                              const char *name,
                              const char *value,
                              GError    **error);
gboolean ptl_h5_write_attribute (hid_t         loc,
                                 const char   *object,
                                 const char   *name,
                                 hid_t         type,
                                 gconstpointer value,
                                 GError      **error);
gboolean ptl_h5_write_string_attribute (hid_t       loc,
                                        const char *object,
                                        const char *name,
                                        const char *value,
                                        GError    **error);
gboolean ptl_h5_write_soft_link (hid_t       loc,
                                 const char *name,
                                 const char *target,
                                 GError    **error);

/* Reading. Numbers convert to the memory type from any standard integer or IEEE float type;
 * a complex memory type accepts only an {r, i} compound of such floats. */
gboolean ptl_h5_exists (hid_t       loc,
                        const char *path);
hid_t    ptl_h5_open_dataset (hid_t       loc,
                              const char *name,
                              GError    **error);
gboolean ptl_h5_get_shape (hid_t    dataset,
                           int      min_rank,
                           int      max_rank,
                           int     *rank,
                           hsize_t *dims,
                           GError **error);
gboolean ptl_h5_check_type (hid_t    dataset,
                           hid_t    mem_type,
                           GError **error);
gboolean ptl_h5_read (hid_t    dataset,
                      hid_t    mem_type,
                      gsize    n_elements,
                      gpointer buffer,
                      GError **error);
gboolean ptl_h5_read_scalar (hid_t       loc,
                             const char *name,
                             hid_t       mem_type,
                             gpointer    value,
                             GError    **error);
char    *ptl_h5_read_string (hid_t       loc,
                             const char *name,
                             GError    **error);
gboolean ptl_h5_read_attribute (hid_t       loc,
                                const char *object,
                                const char *name,
                                hid_t       mem_type,
                                gpointer    value,
                                GError    **error);

G_END_DECLS
