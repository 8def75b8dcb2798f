# coloc: co-location policy modules for Linux 6.12, in Rust.
#
#   make run      build (or reuse) the patched kernel and the modules, boot
#                 the QEMU guest with the modules loaded and show the knobs
#   make check    the same build, then every test in the guest; ends with
#                 "N passed, N failed" (", N skipped" if any test
#                 skipped) and fails if anything did
#                 (TESTS='coloc/test_cpu_*': only those selftests)
#   make bench    the benchmark scenarios, alone / stock / coloc, in one boot
#   make check-debug  every test on the debug kernel (about an hour)
#
# Variables: KSRC=/path/to/linux-6.12.y (default: Debian's linux-source-6.12),
# DEBUG=1 (KASAN, lockdep, kmemleak kernel), COLOC_CACHE (build cache,
# default ~/.cache/coloc), JOBS.

SHELL := /bin/bash
export KSRC DEBUG COLOC_CACHE JOBS UPSTREAM_SRC
export PATH := $(HOME)/.cargo/bin:$(PATH)

BUILD := $(CURDIR)/build
MODULES := coloc_core coloc_cpu coloc_io coloc_leak coloc_mem coloc_test
SELFTEST_SUITES := coloc
KMAKE := $(MAKE) LLVM=-19

# The kernel tree, built on demand; one directory per cache key.
KDIR_FILE := $(BUILD)/kdir

.PHONY: all deps kernel kernel-unpatched modules selftests colocctl initramfs run check host-checks \
	bench bench-smoke bench-initramfs patches-edit patches-export clean \
	dist deb check-series check-debug

all: initramfs

deps:
	@scripts/install-deps.sh

kernel: deps
	@mkdir -p $(BUILD)
	@scripts/build-kernel.sh > $(KDIR_FILE).tmp && mv $(KDIR_FILE).tmp $(KDIR_FILE)

# The same source and configuration without the series: the baseline of
# the hook-overhead benchmark.
kernel-unpatched: deps
	@mkdir -p $(BUILD)
	@UNPATCHED=1 scripts/build-kernel.sh > $(KDIR_FILE)-unpatched.tmp && \
		mv $(KDIR_FILE)-unpatched.tmp $(KDIR_FILE)-unpatched

modules: kernel
	@$(KMAKE) -s -C $$(cat $(KDIR_FILE)) M=$(CURDIR) modules

selftests: kernel
	@for s in $(SELFTEST_SUITES); do \
		$(MAKE) -s -B -C selftests/$$s KDIR=$$(cat $(KDIR_FILE)) OUTPUT=$(BUILD)/selftests/$$s || exit; \
	done

# colocctl, the SREs' command-line tool: static, so that it runs in the
# guest's busybox initramfs, where its end-to-end test runs as a selftest.
COLOCCTL_BIN := $(BUILD)/colocctl
COLOCCTL_TARGET := x86_64-unknown-linux-gnu

colocctl: deps
	@cd tools/colocctl && RUSTFLAGS="-C target-feature=+crt-static" \
		cargo build -q --release --locked --target $(COLOCCTL_TARGET)
	@mkdir -p $(BUILD)/selftests/colocctl
	@cp tools/colocctl/target/$(COLOCCTL_TARGET)/release/colocctl $(COLOCCTL_BIN)
	@cp tools/colocctl/e2e.sh $(BUILD)/selftests/colocctl/test_colocctl

initramfs: modules selftests colocctl
	@COLOCCTL_BIN=$(COLOCCTL_BIN) scripts/mkinitramfs.sh $(BUILD)/initramfs.cpio.gz \
		$(foreach m,$(MODULES),modules/$(m)/$(m).ko) -- \
		$(foreach s,$(SELFTEST_SUITES) colocctl,$(BUILD)/selftests/$(s))

GUEST = scripts/guest.py --kernel $$(cat $(KDIR_FILE))/arch/x86/boot/bzImage \
	--initrd $(BUILD)/initramfs.cpio.gz --log-dir $(BUILD)/guest

run: initramfs
	@python3 $(GUEST) run $$([ -t 0 ] && echo --shell)

host-checks: kernel modules colocctl
	@scripts/host-checks.sh $$(cat $(KDIR_FILE)) > $(BUILD)/host-results.txt

# Suites that must report: a missing one fails the run.
KUNIT_SUITES := coloc_hook rust_doctests_kernel

# The debug kernel is several times slower in TCG.
CHECK_TIMEOUTS := $(if $(filter 1,$(DEBUG)),--timeout 7200 --test-timeout 3600)

# TESTS='coloc/test_cpu_*' (globs under build/selftests) runs only those
# selftest binaries: the loop after a change to one module. CI runs all
# (not ?=: a TESTS in the environment must not narrow CI's run).
TESTS := */test_*

check: initramfs host-checks
	@tests=$$(cd $(BUILD)/selftests && ls -d $(TESTS)) || exit; \
	python3 $(GUEST) check $(CHECK_TIMEOUTS) --host-results $(BUILD)/host-results.txt \
		--expect $(addprefix kunit/,$(KUNIT_SUITES)) $$tests \
		$(if $(filter-out */test_*,$(TESTS)),--tests $$tests)

# The reliability lane: every test on the debug kernel (KASAN, lockdep,
# kmemleak, UBSAN), with a kmemleak scan at the end. About an hour on two
# cores, so not part of CI (README, Budgets).
check-debug:
	@$(MAKE) -s check DEBUG=1

# Benchmarks: not part of check (no timed assertions in tests).
# BENCH_SECONDS and BENCH_REPS set the length of one online run and the
# number of repetitions; BENCH_ONLY=io (or cpu, mem) runs one scenario.
BENCH_SECONDS ?= 10
BENCH_REPS ?= 3

# Workload tools from Debian's packages, copied into the guest with their libraries.
BENCH_TOOLS := fio hackbench cyclictest stress-ng

bench-initramfs: modules selftests
	@$(MAKE) -s -C bench OUTPUT=$(BUILD)/bench-bin
	@BENCH_DIR=$(BUILD)/bench-bin BENCH_TOOLS="$(BENCH_TOOLS)" scripts/mkinitramfs.sh $(BUILD)/initramfs-bench.cpio.gz \
		$(foreach m,$(MODULES),modules/$(m)/$(m).ko) -- \
		$(foreach s,$(SELFTEST_SUITES),$(BUILD)/selftests/$(s))

bench: bench-initramfs kernel-unpatched
	@python3 scripts/bench.py --kernel $$(cat $(KDIR_FILE))/arch/x86/boot/bzImage \
		--kernel-unpatched $$(cat $(KDIR_FILE)-unpatched)/arch/x86/boot/bzImage \
		--initrd $(BUILD)/initramfs-bench.cpio.gz --out $(BUILD)/bench \
		--seconds $(BENCH_SECONDS) --reps $(BENCH_REPS) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

# A minute or two, so that the harness never rots.
bench-smoke:
	@$(MAKE) -s bench BENCH_SECONDS=2 BENCH_REPS=1

# For distro builders (docs/distro.md): the release tarball, Debian
# packages of the kernel, the modules and colocctl, and the series applied
# with git am and quilt (UPSTREAM_SRC=linux-6.12.N.tar.xz adds that tree).
dist:
	@scripts/dist.sh $(BUILD)/dist

deb: modules colocctl
	@scripts/deb.sh build $$(cat $(KDIR_FILE)) $(BUILD)/deb

check-series: deps
	@scripts/check-series.sh
	@$(if $(UPSTREAM_SRC),scripts/check-series.sh $(UPSTREAM_SRC))

patches-edit:
	@scripts/patches-edit.sh

patches-export:
	@scripts/patches-export.sh

clean:
	@if [ -f $(KDIR_FILE) ] && [ -d "$$(cat $(KDIR_FILE))" ]; then \
		$(KMAKE) -s -C $$(cat $(KDIR_FILE)) M=$(CURDIR) clean; fi
	rm -rf $(BUILD)
