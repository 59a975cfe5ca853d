/* The statistics of `numalens prove`: runs of one command with kernel.numa_balancing
 * off and on, the run as the unit. Pure functions (tests/unit/test_prove.c). */
#ifndef NL_ANALYZE_PROVE_H
#define NL_ANALYZE_PROVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nl_prove_arm { NL_ARM_OFF = 0, NL_ARM_ON = 1 };

/* One run: its arm and its finished requests' latencies. */
struct nl_prove_run {
	enum nl_prove_arm arm;
	const uint64_t *latency_ns;
	size_t n;
	/* Filled by nl_prove_analyze: the run's own p99 and p99.9 (p99.9 only when
	 * n >= 10000, else 0). */
	uint64_t p99_ns, p999_ns;
};

enum nl_prove_verdict {
	NL_PROVE_EFFECT,     /* the arms' p99 differ: p < alpha and the CI excludes 1 */
	NL_PROVE_NO_EFFECT,  /* enough runs to see an effect, and none seen */
	NL_PROVE_UNDECIDED,  /* the data cannot decide (too few runs or requests, or
			      * p and the CI disagree); why says which */
};

struct nl_prove_result {
	size_t runs[2];            /* per arm */
	double median_p99_ns[2];   /* median over the arm's runs of per-run p99 */
	double median_p999_ns[2];  /* 0 when a run lacks 10000 requests */
	bool have_p999;
	double ratio;              /* median_p99[ON] / median_p99[OFF] */
	double ci_lo, ci_hi;       /* bootstrap CI of ratio (resample runs, then
				    * requests within each run) */
	double p_value;            /* exact two-sided permutation test on per-run p99
				    * (statistic: difference of the arms' medians) */
	uint64_t permutations;     /* how many arrangements the test enumerated */
	double min_p_value;        /* the smallest p these run counts can give */
	enum nl_prove_verdict verdict;
	char why[256];             /* one sentence in plain words */
};

struct nl_prove_opts {
	uint64_t seed;          /* the bootstrap's PRNG seed (results are reproducible) */
	unsigned boot_iters;    /* 0 = 2000 */
	double alpha;           /* 0 = 0.05 */
	double confidence;      /* 0 = 0.95 */
	size_t min_requests;    /* per run; fewer makes the run unusable; 0 = 100 */
};

/* runs[i].p99_ns/p999_ns are filled. 0, -EINVAL (no run in one arm), -ENOMEM. */
int nl_prove_analyze(struct nl_prove_run *runs, size_t n, const struct nl_prove_opts *o,
		     struct nl_prove_result *out);

/* A randomized order of arms for n runs that alternates in pairs: each consecutive
 * pair holds one OFF and one ON in a random order (n odd: the last one random).
 * Deterministic for a seed. */
void nl_prove_order(enum nl_prove_arm *order, size_t n, uint64_t seed);

#endif
