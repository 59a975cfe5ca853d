/* Launching the command a profiler follows (`numalens top -- CMD ARGS`): the child is
 * forked first and held on a pipe, so its pid is known and the BPF programs are
 * attached before it runs a single instruction of CMD; then it is released and execs.
 *
 * Started through sudo (root, with SUDO_UID/SUDO_GID in the environment), the
 * command runs as the invoking user, not as root: profiling must not change who
 * the program runs as. */
#ifndef NL_LAUNCH_H
#define NL_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

struct nl_launch {
	pid_t pid;  /* the child; 0 when none */
	int go_fd;  /* write end of the gate pipe; -1 once released or aborted */
};

/* Forks a child that waits on the gate, then execvp(argv[0], argv). With out_fd >= 0
 * the command's stdout and stderr go to out_fd and its stdin is /dev/null (it must
 * not draw over, or read the keys of, a terminal view); -1 leaves all three ours.
 * 0, or -errno (nothing left behind). */
int nl_launch_start(char *const argv[], int out_fd, struct nl_launch *l);

/* Opens the file a command's output goes to: path (created or truncated), or with
 * path NULL a new file numalens-cmd.XXXXXX in $TMPDIR or /tmp, its name in made.
 * Under sudo the file belongs to the invoking user, like the command. The fd, or
 * -errno with a reason in err. */
int nl_launch_output_file(const char *path, char *made, size_t madelen, char *err,
			  size_t errlen);

/* Opens the gate: the child drops privileges (see above) and execs. 0 or -errno. */
int nl_launch_go(struct nl_launch *l);

/* Closes the gate without releasing it, so the child exits (status 127) without
 * running the command, and reaps it. For when the collector could not start. */
void nl_launch_abort(struct nl_launch *l);

/* SUDO_UID/SUDO_GID/SUDO_USER -> the invoking user's uid, gid and supplementary groups
 * (the primary group plus the user's memberships in /etc/group). Only when running
 * as root with SUDO_UID set and non-zero; otherwise *uid = 0 and nothing changes.
 * Returns 0, or -EINVAL with a reason in err for a malformed SUDO_UID/SUDO_GID (the
 * command must not silently run as root instead). groups holds up to *ngroups. */
int nl_sudo_identity(uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups, const char *group_file,
		     char *err, size_t errlen);

/* "exited with status 3", "killed by signal 9 (Killed)". */
void nl_describe_wait_status(int status, char *buf, size_t len);

#endif
