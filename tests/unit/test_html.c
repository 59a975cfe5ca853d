/* The HTML report (render/render_html.c) on hand-built requests and summaries: the
 * page's frame, no reference to the network, escaping, both arms, the time series,
 * prove's verdict, empty arms and NAN shares, and a failed write. The summaries are
 * filled by hand: the analysis is tested on its own (test_requests.c). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/render_html.h"

#define N 2000

struct arm_data {
	struct nl_request r[N];
	struct nl_rq_summary sum;
};

/* n requests from 100 us up by 5 us steps (100 us .. 10.1 ms for N), on_cpu and a
 * migrate stall for the slowest 1 %; a summary that matches roughly. */
static void make_arm(struct arm_data *a, size_t n, uint64_t stall_ns)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		struct nl_request *r = &a->r[i];

		r->start_ns = i * 10000000ULL; /* 10 ms apart: 20 s for N */
		r->causes_ns[NL_RQ_ON_CPU] = 100000 + i * 5000;
		if (i >= n - n / 100)
			r->causes_ns[NL_RQ_MIGRATE_STALL] = stall_ns;
		r->latency_ns = r->causes_ns[NL_RQ_ON_CPU] + r->causes_ns[NL_RQ_MIGRATE_STALL];
	}
	a->sum.count = n;
	a->sum.p50_ns = a->sum.tail.median_latency_ns = 100000 + n / 2 * 5000;
	a->sum.p90_ns = 100000 + n * 9 / 10 * 5000;
	a->sum.p99_ns = a->sum.tail.threshold_ns = 100000 + n * 99 / 100 * 5000;
	a->sum.p999_ns = 100000 + n * 999 / 1000 * 5000;
	a->sum.have_p999 = n >= 1000;
	a->sum.mean_ns = a->sum.p50_ns;
	a->sum.tail.count = n / 100;
	a->sum.tail.latency_ns = a->sum.tail.count * (a->sum.p99_ns + stall_ns);
	a->sum.tail.causes_ns[NL_RQ_ON_CPU] = a->sum.tail.count * a->sum.p99_ns;
	a->sum.tail.causes_ns[NL_RQ_MIGRATE_STALL] = a->sum.tail.count * stall_ns;
	a->sum.tail.median_causes_ns[NL_RQ_ON_CPU] = a->sum.p50_ns;
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		a->sum.tail.share[c] = 0;
	a->sum.tail.share[NL_RQ_ON_CPU] = 0.4;
	a->sum.tail.share[NL_RQ_MIGRATE_STALL] = 0.6;
	a->sum.tail.explained_share = 0.6;
}

static struct arm_data off, on;

static struct nl_html_input one_arm(void)
{
	make_arm(&off, N, 0);
	return (struct nl_html_input){
		.title = "numalens report: nl-server",
		.subtitle = "kernel 6.1, host test",
		.arms = { { "requests", off.r, N, &off.sum } },
		.nr_arms = 1,
	};
}

static struct nl_html_input two_arms(void)
{
	struct nl_html_input in = one_arm();

	make_arm(&on, N, 3000000);
	in.arms[0].name = "numa_balancing=0";
	in.arms[1] = (struct nl_html_arm){ "numa_balancing=1", on.r, N, &on.sum };
	in.nr_arms = 2;
	return in;
}

/* The page as a string (the caller frees it), and the renderer's result. */
static char *render(const struct nl_html_input *in, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*ret = nl_render_html(f, in);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static char *render_ok(const struct nl_html_input *in)
{
	int ret;
	char *page = render(in, &ret);

	assert_int_equal(ret, 0);
	return page;
}

static void assert_has(const char *page, const char *needle)
{
	if (!strstr(page, needle))
		fail_msg("expected '%s' in the page (%zu bytes)", needle, strlen(page));
}

static void assert_lacks(const char *page, const char *needle)
{
	const char *p = strstr(page, needle);

	if (p)
		fail_msg("unexpected '%s' in the page: ...%.80s...", needle, p);
}

static size_t count(const char *page, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(page, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* No "nan" or "inf" printed for a number ("nanosecond" in a sentence is fine). */
static void assert_no_nan(const char *page)
{
	static const char *const bad[] = { "nan", "inf" };

	for (int i = 0; i < 2; i++)
		for (const char *p = strstr(page, bad[i]); p; p = strstr(p + 1, bad[i]))
			if ((p == page || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[3]))
				fail_msg("a number printed as '%s': ...%.60s...", bad[i], p > page + 20 ? p - 20 : p);
}

/* A page: doctype first, the html element closed last, one head, one body. */
static void assert_frame(const char *page)
{
	assert_true(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	size_t len = strlen(page);
	assert_true(len > 16 && strcmp(page + len - 8, "</html>\n") == 0);
	assert_int_equal(count(page, "<head>"), 1);
	assert_int_equal(count(page, "</body>"), 1);
	assert_int_equal(count(page, "<svg"), count(page, "</svg>"));
	assert_int_equal(count(page, "<table"), count(page, "</table>"));
	assert_int_equal(count(page, "<section"), count(page, "</section>"));
}

static void test_html_frame_and_svg(void **state)
{
	struct nl_html_input in = one_arm();
	char *page = render_ok(&in);

	assert_frame(page);
	assert_has(page, "<meta charset=\"utf-8\">");
	assert_has(page, "<svg");
	assert_has(page, "<title>numalens report: nl-server</title>");
	assert_has(page, "kernel 6.1, host test");
	/* latency ticks with units, 100 us to 10 ms; the percentiles with units */
	assert_has(page, ">100us</text>");
	assert_has(page, ">1ms</text>");
	assert_has(page, ">10ms</text>");
	assert_has(page, "<td>5.10 ms</td>"); /* p50 */
	assert_has(page, ">p99.9 ");          /* marker: 2000 requests place p99.9 */
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		assert_has(page, nl_rq_cause_names[c]);
	assert_has(page, "60.0%");            /* migrate_stall's share */
	assert_lacks(page, "p99 per window"); /* no windows given */
	assert_lacks(page, "class=\"verdict");
	free(page);
}

/* Self-contained: the only URL is the SVG namespace, nothing is loaded or run. */
static void test_html_no_network(void **state)
{
	struct nl_html_input in = two_arms();
	char *page = render_ok(&in);

	assert_lacks(page, "https://");
	assert_int_equal(count(page, "http://"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_true(count(page, "http://") > 0);
	assert_lacks(page, "<script");
	assert_lacks(page, "<link");
	assert_lacks(page, "<img");
	assert_lacks(page, " src=");
	assert_lacks(page, " href=");
	assert_lacks(page, "@import");
	assert_lacks(page, "url(");
	assert_lacks(page, "@font-face");
	free(page);
}

static void test_html_escapes(void **state)
{
	struct nl_html_input in = two_arms();
	in.title = "<script>alert('x')</script> & \"co\"";
	in.subtitle = "host <b>evil</b>\x1b[2J";
	in.arms[1].name = "on<img>";
	char *page = render_ok(&in);

	assert_lacks(page, "<script");
	assert_lacks(page, "<b>evil");
	assert_lacks(page, "<img");
	assert_lacks(page, "\x1b");
	assert_has(page, "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;</title>");
	assert_has(page, "host &lt;b&gt;evil&lt;/b&gt;?[2J");
	assert_has(page, "on&lt;img&gt;");
	free(page);
}

static void test_html_two_arms(void **state)
{
	struct nl_html_input in = two_arms();
	char *page = render_ok(&in);

	assert_frame(page);
	/* legend, summary rows and cause tables name both arms */
	assert_true(count(page, "numa_balancing=0") >= 3);
	assert_true(count(page, "numa_balancing=1") >= 3);
	assert_has(page, "numa_balancing=0 (2,000 requests)");
	/* two series, distinct colours */
	assert_int_equal(count(page, "fill-opacity=\"0.16\""), 2);
	assert_has(page, "stroke=\"#2563eb\"");
	assert_has(page, "stroke=\"#ea580c\"");
	assert_int_equal(count(page, ">p99 10.0 ms<"), 2); /* a p99 marker per arm */
	free(page);
}

static void test_html_windows(void **state)
{
	struct nl_html_input in = one_arm();
	struct nl_rq_window w[3] = { 0 };

	for (int i = 0; i < 3; i++) {
		w[i].act.start_ns = i * 1000000000ULL;
		w[i].act.end_ns = (i + 1) * 1000000000ULL;
		w[i].requests = i == 1 ? 0 : 100;
		w[i].p99_ns = i == 1 ? 0 : 2000000;
	}
	w[2].tail_requests = 9;
	w[2].act.migrated_pages = 512;
	w[2].act.hint_faults = 1000;
	w[2].act.migrate_stall_ns = 4000000;
	w[2].cluster = true;
	in.windows = w;
	in.nr_windows = 3;
	char *page = render_ok(&in);

	assert_frame(page);
	assert_has(page, "p99 per window");
	assert_int_equal(count(page, "<svg"), 2);
	assert_int_equal(count(page, "fill=\"#fee2e2\""), 1); /* the cluster band */
	assert_has(page, "tail requests cluster here");
	assert_has(page, "pages migrated (max 512)");
	assert_has(page, "migrate stall (max 4.00 ms)");
	assert_has(page, "3 windows, 1 with tail requests clustered");
	/* the p99 line breaks over the window without requests: two moves, no line */
	const char *d = strstr(page, "stroke=\"#111827\" stroke-width=\"2\"");
	assert_non_null(d);
	d = strstr(d, " d=\"");
	assert_non_null(d);
	assert_true(d[4] == 'M' && strchr(d + 5, 'M') < strchr(d + 5, '"'));
	assert_true(!strchr(d + 5, 'L') || strchr(d + 5, 'L') > strchr(d + 5, '"'));
	free(page);
}

static void test_html_prove_verdict(void **state)
{
	struct nl_html_input in = two_arms();
	struct nl_prove_result p = {
		.runs = { 5, 6 },
		.median_p99_ns = { 1000000, 2500000 },
		.ratio = 2.5, .ci_lo = 1.8, .ci_hi = 3.1,
		.p_value = 0.0043, .permutations = 462, .min_p_value = 0.0043,
		.verdict = NL_PROVE_EFFECT,
	};
	snprintf(p.why, sizeof(p.why), "p99 is 2.5x with numa_balancing=1 <in every run>");
	in.prove = &p;
	char *page = render_ok(&in);

	assert_frame(page);
	assert_has(page, "class=\"verdict effect\"");
	assert_has(page, ">EFFECT<");
	assert_has(page, "p99 is 2.5x with numa_balancing=1 &lt;in every run&gt;");
	assert_has(page, "<b>2.50\u00d7</b> (bootstrap CI 1.80\u00d7 to 3.10\u00d7)");
	assert_has(page, "<b>0.0043</b>");
	assert_has(page, "over 462 arrangements");
	assert_has(page, "5 runs, median p99 <b>1.00 ms</b>");
	assert_has(page, "6 runs, median p99 <b>2.50 ms</b>");
	assert_lacks(page, "median p99.9"); /* have_p999 is false */
	free(page);

	p.verdict = NL_PROVE_UNDECIDED;
	p.ratio = NAN;
	p.why[0] = 0;
	page = render_ok(&in);
	assert_has(page, ">UNDECIDED<");
	assert_has(page, "<b>\u2014</b> (bootstrap CI");
	assert_no_nan(page);
	free(page);
}

/* No requests at all; then one of two arms empty and the other's shares NAN. */
static void test_html_empty_and_nan(void **state)
{
	struct nl_html_input in = {
		.title = "empty",
		.arms = { { "requests", NULL, 0, NULL } },
		.nr_arms = 1,
	};
	char *page = render_ok(&in);

	assert_frame(page);
	assert_has(page, "No finished requests");
	assert_has(page, "<td>0</td>");
	assert_no_nan(page);
	free(page);

	struct nl_rq_summary none = { 0 };
	in = two_arms();
	in.arms[0] = (struct nl_html_arm){ "numa_balancing=0", NULL, 0, &none };
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		on.sum.tail.share[c] = NAN;
	on.sum.tail.explained_share = NAN;
	on.sum.have_p999 = false;
	page = render_ok(&in);
	assert_frame(page);
	assert_has(page, "numa_balancing=0 (0 requests)");
	assert_has(page, "No finished requests");
	assert_has(page, "<span class=\"pct\">\u2014</span>");
	assert_lacks(page, ">p99.9 "); /* no marker without have_p999 */
	assert_no_nan(page);
	free(page);
}

/* Requests whose thread exited inside them are not in the histogram. */
static void test_html_exited_left_out(void **state)
{
	struct nl_html_input in = one_arm();

	for (size_t i = 0; i < 10; i++)
		off.r[i].flags = NL_RQ_F_EXITED;
	char *page = render_ok(&in);
	assert_has(page, "1,990 finished requests");
	free(page);
}

static void test_html_full_device(void **state)
{
	struct nl_html_input in = two_arms();
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	assert_int_equal(nl_render_html(f, &in), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_frame_and_svg),
		cmocka_unit_test(test_html_no_network),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_html_two_arms),
		cmocka_unit_test(test_html_windows),
		cmocka_unit_test(test_html_prove_verdict),
		cmocka_unit_test(test_html_empty_and_nan),
		cmocka_unit_test(test_html_exited_left_out),
		cmocka_unit_test(test_html_full_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
