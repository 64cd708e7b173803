/* Keeps the interface ahead of the computation: the run's worker threads (named "ptl-…")
 * get a lower CPU priority than the main loop, so that on a machine whose cores the
 * reconstruction fills, drawing and input do not wait behind it. Idle cores still go to
 * the workers in full. No GTK here. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Raises the nice value of every thread of this process whose name starts with "ptl-" to
 * at least `nice_value` (raising it needs no privilege). Threads appear as a run goes on
 * (the backend's pool starts with the engine), so callers repeat this now and then.
 * Returns how many threads were changed; 0 where the system has no per-thread priority. */
guint ptl_worker_priority_lower (int nice_value);

G_END_DECLS
