/* Colormap tables. Viridis and cividis are matplotlib's published 256-entry tables
 * (_cm_listed.py, CC0), kept here at every 8th entry plus the entries where cividis bends,
 * and interpolated linearly between them: the tables are smooth enough that the rebuilt
 * entries stay within 1/255 of the published ones (the unit test checks entries between
 * the knots). The cyclic map is computed: a loop in the Oklab colour space whose
 * lightness falls from near-white to near-black and back (like matplotlib's twilight), so
 * that equal steps of phase look equally different and −π and π meet. */
#include "config.h"

#include "gui/ptl-colormap.h"

#include <math.h>

typedef struct
{
  guint8 index;
  float  rgb[3];
} PtlColormapKnot;

static const PtlColormapKnot viridis_knots[] = {
  {   0, { 0.267004f, 0.004874f, 0.329415f } },
  {   8, { 0.277018f, 0.050344f, 0.375715f } },
  {  16, { 0.282327f, 0.094955f, 0.417331f } },
  {  24, { 0.282884f, 0.135920f, 0.453427f } },
  {  32, { 0.278826f, 0.175490f, 0.483397f } },
  {  40, { 0.270595f, 0.214069f, 0.507052f } },
  {  48, { 0.258965f, 0.251537f, 0.524736f } },
  {  56, { 0.244972f, 0.287675f, 0.537260f } },
  {  64, { 0.229739f, 0.322361f, 0.545706f } },
  {  72, { 0.214298f, 0.355619f, 0.551184f } },
  {  80, { 0.199430f, 0.387607f, 0.554642f } },
  {  88, { 0.185556f, 0.418570f, 0.556753f } },
  {  96, { 0.172719f, 0.448791f, 0.557885f } },
  { 104, { 0.160665f, 0.478540f, 0.558115f } },
  { 112, { 0.149039f, 0.508051f, 0.557250f } },
  { 120, { 0.137770f, 0.537492f, 0.554906f } },
  { 128, { 0.127568f, 0.566949f, 0.550556f } },
  { 136, { 0.120565f, 0.596422f, 0.543611f } },
  { 144, { 0.120638f, 0.625828f, 0.533488f } },
  { 152, { 0.132268f, 0.655014f, 0.519661f } },
  { 160, { 0.157851f, 0.683765f, 0.501686f } },
  { 168, { 0.196571f, 0.711827f, 0.479221f } },
  { 176, { 0.246070f, 0.738910f, 0.452024f } },
  { 184, { 0.304148f, 0.764704f, 0.419943f } },
  { 192, { 0.369214f, 0.788888f, 0.382914f } },
  { 200, { 0.440137f, 0.811138f, 0.340967f } },
  { 208, { 0.515992f, 0.831158f, 0.294279f } },
  { 216, { 0.595839f, 0.848717f, 0.243329f } },
  { 224, { 0.678489f, 0.863742f, 0.189503f } },
  { 232, { 0.762373f, 0.876424f, 0.137064f } },
  { 240, { 0.845561f, 0.887322f, 0.099702f } },
  { 248, { 0.926106f, 0.897330f, 0.104071f } },
  { 255, { 0.993248f, 0.906157f, 0.143936f } },
};

static const PtlColormapKnot cividis_knots[] = {
  {   0, { 0.000000f, 0.135112f, 0.304751f } },
  {   8, { 0.000000f, 0.157932f, 0.357521f } },
  {  16, { 0.000000f, 0.178802f, 0.414764f } },
  {  20, { 0.000000f, 0.188769f, 0.439563f } },
  {  22, { 0.000000f, 0.193366f, 0.441561f } },
  {  24, { 0.017852f, 0.198528f, 0.441248f } },
  {  28, { 0.068968f, 0.209372f, 0.438863f } },
  {  32, { 0.103401f, 0.220406f, 0.435790f } },
  {  40, { 0.154261f, 0.242475f, 0.430120f } },
  {  48, { 0.195057f, 0.264372f, 0.425924f } },
  {  56, { 0.230871f, 0.286134f, 0.423498f } },
  {  64, { 0.263738f, 0.307831f, 0.422789f } },
  {  72, { 0.294669f, 0.329531f, 0.423716f } },
  {  80, { 0.324250f, 0.351289f, 0.426250f } },
  {  88, { 0.352892f, 0.373153f, 0.430226f } },
  {  96, { 0.380830f, 0.395164f, 0.435653f } },
  { 104, { 0.408226f, 0.417357f, 0.442570f } },
  { 112, { 0.435168f, 0.439763f, 0.451134f } },
  { 120, { 0.461616f, 0.462405f, 0.461969f } },
  { 128, { 0.488697f, 0.485318f, 0.471008f } },
  { 136, { 0.517920f, 0.508454f, 0.472707f } },
  { 144, { 0.547840f, 0.531895f, 0.471704f } },
  { 152, { 0.578236f, 0.555673f, 0.468724f } },
  { 160, { 0.609105f, 0.579816f, 0.463638f } },
  { 168, { 0.640352f, 0.604354f, 0.456791f } },
  { 176, { 0.671991f, 0.629316f, 0.448018f } },
  { 184, { 0.704037f, 0.654731f, 0.437147f } },
  { 192, { 0.736488f, 0.680629f, 0.424028f } },
  { 200, { 0.769353f, 0.707035f, 0.408516f } },
  { 208, { 0.802667f, 0.733978f, 0.390153f } },
  { 216, { 0.836429f, 0.761483f, 0.368747f } },
  { 224, { 0.870717f, 0.789572f, 0.343333f } },
  { 232, { 0.905589f, 0.818257f, 0.312889f } },
  { 240, { 0.941147f, 0.847530f, 0.275815f } },
  { 248, { 0.977780f, 0.877281f, 0.227954f } },
  { 251, { 0.992218f, 0.888385f, 0.205468f } },
  { 255, { 0.995737f, 0.909344f, 0.217772f } },
};

static void
sample_knots (const PtlColormapKnot *knots,
              gsize                  n_knots,
              double                 t,
              double                 rgb[3])
{
  double x = t * (PTL_COLORMAP_SIZE - 1);
  gsize  k = 0;

  while (k + 2 < n_knots && x > knots[k + 1].index)
    k++;

  double span = knots[k + 1].index - knots[k].index;
  double f = CLAMP ((x - knots[k].index) / span, 0.0, 1.0);

  for (int c = 0; c < 3; c++)
    rgb[c] = knots[k].rgb[c] + f * (knots[k + 1].rgb[c] - knots[k].rgb[c]);
}

static double
linear_to_srgb (double x)
{
  x = CLAMP (x, 0.0, 1.0);
  return x <= 0.0031308 ? 12.92 * x : 1.055 * pow (x, 1.0 / 2.4) - 0.055;
}

/* Oklab (Ottosson 2020) → sRGB, clamped to the gamut. */
static void
oklab_to_srgb (double L,
               double a,
               double b,
               double rgb[3])
{
  double l = L + 0.3963377774 * a + 0.2158037573 * b;
  double m = L - 0.1055613458 * a - 0.0638541728 * b;
  double s = L - 0.0894841775 * a - 1.2914855480 * b;

  l = l * l * l;
  m = m * m * m;
  s = s * s * s;
  rgb[0] = linear_to_srgb (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s);
  rgb[1] = linear_to_srgb (-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s);
  rgb[2] = linear_to_srgb (-0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s);
}

/* Lightness is a cosine (near-white at the ends, dark in the middle) so it changes at
 * the same rate everywhere; chroma vanishes at the ends, where the hue jumps, and the hue
 * turns from blue (first half) through purple to red (second half). */
static void
sample_twilight (double t,
                 double rgb[3])
{
  double L = 0.60 + 0.32 * cos (2.0 * G_PI * t);
  double C = 0.12 * sin (G_PI * t);
  double hue = (250.0 + 260.0 * (t - 0.25)) * G_PI / 180.0;

  oklab_to_srgb (L, C * cos (hue), C * sin (hue), rgb);
}

void
ptl_colormap_sample (PtlColormap map,
                     double      t,
                     double      rgb[3])
{
  g_return_if_fail (map < PTL_COLORMAP_N);

  t = isnan (t) ? 0.0 : CLAMP (t, 0.0, 1.0);
  switch (map)
    {
    case PTL_COLORMAP_GREY:
      rgb[0] = rgb[1] = rgb[2] = t;
      break;
    case PTL_COLORMAP_VIRIDIS:
      sample_knots (viridis_knots, G_N_ELEMENTS (viridis_knots), t, rgb);
      break;
    case PTL_COLORMAP_CIVIDIS:
      sample_knots (cividis_knots, G_N_ELEMENTS (cividis_knots), t, rgb);
      break;
    case PTL_COLORMAP_TWILIGHT:
      sample_twilight (t, rgb);
      break;
    case PTL_COLORMAP_N:
    default:
      g_assert_not_reached ();
    }
}

static guint8
to_byte (double x)
{
  return (guint8) lround (CLAMP (x, 0.0, 1.0) * 255.0);
}

const guint8 *
ptl_colormap_lut (PtlColormap map)
{
  static guint8 tables[PTL_COLORMAP_N][PTL_COLORMAP_SIZE * 4];
  static gsize  built = 0;

  g_return_val_if_fail (map < PTL_COLORMAP_N, NULL);

  if (g_once_init_enter (&built))
    {
      for (int m = 0; m < PTL_COLORMAP_N; m++)
        for (int i = 0; i < PTL_COLORMAP_SIZE; i++)
          {
            double rgb[3];

            ptl_colormap_sample (m, (double) i / (PTL_COLORMAP_SIZE - 1), rgb);
            for (int c = 0; c < 3; c++)
              tables[m][4 * i + c] = to_byte (rgb[c]);
            tables[m][4 * i + 3] = 255;
          }
      g_once_init_leave (&built, 1);
    }
  return tables[map];
}

static const char *const names[PTL_COLORMAP_N] = {
  [PTL_COLORMAP_GREY] = "grey",
  [PTL_COLORMAP_VIRIDIS] = "viridis",
  [PTL_COLORMAP_CIVIDIS] = "cividis",
  [PTL_COLORMAP_TWILIGHT] = "twilight",
};

const char *
ptl_colormap_to_string (PtlColormap map)
{
  g_return_val_if_fail (map < PTL_COLORMAP_N, NULL);
  return names[map];
}

gboolean
ptl_colormap_from_string (const char  *name,
                          PtlColormap *map)
{
  g_return_val_if_fail (map != NULL, FALSE);

  for (int m = 0; name != NULL && m < PTL_COLORMAP_N; m++)
    if (g_ascii_strcasecmp (name, names[m]) == 0)
      {
        *map = m;
        return TRUE;
      }
  return FALSE;
}

void
ptl_colormap_hsv_to_rgb (double h,
                         double s,
                         double v,
                         double rgb[3])
{
  /* The shader's branch-free form: each channel is a clamped triangle wave of the hue. */
  h -= floor (h);
  for (int c = 0; c < 3; c++)
    {
      double k = fmod (5.0 - 2.0 * c + 6.0 * h, 6.0);
      double f = CLAMP (MIN (k, 4.0 - k), 0.0, 1.0);

      rgb[c] = v - v * s * f;
    }
}

void
ptl_colormap_complex_rgba (float  t,
                           float  phase,
                           guint8 rgba[4])
{
  double rgb[3];

  if (isnan (t) || isnan (phase))
    t = 0.0f, phase = 0.0f;
  ptl_colormap_hsv_to_rgb (phase / (2.0 * G_PI), 1.0, CLAMP (t, 0.0f, 1.0f), rgb);
  for (int c = 0; c < 3; c++)
    rgba[c] = to_byte (rgb[c]);
  rgba[3] = 255;
}
