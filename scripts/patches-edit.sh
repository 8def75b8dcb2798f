#!/usr/bin/env bash
# Make a git tree with the pristine source as commit `coloc-base` and one
# commit per patch of the series on top. Edit with ordinary git (commit
# --amend, rebase -i, new commits), then run scripts/patches-export.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

EDIT_DIR=${EDIT_DIR:-$COLOC_TOP/.edit/linux}
if [ -d "$EDIT_DIR/.git" ]; then
	die "$EDIT_DIR exists; export it (make patches-export) or remove it first"
fi
rm -rf "$EDIT_DIR"
unpack_source "$EDIT_DIR"
cd "$EDIT_DIR"
# Debian's tree ignores every top-level path; git must see new files.
sed -i '/^# Debian packaging/,/^!\/debian\//d' .gitignore
git init -q
git config user.name "${GIT_AUTHOR_NAME:-coloc}"
git config user.email "${GIT_AUTHOR_EMAIL:-coloc@localhost}"
git add -A -f .
git commit -q -m "pristine $(make -s kernelversion)"
git tag coloc-base
for p in $(series_files); do
	git am -q --keep-cr "$p" || die "git am ${p##*/} failed"
done
note "edit tree ready: $EDIT_DIR ($(git rev-list --count coloc-base..HEAD) patches)"
