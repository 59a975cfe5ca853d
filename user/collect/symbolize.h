/* User stacks to function names, with elfutils libdwfl.
 *
 * One Dwfl per process (its modules from /proc/PID/maps, ELF files found through
 * dwfl_linux_proc_find_elf, symbols from .symtab, else a separate debug file, else
 * .dynsym), cached until nl_symbolizer_forget(). Each frame gets:
 *
 *   where the address is                     symbol                 module
 *   a function in an ELF file with symbols   "init_weights+0x1c"    "/usr/bin/app"
 *   an ELF file with no symbol for it        "[app+0x401136]"       "/usr/bin/app"
 *     (stripped; the number is the address in the file's own address space, what
 *      `addr2line -e /usr/bin/app 0x401136` takes)
 *   anonymous exec memory named in the perf  "jit_fn+0x10"          "[jit]"
 *     JIT map /tmp/perf-PID.map
 *   anonymous memory, perf map present but   NULL                   "[jit]"
 *     no entry for the address
 *   anonymous memory, no perf map            NULL                   "[anon]"
 *   [vdso], [heap], [stack] without a symbol NULL                   "[heap]", ...
 *   no mapping at all                        NULL                   "[unknown]"
 *
 * A symbol that starts with '[' is a location, not a function name. Pass the
 * process id (tgid), not a thread id: the cache is per address space.
 * Frames after the first are return addresses: they are looked up at ip - 1 so a
 * call that is the last instruction of a function (noreturn callees) is attributed to
 * its caller, as perf does; the printed offset is from ip itself. */
#ifndef NL_SYMBOLIZE_H
#define NL_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

struct nl_symbolizer;

/* NULL on allocation failure. */
struct nl_symbolizer *nl_symbolizer_new(void);

/* Symbolizes ips[0..n) of process pid into out (overwritten: it must hold no strings;
 * see nl_stack_release). At most NL_MAX_FRAMES frames; an ip of 0 ends the stack (BPF
 * stack arrays are zero-padded). Strings in out are malloc'd and owned by out (model.c
 * frees them with the snapshot).
 * Returns 0, or on failure leaves out->nr = 0 and returns:
 *   -ESRCH  the process is gone and nothing about it was cached (keep the raw ips),
 *   -ENOMEM, -EINVAL (bad arguments), -EIO (libdwfl could not read the mappings).
 * A process seen by an earlier call is symbolized from the cache even after it exits,
 * so short-lived processes still get names; call nl_symbolizer_forget on exit. If an
 * address lies in no cached mapping (dlopen, new JIT region), the mappings are re-read
 * once per call. */
int nl_symbolize(struct nl_symbolizer *s, uint32_t pid, const uint64_t *ips, int n,
		 struct nl_stack *out);

/* The cached Dwfl of process pid (its modules reported from /proc/PID/maps), loaded
 * as nl_symbolize would; owned by s, valid until pid's mappings are re-read or
 * forgotten. For the DWARF unwinder (collect/unwind.c), which attaches its thread
 * state to it. exe_ino (0: unchecked) is the inode of the executable the caller's
 * stack was taken in: a cache of another image is re-read, and -ESTALE says the
 * process no longer runs that image (it exec'd since). 0 or the errors of
 * nl_symbolize. */
struct Dwfl;
int nl_symbolizer_dwfl(struct nl_symbolizer *s, uint32_t pid, uint64_t exe_ino,
		       struct Dwfl **out);

/* f is the frame that starts the program (__libc_start_call_main, __libc_start_main,
 * _start): nl_symbolize ends a stack there, complete. */
bool nl_frame_is_process_entry(const struct nl_frame *f);

/* Drops the cached mappings of pid (the process exited or exec'd). */
void nl_symbolizer_forget(struct nl_symbolizer *s, uint32_t pid);

void nl_symbolizer_free(struct nl_symbolizer *s);

/* Frees the strings of st's frames and sets st->nr = 0 (st itself is not freed). */
void nl_stack_release(struct nl_stack *st);

#endif
