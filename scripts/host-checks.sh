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
