/* Kernel features (named kfeatures.h: a user/features.h would shadow glibc's <features.h>
 * on the -Iuser include path). What this kernel and this process can do, probed
 * before the BPF object is loaded so the collector can pick programs and say why a source is off. */
#ifndef NL_KFEATURES_H
#define NL_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

struct btf;

/* Root, or both CAP_BPF and CAP_PERFMON effective (CAP_SYS_ADMIN also does on kernels
 * that predate CAP_BPF). */
bool nl_have_bpf_privileges(void);

/* /sys/kernel/btf/vmlinux exists. */
bool nl_have_kernel_btf(void);

/* The raw tracepoint a tp_btf program would attach to exists in the kernel BTF
 * ("btf_trace_<name>" typedef). vmlinux_btf may be NULL (then false). */
bool nl_have_btf_tracepoint(const struct btf *vmlinux_btf, const char *name);

/* struct sname has a member (or bitfield) mname in the kernel BTF. vmlinux_btf may
 * be NULL (then false). */
bool nl_btf_has_member(const struct btf *vmlinux_btf, const char *sname, const char *mname);

/* Makes sure tracefs has events/<category>/<name> (classic tracepoints are attached
 * by their tracefs id). Mounts tracefs on /sys/kernel/tracing when no tracefs is
 * mounted, as perf and bpftrace need too. Returns 0, or -1 with a reason in why. */
int nl_ensure_tracefs_event(const char *category, const char *name, char *why, size_t len);

/* The running kernel's build configuration, from where libbpf looks for it for
 * __kconfig externs: /boot/config-$(uname -r), then /proc/config.gz (gzip or plain
 * text). For each names[i] ("CONFIG_NODES_SHIFT"), values[i] gets the text after '='
 * ("10", "y"), or "" when the option is not set. Returns 0 with the file's path in
 * src, or -1 when neither file is readable (values untouched). */
int nl_kconfig_read(const char *const *names, int n, char (*values)[32], char *src,
		    size_t srclen);

/* enum migrate_reason and enum tlb_flush_reason names of this kernel ("MR_NUMA_MISPLACED"
 * -> "numa_misplaced"), over the defaults of nl_enum_names_default, so a reordered enum
 * cannot mislabel anything and a trace carries its own kernel's names. */
void nl_kernel_enum_names(const struct btf *vmlinux_btf, struct nl_enum_names *out);

/* Tracing programs can keep per-thread state in task local storage: the map type
 * (5.11), bpf_task_storage_get/delete from tracing programs (5.12) and
 * bpf_get_current_task_btf (5.11), probed by loading tiny programs. false with the
 * missing piece in why. */
bool nl_have_task_storage(char *why, size_t len);

/* Tracing programs can read a task's user registers: bpf_task_pt_regs (5.15, commit
 * dd6e10fbd9fb), probed by loading a tiny program. DWARF-mode stacks need it. */
bool nl_have_task_pt_regs(void);

/* BPF programs may use atomic compare-and-exchange (BPF_ATOMIC | BPF_CMPXCHG, 5.12). */
bool nl_have_bpf_cmpxchg(void);

/* sym is a kernel symbol (/proc/kallsyms; a kprobe can name it). */
bool nl_in_kallsyms(const char *sym);
/* The kernel has kprobes (kprobe_events in tracefs, or register_kprobe). */
bool nl_have_kprobes(void);

#endif
