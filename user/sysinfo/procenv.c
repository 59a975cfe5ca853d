/* A process's allowed CPUs and the PCI devices it holds open (machine.h). */
#include "sysinfo/machine.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"

static int node_of_cpu(const struct nl_topo_summary *topo, int cpu)
{
	for (int i = 0; i < topo->nr_nodes; i++) {
		int id = topo->node_ids[i];

		for (int c = 0; c < topo->nr_cpus[id]; c++)
			if (topo->cpus[id][c] == cpu)
				return id;
	}
	return -1;
}

/* Cpus_allowed_list: what sched_setaffinity, taskset, numactl --cpunodebind or a
 * cpuset left the main thread. 0, or -ESRCH when the process is gone. */
static int read_allowed(const char *root, uint32_t pid, const struct nl_topo_summary *topo,
			struct nl_proc_env *env)
{
	char rel[64], *text, *line;
	int *cpus = NULL, n;

	snprintf(rel, sizeof(rel), "/proc/%u/status", pid);
	text = nl_read_file(root, rel);
	if (!text)
		return -ESRCH;
	line = strstr(text, "Cpus_allowed_list:");
	if (line) {
		line += strlen("Cpus_allowed_list:");
		line += strspn(line, " \t");
		line[strcspn(line, "\n")] = '\0';
		n = nl_parse_cpulist(line, &cpus);
		for (int i = 0; i < n; i++) {
			int node = node_of_cpu(topo, cpus[i]);

			if (node >= 0 && node < 64)
				env->allowed_nodes |= 1ULL << node;
		}
		env->allowed_known = n > 0 && env->allowed_nodes;
		free(cpus);
	}
	free(text);
	return 0;
}

/* The PCI device behind a character device: sysfs links /sys/dev/char/MAJ:MIN/device
 * to it (DRM render nodes, /dev/infiniband/uverbsN, accelerators' char devices). */
static int dev_index(const char *root, dev_t rdev, const struct nl_machine *m)
{
	char rel[64], target[PATH_MAX], *path;
	ssize_t len;

	snprintf(rel, sizeof(rel), "/sys/dev/char/%u:%u/device", major(rdev), minor(rdev));
	path = nl_path(root, rel);
	if (!path)
		return -1;
	len = readlink(path, target, sizeof(target) - 1);
	free(path);
	if (len <= 0)
		return -1;
	target[len] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	for (int i = 0; i < m->nr_devs; i++)
		if (!strcmp(m->devs[i].address, base))
			return i;
	return -1;
}

static void add_dev(struct nl_proc_env *env, int idx)
{
	for (int i = 0; i < env->nr_devs; i++)
		if (env->devs[i] == idx)
			return;
	if (env->nr_devs < NL_PROC_MAX_DEVS)
		env->devs[env->nr_devs++] = idx;
}

/* Every open character device that is one of m's devices. Unreadable fds (another
 * user's process without root) leave the list empty. */
static void read_fds(const char *root, uint32_t pid, const struct nl_machine *m,
		     struct nl_proc_env *env)
{
	char rel[64], *dirpath;
	struct dirent *de;
	DIR *d;

	snprintf(rel, sizeof(rel), "/proc/%u/fd", pid);
	dirpath = nl_path(root, rel);
	if (!dirpath)
		return;
	d = opendir(dirpath);
	if (!d) {
		free(dirpath);
		return;
	}
	while ((de = readdir(d))) {
		char fdpath[PATH_MAX];
		struct stat st;
		int idx;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", dirpath, de->d_name);
		if (stat(fdpath, &st) || !S_ISCHR(st.st_mode))
			continue;
		idx = dev_index(root, st.st_rdev, m);
		if (idx >= 0)
			add_dev(env, idx);
	}
	closedir(d);
	free(dirpath);
}

int nl_proc_env_read(const char *root, uint32_t pid, const struct nl_topo_summary *topo,
		     const struct nl_machine *m, struct nl_proc_env *env)
{
	memset(env, 0, sizeof(*env));
	env->pid = pid;
	if (read_allowed(root, pid, topo, env))
		return -ESRCH;
	read_fds(root, pid, m, env);
	return 0;
}
