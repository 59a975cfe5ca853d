/* kernel.numa_balancing for `prove`: read, set, and put back however numalens ends.
 * Normal end, error and signals restore through nl_nb_guard_restore(); SIGKILL of
 * numalens through a guardian process that restores when its parent's pipe closes;
 * and if even the guardian died, the next numalens start restores from the state
 * file (nl_nb_recover). */
#ifndef NL_ENGINE_NUMA_BALANCING_H
#define NL_ENGINE_NUMA_BALANCING_H

#include <stddef.h>

/* The state file: $NUMALENS_STATE_DIR/numa_balancing.state, default
 * /run/numalens/numa_balancing.state. It holds the original value and the pid of the
 * numalens that changed it and of its guardian, each with its start time (a pid alone
 * may have been reused): "original=1\npid=..\npid_start=..\nguardian=..\n
 * guardian_start=..\n". While it exists no other numalens starts a guard. */
const char *nl_nb_state_path(void);

/* kernel.numa_balancing (/proc/sys/kernel/numa_balancing): 0 and the value, or
 * -errno (-ENOENT: the kernel has no NUMA balancing). */
int nl_nb_read(int *value);
int nl_nb_write(int value);

/* A state file left by a numalens that is gone (and its guardian too): writes the
 * original value back and removes the file. 0: nothing to do (or its owner still
 * runs), 1: restored (msg says what), < 0 error (msg says what). */
int nl_nb_recover(char *msg, size_t len);

struct nl_nb_guard;

/* Recovers a state file left behind (nl_nb_recover; a warning says what it restored),
 * reads the current value as the original, writes the state file, starts the
 * guardian. 0 or -errno with err filled (-EBUSY: another numalens holds the guard). */
int nl_nb_guard_start(struct nl_nb_guard **out, char *err, size_t errlen);
/* Sets kernel.numa_balancing (the guardian restores the original if we die). */
int nl_nb_guard_set(struct nl_nb_guard *g, int value);
int nl_nb_guard_original(const struct nl_nb_guard *g);
/* Writes the original back, stops the guardian, removes the state file, frees g.
 * 0 or -errno (the value could not be written back: the message says what to run). */
int nl_nb_guard_restore(struct nl_nb_guard *g, char *err, size_t errlen);

/* Processes a system-wide flip could affect: not kernel threads, not numalens or its
 * ancestors or its own children, resident set at least min_rss_kb. Writes up to a few
 * "PID comm (N MiB)" into buf (comma-separated) and returns how many there are, or
 * -errno. */
int nl_nb_others(unsigned long min_rss_kb, char *buf, size_t len);

#endif
