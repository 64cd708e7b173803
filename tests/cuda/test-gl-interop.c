/* CUDA-GL interop as the object view uses it: an engine array copied to a device image,
 * the backend freed, and the image copied device to device into a GL pixel-unpack buffer
 * and from there into an RG32F texture, read back through GL byte for byte. The GL context
 * comes from EGL on the CUDA device itself (no display needed). Skipped (77) without a
 * CUDA device, or without an EGL driver for it. */
#include "config.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <string.h>

#include "core/ptl-error.h"
#include "gui/ptl-gl-interop.h"
#include "recon/ptl-backend.h"

#define ROWS 37
#define COLS 53

static int cuda_device = 0;

/* An OpenGL context on the EGL device that is CUDA device `cuda_device`, made current
 * without a surface. NULL and the reason when there is none. */
static char *
make_context (void)
{
  EGLDeviceEXT devices[16];
  EGLint n = 0;

  if (!epoxy_has_egl_extension (EGL_NO_DISPLAY, "EGL_EXT_device_enumeration")
      || !epoxy_has_egl_extension (EGL_NO_DISPLAY, "EGL_EXT_platform_device"))
    return g_strdup ("EGL cannot enumerate devices");
  if (!eglQueryDevicesEXT (G_N_ELEMENTS (devices), devices, &n) || n == 0)
    return g_strdup ("EGL lists no device");
  for (EGLint i = 0; i < n; i++)
    {
      EGLAttrib cuda = -1;
      const char *extensions = eglQueryDeviceStringEXT (devices[i], EGL_EXTENSIONS);

      if (extensions == NULL || strstr (extensions, "EGL_NV_device_cuda") == NULL
          || !eglQueryDeviceAttribEXT (devices[i], EGL_CUDA_DEVICE_NV, &cuda)
          || cuda != cuda_device)
        continue;

      EGLDisplay display = eglGetPlatformDisplayEXT (EGL_PLATFORM_DEVICE_EXT, devices[i], NULL);
      static const EGLint config_attributes[] = { EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                                  EGL_NONE };
      static const EGLint context_attributes[] = { EGL_CONTEXT_MAJOR_VERSION, 3,
                                                   EGL_CONTEXT_MINOR_VERSION, 2,
                                                   EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                                   EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                                   EGL_NONE };
      EGLConfig config;
      EGLint n_configs = 0;
      EGLContext context;

      if (display == EGL_NO_DISPLAY || !eglInitialize (display, NULL, NULL))
        return g_strdup ("EGL does not open the CUDA device's display");
      if (!eglBindAPI (EGL_OPENGL_API)
          || !eglChooseConfig (display, config_attributes, &config, 1, &n_configs)
          || n_configs == 0)
        return g_strdup ("EGL has no OpenGL configuration on the CUDA device");
      context = eglCreateContext (display, config, EGL_NO_CONTEXT, context_attributes);
      if (context == EGL_NO_CONTEXT
          || !eglMakeCurrent (display, EGL_NO_SURFACE, EGL_NO_SURFACE, context))
        return g_strdup_printf ("No current OpenGL 3.2 context on the CUDA device (EGL 0x%x)",
                                eglGetError ());
      return NULL;
    }
  return g_strdup_printf ("No EGL device is CUDA device %d", cuda_device);
}

static PtlDeviceImage *
device_image_of (const ptl_complex *data)
{
  g_autoptr (GError) error = NULL;
  gsize bytes = (gsize) ROWS * COLS * sizeof (ptl_complex);
  PtlBackend *backend = ptl_backend_new (PTL_BACKEND_CUDA, cuda_device, 0, &error);

  g_assert_no_error (error);
  PtlBuffer *buffer = ptl_backend_alloc (backend, bytes + 64, &error);
  g_assert_no_error (error);
  g_assert_true (ptl_backend_upload (backend, buffer, 64, data, bytes, &error));
  PtlDeviceImage *image = ptl_backend_device_image (backend, buffer, 64, bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (ptl_device_image_get_device (image), ==, cuda_device);
  g_assert_cmpuint (ptl_device_image_get_bytes (image), ==, bytes);
  /* The view may keep the image after the run that made it has ended. */
  ptl_backend_buffer_free (backend, buffer);
  ptl_backend_free (backend);
  return image;
}

static void
test_copy_to_texture (void)
{
  g_autoptr (GError) error = NULL;
  gsize bytes = (gsize) ROWS * COLS * sizeof (ptl_complex);
  g_autofree ptl_complex *data = g_new (ptl_complex, ROWS * COLS);
  g_autofree ptl_complex *back = g_new0 (ptl_complex, ROWS * COLS);
  g_autoptr (GRand) rand = g_rand_new_with_seed (41);
  GLuint buffer, texture;

  for (gsize i = 0; i < ROWS * COLS; i++)
    data[i] = (float) g_rand_double_range (rand, -3, 3)
              + (float) g_rand_double_range (rand, -3, 3) * I;
  g_autoptr (PtlDeviceImage) image = device_image_of (data);

  g_assert_true (ptl_gl_interop_supported (cuda_device, &error));
  g_assert_no_error (error);
  glGenBuffers (1, &buffer);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, buffer);
  glBufferData (GL_PIXEL_UNPACK_BUFFER, bytes, NULL, GL_STREAM_DRAW);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  g_autoptr (PtlGlInterop) interop = ptl_gl_interop_new (buffer, cuda_device, &error);
  g_assert_no_error (error);
  g_assert_true (ptl_gl_interop_copy (interop, image, &error));
  g_assert_no_error (error);

  /* As the view does: the texture from the buffer, then read back. */
  glGenTextures (1, &texture);
  glBindTexture (GL_TEXTURE_2D, texture);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, buffer);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RG32F, COLS, ROWS, 0, GL_RG, GL_FLOAT, NULL);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  glPixelStorei (GL_PACK_ALIGNMENT, 4);
  glGetTexImage (GL_TEXTURE_2D, 0, GL_RG, GL_FLOAT, back);
  g_assert_cmpint (glGetError (), ==, GL_NO_ERROR);
  g_assert_cmpmem (back, bytes, data, bytes);

  /* A second image into the same registered buffer replaces the first. */
  for (gsize i = 0; i < ROWS * COLS; i++)
    data[i] = -data[i];
  g_autoptr (PtlDeviceImage) second = device_image_of (data);
  g_assert_true (ptl_gl_interop_copy (interop, second, &error));
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, buffer);
  glGetBufferSubData (GL_PIXEL_UNPACK_BUFFER, 0, bytes, back);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  g_assert_cmpmem (back, bytes, data, bytes);

  g_clear_pointer (&interop, ptl_gl_interop_free);
  glDeleteTextures (1, &texture);
  glDeleteBuffers (1, &buffer);
}

/* A buffer smaller than the image is refused, not overrun. */
static void
test_small_buffer_refused (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree ptl_complex *data = g_new0 (ptl_complex, ROWS * COLS);
  g_autoptr (PtlDeviceImage) image = device_image_of (data);
  GLuint buffer;

  glGenBuffers (1, &buffer);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, buffer);
  glBufferData (GL_PIXEL_UNPACK_BUFFER, 1024, NULL, GL_STREAM_DRAW);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  g_autoptr (PtlGlInterop) interop = ptl_gl_interop_new (buffer, cuda_device, &error);
  g_assert_no_error (error);
  g_assert_false (ptl_gl_interop_copy (interop, image, &error));
  g_assert_error (error, PTL_PARAM_ERROR, PTL_PARAM_ERROR_RANGE);
  g_clear_pointer (&interop, ptl_gl_interop_free);
  glDeleteBuffers (1, &buffer);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtlBackend) probe = NULL;
  g_autofree char *no_context = NULL;

  g_test_init (&argc, &argv, NULL);
  probe = ptl_backend_new (PTL_BACKEND_CUDA, cuda_device, 0, &error);
  if (probe == NULL)
    {
      gboolean unavailable = g_error_matches (error, PTL_BACKEND_ERROR,
                                              PTL_BACKEND_ERROR_UNAVAILABLE);
      g_printerr ("%s: %s\n", unavailable ? "Skipped" : "The CUDA backend fails",
                  error->message);
      return unavailable ? 77 : 1;
    }
  no_context = make_context ();
  if (no_context != NULL)
    {
      g_printerr ("Skipped: %s\n", no_context);
      return 77;
    }
  g_test_add_func ("/gl-interop/copy-to-texture", test_copy_to_texture);
  g_test_add_func ("/gl-interop/small-buffer-refused", test_small_buffer_refused);
  return g_test_run ();
}
