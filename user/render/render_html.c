/* `report --html` and `prove --html`: one self-contained page (inline CSS and SVG, no
 * script, nothing from the network, so it opens from a mail attachment or an air-gapped
 * box). Every piece is written with stdio into f; a failed write sticks in the stream's
 * error flag, which is checked once at the end, so the drawing code carries no error
 * plumbing.
 *
 * The latency histogram uses its own bins, equally wide on the log axis (the
 * log-linear buckets of numalens.h are not: their widths vary by 1.8x within an
 * octave, which would draw a saw-tooth over any smooth distribution). */
#include "render/render_html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/requests.h"

#define DASH "\u2014"

/* Arm 0 (report, or numa_balancing=0) blue, arm 1 (numa_balancing=1) orange: far apart
 * for the common colour-vision deficiencies too. */
static const char *const arm_colour[2] = { "#2563eb", "#ea580c" };

/* The time series' activity: migrated pages, hint faults, migrate stall. */
static const char *const act_colour[3] = { "#7c3aed", "#059669", "#dc2626" };

/* ---- text ---- */

/* HTML-escapes s. Control bytes become '?': a comm or a path may hold them and HTML
 * does not allow them in text. */
static void esc(FILE *f, const char *s)
{
	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
				fputc('?', f);
			else
				fputc(*p, f);
		}
	}
}

/* A duration with three significant digits and its unit: "850 ns", "12.3 us",
 * "1.25 ms", "2.10 s"; a dash for what is not a duration (NAN, negative). */
static const char *fmt_ns(char *buf, size_t len, double ns)
{
	static const char *const unit[] = { "ns", "us", "ms", "s" };
	double v = ns;
	int u = 0;

	if (!isfinite(ns) || ns < 0) {
		snprintf(buf, len, DASH);
		return buf;
	}
	while (u < 3 && v >= 999.5) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f ns", v);
	else
		snprintf(buf, len, "%.*f %s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, unit[u]);
	return buf;
}

/* An axis label: compact, no space ("100us", "2.5ms", "1s"). */
static const char *fmt_tick(char *buf, size_t len, double ns)
{
	static const char *const unit[] = { "ns", "us", "ms", "s" };
	double v = ns;
	int u = 0;

	if (v == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	while (u < 3 && v >= 999.5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, unit[u]);
	return buf;
}

/* 1234567 -> "1,234,567": request counts are read, not parsed. */
static const char *fmt_count(char *buf, size_t len, uint64_t v)
{
	char raw[32];
	int n = snprintf(raw, sizeof(raw), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = 0;
	return buf;
}

static const char *fmt_pct(char *buf, size_t len, double share)
{
	if (!isfinite(share))
		snprintf(buf, len, DASH);
	else
		snprintf(buf, len, "%.1f%%", share * 100.0);
	return buf;
}

/* A step of 1, 2 or 5 times a power of ten giving at most max_ticks ticks over range. */
static double nice_step(double range, int max_ticks)
{
	double raw = range / max_ticks, mag;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	if (mag >= raw)
		return mag;
	if (2 * mag >= raw)
		return 2 * mag;
	if (5 * mag >= raw)
		return 5 * mag;
	return 10 * mag;
}

/* ---- the arms ---- */

/* The arm has a summary with requests in it: else its figures are dashes. */
static const struct nl_rq_summary *arm_sum(const struct nl_html_arm *a)
{
	return a->sum && a->sum->count > 0 ? a->sum : NULL;
}

static const char *arm_name(const struct nl_html_input *in, int i)
{
	static const char *const fallback[2] = { "numa_balancing=0", "numa_balancing=1" };

	if (i < in->nr_arms && in->arms[i].name)
		return in->arms[i].name;
	return in->nr_arms == 1 ? "requests" : fallback[i];
}

static int nr_arms(const struct nl_html_input *in)
{
	return in->nr_arms < 1 ? 0 : in->nr_arms > 2 ? 2 : in->nr_arms;
}

/* The analyses leave out requests whose thread exited inside them: so does the
 * histogram, or its markers and bars would disagree. */
static bool counted(const struct nl_request *r)
{
	return !(r->flags & NL_RQ_F_EXITED);
}

/* ---- page frame ---- */

static const char css[] =
	":root{color-scheme:light}\n"
	"body{margin:0;background:#f3f4f6;color:#1f2937;"
	"font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
	"'DejaVu Sans',sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:24px 28px 32px}\n"
	"h1{font-size:24px;margin:0 0 2px;overflow-wrap:anywhere}\n"
	"h2{font-size:17px;margin:0 0 6px}\n"
	"h3{font-size:14px;margin:14px 0 6px}\n"
	".sub{color:#6b7280;margin:0 0 18px;overflow-wrap:anywhere}\n"
	"section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;"
	"padding:16px 20px;margin:0 0 16px}\n"
	".note{color:#6b7280;font-size:12.5px;margin:6px 0 0}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font-size:12px;fill:#4b5563}\n"
	"svg .ax{stroke:#9ca3af;stroke-width:1}\n"
	"svg .grid{stroke:#eef0f3;stroke-width:1}\n"
	"svg .lbl{font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:4px;"
	"stroke-linejoin:round}\n"
	".legend{display:flex;flex-wrap:wrap;gap:6px 20px;font-size:13px;margin:2px 0 6px}\n"
	".sw{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:6px}\n"
	".swl{display:inline-block;width:16px;height:0;border-top:2px solid;margin:0 6px 3px 0;"
	"vertical-align:middle}\n"
	"table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eef0f3;"
	"white-space:nowrap}\n"
	"th{font-weight:600;color:#4b5563;font-size:12.5px}\n"
	"th:first-child,td:first-child{text-align:left}\n"
	"tr.zero td{color:#9ca3af}\n"
	"tr.total td{font-weight:600;border-top:1px solid #d1d5db}\n"
	"tr.expl td{font-weight:600;text-align:right}\n"
	".arms{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:8px 28px}\n"
	".bar{display:inline-block;width:110px;height:9px;background:#f3f4f6;border-radius:2px;"
	"margin-right:8px;vertical-align:middle;text-align:left}\n"
	".bar span{display:block;height:100%;border-radius:2px}\n"
	".pct{display:inline-block;min-width:46px}\n"
	".verdict{border-left:6px solid #6b7280}\n"
	".verdict.effect{border-left-color:#dc2626}\n"
	".verdict.noeffect{border-left-color:#16a34a}\n"
	".verdict.undecided{border-left-color:#d97706}\n"
	".badge{display:inline-block;padding:2px 10px;border-radius:999px;color:#fff;"
	"font-weight:700;font-size:13px;margin-right:10px;background:#6b7280}\n"
	".effect .badge{background:#dc2626}\n"
	".noeffect .badge{background:#16a34a}\n"
	".undecided .badge{background:#d97706}\n"
	".why{font-size:15px;margin:8px 0 10px}\n"
	".kv td{border:0;padding:2px 16px 2px 0;white-space:normal;vertical-align:top}\n"
	".kv td:first-child{color:#6b7280;white-space:nowrap}\n"
	".kv td+td{text-align:left}\n"
	"footer{color:#9ca3af;font-size:12px;text-align:center}\n";

static void page_head(FILE *f, const struct nl_html_input *in)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", f);
	esc(f, in->title ? in->title : "numalens report");
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
	esc(f, in->title ? in->title : "numalens report");
	fputs("</h1>\n", f);
	if (in->subtitle) {
		fputs("<p class=\"sub\">", f);
		esc(f, in->subtitle);
		fputs("</p>\n", f);
	}
}

static void page_tail(FILE *f)
{
	fputs("<footer>numalens: self-contained report, no script, nothing loaded from the "
	      "network.</footer>\n</main>\n</body>\n</html>\n", f);
}

/* A legend entry: a colour swatch (or a line sample) and escaped text. */
static void legend_item(FILE *f, const char *colour, bool line, const char *text)
{
	fprintf(f, "<span><span class=\"%s\" style=\"%s:%s\"></span>", line ? "swl" : "sw",
		line ? "border-color" : "background", colour);
	esc(f, text);
	fputs("</span>", f);
}

/* ---- latency histogram ---- */

#define HB_MAX 128

/* bpd bins per decade from 10^lo ns to 10^hi ns; count per arm and bin. */
struct hist {
	double lo, hi;   /* log10 ns */
	bool decades;    /* ticks each decade only (a wide range) */
	int bpd, nbins;
	uint64_t cnt[2][HB_MAX];
	uint64_t total[2];
	double ylo, yhi; /* log10 of the share at the bottom and top of the y axis */
};

/* The smallest and largest counted latency over both arms (0 ns counted as 1 ns: the
 * axis is logarithmic). False when there is none. */
static bool hist_extent(const struct nl_html_input *in, double *lo, double *hi)
{
	bool any = false;

	for (int a = 0; a < nr_arms(in); a++)
		for (size_t i = 0; i < in->arms[a].n; i++) {
			const struct nl_request *r = &in->arms[a].r[i];
			double v = r->latency_ns ? (double)r->latency_ns : 1;

			if (!counted(r))
				continue;
			if (!any || v < *lo)
				*lo = v;
			if (!any || v > *hi)
				*hi = v;
			any = true;
		}
	return any;
}

/* l (log10 ns) down or up to the grid of ticks: 1, 2, 5 times a power of ten, or
 * powers of ten only. The axis then starts and ends on a labelled tick. */
static double snap(double l, bool up, bool decades)
{
	const double grid[] = { 0, log10(2), log10(5), 1 };
	double d = floor(l), fr = l - d;

	for (int i = 0; i < 4; i++) {
		double g = grid[up ? i : 3 - i];

		if (decades && g != 0 && g != 1)
			continue;
		if (up ? g >= fr - 1e-9 : g <= fr + 1e-9)
			return d + g;
	}
	return up ? d + 1 : d;
}

/* The data's range out to ticks, and about 60 bins over it (8 to 30 a decade): fine
 * enough to show a second mode, coarse enough that a few hundred requests are not all
 * noise. */
static bool hist_bins(const struct nl_html_input *in, struct hist *h)
{
	double lo, hi;

	memset(h, 0, sizeof(*h));
	if (!hist_extent(in, &lo, &hi))
		return false;
	h->decades = log10(hi) - log10(lo) > 4;
	h->lo = snap(log10(lo), false, h->decades);
	h->hi = snap(log10(hi), true, h->decades);
	if (h->hi - h->lo < 0.5)
		h->hi = snap(h->lo + 0.5, true, h->decades);
	double dec = h->hi - h->lo;
	h->bpd = 60 / dec < 8 ? 8 : 60 / dec > 30 ? 30 : (int)(60 / dec);
	while (ceil(dec * h->bpd - 1e-9) > HB_MAX)
		h->bpd--;
	h->nbins = (int)ceil(dec * h->bpd - 1e-9);
	for (int a = 0; a < nr_arms(in); a++)
		for (size_t i = 0; i < in->arms[a].n; i++) {
			const struct nl_request *r = &in->arms[a].r[i];
			double v = r->latency_ns ? (double)r->latency_ns : 1;
			int b = (int)floor((log10(v) - h->lo) * h->bpd);

			if (!counted(r))
				continue;
			h->cnt[a][b < 0 ? 0 : b >= h->nbins ? h->nbins - 1 : b]++;
			h->total[a]++;
		}
	return true;
}

/* The y axis from a little below the rarest bin (so a single request in the tail
 * stands clear of the axis) to the whole decade above the fullest one. */
static void hist_yrange(const struct nl_html_input *in, struct hist *h)
{
	double mn = 1, mx = 0;

	for (int a = 0; a < nr_arms(in); a++)
		for (int b = 0; b < h->nbins; b++) {
			if (!h->cnt[a][b])
				continue;
			double s = (double)h->cnt[a][b] / (double)h->total[a];
			mn = s < mn ? s : mn;
			mx = s > mx ? s : mx;
		}
	h->yhi = ceil(log10(mx) - 1e-9);
	h->ylo = log10(mn) - 0.3;
	if (h->yhi - h->ylo < 2)
		h->ylo = h->yhi - 2;
	if (h->yhi - h->ylo > 7)
		h->ylo = h->yhi - 7;
}

/* The plot box in SVG units and the data ranges mapped onto it. */
struct box {
	double x0, x1, y0, y1; /* left, right, top, bottom */
	double dx0, dx1, dy0, dy1;
};

static double bx(const struct box *b, double v)
{
	double t = (v - b->dx0) / (b->dx1 - b->dx0);

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return b->x0 + t * (b->x1 - b->x0);
}

static double by(const struct box *b, double v)
{
	double t = (v - b->dy0) / (b->dy1 - b->dy0);

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return b->y1 - t * (b->y1 - b->y0);
}

/* x: latency, a tick each 1-2-5 (or each decade when there are many); y: share, a tick
 * each decade. */
static void hist_axes(FILE *f, const struct box *b, const struct hist *h)
{
	char buf[32];

	for (int d = (int)floor(h->lo); d <= (int)ceil(h->hi); d++)
		for (int k = 0; k < 3; k++) {
			double l = d + log10(k == 0 ? 1 : k == 1 ? 2 : 5), x = bx(b, l);

			if (l < h->lo - 1e-6 || l > h->hi + 1e-6 || (k > 0 && h->decades))
				continue;
			fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
				x, b->y0, x, b->y1, x, b->y1 + 17, fmt_tick(buf, sizeof(buf), pow(10, l)));
		}
	for (int d = (int)ceil(h->ylo); d <= (int)h->yhi; d++) {
		double y = by(b, d);

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f%%</text>\n",
			b->x0, y, b->x1, y, b->x0 - 6, y + 4, d < -2 ? -2 - d : 0, pow(10, d + 2));
	}
	fprintf(f, "<line class=\"ax\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
		"<line class=\"ax\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		b->x0, b->y1, b->x1, b->y1, b->x0, b->y0, b->x0, b->y1);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">request latency "
		"(log scale)</text>\n", (b->x0 + b->x1) / 2, b->y1 + 36);
	fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">"
		"share of requests (log scale)</text>\n", (b->y0 + b->y1) / 2);
}

/* One arm as a filled step outline: a bar top per non-empty bin, down to the axis
 * where a bin is empty. */
static void hist_series(FILE *f, const struct box *b, const struct hist *h, int a)
{
	if (!h->total[a])
		return;
	fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.16\" stroke=\"%s\" stroke-width=\"1.6\" "
		"stroke-linejoin=\"round\" d=\"M%.1f %.1f", arm_colour[a], arm_colour[a],
		b->x0, b->y1);
	for (int i = 0; i < h->nbins; i++) {
		double s = (double)h->cnt[a][i] / (double)h->total[a];
		double y = s > 0 ? by(b, log10(s)) : b->y1;
		double l = h->lo + (double)i / h->bpd, r = h->lo + (double)(i + 1) / h->bpd;

		fprintf(f, "L%.1f %.1fL%.1f %.1f", bx(b, l), y, bx(b, r), y);
	}
	fprintf(f, "L%.1f %.1fZ\"/>\n", b->x1, b->y1);
}

/* The percentile markers: a dashed line per arm and percentile, its label above the
 * plot in the first row where it does not overlap another label. */
struct mark {
	double x, w;
	int arm, row;
	char text[48];
};

static int marks_collect(const struct nl_html_input *in, const struct box *b, struct mark *m)
{
	static const char *const pname[3] = { "p50", "p99", "p99.9" };
	int n = 0;

	for (int a = 0; a < nr_arms(in); a++) {
		const struct nl_rq_summary *s = arm_sum(&in->arms[a]);
		char buf[32];

		if (!s)
			continue;
		uint64_t v[3] = { s->p50_ns, s->p99_ns, s->p999_ns };
		for (int k = 0; k < (s->have_p999 ? 3 : 2); k++) {
			m[n] = (struct mark){ .x = bx(b, log10(v[k] ? (double)v[k] : 1)), .arm = a };
			snprintf(m[n].text, sizeof(m[n].text), "%s %s", pname[k],
				 fmt_ns(buf, sizeof(buf), (double)v[k]));
			m[n].w = 6.6 * (double)strlen(m[n].text) + 6;
			n++;
		}
	}
	return n;
}

/* Greedy rows, left to right; returns how many rows the labels need. */
static int marks_place(struct mark *m, int n, const struct box *b)
{
	double end[6] = { 0 };
	int rows = 0;

	for (int i = 1; i < n; i++) /* insertion sort by x: at most 6 */
		for (int j = i; j > 0 && m[j].x < m[j - 1].x; j--) {
			struct mark t = m[j];
			m[j] = m[j - 1];
			m[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		double l = m[i].x - m[i].w / 2;
		int r = 0;

		l = l < b->x0 - 40 ? b->x0 - 40 : l;
		while (r < rows && end[r] > l)
			r++;
		if (r == rows)
			rows++;
		end[r] = l + m[i].w;
		m[i].row = r;
	}
	return rows;
}

/* The lines first, then the labels over them with a white halo: a line running up
 * to a label in a higher row must not strike through a lower one. */
static void marks_draw(FILE *f, const struct mark *m, int n, const struct box *b)
{
	for (int i = 0; i < n; i++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"1.3\" stroke-dasharray=\"5 3\"/>\n", m[i].x,
			b->y0 - 5 - 16 * m[i].row, m[i].x, b->y1, arm_colour[m[i].arm]);
	for (int i = 0; i < n; i++)
		fprintf(f, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"style=\"fill:%s\">%s</text>\n", m[i].x, b->y0 - 8 - 16 * m[i].row,
			arm_colour[m[i].arm], m[i].text);
}

static void hist_legend(FILE *f, const struct nl_html_input *in, const struct hist *h)
{
	char text[256], buf[32];

	fputs("<div class=\"legend\">", f);
	for (int a = 0; a < nr_arms(in); a++) {
		fmt_count(buf, sizeof(buf), h->total[a]);
		if (nr_arms(in) == 1)
			snprintf(text, sizeof(text), "%s finished requests", buf);
		else
			snprintf(text, sizeof(text), "%s (%s requests)", arm_name(in, a), buf);
		legend_item(f, arm_colour[a], false, text);
	}
	fputs("<span>dashed lines: p50, p99, p99.9</span></div>\n", f);
}

static void section_hist(FILE *f, const struct nl_html_input *in)
{
	struct hist h;
	struct mark m[6];
	struct box b = { .x0 = 78, .x1 = 1000 - 24 };

	fputs("<section>\n<h2>Latency distribution</h2>\n", f);
	if (!hist_bins(in, &h)) {
		fputs("<p class=\"note\">No finished requests: nothing to draw.</p>\n</section>\n", f);
		return;
	}
	hist_yrange(in, &h);
	b.dx0 = h.lo, b.dx1 = h.hi, b.dy0 = h.ylo, b.dy1 = h.yhi;
	int n = marks_collect(in, &b, m), rows = marks_place(m, n, &b);
	b.y0 = 14 + 16 * rows;
	b.y1 = b.y0 + 300;
	hist_legend(f, in, &h);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 %.0f\" "
		"role=\"img\" aria-label=\"latency histogram\">\n", b.y1 + 46);
	hist_axes(f, &b, &h);
	for (int a = 0; a < nr_arms(in); a++)
		hist_series(f, &b, &h, a);
	marks_draw(f, m, n, &b);
	fprintf(f, "</svg>\n<p class=\"note\">Bins of equal width on the log axis (%d a decade); "
		"the height is the bin&#39;s share of its arm&#39;s finished requests, so arms of "
		"different sizes compare. Requests whose thread exited inside them are left "
		"out.</p>\n</section>\n", h.bpd);
}

/* ---- p99 per window against AutoNUMA activity ---- */

struct ts {
	uint64_t t0, t1;           /* first start, last end */
	uint64_t max_act[3];       /* migrated pages, hint faults, stall ns */
	uint64_t max_p99;
	double p99_top, p99_step;  /* left axis */
	size_t clusters;
};

static uint64_t act_value(const struct nl_rq_window *w, int k)
{
	return k == 0 ? w->act.migrated_pages : k == 1 ? w->act.hint_faults
						       : w->act.migrate_stall_ns;
}

static void ts_scan(const struct nl_html_input *in, struct ts *t)
{
	memset(t, 0, sizeof(*t));
	t->t0 = in->windows[0].act.start_ns;
	for (size_t i = 0; i < in->nr_windows; i++) {
		const struct nl_rq_window *w = &in->windows[i];

		t->t0 = w->act.start_ns < t->t0 ? w->act.start_ns : t->t0;
		t->t1 = w->act.end_ns > t->t1 ? w->act.end_ns : t->t1;
		for (int k = 0; k < 3; k++)
			if (act_value(w, k) > t->max_act[k])
				t->max_act[k] = act_value(w, k);
		t->max_p99 = w->p99_ns > t->max_p99 ? w->p99_ns : t->max_p99;
		t->clusters += w->cluster;
	}
	if (t->t1 <= t->t0)
		t->t1 = t->t0 + 1;
	t->p99_step = nice_step(t->max_p99 ? (double)t->max_p99 : 1000, 5);
	t->p99_top = ceil((t->max_p99 ? (double)t->max_p99 : 1000) / t->p99_step) * t->p99_step;
}

static void ts_axes(FILE *f, const struct box *b, const struct ts *t)
{
	char buf[32];
	double span = (double)(t->t1 - t->t0) / 1e9, step = nice_step(span, 10);

	for (double v = 0; v <= t->p99_top * (1 + 1e-9); v += t->p99_step)
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
			"<text x=\"%.1f\" y=\"%.1f\">%.0f%%</text>\n", b->x0, by(b, v), b->x1,
			by(b, v), b->x0 - 6, by(b, v) + 4, fmt_tick(buf, sizeof(buf), v),
			b->x1 + 6, by(b, v) + 4, v / t->p99_top * 100);
	for (double s = 0; s <= span * (1 + 1e-9); s += step)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%gs</text>\n",
			bx(b, s * 1e9), b->y1 + 17, s);
	fprintf(f, "<line class=\"ax\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		b->x0, b->y1, b->x1, b->y1);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since the first "
		"window</text>\n", (b->x0 + b->x1) / 2, b->y1 + 36);
	fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">"
		"p99 of the window</text>\n", (b->y0 + b->y1) / 2);
	fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(90)\" text-anchor=\"middle\">"
		"activity, share of its busiest window</text>\n", b->x1 + 46, (b->y0 + b->y1) / 2);
}

/* A window's band: red when tail requests cluster in it, and a hover text with its
 * figures (an SVG title: no script needed). */
static void ts_band(FILE *f, const struct box *b, const struct nl_rq_window *w)
{
	char s[4][32], c[3][32];
	double xa = bx(b, (double)w->act.start_ns), xb = bx(b, (double)w->act.end_ns);

	fmt_count(c[0], sizeof(c[0]), w->requests);
	fmt_count(c[1], sizeof(c[1]), w->act.migrated_pages);
	fmt_count(c[2], sizeof(c[2]), w->act.hint_faults);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
		"<title>%s requests, %" PRIu64 " above p99, p99 %s; %s pages migrated, %s hint "
		"faults, migrate stall %s%s</title></rect>\n", xa, b->y0, xb - xa > 0 ? xb - xa : 0,
		b->y1 - b->y0, w->cluster ? "#fee2e2" : "transparent", c[0], w->tail_requests,
		w->requests ? fmt_ns(s[0], sizeof(s[0]), (double)w->p99_ns) : DASH, c[1], c[2],
		fmt_ns(s[1], sizeof(s[1]), (double)w->act.migrate_stall_ns),
		w->cluster ? "; tail requests cluster here" : "");
}

/* Three thin bars per window, each activity scaled to its own busiest window. */
static void ts_bars(FILE *f, const struct box *b, const struct ts *t, const struct nl_rq_window *w)
{
	double xa = bx(b, (double)w->act.start_ns), xb = bx(b, (double)w->act.end_ns);
	double bw = (xb - xa) * 0.8 / 3;

	bw = bw < 1 ? 1 : bw;
	for (int k = 0; k < 3; k++) {
		if (!t->max_act[k] || !act_value(w, k))
			continue;
		double hgt = (double)act_value(w, k) / (double)t->max_act[k] * (b->y1 - b->y0);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\" fill-opacity=\"0.55\"/>\n", xa + (xb - xa) * 0.1 + k * bw,
			b->y1 - hgt, bw, hgt, act_colour[k]);
	}
}

/* p99 per window, a line with a gap over windows without requests. */
static void ts_line(FILE *f, const struct box *b, const struct nl_html_input *in)
{
	bool pen = false, dots = in->nr_windows <= 80;

	fputs("<path fill=\"none\" stroke=\"#111827\" stroke-width=\"2\" "
	      "stroke-linejoin=\"round\" d=\"", f);
	for (size_t i = 0; i < in->nr_windows; i++) {
		const struct nl_rq_window *w = &in->windows[i];
		double x = bx(b, (double)(w->act.start_ns / 2 + w->act.end_ns / 2));

		if (!w->requests) {
			pen = false;
			continue;
		}
		fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', x, by(b, (double)w->p99_ns));
		pen = true;
	}
	fputs("\"/>\n", f);
	for (size_t i = 0; dots && i < in->nr_windows; i++) {
		const struct nl_rq_window *w = &in->windows[i];

		if (w->requests)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"#111827\"/>\n",
				bx(b, (double)(w->act.start_ns / 2 + w->act.end_ns / 2)),
				by(b, (double)w->p99_ns));
	}
}

static void ts_legend(FILE *f, const struct ts *t)
{
	static const char *const what[3] = { "pages migrated", "hint faults", "migrate stall" };
	char text[128], buf[32];

	fputs("<div class=\"legend\">", f);
	legend_item(f, "#111827", true, "p99 of the window (left axis)");
	for (int k = 0; k < 3; k++) {
		if (k == 2)
			fmt_ns(buf, sizeof(buf), (double)t->max_act[k]);
		else
			fmt_count(buf, sizeof(buf), t->max_act[k]);
		snprintf(text, sizeof(text), "%s (max %s)", what[k], buf);
		legend_item(f, act_colour[k], false, text);
	}
	legend_item(f, "#fee2e2", false, "tail requests cluster with AutoNUMA activity");
	fputs("</div>\n", f);
}

static void section_windows(FILE *f, const struct nl_html_input *in)
{
	struct ts t;
	struct box b = { .x0 = 78, .x1 = 1000 - 64, .y0 = 10, .y1 = 290 };

	ts_scan(in, &t);
	b.dx0 = (double)t.t0, b.dx1 = (double)t.t1, b.dy0 = 0, b.dy1 = t.p99_top;
	fputs("<section>\n<h2>p99 per window against AutoNUMA activity</h2>\n", f);
	ts_legend(f, &t);
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 340\" role=\"img\" "
	      "aria-label=\"p99 per window\">\n", f);
	for (size_t i = 0; i < in->nr_windows; i++)
		ts_band(f, &b, &in->windows[i]);
	ts_axes(f, &b, &t);
	for (size_t i = 0; i < in->nr_windows; i++)
		ts_bars(f, &b, &t, &in->windows[i]);
	ts_line(f, &b, in);
	fprintf(f, "</svg>\n<p class=\"note\">%zu window%s, %zu with tail requests clustered "
		"(at least 3 above the recording&#39;s p99, twice the 1%% expected, and pages "
		"migrated or hint faults taken in it). Each activity bar is scaled to its own "
		"busiest window. Hover a window for its figures.</p>\n</section>\n",
		in->nr_windows, in->nr_windows == 1 ? "" : "s", t.clusters);
}

/* ---- attribution ---- */

static void summary_row(FILE *f, const struct nl_html_input *in, int a)
{
	const struct nl_rq_summary *s = arm_sum(&in->arms[a]);
	const struct nl_rq_summary *raw = in->arms[a].sum;
	char c[2][32], v[6][32];

	fprintf(f, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>", arm_colour[a]);
	esc(f, arm_name(in, a));
	fprintf(f, "</td><td>%s</td><td>%s</td>",
		fmt_count(c[0], sizeof(c[0]), s ? s->count : 0),
		fmt_count(c[1], sizeof(c[1]), raw ? raw->exited : 0));
	fprintf(f, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		fmt_ns(v[0], sizeof(v[0]), s ? (double)s->mean_ns : NAN),
		fmt_ns(v[1], sizeof(v[1]), s ? (double)s->p50_ns : NAN),
		fmt_ns(v[2], sizeof(v[2]), s ? (double)s->p90_ns : NAN),
		fmt_ns(v[3], sizeof(v[3]), s ? (double)s->p99_ns : NAN),
		fmt_ns(v[4], sizeof(v[4]), s && s->have_p999 ? (double)s->p999_ns : NAN),
		s ? fmt_count(v[5], sizeof(v[5]), s->tail.count) : DASH);
}

static void summary_table(FILE *f, const struct nl_html_input *in)
{
	fputs("<table>\n<tr><th></th><th>requests</th><th>exited</th><th>mean</th><th>p50</th>"
	      "<th>p90</th><th>p99</th><th>p99.9</th><th>tail (&gt; p99)</th></tr>\n", f);
	for (int a = 0; a < nr_arms(in); a++)
		summary_row(f, in, a);
	fputs("</table>\n<p class=\"note\">Exact percentiles (nearest rank); p99.9 from 1,000 "
	      "requests up. Requests whose thread exited inside them are counted apart and left "
	      "out of every figure.</p>\n", f);
}

/* A share as a small bar (grey when negative: the tail spends less there than the
 * median request) and its number. */
static void share_cell(FILE *f, double share, const char *colour)
{
	char buf[32];

	fputs("<td>", f);
	if (isfinite(share)) {
		double w = fabs(share) * 100;

		fprintf(f, "<span class=\"bar\"><span style=\"width:%.1f%%;background:%s\">"
			"</span></span>", w > 100 ? 100 : w, share < 0 ? "#9ca3af" : colour);
	}
	fprintf(f, "<span class=\"pct\">%s</span></td>", fmt_pct(buf, sizeof(buf), share));
}

static void cause_row(FILE *f, const struct nl_rq_summary *s, int c, const char *colour)
{
	char t[32], m[32];
	double mean = s->tail.count ? (double)s->tail.causes_ns[c] / (double)s->tail.count : NAN;
	bool zero = s->tail.causes_ns[c] == 0 && s->tail.median_causes_ns[c] == 0;

	fprintf(f, "<tr%s><td>", zero ? " class=\"zero\"" : "");
	esc(f, nl_rq_cause_names[c]);
	fprintf(f, "</td><td>%s</td><td>%s</td>", fmt_ns(t, sizeof(t), mean),
		fmt_ns(m, sizeof(m), (double)s->tail.median_causes_ns[c]));
	share_cell(f, s->tail.share[c], colour);
	fputs("</tr>\n", f);
}

/* The latency row, then what the causes other than on_cpu explain of the excess
 * together (the rest is on_cpu's: the request's own work). */
static void cause_total(FILE *f, const struct nl_rq_summary *s, const char *colour)
{
	char t[32], m[32];
	double mean = s->tail.count ? (double)s->tail.latency_ns / (double)s->tail.count : NAN;

	fprintf(f, "<tr class=\"total\"><td>latency</td><td>%s</td><td>%s</td><td></td></tr>\n",
		fmt_ns(t, sizeof(t), mean), fmt_ns(m, sizeof(m), (double)s->tail.median_latency_ns));
	fputs("<tr class=\"expl\"><td colspan=\"3\">explained by causes other than on_cpu</td>", f);
	share_cell(f, s->tail.explained_share, colour);
	fputs("</tr>\n", f);
}

static void cause_table(FILE *f, const struct nl_html_input *in, int a)
{
	const struct nl_rq_summary *s = arm_sum(&in->arms[a]);
	char p[32], n[32];

	fputs("<div>\n<h3>", f);
	esc(f, arm_name(in, a));
	fputs("</h3>\n", f);
	if (!s) {
		fputs("<p class=\"note\">No finished requests.</p>\n</div>\n", f);
		return;
	}
	fprintf(f, "<table>\n<tr><th>cause</th><th>tail mean</th><th>median request</th>"
		"<th>share of the tail&#39;s excess</th></tr>\n");
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		cause_row(f, s, c, arm_colour[a]);
	cause_total(f, s, arm_colour[a]);
	fprintf(f, "</table>\n<p class=\"note\">Tail: the %s requests above p99 (%s). "
		"What the other causes do not explain is on_cpu&#39;s: the request&#39;s own "
		"work.</p>\n</div>\n",
		fmt_count(n, sizeof(n), s->tail.count), fmt_ns(p, sizeof(p), (double)s->tail.threshold_ns));
}

static void section_attribution(FILE *f, const struct nl_html_input *in)
{
	fputs("<section>\n<h2>Percentiles</h2>\n", f);
	summary_table(f, in);
	fputs("</section>\n<section>\n<h2>Where the tail&#39;s time goes</h2>\n<p class=\"note\">"
	      "Per cause: the tail&#39;s mean time in it, the median request&#39;s, and its share "
	      "of the tail&#39;s excess over the median request. Every nanosecond of a request "
	      "is charged to exactly one cause.</p>\n<div class=\"arms\">\n", f);
	for (int a = 0; a < nr_arms(in); a++)
		cause_table(f, in, a);
	fputs("</div>\n</section>\n", f);
}

/* ---- prove's verdict ---- */

static void verdict_head(FILE *f, const struct nl_prove_result *p)
{
	static const char *const cls[] = { "effect", "noeffect", "undecided" };
	static const char *const badge[] = { "EFFECT", "NO EFFECT", "UNDECIDED" };
	static const char *const head[] = {
		"numa_balancing changes p99",
		"No effect of numa_balancing on p99 seen",
		"The data cannot decide",
	};
	int v = p->verdict >= NL_PROVE_EFFECT && p->verdict <= NL_PROVE_UNDECIDED
			? (int)p->verdict : NL_PROVE_UNDECIDED;

	fprintf(f, "<section class=\"verdict %s\">\n<h2><span class=\"badge\">%s</span>%s</h2>\n",
		cls[v], badge[v], head[v]);
	fputs("<p class=\"why\">", f);
	esc(f, p->why[0] ? p->why : DASH);
	fputs("</p>\n", f);
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (isfinite(r))
		snprintf(buf, len, "%.2f\u00d7", r);
	else
		snprintf(buf, len, DASH);
}

static const char *fmt_p(char *buf, size_t len, double p)
{
	if (isfinite(p))
		snprintf(buf, len, "%.2g", p);
	else
		snprintf(buf, len, DASH);
	return buf;
}

static void verdict_stats(FILE *f, const struct nl_html_input *in, const struct nl_prove_result *p)
{
	char r[3][32], q[3][32];

	fmt_ratio(r[0], sizeof(r[0]), p->ratio);
	fmt_ratio(r[1], sizeof(r[1]), p->ci_lo);
	fmt_ratio(r[2], sizeof(r[2]), p->ci_hi);
	fputs("<table class=\"kv\">\n<tr><td>p99 ratio (", f);
	esc(f, arm_name(in, NL_ARM_ON));
	fputs(" / ", f);
	esc(f, arm_name(in, NL_ARM_OFF));
	fprintf(f, ")</td><td><b>%s</b> (bootstrap CI %s to %s)</td></tr>\n", r[0], r[1], r[2]);
	fmt_count(q[1], sizeof(q[1]), p->permutations);
	fprintf(f, "<tr><td>p-value</td><td><b>%s</b> (exact permutation test over %s "
		"arrangements of the runs; the smallest p these runs can give is %s)</td></tr>\n",
		fmt_p(q[0], sizeof(q[0]), p->p_value), q[1], fmt_p(q[2], sizeof(q[2]), p->min_p_value));
}

static void verdict_arm(FILE *f, const struct nl_html_input *in, const struct nl_prove_result *p,
			int a)
{
	char n[32], m[32], m9[32];

	fprintf(f, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>", arm_colour[a]);
	esc(f, arm_name(in, a));
	fprintf(f, "</td><td>%s run%s, median p99 <b>%s</b>", fmt_count(n, sizeof(n), p->runs[a]),
		p->runs[a] == 1 ? "" : "s",
		fmt_ns(m, sizeof(m), p->runs[a] ? p->median_p99_ns[a] : NAN));
	if (p->have_p999)
		fprintf(f, ", median p99.9 %s", fmt_ns(m9, sizeof(m9), p->median_p999_ns[a]));
	fputs("</td></tr>\n", f);
}

static void section_verdict(FILE *f, const struct nl_html_input *in)
{
	const struct nl_prove_result *p = in->prove;

	verdict_head(f, p);
	verdict_stats(f, in, p);
	verdict_arm(f, in, p, NL_ARM_OFF);
	verdict_arm(f, in, p, NL_ARM_ON);
	fputs("</table>\n<p class=\"note\">The run is the unit: each run&#39;s p99, the median "
	      "over each arm&#39;s runs, their ratio; the CI resamples runs, then requests "
	      "within each run.</p>\n</section>\n", f);
}

/* ---- the page ---- */

int nl_render_html(FILE *f, const struct nl_html_input *in)
{
	page_head(f, in);
	if (in->prove)
		section_verdict(f, in);
	section_hist(f, in);
	if (in->windows && in->nr_windows)
		section_windows(f, in);
	section_attribution(f, in);
	page_tail(f);
	/* the stream buffers: a full disk may only show at the flush */
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
