# Shared settings for coloc's scripts; sourced, not run.
# shellcheck shell=bash

COLOC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLOC_CACHE=${COLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coloc}
COLOC_SRC_TARBALL=${COLOC_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KSRC=${KSRC:-}
DEBUG=${DEBUG:-0}
# UNPATCHED=1: the same source and configuration without the coloc series,
# the baseline of the hook-overhead benchmark.
UNPATCHED=${UNPATCHED:-0}
JOBS=${JOBS:-$(nproc)}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The build is defined by this repository, not by the caller's environment:
# variables kbuild would read are dropped, so the cache key covers everything.
unset ARCH CROSS_COMPILE KCFLAGS KCPPFLAGS KAFLAGS KRUSTFLAGS KBUILD_OUTPUT O

# Always LLVM 19: the unversioned llvm-* tools on Debian 12 are LLVM 14.
KMAKE=(make LLVM=-19)

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
note() { printf '==> %s\n' "$*" >&2; }

# The patch series, in order.
series_files() {
	grep -v '^[[:space:]]*\(#\|$\)' "$COLOC_TOP/patches/series" |
		sed "s|^|$COLOC_TOP/patches/|"
}

# Identify the kernel source: a hash that changes whenever its content may.
source_id() {
	if [ -n "$KSRC" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
		if git -C "$KSRC" rev-parse HEAD >/dev/null 2>&1; then
			# Untracked files are copied too, so they count.
			{ git -C "$KSRC" rev-parse HEAD; git -C "$KSRC" diff HEAD;
			  (cd "$KSRC" && git ls-files -o --exclude-standard -z | xargs -0 -r sha256sum);
			} | sha256sum | cut -c1-16
		else
			(cd "$KSRC" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort) |
				sha256sum | cut -c1-16
		fi
	else
		[ -f "$COLOC_SRC_TARBALL" ] || die "$COLOC_SRC_TARBALL missing: run scripts/install-deps.sh"
		sha256sum "$COLOC_SRC_TARBALL" | cut -c1-16
	fi
}

toolchain_id() {
	{ rustc --version; clang-19 --version | head -1; ld.lld-19 --version;
	  bindgen --version; } 2>&1
}

# Cache key of the built kernel: source, patches, kconfig, toolchain, the
# build script itself and the DEBUG and UNPATCHED switches. Any difference
# gives a new key.
kernel_key() {
	{
		echo "source $(source_id)"
		echo "debug $DEBUG"
		echo "unpatched $UNPATCHED"
		toolchain_id
		if [ "$UNPATCHED" != 1 ]; then
			cat "$COLOC_TOP/patches/series"
			series_files | xargs -r cat
		fi
		cat "$COLOC_TOP"/kconfig/*.config
		cat "$COLOC_TOP/scripts/build-kernel.sh" "$COLOC_TOP/scripts/lib.sh"
	} | sha256sum | cut -c1-16
}

kernel_dir() {
	local flavour=coloc
	[ "$UNPATCHED" = 1 ] && flavour=unpatched
	[ "$DEBUG" = 1 ] && flavour=$flavour-debug
	echo "$COLOC_CACHE/kernel/$flavour-$(kernel_key)"
}

# Copy a pristine kernel tree to $1.
unpack_source() {
	local dst=$1
	mkdir -p "$dst"
	if [ -n "$KSRC" ]; then
		note "copying $KSRC"
		tar -C "$KSRC" --exclude=.git -cf - . | tar -C "$dst" -xf -
	else
		note "unpacking $COLOC_SRC_TARBALL"
		tar -C "$dst" --strip-components=1 -xf "$COLOC_SRC_TARBALL"
	fi
}
