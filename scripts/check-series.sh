#!/usr/bin/env bash
# Check that the patch series applies the way distro builders apply it:
# with `git am` (one commit per patch, authorship and message kept) and with
# `quilt push -a` without fuzz. Prints one TAP-like line per way.
#
# Usage: check-series.sh [SOURCE]
#   SOURCE: a kernel tarball (.tar, .tar.xz, .tar.gz) or source directory;
#   default: KSRC if set, else Debian's linux-source-6.12 tarball. Give the
#   pristine upstream tree (kernel.org's linux-6.12.N.tar.xz or Debian's
#   linux-6.12_6.12.N.orig.tar.xz) to check the series against upstream.
#
# Only the files the series touches are taken from SOURCE: the patches see
# exactly the content they would see in the whole tree, in seconds.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=${1:-${KSRC:-$COLOC_SRC_TARBALL}}
label=${src##*/}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Paths that must exist before the series: changed by some patch ("--- a/")
# and not created by an earlier one ("+++ b/" after "--- /dev/null").
series_files | xargs sed -n 's|^--- a/||p' | LC_ALL=C sort -u > "$work/changed"
series_files | xargs sed -n '\|^--- /dev/null|{n;s|^+++ b/||p}' |
	LC_ALL=C sort -u > "$work/created"
LC_ALL=C comm -23 "$work/changed" "$work/created" > "$work/files"

base=$work/base
mkdir -p "$base"
if [ -d "$src" ]; then
	(cd "$src" && xargs -a "$work/files" cp --parents -t "$base") 2>"$work/err" ||
		{ echo "not ok series/source $label"; sed 's/^/# /' "$work/err"; exit 0; }
elif [ -f "$src" ]; then
	top=$(tar -tf "$src" 2>/dev/null | head -1)
	top=${top%%/*}
	sed "s|^|$top/|" "$work/files" > "$work/members"
	tar -xf "$src" -C "$base" --strip-components=1 -T "$work/members" 2>"$work/err" ||
		{ echo "not ok series/source $label"; sed 's/^/# /' "$work/err"; exit 0; }
else
	echo "not ok series/source $label"
	echo "# $src: no such tarball or directory"
	exit 0
fi

# git am, as `git am patches/00*.patch` on a kernel git tree.
tree=$work/git
cp -a "$base" "$tree"
g() { git -C "$tree" -c user.name=check -c user.email=check@invalid "$@"; }
g init -q && g add -A && g commit -q -m base
mapfile -t patches < <(series_files)
if g am -q "${patches[@]}" > "$work/log" 2>&1; then
	n=$(g rev-list --count HEAD)
	want=$((${#patches[@]} + 1))
	if [ "$n" = "$want" ] && [ -z "$(g status --porcelain)" ]; then
		echo "ok series/git-am $label"
	else
		echo "not ok series/git-am $label"
		echo "# $((n - 1)) commits for $((want - 1)) patches, or a dirty tree"
	fi
else
	echo "not ok series/git-am $label"
	sed 's/^/# /' "$work/log" | head -20
fi

# quilt, as a distro's packaging applies a series directory.
tree=$work/quilt
cp -a "$base" "$tree"
if (cd "$tree" && QUILT_PATCHES="$COLOC_TOP/patches" QUILT_PC=.pc \
	quilt push -a -q --fuzz=0) > "$work/log" 2>&1 &&
	! grep -qi 'fuzz\|offset' "$work/log"; then
	echo "ok series/quilt $label"
else
	echo "not ok series/quilt $label"
	sed 's/^/# /' "$work/log" | head -20
fi
