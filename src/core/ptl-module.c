#include "config.h"

#include "ptl-module.h"

#include "ptl-error.h"

#define CUDA_MODULE_NAME "ptl-backend-cuda"

static GModule *
find_and_open (GError **error)
{
  /* The environment first, then the build tree (programs run from it), then the install. */
  const char *dirs[] = { g_getenv ("PTL_BACKEND_DIR"), PTL_BUILD_MODULE_DIR, PTL_MODULE_DIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      if (dirs[i] == NULL)
        continue;
      g_autofree char *path = g_module_build_path (dirs[i], CUDA_MODULE_NAME);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      GModule *module = g_module_open (path, G_MODULE_BIND_LOCAL);
      if (module == NULL)
        {
          g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                       "The CUDA module %s cannot be loaded: %s", path, g_module_error ());
          return NULL;
        }
      /* Never unmapped: the CUDA runtime keeps threads and exit handlers in the module's
       * libraries, and GLib keeps the module's static strings (error-domain names). */
      g_module_make_resident (module);
      return module;
    }
  g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
               "This build has no CUDA module (looked in %s%s%s and %s)",
               dirs[0] ? dirs[0] : "", dirs[0] ? ", " : "", dirs[1], dirs[2]);
  return NULL;
}

GModule *
ptl_cuda_module_open (GError **error)
{
  static GMutex lock;
  static GModule *module;
  static char *failure;
  GModule *result;

  /* Opened once; a failure is remembered so that every caller gets the same reason. */
  g_mutex_lock (&lock);
  if (module == NULL && failure == NULL)
    {
      g_autoptr (GError) local = NULL;
      module = find_and_open (&local);
      if (module == NULL)
        failure = g_strdup (local->message);
    }
  result = module;
  if (result == NULL)
    g_set_error_literal (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE, failure);
  g_mutex_unlock (&lock);
  return result;
}

gboolean
ptl_cuda_module_symbol (const char *name,
                        gpointer   *symbol,
                        GError    **error)
{
  GModule *module = ptl_cuda_module_open (error);

  if (module == NULL)
    return FALSE;
  if (!g_module_symbol (module, name, symbol) || *symbol == NULL)
    {
      g_set_error (error, PTL_BACKEND_ERROR, PTL_BACKEND_ERROR_UNAVAILABLE,
                   "The CUDA module lacks its entry point %s: %s", name, g_module_error ());
      return FALSE;
    }
  return TRUE;
}
