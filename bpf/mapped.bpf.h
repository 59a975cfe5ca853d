/* SPDX-License-Identifier: GPL-2.0 */
/* Mapped faults: user faults that allocated no page, in a mapping whose page can be
 * known (page cache of a file, shared memory, hugetlb). The kernel has no tracepoint
 * where such a fault meets its page: a file fault maps page-cache pages by
 * filemap_map_pages() (fault-around) or finish_fault(), a hugetlb fault takes a page
 * from the pool (alloc_hugetlb_folio(), alloc_huge_page() before 6.3: commit
 * d0ce0e47b323 "mm/hugetlb: convert alloc_huge_page to folios"), and neither passes
 * mm_page_alloc. fentry could see them, but not on every kernel numalens runs on (the
 * development host refuses fentry), so the faulting address goes to user space, which
 * asks move_pages(2) for the node of the page mapped there (collect/mapped.c): the
 * same question the tests ask for ground truth.
 *
 * Which faults: the previous user fault of the thread, judged when the next one
 * starts (nl_fault_vma in access.bpf.c): by then it has finished, and whether it
 * allocated is known (counter mode: its count was charged; tracepoint mode: it is
 * still pending). Its mapping is looked up with bpf_find_vma() (5.17, commit
 * 7c7e3d31e785 "bpf: Introduce helper bpf_find_vma"): private anonymous memory is
 * never reported (a fault there that allocates nothing is a zero-page read, a
 * protection or an AutoNUMA hinting fault: not a page to resolve), so a hinting-fault
 * storm does not fill the ring. A thread's last fault before it exits is not judged
 * (the mapping is gone by sched_process_exit, after exit_mm()): it stays unresolved. */
#ifndef NL_MAPPED_BPF_H
#define NL_MAPPED_BPF_H

/* include/linux/mm.h, the same bits in 5.10, 6.1 and 6.18. */
#define NL_VM_SHARED 0x00000008UL
#define NL_VM_HUGETLB 0x00400000UL
/* include/uapi/asm-generic/errno-base.h (not in BTF) */
#define NL_EBUSY 16

/* Sized by user space (bytes, a power of two); the smallest when the source is off.
 * Read at each sample, never woken per event (BPF_RB_NO_WAKEUP): the cost DESIGN.md
 * measured for per-event wake-ups (1.9x) is not paid. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} mapped_ring SEC(".maps");

struct nl_vma_class {
	__u32 kind;  /* enum nl_vma_kind; 0: private anonymous */
	__u32 order; /* hugetlb page order */
};

/* A hugetlb mapping's page order: its file is on hugetlbfs (MAP_HUGETLB makes one on
 * the internal mount), whose superblock names the hstate (hstate_file(),
 * include/linux/hugetlb.h). Probe reads: 0 when the chain is not there. */
static __always_inline __u32 hugetlb_order(struct file *f)
{
	struct hugetlbfs_sb_info *sbi = BPF_CORE_READ(f, f_inode, i_sb, s_fs_info);

	return BPF_CORE_READ(sbi, hstate, order);
}

/* bpf_find_vma's callback: runs with the mmap lock held for reading. */
static long classify_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct nl_vma_class *c = data;
	unsigned long flags = nl_vma_flags(vma);
	struct file *f = BPF_CORE_READ(vma, vm_file);

	if (flags & NL_VM_HUGETLB) {
		c->kind = flags & NL_VM_SHARED ? NL_VMA_HUGETLB_SHARED : NL_VMA_HUGETLB_PRIVATE;
		c->order = hugetlb_order(f);
	} else if (f || (flags & NL_VM_SHARED)) {
		c->kind = NL_VMA_FILE;
	}
	return 0;
}

/* Reports the fault at addr of thread s (task), taken on cpu_node, that allocated no
 * page, and counts it in s->faults_reported. Returns the drop reason, or NL_DROP_MAX
 * when reported or not wanted (private anonymous). */
static __always_inline __u32 mapped_report(struct task_struct *task,
					   struct nl_thread_stats *s, __u64 addr,
					   __u32 cpu_node)
{
	struct nl_vma_class c = {};
	long err = bpf_find_vma(task, addr, classify_vma, &c, 0);

	/* -EBUSY: the mmap lock is contended, or (interrupts are off at page_fault_user)
	 * the per-CPU irq_work that drops it after the last lookup has not run yet, which
	 * on the 6.18 host happened for whole runs of faults: user space classifies those. */
	if (err == -NL_EBUSY)
		c.kind = NL_VMA_UNKNOWN;
	else if (err) /* -ENOENT: unmapped since */
		return NL_DROP_MAPPED_VMA;
	if (!c.kind)
		return NL_DROP_MAX;
	struct nl_mapped_event e = {
		.addr = addr, .tid = s->tid, .tgid = s->tgid, .cpu_node = cpu_node,
		.kind = (__u16)c.kind, .order = (__u16)c.order,
	};
	if (bpf_ringbuf_output(&mapped_ring, &e, sizeof(e), BPF_RB_NO_WAKEUP))
		return NL_DROP_MAPPED_RING;
	__sync_fetch_and_add(&s->faults_reported, 1);
	return NL_DROP_MAX;
}

#endif
