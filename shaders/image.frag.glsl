// Colours one image pixel (see image.vert.glsl for the #version line).
//
// u_data holds floats: one channel (a plane: amplitude, phase, a pattern, a raw frame;
// u_mode 0) or two, the real and imaginary parts of complex data (u_mode 1), as the host
// uploads them or as CUDA copies them device to device from the engine's object. Pixels
// are fetched exactly (texelFetch), never filtered, so that what is shown is the value the
// readout reports.
// Complex data shows as u_component 0 amplitude, 1 phase less the plane u_plane (ramp per
// row, ramp per column, offset; ptl_image_phase_less_plane), 2 both: hue = phase / 2π,
// value = the normalised amplitude (ptl_colormap_complex_rgba). A single value goes
// through the level window then the 256-entry colormap u_lut, the same index computation
// as the CPU (ptl_colormap_index).

uniform sampler2D u_data;
uniform sampler2D u_lut;
uniform int u_mode;
uniform int u_component;
uniform vec3 u_plane;
uniform float u_low;
uniform float u_high;
uniform int u_log_scale;
in vec2 v_uv;
out vec4 o_colour;

const float TWO_PI = 6.28318530717958647;

float
normalise (float v)
{
  float lo = u_low;
  float hi = u_high;

  if (u_log_scale != 0)
    {
      v = log (1.0 + max (v, 0.0));
      lo = log (1.0 + max (lo, 0.0));
      hi = log (1.0 + max (hi, 0.0));
    }
  if (!(hi > lo))
    return v > lo ? 1.0 : 0.0;
  return (v - lo) / (hi - lo);
}

vec3
hsv_to_rgb (float h, float s, float v)
{
  h = fract (h);
  vec3 k = mod (vec3 (5.0, 3.0, 1.0) + 6.0 * h, 6.0);
  return v - v * s * clamp (min (k, 4.0 - k), 0.0, 1.0);
}

void
main ()
{
  ivec2 size = textureSize (u_data, 0);
  ivec2 texel = clamp (ivec2 (floor (v_uv * vec2 (size))), ivec2 (0), size - 1);
  vec4 data = texelFetch (u_data, texel, 0);
  float value = data.r;
  float phase = 0.0;
  bool hsv = false;

  if (u_mode == 1)
    {
      float amplitude = length (data.rg);

      // atan (0, 0) is undefined in GLSL; the CPU's carg (0) is 0.
      phase = (amplitude > 0.0 ? atan (data.g, data.r) : 0.0)
              - (u_plane.z + u_plane.x * float (texel.y) + u_plane.y * float (texel.x));
      phase -= TWO_PI * floor (phase / TWO_PI + 0.5);
      value = u_component == 1 ? phase : amplitude;
      hsv = u_component == 2;
    }

  if (hsv)
    o_colour = vec4 (hsv_to_rgb (phase / TWO_PI, 1.0, clamp (normalise (value), 0.0, 1.0)),
                     1.0);
  else
    {
      float t = normalise (value);
      int index = t > 0.0 ? (t >= 1.0 ? 255 : int (t * 255.0 + 0.5)) : 0;
      o_colour = texelFetch (u_lut, ivec2 (index, 0), 0);
    }
}
