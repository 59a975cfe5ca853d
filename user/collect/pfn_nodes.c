#include "collect/pfn_nodes.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int cmp_range(const void *a, const void *b)
{
	const struct nl_pfn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int nl_pfn_ranges_normalize(struct nl_pfn_range *r, int n)
{
	int out = 0;

	if (n <= 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (int i = 1; i < n; i++) {
		struct nl_pfn_range *last = &r[out];

		if (r[i].start < last->end && r[i].node != last->node)
			return -1;
		if (r[i].start <= last->end && r[i].node == last->node) {
			if (r[i].end > last->end)
				last->end = r[i].end;
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}

int nl_pfn_node(const struct nl_pfn_range *r, int n, uint64_t pfn)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (pfn < r[mid].start)
			hi = mid;
		else if (pfn >= r[mid].end)
			lo = mid + 1;
		else
			return (int)r[mid].node;
	}
	return -1;
}

/* Grows a malloc'd range list by one. */
static int push_range(struct nl_pfn_range **v, int *n, int *cap, uint64_t start, uint64_t end,
		      int node)
{
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 64;
		struct nl_pfn_range *nv = realloc(*v, (size_t)ncap * sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = (struct nl_pfn_range){ .start = start, .end = end, .node = (uint32_t)node };
	return 0;
}

/* Source 1: memory blocks linked from each node directory. Returns the number of
 * ranges, 0 when this source does not exist, -1 on error (err set). */
static int from_memory_blocks(const char *root, uint64_t page_size, struct nl_pfn_range **v,
			      char *err, size_t errlen)
{
	char *bs_text = nl_read_file(root, "/sys/devices/system/memory/block_size_bytes");
	char *nodedir = NULL;
	DIR *d = NULL;
	uint64_t bs;
	int n = 0, cap = 0, ret = -1;

	if (!bs_text)
		return 0;
	char *end;
	errno = 0;
	bs = strtoull(bs_text, &end, 16);
	if (errno || end == bs_text || *end || bs < page_size || bs % page_size) {
		snprintf(err, errlen, "block_size_bytes: bad value '%s'", bs_text);
		goto out;
	}
	nodedir = nl_path(root, "/sys/devices/system/node");
	if (!nodedir) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	d = opendir(nodedir);
	if (!d) {
		ret = 0;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		int node;
		char path[512];
		DIR *nd;

		if (strncmp(de->d_name, "node", 4) || nl_parse_int(de->d_name + 4, 0, 1 << 20, &node))
			continue;
		if (node >= NL_MAX_NODES) {
			snprintf(err, errlen, "node %d is beyond the %d nodes numalens handles", node,
				 NL_MAX_NODES);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", nodedir, de->d_name);
		nd = opendir(path);
		if (!nd)
			continue;
		struct dirent *me;
		while ((me = readdir(nd))) {
			uint64_t block;

			if (strncmp(me->d_name, "memory", 6) || nl_parse_u64(me->d_name + 6, &block))
				continue;
			uint64_t first = block * (bs / page_size);
			if (push_range(v, &n, &cap, first, first + bs / page_size, node)) {
				closedir(nd);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
		closedir(nd);
	}
	ret = n;
out:
	if (d)
		closedir(d);
	free(nodedir);
	free(bs_text);
	return ret;
}

/* Source 2: /proc/zoneinfo "Node N, zone Z" blocks with "start_pfn:" and "spanned". */
static int from_zoneinfo(const char *root, struct nl_pfn_range **v, char *err, size_t errlen)
{
	char *text = nl_read_file(root, "/proc/zoneinfo");
	int n = 0, cap = 0, node = -1;
	uint64_t spanned = 0;
	bool have_spanned = false;

	if (!text) {
		snprintf(err, errlen, "neither memory blocks in sysfs nor /proc/zoneinfo are readable");
		return -1;
	}
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char zone[32];
		uint64_t v64;

		if (sscanf(line, "Node %d, zone %31s", &node, zone) == 2) {
			have_spanned = false;
			if (node < 0 || node >= NL_MAX_NODES) {
				snprintf(err, errlen, "zoneinfo: node %d is beyond the %d nodes numalens handles",
					 node, NL_MAX_NODES);
				goto fail;
			}
		} else if (sscanf(line, " spanned %" SCNu64, &v64) == 1) {
			spanned = v64;
			have_spanned = true;
		} else if (sscanf(line, " start_pfn: %" SCNu64, &v64) == 1) {
			if (node < 0 || !have_spanned) {
				snprintf(err, errlen, "zoneinfo: start_pfn outside a zone block");
				goto fail;
			}
			if (spanned && push_range(v, &n, &cap, v64, v64 + spanned, node)) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
	}
	free(text);
	if (n == 0)
		snprintf(err, errlen, "zoneinfo: no zone with pages");
	return n ? n : -1;
fail:
	free(text);
	return -1;
}

int nl_pfn_nodes_read(const char *root, uint64_t page_size, struct nl_pfn_range *out, int max,
		      int *nr, const char **source, char *err, size_t errlen)
{
	struct nl_pfn_range *v = NULL;
	int n;

	if (!page_size) {
		snprintf(err, errlen, "page size 0");
		return -1;
	}
	*source = "memory blocks";
	n = from_memory_blocks(root, page_size, &v, err, errlen);
	if (n == 0) {
		*source = "zoneinfo";
		n = from_zoneinfo(root, &v, err, errlen);
	}
	if (n < 0)
		goto fail;
	n = nl_pfn_ranges_normalize(v, n);
	if (n < 0) {
		snprintf(err, errlen, "%s: ranges of different nodes overlap", *source);
		goto fail;
	}
	if (n > max) {
		snprintf(err, errlen, "%s: %d pfn ranges, more than the %d the BPF table holds",
			 *source, n, max);
		goto fail;
	}
	memcpy(out, v, (size_t)n * sizeof(*v));
	*nr = n;
	free(v);
	return 0;
fail:
	free(v);
	return -1;
}
