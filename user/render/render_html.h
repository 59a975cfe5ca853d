/* `report --html OUT` and `prove --html OUT`: one self-contained HTML file (inline SVG
 * and CSS, no script or font from the network): the latency histogram (one series per
 * arm for prove), p99 per window against migrations, hint faults and stall time, and
 * the attribution table. */
#ifndef NL_RENDER_HTML_H
#define NL_RENDER_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "analyze/prove.h"
#include "analyze/requests.h"

struct nl_html_arm {
	const char *name;                 /* "requests", or "numa_balancing=0" / "=1" */
	const struct nl_request *r;       /* every request of the arm */
	size_t n;
	const struct nl_rq_summary *sum;  /* of r */
};

struct nl_html_input {
	const char *title;                /* "numalens report: nl-server" */
	const char *subtitle;             /* target, kernel, host, date; may be NULL */
	struct nl_html_arm arms[2];
	int nr_arms;                      /* 1 (report) or 2 (prove: OFF, ON) */
	const struct nl_rq_window *windows; /* report: per recording interval; may be 0 */
	size_t nr_windows;
	const struct nl_prove_result *prove; /* prove only, else NULL */
};

/* 0, or -EIO when writing failed. Text is HTML-escaped. */
int nl_render_html(FILE *f, const struct nl_html_input *in);

#endif
