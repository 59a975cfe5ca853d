#include "collect/follow.h"

#include <bpf/bpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct proc_link {
	uint32_t pid, ppid;
	bool followed;
};

/* PPid of process pid from root/proc/pid/status; -1 when it is gone. */
static int read_ppid(const char *root, uint32_t pid, uint32_t *ppid)
{
	char path[64], *text, *line;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	text = nl_read_file(root, path);
	if (!text)
		return -1;
	line = strstr(text, "\nPPid:");
	if (line && sscanf(line + 6, "%u", ppid) == 1)
		rc = 0;
	free(text);
	return rc;
}

/* Every process under root/proc with its parent. */
static int list_processes(const char *root, struct proc_link **out, size_t *n)
{
	char dir[4096];
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/proc", root && strcmp(root, "/") ? root : "");
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		uint32_t pid, ppid;

		if (!isdigit((unsigned char)e->d_name[0]) || sscanf(e->d_name, "%u", &pid) != 1)
			continue;
		if (read_ppid(root, pid, &ppid))
			continue; /* gone meanwhile */
		if (nl_grow(out, &cap, *n, sizeof(**out))) {
			closedir(d);
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		(*out)[(*n)++] = (struct proc_link){ .pid = pid, .ppid = ppid };
	}
	closedir(d);
	return 0;
}

int nl_follow_descendants(const char *root, int map_fd, uint32_t tgid, size_t *added)
{
	struct proc_link *v;
	size_t n, i;
	bool grew = true;
	int rc = list_processes(root, &v, &n);

	*added = 0;
	if (rc)
		return rc;
	/* Mark until nothing changes: each pass reaches one generation further, in any
	 * order of /proc. */
	while (grew && !rc) {
		grew = false;
		for (i = 0; i < n; i++) {
			if (v[i].followed || v[i].pid == tgid)
				continue;
			bool parent = v[i].ppid == tgid;
			for (size_t j = 0; j < n && !parent; j++)
				parent = v[j].followed && v[j].pid == v[i].ppid;
			if (!parent)
				continue;
			uint64_t any_start = 0; /* bpf/follow.bpf.h: freed by its leader's free */
			if (map_fd >= 0 && bpf_map_update_elem(map_fd, &v[i].pid, &any_start, BPF_ANY)) {
				rc = errno == E2BIG || errno == ENOMEM ? -E2BIG : -errno;
				break;
			}
			v[i].followed = true;
			(*added)++;
			grew = true;
		}
	}
	free(v);
	return rc;
}
