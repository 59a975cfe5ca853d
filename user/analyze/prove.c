/* The statistics of `numalens prove` (analyze/prove.h). The run is the unit: requests
 * of one run share its page placement, its noisy neighbours and its AutoNUMA scan
 * phase, so they are not independent, and only runs are counted as evidence. */
#include "analyze/prove.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/quantile.h"
#include "common/util.h"

#define DEFAULT_BOOT_ITERS 2000
#define DEFAULT_ALPHA 0.05
#define DEFAULT_CONFIDENCE 0.95
#define DEFAULT_MIN_REQUESTS 100
#define P999_MIN_REQUESTS 10000
/* Up to this many arrangements the permutation test enumerates them all (about 70 ms
 * of work at 11 + 11 runs); beyond, it draws MONTE_CARLO_DRAWS of them at random. */
#define EXACT_MAX_ARRANGEMENTS 1000000
#define MONTE_CARLO_DRAWS 100000

/* ---- a small seeded PRNG: xoshiro256**, seeded through splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		g->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *g)
{
	uint64_t *s = g->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) by multiply-shift; its bias, under n / 2^64, is nothing here. */
static size_t rng_below(struct rng *g, size_t n)
{
	return (size_t)(((unsigned __int128)rng_next(g) * n) >> 64);
}

/* ---- runs ---- */

struct sample { /* one usable run */
	uint64_t *sorted; /* its latencies, sorted (owned) */
	size_t n;
	uint64_t p99;
};

struct prove {
	struct sample *arm[2]; /* the usable runs of each arm */
	size_t n_arm[2];
	size_t unusable[2];
	unsigned iters;
	double alpha, confidence;
	size_t min_requests;
	uint64_t seed;
};

static void prove_free(struct prove *p)
{
	for (int a = 0; a < 2; a++) {
		for (size_t i = 0; i < p->n_arm[a]; i++)
			free(p->arm[a][i].sorted);
		free(p->arm[a]);
	}
}

static void prove_opts(struct prove *p, const struct nl_prove_opts *o)
{
	const struct nl_prove_opts none = { 0 };

	if (!o)
		o = &none;
	p->seed = o->seed;
	p->iters = o->boot_iters ? o->boot_iters : DEFAULT_BOOT_ITERS;
	p->alpha = o->alpha > 0 ? o->alpha : DEFAULT_ALPHA;
	p->confidence = o->confidence > 0 ? o->confidence : DEFAULT_CONFIDENCE;
	p->min_requests = o->min_requests ? o->min_requests : DEFAULT_MIN_REQUESTS;
}

static uint64_t sorted_q(const uint64_t *sorted, size_t n, double q)
{
	return sorted[nl_nearest_rank(n, q) - 1];
}

/* Fills the run's p99 and p99.9 and, when it has enough requests, keeps its sorted
 * latencies as a sample of its arm (arm arrays are sized for every run). */
static int take_run(struct prove *p, struct nl_prove_run *run)
{
	run->p99_ns = run->p999_ns = 0;
	if (run->n == 0) {
		p->unusable[run->arm]++;
		return 0;
	}
	uint64_t *sorted = malloc(run->n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, run->latency_ns, run->n * sizeof(*sorted));
	qsort(sorted, run->n, sizeof(*sorted), nl_cmp_u64);
	run->p99_ns = sorted_q(sorted, run->n, 0.99);
	if (run->n >= P999_MIN_REQUESTS)
		run->p999_ns = sorted_q(sorted, run->n, 0.999);
	if (run->n < p->min_requests) {
		p->unusable[run->arm]++;
		free(sorted);
		return 0;
	}
	p->arm[run->arm][p->n_arm[run->arm]++] =
		(struct sample){ .sorted = sorted, .n = run->n, .p99 = run->p99_ns };
	return 0;
}

static int take_runs(struct prove *p, struct nl_prove_run *runs, size_t n)
{
	size_t per_arm[2] = { 0, 0 };

	for (size_t i = 0; i < n; i++) {
		if (runs[i].arm != NL_ARM_OFF && runs[i].arm != NL_ARM_ON)
			return -EINVAL;
		per_arm[runs[i].arm]++;
	}
	if (!per_arm[NL_ARM_OFF] || !per_arm[NL_ARM_ON])
		return -EINVAL;
	for (int a = 0; a < 2; a++)
		if (!(p->arm[a] = calloc(per_arm[a], sizeof(*p->arm[a]))))
			return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int err = take_run(p, &runs[i]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- medians ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n > 0 values, the mean of the middle two for even n; sorts v. */
static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (v[(n - 1) / 2] + v[n / 2]) / 2;
}

/* ON / OFF; an OFF of 0 (no latency at all) gives 1 for an ON of 0, else infinity. */
static double ratio_of(double on, double off)
{
	if (off > 0)
		return on / off;
	return on > 0 ? INFINITY : 1.0;
}

static void arm_medians(const struct prove *p, struct nl_prove_result *out)
{
	double p99[p->n_arm[0] + p->n_arm[1]], p999[p->n_arm[0] + p->n_arm[1]];

	out->have_p999 = true;
	for (int a = 0; a < 2; a++) {
		for (size_t i = 0; i < p->n_arm[a]; i++) {
			const struct sample *s = &p->arm[a][i];

			p99[i] = (double)s->p99;
			p999[i] = (double)(s->n >= P999_MIN_REQUESTS ?
						   sorted_q(s->sorted, s->n, 0.999) : 0);
			out->have_p999 &= s->n >= P999_MIN_REQUESTS;
		}
		out->median_p99_ns[a] = median_of(p99, p->n_arm[a]);
		out->median_p999_ns[a] = median_of(p999, p->n_arm[a]);
	}
	if (!out->have_p999)
		out->median_p999_ns[0] = out->median_p999_ns[1] = 0;
	out->ratio = ratio_of(out->median_p99_ns[NL_ARM_ON], out->median_p99_ns[NL_ARM_OFF]);
}

/* ---- the permutation test ---- */

/* One set of per-run values to rearrange: v ascending, on[i] the arm of v[i]. */
struct arrangement {
	double *v;
	uint8_t *on;
	size_t n, n_on;
};

/* The statistic: |median of ON - median of OFF|, in one walk over the sorted values. */
static double median_gap(const struct arrangement *x)
{
	size_t want[2] = { x->n - x->n_on, x->n_on }, seen[2] = { 0, 0 };
	double sum[2] = { 0, 0 };

	for (size_t i = 0; i < x->n; i++) {
		int a = x->on[i];
		size_t k = seen[a]++;

		/* the middle one, counted twice for an odd count, or the middle two */
		sum[a] += (k == (want[a] - 1) / 2) * x->v[i] + (k == want[a] / 2) * x->v[i];
	}
	double d = (sum[1] - sum[0]) / 2;

	return d < 0 ? -d : d;
}

/* Whether a statistic is at least the observed one; the tolerance keeps float
 * noise from splitting ties (medians of integers are exact in doubles anyway). */
static bool at_least(double stat, double observed)
{
	return stat >= observed - 1e-9 * observed;
}

/* C(n, k), in a double: exact as long as it is below 2^53, and what is compared
 * with EXACT_MAX_ARRANGEMENTS is far below. */
static double choose(size_t n, size_t k)
{
	double c = 1;

	if (k > n - k)
		k = n - k;
	for (size_t i = 0; i < k; i++)
		c = c * (double)(n - i) / (double)(i + 1);
	return c;
}

static int arrangement_alloc(struct arrangement *x, size_t n, size_t n_on)
{
	x->n = n;
	x->n_on = n_on;
	x->v = malloc(n * sizeof(*x->v));
	x->on = malloc(n);
	if (x->v && x->on)
		return 0;
	free(x->v);
	free(x->on);
	return -ENOMEM;
}

static void arrangement_free(struct arrangement *x)
{
	free(x->v);
	free(x->on);
}

/* Every way of choosing n_on of the values as ON, in lexicographic order: how many,
 * and how many reach the observed statistic (the observed arrangement among them). */
static int enumerate(struct arrangement *x, double observed, uint64_t *total, uint64_t *hits)
{
	size_t k = x->n_on, *c = malloc(k * sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		c[i] = i;
	*total = *hits = 0;
	for (;;) {
		memset(x->on, 0, x->n);
		for (size_t i = 0; i < k; i++)
			x->on[c[i]] = 1;
		(*total)++;
		*hits += at_least(median_gap(x), observed);

		size_t i = k;
		while (i > 0 && c[i - 1] == x->n - k + i - 1)
			i--;
		if (i == 0)
			break;
		c[i - 1]++;
		for (size_t j = i; j < k; j++)
			c[j] = c[j - 1] + 1;
	}
	free(c);
	return 0;
}

/* Too many arrangements to enumerate: MONTE_CARLO_DRAWS random ones, and the
 * observed one counted in so that p is never 0. */
static int sample_arrangements(struct arrangement *x, double observed, uint64_t seed,
			       uint64_t *total, uint64_t *hits)
{
	size_t *idx = malloc(x->n * sizeof(*idx));
	struct rng g;

	if (!idx)
		return -ENOMEM;
	rng_seed(&g, seed);
	for (size_t i = 0; i < x->n; i++)
		idx[i] = i;
	*hits = 1;
	for (unsigned d = 0; d < MONTE_CARLO_DRAWS; d++) {
		/* a partial Fisher-Yates shuffle: its first n_on indexes are ON */
		memset(x->on, 0, x->n);
		for (size_t i = 0; i < x->n_on; i++) {
			size_t j = i + rng_below(&g, x->n - i), t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
			x->on[idx[i]] = 1;
		}
		*hits += at_least(median_gap(x), observed);
	}
	*total = MONTE_CARLO_DRAWS + 1;
	free(idx);
	return 0;
}

/* The share of arrangements of x->v whose statistic reaches observed (x->on is
 * overwritten), and how many arrangements that share is of. */
static int p_value_of(struct arrangement *x, double observed, uint64_t seed, double *p,
		      uint64_t *count)
{
	uint64_t total, hits;
	int err;

	if (choose(x->n, x->n_on) <= EXACT_MAX_ARRANGEMENTS)
		err = enumerate(x, observed, &total, &hits);
	else
		err = sample_arrangements(x, observed, seed, &total, &hits);
	if (err)
		return err;
	*p = (double)hits / (double)total;
	if (count)
		*count = total;
	return 0;
}

/* The smallest p that n_off and n_on runs can give. Only the arrangements that put
 * both arms' medians at their extremes reach the largest gap: ON holding its top
 * floor(n_on / 2) + 1 values and OFF its bottom floor(n_off / 2) + 1 (the median
 * ignores the rest), the other runs placed in any way. With as many runs in each arm
 * the mirror image (ON at the bottom) ties with it. So this is not 2 / C(n, n_on):
 * 5 + 5 runs give 12/252 = 0.048, 4 + 4 runs 4/70 = 0.057, never below 0.05. The
 * Monte Carlo test cannot go below 1 / (draws + 1). */
static double min_p_for(size_t n_off, size_t n_on)
{
	size_t n = n_off + n_on, top_on = n_on / 2 + 1, bottom_off = n_off / 2 + 1;
	double extreme = choose(n - top_on - bottom_off, n_on - top_on) *
			 (n_off == n_on ? 2 : 1);
	double min_p = extreme / choose(n, n_on);

	if (choose(n, n_on) > EXACT_MAX_ARRANGEMENTS && min_p < 1.0 / (MONTE_CARLO_DRAWS + 1))
		return 1.0 / (MONTE_CARLO_DRAWS + 1);
	return min_p;
}

struct labelled {
	double v;
	uint8_t on;
};

static int cmp_labelled(const void *a, const void *b)
{
	return cmp_double(&((const struct labelled *)a)->v, &((const struct labelled *)b)->v);
}

/* The exact permutation test on the usable runs' p99 values. */
static int permutation_test(const struct prove *p, struct nl_prove_result *out)
{
	size_t n = p->n_arm[0] + p->n_arm[1], k = 0;
	struct labelled *l = malloc(n * sizeof(*l));
	struct arrangement x;

	if (!l || arrangement_alloc(&x, n, p->n_arm[NL_ARM_ON])) {
		free(l);
		return -ENOMEM;
	}
	for (int a = 0; a < 2; a++)
		for (size_t i = 0; i < p->n_arm[a]; i++)
			l[k++] = (struct labelled){ (double)p->arm[a][i].p99, a == NL_ARM_ON };
	qsort(l, n, sizeof(*l), cmp_labelled);
	for (size_t i = 0; i < n; i++) {
		x.v[i] = l[i].v;
		x.on[i] = l[i].on;
	}
	free(l);
	/* its own stream of the seed, apart from the bootstrap's */
	int err = p_value_of(&x, median_gap(&x), p->seed ^ 0x5045524dULL, &out->p_value,
			     &out->permutations);
	arrangement_free(&x);
	out->min_p_value = min_p_for(p->n_arm[NL_ARM_OFF], p->n_arm[NL_ARM_ON]);
	return err;
}

/* ---- the bootstrap ---- */

/* The p99 of a resample of the run's n requests, n drawn with replacement.
 *
 * The run is sorted, so the resample's k-th largest latency is sorted[the k-th
 * largest index drawn]: only indexes need drawing, and only those in a window at the
 * top need counting (counts, one per index), p99 being the m-th largest with m about
 * n / 100. The window is 2m + 64 indexes wide and the draws landing in it binomial
 * with that mean; fewer than m of them (12 standard deviations down at n = 20000)
 * replays the same draws counting every index, so the answer is always the exact
 * resample's. Against filling the resample and selecting the rank by quickselect,
 * this takes a bootstrap of 10 runs x 20000 requests x 2000 iterations from about
 * 4 s of CPU to 0.7 s, with the same result. */
static uint64_t resampled_p99(const struct sample *s, struct rng *g, uint32_t *counts)
{
	size_t n = s->n, m = n - nl_nearest_rank(n, 0.99) + 1;
	size_t window = 2 * m + 64 < n ? 2 * m + 64 : n;
	struct rng start = *g;

	for (;;) {
		size_t lo = n - window, seen = 0;

		*g = start;
		memset(counts, 0, window * sizeof(*counts));
		for (size_t i = 0; i < n; i++) {
			size_t j = rng_below(g, n);

			if (j >= lo)
				counts[j - lo]++;
		}
		for (size_t w = window; w-- > 0;) {
			seen += counts[w];
			if (seen >= m)
				return s->sorted[lo + w];
		}
		window = n; /* counting all n draws, seen reaches n >= m */
	}
}

/* One bootstrap replicate of an arm's median p99: its runs drawn with replacement,
 * then each drawn run's requests. */
static double resampled_median(const struct sample *runs, size_t n, struct rng *g,
			       uint32_t *counts, double *p99s)
{
	for (size_t i = 0; i < n; i++)
		p99s[i] = (double)resampled_p99(&runs[rng_below(g, n)], g, counts);
	return median_of(p99s, n);
}

static int bootstrap(const struct prove *p, struct nl_prove_result *out)
{
	size_t max_n = 0, runs = p->n_arm[0] > p->n_arm[1] ? p->n_arm[0] : p->n_arm[1];

	for (int a = 0; a < 2; a++)
		for (size_t i = 0; i < p->n_arm[a]; i++)
			if (p->arm[a][i].n > max_n)
				max_n = p->arm[a][i].n;
	uint32_t *counts = malloc(max_n * sizeof(*counts));
	double *ratios = malloc(p->iters * sizeof(*ratios));
	double *p99s = malloc(runs * sizeof(*p99s));
	int err = counts && ratios && p99s ? 0 : -ENOMEM;

	if (!err) {
		struct rng g;

		rng_seed(&g, p->seed);
		for (unsigned it = 0; it < p->iters; it++) {
			double off = resampled_median(p->arm[NL_ARM_OFF], p->n_arm[NL_ARM_OFF], &g,
						      counts, p99s);
			double on = resampled_median(p->arm[NL_ARM_ON], p->n_arm[NL_ARM_ON], &g,
						     counts, p99s);
			ratios[it] = ratio_of(on, off);
		}
		/* the percentile method: the CI is the middle `confidence` of the ratios */
		qsort(ratios, p->iters, sizeof(*ratios), cmp_double);
		double tail = (1 - p->confidence) / 2;

		out->ci_lo = ratios[nl_nearest_rank(p->iters, tail) - 1];
		out->ci_hi = ratios[nl_nearest_rank(p->iters, 1 - tail) - 1];
	}
	free(counts);
	free(ratios);
	free(p99s);
	return err;
}

/* ---- the verdict ---- */

/* The fewest runs per arm (as many in each) whose smallest p is within alpha; 0 when
 * none up to 64 (alpha below what the Monte Carlo test can resolve). */
static size_t runs_needed(double alpha, size_t from)
{
	for (size_t k = from < 2 ? 2 : from; k <= 64; k++)
		if (min_p_for(k, k) <= alpha)
			return k;
	return 0;
}

/* Why the test cannot decide with this few runs. */
static void too_few_runs(const struct prove *p, struct nl_prove_result *out, char *why,
			 size_t len)
{
	size_t from = out->runs[0] > out->runs[1] ? out->runs[0] : out->runs[1];
	size_t k = runs_needed(p->alpha, from);

	snprintf(why, len, "With %zu OFF and %zu ON runs the smallest p-value possible is "
		 "%.3g, above alpha %.3g", out->runs[0], out->runs[1], out->min_p_value,
		 p->alpha);
	if (k)
		nl_appendf(why, len, "; use --runs %zu or more per arm", k);
}

static void judge(const struct prove *p, struct nl_prove_result *out, char *why, size_t len)
{
	bool significant = out->p_value < p->alpha;
	bool excludes_one = out->ci_lo > 1 || out->ci_hi < 1;
	int pct = (int)(p->confidence * 100 + 0.5);

	if (!(out->median_p99_ns[NL_ARM_OFF] > 0)) {
		out->verdict = NL_PROVE_UNDECIDED;
		snprintf(why, len, "The OFF runs' median p99 is 0 ns, so no ratio can be formed");
	} else if (out->min_p_value > p->alpha) {
		out->verdict = NL_PROVE_UNDECIDED;
		too_few_runs(p, out, why, len);
	} else if (significant && excludes_one) {
		out->verdict = NL_PROVE_EFFECT;
		snprintf(why, len, "p99 is %.2fx with numa_balancing on (%d%% CI %.2f-%.2f, "
			 "p = %.3g over %zu OFF and %zu ON runs)", out->ratio, pct, out->ci_lo,
			 out->ci_hi, out->p_value, out->runs[0], out->runs[1]);
	} else if (!significant && !excludes_one) {
		out->verdict = NL_PROVE_NO_EFFECT;
		snprintf(why, len, "No effect seen: p99 ratio ON/OFF %.2f (%d%% CI %.2f-%.2f "
			 "includes 1), p = %.3g over %zu OFF and %zu ON runs", out->ratio, pct,
			 out->ci_lo, out->ci_hi, out->p_value, out->runs[0], out->runs[1]);
	} else {
		out->verdict = NL_PROVE_UNDECIDED;
		snprintf(why, len, "The test and the interval disagree: p = %.3g %s alpha %.3g "
			 "but the %d%% CI of the p99 ratio, %.2f-%.2f, %s 1", out->p_value,
			 significant ? "is below" : "is not below", p->alpha, pct, out->ci_lo,
			 out->ci_hi, excludes_one ? "excludes" : "includes");
	}
}

/* The verdict, in one sentence that names the runs left out. */
static void decide(const struct prove *p, struct nl_prove_result *out)
{
	size_t left_out = p->unusable[0] + p->unusable[1];

	if (!out->runs[NL_ARM_OFF] || !out->runs[NL_ARM_ON]) {
		out->verdict = NL_PROVE_UNDECIDED;
		snprintf(out->why, sizeof(out->why), "No usable %s run: every one had fewer "
			 "than %zu requests", out->runs[NL_ARM_OFF] ? "ON" : "OFF",
			 p->min_requests);
	} else {
		judge(p, out, out->why, sizeof(out->why));
	}
	if (left_out)
		nl_appendf(out->why, sizeof(out->why), " (%zu run%s with fewer than %zu requests "
		       "left out)", left_out, left_out == 1 ? "" : "s", p->min_requests);
	nl_appendf(out->why, sizeof(out->why), ".");
}

int nl_prove_analyze(struct nl_prove_run *runs, size_t n, const struct nl_prove_opts *o,
		     struct nl_prove_result *out)
{
	struct prove p = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	prove_opts(&p, o);
	if (!runs || n == 0)
		return -EINVAL;
	err = take_runs(&p, runs, n);
	if (err)
		goto done;
	out->runs[NL_ARM_OFF] = p.n_arm[NL_ARM_OFF];
	out->runs[NL_ARM_ON] = p.n_arm[NL_ARM_ON];
	if (p.n_arm[NL_ARM_OFF] && p.n_arm[NL_ARM_ON]) {
		arm_medians(&p, out);
		err = permutation_test(&p, out);
		if (!err)
			err = bootstrap(&p, out);
		if (err)
			goto done;
	} else {
		out->ratio = out->ci_lo = out->ci_hi = NAN;
		out->p_value = out->min_p_value = 1;
	}
	decide(&p, out);
done:
	prove_free(&p);
	return err;
}

void nl_prove_order(enum nl_prove_arm *order, size_t n, uint64_t seed)
{
	struct rng g;

	rng_seed(&g, seed);
	for (size_t i = 0; i + 1 < n; i += 2) {
		order[i] = (rng_next(&g) >> 63) ? NL_ARM_ON : NL_ARM_OFF;
		order[i + 1] = order[i] == NL_ARM_ON ? NL_ARM_OFF : NL_ARM_ON;
	}
	if (n % 2)
		order[n - 1] = (rng_next(&g) >> 63) ? NL_ARM_ON : NL_ARM_OFF;
}
