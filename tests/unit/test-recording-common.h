/* What the recording tests share: a temporary directory per test, simulated frames of a
 * small non-square detector in any pixel size and encoding, and plain-HDF5 helpers to
 * write and damage files. */
#pragma once

#include <glib.h>
#include <hdf5.h>

#include "io/ptl-recording.h"
#include "sim/ptl-sim-raw.h"

#define ROWS 40
#define COLS 56
#define PATTERN 16
#define N_FRAMES 7

typedef struct
{
  char *dir;
  char *path; /* scan.cxi in dir, not created */
} Fixture;

void            test_recording_fixture_set_up (Fixture      *fixture,
                                               gconstpointer data);
void            test_recording_fixture_tear_down (Fixture      *fixture,
                                                  gconstpointer data);
/* Series metadata with every field set (mask, user data, start message). */
PtlSeriesInfo  *test_recording_make_series (guint element_size);
PtlRawDetector *test_recording_make_detector (void);
/* Frame k of the simulated detector in pixels of 1, 2 or 4 bytes, every byte varying. */
guint8         *test_recording_make_pixels (PtlRawDetector *detector,
                                            guint           k,
                                            guint           element_size);
/* The frame as a stream delivers it, in `encoding`, with times derived from its id. */
PtlImageInfo   *test_recording_make_image (const guint8 *pixels,
                                           guint64       image_id,
                                           guint         element_size,
                                           PtlEncoding   encoding);
void            test_recording_init_preprocess (PtlPreprocessParams *params);

/* Plain HDF5, as another program writes it: a dataset of `dims` (rank 0: a scalar; chunked,
 * shuffled and gzipped when `chunk` is given) of `file_type`, holding `values` (if not
 * NULL) of `mem_type`; intermediate groups are created. */
void test_recording_write_dataset (hid_t          file,
                                   const char    *path,
                                   hid_t          file_type,
                                   int            rank,
                                   const hsize_t *dims,
                                   const hsize_t *chunk,
                                   hid_t          mem_type,
                                   gconstpointer  values);
void test_recording_write_double (hid_t       file,
                                  const char *path,
                                  double      value);
/* The file does not open, with an error of `code` that names it and says `fragment`. */
void test_recording_expect_open_error (const char *path,
                                       int         code,
                                       const char *fragment);
/* A file written correctly, then damaged by `damage` with plain HDF5 calls. */
typedef void (*Damage) (hid_t file);
void test_recording_damage_file (const char *path,
                                 Damage      damage);
