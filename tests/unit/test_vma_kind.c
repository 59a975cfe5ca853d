/* /proc/PID/smaps classification for mapped faults whose mapping BPF could not look up
 * (collect/vma_kind.c): the same kinds as bpf/mapped.bpf.h classify_vma(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/vma_kind.h"
#include "numalens.h"

/* Excerpts of a real smaps (6.18): a private file mapping, private anonymous memory, a
 * shared tmpfs file, a private MAP_HUGETLB buffer of 2 MiB pages, a shared 1 GiB one. */
static const char SMAPS[] =
	"00400000-00401000 r-xp 00000000 fe:01 1311 /usr/bin/app\n"
	"Size:                  4 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"01000000-01021000 rw-p 00000000 00:00 0 [heap]\n"
	"KernelPageSize:        4 kB\n"
	"7f0000000000-7f0004000000 r--s 00000000 00:1a 77 /dev/shm/data\n"
	"KernelPageSize:        4 kB\n"
	"7f1000000000-7f1004000000 rw-p 00000000 00:10 88 /anon_hugepage (deleted)\n"
	"Size:              65536 kB\n"
	"KernelPageSize:     2048 kB\n"
	"MMUPageSize:        2048 kB\n"
	"7f2000000000-7f2040000000 rw-s 00000000 00:11 99 /dev/hugepages/seg\n"
	"KernelPageSize:  1048576 kB\n"
	"VmFlags: rd wr sh mr mw me ms de ht\n";

static void write_root(char *dir)
{
	char path[128];
	FILE *f;

	strcpy(dir, "/tmp/nl-vma-kind.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/proc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/7", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/7/smaps", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(SMAPS, f);
	fclose(f);
}

static void remove_root(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/proc/7/smaps", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/7", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_kinds(void **state)
{
	struct nl_vma_span *v;
	const struct nl_vma_span *s;
	size_t n;
	char dir[64];

	(void)state;
	write_root(dir);
	assert_int_equal(nl_vma_spans_read(dir, 7, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_non_null(s = nl_vma_span_find(v, n, 0x400800));
	assert_int_equal(s->kind, NL_VMA_FILE);
	assert_non_null(s = nl_vma_span_find(v, n, 0x1000000));
	assert_int_equal(s->kind, 0); /* private anonymous: never resolved */
	assert_non_null(s = nl_vma_span_find(v, n, 0x7f0003ffffff));
	assert_int_equal(s->kind, NL_VMA_FILE);
	assert_non_null(s = nl_vma_span_find(v, n, 0x7f1000200000));
	assert_int_equal(s->kind, NL_VMA_HUGETLB_PRIVATE);
	assert_int_equal(s->order, 9);
	assert_non_null(s = nl_vma_span_find(v, n, 0x7f2000000000));
	assert_int_equal(s->kind, NL_VMA_HUGETLB_SHARED);
	assert_int_equal(s->order, 18);
	/* between mappings, past the end */
	assert_null(nl_vma_span_find(v, n, 0x401000));
	assert_null(nl_vma_span_find(v, n, 0x7f2040000000));
	free(v);
	/* a process that is gone */
	assert_true(nl_vma_spans_read(dir, 8, &v, &n) < 0);
	remove_root(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
	};
	return cmocka_run_group_tests_name("vma_kind", tests, NULL, NULL);
}
