#include "collect/unwind.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct nl_unwinder {
	struct nl_symbolizer *sym;
	/* The sample being unwound: libdwfl's callbacks get the unwinder (the argument
	 * given to dwfl_attach_state, once per Dwfl) and read the sample from here. */
	const struct nl_stack_sample *cur;
	uint64_t *ips;
	int nr, max;
	/* libdwfl takes a return address it could not read for the end of the stack
	 * (pc undefined, as at _start): a failed read is how a cut is told apart. */
	bool read_failed;
};

/* One thread per unwind: the sample's. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct nl_unwinder *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return (pid_t)u->cur->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* The page of the copy holding byte off (numalens.h: bit 0 is sp's page). */
static int copy_page(uint64_t sp, uint64_t off)
{
	uint64_t first = 4096 - (sp & 4095);

	return off < first ? 0 : 1 + (int)((off - first) / 4096);
}

/* Only the copied stack: the live process's memory is no longer what it was. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct nl_unwinder *u = arg;
	uint64_t sp = u->cur->regs[NL_UNWIND_REG_SP], off = addr - sp;

	(void)dwfl;
	if (addr < sp || off > u->cur->stack_len ||
	    u->cur->stack_len - off < sizeof(*result) ||
	    !(u->cur->page_mask & (1U << copy_page(sp, off))) ||
	    !(u->cur->page_mask & (1U << copy_page(sp, off + sizeof(*result) - 1)))) {
		u->read_failed = true;
		return false;
	}
	memcpy(result, u->cur->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct nl_unwinder *u = thread_arg;
	Dwarf_Word regs[NL_UNWIND_REGS];

	for (int i = 0; i < NL_UNWIND_REGS; i++)
		regs[i] = u->cur->regs[i];
	dwfl_thread_state_register_pc(thread, regs[NL_UNWIND_REG_IP]);
	return dwfl_thread_state_registers(thread, 0, NL_UNWIND_REGS, regs);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct nl_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return -1;
	if (u->nr >= u->max)
		return 1; /* deep: stop, the stack is cut */
	u->ips[u->nr++] = pc;
	return DWARF_CB_OK;
}

struct nl_unwinder *nl_unwinder_new(struct nl_symbolizer *sym)
{
	struct nl_unwinder *u = calloc(1, sizeof(*u));

	if (u)
		u->sym = sym;
	return u;
}

void nl_unwinder_free(struct nl_unwinder *u)
{
	free(u);
}

int nl_unwind(struct nl_unwinder *u, const struct nl_stack_sample *smp, size_t size,
	      uint64_t *ips, int max, bool *cut)
{
	size_t head = offsetof(struct nl_stack_sample, stack);
	Dwfl *dwfl;
	int err, rc;

	if (!u || !smp || !ips || max < 1 || size < head || smp->stack_len > size - head ||
	    smp->stack_len > NL_UNWIND_STACK_MAX)
		return -EINVAL;
	err = nl_symbolizer_dwfl(u->sym, smp->tgid, smp->exe_ino, &dwfl);
	if (err)
		return err;
	/* A Dwfl is attached once; a reloaded one (new mappings) is a new Dwfl. */
	if (dwfl_pid(dwfl) < 0 &&
	    !dwfl_attach_state(dwfl, NULL, (pid_t)smp->tgid, &callbacks, u))
		return -EIO;
	u->cur = smp;
	u->ips = ips;
	u->nr = 0;
	u->max = max;
	u->read_failed = false;
	/* 0: the outermost frame was reached (its return address is undefined in the
	 * CFI, as _start's is), or a read failed (read_failed). -1: an error ended the walk (a read outside the copy, no
	 * CFI for a pc); 1: max reached. Both leave the frames found so far. */
	rc = dwfl_getthread_frames(dwfl, (pid_t)smp->tid, on_frame, u);
	u->cur = NULL;
	if (u->nr == 0) {
		/* not even the first frame: keep the interrupted pc alone */
		ips[0] = smp->regs[NL_UNWIND_REG_IP];
		u->nr = 1;
		rc = -1;
	}
	*cut = rc != 0 || u->read_failed;
	return u->nr;
}
