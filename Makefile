# scorch build: the tool (build/scorch), the runtime (build/libscorch.so),
# test programs and unit tests. GNU make + pkg-config. `make demo`, `make check`.

BUILD    ?= build
CC       ?= cc
CXX      ?= c++
SANITIZE ?=
PKGS     := libdw libelf libunwind libzstd zlib capstone
VERSION  := 0.1.0

# Missing dependencies: install them (root or passwordless sudo) or say how.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) cmocka && echo ok),ok)
$(info scorch: build dependencies missing; running scripts/install-deps.sh)
ifneq ($(shell scripts/install-deps.sh >&2 && echo ok),ok)
$(error scorch: could not install the build dependencies; see the message above)
endif
endif
endif

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
BASE     := -std=c11 -D_GNU_SOURCE -g -O2 -fno-omit-frame-pointer $(WARN)
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all,)
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) cmocka 2>/dev/null)
TOOL_LIBS  := $(shell pkg-config --libs libdw libelf libzstd zlib capstone 2>/dev/null) -lstdc++ -lm -lpthread
CFLAGS_TOOL := $(BASE) $(SANFLAGS) $(DEP_CFLAGS) -DSCORCH_VERSION='"$(VERSION)"'
# The runtime lives in foreign processes: never sanitized, no lib/, own flags.
CFLAGS_RT  := $(BASE) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
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
	$(CC) $(SANFLAGS) -o $@ $^ $(TOOL_LIBS)

$(BUILD)/libscorch.so: $(RT_OBJS) runtime/libscorch.map
	$(CC) -shared -o $@ $(RT_OBJS) -Wl,--version-script=runtime/libscorch.map \
		-Wl,-z,now -Wl,-soname,libscorch.so $(RT_LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) -MMD -MP -c -o $@ $<

$(BUILD)/rtobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RT) -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(TOOL_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) -o $@ $< $(TOOL_CORE) $(TOOL_LIBS) $(shell pkg-config --libs cmocka)

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

demo: all $(EXAMPLES)
	@scripts/demo.sh $(BUILD)

bench: all $(BENCH_BINS)
	bench/heap-storm.sh
	BUILD=$(BUILD) bench/heap-scale.sh
	BUILD=$(BUILD) bench/read-scale.sh
	bench/cpu-overhead.sh
	bench/cpu-cost.sh
	bench/annotate.sh
	bench/zone-cost.sh

clean:
	rm -rf build build-san tests/out bench/out demo-out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
