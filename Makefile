# scorch build: the tool (build/scorch), the runtime (build/libscorch.so),
# test programs and unit tests. GNU make + pkg-config. `make demo`, `make check`,
# `make install PREFIX=... DESTDIR=...`, `make uninstall`.
# CC, CFLAGS, CPPFLAGS and LDFLAGS from the environment or make's command line
# are honoured (added after scorch's own flags, before the ones the runtime
# cannot do without); -Werror only with WERROR=1, as `make check` builds.

BUILD    ?= build
CC       ?= cc
CXX      ?= c++
SANITIZE ?=
WERROR   ?=
PKGS     := libdw libelf libunwind libzstd zlib capstone libcurl
# the version lives in the public header; the runtime's SONAME is libscorch.so.MAJOR
VERSION  := $(shell sed -n 's/^\#define SCORCH_VERSION "\(.*\)"$$/\1/p' include/scorch.h)
SOMAJOR  := $(shell sed -n 's/^\#define SCORCH_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/scorch.h)
SONAME   := libscorch.so.$(SOMAJOR)

# Missing dependencies: install them (root or passwordless sudo) or say how.
# Building the tool and the runtime needs the build dependencies only; the
# test tools (cmocka, valgrind, heaptrack, sqlite3...) come with `make check`
# or `make unit`.
NO_DEPS_GOALS := clean uninstall
TEST_GOALS    := check unit
ifeq ($(filter $(NO_DEPS_GOALS),$(MAKECMDGOALS)),)
DEPS_KIND := $(if $(filter $(TEST_GOALS),$(MAKECMDGOALS)),check,$(if $(filter demo,$(MAKECMDGOALS)),demo,build))
ifneq ($(shell pkg-config --exists $(PKGS) $(if $(filter check,$(DEPS_KIND)),cmocka) && echo ok),ok)
$(info scorch: build dependencies missing; running scripts/install-deps.sh $(DEPS_KIND))
ifneq ($(shell scripts/install-deps.sh $(DEPS_KIND) >&2 && echo ok),ok)
$(error scorch: could not install the build dependencies; see the message above)
endif
endif
endif

WARN     := -Wall -Wextra $(if $(filter-out 0,$(WERROR)),-Werror) -Wno-unused-parameter -Wshadow -Wstrict-prototypes
BASE     := -std=c11 -D_GNU_SOURCE -g -O2 -fno-omit-frame-pointer $(WARN)
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all,)
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(shell pkg-config --cflags cmocka 2>/dev/null)
# libcurl: its header only (cli/push.c dlopens it for `scorch push`, so that
# no other command maps its ~28 libraries); capstone the same (analysis/code.c
# dlopens it to disassemble: its relocations were 3 MB of every launcher's RSS);
# libstdc++ the same (analysis/demangle.c dlopens it at the first C++ name)
TOOL_LIBS  := $(shell pkg-config --libs libdw libelf libzstd zlib 2>/dev/null) -lm -lpthread -ldl
CFLAGS_TOOL := $(BASE) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(DEP_CFLAGS) -DSCORCH_VERSION='"$(VERSION)"' \
	-DSCORCH_SONAME='"$(SONAME)"'
# The runtime lives in foreign processes: never sanitized, no lib/, own flags
# (after the user's: a distribution's -fstack-protector-strong must not win).
CFLAGS_RT  := $(BASE) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
	-fno-stack-protector $(shell pkg-config --cflags libunwind)
RT_LIBS    := $(shell pkg-config --libs libunwind) -ldl -lpthread

LIB_SRCS  := $(wildcard lib/*.c)
FMT_SRCS  := $(wildcard format/*.c)
ANA_SRCS  := $(wildcard analysis/*.c)
OUT_SRCS  := $(wildcard output/*.c)
CLI_SRCS  := $(wildcard cli/*.c)
RT_SRCS   := $(wildcard runtime/*.c)

TOOL_CORE := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS) $(FMT_SRCS) $(ANA_SRCS) $(OUT_SRCS) $(filter-out cli/scorch.c,$(CLI_SRCS)))
TOOL_MAIN := $(BUILD)/obj/cli/scorch.o
# The HTML report's stylesheet and script, compiled into the tool as C arrays.
HTML_ASSETS := output/html/report.css output/html/report.js
HTML_GEN_O  := $(BUILD)/obj/gen/html-assets.o
TOOL_CORE   += $(HTML_GEN_O)
RT_OBJS   := $(patsubst %.c,$(BUILD)/rtobj/%.o,$(RT_SRCS) $(FMT_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

PROG_C    := $(filter-out tests/progs/lib%.c,$(wildcard tests/progs/*.c))
PROG_CXX  := $(wildcard tests/progs/*.cc)
PROG_LIBS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%.so,$(wildcard tests/progs/lib*.c))
PROG_BINS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROG_C)) \
	     $(patsubst tests/progs/%.cc,$(BUILD)/tests/progs/%,$(PROG_CXX))
# the zone and call targets also as people build them: -O2 (NAME-O2)
PROG_O2   := $(patsubst tests/progs/%,$(BUILD)/tests/progs/%-O2,$(basename \
	     $(wildcard tests/progs/zones-*.c tests/progs/zones-*.cc tests/progs/calls-*.c tests/progs/calls-*.cc)))
EXAMPLES  := $(BUILD)/examples/slowprog
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c)) \
	$(patsubst bench/preload/%.c,$(BUILD)/bench/lib%.so,$(wildcard bench/preload/*.c))

.PHONY: all tool runtime progs unit check demo clean bench fuzz fuzz-build fuzz-deps
all: tool runtime
tool: $(BUILD)/scorch
runtime: $(BUILD)/libscorch.so
progs: $(PROG_BINS) $(PROG_O2) $(PROG_LIBS) $(EXAMPLES)
unit: $(UNIT_BINS)

$(BUILD)/scorch: $(TOOL_MAIN) $(TOOL_CORE)
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(TOOL_LIBS)

# SONAME libscorch.so.MAJOR; programs linked with -L$(BUILD) -lscorch find it
# through the symbolic link next to it.
$(BUILD)/libscorch.so: $(RT_OBJS) runtime/libscorch.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $(RT_OBJS) -Wl,--version-script=runtime/libscorch.map \
		-Wl,-z,now -Wl,-soname,$(SONAME) $(RT_LIBS)
	ln -sf libscorch.so $(BUILD)/$(SONAME)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) -MMD -MP -c -o $@ $<

$(BUILD)/rtobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RT) -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(TOOL_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) $(LDFLAGS) -o $@ $< $(TOOL_CORE) $(TOOL_LIBS) $(shell pkg-config --libs cmocka)

# Test targets: -O0 and frame pointers so call sites and lines are exact.
PROG_CFLAGS := -std=gnu11 -g -O0 -fno-omit-frame-pointer -fno-inline -Wall -Wno-unused-result -Iinclude -pthread
$(BUILD)/tests/progs/lib%.so: tests/progs/lib%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -shared -fPIC -o $@ $<
$(BUILD)/tests/progs/%-linked: tests/progs/%-linked.c tests/progs/%.c $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $< -L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
# Zone targets (tests/progs/zones-*) are linked with -lscorch, so their
# zones are recorded under scorch; call-tracing targets (calls-*) are also
# built with -finstrument-functions.
$(BUILD)/tests/progs/zones%: tests/progs/zones%.c $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $< -L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
$(BUILD)/tests/progs/zones%: tests/progs/zones%.cc $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -fno-inline -Wall -Iinclude -pthread -o $@ $< \
		-L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
$(BUILD)/tests/progs/calls%: tests/progs/calls%.c $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -finstrument-functions -o $@ $< -L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
$(BUILD)/tests/progs/calls%: tests/progs/calls%.cc $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -fno-inline -Wall -Iinclude -pthread \
		-finstrument-functions -o $@ $< -L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
# The same at -O2 without -fno-inline or frame pointers, as the guide builds
# them: inlined functions' hooks run in their callers' frames.
PROG_O2_FLAGS := -g -O2 -Wall -Wno-unused-result -Iinclude -pthread
PROG_O2_LINK  = -L$(BUILD) -lscorch -Wl,-rpath,$(abspath $(BUILD))
$(BUILD)/tests/progs/zones%-O2: tests/progs/zones%.c $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(PROG_O2_FLAGS) -o $@ $< $(PROG_O2_LINK)
$(BUILD)/tests/progs/zones%-O2: tests/progs/zones%.cc $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(PROG_O2_FLAGS) -o $@ $< $(PROG_O2_LINK)
$(BUILD)/tests/progs/calls%-O2: tests/progs/calls%.c $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(PROG_O2_FLAGS) -finstrument-functions -o $@ $< $(PROG_O2_LINK)
$(BUILD)/tests/progs/calls%-O2: tests/progs/calls%.cc $(BUILD)/libscorch.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(PROG_O2_FLAGS) -finstrument-functions -o $@ $< $(PROG_O2_LINK)
# nolibc: dynamically linked but with no library, so that its loader opens
# only what LD_PRELOAD names
$(BUILD)/tests/progs/nolibc: tests/progs/nolibc.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -nostdlib -fPIE -pie -Wl,-z,now -o $@ $<
# cpu-lazy calls each function of libcpulazy.so once through a lazily bound PLT slot
$(BUILD)/tests/progs/cpu-lazy: tests/progs/cpu-lazy.c tests/progs/cpu-lazy.h $(BUILD)/tests/progs/libcpulazy.so
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -Wl,-z,lazy -o $@ $< -L$(BUILD)/tests/progs -lcpulazy \
		-Wl,-rpath,$(abspath $(BUILD))/tests/progs
# cpu-server: -O2 without frame pointers, as libstdc++ is: attaching (t052)
# must unwind it with DWARF CFI
$(BUILD)/tests/progs/cpu-server: tests/progs/cpu-server.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -g -O2 -fomit-frame-pointer -Wall -Wextra -Werror -pthread -o $@ $<
$(BUILD)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) $(if $(findstring static,$*),-static,) -o $@ $< -ldl
$(BUILD)/tests/progs/%: tests/progs/%.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -fno-inline -Wall -Iinclude -pthread -o $@ $<
$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -O2 -fno-omit-frame-pointer -fno-inline-functions -Wall -Wextra -Werror -o $@ $<
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -O2 -fno-omit-frame-pointer -Wall -o $@ $< -pthread
# libraries the benchmarks preload into a program
$(BUILD)/bench/lib%.so: bench/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -O2 -fPIC -shared -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/html-assets.c: $(HTML_ASSETS) scripts/embed.sh
	@mkdir -p $(dir $@)
	bash scripts/embed.sh $@ $(HTML_ASSETS)
$(HTML_GEN_O): $(BUILD)/gen/html-assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) -c -o $@ $<
# The big-profile generator of bench/html-speed.sh builds on the tool's model.
$(BUILD)/bench/gen-bigprof: bench/gen-bigprof.c $(TOOL_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) -o $@ $< $(TOOL_CORE) $(TOOL_LIBS)

# libFuzzer harnesses (tests/fuzz): the tool's code built again with clang
# and ASan/UBSan into $(BUILD)/fuzz; `make fuzz` runs each FUZZ_TIME seconds
# (default 600) from the corpus in tests/fuzz/corpus/NAME.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 600
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# the importers' sample cap lowered, so that a count of millions is cheap
FUZZ_CFLAGS := $(BASE) $(DEP_CFLAGS) -DSCORCH_VERSION='"$(VERSION)"' -O1 -gline-tables-only \
	-DIMPORT_MAX_SAMPLES=1000000ull $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_CORE  := $(patsubst $(BUILD)/obj/%,$(FUZZ_DIR)/obj/%,$(TOOL_CORE))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz-*.c))
# clang comes from scripts/install-deps.sh, like every other dependency
fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || scripts/install-deps.sh
$(FUZZ_DIR)/obj/gen/html-assets.o: $(BUILD)/gen/html-assets.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_DIR)/obj/%.o: %.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz-common.h $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(FUZZ_CORE) $(TOOL_LIBS)
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TIME)

check:
	@tests/run-all.sh

# ---- installing it like a tool ----
# make install [PREFIX=/usr/local] [DESTDIR=staging root]: the tool, the
# runtime (libscorch.so.VERSION with its SONAME and -lscorch links; the tool
# finds it as BINDIR/../lib/SONAME), the public header, scorch.pc for
# pkg-config, man pages made from the tool's --help text and bash completion.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL     ?= install
.PHONY: man completion install uninstall
man: $(BUILD)/man/.stamp
completion: $(BUILD)/scorch.bash
# one page for scorch and one per command of `scorch --help`
$(BUILD)/man/.stamp: $(BUILD)/scorch scripts/help2man.sh
	@rm -rf $(BUILD)/man && mkdir -p $(BUILD)/man
	sh scripts/help2man.sh $(BUILD)/scorch $(VERSION) >$(BUILD)/man/scorch.1
	for c in $$($(BUILD)/scorch --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $$1 }'); do \
		sh scripts/help2man.sh $(BUILD)/scorch $(VERSION) $$c >$(BUILD)/man/scorch-$$c.1 || exit 1; done
	@touch $@
$(BUILD)/scorch.bash: $(BUILD)/scorch scripts/gen-completion.sh
	sh scripts/gen-completion.sh $(BUILD)/scorch >$@.tmp && mv $@.tmp $@
# -lscorch kept even under --as-needed: the header's references to the
# runtime are weak, and a stripped program needs the library linked
$(BUILD)/scorch.pc: Makefile include/scorch.h
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: scorch' \
		'Description: scorch profiler in-program API: zones, marks, counters, heap statistics' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -Wl,--push-state,--no-as-needed -lscorch -Wl,--pop-state' \
		'Cflags: -I$${includedir}' >$@
install: all man completion $(BUILD)/scorch.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BUILD)/scorch $(DESTDIR)$(BINDIR)/scorch
	$(INSTALL) -m 755 $(BUILD)/libscorch.so $(DESTDIR)$(LIBDIR)/libscorch.so.$(VERSION)
	ln -sf libscorch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libscorch.so
	$(INSTALL) -m 644 include/scorch.h $(DESTDIR)$(INCLUDEDIR)/scorch.h
	$(INSTALL) -m 644 $(BUILD)/scorch.pc $(DESTDIR)$(PKGCONFIGDIR)/scorch.pc
	$(INSTALL) -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(BUILD)/scorch.bash $(DESTDIR)$(BASHCOMPDIR)/scorch
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/scorch $(DESTDIR)$(LIBDIR)/libscorch.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libscorch.so \
		$(DESTDIR)$(INCLUDEDIR)/scorch.h $(DESTDIR)$(PKGCONFIGDIR)/scorch.pc \
		$(DESTDIR)$(MANDIR)/man1/scorch.1 $(DESTDIR)$(MANDIR)/man1/scorch-*.1 \
		$(DESTDIR)$(BASHCOMPDIR)/scorch
	-rmdir -p --ignore-fail-on-non-empty $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) 2>/dev/null

demo: all $(EXAMPLES)
	@[ -x /usr/bin/time ] || scripts/install-deps.sh demo
	@scripts/demo.sh $(BUILD)

bench: all $(BENCH_BINS)
	bench/heap-storm.sh
	BUILD=$(BUILD) bench/heap-sample.sh
	BUILD=$(BUILD) bench/heap-scale.sh
	BUILD=$(BUILD) bench/read-scale.sh
	bench/cpu-overhead.sh
	bench/cpu-cost.sh
	bench/annotate.sh
	bench/zone-cost.sh

clean:
	rm -rf build build-san tests/out bench/out demo-out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
