/* What --max-threads costs: the BPF hash maps it sizes are preallocated (tracing
 * programs run where allocating is not safe), so every entry takes its memory at load
 * whether a thread ever uses it or not. The figures are entries × (key + value), the
 * value sizes from the shared header; the kernel's own per-element overhead comes on
 * top and is not counted (68 to 73 bytes an element on 6.18, by bpftool's
 * bytes_memlock: tests/host/max_threads.sh). */
#include "collect/collect.h"

#include <stdio.h>

#include "common/util.h"
#include "numalens.h"

/* a tid- or tgid-keyed element of struct T */
#define ELEM(T) ((uint64_t)sizeof(__u32) + sizeof(T))

uint64_t nl_access_maps_bytes(uint32_t max_threads, bool by_tid)
{
	uint64_t n = max_threads, stats = ELEM(struct nl_thread_stats);

	/* bpf/access.bpf.c: exited (n), exited_procs (n / 4, user/collect/access.c), and
	 * thread_stats where it is a tid hash instead of task storage (allocated per task) */
	return n * stats + n / 4 * stats + (by_tid ? n * stats : 0);
}

uint64_t nl_autonuma_maps_bytes(uint32_t max_threads)
{
	/* bpf/autonuma.bpf.c: an_threads, keyed by tid and start time */
	return (uint64_t)max_threads * (sizeof(struct nl_an_key) + sizeof(struct nl_autonuma_thread));
}

/* The most a configuration can take: the tid-hash layout, AutoNUMA programs loaded. */
static uint64_t worst_bytes(uint32_t max_threads)
{
	return nl_access_maps_bytes(max_threads, true) + nl_autonuma_maps_bytes(max_threads);
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

/* Bytes a thread on average (exited_procs has an entry for every fourth). */
static uint64_t per_thread(void)
{
	return worst_bytes(1024) / 1024;
}

/* The largest count within the bound. */
static uint32_t most_threads(void)
{
	uint64_t n = NL_THREAD_MAPS_BOUND / per_thread();

	while (n > 1 && worst_bytes((uint32_t)n) > NL_THREAD_MAPS_BOUND)
		n--;
	while (n < NL_MAX_THREADS_ARG && worst_bytes((uint32_t)n + 1) <= NL_THREAD_MAPS_BOUND)
		n++;
	return (uint32_t)n;
}

int nl_max_threads_check(uint32_t max_threads, char *err, size_t errlen)
{
	uint64_t b = worst_bytes(max_threads);

	if (b <= NL_THREAD_MAPS_BOUND)
		return 0;
	snprintf(err, errlen, "--max-threads %u would preallocate up to %.1f MiB (%llu bytes) of "
		 "BPF maps, %llu bytes a thread, over the bound of %.0f MiB: at most %u threads",
		 max_threads, mib(b), (unsigned long long)b, (unsigned long long)per_thread(),
		 mib(NL_THREAD_MAPS_BOUND), most_threads());
	return -1;
}

int nl_max_threads_parse(const char *arg, uint32_t *out, char *err, size_t errlen)
{
	int v;

	if (nl_parse_int(arg, 1, NL_MAX_THREADS_ARG, &v)) {
		snprintf(err, errlen, "--max-threads wants a number in 1..%d, not '%s'",
			 NL_MAX_THREADS_ARG, arg);
		return -1;
	}
	*out = (uint32_t)v;
	return nl_max_threads_check(*out, err, errlen);
}

void nl_max_threads_help(char *buf, size_t len, int indent)
{
	snprintf(buf, len, "size of the per-thread maps (default %u),\n"
		 "%*sup to %llu bytes of BPF map a thread, preallocated\n"
		 "%*s(%.1f MiB by default); at most %u threads (%.0f MiB)",
		 NL_DEFAULT_MAX_THREADS, indent, "", (unsigned long long)per_thread(), indent, "",
		 mib(worst_bytes(NL_DEFAULT_MAX_THREADS)), most_threads(),
		 mib(NL_THREAD_MAPS_BOUND));
}
