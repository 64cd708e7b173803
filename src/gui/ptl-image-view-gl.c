/* The image view's GL drawing: shaders from the GResource (GLSL 1.50 or GLSL ES 3.00,
 * whichever the context speaks), a float data texture filled through a pixel-unpack
 * buffer, a 256×1 colormap texture, and one quad. Complex data goes to the texture as it
 * is (real, imaginary) and the shader derives what is shown, so that the engine's object
 * can reach the texture device to device when it is on the GL context's GPU. Called with
 * the view's context current (realize, render, unrealize). */
#include "config.h"

#define G_LOG_DOMAIN "Ptl-GL"

#include "gui/ptl-image-view-private.h"

#include "ptl-resources.h"

#define SHADER_PATH "/io/github/ptycholive/PtychoLive/shaders/"

/* The same source serves both dialects; only the header differs. */
static const char desktop_header[] = "#version 150\n";
static const char es_header[] =
  "#version 300 es\n"
  "precision highp float;\n"
  "precision highp int;\n"
  "precision highp sampler2D;\n";

static GLuint
compile_shader (GLenum      type,
                const char *resource,
                gboolean    use_es,
                GError    **error)
{
  g_autoptr (GBytes) bytes = g_resource_lookup_data (ptl_get_resource (), resource,
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return 0;

  const char *sources[2] = { use_es ? es_header : desktop_header,
                             g_bytes_get_data (bytes, NULL) };
  GLint       lengths[2] = { -1, (GLint) g_bytes_get_size (bytes) };
  GLuint      shader = glCreateShader (type);
  GLint       ok = GL_FALSE;

  glShaderSource (shader, 2, sources, lengths);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;

      glGetShaderiv (shader, GL_INFO_LOG_LENGTH, &len);
      g_autofree char *log = g_malloc0 (MAX (len, 1));
      glGetShaderInfoLog (shader, MAX (len, 1), NULL, log);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Compiling %s failed: %s",
                   resource, log);
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

static gboolean
link_program (PtlImageView *view,
              gboolean      use_es,
              GError      **error)
{
  GLuint vertex = compile_shader (GL_VERTEX_SHADER, SHADER_PATH "image.vert.glsl", use_es,
                                  error);
  if (vertex == 0)
    return FALSE;
  GLuint fragment = compile_shader (GL_FRAGMENT_SHADER, SHADER_PATH "image.frag.glsl",
                                    use_es, error);
  if (fragment == 0)
    {
      glDeleteShader (vertex);
      return FALSE;
    }

  GLuint program = glCreateProgram ();
  GLint  ok = GL_FALSE;

  glAttachShader (program, vertex);
  glAttachShader (program, fragment);
  glBindAttribLocation (program, 0, "a_corner");
  if (!use_es)
    glBindFragDataLocation (program, 0, "o_colour");
  glLinkProgram (program);
  glDetachShader (program, vertex);
  glDetachShader (program, fragment);
  glDeleteShader (vertex);
  glDeleteShader (fragment);
  glGetProgramiv (program, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;

      glGetProgramiv (program, GL_INFO_LOG_LENGTH, &len);
      g_autofree char *log = g_malloc0 (MAX (len, 1));
      glGetProgramInfoLog (program, MAX (len, 1), NULL, log);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Linking the image shaders failed: %s",
                   log);
      glDeleteProgram (program);
      return FALSE;
    }

  PtlImageViewGL *gl = &view->gl;

  gl->program = program;
  gl->u_rect = glGetUniformLocation (program, "u_rect");
  gl->u_data = glGetUniformLocation (program, "u_data");
  gl->u_lut = glGetUniformLocation (program, "u_lut");
  gl->u_mode = glGetUniformLocation (program, "u_mode");
  gl->u_component = glGetUniformLocation (program, "u_component");
  gl->u_plane = glGetUniformLocation (program, "u_plane");
  gl->u_low = glGetUniformLocation (program, "u_low");
  gl->u_high = glGetUniformLocation (program, "u_high");
  gl->u_log_scale = glGetUniformLocation (program, "u_log_scale");
  return TRUE;
}

static GLuint
new_texture (void)
{
  GLuint texture;

  glGenTextures (1, &texture);
  glBindTexture (GL_TEXTURE_2D, texture);
  /* Float textures are not filterable on GL ES 3.0; the shader fetches texels anyway. */
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  return texture;
}

gboolean
ptl_image_view_gl_realize (PtlImageView *view,
                           GError      **error)
{
  static const float corners[] = { 0, 0, 1, 0, 0, 1, 1, 1 };
  GdkGLContext      *context = gtk_gl_area_get_context (GTK_GL_AREA (view));
  gboolean           use_es = gdk_gl_context_get_use_es (context);
  PtlImageViewGL    *gl = &view->gl;
  int                major, minor;

  gdk_gl_context_get_version (context, &major, &minor);
  g_debug ("GL context: %s %d.%d", use_es ? "OpenGL ES" : "OpenGL", major, minor);

  if (!link_program (view, use_es, error))
    return FALSE;

  glGenVertexArrays (1, &gl->vao);
  glBindVertexArray (gl->vao);
  glGenBuffers (1, &gl->vbo);
  glBindBuffer (GL_ARRAY_BUFFER, gl->vbo);
  glBufferData (GL_ARRAY_BUFFER, sizeof corners, corners, GL_STATIC_DRAW);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);

  gl->data_texture = new_texture ();
  gl->lut_texture = new_texture ();
  glBindTexture (GL_TEXTURE_2D, 0);
  glGenBuffers (1, &gl->pbo);
  glGenBuffers (1, &gl->interop_pbo);
  glGetIntegerv (GL_MAX_TEXTURE_SIZE, &gl->max_texture_size);
  gl->texture_rows = gl->texture_cols = 0;
  gl->texture_channels = 0;
  gl->data_dirty = TRUE;
  gl->lut_dirty = TRUE;

  GLenum status = glGetError ();

  if (status != GL_NO_ERROR)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Creating the image view's GL objects failed: GL error 0x%x", status);
      return FALSE;
    }
  return TRUE;
}

void
ptl_image_view_gl_unrealize (PtlImageView *view)
{
  PtlImageViewGL *gl = &view->gl;

  if (gl->program != 0)
    glDeleteProgram (gl->program);
  if (gl->vao != 0)
    glDeleteVertexArrays (1, &gl->vao);
  if (gl->vbo != 0)
    glDeleteBuffers (1, &gl->vbo);
  g_clear_pointer (&gl->interop, ptl_gl_interop_free);
  if (gl->pbo != 0)
    glDeleteBuffers (1, &gl->pbo);
  if (gl->interop_pbo != 0)
    glDeleteBuffers (1, &gl->interop_pbo);
  if (gl->data_texture != 0)
    glDeleteTextures (1, &gl->data_texture);
  if (gl->lut_texture != 0)
    glDeleteTextures (1, &gl->lut_texture);
  *gl = (PtlImageViewGL) { .data_dirty = TRUE, .lut_dirty = TRUE };
}

/* The device image into the interop buffer, device to device. FALSE (and the interop off
 * for this context, with the reason logged once) when that cannot be done: another GPU,
 * software GL, no CUDA module. */
static gboolean
fill_from_device (PtlImageView *view,
                  gsize         bytes)
{
  PtlImageViewGL   *gl = &view->gl;
  int               device = ptl_device_image_get_device (view->device_image);
  g_autoptr (GError) error = NULL;

  if (gl->interop_off || ptl_device_image_get_bytes (view->device_image) != bytes)
    return FALSE;
  if (gl->interop == NULL || gl->interop_bytes != bytes || gl->interop_device != device)
    {
      g_clear_pointer (&gl->interop, ptl_gl_interop_free);
      if (ptl_gl_interop_supported (device, &error))
        {
          glBindBuffer (GL_PIXEL_UNPACK_BUFFER, gl->interop_pbo);
          glBufferData (GL_PIXEL_UNPACK_BUFFER, bytes, NULL, GL_STREAM_DRAW);
          glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
          gl->interop = ptl_gl_interop_new (gl->interop_pbo, device, &error);
        }
      if (gl->interop != NULL)
        {
          gl->interop_bytes = bytes;
          gl->interop_device = device;
          g_info ("The view's texture is filled on GPU %d (CUDA-GL interop)", device);
        }
    }
  if (gl->interop != NULL && ptl_gl_interop_copy (gl->interop, view->device_image, &error))
    return TRUE;
  g_info ("The views upload their images from the host: %s", error->message);
  g_clear_pointer (&gl->interop, ptl_gl_interop_free);
  gl->interop_off = TRUE;
  return FALSE;
}

/* Fills the data texture from a pixel-unpack buffer: the interop buffer that CUDA filled,
 * or the host's data copied into the other one (orphaned first, so the driver need not
 * wait for the previous upload). The texture is only reallocated when the size or the
 * number of channels changes. */
static void
upload_data (PtlImageView *view)
{
  PtlImageViewGL *gl = &view->gl;
  guint           channels = view->complex_data != NULL ? 2 : 1;
  const void     *pixels = channels == 2 ? (const void *) view->complex_data : view->plane;
  gsize           bytes = view->rows * view->cols * channels * sizeof (float);
  GLenum          format = channels == 2 ? GL_RG : GL_RED;

  if (view->device_image != NULL && fill_from_device (view, bytes))
    glBindBuffer (GL_PIXEL_UNPACK_BUFFER, gl->interop_pbo);
  else
    {
      glBindBuffer (GL_PIXEL_UNPACK_BUFFER, gl->pbo);
      glBufferData (GL_PIXEL_UNPACK_BUFFER, bytes, NULL, GL_STREAM_DRAW);
      glBufferSubData (GL_PIXEL_UNPACK_BUFFER, 0, bytes, pixels);
    }
  glBindTexture (GL_TEXTURE_2D, gl->data_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  if (gl->texture_rows != view->rows || gl->texture_cols != view->cols
      || gl->texture_channels != channels)
    {
      glTexImage2D (GL_TEXTURE_2D, 0, channels == 2 ? GL_RG32F : GL_R32F, view->cols,
                    view->rows, 0, format, GL_FLOAT, NULL);
      gl->texture_rows = view->rows;
      gl->texture_cols = view->cols;
      gl->texture_channels = channels;
    }
  glTexSubImage2D (GL_TEXTURE_2D, 0, 0, 0, view->cols, view->rows, format, GL_FLOAT, NULL);
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  glBindTexture (GL_TEXTURE_2D, 0);
  gl->data_dirty = FALSE;

  GLenum status = glGetError ();

  if (status != GL_NO_ERROR)
    g_warning ("Uploading a %zu×%zu image failed: GL error 0x%x", view->rows, view->cols,
               status);
}

static void
upload_lut (PtlImageView *view)
{
  glBindTexture (GL_TEXTURE_2D, view->gl.lut_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, PTL_COLORMAP_SIZE, 1, 0, GL_RGBA,
                GL_UNSIGNED_BYTE, ptl_colormap_lut (view->colormap));
  glBindTexture (GL_TEXTURE_2D, 0);
  view->gl.lut_dirty = FALSE;
}

void
ptl_image_view_gl_render (PtlImageView *view)
{
  PtlImageViewGL *gl = &view->gl;
  double          width = gtk_widget_get_width (GTK_WIDGET (view));
  double          height = gtk_widget_get_height (GTK_WIDGET (view));
  double          x0, y0, x1, y1;

  glClearColor (0.1f, 0.1f, 0.1f, 1.0f);
  glClear (GL_COLOR_BUFFER_BIT);
  if (view->plane == NULL || width <= 0 || height <= 0
      || view->rows > (gsize) gl->max_texture_size || view->cols > (gsize) gl->max_texture_size)
    return;

  if (gl->data_dirty)
    upload_data (view);
  if (gl->lut_dirty)
    upload_lut (view);

  ptl_view_transform_to_widget (&view->transform, width, height, 0, 0, &x0, &y0);
  ptl_view_transform_to_widget (&view->transform, width, height, view->cols, view->rows,
                                &x1, &y1);

  glUseProgram (gl->program);
  glUniform4f (gl->u_rect, 2.0 * x0 / width - 1.0, 1.0 - 2.0 * y0 / height,
               2.0 * x1 / width - 1.0, 1.0 - 2.0 * y1 / height);
  glUniform1i (gl->u_mode, view->complex_data != NULL ? 1 : 0);
  glUniform1i (gl->u_component, view->component);
  glUniform3f (gl->u_plane, view->phase_plane.ramp_row, view->phase_plane.ramp_col,
               view->phase_plane.offset);
  glUniform1f (gl->u_low, view->levels.low);
  glUniform1f (gl->u_high, view->levels.high);
  glUniform1i (gl->u_log_scale, view->levels.log_scale);
  glUniform1i (gl->u_data, 0);
  glUniform1i (gl->u_lut, 1);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, gl->data_texture);
  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, gl->lut_texture);

  glBindVertexArray (gl->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);

  glBindTexture (GL_TEXTURE_2D, 0);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, 0);
  glUseProgram (0);
}
