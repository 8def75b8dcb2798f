#!/bin/sh
# CPU scenarios, run in the guest. Modes in one boot: online alone; the
# hogs alone (batch: the offline work the machine can do); co-located on
# stock behaviour (module unloaded); co-located with coloc_cpu, online
# cpu.bvt_warp_ns 1 (coloc_bvt1) and 2 (coloc, with the SMT expeller),
# offline -1, and, in "cpu", class 2 with offline work kept to half the
# CPUs by dynamic isolation (coloc_iso).
# - cpu: cyclictest with SCHED_OTHER, one thread pinned to CPU 0, a wakeup
#   every 1 ms, against one stress-ng cpu hog per CPU.
# - cpu_busy: cpu_wakeup, a request loop pinned to CPU 0 that wakes every
#   1 ms and computes for 200 us, against four hogs per CPU (batch jobs
#   run more threads than there are CPUs): under fair sharing the loop's
#   share of CPU 0 is then below what it asks for.
# One JSON line per run: BENCH {...}; "offline_work" is stress-ng's bogo
# operations per second; online_cpu_us, offline_cpu_us and cpu_us (CPUs x
# wall time) how the CPU time was shared.
# Usage: cpu_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
ncpu=$(grep -c ^processor /proc/cpuinfo)

echo +cpu > $CG/cgroup.subtree_control
mkdir -p $CG/online $CG/offline

# online SCENARIO: its online workload, in /online.
online() {
	case $1 in
	cpu) in_cgroup online "$B/cyclictest_report $secs" ;;
	cpu_busy) in_cgroup online "$B/cpu_wakeup 1000 200 $secs 0" ;;
	esac
}

# The CPU time of online and offline while CMD runs, and the CPU time
# there was (CPUs x wall time), as JSON members for report.
cpu_time() {
	on0=$(cpu_usage online); off0=$(cpu_usage offline); t0=$(uptime_us); i0=$(idle_us)
	"$@"
	on1=$(cpu_usage online); off1=$(cpu_usage offline); t1=$(uptime_us); i1=$(idle_us)
	cpu_json="\"online_cpu_us\": $((on1 - on0)), \"offline_cpu_us\": $((off1 - off0)), \"cpu_us\": $((ncpu * (t1 - t0))), \"idle_us\": $(idle_delta "$i0" "$i1")"
}

run_online() { out=$(online "$scen"); rc=$?; }

# co_located MODE: the hogs, 1 s of warm-up, then online.
co_located() {
	hogs_start cpu "$hogs" offline
	sleep 1
	cpu_time run_online
	report "$scen" "$1" $r "$out" $rc "$(hogs_stop cpu "$hogs")" 0 "" "$cpu_json"
}

r=1
while [ $r -le "$reps" ]; do
	for scen in cpu cpu_busy; do
		hogs=$ncpu
		[ $scen = cpu_busy ] && hogs=$((4 * ncpu))
		rmmod coloc_cpu 2>/dev/null
		out=$(online $scen); rc=$?
		report $scen alone $r "$out" $rc

		# The hogs alone, as long as in the co-located modes.
		hogs_start cpu "$hogs" offline; sleep 1
		cpu_time sleep "$secs"
		report $scen batch $r '{}' 0 "$(hogs_stop cpu "$hogs")" 0 "" "$cpu_json"

		co_located stock

		insmod $MODDIR/coloc_cpu.ko
		echo -1 > $CG/offline/cpu.bvt_warp_ns
		# Class 1: preemption and placement, without the SMT expeller.
		echo 1 > $CG/online/cpu.bvt_warp_ns
		co_located coloc_bvt1
		echo 2 > $CG/online/cpu.bvt_warp_ns
		co_located coloc
		if [ $scen = cpu ]; then
			# Dynamic isolation on top: offline work kept to half the
			# CPUs (the controller withdraws the one online uses most).
			echo 50 > /sys/kernel/coloc/cpu/offline_cpus_pct
			co_located coloc_iso
		fi
		rmmod coloc_cpu
	done
	r=$((r + 1))
done
