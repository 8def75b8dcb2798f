#!/usr/bin/env bash
# Build (or reuse from the cache) the patched coloc kernel.
# Prints the path of the built tree on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Only the path goes to stdout; everything the build prints goes to stderr.
exec 3>&1 1>&2

dir=$(kernel_dir)
if [ -f "$dir/.coloc-built" ]; then
	note "kernel: cached $dir"
	echo "$dir" >&3
	exit 0
fi

# Built in place (kbuild records absolute paths); the stamp marks it done.
rm -rf "$dir"
unpack_source "$dir"
cd "$dir"
[ -f .config ] && "${KMAKE[@]}" -s mrproper

if [ "$UNPATCHED" = 1 ]; then
	note "unpatched: the coloc series is not applied"
else
	note "applying $(series_files | wc -l) patches"
	for p in $(series_files); do
		# --recount is off and git apply never fuzzes: the series must apply exactly.
		git apply --whitespace=nowarn -p1 "$p" ||
			die "patch ${p##*/} does not apply cleanly to this tree"
	done
fi

"${KMAKE[@]}" -s rustavailable ||
	die "Rust is not available for this kernel: run scripts/install-deps.sh"

fragments=("$COLOC_TOP/kconfig/base.config" "$COLOC_TOP/kconfig/coloc.config")
[ "$DEBUG" = 1 ] && fragments+=("$COLOC_TOP/kconfig/debug.config")
if [ "$UNPATCHED" = 1 ]; then
	# The same configuration less the options the series introduces.
	cat "${fragments[@]}" | grep -v '^CONFIG_COLOC' |
		sed 's/^CONFIG_LOCALVERSION=.*/CONFIG_LOCALVERSION="-unpatched"/' > .coloc-unpatched.config
	fragments=("$PWD/.coloc-unpatched.config")
fi
"${KMAKE[@]}" -s tinyconfig
scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null
"${KMAKE[@]}" -s olddefconfig

# olddefconfig silently drops what it cannot satisfy (CONFIG_RUST first of
# all): every option a fragment asks for must have survived.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}
		grep -q "^$opt=" .config && { echo "  $opt: wanted n" >&2; bad=1; } ;;
	CONFIG_*=*) grep -qxF "$line" .config || { echo "  $line: not set" >&2; bad=1; } ;;
	esac
done < <(cat "${fragments[@]}")
[ $bad = 0 ] || die "the final .config lacks options the fragments ask for"

note "building kernel with $JOBS jobs"
"${KMAKE[@]}" -s -j"$JOBS"

touch .coloc-built

# Keep the cache bounded: the three newest trees of each flavour.
ls -1dt "${dir%-*}"-???????????????? 2>/dev/null | tail -n +4 | xargs -r rm -rf
note "kernel: built $dir"
echo "$dir" >&3
