#include "collect/numa_maps.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* mpol_to_str() mode names that contain a space; every other mode is one token. */
static const char *const spaced_modes[] = { "weighted interleave", "prefer (many)" };

/* seq_path() escapes the characters of its esc set as \ooo (three octal digits). */
static char *unescape_path(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* Copies the policy (which may contain a space) into e->policy and returns the rest
 * of the line, or NULL if there is no policy. */
static const char *parse_policy(const char *p, struct nl_numa_maps_entry *e)
{
	const char *start = p;
	size_t len;

	for (size_t i = 0; i < NL_ARRAY_SIZE(spaced_modes); i++) {
		size_t n = strlen(spaced_modes[i]);
		if (strncmp(p, spaced_modes[i], n) == 0 && (p[n] == '\0' || p[n] == ' ' ||
							    p[n] == ':' || p[n] == '=')) {
			p += n;
			break;
		}
	}
	while (*p && *p != ' ')
		p++;
	len = (size_t)(p - start);
	if (len == 0)
		return NULL;
	if (len >= sizeof(e->policy))
		len = sizeof(e->policy) - 1;
	memcpy(e->policy, start, len);
	e->policy[len] = '\0';
	return p;
}

static int parse_node_field(const char *key, const char *val, struct nl_numa_maps_entry *e)
{
	uint64_t node, pages;

	if (nl_parse_u64(key + 1, &node) || nl_parse_u64(val, &pages))
		return -EINVAL;
	if (node < NL_MAX_NODES)
		e->node_pages[node] += pages;
	else
		e->pages_beyond += pages;
	e->has_nodes = true;
	return 0;
}

/* One "key=value" field. Unknown keys are skipped: the kernel adds fields over time. */
static int parse_field(char *tok, struct nl_numa_maps_entry *e)
{
	static const struct {
		const char *key;
		size_t off;
	} counters[] = {
		{ "anon", offsetof(struct nl_numa_maps_entry, anon) },
		{ "dirty", offsetof(struct nl_numa_maps_entry, dirty) },
		{ "mapped", offsetof(struct nl_numa_maps_entry, mapped) },
		{ "mapmax", offsetof(struct nl_numa_maps_entry, mapmax) },
		{ "swapcache", offsetof(struct nl_numa_maps_entry, swapcache) },
		{ "active", offsetof(struct nl_numa_maps_entry, active) },
		{ "writeback", offsetof(struct nl_numa_maps_entry, writeback) },
		{ "kernelpagesize_kB", offsetof(struct nl_numa_maps_entry, kernelpagesize_kB) },
	};
	char *eq = strchr(tok, '=');
	const char *val;

	if (!eq)
		return 0;
	*eq = '\0';
	val = eq + 1;
	if (strcmp(tok, "file") == 0) {
		free(e->name);
		e->name = unescape_path(val);
		if (!e->name)
			return -ENOMEM;
		e->file = true;
		return 0;
	}
	if (tok[0] == 'N' && tok[1] >= '0' && tok[1] <= '9')
		return parse_node_field(tok, val, e);
	for (size_t i = 0; i < NL_ARRAY_SIZE(counters); i++) {
		if (strcmp(tok, counters[i].key) == 0) {
			uint64_t *dst = (uint64_t *)((char *)e + counters[i].off);
			if (nl_parse_u64(val, dst))
				return -EINVAL;
			if (dst == &e->active)
				e->has_active = true;
			return 0;
		}
	}
	return 0;
}

static int set_name(struct nl_numa_maps_entry *e, const char *name)
{
	free(e->name);
	e->name = strdup(name);
	return e->name ? 0 : -ENOMEM;
}

void nl_numa_maps_entry_clear(struct nl_numa_maps_entry *e)
{
	free(e->name);
	memset(e, 0, sizeof(*e));
}

int nl_numa_maps_parse_line(const char *line, struct nl_numa_maps_entry *e)
{
	char *copy = NULL, *tok, *save = NULL, *end;
	const char *p;
	int err = 0;

	memset(e, 0, sizeof(*e));
	errno = 0;
	e->start = strtoull(line, &end, 16);
	if (end == line || errno || *end != ' ')
		return -EINVAL;
	p = parse_policy(end + 1, e);
	if (!p)
		return -EINVAL;
	copy = strdup(p);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "heap") == 0) {
			e->heap = true;
			err = set_name(e, "heap");
		} else if (strcmp(tok, "stack") == 0 || strncmp(tok, "stack:", 6) == 0) {
			/* "stack:TID" is what kernels before 4.5 printed for thread stacks */
			e->stack = true;
			err = set_name(e, "stack");
		} else if (strcmp(tok, "huge") == 0) {
			e->huge = true;
		} else {
			err = parse_field(tok, e);
		}
		if (err)
			goto fail;
	}
	/* Pages are counted in kernelpagesize_kB units; without it they mean nothing. */
	if (e->has_nodes && (e->kernelpagesize_kB == 0 ||
			     e->kernelpagesize_kB % NL_BASE_PAGE_KB != 0)) {
		err = -EINVAL;
		goto fail;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	nl_numa_maps_entry_clear(e);
	return err;
}

void nl_vmas_free(struct nl_vma *v, int nr)
{
	if (!v)
		return;
	for (int i = 0; i < nr; i++)
		free(v[i].name);
	free(v);
}

/* ENOENT on numa_maps means either the process is gone or this kernel has no NUMA. */
static int missing_file_error(const char *root, uint32_t pid)
{
	char rel[64];
	char *dir;
	int gone;

	snprintf(rel, sizeof(rel), "/proc/%u", pid);
	dir = nl_path(root, rel);
	if (!dir)
		return -ENOMEM;
	gone = access(dir, F_OK) != 0;
	free(dir);
	return gone ? -ESRCH : -ENOENT;
}

static int add_base_pages(uint64_t *dst, uint64_t pages, uint64_t kb)
{
	uint64_t base;

	if (__builtin_mul_overflow(pages, kb / NL_BASE_PAGE_KB, &base) ||
	    __builtin_add_overflow(*dst, base, dst))
		return -EINVAL;
	return 0;
}

int nl_numa_maps_read(const char *root, uint32_t pid, struct nl_vma **vmas, int *nr,
		      uint64_t resident[NL_MAX_NODES], uint64_t *resident_beyond)
{
	struct nl_numa_maps_entry e = { 0 };
	struct nl_vma *v = NULL;
	uint64_t res[NL_MAX_NODES] = { 0 }, beyond = 0;
	int n = 0, cap = 0, lineno = 0, err = 0;
	char rel[64], *buf, *line, *save = NULL;

	*vmas = NULL;
	*nr = 0;
	snprintf(rel, sizeof(rel), "/proc/%u/numa_maps", pid);
	buf = nl_read_file(root, rel);
	if (!buf) {
		err = errno == ENOENT ? missing_file_error(root, pid) : -(errno ? errno : EIO);
		return err;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		err = nl_numa_maps_parse_line(line, &e);
		if (err) {
			if (err == -EINVAL)
				nl_warn("%s line %d does not parse: %.80s", rel, lineno, line);
			goto fail;
		}
		if (n == cap) {
			int ncap = cap ? cap * 2 : 64;
			struct nl_vma *nv = realloc(v, (size_t)ncap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		struct nl_vma *cur = &v[n];
		memset(cur, 0, sizeof(*cur));
		cur->start = e.start;
		memcpy(cur->policy, e.policy, sizeof(cur->policy));
		cur->name = e.name; /* ownership moves to the vma */
		e.name = NULL;
		n++;
		memcpy(cur->pages, e.node_pages, sizeof(cur->pages));
		if (e.kernelpagesize_kB)
			cur->page_size = e.kernelpagesize_kB * 1024;
		else if (!e.huge)
			cur->page_size = NL_BASE_PAGE_KB * 1024; /* no pages; the VMA's base size */
		for (int node = 0; node < NL_MAX_NODES; node++) {
			err = add_base_pages(&res[node], e.node_pages[node], e.kernelpagesize_kB);
			if (err)
				goto fail;
		}
		err = add_base_pages(&beyond, e.pages_beyond, e.kernelpagesize_kB);
		if (err)
			goto fail;
		nl_numa_maps_entry_clear(&e);
	}
	free(buf);
	*vmas = v;
	*nr = n;
	memcpy(resident, res, sizeof(res));
	if (resident_beyond)
		*resident_beyond = beyond;
	return 0;
fail:
	nl_numa_maps_entry_clear(&e);
	nl_vmas_free(v, n);
	free(buf);
	return err;
}

/* The hugetlb pool's pages among the process's: on x86 and arm64 only hugetlb
 * mappings have a kernelpagesize_kB above the base page (a THP's is 4: it is counted in
 * base pages), and their N<node>= counts are huge pages. */
static void huge_pages_of(struct nl_process *p)
{
	memset(p->resident_huge_pages, 0, sizeof(p->resident_huge_pages));
	memset(p->resident_huge_kb, 0, sizeof(p->resident_huge_kb));
	for (int i = 0; i < p->nr_vmas; i++) {
		const struct nl_vma *v = &p->vmas[i];

		if (v->page_size <= NL_BASE_PAGE_KB * 1024)
			continue;
		for (int n = 0; n < NL_MAX_NODES; n++) {
			p->resident_huge_pages[n] += v->pages[n];
			p->resident_huge_kb[n] += v->pages[n] * (v->page_size / 1024);
		}
	}
}

int nl_numa_maps_fill_process(const char *root, struct nl_process *p,
			      uint64_t *resident_beyond)
{
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES];
	int nr, err;

	err = nl_numa_maps_read(root, p->pid, &v, &nr, res, resident_beyond);
	nl_vmas_free(p->vmas, p->nr_vmas);
	if (err) {
		p->vmas = NULL;
		p->nr_vmas = 0;
		memset(p->resident_pages, 0, sizeof(p->resident_pages));
		p->resident_known = false;
		huge_pages_of(p);
		return err;
	}
	p->vmas = v;
	p->nr_vmas = nr;
	memcpy(p->resident_pages, res, sizeof(res));
	p->resident_known = true;
	huge_pages_of(p);
	return 0;
}
