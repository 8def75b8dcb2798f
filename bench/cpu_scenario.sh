#!/bin/sh
# CPU scenario, run in the guest: online wakeup latency (cyclictest with
# SCHED_OTHER, one thread pinned to CPU 0, a wakeup every 1 ms) against
# one offline CPU hog per CPU (stress-ng's cpu stressor). Modes in one
# boot: online alone; the hogs alone (the offline work the machine can
# do); co-located on stock behaviour (module unloaded); co-located with
# coloc_cpu, online cpu.bvt_warp_ns 1 (coloc_bvt1) and 2 (coloc, with the
# SMT expeller), offline -1, and class 2 with offline work kept to half
# the CPUs by dynamic isolation (coloc_iso). One JSON line per run: BENCH {...};
# "offline_work" is stress-ng's bogo operations per second.
# Usage: cpu_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
ncpu=$(grep -c ^processor /proc/cpuinfo)

echo +cpu > $CG/cgroup.subtree_control
mkdir -p $CG/online $CG/offline

online() { in_cgroup online "$B/cyclictest_report $secs"; }

# co_located MODE: the hogs on every CPU, 1 s of warm-up, then online.
co_located() {
	hogs_start cpu "$ncpu" offline
	sleep 1
	out=$(online); rc=$?
	report cpu "$1" $r "$out" $rc "$(hogs_stop cpu "$ncpu")"
}

r=1
while [ $r -le "$reps" ]; do
	rmmod coloc_cpu 2>/dev/null
	out=$(online); rc=$?
	report cpu alone $r "$out" $rc

	# The hogs alone, as long as in the co-located modes.
	hogs_start cpu "$ncpu" offline; sleep 1; sleep "$secs"
	report cpu batch $r '{}' 0 "$(hogs_stop cpu "$ncpu")"

	co_located stock

	insmod $MODDIR/coloc_cpu.ko
	echo -1 > $CG/offline/cpu.bvt_warp_ns
	# Class 1: preemption and placement, without the SMT expeller.
	echo 1 > $CG/online/cpu.bvt_warp_ns
	co_located coloc_bvt1
	echo 2 > $CG/online/cpu.bvt_warp_ns
	co_located coloc
	# Dynamic isolation on top: offline work kept to half the CPUs (the
	# controller withdraws the one online uses most).
	echo 50 > /sys/kernel/coloc/cpu/offline_cpus_pct
	co_located coloc_iso
	rmmod coloc_cpu
	r=$((r + 1))
done
