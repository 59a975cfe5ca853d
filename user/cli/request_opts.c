/* --request and --usdt: parsed once, the same for every subcommand. */
#include "cli/request_opts.h"

#include <errno.h>
#include <stdio.h>

#include "common/util.h"

int nl_cli_request_option(const char *who, int c, const char *arg, struct nl_cli_request *r)
{
	char err[512];
	int v;

	if (c == NL_OPT_MAX_INFLIGHT) {
		if (nl_parse_int(arg, 1, 1 << 22, &v)) {
			nl_err("%s: --max-inflight wants 1..%d, not '%s'", who, 1 << 22, arg);
			return -1;
		}
		r->max_inflight = (uint32_t)v;
		return 1;
	}
	if (c != NL_OPT_REQUEST && c != NL_OPT_USDT && c != NL_OPT_SYSCALLS)
		return 0;
	if (r->set) {
		nl_err("%s: one --request, --usdt or --syscalls per run", who);
		return -1;
	}
	if (c == NL_OPT_SYSCALLS ? nl_request_spec_parse_syscalls(arg, &r->spec, err, sizeof(err)) :
	    nl_request_spec_parse(arg, c == NL_OPT_USDT, &r->spec, err, sizeof(err))) {
		nl_err("%s: %s", who, err);
		return -1;
	}
	r->set = true;
	return 1;
}
