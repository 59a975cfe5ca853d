/* The request programs (bpf/request.bpf.c): where requests begin and end (a uprobe
 * pair on a function, or USDT probes), which causes this kernel lets us measure, the
 * histogram, and the finished requests. */
#ifndef NL_COLLECT_REQUEST_H
#define NL_COLLECT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* What --request BIN:FUNC, --usdt BIN:PROVIDER:START[:END] or --syscalls BEGIN:END
 * names. */
struct nl_request_spec {
	bool usdt;
	bool syscalls;        /* from BEGIN's return (> 0) to the thread's next END entry */
	int sys_begin, sys_end; /* their numbers on this architecture */
	char bin[4096];       /* resolved path of the binary or library */
	char func[256];       /* --request */
	char provider[128];   /* --usdt */
	char start[128], end[128]; /* end "" : each START ends the thread's last request */
	char text[4500];      /* as the user wrote it, for messages and the trace header */
};

/* Parses and checks spec (the binary exists and is readable; a bare name is looked up
 * in PATH). 0, or -EINVAL/-ENOENT with the reason in err. */
int nl_request_spec_parse(const char *spec, bool usdt, struct nl_request_spec *out,
			  char *err, size_t errlen);
/* --syscalls BEGIN:END, each a name ("recvfrom", "read", ...) or a number. 0, or -EINVAL
 * with the reason in err. */
int nl_request_spec_parse_syscalls(const char *spec, struct nl_request_spec *out, char *err,
				   size_t errlen);

struct nl_request_opts {
	const struct nl_request_spec *spec;
	uint32_t target_pid;   /* 0 = every process that runs the binary */
	int followed_fd;       /* with target_pid: the followed children's map, or -1 */
	uint64_t cgroup_id;
	uint32_t max_inflight; /* threads with a request in flight at once; 0 = default */
	bool records;          /* keep the finished requests (ring buffer), not only the
				* histogram */
	bool verbose;
};

struct nl_requests;

/* Loads and attaches. 0, or -errno with a one-line reason in err ("no function
 * nl_request in /usr/bin/x", "no USDT probe nlserver:start in ..."). */
int nl_requests_open(const struct nl_request_opts *o, struct nl_requests **out, char *err,
		     size_t errlen);
/* Says in src[NL_SRC_REQUESTS] what delimits requests and which causes are measured. */
int nl_requests_describe(const struct nl_requests *q, struct nl_source_state *src);
/* Adds the cumulative histogram and drop counters to cum->rq (and the drops to
 * cum->lost_events). */
int nl_requests_sample(struct nl_requests *q, struct nl_snapshot *cum);
/* Calls fn for every finished request the ring buffer holds; the number, or -errno. */
int nl_requests_drain(struct nl_requests *q, int (*fn)(void *ctx, const struct nl_request *r),
		      void *ctx);
void nl_requests_close(struct nl_requests *q);

#endif
