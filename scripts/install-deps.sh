#!/usr/bin/env bash
# Install what coloc needs on a Debian 12 machine. Idempotent: every step
# checks first, so a second run costs a few seconds.
set -euo pipefail

BINDGEN_VERSION=0.73.2

APT_PKGS=(
	clang-19 lld-19 llvm-19 libclang-19-dev
	flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
	qemu-system-x86 busybox-static e2fsprogs
	linux-source-6.12
	make gcc libc6-dev python3 git
	quilt debhelper debootstrap rsync
	fio rt-tests stress-ng
)

log() { printf 'deps: %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "apt-get install ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null 2>&1; then
	log "rustup not found; the machine's rustup toolchain is required" >&2
	exit 1
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "rustup component add rust-src"
	rustup component add rust-src
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if ! "$cargo_bin/bindgen" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	log "cargo install bindgen-cli $BINDGEN_VERSION"
	cargo install --locked --quiet --version "$BINDGEN_VERSION" bindgen-cli
fi
log "ok"
