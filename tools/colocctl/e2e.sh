#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# colocctl end to end, inside the coloc test guest (busybox sh, as root):
# status before and after loading the modules, set and read back, the
# rejection of an out-of-range value, tree --json. KTAP output like the
# kselftests; exit 0 when every case passed, 1 otherwise, 4 when skipped.
#
# Needs: /bin/colocctl (static build) and the modules in
# /lib/modules/coloc/<name>.ko. Loads only modules that are not loaded yet,
# and unloads exactly those at the end.
#
# Environment (defaults for the guest): COLOCCTL, COLOC_MODDIR, and, to try
# the script outside the guest against a fake tree, COLOC_SYS and
# COLOC_CGROOT.

COLOCCTL=${COLOCCTL:-/bin/colocctl}
MODDIR=${COLOC_MODDIR:-/lib/modules/coloc}
SYS=${COLOC_SYS:-/sys}
CGROOT=${COLOC_CGROOT:-/sys/fs/cgroup}
CGNAME=colocctl_e2e
CG=$CGROOT/$CGNAME
NTESTS=10

num=0
pass=0
fail=0
skip=0
# Modules this script loaded, most recent first (the unload order).
loaded_here=

ok() {
	num=$((num + 1))
	pass=$((pass + 1))
	echo "ok $num $1"
}

not_ok() {
	num=$((num + 1))
	fail=$((fail + 1))
	echo "not ok $num $1"
}

skipped() {
	num=$((num + 1))
	skip=$((skip + 1))
	echo "ok $num $1 # SKIP $2"
}

# Prints its arguments, or its standard input, as "# " diagnostics.
diag() {
	if [ $# -gt 0 ]; then
		echo "# $*"
	else
		sed 's/^/# /'
	fi
}

# Runs colocctl against the configured roots; output in $out, status in $rc.
ctl() {
	out=$("$COLOCCTL" --sys-root "$SYS" --cgroup-root "$CGROOT" "$@" 2>&1)
	rc=$?
}

# The value part of the "KEY: value" line of the last status output.
status_value() {
	printf '%s\n' "$out" | sed -n "s/^$1: *//p"
}

# True if the word $2 is in the list $1.
has_word() {
	case " $1 " in
	*" $2 "*) return 0 ;;
	*) return 1 ;;
	esac
}

is_loaded() {
	[ -d "$SYS/module/$1" ]
}

# Loads module $1 unless it is loaded; remembers it for the cleanup.
load() {
	is_loaded "$1" && return 0
	if ! insmod "$MODDIR/$1.ko"; then
		diag "insmod $MODDIR/$1.ko failed"
		return 1
	fi
	loaded_here="$1 $loaded_here"
}

# Unloads module $1, retrying while it is busy (a file still open).
unload() {
	tries=0
	while is_loaded "$1"; do
		[ $tries -ge 10 ] && { diag "rmmod $1: still loaded"; return 1; }
		rmmod "$1" 2>/dev/null || sleep 1
		tries=$((tries + 1))
	done
}

# Reads a single value file, trimmed.
value_of() {
	tr -d ' \n' 2>/dev/null < "$1"
}

cleaned_up=
cleanup() {
	[ -n "$cleaned_up" ] && return "$cleanup_rc"
	cleaned_up=1
	cleanup_rc=0
	if [ -d "$CG" ] && ! rmdir "$CG"; then
		diag "rmdir $CG failed"
		cleanup_rc=1
	fi
	for m in $loaded_here; do
		unload "$m" || cleanup_rc=1
	done
	return "$cleanup_rc"
}
trap 'cleanup; exit 1' INT TERM HUP

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP must run as root"
	exit 4
fi
if [ ! -d "$SYS/kernel/coloc" ]; then
	echo "1..0 # SKIP kernel without CONFIG_COLOC ($SYS/kernel/coloc absent)"
	exit 4
fi
echo "1..$NTESTS"
if [ -e "$CG" ]; then
	diag "$CG exists already: left over from an earlier run?"
fi

# 1: the binary runs at all (static, no libc in the guest).
ctl --version
if [ $rc = 0 ]; then ok "colocctl_runs"; else printf '%s\n' "$out" | diag; not_ok "colocctl_runs"; fi

# 2: kernel support is detected.
ctl status
if [ $rc = 0 ] && status_value "kernel support" | grep -q '^yes'; then
	ok "status_kernel_support"
else
	printf '%s\n' "$out" | diag
	not_ok "status_kernel_support"
fi

# 3: before coloc_core, its files are reported absent, not as errors.
if is_loaded coloc_core; then
	skipped "status_absent_before_modules" "coloc_core was loaded before the test"
else
	ctl status
	if [ $rc = 0 ] && [ "$(status_value version)" = absent ] &&
		[ "$(status_value features)" = absent ]; then
		ok "status_absent_before_modules"
	else
		printf '%s\n' "$out" | diag
		not_ok "status_absent_before_modules"
	fi
fi

# 4: with coloc_core, the version and the "core" feature.
load coloc_core
ctl status
if [ $rc = 0 ] && status_value version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' &&
	has_word "$(status_value features)" core; then
	ok "status_version_with_core"
else
	printf '%s\n' "$out" | diag
	not_ok "status_version_with_core"
fi

# 5: coloc_mem and coloc_cpu register the features "memory" and "cpu".
load coloc_mem
load coloc_cpu
ctl status
features=$(status_value features)
if [ $rc = 0 ] && has_word "$features" memory && has_word "$features" cpu; then
	ok "status_lists_memory_and_cpu"
else
	printf '%s\n' "$out" | diag
	not_ok "status_lists_memory_and_cpu"
fi

# 6: set a priority and a class on a fresh cgroup and read the files back.
echo "+memory +cpu" > "$CGROOT/cgroup.subtree_control" || diag "cannot enable +memory +cpu in $CGROOT"
mkdir -p "$CG" || diag "mkdir $CG failed"
ctl set "$CGNAME" --memory-priority 7 --cpu-class offline
prio=$(value_of "$CG/memory.priority")
bvt=$(value_of "$CG/cpu.bvt_warp_ns")
if [ $rc = 0 ] && [ "$prio" = 7 ] && [ "$bvt" = -1 ]; then
	ok "set_priority_and_cpu_class"
else
	printf '%s\n' "$out" | diag
	diag "rc=$rc memory.priority='$prio' cpu.bvt_warp_ns='$bvt'"
	not_ok "set_priority_and_cpu_class"
fi

# 7: an out-of-range priority fails and leaves the file as it was.
before=$(value_of "$CG/memory.priority")
ctl set "$CGNAME" --memory-priority 13
after=$(value_of "$CG/memory.priority")
if [ $rc != 0 ] && [ -n "$before" ] && [ "$before" = "$after" ]; then
	ok "set_rejects_out_of_range"
else
	printf '%s\n' "$out" | diag
	diag "rc=$rc memory.priority before='$before' after='$after'"
	not_ok "set_rejects_out_of_range"
fi

# 8: tree --json lists the cgroup.
ctl tree --json
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q "\"path\": \"/$CGNAME\""; then
	ok "tree_json_has_cgroup"
else
	printf '%s\n' "$out" | diag
	not_ok "tree_json_has_cgroup"
fi

# 9: the text tree shows the priority and the class on the cgroup's row.
ctl tree "$CGNAME"
row=$(printf '%s\n' "$out" | grep "^/$CGNAME ")
if [ $rc = 0 ] && has_word "$row" 7 && has_word "$row" offline; then
	ok "tree_text_shows_settings"
else
	printf '%s\n' "$out" | diag
	not_ok "tree_text_shows_settings"
fi

# 10: remove the cgroup, unload what this script loaded.
if cleanup; then ok "cleanup"; else not_ok "cleanup"; fi

if [ "$num" != "$NTESTS" ]; then
	diag "planned $NTESTS tests, ran $num"
	fail=$((fail + 1))
fi
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" = 0 ]
