#!/usr/bin/env bash
# Debian packages of the patched kernel, the coloc modules and colocctl, and
# their installation test in a Debian 12 chroot.
#
#   deb.sh build KDIR OUTDIR   build the packages into OUTDIR
#   deb.sh check OUTDIR KDIR   install them in a fresh chroot and check what
#                              landed; one TAP-like line per check
#
# The kernel packages come from the kernel's own `make bindeb-pkg`, built
# from the tree `make check` tests, so the installed vmlinuz is the very
# image the guest booted. The modules package holds the .ko files `make
# check` loaded; colocctl is the static binary its end-to-end test ran.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

VERSION=$(cat "$COLOC_TOP/VERSION")
# The policy modules; coloc_test and coloc_leak are the selftests' fixtures
# and need the test hook (CONFIG_COLOC_HOOK_TEST), which production kernels
# leave out.
PACKAGED_MODULES=$(ls "$COLOC_TOP"/modules/*/*.ko | grep -v -E '/coloc_(test|leak)\.ko$')
# The modules loaded at boot, in this order: every packaged one. Loaded
# before kubelet and koordlet start, so that the knobs are there when
# kubelet creates the pods' cgroups and when koordlet, which looks for
# them once when it starts, comes up.
BOOT_MODULES="coloc_core coloc_cpu coloc_mem coloc_io"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Build a binary package from a staged tree: STAGE/DEBIAN/control must exist.
deb_from_stage() {
	local stage=$1 outdir=$2
	local name arch ver
	name=$(sed -n 's/^Package: //p' "$stage/DEBIAN/control")
	ver=$(sed -n 's/^Version: //p' "$stage/DEBIAN/control")
	arch=$(sed -n 's/^Architecture: //p' "$stage/DEBIAN/control")
	(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		LC_ALL=C sort -z | xargs -0 -r md5sum > DEBIAN/md5sums)
	dpkg-deb --root-owner-group -Zxz --build "$stage" \
		"$outdir/${name}_${ver}_${arch}.deb" >/dev/null
}

build() {
	local kdir=$1 outdir=$2
	local krel kver arch
	krel=$(cat "$kdir/include/config/kernel.release")
	arch=$(dpkg --print-architecture)
	kver="$krel-$(cat "$kdir/.version")"
	# bindeb-pkg relinks the image (its own build version and timestamp):
	# repackage only when an input changed since the last packaging.
	if [ -f "$outdir/.inputs" ] && [ "$(inputs_id "$kdir")" = "$(cat "$outdir/.inputs")" ]; then
		note "deb: packages up to date in $outdir"
		return
	fi
	rm -rf "$outdir"
	mkdir -p "$outdir"

	note "deb: kernel packages $kver (make bindeb-pkg)"
	# dpkg-buildpackage writes into the tree's parent, the kernel cache.
	local parent
	parent=$(dirname "$kdir")
	(cd "$kdir" && "${KMAKE[@]}" -s -j"$JOBS" bindeb-pkg \
		KDEB_PKGVERSION="$kver" KDEB_COMPRESS=xz \
		DPKG_FLAGS="-us -uc" >/dev/null)
	for f in "$parent"/linux-{image,headers,libc-dev}*_"${kver}"_"$arch".deb \
		"$parent"/linux-upstream_"${kver}"_"$arch".{buildinfo,changes}; do
		[ -e "$f" ] || continue
		case "$f" in
		*.deb) mv "$f" "$outdir/" ;;
		*) rm -f "$f" ;;
		esac
	done
	ls "$outdir"/linux-image-"$krel"_*.deb >/dev/null ||
		die "bindeb-pkg made no linux-image-$krel package"

	note "deb: coloc-modules-$krel $VERSION"
	local stage docdir
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' RETURN
	mkdir -p "$stage/DEBIAN" "$stage/lib/modules/$krel/updates/coloc"
	local m
	for m in $PACKAGED_MODULES; do
		install -m 0644 "$m" "$stage/lib/modules/$krel/updates/coloc/"
	done
	for m in $BOOT_MODULES; do
		[ -f "$stage/lib/modules/$krel/updates/coloc/$m.ko" ] ||
			die "deb: $m is to be loaded at boot but is not packaged"
	done
	mkdir -p "$stage/usr/lib/modules-load.d"
	modules_load_conf "$krel" > "$stage/usr/lib/modules-load.d/coloc-$krel.conf"
	docdir=$stage/usr/share/doc/coloc-modules-$krel
	mkdir -p "$docdir"
	install -m 0644 "$COLOC_TOP"/docs/admin-guide.rst "$COLOC_TOP"/docs/koordinator.md \
		"$COLOC_TOP/README.md" "$docdir/"
	cat > "$stage/DEBIAN/control" <<-EOF
	Package: coloc-modules-$krel
	Version: $VERSION
	Architecture: $arch
	Maintainer: coloc developers <coloc@lists.invalid>
	Depends: linux-image-$krel, kmod
	Section: kernel
	Priority: optional
	Description: coloc co-location policy modules for Linux $krel
	 Rust modules that protect online services from offline batch jobs on
	 one machine: memory priority (coloc_mem), CPU group identity and the
	 SMT expeller (coloc_cpu), I/O QoS (coloc_io). They need the kernel
	 built with the coloc patch series, linux-image-$krel.
	EOF
	# Only this kernel's module index changes; depmod is what makes
	# `modprobe coloc_mem` find the files.
	local script
	for script in postinst postrm; do
		cat > "$stage/DEBIAN/$script" <<-EOF
		#!/bin/sh
		set -e
		if [ -d /lib/modules/$krel ]; then depmod -a $krel; fi
		EOF
		chmod 0755 "$stage/DEBIAN/$script"
	done
	deb_from_stage "$stage" "$outdir"

	note "deb: colocctl $VERSION"
	rm -rf "$stage"/*
	mkdir -p "$stage/DEBIAN" "$stage/usr/sbin" "$stage/usr/share/doc/colocctl"
	install -m 0755 "${COLOCCTL_BIN:-$COLOC_TOP/build/colocctl}" "$stage/usr/sbin/colocctl"
	install -m 0644 "$COLOC_TOP/tools/colocctl/README.md" "$stage/usr/share/doc/colocctl/"
	cat > "$stage/DEBIAN/control" <<-EOF
	Package: colocctl
	Version: $VERSION
	Architecture: $arch
	Maintainer: coloc developers <coloc@lists.invalid>
	Section: admin
	Priority: optional
	Description: command-line tool for the coloc co-location knobs
	 Shows kernel support and the cgroup tree with memory priority, CPU
	 class and I/O class, and sets them with validation (colocctl status,
	 tree, set; --json).
	EOF
	deb_from_stage "$stage" "$outdir"
	inputs_id "$kdir" > "$outdir/.inputs"
	ls -1 "$outdir" >&2
}

# modules_load_conf KREL: the list systemd-modules-load reads at boot, in
# a package's place (/usr/lib/modules-load.d; /etc/modules-load.d is the
# admin's). Named after the kernel release because coloc-modules-KREL of
# two kernels are installed side by side, as linux-image-KREL are, and two
# packages cannot own one path; both lists name the same modules, and
# modules-load loads each once, for the running kernel.
modules_load_conf() {
	cat <<-EOF
	# coloc's policy modules (coloc-modules-$1), loaded at boot by
	# systemd-modules-load.service. That service runs before sysinit.target
	# (sysinit.target wants it), and every service with default
	# dependencies, kubelet.service included, starts after sysinit.target:
	# the coloc knobs exist before kubelet creates the pods' cgroups and
	# before koordlet starts and looks for them. To keep a module from
	# loading at boot, write "blacklist MODULE" in a file in /etc/modprobe.d/
	# (systemd-modules-load honours it; modprobe MODULE by hand does not).
	EOF
	local m
	for m in $BOOT_MODULES; do echo "$m"; done
}

# modules_load_ok ROOT KREL: the boot list of the package installed in
# ROOT is there, owned by coloc-modules-KREL, and names every packaged
# policy module once and nothing else (coloc_test least of all), each a
# module that modprobe finds in the package for KREL.
modules_load_ok() {
	local root=$1 krel=$2 conf got want m
	conf=/usr/lib/modules-load.d/coloc-$krel.conf
	[ -f "$root$conf" ] || { echo "$conf is not installed"; return 1; }
	chroot "$root" dpkg -S "$conf" | grep "^coloc-modules-$krel: " > /dev/null ||
		{ echo "$conf is not coloc-modules-$krel's"; return 1; }
	# modules-load.d(5): a name per line; lines starting with # or ; are comments.
	got=$(grep -Ev '^[[:space:]]*([#;]|$)' "$root$conf" | LC_ALL=C sort | tr '\n' ' ')
	want=$(for m in $PACKAGED_MODULES; do basename "$m" .ko; done | LC_ALL=C sort | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "$conf lists: $got; the package has: $want"; return 1; }
	for m in $got; do
		chroot "$root" modprobe -S "$krel" --show-depends "$m" |
			grep "updates/coloc/$m.ko" > /dev/null ||
			{ echo "$conf: modprobe does not find $m for $krel in the package"; return 1; }
	done
}

# What the packages are made of, after packaging: the image as relinked.
inputs_id() {
	{
		echo "$1"
		cat "$COLOC_TOP/VERSION" "$COLOC_TOP/scripts/deb.sh"
		sha256sum "$1/arch/x86/boot/bzImage" "$COLOC_TOP"/modules/*/*.ko \
			"${COLOCCTL_BIN:-$COLOC_TOP/build/colocctl}" "$COLOC_TOP"/docs/admin-guide.rst \
			"$COLOC_TOP"/docs/koordinator.md "$COLOC_TOP/README.md" \
			"$COLOC_TOP/tools/colocctl/README.md"
	} | sha256sum | cut -c1-16
}

# A minimal Debian 12 root with kmod, cached as a tarball.
chroot_root() {
	local root=$1 tarball="$COLOC_CACHE/chroot/$DEBIAN_SUITE-minbase.tar"
	if [ ! -f "$tarball" ]; then
		note "deb: debootstrap $DEBIAN_SUITE (cached afterwards)"
		local tmp
		tmp=$(mktemp -d)
		debootstrap --variant=minbase --include=kmod "$DEBIAN_SUITE" "$tmp/root" \
			"$DEBIAN_MIRROR" > "$tmp/log" 2>&1 ||
			{ tail -20 "$tmp/log" >&2; rm -rf "$tmp"; die "debootstrap failed"; }
		mkdir -p "${tarball%/*}"
		tar -C "$tmp/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		rm -rf "$tmp"
	fi
	mkdir -p "$root"
	tar -C "$root" -xf "$tarball"
}

check() {
	local outdir=$1 kdir=$2
	local krel root log rc
	krel=$(cat "$kdir/include/config/kernel.release")
	if [ "$(id -u)" != 0 ]; then
		echo "ok deb/install # SKIP needs root for the chroot"
		return
	fi
	root=$(mktemp -d)
	log=$(mktemp)
	trap 'rm -rf "$root" "$log"' RETURN
	chroot_root "$root"
	mkdir -p "$root/tmp/debs"
	cp "$outdir"/*.deb "$root/tmp/debs/"

	# t NAME COMMAND...: one check, its output shown only on failure.
	t() {
		local name=$1
		shift
		if "$@" > "$log" 2>&1; then
			echo "ok deb/$name"
		else
			echo "not ok deb/$name"
			sed 's/^/# /' "$log" | head -30
		fi
	}
	in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

	t install-kernel in_root sh -c "dpkg -i /tmp/debs/linux-image-${krel}_*.deb"
	t install-modules in_root sh -c "dpkg -i /tmp/debs/coloc-modules-${krel}_*.deb"
	t install-colocctl in_root dpkg -i "/tmp/debs/colocctl_${VERSION}_$(dpkg --print-architecture).deb"
	# What landed is what the tests ran.
	t kernel-is-tested-image cmp "$root/boot/vmlinuz-$krel" "$kdir/arch/x86/boot/bzImage"
	local m name
	for m in $PACKAGED_MODULES; do
		name=$(basename "$m" .ko)
		t "modules/$name" sh -c "
			cmp '$root/lib/modules/$krel/updates/coloc/$name.ko' '$m' &&
			chroot '$root' modinfo -k '$krel' -F vermagic '$name' | grep -q '^$krel ' &&
			chroot '$root' modprobe -S '$krel' --show-depends '$name' |
				grep -q 'updates/coloc/$name.ko'"
	done
	t no-test-fixture test ! -e "$root/lib/modules/$krel/updates/coloc/coloc_test.ko" -a \
		! -e "$root/lib/modules/$krel/updates/coloc/coloc_leak.ko"
	# Loaded at boot, before kubelet: the list systemd-modules-load reads.
	t modules-load-at-boot modules_load_ok "$root" "$krel"
	t colocctl-runs sh -c "chroot '$root' colocctl --version | grep -qx 'colocctl $VERSION'"
	# Outside a coloc kernel, status says so instead of failing.
	t colocctl-status in_root colocctl status
	t remove sh -c "chroot '$root' dpkg -r colocctl coloc-modules-$krel &&
		! ls '$root/lib/modules/$krel/updates/coloc/'*.ko 2>/dev/null &&
		! grep -q coloc '$root/lib/modules/$krel/modules.dep' &&
		! ls '$root/usr/lib/modules-load.d/coloc-$krel.conf' 2>/dev/null"
}

case "${1:-}" in
build) build "$2" "$3" ;;
check) check "$2" "$3" ;;
*) die "usage: deb.sh build KDIR OUTDIR | check OUTDIR KDIR" ;;
esac
