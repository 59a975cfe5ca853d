/* The BPF-vs-/proc/vmstat comparison of one window: pure arithmetic on model structs,
 * so an interval made from two cumulative snapshots (live or from a trace) gets the
 * same check the live collector used to compute. */
#include "model/model.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Appends "name: vmstat V vs bpf B" to note when the pair is off; returns whether. */
static bool check_pair(char *note, size_t len, const char *name, uint64_t vm, uint64_t bpf,
		       uint64_t slack, double pct)
{
	uint64_t diff = vm > bpf ? vm - bpf : bpf - vm;
	uint64_t big = vm > bpf ? vm : bpf;
	size_t used = strlen(note);

	if (diff <= slack || (double)diff <= (double)big * pct / 100.0)
		return false;
	snprintf(note + used, len - used, "%s%s: vmstat %" PRIu64 " vs bpf %" PRIu64,
		 used ? "; " : "", name, vm, bpf);
	return true;
}

/* Said before any pair, so the window's "since start: %.300s" excerpt keeps it. */
#define LOCAL_NOT_COMPARED "numa_hint_faults_local not compared (fallback: BPF infers local from nodes)"

static void append(char *note, size_t len, const char *text)
{
	size_t used = strlen(note);

	snprintf(note + used, len - used, "%s%s", used ? "; " : "", text);
}

/* The numa_* pairs. The fallback infers "local" from the nodes in the task's fault
 * buffers (bpf/autonuma.bpf.c, fb_sample), not from the kernel's TNF_FAULT_LOCAL:
 * comparing it would test a guess against a count, so the local pair is compared only
 * where BPF's count is exact, and the note says when it is not. */
static bool compare_numa(struct nl_vmstat_check *c, uint64_t slack, double pct)
{
	char *n = c->note;
	size_t len = sizeof(c->note);
	bool off = false;

	if (!c->bpf_local_exact)
		append(n, len, LOCAL_NOT_COMPARED);
	off |= check_pair(n, len, "numa_hint_faults", c->hint_faults, c->bpf_hint_faults,
			  slack, pct);
	if (c->bpf_local_exact)
		off |= check_pair(n, len, "numa_hint_faults_local", c->hint_faults_local,
				  c->bpf_hint_faults_local, slack, pct);
	off |= check_pair(n, len, "numa_pages_migrated", c->pages_migrated,
			  c->bpf_pages_migrated, slack, pct);
	return off;
}

void nl_vmstat_check_make(struct nl_vmstat_check *c, const struct nl_vm_totals *vm,
			  const struct nl_bpf_totals *bpf, uint64_t slack, double pct)
{
	memset(c, 0, sizeof(*c));
	c->bpf_valid = bpf->valid;
	c->bpf_local_exact = bpf->local_exact;
	c->bpf_hint_faults = bpf->hint_faults;
	c->bpf_hint_faults_local = bpf->hint_faults_local;
	c->bpf_pages_migrated = bpf->pages_migrated;
	c->bpf_pgmigrate_success = bpf->pgmigrate_success;
	c->bpf_pgmigrate_fail = bpf->pgmigrate_fail;
	c->valid = vm->have_numa || vm->have_pgmigrate;
	c->hint_faults = vm->hint_faults;
	c->hint_faults_local = vm->hint_faults_local;
	c->pages_migrated = vm->pages_migrated;
	c->pgmigrate_success = vm->pgmigrate_success;
	c->pgmigrate_fail = vm->pgmigrate_fail;
	if (!c->valid || !c->bpf_valid) {
		snprintf(c->note, sizeof(c->note), "%s", !c->valid ?
			 "not compared: /proc/vmstat has no NUMA counters" :
			 "not compared: no BPF totals");
		return;
	}
	if (vm->have_numa)
		c->disagree |= compare_numa(c, slack, pct);
	if (vm->have_pgmigrate) {
		c->disagree |= check_pair(c->note, sizeof(c->note), "pgmigrate_success",
					  c->pgmigrate_success, c->bpf_pgmigrate_success, slack, pct);
		c->disagree |= check_pair(c->note, sizeof(c->note), "pgmigrate_fail",
					  c->pgmigrate_fail, c->bpf_pgmigrate_fail, slack, pct);
	}
	if (!c->disagree) {
		/* nothing was off, so the note held at most LOCAL_NOT_COMPARED */
		bool guess = vm->have_numa && !c->bpf_local_exact;

		snprintf(c->note, sizeof(c->note), "agree (hint faults %" PRIu64 ", local %" PRIu64
			 ", numa pages migrated %" PRIu64 ")%s%s",
			 c->hint_faults, c->hint_faults_local, c->pages_migrated,
			 guess ? "; " : "", guess ? LOCAL_NOT_COMPARED : "");
	}
}

static uint64_t d64(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : 0;
}

void nl_vm_totals_sub(struct nl_vm_totals *d, const struct nl_vm_totals *now,
		      const struct nl_vm_totals *before)
{
	d->have_numa = now->have_numa && before->have_numa;
	d->have_pgmigrate = now->have_pgmigrate && before->have_pgmigrate;
	d->hint_faults = d64(now->hint_faults, before->hint_faults);
	d->hint_faults_local = d64(now->hint_faults_local, before->hint_faults_local);
	d->pages_migrated = d64(now->pages_migrated, before->pages_migrated);
	d->pgmigrate_success = d64(now->pgmigrate_success, before->pgmigrate_success);
	d->pgmigrate_fail = d64(now->pgmigrate_fail, before->pgmigrate_fail);
}

void nl_bpf_totals_sub(struct nl_bpf_totals *d, const struct nl_bpf_totals *now,
		       const struct nl_bpf_totals *before)
{
	d->valid = now->valid;
	d->local_exact = now->local_exact;
	d->hint_faults = d64(now->hint_faults, before->hint_faults);
	d->hint_faults_local = d64(now->hint_faults_local, before->hint_faults_local);
	d->pages_migrated = d64(now->pages_migrated, before->pages_migrated);
	d->pgmigrate_success = d64(now->pgmigrate_success, before->pgmigrate_success);
	d->pgmigrate_fail = d64(now->pgmigrate_fail, before->pgmigrate_fail);
}

static uint64_t clamp64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* vmstat's totals since attach as of the instant the BPF totals were read, as near as
 * two reads tell: /proc/vmstat was read just before (vm_pre) and just after (vm_now),
 * so any count of BPF's between the two is what vmstat said at some moment of the
 * read, and the value nearest BPF's is taken. Without vm_pre (traces written before
 * it) the bracket is vm_now alone. */
static void vm_at_bpf_read(struct nl_vm_totals *out, const struct nl_snapshot *now)
{
	const struct nl_bpf_totals *b = &now->bpf_sys;
	struct nl_vm_totals lo, hi;

	nl_vm_totals_sub(&hi, &now->vm_now, &now->vm_open);
	if (now->vm_pre.have_numa || now->vm_pre.have_pgmigrate)
		nl_vm_totals_sub(&lo, &now->vm_pre, &now->vm_open);
	else
		lo = hi;
	*out = hi;
	out->hint_faults = clamp64(b->hint_faults, lo.hint_faults, hi.hint_faults);
	out->hint_faults_local =
		clamp64(b->hint_faults_local, lo.hint_faults_local, hi.hint_faults_local);
	out->pages_migrated = clamp64(b->pages_migrated, lo.pages_migrated, hi.pages_migrated);
	out->pgmigrate_success =
		clamp64(b->pgmigrate_success, lo.pgmigrate_success, hi.pgmigrate_success);
	out->pgmigrate_fail = clamp64(b->pgmigrate_fail, lo.pgmigrate_fail, hi.pgmigrate_fail);
}

/* The window's check is shown; whether it disagrees is judged on the totals since
 * attach, against vmstat as it was when BPF's totals were read (vm_at_bpf_read): a
 * window can lend events to the next, but a real miss keeps growing. */
void nl_vmstat_check_window(struct nl_vmstat_check *chk, const struct nl_snapshot *now,
			    const struct nl_snapshot *prev)
{
	static const struct nl_bpf_totals zero_bpf;
	struct nl_vm_totals vm_win, vm_all;
	struct nl_bpf_totals bpf_win;
	struct nl_vmstat_check cum;
	const struct nl_vm_totals *vm_before = prev ? &prev->vm_now : &now->vm_open;

	if (!now->bpf_sys.valid && !now->vm_now.have_numa && !now->vm_now.have_pgmigrate) {
		memset(chk, 0, sizeof(*chk)); /* the AutoNUMA programs did not run */
		return;
	}
	nl_vm_totals_sub(&vm_win, &now->vm_now, vm_before);
	nl_bpf_totals_sub(&bpf_win, &now->bpf_sys, prev ? &prev->bpf_sys : &zero_bpf);
	nl_vmstat_check_make(chk, &vm_win, &bpf_win, 2, 2.0);
	vm_at_bpf_read(&vm_all, now);
	nl_vmstat_check_make(&cum, &vm_all, &now->bpf_sys, 2, 2.0);
	chk->disagree = cum.disagree;
	if (cum.disagree) {
		snprintf(chk->note, sizeof(chk->note), "since start: %.300s", cum.note);
	} else if (strncmp(chk->note, "agree", 5) && strncmp(chk->note, "not compared", 12)) {
		size_t used = strlen(chk->note);
		snprintf(chk->note + used, sizeof(chk->note) - used,
			 " (window-edge skew: totals since start agree)");
	}
}
