#!/usr/bin/env bash
# Build the guest's initramfs: busybox, the init script, the modules and the
# selftest binaries (and, with BENCH_DIR set, the benchmark programs).
# Usage: mkinitramfs.sh OUT.cpio.gz MODULE.ko... -- TESTDIR...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1; shift
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,root,etc,lib/modules/coloc,selftests}
chmod 1777 "$stage/tmp"
cp /bin/busybox "$stage/bin/busybox"
if command -v file >/dev/null && file -L "$stage/bin/busybox" | grep -q dynamically; then
	die "/bin/busybox must be static: install busybox-static"
fi
cp "$COLOC_TOP/scripts/guest/init" "$stage/init"
# The SREs' tool, when built (COLOCCTL_BIN).
if [ -n "${COLOCCTL_BIN:-}" ]; then
	cp "$COLOCCTL_BIN" "$stage/bin/colocctl"
fi
echo 'root:x:0:0:root:/root:/bin/sh' > "$stage/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"

while [ $# -gt 0 ] && [ "$1" != -- ]; do
	cp "$1" "$stage/lib/modules/coloc/"
	shift
done
[ "${1:-}" = -- ] && shift
for dir in "$@"; do
	suite=$(basename "$dir")
	mkdir -p "$stage/selftests/$suite"
	cp "$dir"/test_* "$stage/selftests/$suite/"
done
# Benchmark programs and scenarios, when built (BENCH_DIR).
if [ -n "${BENCH_DIR:-}" ]; then
	mkdir -p "$stage/bench"
	cp "$BENCH_DIR"/* "$COLOC_TOP"/bench/*_scenario.sh "$COLOC_TOP/bench/lib.sh" \
		"$COLOC_TOP/bench/fio_randread" "$COLOC_TOP/bench/cyclictest_report" \
		"$COLOC_TOP/bench/stress_cpu_hog" "$stage/bench/"
fi
# Tools from Debian's packages, in /bin, with the shared libraries and
# loader they link against at their host paths: mke2fs (the selftests
# put ext4 on a null_blk disk) and the workloads (BENCH_TOOLS).
for tool in mke2fs ${BENCH_TOOLS:-}; do
	bin=$(command -v "$tool") || die "$tool not installed: run scripts/install-deps.sh"
	cp -L "$bin" "$stage/bin/$tool"
	for f in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
	done
done

(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null --reproducible -o -H newc --quiet -R 0:0) | gzip -n -1 > "$out"
