/* The publisher's side of ptl-panda.h: PandA messages as PandABlocks-ioc writes them. */
#include "config.h"

#include "ptl-panda.h"

#include <json-glib/json-glib.h>
#include <math.h>

static char *
builder_to_string (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

char *
ptl_panda_encode_start (const char *arm_time)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "msg_type");
  json_builder_add_string_value (builder, "start");
  json_builder_set_member_name (builder, "arm_time");
  if (arm_time != NULL)
    json_builder_add_string_value (builder, arm_time);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "start_time");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "hw_time_offset_ns");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

static void
add_dataset (JsonBuilder  *builder,
             const char   *name,
             guint64       starting_sample,
             const double *values,
             gsize         n_samples)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "dtype");
  json_builder_add_string_value (builder, "float64");
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, n_samples);
  json_builder_set_member_name (builder, "starting_sample_number");
  json_builder_add_int_value (builder, starting_sample);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (gsize i = 0; i < n_samples; i++)
    {
      if (isfinite (values[i]))
        json_builder_add_double_value (builder, values[i]);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

char *
ptl_panda_encode_data (const char   *x_name,
                       const char   *y_name,
                       guint64       frame_number,
                       guint64       starting_sample,
                       const double *x,
                       const double *y,
                       gsize         n_samples)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (x_name != NULL && y_name != NULL, NULL);
  g_return_val_if_fail (n_samples == 0 || (x != NULL && y != NULL), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "msg_type");
  json_builder_add_string_value (builder, "data");
  json_builder_set_member_name (builder, "frame_number");
  json_builder_add_int_value (builder, frame_number);
  json_builder_set_member_name (builder, "datasets");
  json_builder_begin_object (builder);
  add_dataset (builder, x_name, starting_sample, x, n_samples);
  add_dataset (builder, y_name, starting_sample, y, n_samples);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

char *
ptl_panda_encode_stop (guint64 emitted_frames)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "msg_type");
  json_builder_add_string_value (builder, "stop");
  json_builder_set_member_name (builder, "emitted_frames");
  json_builder_add_int_value (builder, emitted_frames);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

struct _PtlPandaEncoder
{
  char   *x_name;
  char   *y_name;
  guint   chunk_size;
  guint   swap_every;
  GArray *x;            /* samples of the chunk being filled */
  GArray *y;
  guint64 chunk_start;  /* sample index of its first sample */
  guint64 frame_number; /* data messages made so far */
  char   *held;         /* a message waiting to be sent after the next one */
};

PtlPandaEncoder *
ptl_panda_encoder_new (const char *x_name,
                       const char *y_name,
                       guint       chunk_size,
                       guint       swap_every)
{
  PtlPandaEncoder *encoder;

  g_return_val_if_fail (x_name != NULL && y_name != NULL, NULL);
  g_return_val_if_fail (chunk_size > 0, NULL);

  encoder = g_new0 (PtlPandaEncoder, 1);
  encoder->x_name = g_strdup (x_name);
  encoder->y_name = g_strdup (y_name);
  encoder->chunk_size = chunk_size;
  encoder->swap_every = swap_every;
  encoder->x = g_array_sized_new (FALSE, FALSE, sizeof (double), chunk_size);
  encoder->y = g_array_sized_new (FALSE, FALSE, sizeof (double), chunk_size);
  return encoder;
}

void
ptl_panda_encoder_free (PtlPandaEncoder *encoder)
{
  if (encoder == NULL)
    return;
  g_free (encoder->x_name);
  g_free (encoder->y_name);
  g_array_unref (encoder->x);
  g_array_unref (encoder->y);
  g_free (encoder->held);
  g_free (encoder);
}

static void
send_chunk (PtlPandaEncoder *encoder,
            GPtrArray       *messages)
{
  guint64 number = encoder->frame_number++;
  char *message = ptl_panda_encode_data (encoder->x_name, encoder->y_name, number,
                                         encoder->chunk_start,
                                         (const double *) encoder->x->data,
                                         (const double *) encoder->y->data, encoder->x->len);

  encoder->chunk_start += encoder->x->len;
  g_array_set_size (encoder->x, 0);
  g_array_set_size (encoder->y, 0);
  if (encoder->held != NULL)
    {
      g_ptr_array_add (messages, message);
      g_ptr_array_add (messages, g_steal_pointer (&encoder->held));
    }
  else if (encoder->swap_every > 0 && (number + 1) % encoder->swap_every == 0)
    encoder->held = message;
  else
    g_ptr_array_add (messages, message);
}

void
ptl_panda_encoder_start (PtlPandaEncoder *encoder,
                         const char      *arm_time,
                         GPtrArray       *messages)
{
  g_array_set_size (encoder->x, 0);
  g_array_set_size (encoder->y, 0);
  g_clear_pointer (&encoder->held, g_free);
  encoder->chunk_start = 0;
  encoder->frame_number = 0;
  g_ptr_array_add (messages, ptl_panda_encode_start (arm_time));
}

void
ptl_panda_encoder_add (PtlPandaEncoder *encoder,
                       double           x,
                       double           y,
                       GPtrArray       *messages)
{
  g_array_append_val (encoder->x, x);
  g_array_append_val (encoder->y, y);
  if (encoder->x->len == encoder->chunk_size)
    send_chunk (encoder, messages);
}

void
ptl_panda_encoder_stop (PtlPandaEncoder *encoder,
                        GPtrArray       *messages)
{
  if (encoder->x->len > 0)
    send_chunk (encoder, messages);
  if (encoder->held != NULL)
    g_ptr_array_add (messages, g_steal_pointer (&encoder->held));
  g_ptr_array_add (messages, ptl_panda_encode_stop (encoder->frame_number));
}
