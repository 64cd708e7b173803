#include "config.h"

#include "ptl-backend-private.h"
#include "ptl-device-image.h"

PtlDeviceImage *
ptl_device_image_ref (PtlDeviceImage *image)
{
  g_return_val_if_fail (image != NULL, NULL);
  g_atomic_ref_count_inc (&image->ref);
  return image;
}

void
ptl_device_image_unref (PtlDeviceImage *image)
{
  if (image != NULL && g_atomic_ref_count_dec (&image->ref))
    image->release (image);
}

int
ptl_device_image_get_device (const PtlDeviceImage *image)
{
  g_return_val_if_fail (image != NULL, -1);
  return image->device;
}

gsize
ptl_device_image_get_bytes (const PtlDeviceImage *image)
{
  g_return_val_if_fail (image != NULL, 0);
  return image->bytes;
}
