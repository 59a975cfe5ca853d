/* cgroup v2 filter: a cgroup directory to the id BPF sees (bpf_get_current_cgroup_id). */
#ifndef NL_CGROUP_H
#define NL_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* path: a cgroup v2 directory, absolute or relative to /sys/fs/cgroup. 0 with *id set,
 * or -1 with a one-line reason in err (no such directory, not cgroup v2). */
int nl_cgroup_id(const char *path, uint64_t *id, char *err, size_t errlen);

#endif
