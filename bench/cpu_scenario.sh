#!/bin/sh
# CPU scenario, run in the guest: an online request loop (cpu_wakeup: a
# wakeup every 1 ms, 200 us of work each, pinned to CPU 0 as cyclictest
# -a would be) against one offline CPU hog per CPU. Modes in one boot:
# online alone; the hogs alone (the offline work the machine can do);
# co-located on stock behaviour (module unloaded); co-located with
# coloc_cpu, online cpu.bvt_warp_ns 1 (coloc_bvt1) and 2 (coloc, with the
# SMT expeller), offline -1. One JSON line per run: BENCH {...}; "offline_work" is millions of hog loop
# iterations.
# Usage: cpu_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
PERIOD_US=1000
WORK_US=200
ncpu=$(grep -c ^processor /proc/cpuinfo)

echo +cpu > $CG/cgroup.subtree_control
mkdir -p $CG/online $CG/offline

online() { in_cgroup online "$B/cpu_wakeup $PERIOD_US $WORK_US $secs 0"; }

# co_located MODE: the hogs on every CPU, 1 s of warm-up, then online.
co_located() {
	hogs_start cpu "$ncpu" offline
	sleep 1
	out=$(online); rc=$?
	report cpu "$1" $r "$out" $rc "$(hogs_stop cpu "$ncpu" 1000000)"
}

r=1
while [ $r -le "$reps" ]; do
	rmmod coloc_cpu 2>/dev/null
	out=$(online); rc=$?
	report cpu alone $r "$out" $rc

	# The hogs alone, as long as in the co-located modes.
	hogs_start cpu "$ncpu" offline; sleep 1; sleep "$secs"
	report cpu batch $r '{}' 0 "$(hogs_stop cpu "$ncpu" 1000000)"

	co_located stock

	insmod $MODDIR/coloc_cpu.ko
	echo -1 > $CG/offline/cpu.bvt_warp_ns
	# Class 1: preemption and placement, without the SMT expeller.
	echo 1 > $CG/online/cpu.bvt_warp_ns
	co_located coloc_bvt1
	echo 2 > $CG/online/cpu.bvt_warp_ns
	co_located coloc
	rmmod coloc_cpu
	r=$((r + 1))
done
