/* Helpers shared by the workloads (placement: nl-place, nl-firsttouch-bug; requests:
 * nl-server, nl-reqinject, which add request.h).
 *
 * Header-only (static inline) because every workload is its own static binary. No libnuma:
 * the guest is busybox, so the NUMA system calls are made directly and node facts come
 * from sysfs (/sys/devices/system/node).
 */
#ifndef NUMALENS_WORKLOAD_H
#define NUMALENS_WORKLOAD_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#define WL_PAGE        4096UL
/* Node masks cover 1024 nodes: CONFIG_NODES_SHIFT=10 on Debian's kernels. */
#define WL_MAX_NODES   1024
#define WL_MASK_LONGS  (WL_MAX_NODES / (8 * sizeof(unsigned long)))

typedef struct { unsigned long bits[WL_MASK_LONGS]; } wl_nodemask;

static inline void wl_mask_set(wl_nodemask *m, int node)
{
	m->bits[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
}

static inline int wl_mask_isset(const wl_nodemask *m, int node)
{
	return node >= 0 && node < WL_MAX_NODES &&
	       (m->bits[node / (8 * sizeof(unsigned long))] >> (node % (8 * sizeof(unsigned long)))) & 1;
}

static inline int wl_mask_count(const wl_nodemask *m)
{
	int n = 0;

	for (int i = 0; i < WL_MAX_NODES; i++)
		n += wl_mask_isset(m, i);
	return n;
}

/* Whole string must be a decimal number in [min, max]. */
static inline int wl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Seconds: a non-negative decimal number ("5", "0.5"), at most a day. */
static inline int wl_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || ((*s < '0' || *s > '9') && *s != '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

/* A list in sysfs cpulist format ("0-3,5") into a node mask. Values must be < WL_MAX_NODES. */
static inline int wl_parse_nodelist(const char *s, wl_nodemask *m)
{
	memset(m, 0, sizeof(*m));
	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -1;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= WL_MAX_NODES)
			return -1;
		for (unsigned long i = a; i <= b; i++)
			wl_mask_set(m, (int)i);
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return -1;
		else if (*end == '\n')
			end++;
		s = end;
	}
	return 0;
}

/* Reads a small sysfs file into buf (NUL-terminated). */
static inline int wl_read_sysfs(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* Nodes in /sys/devices/system/node/WHICH (online, has_cpu, has_memory). An empty file (a
 * CPU-less node list, say) gives an empty mask. */
static inline int wl_sysfs_nodes(const char *which, wl_nodemask *m)
{
	char path[128], buf[4096];

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/sys/devices/system/node/%s", which);
	if (wl_read_sysfs(path, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] == '\n' || buf[0] == '\0')
		return 0;
	return wl_parse_nodelist(buf, m);
}

/* The CPUs of a node, from /sys/devices/system/node/nodeN/cpulist. */
static inline int wl_node_cpus(int node, cpu_set_t *set)
{
	char path[128], buf[8192], *s = buf;

	CPU_ZERO(set);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	if (wl_read_sysfs(path, buf, sizeof(buf)) < 0)
		return -1;
	while (*s && *s != '\n') {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -1;
		a = b = strtoul(s, &end, 10);
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (a > b || b >= CPU_SETSIZE)
			return -1;
		for (unsigned long c = a; c <= b; c++)
			CPU_SET(c, set);
		s = *end == ',' ? end + 1 : end;
	}
	return CPU_COUNT(set) > 0 ? 0 : -1;
}

/* Parses NODE for option OPT and checks it is in sysfs list WHICH ("has_cpu" for a node
 * to run on, "has_memory" for a node to allocate on). Prints the error; returns -1. */
static inline int wl_parse_node(const char *prog, const char *opt, const char *s,
				const char *which, int *node)
{
	wl_nodemask m;
	uint64_t v;
	char path[128], buf[4096];

	if (wl_parse_u64(s, 0, WL_MAX_NODES - 1, &v) < 0) {
		fprintf(stderr, "%s: %s wants a node number, got '%s'\n", prog, opt, s);
		return -1;
	}
	if (wl_sysfs_nodes(which, &m) < 0) {
		fprintf(stderr, "%s: cannot read /sys/devices/system/node/%s: %s\n", prog, which,
			strerror(errno));
		return -1;
	}
	if (!wl_mask_isset(&m, (int)v)) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s", which);
		if (wl_read_sysfs(path, buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "%s: %s: node %s is not in %s (nodes there: %s)\n", prog, opt, s,
			which, *buf ? buf : "none");
		return -1;
	}
	*node = (int)v;
	return 0;
}

/* Pins the calling thread to the CPUs of node. */
static inline int wl_pin_to_node(int node)
{
	cpu_set_t set;

	if (wl_node_cpus(node, &set) < 0) {
		errno = ENOENT;
		return -1;
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The kernel reads maxnode - 1 bits of the mask (a historical off-by-one that libnuma
 * works around the same way). */
static inline long wl_mbind_flags(void *addr, size_t len, int mode, const wl_nodemask *m,
				  unsigned flags)
{
	return syscall(SYS_mbind, addr, len, mode, m ? m->bits : NULL,
		       m ? WL_MAX_NODES + 1 : 0, flags);
}

static inline long wl_mbind(void *addr, size_t len, int mode, const wl_nodemask *m)
{
	return wl_mbind_flags(addr, len, mode, m, 0);
}

static inline long wl_set_mempolicy(int mode, const wl_nodemask *m)
{
	return syscall(SYS_set_mempolicy, mode, m ? m->bits : NULL, m ? WL_MAX_NODES + 1 : 0);
}

/* Where each page of [addr, addr + pages pages) is now: move_pages(2) with a NULL node list
 * fills status with the node of each page (or a negative errno, e.g. -ENOENT for a page not
 * present). Adds the counts into per_node[WL_MAX_NODES] and *missing. */
static inline int wl_count_pages(void *addr, size_t pages, long *per_node, long *missing)
{
	enum { CHUNK = 4096 };
	void *ptrs[CHUNK];
	int status[CHUNK];

	for (size_t done = 0; done < pages; ) {
		size_t n = pages - done < CHUNK ? pages - done : CHUNK;

		for (size_t i = 0; i < n; i++)
			ptrs[i] = (char *)addr + (done + i) * WL_PAGE;
		if (syscall(SYS_move_pages, 0, n, ptrs, NULL, status, 0) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (status[i] >= 0 && status[i] < WL_MAX_NODES)
				per_node[status[i]]++;
			else
				(*missing)++;
		}
		done += n;
	}
	return 0;
}

/* "N0=8192,N1=8192": the nodes with a non-zero count, as numa_maps names them. */
static inline void wl_format_counts(const long *per_node, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < WL_MAX_NODES && used < size; i++) {
		if (!per_node[i])
			continue;
		used += snprintf(buf + used, size - used, "%sN%d=%ld", used ? "," : "", i, per_node[i]);
	}
	if (!used)
		snprintf(buf, size, "none");
}

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline pid_t wl_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

#endif
