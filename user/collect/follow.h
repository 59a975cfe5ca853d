/* The processes followed besides the target: its forked children and theirs
 * (bpf/follow.bpf.h keeps the set in a map; the fork hook adds to it). */
#ifndef NL_FOLLOW_H
#define NL_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

/* Adds to the followed map (fd) every process under root/proc (root "/" or NULL: the
 * real system) that descends from process tgid, by PPid. Called after the fork hook is
 * attached, so a process forked meanwhile is added by the hook and one forked before by
 * this walk. A process that exits during the walk is skipped. *added gets the count.
 * Returns 0, or -errno (unreadable /proc, out of memory, the map full: -E2BIG). */
int nl_follow_descendants(const char *root, int map_fd, uint32_t tgid, size_t *added);

#endif
