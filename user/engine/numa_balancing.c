/* kernel.numa_balancing for `prove` (see the header). Three layers put the original
 * value back: nl_nb_guard_restore() on every path numalens controls; a guardian process
 * for a numalens that is killed outright; and nl_nb_recover() at the next start, from
 * the state file, when the guardian was killed as well.
 *
 * The state file is also the lock: it is created with link(), which fails when the file
 * exists, so two numalens never both believe they hold the original value. */
#include "engine/numa_balancing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define NB_SYSCTL      "/proc/sys/kernel/numa_balancing"
#define NB_DEFAULT_DIR "/run/numalens"
#define NB_STATE_NAME  "numa_balancing.state"
#define NB_GUARD_COMM  "numalens-guard"
#define NB_PF_KTHREAD  0x00200000u /* PF_KTHREAD, include/linux/sched.h */
#define NB_LISTED      5           /* processes named by nl_nb_others */
/* A state file is five short lines; anything longer is not one of ours. */
#define NB_STATE_MAX   256

/* What the state file records: the value to put back and who changed it. A pid alone
 * may belong to an unrelated process by the time anyone looks; the start time (clock
 * ticks after boot, /proc/PID/stat field 22) makes the identity exact. */
struct nb_state {
	int original;
	pid_t pid;
	uint64_t pid_start;
	pid_t guardian; /* 0 until the guardian runs */
	uint64_t guardian_start;
};

struct nl_nb_guard {
	struct nb_state st;
	int wr; /* the pipe's write end: when it closes (we died) the guardian restores */
	char path[PATH_MAX];
	/* Prepared before the fork: the guardian may only make async-signal-safe calls. */
	char value[16];
	char done_msg[160];
	char fail_msg[200];
};

/* The fields of /proc/PID/stat we use. */
struct proc_info {
	pid_t ppid;
	char state;
	unsigned flags;
	uint64_t start;
	char comm[16];
};

/* Fills err and returns rc (a -errno), so that error paths stay one statement. */
__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int rc,
						       const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *state_dir(void)
{
	const char *dir = getenv("NUMALENS_STATE_DIR");

	return dir && *dir ? dir : NB_DEFAULT_DIR;
}

const char *nl_nb_state_path(void)
{
	static char path[PATH_MAX];

	/* An empty path makes every caller fail with ENAMETOOLONG instead of using a
	 * truncated one. */
	if (snprintf(path, sizeof(path), "%s/%s", state_dir(), NB_STATE_NAME) >= (int)sizeof(path))
		path[0] = '\0';
	return path;
}

int nl_nb_read(int *value)
{
	char *s = nl_read_file(NULL, NB_SYSCTL);
	int rc = 0;

	if (!s)
		return -errno;
	if (nl_parse_int(s, 0, INT_MAX, value))
		rc = -EINVAL;
	free(s);
	return rc;
}

/* Writes text into the sysctl. Async-signal-safe: the guardian calls it. */
static int write_sysctl(const char *text)
{
	int fd = open(NB_SYSCTL, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (nl_write_all(fd, text, strlen(text)))
		rc = -errno;
	/* proc reports a rejected value from write(), but check close() like any write */
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

int nl_nb_write(int value)
{
	char text[16];

	if (value < 0)
		return -EINVAL;
	snprintf(text, sizeof(text), "%d\n", value);
	return write_sysctl(text);
}

/* /proc/PID/stat is "pid (comm) state ppid ... flags(9) ... starttime(22) ...". comm
 * may hold blanks and parentheses, so the fields are counted after its last ')'. */
static int parse_proc_stat(char *s, struct proc_info *pi)
{
	char *lp = strchr(s, '('), *rp = strrchr(s, ')'), *tok, *save = NULL;
	int field = 3;
	uint64_t v;

	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -EINVAL;
	snprintf(pi->comm, sizeof(pi->comm), "%.*s", (int)(rp - lp - 1), lp + 1);
	for (tok = strtok_r(rp + 2, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field == 3) {
			pi->state = tok[0];
			continue;
		}
		if (field != 4 && field != 9 && field != 22)
			continue;
		if (nl_parse_u64(tok, &v))
			return -EINVAL;
		if (field == 4)
			pi->ppid = (pid_t)v;
		else if (field == 9)
			pi->flags = (unsigned)v;
		else {
			pi->start = v;
			return 0;
		}
	}
	return -EINVAL;
}

static int read_proc_stat(pid_t pid, struct proc_info *pi)
{
	char path[64], *s;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	s = nl_read_file(NULL, path);
	if (!s)
		return -errno;
	rc = parse_proc_stat(s, pi);
	free(s);
	return rc;
}

/* Is pid still the process that started at start? Not when it is gone, a newer process
 * under the same pid, or a zombie (its fds, the guardian's pipe among them, are closed).
 * When /proc cannot tell (no memory, no permission) it counts as alive: the caller
 * then leaves the value alone rather than undo the setting of a running numalens. */
static bool same_process_alive(pid_t pid, uint64_t start)
{
	struct proc_info pi;
	int rc;

	if (pid <= 0)
		return false;
	rc = read_proc_stat(pid, &pi);
	if (rc == -ENOENT || rc == -ESRCH)
		return false;
	if (rc)
		return true;
	return pi.start == start && pi.state != 'Z' && pi.state != 'X';
}

static bool state_owner_alive(const struct nb_state *st)
{
	return same_process_alive(st->pid, st->pid_start) ||
	       same_process_alive(st->guardian, st->guardian_start);
}

static int format_state(const struct nb_state *st, char *buf, size_t len)
{
	return snprintf(buf, len, "original=%d\npid=%d\npid_start=%llu\nguardian=%d\nguardian_start=%llu\n",
			st->original, (int)st->pid, (unsigned long long)st->pid_start,
			(int)st->guardian, (unsigned long long)st->guardian_start);
}

/* One "key=value" line of a state file into v[] (seen: the keys had so far). */
static int parse_state_line(char *line, uint64_t *v, unsigned *seen)
{
	static const char *const keys[] = { "original", "pid", "pid_start", "guardian",
					    "guardian_start" };
	char *eq = strchr(line, '=');

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	for (unsigned k = 0; k < NL_ARRAY_SIZE(keys); k++) {
		if (strcmp(line, keys[k]))
			continue;
		if (*seen & (1u << k) || nl_parse_u64(eq + 1, &v[k]))
			return -EINVAL;
		*seen |= 1u << k;
		return 0;
	}
	return -EINVAL;
}

/* Strict: the five keys, each once, numbers only. The file decides what root writes
 * into a sysctl, so anything else is reported, never guessed at. No malloc: the
 * guardian parses too. text is modified. */
static int parse_state(char *text, struct nb_state *st)
{
	uint64_t v[5];
	unsigned seen = 0;
	char *line, *rest = text;
	size_t n = strlen(text);

	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	while ((line = strsep(&rest, "\n")))
		if (parse_state_line(line, v, &seen))
			return -EINVAL;
	if (seen != 0x1f || v[0] > INT_MAX || v[1] < 1 || v[1] > INT_MAX || v[3] > INT_MAX)
		return -EINVAL;
	st->original = (int)v[0];
	st->pid = (pid_t)v[1];
	st->pid_start = v[2];
	st->guardian = (pid_t)v[3];
	st->guardian_start = v[4];
	return 0;
}

/* Reads a state file without malloc (the guardian uses it): 0, or -errno (-EINVAL:
 * not a state file). */
static int load_state(const char *path, struct nb_state *st)
{
	char text[NB_STATE_MAX + 1];
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, text + len, sizeof(text) - 1 - (size_t)len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += n;
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	/* A full buffer means the file is longer than any state file we write. */
	if (len == (ssize_t)sizeof(text) - 1)
		return -EINVAL;
	text[len] = '\0';
	return parse_state(text, st);
}

/* Writes st to path through a temporary file in the same directory, so a reader (the
 * guardian, a later numalens) sees the old file or the new one, never half of one.
 * exclusive: link() instead of rename(), which fails with EEXIST rather than replace
 * the state of another numalens. No fsync: /run is a tmpfs, and after a reboot the
 * sysctl is back at its boot value anyway. */
static int write_state(const char *path, const struct nb_state *st, bool exclusive)
{
	char tmp[PATH_MAX + 32], text[NB_STATE_MAX];
	int fd, rc = 0, n = format_state(st, text, sizeof(text));

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (nl_write_all(fd, text, (size_t)n))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && (exclusive ? link(tmp, path) : rename(tmp, path)))
		rc = -errno;
	if (exclusive || rc)
		unlink(tmp);
	return rc;
}

/* The state directory, made 0700 when missing. Its file decides what root writes into
 * a sysctl, so a directory that another user owns or can write into is refused. */
static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	int e;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		e = errno;
		return fail(err, errlen, -e, "cannot create %s: %s", dir, strerror(e));
	}
	if (lstat(dir, &st)) {
		e = errno;
		return fail(err, errlen, -e, "cannot use %s: %s", dir, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "%s is not a directory", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return fail(err, errlen, -EPERM, "%s is writable by others or not ours: refusing to keep state there", dir);
	return 0;
}

/* Field by field: the struct has padding that memcmp would compare too. */
static bool same_state(const struct nb_state *a, const struct nb_state *b)
{
	return a->original == b->original && a->pid == b->pid && a->pid_start == b->pid_start &&
	       a->guardian == b->guardian && a->guardian_start == b->guardian_start;
}

/* Puts a claimed state file back under its name. link() does not replace a state file
 * that a new numalens created meanwhile; if one did, ours is dropped (that numalens
 * read the value after our owner died, so it holds no setting of ours). */
static void unclaim(const char *claimed, const char *path)
{
	if (link(claimed, path) && errno != EEXIST)
		nl_warn("cannot put %s back as %s: %s", claimed, path, strerror(errno));
	unlink(claimed);
}

/* Restores st->original unless it is there already. 1 restored, 0 nothing to write. */
static int put_original_back(const struct nb_state *st, int *found)
{
	int rc = nl_nb_read(found);

	if (rc)
		return rc;
	if (*found == st->original)
		return 0;
	rc = nl_nb_write(st->original);
	return rc ? rc : 1;
}

/* The recovery proper, on a state file already renamed to claimed (so that one
 * numalens at a time does it). seen: what the file held before the rename. */
static int recover_claimed(const char *path, const char *claimed, const struct nb_state *seen,
			   char *msg, size_t len)
{
	struct nb_state st;
	int rc, found = -1;

	/* Between our look and our rename another numalens may have recovered the file
	 * and a new one created its own: that one is alive and not ours to undo. */
	if (load_state(claimed, &st) || !same_state(&st, seen)) {
		unclaim(claimed, path);
		return 0;
	}
	rc = put_original_back(&st, &found);
	if (rc < 0) {
		unclaim(claimed, path); /* the next start tries again */
		return fail(msg, len, rc, "cannot restore kernel.numa_balancing=%d left by numalens pid %d: %s; run: sysctl -w kernel.numa_balancing=%d",
			    st.original, (int)st.pid, strerror(-rc), st.original);
	}
	unlink(claimed);
	if (rc == 0)
		return fail(msg, len, 0, "removed %s of numalens pid %d that did not finish (kernel.numa_balancing was %d already)",
			    path, (int)st.pid, found);
	return fail(msg, len, 1, "restored kernel.numa_balancing=%d left at %d by numalens pid %d that did not finish",
		    st.original, found, (int)st.pid);
}

int nl_nb_recover(char *msg, size_t len)
{
	const char *path = nl_nb_state_path();
	char claimed[PATH_MAX + 32];
	struct nb_state st;
	int rc;

	if (len)
		msg[0] = '\0';
	if (!*path)
		return fail(msg, len, -ENAMETOOLONG, "NUMALENS_STATE_DIR is too long");
	rc = load_state(path, &st);
	if (rc == -ENOENT)
		return 0;
	if (rc == -EINVAL)
		return fail(msg, len, rc, "%s is not a numalens state file (original=, pid=, pid_start=, guardian=, guardian_start=): check kernel.numa_balancing, then remove it",
			    path);
	if (rc)
		return fail(msg, len, rc, "cannot read %s: %s", path, strerror(-rc));
	if (state_owner_alive(&st))
		return fail(msg, len, 0, "numalens pid %d or its guardian still runs", (int)st.pid);
	if (snprintf(claimed, sizeof(claimed), "%s.recover.%d", path, (int)getpid()) >= (int)sizeof(claimed))
		return fail(msg, len, -ENAMETOOLONG, "NUMALENS_STATE_DIR is too long");
	if (rename(path, claimed)) {
		rc = -errno;
		if (rc == -ENOENT) /* another numalens recovered it first */
			return 0;
		return fail(msg, len, rc, "cannot claim %s: %s", path, strerror(-rc));
	}
	return recover_claimed(path, claimed, &st, msg, len);
}

/* Ignores what a terminal or a kill of the process group sends: Ctrl-C reaches the
 * guardian along with numalens, and the guardian must outlive numalens to restore. */
static void ignore_group_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
				    SIGPIPE };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < NL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Keeps stderr (for one line when it restores) and the pipe, as fd 3. Every other fd of
 * numalens (BPF objects, perf events, trace files, the terminal as stdin and stdout)
 * would otherwise stay open as long as the guardian runs. */
static int keep_only_pipe(int rd)
{
	struct rlimit rl;

	if (rd != 3) {
		if (dup2(rd, 3) < 0)
			return -1;
		close(rd);
	}
	close(0);
	close(1);
	if (close_range(4, ~0u, 0) == 0)
		return 3;
	/* kernels before 5.9 */
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	for (rlim_t fd = 4; fd < rl.rlim_cur; fd++)
		close((int)fd);
	return 3;
}

/* Removes the state file if it is still the one our owner wrote (the owner may have
 * removed it while restoring, and a new numalens may have written its own since). */
static void remove_state_of(const char *path, pid_t owner)
{
	struct nb_state st;

	if (load_state(path, &st) == 0 && st.pid == owner)
		unlink(path);
}

/* The guardian: waits until numalens writes 'R' (the value is back: exit) or dies (EOF:
 * the last holder of the write end is gone, whatever killed it), then writes the
 * original value back. Forked from a process that may have threads: only
 * async-signal-safe calls from here on (no malloc, no stdio). No PR_SET_PDEATHSIG: it
 * fires when the forking thread ends, which is not numalens ending. */
__attribute__((noreturn)) static void guardian_main(const struct nl_nb_guard *g, int rd)
{
	ssize_t n;
	char c;

	ignore_group_signals();
	prctl(PR_SET_NAME, NB_GUARD_COMM, 0, 0, 0);
	rd = keep_only_pipe(rd);
	if (rd < 0)
		_exit(2);
	for (;;) {
		n = read(rd, &c, 1);
		if (n == 1 && c == 'R')
			_exit(0);
		if (n == 0 || (n < 0 && errno != EINTR))
			break; /* EOF, or an error we cannot wait through: restoring is the safe side */
	}
	if (write_sysctl(g->value)) {
		/* the state file stays: the next numalens start tries again */
		nl_write_all(2, g->fail_msg, strlen(g->fail_msg));
		_exit(1);
	}
	remove_state_of(g->path, g->st.pid);
	nl_write_all(2, g->done_msg, strlen(g->done_msg));
	_exit(0);
}

/* Writes c to the guardian without dying of SIGPIPE if someone killed it: SIGPIPE is
 * blocked for the write and a pending one taken back. */
static void tell_guardian(int wr, char c)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if (nl_write_all(wr, &c, 1) && errno == EPIPE && !sigismember(&old, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Tells the guardian the value is back (it exits without writing) and reaps it. */
static void stop_guardian(struct nl_nb_guard *g)
{
	if (g->wr >= 0) {
		tell_guardian(g->wr, 'R');
		close(g->wr);
		g->wr = -1;
	}
	/* ECHILD: the caller reaps every child itself, or ignores SIGCHLD */
	if (g->st.guardian > 0)
		while (waitpid(g->st.guardian, NULL, 0) < 0 && errno == EINTR)
			;
	g->st.guardian = 0;
}

static int start_guardian(struct nl_nb_guard *g, char *err, size_t errlen)
{
	struct proc_info pi;
	int fds[2], rc;
	pid_t pid;

	/* O_CLOEXEC: a command numalens runs must not hold the write end, or numalens
	 * dying would not close it */
	if (pipe2(fds, O_CLOEXEC)) {
		rc = -errno;
		return fail(err, errlen, rc, "cannot create the guardian's pipe: %s", strerror(-rc));
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return fail(err, errlen, rc, "cannot start the guardian: %s", strerror(-rc));
	}
	if (pid == 0) {
		close(fds[1]);
		guardian_main(g, fds[0]);
	}
	close(fds[0]);
	g->wr = fds[1];
	g->st.guardian = pid;
	rc = read_proc_stat(pid, &pi);
	if (rc) {
		stop_guardian(g);
		return fail(err, errlen, rc, "cannot read the guardian's /proc/%d/stat: %s", (int)pid,
			    strerror(-rc));
	}
	g->st.guardian_start = pi.start;
	return 0;
}

/* The messages the guardian writes, formatted now: it cannot call snprintf. */
static void prepare_guardian_text(struct nl_nb_guard *g)
{
	int v = g->st.original, pid = (int)g->st.pid;

	snprintf(g->value, sizeof(g->value), "%d\n", v);
	snprintf(g->done_msg, sizeof(g->done_msg),
		 "numalens: restored kernel.numa_balancing=%d after numalens pid %d ended without restoring it\n",
		 v, pid);
	snprintf(g->fail_msg, sizeof(g->fail_msg),
		 "numalens: numalens pid %d ended, and kernel.numa_balancing=%d could not be restored; run: sysctl -w kernel.numa_balancing=%d\n",
		 pid, v, v);
}

/* The original value and who we are, into a state file no one else holds. */
static int claim_state(struct nl_nb_guard *g, char *err, size_t errlen)
{
	struct proc_info self;
	struct nb_state other;
	int rc, now;

	rc = nl_nb_read(&g->st.original);
	if (rc == -ENOENT)
		return fail(err, errlen, rc, "this kernel has no NUMA balancing (no %s)", NB_SYSCTL);
	if (rc)
		return fail(err, errlen, rc, "cannot read %s: %s", NB_SYSCTL, strerror(-rc));
	g->st.pid = getpid();
	rc = read_proc_stat(g->st.pid, &self);
	if (rc)
		return fail(err, errlen, rc, "cannot read /proc/self/stat: %s", strerror(-rc));
	g->st.pid_start = self.start;
	rc = write_state(g->path, &g->st, true);
	if (rc == -EEXIST && load_state(g->path, &other) == 0)
		return fail(err, errlen, -EBUSY, "numalens pid %d is changing kernel.numa_balancing already (%s)",
			    (int)other.pid, g->path);
	if (rc)
		return fail(err, errlen, rc, "cannot write %s: %s", g->path, strerror(-rc));
	/* Another numalens may have set the value between our read and our link, then
	 * restored it and removed its file: we would take its setting for the original.
	 * Now that no one else can claim, the value must still be the one we read. */
	rc = nl_nb_read(&now);
	if (rc || now != g->st.original) {
		unlink(g->path);
		return fail(err, errlen, rc ? rc : -EAGAIN, "kernel.numa_balancing changed while numalens started (another numalens?): run again");
	}
	return 0;
}

int nl_nb_guard_start(struct nl_nb_guard **out, char *err, size_t errlen)
{
	struct nl_nb_guard *g;
	char msg[512];
	int rc;

	*out = NULL;
	/* A value left by a numalens that was killed together with its guardian goes back
	 * first, or we would take it for the original. */
	rc = nl_nb_recover(msg, sizeof(msg));
	if (rc < 0)
		return fail(err, errlen, rc, "%s", msg);
	if (rc > 0)
		nl_warn("%s", msg);
	g = calloc(1, sizeof(*g));
	if (!g)
		return fail(err, errlen, -ENOMEM, "out of memory");
	g->wr = -1;
	rc = -ENAMETOOLONG;
	if (snprintf(g->path, sizeof(g->path), "%s", nl_nb_state_path()) >= (int)sizeof(g->path) ||
	    !g->path[0]) {
		fail(err, errlen, rc, "NUMALENS_STATE_DIR is too long");
		goto cleanup;
	}
	rc = ensure_dir(state_dir(), err, errlen);
	if (rc)
		goto cleanup;
	rc = claim_state(g, err, errlen);
	if (rc)
		goto cleanup;
	prepare_guardian_text(g);
	rc = start_guardian(g, err, errlen);
	if (rc)
		goto unlink_state;
	rc = write_state(g->path, &g->st, false);
	if (rc) {
		fail(err, errlen, rc, "cannot write %s: %s", g->path, strerror(-rc));
		goto stop;
	}
	*out = g;
	return 0;
stop:
	stop_guardian(g);
unlink_state:
	unlink(g->path);
cleanup:
	free(g);
	return rc;
}

int nl_nb_guard_set(struct nl_nb_guard *g, int value)
{
	if (!g)
		return -EINVAL;
	return nl_nb_write(value);
}

int nl_nb_guard_original(const struct nl_nb_guard *g)
{
	return g ? g->st.original : -1;
}

int nl_nb_guard_restore(struct nl_nb_guard *g, char *err, size_t errlen)
{
	int rc;

	if (!g)
		return 0;
	rc = write_sysctl(g->value);
	if (rc)
		fail(err, errlen, rc, "cannot restore kernel.numa_balancing=%d: %s; run: sysctl -w kernel.numa_balancing=%d",
		     g->st.original, strerror(-rc), g->st.original);
	else
		/* Before the guardian stops: if we are killed in between, it restores again
		 * (harmless) rather than leave a state file that names a dead owner. When the
		 * write failed the file stays, and the next numalens start tries again. */
		unlink(g->path);
	stop_guardian(g);
	free(g);
	return rc;
}

/* ---- nl_nb_others ---- */

struct proc_entry {
	pid_t pid, ppid;
	unsigned long rss_kb;
	bool excluded;
	char comm[16];
};

/* Resident set in kB: /proc/PID/statm's second field (pages), the same count as
 * VmRSS in /proc/PID/status. 0 when unreadable (the process is gone). */
static unsigned long read_rss_kb(pid_t pid)
{
	char path[64], *s;
	unsigned long pages = 0;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	s = nl_read_file(NULL, path);
	if (!s)
		return 0;
	if (sscanf(s, "%*u %lu", &pages) != 1)
		pages = 0;
	free(s);
	return pages * (unsigned long)(sysconf(_SC_PAGESIZE) / 1024);
}

/* One /proc entry into v (grown as needed). Kernel threads (PF_KTHREAD) and zombies
 * have no memory of their own to move: excluded. */
static int add_proc(pid_t pid, struct proc_entry **v, size_t *n, size_t *cap)
{
	struct proc_info pi;
	struct proc_entry *e;

	if (read_proc_stat(pid, &pi))
		return 0; /* gone since readdir */
	if (nl_grow(v, cap, *n, sizeof(**v)))
		return -ENOMEM;
	e = &(*v)[(*n)++];
	e->pid = pid;
	e->ppid = pi.ppid;
	e->excluded = (pi.flags & NB_PF_KTHREAD) || pi.state == 'Z' || pi.state == 'X' ||
		      !strcmp(pi.comm, NB_GUARD_COMM);
	e->rss_kb = e->excluded ? 0 : read_rss_kb(pid);
	snprintf(e->comm, sizeof(e->comm), "%s", pi.comm);
	return 0;
}

static int scan_procs(struct proc_entry **out, size_t *count)
{
	struct proc_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	uint64_t pid;
	int rc = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (nl_parse_u64(de->d_name, &pid) || pid > INT_MAX)
			continue;
		rc = add_proc((pid_t)pid, &v, &n, &cap);
		if (rc)
			goto cleanup;
	}
	*out = v;
	*count = n;
	v = NULL;
cleanup:
	free(v);
	closedir(d);
	return rc;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_rss_desc(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return (x->rss_kb < y->rss_kb) - (x->rss_kb > y->rss_kb);
}

static struct proc_entry *find_proc(struct proc_entry *v, size_t n, pid_t pid)
{
	struct proc_entry key = { .pid = pid };

	return bsearch(&key, v, n, sizeof(*v), cmp_pid);
}

/* Does pid's parent chain reach self? Bounded by n steps: a table read while processes
 * come and go may hold a cycle (a pid reused by a child of its own descendant). */
static bool descends_from(struct proc_entry *v, size_t n, pid_t pid, pid_t self)
{
	struct proc_entry *e;

	for (size_t steps = 0; pid > 0 && steps <= n; steps++) {
		if (pid == self)
			return true;
		e = find_proc(v, n, pid);
		if (!e)
			return false;
		pid = e->ppid;
	}
	return false;
}

/* Excludes us, our descendants (the command under test, the guardian) and our
 * ancestors (the shell and whatever started it): the flip is what we do to them on
 * purpose or what they asked for. v is sorted by pid. */
static void exclude_family(struct proc_entry *v, size_t n, pid_t self)
{
	struct proc_entry *e;
	pid_t pid = self;

	for (size_t i = 0; i < n; i++)
		if (descends_from(v, n, v[i].pid, self))
			v[i].excluded = true;
	for (size_t steps = 0; pid > 0 && steps <= n && (e = find_proc(v, n, pid)); steps++) {
		e->excluded = true;
		pid = e->ppid;
	}
}

/* "PID comm (N MiB), ..." of the first shown entries of v (sorted, largest first). */
static void format_others(const struct proc_entry *v, int shown, char *buf, size_t len)
{
	size_t used = 0;
	int w;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < shown && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%d %s (%lu MiB)", i ? ", " : "", (int)v[i].pid,
			     v[i].comm, (v[i].rss_kb + 512) / 1024);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int nl_nb_others(unsigned long min_rss_kb, char *buf, size_t len)
{
	struct proc_entry *v = NULL;
	size_t n = 0, kept = 0;
	int rc;

	if (len)
		buf[0] = '\0';
	rc = scan_procs(&v, &n);
	if (rc)
		return rc;
	qsort(v, n, sizeof(*v), cmp_pid);
	exclude_family(v, n, getpid());
	for (size_t i = 0; i < n; i++)
		if (!v[i].excluded && v[i].rss_kb >= min_rss_kb)
			v[kept++] = v[i];
	qsort(v, kept, sizeof(*v), cmp_rss_desc);
	format_others(v, kept < NB_LISTED ? (int)kept : NB_LISTED, buf, len);
	free(v);
	return kept > INT_MAX ? INT_MAX : (int)kept;
}
