/* SPDX-License-Identifier: GPL-2.0 */
/* Which processes are followed: every process (target_tgid 0), one process, or one
 * process and every process it forks, and theirs (follow_children: `-- CMD`, or
 * `-p PID --children`, as `perf record -- CMD` follows a command's children). Included
 * by each BPF object; the set of followed processes is one map, owned by access.bpf.c
 * (its fork hook fills it, its free hook empties it) and shared with the others by user
 * space (bpf_map__reuse_fd), so every object follows the same processes.
 *
 * A child is followed from its fork, before it runs: sched_process_fork fires in
 * kernel_clone() after copy_process() and before wake_up_new_task(). Its key is taken
 * out when its leader is freed (sched_process_free of the task whose pid is its tgid,
 * after every thread of it was reaped), so a pid reused later is not followed. The
 * value is the leader's start time: the free comes an RCU grace period after the pid
 * itself was released (free_pid() at reaping, delayed_put_task_struct() later), and a
 * followed process forked meanwhile on the same pid must keep its key. */
#ifndef NL_FOLLOW_BPF_H
#define NL_FOLLOW_BPF_H

const volatile __u32 target_tgid = 0; /* 0 = every process */
const volatile bool follow_children = false;

/* tgid -> the leader's task_struct.start_time (0: any; the processes user space found
 * in /proc at start). Sized by user space (NL_MAX_FOLLOWED by default). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NL_MAX_FOLLOWED);
	__type(key, __u32);
	__type(value, __u64);
} followed SEC(".maps");

/* Is process tgid followed? With follow_children off the verifier drops the lookup
 * (rodata is frozen), so the one-process filter costs what it did. */
static __always_inline bool tgid_followed(__u32 tgid)
{
	if (!target_tgid || tgid == target_tgid)
		return true;
	return follow_children && bpf_map_lookup_elem(&followed, &tgid);
}

/* At sched_process_fork: a new process (not a thread: CLONE_THREAD keeps the tgid) of
 * a followed one is followed. Returns -1 when the map is full (the child's events are
 * then lost: the caller counts it). */
static __always_inline int follow_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u64 start = BPF_CORE_READ(child, start_time);

	if (!follow_children || ctgid == ptgid || !tgid_followed(ptgid))
		return 0;
	return bpf_map_update_elem(&followed, &ctgid, &start, BPF_ANY) ? -1 : 0;
}

/* At sched_process_free: a followed process's leader is gone for good. */
static __always_inline void follow_free(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);

	if (!follow_children || pid != tgid)
		return;
	__u64 *start = bpf_map_lookup_elem(&followed, &tgid);
	if (start && (!*start || *start == BPF_CORE_READ(p, start_time)))
		bpf_map_delete_elem(&followed, &tgid);
}

#endif
