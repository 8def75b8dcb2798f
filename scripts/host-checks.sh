#!/usr/bin/env bash
# Checks that need no guest: patch style and Rust formatting. Prints one
# TAP-like line per check ("ok NAME" or "not ok NAME", details as "# ...").
# Usage: host-checks.sh KDIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kdir=$1

result() {
	local name=$1 log=$2 rc=$3
	if [ "$rc" = 0 ]; then
		echo "ok $name"
	else
		echo "not ok $name"
		sed 's/^/# /' "$log" | head -40
	fi
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

for p in $(series_files); do
	# New files make checkpatch ask about MAINTAINERS; the first patch adds
	# the entry that covers them.
	(cd "$kdir" && perl scripts/checkpatch.pl -q --no-summary \
		--ignore FILE_PATH_CHANGES "$p") > "$log" 2>&1
	result "checkpatch/${p##*/}" "$log" $?
done

for f in "$COLOC_TOP"/modules/*/*.rs; do
	rustfmt --check --edition 2021 --config-path "$kdir/.rustfmt.toml" "$f" > "$log" 2>&1
	result "rustfmt/modules/${f#"$COLOC_TOP"/modules/}" "$log" $?
done

(cd "$kdir" && "${KMAKE[@]}" -s rustfmtcheck) > "$log" 2>&1
result "rustfmt/kernel" "$log" $?

(cd "$COLOC_TOP/tools/colocctl" && cargo test -q --locked) > "$log" 2>&1
result "colocctl/cargo-test" "$log" $?
(cd "$COLOC_TOP/tools/colocctl" && cargo fmt --check) > "$log" 2>&1
result "colocctl/rustfmt" "$log" $?

python3 "$COLOC_TOP/scripts/test_guest.py" > "$log" 2>&1
result "runner/result-parser" "$log" $?

# One version everywhere it is stated.
version=$(cat "$COLOC_TOP/VERSION")
{
	grep -q "^+#define COLOC_VERSION \"$version\"\$" "$COLOC_TOP"/patches/0001-*.patch ||
		echo "patches/0001: COLOC_VERSION is not \"$version\""
	grep -q "^version = \"$version\"\$" "$COLOC_TOP/tools/colocctl/Cargo.toml" ||
		echo "tools/colocctl/Cargo.toml: version is not \"$version\""
} > "$log" 2>&1
rc=0
[ -s "$log" ] && rc=1
result "version/consistent" "$log" $rc

# The series as distro builders apply it: git am and quilt, no fuzz.
# UPSTREAM_SRC (a pristine linux-6.12.y tarball or tree) adds that source.
"$COLOC_TOP/scripts/check-series.sh"
[ -n "${UPSTREAM_SRC:-}" ] && "$COLOC_TOP/scripts/check-series.sh" "$UPSTREAM_SRC"

# make dist: self-contained and reproducible.
dist_check() {
	local d1 d2 t1 t2 name
	d1=$(mktemp -d) d2=$(mktemp -d)
	trap 'rm -rf "$d1" "$d2"' RETURN
	t1=$("$COLOC_TOP/scripts/dist.sh" "$d1") && t2=$("$COLOC_TOP/scripts/dist.sh" "$d2") || return 1
	cmp "$t1" "$t2" || { echo "two archives of one commit differ"; return 1; }
	name=$(basename "$t1" .tar.xz)
	tar -tJf "$t1" | sed "s|^$name/||" > "$d1/list"
	local f
	for f in VERSION Makefile Kbuild README.md patches/series kconfig/coloc.config \
		docs/admin-guide.rst tools/colocctl/Cargo.lock scripts/build-kernel.sh \
		$(sed -n 's|^\([0-9].*\.patch\)$|patches/\1|p' "$COLOC_TOP/patches/series") \
		$(cd "$COLOC_TOP" && git ls-files 'modules/*' 'selftests/*'); do
		grep -qxF "$f" "$d1/list" || { echo "missing: $f"; return 1; }
	done
	if grep -E '^(build|\.ci|tools/colocctl/target)/' "$d1/list"; then
		echo "build output or CI files in the archive"
		return 1
	fi
}
dist_check > "$log" 2>&1
result "dist/tarball" "$log" $?

# make deb: the packages install in a Debian 12 chroot and carry exactly
# the kernel image, modules and colocctl the guest tests ran.
"$COLOC_TOP/scripts/deb.sh" build "$kdir" "$COLOC_TOP/build/deb" > "$log" 2>&1
rc=$?
result "deb/build" "$log" $rc
if [ $rc = 0 ]; then
	# A check that cannot even start (no chroot) is a failed one, not an
	# aborted run: the guest's tests still run and report.
	"$COLOC_TOP/scripts/deb.sh" check "$COLOC_TOP/build/deb" "$kdir" ||
		echo "not ok deb/check"
fi
exit 0
