# faultline: one entry point for build, test, install, demo and bench.
#
#   make            BPF skeletons, libfaultline (.a and .so), faultline, faultfs
#   make check      unit + integration suites (integration needs root)
#   make demo       probe this kernel, then measure what a power cut costs SQLite (FULL vs OFF)
#                   and a managed PostgreSQL
#   make fuzz       libFuzzer targets: the rule parser, scenario files (clang)
#   make install    PREFIX=/usr/local DESTDIR= (LIBDIR=$(PREFIX)/lib)
#   make deb        build/faultline_VERSION_ARCH.deb (dpkg-deb, offline)
#   V=1 shows commands, SAN=1 builds with ASan+UBSan.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
V       ?= 0
SAN     ?= 0

# make's built-in CC is cc: use gcc unless the caller chose a compiler.
ifeq ($(origin CC),default)
CC        = gcc
endif
CLANG    ?= clang
BPFTOOL  ?= bpftool
PKGS      = libbpf fuse3 libnl-3.0 libnl-route-3.0 libnl-nf-3.0 libnftables jansson sqlite3 hiredis libpq libmariadb yaml-0.1

ifeq ($(V),1)
Q =
msg = @true
else
Q = @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN    = -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes
# 'override': 'make CFLAGS=-O0' replaces -O2 -g only, not what the build needs.
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -fPIC -D_GNU_SOURCE -DFL_VERSION='"$(VERSION)"' \
          -Iinclude -I$(BUILD)/include -Iuserspace \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz -lpthread -lm
ifeq ($(SAN),1)
override CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
		    -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
             -Iinclude -I$(BUILD)/include -I$(BUILD)/bpf

# --- sources ---------------------------------------------------------------
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))
LIB_SRCS   := $(wildcard $(addsuffix /*.c,$(filter-out userspace/cli,$(wildcard userspace/*))))
LIB_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
CLI_SRCS   := $(wildcard userspace/cli/*.c)
CLI_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
FS_SRCS    := $(wildcard fusefs/*.c)
FS_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(FS_SRCS))
# faultfs without its main(), so tests can drive its modules directly.
FS_LIBA    := $(BUILD)/lib/libfaultfs.a
HELP_SRCS  := $(wildcard tests/helpers/*.c)
HELP_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(HELP_SRCS))
UNIT_SRCS  := $(shell find tests/unit -name 'test_*.c' 2>/dev/null)
INTEG_SRCS := $(shell find tests/integration -name 'test_*.c' 2>/dev/null)
UNIT_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(INTEG_SRCS))
TOOL_SRCS  := $(wildcard tests/targets/*.c)
TOOL_BINS  := $(patsubst tests/targets/%.c,$(BUILD)/targets/%,$(TOOL_SRCS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
EX_SRCS    := $(wildcard examples/*.c)
EX_BINS    := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EX_SRCS))

LIBA  = $(BUILD)/lib/libfaultline.a
LIBSO = $(BUILD)/lib/libfaultline.so

.PHONY: all check check-unit check-integration check-vm demo fuzz install clean deps bench bench-compare bench-vm deb soak FORCE
.DELETE_ON_ERROR:
# Keep skeletons, BPF objects and helper objects: as intermediates make would
# delete them after each run, and the next run would rebuild everything.
.SECONDARY:

all: $(BUILD)/faultline $(BUILD)/faultfs $(LIBSO) $(TOOL_BINS) $(EX_BINS)

deps:
	$(Q)./tools/install-deps.sh

# --- BPF -------------------------------------------------------------------
$(BUILD)/bpf/vmlinux.h:
	$(call msg,VMLINUX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/bpf/vmlinux.h $(wildcard include/faultline/*.h bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# The syscall name table comes from the installed kernel headers.
$(BUILD)/include/syscall_names.h: tools/gen-syscall-names.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh $< > $@

GENERATED = $(SKELS) $(BUILD)/include/syscall_names.h

# --- userspace -------------------------------------------------------------
# Generated headers only have to exist first; -MMD records who includes which.
$(BUILD)/obj/%.o: %.c | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libfaultline.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/faultline: $(CLI_OBJS) $(LIBA)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# faultfs alone needs ISA-L (the write log's crc32).
FS_LDLIBS = $(shell pkg-config --libs libisal 2>/dev/null)
$(BUILD)/faultfs: $(FS_OBJS) $(LIBA)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(FS_LDLIBS)

# examples/ are built as a user of the library would build them: the
# public headers (<faultline/faultline.h>) and libfaultline, nothing else
# of the tree. tests/integration/examples runs them.
EX_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
$(BUILD)/examples/%: examples/%.c $(LIBA) $(wildcard include/faultline/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EX_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# Small programs the tests and the demo run as targets.
$(BUILD)/targets/%: tests/targets/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The bench's hook holder has bpf/bench_empty.bpf.c built in (its skeleton).
$(BUILD)/targets/fl-bpf-hook: tests/targets/fl-bpf-hook.c $(BUILD)/include/bench_empty.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# --- tests -----------------------------------------------------------------
$(FS_LIBA): $(filter-out %/faultfs.o,$(FS_OBJS))
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: tests/%.c $(HELP_OBJS) $(FS_LIBA) $(LIBA) $(GENERATED)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) -Ifusefs -o $@ $< $(HELP_OBJS) $(FS_LIBA) $(LIBA) $(LDLIBS) $(FS_LDLIBS) -lcmocka

# The suite, the demo and the bench need root (BPF, FUSE, cgroups, netns).
# A normal user's 'make check' re-runs itself through sudo and says so; a
# root shell (where sudo may not even exist) runs it directly.
ifeq ($(shell id -u),0)
check: deps all $(UNIT_BINS) $(INTEG_BINS)
	$(Q)BUILD=$(BUILD) ./tests/run.sh $(UNIT_BINS) $(INTEG_BINS)
else
check demo bench:
	@command -v sudo >/dev/null || { echo "make $@: needs root, and sudo is not installed: run it in a root shell" >&2; exit 1; }
	@echo "make $@: needs root (BPF, FUSE, cgroups): running 'sudo $(MAKE) $@'" >&2
	$(Q)sudo $(MAKE) $@ BUILD=$(BUILD) V=$(V) SAN=$(SAN)
endif

check-unit: all $(UNIT_BINS)
	$(Q)BUILD=$(BUILD) ./tests/run.sh $(UNIT_BINS)

check-integration: all $(INTEG_BINS)
	$(Q)BUILD=$(BUILD) ./tests/run.sh $(INTEG_BINS)

# The integration tests again, on Debian's own kernel under qemu (TCG):
# mechanisms this host's kernel refuses are exercised there (tools/vmtest).
check-vm: all $(INTEG_BINS)
	$(Q)BUILD=$(BUILD) ./tools/vmtest/vmtest

# --- fuzzing (clang + libFuzzer) --------------------------------------------
FUZZ_TIME ?= 600
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(GENERATED)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(filter-out -Werror,$(CFLAGS)) -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(filter userspace/core/rule%.c userspace/core/parse%.c userspace/core/errno%.c userspace/core/syscall_table.c userspace/scenario/scenario_%.c userspace/history/%.c,$(LIB_SRCS)) $(LDLIBS)

# fuzz_X takes its seeds from tests/fuzz/seeds_X when there is one.
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$${f##*/}; c=$(BUILD)/fuzz/corpus; s=tests/fuzz/seeds; \
		[ $$n = fuzz_rule ] || c=$$c-$$n; [ -d $${s}_$$n ] && s=$${s}_$$n; \
		mkdir -p $$c && $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$c $$s || exit 1; \
	done

# --- demo, bench -------------------------------------------------------------
ifeq ($(shell id -u),0)
demo: deps all
	$(Q)./tools/demo.sh $(BUILD)

# faultfs under the rename-over pattern of 8 processes for SOAK_TIME seconds:
# descriptors and disk use must stay bounded (make check runs it for 10 s).
SOAK_TIME ?= 300
soak: all $(BUILD)/tests/integration/fusefs/test_soak
	$(Q)SOAK_TIME=$(SOAK_TIME) BUILD=$(BUILD) ./tests/run.sh $(BUILD)/tests/integration/fusefs/test_soak

# Every figure of the three benches lands in $(BUILD)/bench/results.json
# (tools/bench-lib.sh's bench_figure, collected by tools/bench-results.py).
BENCH_OUT = $(BUILD)/bench
bench: deps all
	$(Q)mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/figures.jsonl
	$(Q)read -r l _ < /proc/loadavg; echo "$$l" > $(BENCH_OUT)/load-start
	$(Q)FL_BENCH_FIGURES=$(BENCH_OUT)/figures.jsonl ./tools/bench.sh $(BUILD)
	$(Q)FL_BENCH_FIGURES=$(BENCH_OUT)/figures.jsonl ./tools/bench-faultfs.sh $(BUILD)
	$(Q)FL_BENCH_FIGURES=$(BENCH_OUT)/figures.jsonl ./tools/bench-net.sh $(BUILD)
	$(Q)read -r l _ < /proc/loadavg; ./tools/bench-results.py collect \
		$(BENCH_OUT)/figures.jsonl $(BENCH_OUT)/results.json \
		--load-start "$$(cat $(BENCH_OUT)/load-start)" --load-end "$$l"
endif

# What a syscall hook costs bystanders where fentry loads (Debian's kernel
# under qemu, like check-vm): not part of make bench, qemu takes minutes.
bench-vm: all
	$(Q)./tools/bench-vm-hooks.sh $(BUILD)

# make bench-compare OLD.json (or OLD=FILE): the figures of the last
# make bench against OLD's; exits 1 when one regressed by more than
# BENCH_THRESHOLD percent.
BENCH_THRESHOLD ?= 10
ifneq ($(filter bench-compare,$(MAKECMDGOALS)),)
BENCH_OLD := $(or $(OLD),$(filter %.json,$(MAKECMDGOALS)))
$(filter %.json,$(MAKECMDGOALS)): ; @:
endif
bench-compare:
	$(Q)[ -n "$(BENCH_OLD)" ] || { echo "usage: make bench-compare OLD.json" >&2; exit 2; }
	$(Q)./tools/bench-results.py compare "$(BENCH_OLD)" $(BUILD)/bench/results.json \
		--threshold $(BENCH_THRESHOLD)

# --- install -----------------------------------------------------------------
# The completion script is printed by the built faultline from its own tables.
COMPLETION = $(BUILD)/faultline.bash-completion
$(COMPLETION): $(BUILD)/faultline
	$(call msg,GEN,$@)
	$(Q)$(BUILD)/faultline completion bash > $@

# pkg-config: the public headers include <jansson.h>; the rest is only for
# static linking. Rewritten on every run: PREFIX and LIBDIR are baked in.
PC = $(BUILD)/faultline.pc
$(PC): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$${prefix}/include' '' \
		'Name: faultline' \
		'Description: fault injection and recovery measurement for Linux (libfaultline)' \
		'Version: $(VERSION)' \
		'Requires: jansson' \
		'Requires.private: $(filter-out jansson,$(PKGS))' \
		'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -lfaultline' \
		'Libs.private: -lelf -lz -lpthread -lm' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

# 'mount -t fuse.faultfs' and fstab go through libfuse's mount.fuse3: invoked
# as mount.fuse.faultfs it drops mount(8)'s own options (nofail, _netdev, ...)
# that faultfs would refuse, then runs 'faultfs BACKING MNT -o OPTS' from PATH.
MOUNT_FUSE ?= /sbin/mount.fuse3
LIBDIR     ?= $(PREFIX)/lib
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
install: all $(LIBA) $(COMPLETION) $(PC)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/faultline $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/faultline $(DESTDIR)$(PREFIX)/bin/faultline
	install -m 0755 $(BUILD)/faultfs $(DESTDIR)$(PREFIX)/bin/faultfs
	ln -sf $(MOUNT_FUSE) $(DESTDIR)$(PREFIX)/sbin/mount.fuse.faultfs
	install -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/libfaultline.a
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libfaultline.so.0
	ln -sf libfaultline.so.0 $(DESTDIR)$(LIBDIR)/libfaultline.so
	install -m 0644 $(PC) $(DESTDIR)$(LIBDIR)/pkgconfig/faultline.pc
	install -m 0644 include/faultline/*.h $(DESTDIR)$(PREFIX)/include/faultline/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/faultline

# --- Debian package ----------------------------------------------------------
# A staged 'make install PREFIX=/usr' packed by dpkg-deb; Depends computed by
# dpkg-shlibdeps from the binaries (tools/mkdeb.sh). No network, no debian/.
DEB_ARCH       = $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_MULTIARCH  = $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch)
DEB            = $(BUILD)/faultline_$(VERSION)_$(DEB_ARCH).deb
deb: all $(LIBA) $(COMPLETION)
	$(call msg,DEB,$(DEB))
	$(Q)rm -rf $(BUILD)/deb
	$(Q)$(MAKE) --no-print-directory -s install BUILD=$(BUILD) DESTDIR=$(abspath $(BUILD)/deb/root) \
		PREFIX=/usr LIBDIR=/usr/lib/$(DEB_MULTIARCH) MOUNT_FUSE=/sbin/mount.fuse3 >/dev/null
	$(Q)sh tools/mkdeb.sh $(BUILD)/deb $(VERSION) $(DEB_ARCH) $(DEB)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
