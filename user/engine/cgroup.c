#include "engine/cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define NL_CGROUP2_SUPER_MAGIC 0x63677270 /* linux/magic.h */

int nl_cgroup_id(const char *path, uint64_t *id, char *err, size_t errlen)
{
	char full[4096];
	struct statfs fs;
	struct stat st;

	if (!path || !*path) {
		snprintf(err, errlen, "empty cgroup path");
		return -1;
	}
	/* Relative paths: the unified hierarchy is /sys/fs/cgroup, or /sys/fs/cgroup/unified
	 * on hybrid (v1 + v2) systems. */
	static const char *const roots[] = { "/sys/fs/cgroup/", "/sys/fs/cgroup/unified/" };
	for (size_t i = 0; i < (path[0] == '/' ? 1 : sizeof(roots) / sizeof(roots[0])); i++) {
		if (snprintf(full, sizeof(full), "%s%s", path[0] == '/' ? "" : roots[i], path) >=
		    (int)sizeof(full)) {
			snprintf(err, errlen, "cgroup path too long");
			return -1;
		}
		if (statfs(full, &fs) == 0 && (unsigned long)fs.f_type == NL_CGROUP2_SUPER_MAGIC)
			break;
	}
	if (stat(full, &st) || statfs(full, &fs)) {
		snprintf(err, errlen, "%s: %s", full, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || (unsigned long)fs.f_type != NL_CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "%s is not a cgroup v2 directory", full);
		return -1;
	}
	/* On cgroup2 the directory's inode number is the kernfs id that
	 * bpf_get_current_cgroup_id() returns. */
	*id = (uint64_t)st.st_ino;
	return 0;
}
