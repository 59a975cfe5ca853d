/* Symbolization of real processes: this test binary (PIE, with .symtab), a static
 * helper built from a fixture and a stripped copy of it (no symbols at all), anonymous
 * executable memory with and without a perf JIT map, and processes that are gone. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/symbolize.h"

#define SLEEPER_SRC "tests/fixtures/symbolize/sleeper.c"

__attribute__((noinline, used)) int nl_test_alpha(int x)
{
	/* distinct bodies so the compiler cannot fold the two functions into one */
	return x * 3 + 1;
}

__attribute__((noinline, used)) int nl_test_beta(int x)
{
	int s = 0;
	for (int i = 0; i < x; i++)
		s += i ^ x;
	return s;
}

static void assert_frame(const struct nl_frame *f, const char *symbol, const char *module)
{
	if (symbol)
		assert_non_null(f->symbol);
	if (symbol && strcmp(f->symbol, symbol) != 0)
		fail_msg("symbol \"%s\", want \"%s\"", f->symbol, symbol);
	if (!symbol && f->symbol)
		fail_msg("symbol \"%s\", want none", f->symbol);
	assert_non_null(f->module);
	if (strcmp(f->module, module) != 0)
		fail_msg("module \"%s\", want \"%s\"", f->module, module);
}

static void test_self_functions(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	/* frame 0 is an exact ip; frame 1 a return address 8 bytes into nl_test_beta */
	uint64_t ips[3] = { (uint64_t)(uintptr_t)&nl_test_alpha,
			    (uint64_t)(uintptr_t)&nl_test_beta + 8, 0 };

	assert_non_null(s);
	assert_true(len > 0);
	exe[len] = '\0';
	assert_int_equal(nl_test_alpha(1) + nl_test_beta(3), 4 + 6);
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 3, &st), 0);
	/* the zero ip ends the stack */
	assert_int_equal(st.nr, 2);
	assert_int_equal(st.frames[0].ip, ips[0]);
	assert_frame(&st.frames[0], "nl_test_alpha+0x0", exe);
	assert_frame(&st.frames[1], "nl_test_beta+0x8", exe);
	nl_stack_release(&st);
	assert_int_equal(st.nr, 0);

	/* a libc function through .dynsym/.symtab of the shared library */
	uint64_t lib[1] = { (uint64_t)(uintptr_t)&strlen };
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), lib, 1, &st), 0);
	assert_int_equal(st.nr, 1);
	assert_non_null(st.frames[0].symbol);
	assert_non_null(strstr(st.frames[0].module, "libc"));
	nl_stack_release(&st);
	nl_symbolizer_free(s);
}

/* An address in no mapping (a stale frame pointer's "return address") is never a
 * frame: the stack ends before it and says it was cut; nothing after it is trusted. */
static void test_unknown_address(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	uint64_t ips[3] = { (uint64_t)(uintptr_t)&nl_test_alpha, 0xbe552274c0854800ull,
			    (uint64_t)(uintptr_t)&nl_test_alpha };

	assert_non_null(s);
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 3, &st), 0);
	assert_int_equal(st.nr, 1);
	assert_non_null(st.frames[0].symbol);
	assert_true(st.cut);
	nl_stack_release(&st);
	ips[1] = (uint64_t)(uintptr_t)&nl_test_alpha;
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 2, &st), 0);
	assert_int_equal(st.nr, 2);
	assert_false(st.cut);
	nl_stack_release(&st);
	nl_symbolizer_free(s);
}

/* A frame-pointer walk goes on past the program's entry into stale stack words:
 * the stack ends at _start / __libc_start_main. */
extern char _start[];

static void test_stops_at_process_entry(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	uint64_t ips[4] = { (uint64_t)(uintptr_t)&nl_test_alpha, (uint64_t)(uintptr_t)_start + 5,
			    (uint64_t)(uintptr_t)&nl_test_beta + 8, 0x10 };

	assert_non_null(s);
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 4, &st), 0);
	assert_int_equal(st.nr, 2);
	assert_non_null(st.frames[1].symbol);
	assert_true(strncmp(st.frames[1].symbol, "_start+", 7) == 0);
	nl_stack_release(&st);
	nl_symbolizer_free(s);
}

static void test_truncates_to_max_frames(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	uint64_t ips[NL_MAX_FRAMES + 5];

	assert_non_null(s);
	for (size_t i = 0; i < (sizeof(ips) / sizeof(ips[0])); i++)
		ips[i] = (uint64_t)(uintptr_t)&nl_test_beta + 4;
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, (int)(sizeof(ips) / sizeof(ips[0])), &st), 0);
	assert_int_equal(st.nr, NL_MAX_FRAMES);
	nl_stack_release(&st);
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, -1, &st), -EINVAL);
	nl_symbolizer_free(s);
}

static void test_bad_pid(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	uint64_t ips[1] = { 0x401000 };

	assert_non_null(s);
	assert_int_equal(nl_symbolize(s, 0, ips, 1, &st), -ESRCH);
	assert_int_equal(nl_symbolize(s, 0x3ffffff0, ips, 1, &st), -ESRCH);
	assert_int_equal(st.nr, 0);
	nl_symbolizer_free(s);
}

/* Anonymous executable memory named by a perf JIT map, then the map removed. */
static void test_perf_map(void **state)
{
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	char path[64];
	size_t len = 2 * 4096;
	uint8_t *code = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uint64_t)(uintptr_t)code;
	FILE *f;

	assert_non_null(s);
	assert_true(code != MAP_FAILED);

	/* no perf map: plain anonymous memory */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	unlink(path);
	uint64_t ips[2] = { base + 0x10, base + 0x208 };
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 2, &st), 0);
	assert_frame(&st.frames[0], NULL, "[anon]");
	nl_stack_release(&st);

	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%" PRIx64 " 40 jit_matmul\n", base);
	fprintf(f, "%" PRIx64 " 20 LazyCompile:*add tensor.js:12\n", base + 0x200);
	fprintf(f, "not a line\n");
	assert_int_equal(fclose(f), 0);

	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, 2, &st), 0);
	assert_int_equal(st.nr, 2);
	assert_frame(&st.frames[0], "jit_matmul+0x10", "[jit]");
	/* frame 1 is a return address: looked up at ip - 1, offset from ip */
	assert_frame(&st.frames[1], "LazyCompile:*add tensor.js:12+0x8", "[jit]");
	nl_stack_release(&st);

	/* in the JIT region but not in the map */
	uint64_t gap[1] = { base + 0x100 };
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), gap, 1, &st), 0);
	assert_frame(&st.frames[0], NULL, "[jit]");
	nl_stack_release(&st);

	unlink(path);
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), gap, 1, &st), 0);
	assert_frame(&st.frames[0], NULL, "[anon]");
	nl_stack_release(&st);

	munmap(code, len);
	nl_symbolizer_free(s);
}

/* The vDSO is an ELF image in memory: named "[vdso]", with its functions resolved. */
static void test_vdso(void **state)
{
	struct nl_symbolizer *s;
	struct nl_stack st = { 0 };
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	int named = 0;

	if (!base)
		skip(); /* no vDSO (e.g. under valgrind) */
	s = nl_symbolizer_new();
	assert_non_null(s);
	/* frame 0 (exact ip) at the ELF header: inside the vDSO, but in no function */
	uint64_t hdr[1] = { base };
	assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), hdr, 1, &st), 0);
	assert_frame(&st.frames[0], NULL, "[vdso]");
	nl_stack_release(&st);
	/* somewhere in its text there are functions (__vdso_clock_gettime, ...) */
	for (uint64_t off = 0x400; off < 0x2000; off += NL_MAX_FRAMES * 16) {
		uint64_t ips[NL_MAX_FRAMES];
		for (int i = 0; i < NL_MAX_FRAMES; i++)
			ips[i] = base + off + (uint64_t)i * 16;
		assert_int_equal(nl_symbolize(s, (uint32_t)getpid(), ips, NL_MAX_FRAMES, &st), 0);
		for (int i = 0; i < st.nr; i++) {
			if (strcmp(st.frames[i].module, "[vdso]") != 0)
				break; /* past the end of the vDSO */
			named += st.frames[i].symbol != NULL;
		}
		nl_stack_release(&st);
	}
	assert_true(named > 0);
	nl_symbolizer_free(s);
}

/* The static helper: built from the fixture, optionally stripped, run as a child. */
struct child {
	pid_t pid;
	uint64_t init_weights, worker_loop;
};

static void start_child(const char *exe, struct child *c)
{
	int fds[2];
	FILE *in;
	unsigned long a, b;
	int sum;

	assert_int_equal(pipe(fds), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	assert_non_null(in);
	if (fscanf(in, "%lx %lx %d", &a, &b, &sum) != 3)
		fail_msg("%s printed no addresses", exe);
	fclose(in);
	c->init_weights = a;
	c->worker_loop = b;
}

static void stop_child(struct child *c)
{
	kill(c->pid, SIGKILL);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
}

struct helper_dir {
	char dir[64];
	char exe[128], stripped[128];
};

static int build_helpers(void **state)
{
	struct helper_dir *h = calloc(1, sizeof(*h));
	char cmd[512];

	if (!h)
		return -1;
	strcpy(h->dir, "/tmp/nl-symbolize-XXXXXX");
	if (!mkdtemp(h->dir))
		return -1;
	snprintf(h->exe, sizeof(h->exe), "%s/sleeper", h->dir);
	snprintf(h->stripped, sizeof(h->stripped), "%s/sleeper-stripped", h->dir);
	snprintf(cmd, sizeof(cmd),
		 "cc -static -no-pie -O1 -g -fno-omit-frame-pointer -o %s %s && "
		 "objcopy --strip-all %s %s",
		 h->exe, SLEEPER_SRC, h->exe, h->stripped);
	if (system(cmd) != 0) {
		fprintf(stderr, "# could not build the helper: %s\n", cmd);
		return -1;
	}
	*state = h;
	return 0;
}

static int remove_helpers(void **state)
{
	struct helper_dir *h = *state;
	if (!h)
		return 0;
	unlink(h->exe);
	unlink(h->stripped);
	rmdir(h->dir);
	free(h);
	return 0;
}

static void test_static_child(void **state)
{
	struct helper_dir *h = *state;
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	struct child c;

	assert_non_null(s);
	start_child(h->exe, &c);
	uint64_t ips[3] = { c.init_weights + 4, c.worker_loop + 9, 0x8 };
	assert_int_equal(nl_symbolize(s, (uint32_t)c.pid, ips, 3, &st), 0);
	assert_int_equal(st.nr, 2); /* 0x8 is in no mapping: cut, not a frame */
	assert_true(st.cut);
	assert_frame(&st.frames[0], "init_weights+0x4", h->exe);
	assert_frame(&st.frames[1], "worker_loop+0x9", h->exe);
	nl_stack_release(&st);

	/* Gone, but cached: still symbolized (ELF files are read by path). */
	stop_child(&c);
	assert_int_equal(nl_symbolize(s, (uint32_t)c.pid, ips, 2, &st), 0);
	assert_frame(&st.frames[0], "init_weights+0x4", h->exe);
	nl_stack_release(&st);
	/* Forgotten and gone: an error; the caller keeps the raw ips. */
	nl_symbolizer_forget(s, (uint32_t)c.pid);
	assert_int_equal(nl_symbolize(s, (uint32_t)c.pid, ips, 2, &st), -ESRCH);
	assert_int_equal(st.nr, 0);
	nl_symbolizer_free(s);
}

static void test_stripped_child(void **state)
{
	struct helper_dir *h = *state;
	struct nl_symbolizer *s = nl_symbolizer_new();
	struct nl_stack st = { 0 };
	struct child c;
	char want0[160], want1[160];

	assert_non_null(s);
	start_child(h->stripped, &c);
	uint64_t ips[2] = { c.init_weights + 4, c.worker_loop + 9 };
	assert_int_equal(nl_symbolize(s, (uint32_t)c.pid, ips, 2, &st), 0);
	assert_int_equal(st.nr, 2);
	/* static, not PIE: the address in the file is the address itself */
	snprintf(want0, sizeof(want0), "[sleeper-stripped+0x%" PRIx64 "]", ips[0]);
	snprintf(want1, sizeof(want1), "[sleeper-stripped+0x%" PRIx64 "]", ips[1]);
	assert_frame(&st.frames[0], want0, h->stripped);
	assert_frame(&st.frames[1], want1, h->stripped);
	nl_stack_release(&st);
	stop_child(&c);
	nl_symbolizer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_functions),
		cmocka_unit_test(test_unknown_address),
		cmocka_unit_test(test_stops_at_process_entry),
		cmocka_unit_test(test_truncates_to_max_frames),
		cmocka_unit_test(test_bad_pid),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_vdso),
	};
	const struct CMUnitTest child_tests[] = {
		cmocka_unit_test(test_static_child),
		cmocka_unit_test(test_stripped_child),
	};
	int failed = cmocka_run_group_tests_name("symbolize", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("symbolize_children", child_tests, build_helpers,
					      remove_helpers);
	return failed ? 1 : 0;
}
