#include "collect/kfeatures.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool cap_effective(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool nl_have_bpf_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = {};

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &h, d))
		return false;
	if (cap_effective(d, CAP_SYS_ADMIN))
		return true;
	return cap_effective(d, CAP_BPF) && cap_effective(d, CAP_PERFMON);
}

bool nl_have_kernel_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

bool nl_have_btf_tracepoint(const struct btf *vmlinux_btf, const char *name)
{
	char tname[128];

	if (!vmlinux_btf)
		return false;
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux_btf, tname, BTF_KIND_TYPEDEF) > 0;
}

bool nl_btf_has_member(const struct btf *vmlinux_btf, const char *sname, const char *mname)
{
	if (!vmlinux_btf)
		return false;
	int id = btf__find_by_name_kind(vmlinux_btf, sname, BTF_KIND_STRUCT);
	if (id <= 0)
		return false;
	const struct btf_type *t = btf__type_by_id(vmlinux_btf, (__u32)id);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(vmlinux_btf, m->name_off);
		if (name && !strcmp(name, mname))
			return true;
	}
	return false;
}

static bool event_exists(const char *tracefs, const char *category, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs, category, name);
	return access(path, R_OK) == 0;
}

int nl_ensure_tracefs_event(const char *category, const char *name, char *why, size_t len)
{
	/* libbpf looks in these two places, in this order. */
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (event_exists(dirs[i], category, name))
			return 0;
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0) {
		snprintf(why, len, "tracepoint %s:%s not in this kernel", category, name);
		return -1;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY) {
		snprintf(why, len, "tracefs is not mounted and mounting it failed: %s",
			 strerror(errno));
		return -1;
	}
	if (event_exists(dirs[0], category, name))
		return 0;
	snprintf(why, len, "tracepoint %s:%s not in this kernel", category, name);
	return -1;
}

int nl_kconfig_read(const char *const *names, int n, char (*values)[32], char *src,
		    size_t srclen)
{
	struct utsname u;
	char path[160] = "", line[256];
	gzFile f = NULL;

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "re");
	}
	if (!f) {
		snprintf(path, sizeof(path), "/proc/config.gz");
		f = gzopen(path, "re");
	}
	if (!f)
		return -1;
	for (int i = 0; i < n; i++)
		values[i][0] = '\0';
	while (gzgets(f, line, sizeof(line))) {
		char *eq = strchr(line, '=');

		if (strncmp(line, "CONFIG_", 7) || !eq)
			continue;
		*eq = '\0';
		eq[1 + strcspn(eq + 1, "\r\n")] = '\0';
		for (int i = 0; i < n; i++)
			if (!strcmp(line, names[i])) {
				snprintf(values[i], sizeof(values[i]), "%s", eq + 1);
				break;
			}
	}
	gzclose(f);
	snprintf(src, srclen, "%s", path);
	return 0;
}

/* Copies enum NAME's constants into names[], lower-cased without PREFIX; values past
 * max - 1 (the "other" slot) and the NR_/MR_TYPES sentinels are left alone. */
static void load_enum(const struct btf *btf, const char *name, const char *prefix,
		      char (*names)[32], int max)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t;

	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	const struct btf_enum *e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);
		long v = e->val;

		if (!n || v < 0 || v >= max - 1 || !strncmp(n, "NR_", 3) || !strcmp(n, "MR_TYPES"))
			continue;
		if (!strncmp(n, prefix, strlen(prefix)))
			n += strlen(prefix);
		size_t j = 0;
		for (; n[j] && j + 1 < sizeof(names[v]); j++)
			names[v][j] = (char)tolower((unsigned char)n[j]);
		names[v][j] = '\0';
	}
}

void nl_kernel_enum_names(const struct btf *vmlinux_btf, struct nl_enum_names *out)
{
	nl_enum_names_default(out);
	if (!vmlinux_btf)
		return;
	load_enum(vmlinux_btf, "migrate_reason", "MR_", out->migrate_reason, NL_MIGRATE_REASONS);
	load_enum(vmlinux_btf, "tlb_flush_reason", "TLB_", out->tlb_reason, NL_TLB_REASONS);
}

bool nl_in_kallsyms(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		if (!name)
			continue;
		name++;
		name[strcspn(name, "\t\n")] = '\0';
		found = !strcmp(name, sym);
	}
	fclose(f);
	return found;
}

bool nl_have_kprobes(void)
{
	return !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK) ||
	       nl_in_kallsyms("register_kprobe");
}

bool nl_have_task_storage(char *why, size_t len)
{
	/* Helpers are probed in a raw tracepoint program: tp_btf programs get the same
	 * helper table (tracing_prog_func_proto falls back to raw_tp's, which falls back
	 * to bpf_tracing_func_proto, where a10787e6d58c added the storage helpers). */
	static const struct {
		enum bpf_func_id id;
		const char *name;
	} helpers[] = {
		{ BPF_FUNC_task_storage_get, "bpf_task_storage_get for tracing programs (5.12)" },
		{ BPF_FUNC_task_storage_delete, "bpf_task_storage_delete for tracing programs (5.12)" },
		{ BPF_FUNC_get_current_task_btf, "bpf_get_current_task_btf (5.11)" },
	};

	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1) {
		snprintf(why, len, "no BPF task storage maps (5.11)");
		return false;
	}
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, helpers[i].id, NULL) != 1) {
			snprintf(why, len, "no %s", helpers[i].name);
			return false;
		}
	return true;
}

bool nl_have_task_pt_regs(void)
{
	/* raw_tp's helper table falls back to bpf_tracing_func_proto, where the helper is
	 * (see nl_have_task_storage); tp_btf and classic tracepoints get it too. */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_task_pt_regs,
				       NULL) == 1;
}

bool nl_have_bpf_cmpxchg(void)
{
	/* commit 5ffa25502b5a ("bpf: Add instructions for atomic_[cmp]xchg"), 5.12: older
	 * kernels refuse the instruction ("BPF_STX uses reserved fields"). A socket filter
	 * exchanging a stack slot. */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_STX | BPF_DW | BPF_MEM, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_0,
		  .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_DW | 0xc0 /* BPF_ATOMIC */, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1, .off = -8, .imm = 0xf1 /* BPF_CMPXCHG */ },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}
