# SPDX-License-Identifier: MIT
#
# Thin wrapper over meson/ninja.
#   make          build (gcc, build/)
#   make check    every test: gcc build, clang ASan+UBSan build, short fuzz runs
#   make bench    benchmarks (release build, build-bench/)
#   make fuzz     run every libFuzzer target for FUZZ_SECONDS each
#   make demo     the end-to-end demo: daemon, two host agents, orchestrator CLI
#   make demo-embedded  the same story on one embedded device in one process
#   make install  meson install of build/ (PREFIX is meson's --prefix, /usr/local;
#                 DESTDIR stages it)
MESON ?= meson
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
BENCH_BUILD ?= build-bench
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8
SANCC := $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)
# Jobs for ninja and the fuzzers: make's own -jN when given (read in the
# recipes, where make 4.3 puts it in MAKEFLAGS), else one per CPU, or JOBS=N.
# meson test runs TEST_JOBS tests at a time, four times JOBS: most tests wait
# on sockets, timers and child daemons rather than compute (the gcc suite keeps
# about a third of two cores busy), so their waits overlap (the ASan suite on
# the busy two-core machine: 42 s with 4 at a time, 39 s with 8, 30 s with 12).  The targets
# themselves run one after the other (.NOTPARALLEL): the parallelism is inside
# ninja, meson test and the fuzzers, and in make check, whose script
# (scripts/check.sh) runs each test suite while the next tree builds.
MAKE_JOBS = $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS)))
JOBS ?= $(or $(MAKE_JOBS),$(shell nproc 2>/dev/null || echo 2))
TEST_JOBS ?= $(shell echo $$(( 4 * $(JOBS) )))
.NOTPARALLEL:
HAVE_CLANG := $(shell command -v clang >/dev/null 2>&1 && echo yes)

export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1

.PHONY: all build asan-build fuzz-build check check-build check-asan check-durability-long fuzz fuzz-smoke bench demo demo-embedded install clean

all: build

build: $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --werror

$(ASAN_BUILD)/build.ninja:
	CC=$(SANCC) $(MESON) setup $(ASAN_BUILD) --werror \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbench=false

$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) -Dfuzz=enabled \
		-Db_sanitize=address,undefined -Db_lundef=false -Dtests=false -Dbench=false

$(BENCH_BUILD)/build.ninja:
	$(MESON) setup $(BENCH_BUILD) --buildtype=release -Dtests=false

# check-build, check-asan and fuzz-smoke, each test run beside the next
# build (scripts/check.sh), then one closing line from scripts/test-summary.py.
check:
	@MAKE='$(MAKE)' BUILD='$(BUILD)' ASAN_BUILD='$(ASAN_BUILD)' HAVE_CLANG='$(HAVE_CLANG)' \
		scripts/check.sh

check-build: build
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes $(TEST_JOBS)

asan-build: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS)

check-asan: asan-build
	$(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes $(TEST_JOBS)

# The random-kill durability test for many rounds (make check runs 6).
KILL_ROUNDS ?= 60
check-durability-long: build
	CXLDCD_KILL_ROUNDS=$(KILL_ROUNDS) $(MESON) test -C $(BUILD) --print-errorlogs \
		--timeout-multiplier 20 test-durability-kill

# A short libFuzzer run of every target when clang is installed.
fuzz-smoke:
ifeq ($(HAVE_CLANG),yes)
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)
else
	@echo "fuzz-smoke: clang not installed, skipped (scripts/install-deps.sh installs it)"
endif

# Only the fuzz targets (alias 'fuzzers'), run $(JOBS) at a time.
fuzz-build: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) -j $(JOBS) fuzzers

fuzz: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

bench: $(BENCH_BUILD)/build.ninja
	ninja -C $(BENCH_BUILD) -j $(JOBS)
	scripts/run-benches.sh $(BENCH_BUILD)

demo: build
	scripts/demo.sh $(BUILD)

demo-embedded: build
	$(BUILD)/tools/cxldcd-demo/cxldcd-demo

install: build
	$(MESON) install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
