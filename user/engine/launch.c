#include "engine/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

/* Is user listed in the comma-separated member list? */
static bool is_member(const char *members, const char *user)
{
	size_t ulen = strlen(user);
	const char *p = members;

	while (*p) {
		size_t len = strcspn(p, ",\n");
		if (len == ulen && !strncmp(p, user, len))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* Adds the gids of /etc/group lines whose member list names user. Only the files
 * database is read: glibc's NSS (LDAP, sssd) cannot be used from the static binary. */
static void add_group_memberships(const char *group_file, const char *user, gid_t *groups,
				  int *n, int max)
{
	FILE *f = fopen(group_file, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0 && *n < max) {
		/* name:password:gid:members */
		char *fields[4] = { 0 }, *tok, *p = line;
		int nf = 0;
		while (nf < 4 && (tok = strsep(&p, ":")))
			fields[nf++] = tok;
		uint64_t gid;
		if (nf < 4 || nl_parse_u64(fields[2], &gid) || gid > (gid_t)-2)
			continue;
		if (!is_member(fields[3], user))
			continue;
		bool dup = false;
		for (int i = 0; i < *n; i++)
			dup |= groups[i] == (gid_t)gid;
		if (!dup)
			groups[(*n)++] = (gid_t)gid;
	}
	free(line);
	fclose(f);
}

int nl_sudo_identity(uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups, const char *group_file,
		     char *err, size_t errlen)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID"), *user = getenv("SUDO_USER");
	uint64_t u, g;
	int max = *ngroups;

	*uid = 0;
	*gid = 0;
	*ngroups = 0;
	if (geteuid() != 0 || !su)
		return 0;
	if (nl_parse_u64(su, &u) || u > (uid_t)-2) {
		snprintf(err, errlen, "invalid SUDO_UID '%s'", su);
		return -EINVAL;
	}
	if (u == 0) /* sudo from root: nothing to drop */
		return 0;
	if (!sg || nl_parse_u64(sg, &g) || g > (gid_t)-2) {
		snprintf(err, errlen, "SUDO_UID is set but SUDO_GID is %s%s%s", sg ? "'" : "missing",
			 sg ? sg : "", sg ? "'" : "");
		return -EINVAL;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	if (max > 0)
		groups[(*ngroups)++] = (gid_t)g;
	if (user && *user)
		add_group_memberships(group_file, user, groups, ngroups, max);
	return 0;
}

/* In the child: become the sudo user, or stay as we are when not under sudo. */
static int drop_to_sudo_user(void)
{
	gid_t groups[64];
	int ngroups = (int)NL_ARRAY_SIZE(groups);
	uid_t uid;
	gid_t gid;
	char err[128];

	if (nl_sudo_identity(&uid, &gid, groups, &ngroups, "/etc/group", err, sizeof(err))) {
		nl_err("%s: refusing to run the command as root", err);
		return -1;
	}
	if (uid == 0)
		return 0;
	/* groups first, then gid, then uid: after setuid we could no longer change them */
	if (setgroups((size_t)ngroups, groups) || setgid(gid) || setuid(uid)) {
		nl_err("cannot switch to uid %u gid %u (from SUDO_UID/SUDO_GID): %s", (unsigned)uid,
		       (unsigned)gid, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) { /* must be impossible now */
		nl_err("could not drop root privileges");
		return -1;
	}
	return 0;
}

int nl_launch_output_file(const char *path, char *made, size_t madelen, char *err,
			  size_t errlen)
{
	gid_t groups[1];
	int ngroups = 1, fd;
	uid_t uid;
	gid_t gid;

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "cannot open '%s': %s", path, strerror(e));
			return -e;
		}
		snprintf(made, madelen, "%s", path);
	} else {
		const char *dir = getenv("TMPDIR");
		if (!dir || !*dir)
			dir = "/tmp";
		if (snprintf(made, madelen, "%s/numalens-cmd.XXXXXX", dir) >= (int)madelen) {
			snprintf(err, errlen, "TMPDIR '%s' is too long", dir);
			return -ENAMETOOLONG;
		}
		fd = mkostemp(made, O_CLOEXEC); /* O_EXCL, 0600: no other user's file or link */
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(e));
			return -e;
		}
	}
	/* The invoking user must be able to read (and delete) what their command wrote. */
	if (nl_sudo_identity(&uid, &gid, groups, &ngroups, "/dev/null", err, errlen) == 0 && uid &&
	    fchown(fd, uid, gid)) {
		int e = errno;
		snprintf(err, errlen, "cannot hand '%s' to uid %u: %s", made, (unsigned)uid,
			 strerror(e));
		close(fd);
		return -e;
	}
	err[0] = '\0';
	return fd;
}

/* In the child: stdin from /dev/null, stdout and stderr to out_fd. */
static int redirect_io(int out_fd)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		return -1;
	if (null != STDIN_FILENO)
		close(null);
	return 0;
}

int nl_launch_start(char *const argv[], int out_fd, struct nl_launch *l)
{
	int fds[2];
	pid_t pid;

	l->pid = 0;
	l->go_fd = -1;
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fflush(NULL); /* no buffered output duplicated into the child */
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		char go;
		close(fds[1]);
		/* EOF without the byte: the parent gave up (and said why) */
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		close(fds[0]);
		if (out_fd >= 0 && redirect_io(out_fd)) {
			nl_err("cannot redirect the command's output: %s", strerror(errno));
			_exit(127);
		}
		if (drop_to_sudo_user())
			_exit(127);
		execvp(argv[0], argv);
		nl_err("cannot run '%s': %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	l->pid = pid;
	l->go_fd = fds[1];
	return 0;
}

int nl_launch_go(struct nl_launch *l)
{
	int rc = 0;

	if (l->go_fd < 0)
		return -EINVAL;
	if (write(l->go_fd, "g", 1) != 1)
		rc = -errno;
	close(l->go_fd);
	l->go_fd = -1;
	return rc;
}

void nl_launch_abort(struct nl_launch *l)
{
	if (l->go_fd >= 0) {
		close(l->go_fd);
		l->go_fd = -1;
	}
	if (l->pid > 0) {
		while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
			;
		l->pid = 0;
	}
}

void nl_describe_wait_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}
