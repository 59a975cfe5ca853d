/* prove's statistics (analyze/prove.h): per-run p99, the bootstrap CI of the ON/OFF
 * ratio, the exact permutation test and the verdict rules, on simulated runs from
 * fixed seeds (deterministic: no test here is flaky). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "analyze/prove.h"

#define US 1000.0

/* The test's own generator (splitmix64), apart from prove's. */
static uint64_t next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *x)
{
	return (double)(next(x) >> 11) * 0x1p-53;
}

/* A run's latencies: 1 ms plus a Pareto tail (index 1) of scale tail_ns, so p99 is
 * about 1 ms + 100 * tail_ns; the run as a whole scaled within +-5 %, as real runs
 * differ from each other. */
static uint64_t *simulate(uint64_t *seed, size_t n, double tail_ns)
{
	uint64_t *v = malloc(n * sizeof(*v));
	double scale = 0.95 + 0.1 * uniform(seed);

	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		double pareto = 1 / (1 - uniform(seed)); /* >= 1 */

		if (pareto > 1e4)
			pareto = 1e4;
		v[i] = (uint64_t)(scale * (1000 * US + tail_ns * (pareto - 1)));
	}
	return v;
}

/* n_off OFF runs then n_on ON runs of n requests each. */
static struct nl_prove_run *make_runs(uint64_t seed, size_t n_off, size_t n_on, size_t n,
				      double off_tail, double on_tail)
{
	struct nl_prove_run *r = calloc(n_off + n_on, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < n_off + n_on; i++) {
		r[i].arm = i < n_off ? NL_ARM_OFF : NL_ARM_ON;
		r[i].latency_ns = simulate(&seed, n, i < n_off ? off_tail : on_tail);
		r[i].n = n;
	}
	return r;
}

static void free_runs(struct nl_prove_run *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)r[i].latency_ns);
	free(r);
}

static void test_effect_5_5(void **state)
{
	/* OFF p99 about 1 + 1 ms, ON about 1 + 5 ms: 3x */
	struct nl_prove_run *r = make_runs(1, 5, 5, 5000, 10 * US, 50 * US);
	struct nl_prove_opts o = { .seed = 7 };
	struct nl_prove_result res;

	assert_int_equal(nl_prove_analyze(r, 10, &o, &res), 0);
	print_message("5+5 effect: ratio %.2f CI %.2f-%.2f p %.4f min p %.4f: %s\n", res.ratio,
		      res.ci_lo, res.ci_hi, res.p_value, res.min_p_value, res.why);
	assert_int_equal(res.verdict, NL_PROVE_EFFECT);
	assert_int_equal(res.runs[NL_ARM_OFF], 5);
	assert_int_equal(res.runs[NL_ARM_ON], 5);
	assert_true(res.ratio > 2.5 && res.ratio < 3.5);
	assert_true(res.ci_lo > 1 && res.ci_lo <= res.ratio && res.ratio <= res.ci_hi);
	assert_int_equal(res.permutations, 252);
	/* every ON run above every OFF run: the smallest p 5 + 5 runs can give. With the
	 * median as statistic that is 12/252, not 2/252: the 6 ways to swap an ON run's
	 * lower two with OFF's upper two leave both medians where they are, and their
	 * mirror images tie too. */
	assert_float_equal(res.p_value, 12.0 / 252, 1e-12);
	assert_float_equal(res.min_p_value, 12.0 / 252, 1e-12);
	assert_non_null(strstr(res.why, "p99 is"));
	for (size_t i = 0; i < 10; i++) {
		assert_true(r[i].p99_ns > 1000 * US);
		assert_int_equal(r[i].p999_ns, 0); /* 5000 requests: no p99.9 */
	}
	assert_false(res.have_p999);
	free_runs(r, 10);
}

static void test_no_effect_8_8(void **state)
{
	struct nl_prove_run *r = make_runs(2, 8, 8, 5000, 10 * US, 10 * US);
	struct nl_prove_opts o = { .seed = 7 };
	struct nl_prove_result res;

	assert_int_equal(nl_prove_analyze(r, 16, &o, &res), 0);
	print_message("8+8 identical: ratio %.3f CI %.3f-%.3f p %.3f min p %.2g: %s\n", res.ratio,
		      res.ci_lo, res.ci_hi, res.p_value, res.min_p_value, res.why);
	assert_int_equal(res.verdict, NL_PROVE_NO_EFFECT);
	assert_true(res.ci_lo <= 1 && 1 <= res.ci_hi);
	assert_true(res.p_value >= 0.05);
	assert_int_equal(res.permutations, 12870); /* C(16, 8) */
	/* both medians at their extremes: ON's top 5 and OFF's bottom 5 fixed, 3 of the
	 * middle 6 to ON, and the mirror image: 2 * C(6, 3) of C(16, 8) */
	assert_float_equal(res.min_p_value, 40.0 / 12870, 1e-12);
	assert_non_null(strstr(res.why, "No effect"));
	free_runs(r, 16);
}

/* The whole point of the run as the unit: identical arms must not cry effect more
 * often than alpha says. 50 fixed seeds. */
static void test_false_alarm_rate(void **state)
{
	struct nl_prove_opts o = { .boot_iters = 400 };
	int effects = 0, significant = 0, no_effect = 0;

	for (uint64_t seed = 100; seed < 150; seed++) {
		struct nl_prove_run *r = make_runs(seed, 8, 8, 400, 10 * US, 10 * US);
		struct nl_prove_result res;

		o.seed = seed;
		assert_int_equal(nl_prove_analyze(r, 16, &o, &res), 0);
		effects += res.verdict == NL_PROVE_EFFECT;
		no_effect += res.verdict == NL_PROVE_NO_EFFECT;
		significant += res.p_value < 0.05;
		free_runs(r, 16);
	}
	print_message("identical arms over 50 seeds: %d effect, %d no effect, %d with p < 0.05\n",
		      effects, no_effect, significant);
	/* about 2.5 of 50 at alpha 0.05; 5 leaves room for the binomial's spread */
	assert_true(effects <= 5);
	assert_true(significant <= 5);
	assert_true(no_effect >= 40);
}

static void test_two_runs_undecided(void **state)
{
	struct nl_prove_run *r = make_runs(3, 2, 2, 2000, 10 * US, 50 * US);
	struct nl_prove_result res;

	assert_int_equal(nl_prove_analyze(r, 4, NULL, &res), 0);
	print_message("2+2: %s\n", res.why);
	assert_int_equal(res.verdict, NL_PROVE_UNDECIDED);
	assert_int_equal(res.permutations, 6);
	/* of 6 arrangements of 4 distinct values, the extreme one and its mirror */
	assert_float_equal(res.min_p_value, 2.0 / 6, 1e-12);
	assert_non_null(strstr(res.why, "smallest p-value possible is 0.333"));
	assert_non_null(strstr(res.why, "--runs 5 or more"));
	/* the figures are still there, the effect is large */
	assert_true(res.ratio > 2.5);
	free_runs(r, 4);
}

static void test_four_runs_cannot_reach_alpha(void **state)
{
	/* 4 + 4: the most extreme arrangement ties with 3 others (4/70 = 0.057) */
	struct nl_prove_run *r = make_runs(4, 4, 4, 2000, 10 * US, 50 * US);
	struct nl_prove_result res;

	assert_int_equal(nl_prove_analyze(r, 8, NULL, &res), 0);
	assert_int_equal(res.verdict, NL_PROVE_UNDECIDED);
	assert_float_equal(res.min_p_value, 4.0 / 70, 1e-12);
	assert_float_equal(res.p_value, 4.0 / 70, 1e-12);
	/* a looser alpha lets the same data decide */
	struct nl_prove_opts o = { .alpha = 0.1 };
	assert_int_equal(nl_prove_analyze(r, 8, &o, &res), 0);
	assert_int_equal(res.verdict, NL_PROVE_EFFECT);
	free_runs(r, 8);
}

/* Runs whose every request has the same latency: p99 is that latency, exactly. */
static void test_exact_figures(void **state)
{
	const uint64_t off[3] = { 100, 300, 200 }, on[2] = { 250, 150 };
	static uint64_t data[5][100];
	struct nl_prove_run r[5];
	struct nl_prove_result res;

	for (int i = 0; i < 5; i++) {
		uint64_t v = i < 3 ? off[i] : on[i - 3];

		for (int j = 0; j < 100; j++)
			data[i][j] = v;
		r[i] = (struct nl_prove_run){ .arm = i < 3 ? NL_ARM_OFF : NL_ARM_ON,
					      .latency_ns = data[i], .n = 100 };
	}
	assert_int_equal(nl_prove_analyze(r, 5, NULL, &res), 0);
	assert_int_equal(r[1].p99_ns, 300);
	assert_float_equal(res.median_p99_ns[NL_ARM_OFF], 200, 0);
	assert_float_equal(res.median_p99_ns[NL_ARM_ON], 200, 0); /* (250 + 150) / 2 */
	assert_float_equal(res.ratio, 1.0, 1e-12);
	/* the observed gap is 0: every arrangement reaches it */
	assert_float_equal(res.p_value, 1.0, 0);
	assert_int_equal(res.permutations, 10);
	/* resampling runs only: the ratio's CI lies within the extremes 150/300, 250/100 */
	assert_true(res.ci_lo >= 0.5 && res.ci_hi <= 2.5);
}

/* Runs so short that p99 is their largest request (the bootstrap counts every index
 * of them), and, with ties, what the median's gap can and cannot tell. */
static void test_short_runs_and_ties(void **state)
{
	static uint64_t data[10][50];
	struct nl_prove_run r[10];
	struct nl_prove_opts o = { .min_requests = 20 };
	struct nl_prove_result res;

	for (int i = 0; i < 10; i++) {
		for (int j = 0; j < 50; j++)
			data[i][j] = (uint64_t)(j + 1) * (i < 5 ? 1000 + i : 3000 + i);
		r[i] = (struct nl_prove_run){ .arm = i < 5 ? NL_ARM_OFF : NL_ARM_ON,
					      .latency_ns = data[i], .n = 50 };
	}
	assert_int_equal(nl_prove_analyze(r, 10, &o, &res), 0);
	assert_int_equal(r[0].p99_ns, 50000); /* rank 50 of 50 */
	assert_float_equal(res.ratio, 3007.0 / 1002, 1e-12);
	/* a resample's largest request is rarely below the 47th: the ratio stays near 3 */
	assert_true(res.ci_lo > 2.5 && res.ci_lo < res.ratio);
	assert_true(res.ci_hi < 3.5 && res.ci_hi > res.ratio);
	print_message("short runs: ratio %.3f CI %.3f-%.3f\n", res.ratio, res.ci_lo, res.ci_hi);
	/* resampling the runs alone would give 2.99-3.01: the requests are resampled too */
	assert_true(res.ci_hi - res.ci_lo > 0.05);
	assert_float_equal(res.p_value, 12.0 / 252, 1e-12);
	assert_int_equal(res.verdict, NL_PROVE_EFFECT);

	/* every run of an arm alike: any arrangement puts 3 runs of one arm's value in
	 * one arm, so all 252 reach the observed gap. The CI still excludes 1. */
	for (int i = 0; i < 10; i++)
		for (int j = 0; j < 50; j++)
			data[i][j] = (uint64_t)(j + 1) * (i < 5 ? 1000 : 3000);
	assert_int_equal(nl_prove_analyze(r, 10, &o, &res), 0);
	assert_float_equal(res.p_value, 1.0, 0);
	assert_true(res.ci_lo > 1);
	assert_int_equal(res.verdict, NL_PROVE_UNDECIDED);
	assert_non_null(strstr(res.why, "disagree"));
}

static void test_p999_rule(void **state)
{
	struct nl_prove_run *r = make_runs(5, 3, 3, 10000, 10 * US, 10 * US);
	struct nl_prove_result res;
	struct nl_prove_opts o = { .boot_iters = 200 };

	assert_int_equal(nl_prove_analyze(r, 6, &o, &res), 0);
	assert_true(res.have_p999);
	for (int a = 0; a < 2; a++)
		assert_true(res.median_p999_ns[a] > res.median_p99_ns[a]);
	for (int i = 0; i < 6; i++)
		assert_true(r[i].p999_ns >= r[i].p99_ns && r[i].p99_ns > 0);
	/* one run short of 10000 requests: that run has no p99.9, and so no arm has */
	r[4].n = 9999;
	assert_int_equal(nl_prove_analyze(r, 6, &o, &res), 0);
	assert_false(res.have_p999);
	assert_int_equal(r[4].p999_ns, 0);
	assert_true(r[4].p99_ns > 0);
	assert_true(r[3].p999_ns > 0);
	assert_float_equal(res.median_p999_ns[NL_ARM_OFF], 0, 0);
	assert_float_equal(res.median_p999_ns[NL_ARM_ON], 0, 0);
	free_runs(r, 6);
}

static void test_unusable_runs(void **state)
{
	struct nl_prove_run *r = make_runs(6, 7, 6, 1000, 10 * US, 50 * US);
	struct nl_prove_result res;
	struct nl_prove_opts o = { .boot_iters = 200, .min_requests = 500 };

	r[0].n = 499; /* one OFF run too short: 6 and 6 left */
	assert_int_equal(nl_prove_analyze(r, 13, &o, &res), 0);
	assert_int_equal(res.runs[NL_ARM_OFF], 6);
	assert_int_equal(res.runs[NL_ARM_ON], 6);
	assert_int_equal(res.permutations, 924); /* C(12, 6) */
	assert_int_equal(res.verdict, NL_PROVE_EFFECT);
	assert_true(r[0].p99_ns > 0); /* filled all the same */
	assert_non_null(strstr(res.why, "(1 run with fewer than 500 requests left out)."));

	for (int i = 7; i < 13; i++)
		r[i].n = 10;
	assert_int_equal(nl_prove_analyze(r, 13, &o, &res), 0);
	assert_int_equal(res.verdict, NL_PROVE_UNDECIDED);
	assert_int_equal(res.runs[NL_ARM_ON], 0);
	assert_non_null(strstr(res.why, "No usable ON run"));
	assert_non_null(strstr(res.why, "7 runs with fewer than 500"));

	/* no ON run at all is a caller's error */
	assert_int_equal(nl_prove_analyze(r, 7, &o, &res), -EINVAL);
	assert_int_equal(nl_prove_analyze(NULL, 0, &o, &res), -EINVAL);
	free_runs(r, 13);
}

/* With unequal arms the two directions do not mirror each other: ON's runs spread
 * wider than OFF's, so putting ON at the bottom moves the medians further apart than
 * the observed ON-on-top does, and p stays above the smallest possible. */
static void test_unequal_arms(void **state)
{
	struct nl_prove_run *r = make_runs(6, 5, 6, 1000, 10 * US, 100 * US);
	struct nl_prove_opts o = { .boot_iters = 200 };
	struct nl_prove_result res;

	assert_int_equal(nl_prove_analyze(r, 11, &o, &res), 0);
	print_message("5+6: %s\n", res.why);
	assert_int_equal(res.permutations, 462);
	/* ON's top 4 and OFF's bottom 3 fixed, 2 of the middle 4 to ON: C(4, 2) / C(11, 6) */
	assert_float_equal(res.min_p_value, 6.0 / 462, 1e-12);
	assert_true(res.p_value > res.min_p_value);
	assert_true(res.ci_lo > 1);
	free_runs(r, 11);
}

static void test_monte_carlo_beyond_cap(void **state)
{
	/* C(26, 13) = 10400600 arrangements: sampled, not enumerated */
	struct nl_prove_run *r = make_runs(8, 13, 13, 300, 10 * US, 10 * US);
	struct nl_prove_opts o = { .seed = 1, .boot_iters = 200 };
	struct nl_prove_result res, again;

	assert_int_equal(nl_prove_analyze(r, 26, &o, &res), 0);
	assert_int_equal(res.permutations, 100001);
	/* what the exact test would allow, 2 * C(12, 6) / C(26, 13), above 1/100001 */
	assert_float_equal(res.min_p_value, 2 * 924.0 / 10400600, 1e-12);
	assert_true(res.p_value > 0.05);
	assert_int_equal(res.verdict, NL_PROVE_NO_EFFECT);
	assert_int_equal(nl_prove_analyze(r, 26, &o, &again), 0);
	assert_float_equal(res.p_value, again.p_value, 0); /* seeded: the same */
	free_runs(r, 26);
}

static void test_reproducible(void **state)
{
	struct nl_prove_run *r = make_runs(9, 5, 5, 1000, 10 * US, 20 * US);
	struct nl_prove_opts o = { .seed = 42, .boot_iters = 500 };
	struct nl_prove_result a, b;

	assert_int_equal(nl_prove_analyze(r, 10, &o, &a), 0);
	assert_int_equal(nl_prove_analyze(r, 10, &o, &b), 0);
	assert_float_equal(a.ci_lo, b.ci_lo, 0);
	assert_float_equal(a.ci_hi, b.ci_hi, 0);
	assert_string_equal(a.why, b.why);
	o.seed = 43;
	assert_int_equal(nl_prove_analyze(r, 10, &o, &b), 0);
	assert_true(a.ci_lo != b.ci_lo || a.ci_hi != b.ci_hi);
	free_runs(r, 10);
}

static void test_order(void **state)
{
	enum nl_prove_arm a[20], b[20];
	int off_first = 0;

	nl_prove_order(a, 20, 11);
	nl_prove_order(b, 20, 11);
	assert_memory_equal(a, b, sizeof(a));
	for (int i = 0; i < 20; i += 2) {
		assert_int_not_equal(a[i], a[i + 1]); /* one of each per pair */
		off_first += a[i] == NL_ARM_OFF;
	}
	/* the order inside pairs is random: neither always OFF first nor always ON */
	assert_true(off_first > 0 && off_first < 10);
	nl_prove_order(b, 20, 12);
	assert_memory_not_equal(a, b, sizeof(a));

	/* odd n: pairs, then one random run */
	enum nl_prove_arm c[7];
	for (int i = 0; i < 7; i++)
		c[i] = 99;
	nl_prove_order(c, 7, 5);
	for (int i = 0; i < 6; i += 2)
		assert_int_not_equal(c[i], c[i + 1]);
	assert_true(c[6] == NL_ARM_OFF || c[6] == NL_ARM_ON);
}

static double seconds_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(clock, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Not an assertion: how long prove's statistics take at a realistic size. */
static void test_timing(void **state)
{
	struct nl_prove_run *r = make_runs(10, 5, 5, 20000, 10 * US, 15 * US);
	struct nl_prove_opts o = { .seed = 3 };
	struct nl_prove_result res;
	struct timespec wall, cpu;

	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	assert_int_equal(nl_prove_analyze(r, 10, &o, &res), 0);
	double cpu_s = seconds_since(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	print_message("timing: 10 runs x 20000 requests, 2000 bootstrap iterations: %.2f s "
		      "(%.2f s CPU; ratio %.2f, CI %.2f-%.2f)\n",
		      seconds_since(CLOCK_MONOTONIC, &wall), cpu_s, res.ratio, res.ci_lo,
		      res.ci_hi);
	free_runs(r, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_effect_5_5),
		cmocka_unit_test(test_no_effect_8_8),
		cmocka_unit_test(test_false_alarm_rate),
		cmocka_unit_test(test_two_runs_undecided),
		cmocka_unit_test(test_four_runs_cannot_reach_alpha),
		cmocka_unit_test(test_exact_figures),
		cmocka_unit_test(test_short_runs_and_ties),
		cmocka_unit_test(test_p999_rule),
		cmocka_unit_test(test_unusable_runs),
		cmocka_unit_test(test_unequal_arms),
		cmocka_unit_test(test_monte_carlo_beyond_cap),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_timing),
	};
	return cmocka_run_group_tests_name("prove", tests, NULL, NULL);
}
