/* nl-firsttouch-nofp: nl-firsttouch-bug (same options, same output lines) whose
 * init_weights() first-touches the buffer with memset, built with -O2
 * -fomit-frame-pointer (the Makefile): frames come only from DWARF call-frame
 * information. init_weights is noipa, so it stays a frame of its own, and memset is
 * static glibc's hand-written assembly (with CFI, without a frame pointer). A
 * frame-pointer walk gives memset and then garbage; `--call-graph dwarf` must name
 * init_weights as memset's caller. */
#define NL_FT_MEMSET 1
#define NL_FT_PROG "nl-firsttouch-nofp"
#include "nl-firsttouch-bug.c"
