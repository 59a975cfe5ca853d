# numalens build. `make` builds build/numalens; `make STATIC=1` builds the fully static
# build/static/numalens that goes into the NUMA guest; `make check` runs every test tier;
# `make demo` runs the demo; `make bench` the benchmarks. V=1 shows full commands.
# Packaging (README "Packaging / Install"): `make man`, `make install PREFIX=...
# [DESTDIR=...]`, `make uninstall`, `make dist` (static tarball), `make deb`.

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# The target architecture, as the kernel names it (BPF's __TARGET_ARCH_, vmlinux/ARCH).
# `make ARCH=arm64 [static workloads]` cross-builds with Debian's aarch64-linux-gnu-gcc
# and the arm64 multiarch libraries (scripts/setup) into build/arm64/, leaving build/
# (x86) alone.
ARCH     := x86
ifeq ($(ARCH),x86)
BUILD    := build
else ifeq ($(ARCH),arm64)
BUILD    := build/arm64
ifeq ($(origin CC),default)
CC       := aarch64-linux-gnu-gcc
endif
else
$(error ARCH=$(ARCH): only x86 (the default) and arm64 are built)
endif

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

ifeq ($(STATIC),1)
OUT      := $(BUILD)/static
LDSTATIC := -static
else
OUT      := $(BUILD)
LDSTATIC :=
endif

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Warnings are errors for our own code only; system headers are -isystem.
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -DNUMALENS_VERSION='"$(VERSION)"' \
            -iquote bpf -iquote user -iquote $(BUILD)/bpf
LDLIBS   := -lbpf -ldw -lelf -lz -lzstd -llzma -lbz2 -lncursesw -ltinfo -lpthread -ldl -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I vmlinux/$(ARCH) -I bpf -idirafter /usr/include/$(shell $(CC) -dumpmachine)
# (libbpf's usdt.bpf.h includes <linux/errno.h>, which wants the multiarch asm/ headers)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))

# user/cli/main.c holds main() only; everything else is a library the tests link too.
# user/ is split by architecture (README "Layout"); headers are included by folder,
# "model/model.h", from -iquote user.
USER_HDRS := $(wildcard user/*/*.h)
LIB_SRCS  := $(filter-out user/cli/main.c,$(wildcard user/*/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
LIB       := $(OUT)/libnumalens.a

WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS     := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

HOST_SRCS := $(wildcard tests/host/*.c)
HOST_BINS := $(patsubst tests/host/%.c,$(BUILD)/tests/host/%,$(HOST_SRCS))
# The same test drivers linked statically, for the busybox guest (vm tests add them).
STATIC_PROBES := $(patsubst tests/host/%.c,$(BUILD)/static/probes/%,$(HOST_SRCS))

.PHONY: all static workloads tests check check-unit check-host check-vm demo bench clean vmlinux \
        man install uninstall dist deb static-bin
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/numalens

# The skeletons first: a sub-make generating them alongside this make would race on them.
static: $(BPF_SKELS)
	$(Q)$(MAKE) --no-print-directory STATIC=1 $(BUILD)/static/numalens $(STATIC_PROBES)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/numalens.h $(wildcard bpf/*.bpf.h) vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUT)/obj/%.o: user/%.c $(USER_HDRS) bpf/numalens.h | $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The version is compiled into main.o (--version) and recorder.o (the trace header):
# rebuild them when it changes, so a package's binary says the commit it was built from.
$(BUILD)/.version: FORCE
	$(Q)mkdir -p $(@D) && echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(OUT)/obj/cli/main.o $(OUT)/obj/engine/recorder.o: $(BUILD)/.version
.PHONY: FORCE

# Loaders embed their BPF object through its skeleton: rebuild them when it changes.
$(OUT)/obj/collect/access.o: $(BUILD)/bpf/access.skel.h
$(OUT)/obj/collect/autonuma.o: $(BUILD)/bpf/autonuma.skel.h
$(OUT)/obj/collect/request.o: $(BUILD)/bpf/request.skel.h

# The include direction (scripts/check-layers) is part of the build: a renderer that
# reaches into the collector does not link.
$(BUILD)/.layers-ok: scripts/check-layers $(USER_HDRS) $(wildcard user/*/*.c)
	$(call msg,LAYERS,user/)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/check-layers && touch $@

$(LIB): $(LIB_OBJS) $(BUILD)/.layers-ok
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJS)

$(OUT)/numalens: $(OUT)/obj/cli/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDSTATIC) -o $@ $^ $(LDLIBS)

# Test workloads are static (they run on the host and inside the busybox guest) and keep
# frame pointers so BPF can walk their user stacks (but see nl-firsttouch-nofp).
$(BUILD)/workloads/%: tests/workloads/%.c $(wildcard tests/workloads/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(or $(WL_FRAME),-fno-omit-frame-pointer) $(WARN) -std=gnu11 -D_GNU_SOURCE -static -pthread -o $@ $< -lpthread

# The exception: a binary without frame pointers, for DWARF-mode stacks.
$(BUILD)/workloads/nl-firsttouch-nofp: tests/workloads/nl-firsttouch-bug.c
$(BUILD)/workloads/nl-firsttouch-nofp: WL_FRAME := -fomit-frame-pointer

workloads: $(WORKLOADS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(wildcard tests/unit/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) -lcmocka $(LDLIBS)

$(BUILD)/static/probes/%: tests/host/%.c $(LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDSTATIC) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/host/%: tests/host/%.c $(LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests: $(BUILD)/numalens $(UNIT_BINS) $(HOST_BINS) workloads static

# The arm64 guest's binaries (tests/vm/matrix.sh's arm64 column and checks), cross-built
# into build/arm64 by a make of its own.
.PHONY: tests-arm64
tests-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 static workloads
ifeq ($(ARCH),x86)
tests: tests-arm64
endif

# The one test command: unit, host and vm tiers; ends with "N passed, N failed".
check: tests
	$(Q)tests/run all

check-unit: tests
	$(Q)tests/run unit
check-host: tests
	$(Q)tests/run host
check-vm: tests
	$(Q)tests/run vm

demo: $(BUILD)/numalens static workloads
	$(Q)scripts/demo

bench: $(BUILD)/numalens workloads
	$(Q)scripts/bench

vmlinux:
	scripts/gen-vmlinux --arch $(ARCH)

clean:
	rm -rf $(BUILD)

# ---- trace files: fuzzing and the seed/measure tool (tests/fuzz/) ----
# `make fuzz` builds build/fuzz/fuzz_trace_reader with clang's libFuzzer, ASan and UBSan
# (the trace library and the model it needs, compiled again by clang into build/fuzz/)
# and its seed corpus. The unit tier runs it for 20 s (tests/unit/fuzz_trace.sh);
# `make fuzz-long FUZZ_RUNS=N` runs it N times more, one job. FUZZ_CORPUS names the
# directory of extra inputs (real recordings, past crashes), read and never written.
FUZZ_CORPUS ?= tests/fuzz/corpus
FUZZ_RUNS   ?= 10000000
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral -std=gnu11 -D_GNU_SOURCE \
               -iquote bpf -iquote user
TRACE_SRCS  := $(wildcard user/trace/*.c user/model/*.c user/common/*.c)
FUZZ_OBJS   := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(TRACE_SRCS))

.PHONY: fuzz fuzz-long

$(FUZZ_DIR)/obj/%.o: user/%.c $(USER_HDRS) bpf/numalens.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libtrace.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_trace_reader: tests/fuzz/fuzz_trace_reader.c $(FUZZ_DIR)/libtrace.a
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libtrace.a -lz -lzstd -lm

# The tool needs only the trace library and the model, not the collector's BPF.
$(BUILD)/tests/trace_tool: tests/fuzz/trace_tool.c $(TRACE_SRCS) $(USER_HDRS) bpf/numalens.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(TRACE_SRCS) -lz -lzstd -lm

$(FUZZ_DIR)/seeds/.done: $(BUILD)/tests/trace_tool
	$(call msg,SEEDS,$(@D))
	$(Q)rm -rf $(@D) && mkdir -p $(@D) && $< seed $(@D) && touch $@

fuzz: $(FUZZ_DIR)/fuzz_trace_reader $(FUZZ_DIR)/seeds/.done

fuzz-long: fuzz
	$(Q)tests/fuzz/run -runs=$(FUZZ_RUNS) -corpus $(FUZZ_CORPUS)

tests: fuzz $(BUILD)/tests/trace_tool

# ---- packaging: man pages, install, release tarball, Debian package ----
# The man pages are generated from each command's own -h (scripts/gen-man) plus its
# hand-written man/numalens-COMMAND.1.in; the bash completion reads -h at run time. So
# options live in one place, the C help text; tests/host/packaging.sh checks the result.
# INSTALL_BIN is the binary installed (and asked for its help): the dynamic build by
# default, the static one for `make dist` and `make deb`.
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      := $(PREFIX)/bin
MANDIR      := $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
INSTALL_BIN ?= $(BUILD)/numalens
MAN_SRCS    := $(wildcard man/*.1.in)
MAN_DIR     := $(BUILD)/man

$(MAN_DIR)/.stamp: $(INSTALL_BIN) scripts/gen-man $(MAN_SRCS)
	$(call msg,GEN-MAN,$(MAN_DIR))
	$(Q)rm -rf $(MAN_DIR) && scripts/gen-man $(INSTALL_BIN) $(MAN_DIR) man && touch $@

man: $(MAN_DIR)/.stamp

install: $(INSTALL_BIN) $(MAN_DIR)/.stamp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/numalens
	install -m 0644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 completions/numalens.bash $(DESTDIR)$(BASHCOMPDIR)/numalens

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/numalens $(DESTDIR)$(BASHCOMPDIR)/numalens \
	      $(DESTDIR)$(MANDIR)/man1/numalens.1 $(DESTDIR)$(MANDIR)/man1/numalens-*.1

# Version of the packages: 0~gitYYYYMMDD.HASH, which sorts by commit date.
PKG_VERSION := 0~git$(shell git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date +%Y%m%d).$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DIST_NAME   := numalens-$(subst ~,-,$(PKG_VERSION))-linux-$(shell uname -m)-static

# The release artifact: the static binary, man pages and completion under one
# directory laid out as a prefix (bin/, share/): tar -C /usr/local --strip-components=1.
# Only the static numalens, not the static test probes `make static` adds.
static-bin: $(BPF_SKELS)
	$(Q)$(MAKE) --no-print-directory STATIC=1 $(BUILD)/static/numalens

dist: static-bin
	$(Q)rm -rf $(BUILD)/dist && $(MAKE) --no-print-directory install \
		INSTALL_BIN=$(BUILD)/static/numalens DESTDIR=$(CURDIR)/$(BUILD)/dist/$(DIST_NAME) PREFIX= \
		MAN_DIR=$(BUILD)/static/man > /dev/null
	$(Q)cp README.md $(BUILD)/dist/$(DIST_NAME)/
	$(Q)tar -C $(BUILD)/dist --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@$$(git log -1 --format=%ct) -czf $(BUILD)/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "  DIST     $(BUILD)/$(DIST_NAME).tar.gz"

# The Debian package: the static binary (no library dependencies), man pages and
# completion installed under /usr, then scripts/mkdeb (control, docs, dpkg-deb, lintian).
deb: static-bin
	$(Q)rm -rf $(BUILD)/deb && $(MAKE) --no-print-directory install \
		INSTALL_BIN=$(BUILD)/static/numalens DESTDIR=$(CURDIR)/$(BUILD)/deb/root PREFIX=/usr \
		MAN_DIR=$(BUILD)/static/man > /dev/null
	$(Q)scripts/mkdeb $(BUILD)/deb/root $(PKG_VERSION) $(DEB_ARCH) $(BUILD)
