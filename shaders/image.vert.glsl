// The image quad. The loader puts the #version line (and precision, for GL ES) first,
// so this source is both GLSL 1.50 (GL 3.2 core) and GLSL ES 3.00.
//
// a_corner runs over the unit square; u_rect is where the image lands, in normalised
// device coordinates: (left, top, right, bottom). v_uv is (0,0) at the image's top-left.

in vec2 a_corner;
uniform vec4 u_rect;
out vec2 v_uv;

void
main ()
{
  v_uv = a_corner;
  gl_Position = vec4 (mix (u_rect.xy, u_rect.zw, a_corner), 0.0, 1.0);
}
