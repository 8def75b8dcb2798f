#!/usr/bin/env bash
# The release tarball for distro builders: the quilt series, the kconfig
# fragments, module and selftest sources, colocctl, docs and the build
# scripts, from the committed tree (uncommitted changes are not shipped).
#
# Usage: dist.sh OUTDIR     prints the tarball's path
#
# Named coloc-VERSION.tar.xz at the commit tagged vVERSION, else
# coloc-VERSION+gitYYYYMMDD.HASH.tar.xz. The same commit always gives the
# same bytes: git archive stamps every file with the commit time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

outdir=$1
cd "$COLOC_TOP"
git rev-parse --verify -q HEAD >/dev/null || die "dist needs the git checkout"

version=$(cat VERSION)
if [ "$(git describe --tags --exact-match HEAD 2>/dev/null)" != "v$version" ]; then
	version="$version+git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short=7 HEAD)"
fi
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	note "dist: uncommitted changes are not in the tarball"

name=coloc-$version
mkdir -p "$outdir"
git archive --format=tar --prefix="$name/" HEAD | xz -T1 -6 > "$outdir/$name.tar.xz.tmp"
mv "$outdir/$name.tar.xz.tmp" "$outdir/$name.tar.xz"
echo "$outdir/$name.tar.xz"
