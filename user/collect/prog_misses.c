#include "collect/prog_misses.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/model.h"

static bool is_excepted(const struct bpf_program *p, const struct bpf_program *const *except,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (except[i] == p)
			return true;
	return false;
}

static void text_add(struct nl_prog_misses *out, const char *name, uint64_t misses)
{
	size_t len = strlen(out->text);

	if (len + 1 >= sizeof(out->text))
		return;
	snprintf(out->text + len, sizeof(out->text) - len, "%s%s %" PRIu64, len ? ", " : "",
		 name, misses);
}

int nl_prog_misses_read(const struct bpf_object *obj, const struct bpf_program *const *except,
			size_t n, struct nl_prog_misses *out)
{
	struct bpf_program *p;

	memset(out, 0, sizeof(*out));
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0) /* not loaded (autoload off) */
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		if (!info.recursion_misses)
			continue;
		if (is_excepted(p, except, n))
			continue;
		out->lost += info.recursion_misses;
		text_add(out, bpf_program__name(p), info.recursion_misses);
	}
	return 0;
}

int nl_prog_misses_account(const struct bpf_object *obj, const struct bpf_program *const *except,
			   size_t n, uint64_t *lost, struct nl_source_state *src)
{
	struct nl_prog_misses m;

	if (nl_prog_misses_read(obj, except, n, &m) || !m.lost)
		return 0;
	*lost += m.lost;
	if (src->known && nl_source_append(src, "; %" PRIu64 " program runs skipped by the "
					   "kernel (already running on that CPU: %s), counted "
					   "as lost", m.lost, m.text))
		return -ENOMEM;
	return 0;
}

uint64_t nl_prog_misses_of(const struct bpf_program *p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = p ? bpf_program__fd(p) : -1;

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}
