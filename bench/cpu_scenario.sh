#!/bin/sh
# CPU scenarios, run in the guest. Modes in one boot: online alone; the
# hogs alone (batch: the offline work the machine can do); co-located on
# stock behaviour (module unloaded, nothing set); co-located on mainline
# as a Kubernetes node sets it (kubernetes: best-effort cpu.weight 1) and
# at its best (tuned: best-effort cpu.idle 1); co-located with coloc_cpu, online
# cpu.bvt_warp_ns 1 (coloc_bvt1) and 2 (coloc, with the SMT expeller),
# offline -1, and, in "cpu", class 2 with offline work kept to half the
# CPUs by dynamic isolation (coloc_iso). Online and offline run in the
# cgroups of the layout (bench/lib.sh: node, kubelet's, by default; the
# classes written as koordlet writes them, class 1 in place of 2 on the
# burstable level, the pod and the container in coloc_bvt1).
# - cpu: cyclictest with SCHED_OTHER, one thread pinned to CPU 0, a wakeup
#   every 1 ms, against one stress-ng cpu hog per CPU.
# - cpu_busy: cpu_wakeup, a request loop pinned to CPU 0 that wakes every
#   1 ms and computes for 200 us, against four hogs per CPU (batch jobs
#   run more threads than there are CPUs): under fair sharing the loop's
#   share of CPU 0 is then below what it asks for.
# One JSON line per run: BENCH {...}; "offline_work" is stress-ng's bogo
# operations per second; online_cpu_us, offline_cpu_us and cpu_us (CPUs x
# wall time) how the CPU time was shared while online ran in steady state
# (run_online), idle_us each CPU's idle time then.
# Usage: cpu_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
ncpu=$(grep -c ^processor /proc/cpuinfo)

tree_create +cpu
on=$(cg_online)
off=$(cg_offline)
# The modes of each scenario, as wanted (bench.py --modes).
modes_cpu=$(wanted_modes alone batch stock kubernetes tuned coloc_bvt1 coloc coloc_iso)
modes_cpu_busy=$(wanted_modes alone batch stock kubernetes tuned coloc_bvt1 coloc)
# shellcheck disable=SC2086
plan cpu $modes_cpu
# shellcheck disable=SC2086
plan cpu_busy $modes_cpu_busy

# online SCENARIO: its online workload, in online's cgroup.
online() {
	case $1 in
	cpu) in_cgroup "$on" "$B/cyclictest_report $secs" ;;
	cpu_busy) in_cgroup "$on" "$B/cpu_wakeup 1000 200 $secs 0" ;;
	esac
}

# snap: the CPU time of online and offline so far, the time since boot and
# each CPU's idle time, as one line of words for cpu_share.
snap() { echo "$(cpu_usage "$on") $(cpu_usage "$off") $(uptime_us) $(idle_us)"; }

# cpu_share BEFORE AFTER (two snaps): how the CPU time was shared in
# between, the CPU time there was (CPUs x wall time) included, as JSON
# members for report, into $cpu_json.
cpu_share() {
	# shellcheck disable=SC2086
	set -- $1 $2
	cpu_json="\"online_cpu_us\": $(($5 - $1)), \"offline_cpu_us\": $(($6 - $2)), \"cpu_us\": $((ncpu * ($7 - $3))), \"idle_us\": $(idle_delta "$4" "$8")"
}

# run_online: the online program, its report into $out and $rc, and how
# the CPU time was shared while it ran in steady state: from 1 s after it
# starts to 1 s before it ends (runs of 3 s and more). Its start and end
# are not online work: cyclictest locks its memory, then prints a
# histogram of 100,000 lines that cyclictest_report's awk reads, about a
# second of CPU time in the online cgroup, and next to class 2 work the
# SMT expeller holds offline work back whatever that work is.
run_online() {
	s0=$(snap)
	online "$scen" > /tmp/online.json &
	pid=$!
	if [ "$secs" -ge 3 ]; then
		sleep 1
		s0=$(snap)
		sleep $((secs - 2))
		s1=$(snap)
	fi
	wait $pid
	rc=$?
	[ "$secs" -ge 3 ] || s1=$(snap)
	out=$(cat /tmp/online.json)
	cpu_share "$s0" "$s1"
}

# co_located MODE: the hogs, 1 s of warm-up, then online.
co_located() {
	hogs_start cpu "$hogs" "$off"
	sleep 1
	run_online
	report "$scen" "$1" $r "$out" $rc "$(hogs_stop cpu "$hogs")" 0 "" "$cpu_json"
}

# run_mode MODE: MODE's setup from a clean state (coloc_cpu unloaded,
# mainline's defaults on offline's QoS level), its run and its report.
run_mode() {
	unload coloc_cpu
	cpu_mainline none
	case $1 in
	alone)
		out=$(online "$scen"); rc=$?
		report "$scen" alone $r "$out" $rc ;;
	batch)
		# The hogs alone, as long as in the co-located modes.
		hogs_start cpu "$hogs" "$off"; sleep 1
		s0=$(snap); sleep "$secs"; s1=$(snap)
		cpu_share "$s0" "$s1"
		report "$scen" batch $r '{}' 0 "$(hogs_stop cpu "$hogs")" 0 "" "$cpu_json" ;;
	stock)
		co_located stock ;;
	kubernetes | tuned)
		cpu_mainline "$1"
		co_located "$1" ;;
	coloc_bvt1)
		# Class 1: preemption and placement, without the SMT expeller.
		load coloc_cpu
		cpu_classes 1
		co_located coloc_bvt1 ;;
	coloc)
		load coloc_cpu
		cpu_classes 2
		co_located coloc ;;
	coloc_iso)
		# Dynamic isolation on top: offline work kept to half the
		# CPUs (the controller withdraws the one online uses most).
		load coloc_cpu
		cpu_classes 2
		knob /sys/kernel/coloc/cpu/offline_cpus_pct 50
		co_located coloc_iso ;;
	esac
}

r=1
while [ $r -le "$reps" ]; do
	for scen in cpu cpu_busy; do
		hogs=$ncpu
		[ $scen = cpu_busy ] && hogs=$((4 * ncpu))
		eval "modes=\$modes_$scen"
		# shellcheck disable=SC2086,SC2154
		for mode in $(rotate $r $modes); do run_mode "$mode"; done
		unload coloc_cpu
	done
	r=$((r + 1))
done
