/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-version and config differences, in one place. Each shim says why it exists.
 * Checked against the BTF of 6.18 (vmlinux/x86/vmlinux.h) and of Debian's
 * 6.1.0-cloud-amd64 (the NUMA guest); loaded in Debian 11's 5.10.0-cloud-amd64 too. */
#ifndef NL_COMPAT_BPF_H
#define NL_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* task_struct.in_user_fault is set by mem_cgroup_enter_user_fault() around
 * __handle_mm_fault() for FAULT_FLAG_USER faults (mm/memory.c handle_mm_fault(), same
 * in 6.1 and 6.18) and exists only with CONFIG_MEMCG. It is how a page allocation is
 * tied to the user fault in progress: x86 sets FAULT_FLAG_USER exactly when
 * user_mode(regs), which is also when page_fault_user fires, so syscalls and
 * kernel-mode faults on user addresses (copy_to_user) never match. Without MEMCG
 * we fall back to the per-thread pending flag alone (returns -1: unknown). Since 6.11
 * the field needs CONFIG_MEMCG_V1 too (Roman Gushchin's "mm: memcg: introduce
 * CONFIG_MEMCG_V1"), which Debian's 6.12 and 7.x kernels leave off. */
struct task_struct___memcg {
	unsigned int in_user_fault : 1;
} __attribute__((preserve_access_index));

static __always_inline int nl_task_in_user_fault(struct task_struct *t, bool probe_read)
{
	struct task_struct___memcg *m = (void *)t;

	if (!bpf_core_field_exists(m->in_user_fault))
		return -1;
	/* A direct load needs t to be a BTF pointer; a plain address (nl_current_task())
	 * is read with bpf_probe_read_kernel. */
	if (probe_read)
		return BPF_CORE_READ_BITFIELD_PROBED(m, in_user_fault);
	return BPF_CORE_READ_BITFIELD(m, in_user_fault);
}

/* task_cpu(): thread_info.cpu since 5.16 (CONFIG_THREAD_INFO_IN_TASK, x86 always),
 * task_struct.cpu before. Both 6.1 and 6.18 have thread_info.cpu; the old layout is
 * kept so the program still loads on 5.x. */
struct task_struct___cpu_old {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 nl_task_cpu(struct task_struct *t)
{
	if (bpf_core_field_exists(t->thread_info.cpu))
		return BPF_CORE_READ(t, thread_info.cpu);
	return BPF_CORE_READ((struct task_struct___cpu_old *)t, cpu);
}

/* page->flags: an unsigned long up to 6.16 (6.1 here), memdesc_flags_t, a struct
 * holding `unsigned long f`, since 6.17 (6.18 here). The bits are the same. Read with
 * a plain load: the caller is a tp_btf program whose struct page * the verifier knows,
 * so the load is a fault-safe BTF access, cheaper than bpf_probe_read_kernel. The
 * caller checks page for NULL (mm_page_alloc fires with NULL when the allocation
 * failed). */
struct page___memdesc {
	struct {
		unsigned long f;
	} flags;
} __attribute__((preserve_access_index));

struct page___ulong {
	unsigned long flags;
} __attribute__((preserve_access_index));

static __always_inline __u64 nl_page_flags(struct page *page)
{
	struct page___memdesc *m = (void *)page;
	struct page___ulong *u = (void *)page;

	if (bpf_core_field_exists(m->flags.f))
		return m->flags.f;
	return u->flags;
}

/* The same through bpf_probe_read_kernel, for a pointer the verifier does not know as
 * a struct page (a kprobe argument, or a struct folio cast: a folio begins with its
 * first page's flags). */
static __always_inline __u64 nl_page_flags_read(struct page *page)
{
	struct page___memdesc *m = (void *)page;
	struct page___ulong *u = (void *)page;

	if (bpf_core_field_exists(m->flags.f))
		return BPF_CORE_READ(m, flags.f);
	return BPF_CORE_READ(u, flags);
}

/* NL_MIGRATE_CHECK: where a hinting fault is counted (numa_hint_faults in /proc/vmstat)
 * and its page's node is known. Up to 6.11 numa_migrate_prep(page|folio, vma, addr,
 * page_nid, flags), page_nid an argument; Zi Yan's "mm/migrate: move common code to
 * numa_migrate_check() (was numa_migrate_prep())" (6.12) renamed it
 * numa_migrate_check(folio, vmf, addr, flags, writable, last_cpupid), and the node is
 * folio_nid(folio). autonuma.bpf.c has a program for each; user space loads the one
 * whose function this kernel has (collect/autonuma.c, migrate_hook()). */

/* AutoNUMA (bpf/autonuma.bpf.c): task_struct's NUMA-balancing fields exist only with
 * CONFIG_NUMA_BALANCING (set in Debian's 6.1 cloud kernel and in 6.18 here). Without
 * it there are no hinting faults at all, so "absent" reads as NULL / 0. The fields
 * and their meaning are the same in 6.1 and 6.18 (include/linux/sched.h):
 * numa_faults is NULL until the task's first hinting fault. */
static __always_inline unsigned long *nl_task_numa_faults(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->numa_faults))
		return NULL;
	return BPF_CORE_READ(t, numa_faults);
}

static __always_inline int nl_task_numa_scan_seq(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->numa_scan_seq))
		return 0;
	return BPF_CORE_READ(t, numa_scan_seq);
}

static __always_inline __u64 nl_task_numa_pages_migrated(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->numa_pages_migrated))
		return 0;
	return BPF_CORE_READ(t, numa_pages_migrated);
}

/* A task's run state: task_struct.__state since 5.14 (commit 2f064a59a11f "sched:
 * Change task_struct::state", which renamed it to catch unlocked readers), .state
 * before. 0 is TASK_RUNNING in both. */
struct task_struct___state_old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long nl_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___state_old *)t, state);
}

/* The number of the system call a pt_regs belongs to, at sys_exit (sys_enter gets it as
 * an argument): orig_ax on x86 (arch/x86/include/asm/syscall.h syscall_get_nr), syscallno
 * on arm64 (arch/arm64/include/asm/syscall.h). The same in every kernel since 4.x. */
static __always_inline long nl_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
	return BPF_CORE_READ(regs, orig_ax);
#endif
}

/* The current task for code that reads it only through BPF_CORE_READ (probe reads).
 * bpf_get_current_task_btf() arrived in 5.11 (commit 3ca1032ab7ab "bpf: Add
 * bpf_get_current_task_btf helper"); bpf_get_current_task() (4.8) gives the same
 * address as a plain number on every kernel. The BTF pointer is needed only for direct
 * loads and for the task storage helpers (nl_task_state_* below). */
static __always_inline struct task_struct *nl_current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Per-thread state attached to a task. Task local storage (BPF_MAP_TYPE_TASK_STORAGE,
 * commit 4cf1bc1f1045 "bpf: Implement task local storage", 5.11) with
 * bpf_task_storage_get/delete is usable from tracing programs only since 5.12 (commit
 * a10787e6d58c "bpf: Enable task local storage for tracing programs"), and its helpers
 * want the BTF task pointer of bpf_get_current_task_btf() (5.11). On older kernels
 * (Debian 11's 5.10) user space turns the same map into a preallocated
 * BPF_MAP_TYPE_HASH keyed by tid before load (bpf_map__set_type) and sets the object's
 * by_tid switch. The switch is a const volatile in .rodata, frozen at load: the
 * verifier follows only the branch this kernel can run and removes the other as dead
 * code before it resolves helpers (kernel/bpf/verifier.c opt_remove_dead_code, 5.2),
 * so the 5.11/5.12 helpers never meet a kernel that lacks them. By tid, an entry is
 * deleted at the thread's exit (sched_process_exit) so a reused tid starts afresh, a
 * non-leader exec's tid change (de_thread() gives it the leader's) is followed at
 * sched_process_exec, and a full map is a counted loss (the caller's), never silent. */
/* A VMA's flags. Since 6.3 (commit bc292ab00f6c "mm: introduce vma->vm_flags wrapper
 * functions") vm_flags is a const member of an anonymous union with __vm_flags; before,
 * a plain member. CO-RE matches the field by name through the anonymous union, so one
 * probe read serves both (mapped.bpf.h; bpf_find_vma() exists only from 5.17). */
static __always_inline unsigned long nl_vma_flags(struct vm_area_struct *vma)
{
	return BPF_CORE_READ(vma, vm_flags);
}

static __always_inline struct task_struct *nl_task_current(bool by_tid)
{
	if (by_tid)
		return nl_current_task();
	return bpf_get_current_task_btf();
}

static __always_inline void *nl_task_state_get(void *map, bool by_tid, struct task_struct *t)
{
	if (by_tid) {
		__u32 tid = BPF_CORE_READ(t, pid);

		return bpf_map_lookup_elem(map, &tid);
	}
	return bpf_task_storage_get(map, t, 0, 0);
}

/* The entry of t, created from zero (a map value or .rodata: too big for the stack)
 * when missing; NULL when it cannot be created (the map is full). */
static __always_inline void *nl_task_state_create(void *map, bool by_tid, struct task_struct *t,
						  const void *zero)
{
	if (by_tid) {
		__u32 tid = BPF_CORE_READ(t, pid);

		/* NOEXIST: another CPU may have created it meanwhile; the lookup tells. */
		bpf_map_update_elem(map, &tid, zero, BPF_NOEXIST);
		return bpf_map_lookup_elem(map, &tid);
	}
	return bpf_task_storage_get(map, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void nl_task_state_delete(void *map, bool by_tid, struct task_struct *t)
{
	if (by_tid) {
		__u32 tid = BPF_CORE_READ(t, pid);

		bpf_map_delete_elem(map, &tid);
		return;
	}
	bpf_task_storage_delete(map, t);
}

/* The user registers of the current task, for DWARF-mode stacks: bpf_task_pt_regs()
 * arrived in 5.15 (commit dd6e10fbd9fb "bpf: Add bpf_task_pt_regs() helper"). Before
 * it a tracing program at a page allocation has no way to the user registers but
 * task_pt_regs() arithmetic on the kernel stack, which differs by arch and config; so
 * user space checks the helper (collect/access.c) and keeps frame-pointer stacks
 * there, and with stack_mode frozen to NL_STACK_FP the verifier never walks the call.
 * x86-64 only: the DWARF register numbers are the x86-64 psABI's. */
#if defined(__TARGET_ARCH_x86)
#define NL_HAVE_DWARF_REGS 1
static __always_inline bool nl_user_regs_dwarf(__u64 *out)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if (!r)
		return false;
	out[0] = r->ax;
	out[1] = r->dx;
	out[2] = r->cx;
	out[3] = r->bx;
	out[4] = r->si;
	out[5] = r->di;
	out[6] = r->bp;
	out[7] = r->sp;
	out[8] = r->r8;
	out[9] = r->r9;
	out[10] = r->r10;
	out[11] = r->r11;
	out[12] = r->r12;
	out[13] = r->r13;
	out[14] = r->r14;
	out[15] = r->r15;
	out[16] = r->ip;
	return true;
}
#else
#define NL_HAVE_DWARF_REGS 0
static __always_inline bool nl_user_regs_dwarf(__u64 *out)
{
	return false;
}
#endif

/* Where an arm64 swap pte (a migration entry's too) keeps the swap offset, which for a
 * migration entry is the pfn (bpf/autonuma.bpf.c, swp_pte_pfn()). Up to 6.9 the
 * offset sat above the type at bit 8 (type bits 2-7 in 6.1, 3-7 since 6.3 under
 * PTE_SWP_EXCLUSIVE at bit 2); Ryan Roberts's "arm64/mm: Move PTE_PRESENT_INVALID to
 * overlay PTE_NG" (6.10: the series "arm64/mm: Enable userfaultfd write-protect",
 * merged with its last patch, 5b32510af77b "arm64/mm: Add uffd write-protect support")
 * moved the type to bits 6-10 and the offset to bits 12-61. Nothing in BTF tells the
 * two layouts apart (they are macros), so the kernel version does: libbpf fills
 * LINUX_KERNEL_VERSION from the running kernel. Debian's arm64 6.1 decodes with 8, its
 * 6.12 with 12 (with 8 every migration pte of 6.12 missed its node and was dropped:
 * no from -> to at all, two lost events per migrated page). */
#if defined(__TARGET_ARCH_arm64)
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

static __always_inline __u32 nl_arm64_swp_offset_shift(void)
{
	return LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 10, 0) ? 12 : 8;
}
#endif

#endif
