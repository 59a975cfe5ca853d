/* --request and --usdt, as top, record and prove take them. */
#ifndef NL_CLI_REQUEST_OPTS_H
#define NL_CLI_REQUEST_OPTS_H

#include <stdbool.h>

#include "collect/request.h"

#define NL_REQUEST_OPTS_HELP \
	"      --request BIN:FUNC  a request is one call of FUNC in BIN (uprobe at entry,\n" \
	"                        uretprobe at return) on one thread; nested calls count once\n" \
	"      --usdt BIN:PROVIDER:START[:END]  a request runs from the USDT probe START to\n" \
	"                        END on one thread; without END, from one START to the next\n" \
	"      --syscalls BEGIN:END  a request runs from a system call BEGIN returning > 0 on a\n" \
	"                        thread to that thread's next call of END (e.g. recvfrom:sendto,\n" \
	"                        read:write): no uprobe trap, about 0.1 us per call\n" \
	"      --max-inflight N  threads with a request in flight at once (default 16384)\n"

struct nl_cli_request {
	bool set;
	struct nl_request_spec spec;
	uint32_t max_inflight;
};

/* Option values for getopt_long: 0x400.. so they collide with no subcommand's own. */
enum { NL_OPT_REQUEST = 0x400, NL_OPT_USDT, NL_OPT_MAX_INFLIGHT, NL_OPT_SYSCALLS };

#define NL_REQUEST_LONGOPTS \
	{ "request", required_argument, NULL, NL_OPT_REQUEST }, \
	{ "usdt", required_argument, NULL, NL_OPT_USDT }, \
	{ "max-inflight", required_argument, NULL, NL_OPT_MAX_INFLIGHT }, \
	{ "syscalls", required_argument, NULL, NL_OPT_SYSCALLS }

/* Handles option c if it is one of the above: 1 handled, 0 not ours, -1 bad usage
 * (said on stderr with the who prefix). */
int nl_cli_request_option(const char *who, int c, const char *arg, struct nl_cli_request *r);

#endif
