/* The headless run: simulate (or, later, replay) a scan, reconstruct it, write the result. */
#pragma once

#include <glib.h>

#include "core/ptl-params.h"
#include "recon/ptl-backend.h"
#include "sim/ptl-sim.h"

G_BEGIN_DECLS

typedef struct
{
  PtlSimParams   sim;
  PtlReconParams recon;
  PtlBackendKind backend;
  guint          threads;
  guint          report_every;
  guint          object_size; /* 0 = whatever the scan needs */
  char          *output;
} PtlHeadlessOptions;

gboolean ptl_headless_run (const PtlHeadlessOptions *options,
                           GError                  **error);

G_END_DECLS
