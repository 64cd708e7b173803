#include "config.h"

#include "gui/ptl-worker-priority.h"

#ifdef __linux__
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#endif

guint
ptl_worker_priority_lower (int nice_value)
{
  guint changed = 0;
#ifdef __linux__
  /* On Linux the nice value belongs to each thread, named by its id under /proc. */
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *task;

  if (dir == NULL)
    return 0;
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", task, "comm", NULL);
      g_autofree char *name = NULL;
      guint64 tid;

      if (!g_file_get_contents (path, &name, NULL, NULL) || !g_str_has_prefix (name, "ptl-")
          || !g_ascii_string_to_unsigned (task, 10, 1, G_MAXINT, &tid, NULL))
        continue;
      errno = 0;
      int current = getpriority (PRIO_PROCESS, (id_t) tid);
      if (errno != 0 || current >= nice_value)
        continue;
      if (setpriority (PRIO_PROCESS, (id_t) tid, nice_value) == 0)
        changed++;
    }
#endif
  return changed;
}
