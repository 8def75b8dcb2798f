#!/usr/bin/env bash
# Write the commits coloc-base..HEAD of the edit tree back to patches/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

EDIT_DIR=${EDIT_DIR:-$COLOC_TOP/.edit/linux}
[ -d "$EDIT_DIR/.git" ] || die "no edit tree at $EDIT_DIR: run make patches-edit"
git -C "$EDIT_DIR" diff --quiet HEAD || die "$EDIT_DIR has uncommitted changes"

out=$COLOC_TOP/patches
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
git -C "$EDIT_DIR" format-patch -q --zero-commit --no-signature \
	--subject-prefix=PATCH -o "$out" coloc-base..HEAD
{
	echo "# coloc patch series against Linux 6.12.y; applied in this order."
	(cd "$out" && ls -1 [0-9][0-9][0-9][0-9]-*.patch)
} > "$out/series"
note "exported $(grep -c '\.patch$' "$out/series") patches to $out"
