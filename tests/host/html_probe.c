/* Writes a sample HTML report from synthetic requests, for tests/host/html.sh to
 * screenshot in a headless browser. Nothing is measured: two arms of a made-up
 * server, numa_balancing=0 with a clean log-normal latency and numa_balancing=1 where
 * some requests also take hinting faults, migration stalls and TLB IPIs, more of them
 * in a few "bursty" seconds. The summaries are computed here by hand (simple nearest
 * rank, the formula of analyze/requests.h) so the page does not depend on the
 * analysis code; their exact values do not matter, only that the page shows them.
 *
 *   html_probe [--report|--prove|--empty] OUT.html
 * --prove (default): 2 arms, windows and a verdict; --report: 1 arm and windows;
 * --empty: 1 arm without requests. Exit 0, or 1 when rendering failed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_html.h"

#define N_REQ 6000
#define N_WIN 30
#define SEC 1000000000ULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* Log-normal with the given median (ns) and sigma (Box-Muller). */
static double lognormal(double median, double sigma)
{
	double u = uniform() + 1e-12, v = uniform();

	return median * exp(sigma * sqrt(-2 * log(u)) * cos(2 * M_PI * v));
}

static bool bursty(size_t w)
{
	return (w >= 6 && w <= 9) || (w >= 19 && w <= 21);
}

/* One request: base work split over on_cpu, runq_wait and off_cpu; with AutoNUMA on
 * (on) some also pay hinting faults, a migration stall and IPIs. */
static void make_request(struct nl_request *r, uint64_t start, bool on, bool burst)
{
	double base = lognormal(180e3, 0.35);

	memset(r, 0, sizeof(*r));
	r->start_ns = start;
	r->causes_ns[NL_RQ_ON_CPU] = (uint64_t)(base * 0.72);
	r->causes_ns[NL_RQ_RUNQ_WAIT] = (uint64_t)(base * 0.13);
	r->causes_ns[NL_RQ_OFF_CPU] = (uint64_t)(base * 0.15);
	if (uniform() < 0.004) /* a rare slow request in both arms: the tail has work too */
		r->causes_ns[NL_RQ_ON_CPU] += (uint64_t)lognormal(900e3, 0.4);
	if (on && uniform() < (burst ? 0.25 : 0.015)) {
		r->causes_ns[NL_RQ_HINT_FAULT] = (uint64_t)lognormal(120e3, 0.6);
		r->causes_ns[NL_RQ_MIGRATE_STALL] = (uint64_t)lognormal(900e3, 0.8);
		r->causes_ns[NL_RQ_TLB_IPI] = (uint64_t)lognormal(30e3, 0.5);
		if (uniform() < 0.3)
			r->causes_ns[NL_RQ_NUMA_MOVE] = (uint64_t)lognormal(200e3, 0.5);
		r->hint_faults = 1 + (uint32_t)(uniform() * 40);
		r->migrated_pages = 1 + (uint32_t)(uniform() * 200);
	}
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		r->latency_ns += r->causes_ns[c];
	r->tid = 1000 + (uint32_t)(uniform() * 8);
	r->tgid = 1000;
	if (uniform() < 0.001)
		r->flags = NL_RQ_F_EXITED;
}

static void make_arm(struct nl_request *r, size_t n, bool on)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t start = (uint64_t)((double)i / (double)n * N_WIN * SEC);

		make_request(&r[i], start, on, bursty(start / SEC));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank over v sorted in place. */
static uint64_t quantile(uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	qsort(v, n, sizeof(*v), cmp_u64);
	return v[rank ? rank - 1 : 0];
}

static void summarize_tail(const struct nl_request *r, size_t n, struct nl_rq_summary *s,
			   uint64_t *v, size_t m)
{
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (!(r[i].flags & NL_RQ_F_EXITED))
				v[k++] = r[i].causes_ns[c];
		s->tail.median_causes_ns[c] = quantile(v, m, 0.5);
	}
	for (size_t i = 0; i < n; i++) {
		if ((r[i].flags & NL_RQ_F_EXITED) || r[i].latency_ns <= s->p99_ns)
			continue;
		s->tail.count++;
		s->tail.latency_ns += r[i].latency_ns;
		for (int c = 0; c < NL_RQ_CAUSES; c++)
			s->tail.causes_ns[c] += r[i].causes_ns[c];
	}
	double cnt = (double)s->tail.count;
	double excess = (double)s->tail.latency_ns - cnt * (double)s->tail.median_latency_ns;
	s->tail.explained_share = 0;
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		double e = (double)s->tail.causes_ns[c] - cnt * (double)s->tail.median_causes_ns[c];

		s->tail.share[c] = excess > 0 ? e / excess : NAN;
		if (c != NL_RQ_ON_CPU)
			s->tail.explained_share += s->tail.share[c];
	}
}

static void summarize(const struct nl_request *r, size_t n, struct nl_rq_summary *s)
{
	uint64_t *v = malloc(n * sizeof(*v)), sum = 0;
	size_t m = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		if (r[i].flags & NL_RQ_F_EXITED) {
			s->exited++;
			continue;
		}
		v[m++] = r[i].latency_ns;
		sum += r[i].latency_ns;
	}
	s->count = m;
	s->mean_ns = sum / m;
	s->p50_ns = s->tail.median_latency_ns = quantile(v, m, 0.5);
	s->p90_ns = quantile(v, m, 0.9);
	s->p99_ns = s->tail.threshold_ns = quantile(v, m, 0.99);
	s->p999_ns = quantile(v, m, 0.999);
	s->have_p999 = m >= 1000;
	summarize_tail(r, n, s, v, m);
	free(v);
}

/* One window a second over the ON arm, with activity in proportion to its hit requests. */
static void make_windows(const struct nl_request *r, size_t n, uint64_t p99, struct nl_rq_window *w)
{
	uint64_t *v = malloc(n * sizeof(*v));

	for (size_t k = 0; k < N_WIN; k++) {
		size_t m = 0;

		memset(&w[k], 0, sizeof(w[k]));
		w[k].act.start_ns = k * SEC;
		w[k].act.end_ns = (k + 1) * SEC;
		w[k].act.hint_faults = 50 + (uint64_t)(uniform() * 100);
		for (size_t i = 0; i < n; i++) {
			if (r[i].start_ns / SEC != k || (r[i].flags & NL_RQ_F_EXITED))
				continue;
			v[m++] = r[i].latency_ns;
			w[k].tail_requests += r[i].latency_ns > p99;
			w[k].act.migrated_pages += r[i].migrated_pages * 3;
			w[k].act.hint_faults += r[i].hint_faults * 4;
			w[k].act.migrate_stall_ns += r[i].causes_ns[NL_RQ_MIGRATE_STALL] * 2;
		}
		w[k].requests = m;
		w[k].p99_ns = m ? quantile(v, m, 0.99) : 0;
		w[k].cluster = w[k].tail_requests >= 3 && w[k].tail_requests * 50 >= m &&
			       (w[k].act.migrated_pages || w[k].act.hint_faults);
	}
	free(v);
}

static void make_prove(const struct nl_rq_summary *s, struct nl_prove_result *p)
{
	memset(p, 0, sizeof(*p));
	p->runs[0] = p->runs[1] = 6;
	p->median_p99_ns[0] = (double)s[0].p99_ns;
	p->median_p99_ns[1] = (double)s[1].p99_ns;
	p->ratio = p->median_p99_ns[1] / p->median_p99_ns[0];
	p->ci_lo = p->ratio * 0.8;
	p->ci_hi = p->ratio * 1.25;
	p->p_value = 0.0022;
	p->permutations = 924;
	p->min_p_value = 0.0022;
	p->verdict = NL_PROVE_EFFECT;
	snprintf(p->why, sizeof(p->why), "With numa_balancing=1 the median run's p99 is "
		 "%.1fx the median run's p99 with it off, in all 6 runs of each arm.", p->ratio);
}

int main(int argc, char **argv)
{
	static struct nl_request req[2][N_REQ];
	static struct nl_rq_summary sum[2];
	static struct nl_rq_window win[N_WIN];
	struct nl_prove_result prove;
	const char *mode = argc == 3 ? argv[1] : "--prove", *out = argv[argc - 1];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: html_probe [--report|--prove|--empty] OUT.html\n");
		return 2;
	}
	make_arm(req[0], N_REQ, false);
	make_arm(req[1], N_REQ, true);
	summarize(req[0], N_REQ, &sum[0]);
	summarize(req[1], N_REQ, &sum[1]);
	make_windows(req[1], N_REQ, sum[1].p99_ns, win);
	make_prove(sum, &prove);

	struct nl_html_input in = {
		.title = "numalens prove: nl-server <demo>",
		.subtitle = "synthetic data \u00b7 6 runs per arm \u00b7 kernel 6.1 \u00b7 2 NUMA nodes",
		.arms = { { "numa_balancing=0", req[0], N_REQ, &sum[0] },
			  { "numa_balancing=1", req[1], N_REQ, &sum[1] } },
		.nr_arms = 2, .windows = win, .nr_windows = N_WIN, .prove = &prove,
	};
	if (!strcmp(mode, "--report")) {
		in.title = "numalens report: nl-server";
		in.subtitle = "synthetic data \u00b7 30 s recording";
		in.arms[0] = (struct nl_html_arm){ "requests", req[1], N_REQ, &sum[1] };
		in.nr_arms = 1;
		in.prove = NULL;
	} else if (!strcmp(mode, "--empty")) {
		in.title = "numalens report: nl-server (no requests)";
		in.subtitle = NULL;
		in.arms[0] = (struct nl_html_arm){ "requests", NULL, 0, NULL };
		in.nr_arms = 1, in.windows = NULL, in.nr_windows = 0, in.prove = NULL;
	} else if (strcmp(mode, "--prove")) {
		fprintf(stderr, "html_probe: unknown mode %s\n", mode);
		return 2;
	}
	FILE *f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 1;
	}
	int err = nl_render_html(f, &in);
	if (fclose(f) || err) {
		fprintf(stderr, "html_probe: rendering %s failed: %s\n", out, strerror(err ? -err : EIO));
		return 1;
	}
	return 0;
}
