/* What the result-file tests share: a temporary directory per test, random results with
 * values that survive only if stored exactly, and writes that must succeed and close
 * every HDF5 object they opened. */
#pragma once

#include <glib.h>

#include "io/ptl-result-file.h"

#define TRANSLATION "/entry_1/sample_1/geometry_1/translation"

typedef struct
{
  char *dir;
  char *path; /* a result file name inside dir */
} Fixture;

void       test_result_fixture_set_up (Fixture      *fixture,
                                       gconstpointer data);
void       test_result_fixture_tear_down (Fixture      *fixture,
                                          gconstpointer data);
/* The number of entries in the directory `path`. */
guint      test_result_count_entries (const char *path);
/* Every file, group, dataset and attribute that the code under test opened is closed again. */
void       test_result_assert_no_open_objects (void);
PtlArray  *test_result_random_complex (GRand       *rand,
                                       guint        ndim,
                                       const gsize *shape);
/* Values chosen so that none survives by accident: a stage in µm, swapped and inverted axes,
 * a 64-bit seed, a detector pixel and an energy that do not round-trip through × then ÷. */
PtlResult *test_result_make (GRand    *rand,
                             PtlArray *object,
                             PtlArray *probe,
                             guint     n_positions,
                             guint     n_iterations);
/* The same with a random 37×53 object and 16×16 probe. */
PtlResult *test_result_make_2d (GRand *rand,
                                guint  n_positions,
                                guint  n_iterations);
/* Writes `result` to `path`, which must succeed. */
void       test_result_write (const char      *path,
                              const PtlResult *result);
