/* --syscalls BEGIN:END: system call names to this architecture's numbers. The numbers
 * come from the C library's <sys/syscall.h> of the architecture numalens is built for,
 * which is the one it runs on (the BPF side compares them with sys_enter's id and the
 * number in the registers at sys_exit). */
#include "collect/request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/util.h"

#define SC(name) { #name, SYS_##name }

/* The calls servers receive requests and send replies with. */
static const struct {
	const char *name;
	int nr;
} syscall_names[] = {
	SC(read), SC(readv), SC(recvfrom), SC(recvmsg), SC(recvmmsg), SC(accept4),
	SC(write), SC(writev), SC(sendto), SC(sendmsg), SC(sendmmsg), SC(epoll_pwait),
	SC(ppoll), SC(pselect6), SC(io_uring_enter), SC(futex),
#ifdef SYS_accept
	SC(accept),
#endif
#ifdef SYS_epoll_wait
	SC(epoll_wait),
#endif
#ifdef SYS_poll
	SC(poll),
#endif
#ifdef SYS_select
	SC(select),
#endif
};

static int syscall_nr(const char *s, int *nr, char *name, size_t len)
{
	uint64_t v;

	for (size_t i = 0; i < NL_ARRAY_SIZE(syscall_names); i++)
		if (!strcmp(s, syscall_names[i].name)) {
			*nr = syscall_names[i].nr;
			snprintf(name, len, "%s", s);
			return 0;
		}
	if (nl_parse_u64(s, &v) || v > 4095)
		return -EINVAL;
	*nr = (int)v;
	snprintf(name, len, "syscall %d", *nr);
	return 0;
}

int nl_request_spec_parse_syscalls(const char *spec, struct nl_request_spec *out, char *err,
				   size_t errlen)
{
	char begin[64], end[64];
	const char *colon = strchr(spec, ':');

	memset(out, 0, sizeof(*out));
	out->syscalls = true;
	snprintf(out->text, sizeof(out->text), "syscalls %s", spec);
	if (!colon || colon == spec || !colon[1] || strchr(colon + 1, ':') ||
	    (size_t)(colon - spec) >= sizeof(begin) || strlen(colon + 1) >= sizeof(end)) {
		snprintf(err, errlen, "--syscalls '%s': expected BEGIN:END (e.g. recvfrom:sendto)", spec);
		return -EINVAL;
	}
	snprintf(begin, sizeof(begin), "%.*s", (int)(colon - spec), spec);
	snprintf(end, sizeof(end), "%s", colon + 1);
	if (syscall_nr(begin, &out->sys_begin, out->start, sizeof(out->start)) ||
	    syscall_nr(end, &out->sys_end, out->end, sizeof(out->end))) {
		snprintf(err, errlen, "--syscalls '%s': a system call name this build knows (read, "
			 "recvfrom, recvmsg, write, sendto, sendmsg, ...) or a number", spec);
		return -EINVAL;
	}
	return 0;
}
