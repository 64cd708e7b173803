/* What every detector stream delivers, whatever its protocol (DECTRIS Stream V2 CBOR or
 * V1 JSON): a series start with the detector's metadata, images with their compressed
 * bytes exactly as received, and a series end. Decoders fill these; the recorder keeps
 * the bytes as they came, and the live path decompresses only the rows it needs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Upper bounds applied before any allocation a header asks for. */
#define PTL_STREAM_MAX_SIDE 32768             /* pixels per image side */
#define PTL_STREAM_MAX_IMAGE_BYTES ((gsize) 1 << 32)

typedef enum
{
  PTL_ENCODING_RAW,   /* little-endian pixels */
  PTL_ENCODING_LZ4,   /* LZ4 blocks, HDF5 framing */
  PTL_ENCODING_BSLZ4  /* bitshuffle + LZ4, HDF5 framing */
} PtlEncoding;

typedef struct
{
  char    *series_id;          /* as text: V2 numbers and V1 numbers both print */
  char    *series_unique_id;   /* V2 only, NULL otherwise */
  guint    image_rows;         /* image_size_y */
  guint    image_cols;         /* image_size_x */
  guint    element_size;       /* bytes per pixel: 1, 2 or 4 */
  gboolean element_signed;
  guint64  number_of_images;   /* 0 when unknown */
  double   pixel_size_x;       /* metres; 0 when unknown */
  double   pixel_size_y;
  double   energy_ev;          /* incident energy; 0 when unknown */
  double   wavelength;         /* metres; 0 when unknown */
  double   detector_distance;  /* metres; 0 when unknown */
  double   count_time;         /* seconds */
  double   frame_time;
  double   beam_center_x;      /* pixels */
  double   beam_center_y;
  guint64  saturation_value;   /* 0 when unknown */
  guint32 *pixel_mask;         /* [rows][cols], nonzero = bad; NULL when not sent */
  char    *user_data;          /* JSON text of the user data; NULL when none */
  GBytes  *raw_header;         /* the start message as received, for the recording */
} PtlSeriesInfo;

typedef struct
{
  char       *series_id;
  guint64     image_id;
  guint       rows;
  guint       cols;
  guint       element_size;
  PtlEncoding encoding;
  GBytes     *data;           /* compressed bytes as received (a view of the message, no copy) */
  guint64     start_time_ns;  /* exposure start, stop and real time; 0 when unknown */
  guint64     stop_time_ns;
  guint64     real_time_ns;
} PtlImageInfo;

void ptl_series_info_free (PtlSeriesInfo *series);
void ptl_image_info_free (PtlImageInfo *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlSeriesInfo, ptl_series_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlImageInfo, ptl_image_info_free)

G_END_DECLS
