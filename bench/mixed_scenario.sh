#!/bin/sh
# Mixed scenario, run in the guest: the online service does CPU, I/O and
# memory work at once (cpu_wakeup pinned to CPU 0, fio random reads,
# mem_latency allocations, all in online's cgroup), while offline runs all
# three kinds of batch job at once in offline's (a stress-ng cpu stressor
# per CPU, 8 writers, 4 resubmitting memory hogs that overcommit the
# guest); the cgroups are those of the layout (bench/lib.sh: node,
# kubelet's, by default, configured as koordlet does).
# Modes in one boot: online alone, co-located on stock behaviour (modules
# unloaded, nothing set), on mainline as kubelet sets it (kubernetes) and
# at its best (tuned_latency, tuned_cost; run_mode below), co-located
# with coloc_cpu, coloc_io and coloc_mem loaded and configured as in the
# single-resource scenarios. One result line per probe and run:
# scenarios mixed_cpu, mixed_io and mixed_mem, each with the offline work
# of its own kind (stress-ng bogo operations per second, MB written, MB
# touched).
# Usage: mixed_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
IO_DISK=/dev/coloc_mixed
WRITERS=8
ONLINE_WS=400
HOG_MB=300
NR_MEM_HOGS=4
ncpu=$(grep -c ^processor /proc/cpuinfo)

devno=$(nullb_create coloc_mixed size=4096 irqmode=2 completion_nsec=1000000 hw_queue_depth=4)
tree_create "+cpu +io +memory"
on=$(cg_online)
MODES="alone stock kubernetes tuned_latency tuned_cost coloc"
# shellcheck disable=SC2086
for s in mixed_cpu mixed_io mixed_mem; do plan $s $MODES; done
off=$(cg_offline)
mkdir -p /tmp/mixed

# The three probes at once; their reports land in /tmp/mixed.
probes() {
	in_cgroup_oom "$online_adj" "$on" "$B/cpu_wakeup 1000 200 $secs 0" > /tmp/mixed/cpu & c=$!
	in_cgroup_oom "$online_adj" "$on" "$B/fio_randread $IO_DISK $secs" > /tmp/mixed/io & i=$!
	in_cgroup_oom "$online_adj" "$on" "$B/mem_latency $ONLINE_WS 16 $secs" > /tmp/mixed/mem & m=$!
	wait $c; rc_cpu=$?
	wait $i; rc_io=$?
	wait $m; rc_mem=$?
}

# run MODE: the probes with the offline jobs (unless alone), three reports.
run() {
	if [ "$1" != alone ]; then
		hogs_start cpu "$ncpu" "$off"
		hogs_start io $WRITERS "$off"
		mem_hogs_start $NR_MEM_HOGS $HOG_MB "$off"
		sleep 2
	fi
	k0=$(oom_kills "$on")
	probes
	k1=$(oom_kills "$on")
	work_cpu=0 work_io=0 work_mem=0
	if [ "$1" != alone ]; then
		# The memory hogs' stop kills whatever is left in offline's
		# cgroup: last.
		work_cpu=$(hogs_stop cpu "$ncpu")
		work_io=$(hogs_stop io $WRITERS)
		work_mem=$(mem_hogs_stop "$off")
	fi
	report mixed_cpu "$1" $r "$(cat /tmp/mixed/cpu)" $rc_cpu "$work_cpu"
	report mixed_io "$1" $r "$(cat /tmp/mixed/io)" $rc_io "$work_io"
	report mixed_mem "$1" $r "$(cat /tmp/mixed/mem)" $rc_mem "$work_mem" $((k1 - k0))
}

# run_mode MODE: MODE's setup from a clean state (the modules unloaded,
# mainline's defaults), its run and its reports. kubernetes: mainline as
# kubelet sets it (best-effort cpu.weight 1, its oom_score_adj values);
# tuned_latency and tuned_cost: mainline at its best (best-effort cpu.idle,
# io.latency or io.cost, memory.min at online's working set, kubelet's
# oom_score_adj). bench/lib.sh: cpu_mainline, io_mainline, mem_mainline.
run_mode() {
	unload coloc_cpu coloc_io coloc_mem
	cpu_mainline none
	io_mainline none "$devno"
	mem_mainline none $ONLINE_WS
	case $1 in
	alone | stock) run "$1" ;;
	kubernetes)
		cpu_mainline kubernetes
		mem_mainline kubernetes $ONLINE_WS
		run "$1" ;;
	tuned_latency | tuned_cost)
		cpu_mainline tuned
		io_mainline "${1#tuned_}" "$devno" 1300
		mem_mainline tuned $ONLINE_WS
		run "$1" ;;
	coloc)
		# kubelet's oom_score_adj stays on a node that runs coloc.
		mem_mainline kubernetes $ONLINE_WS
		load coloc_cpu
		load coloc_io
		load coloc_mem
		cpu_classes 2
		io_classes "$devno" 1300
		knob /sys/kernel/coloc/io/max_delay_ms 1000
		mem_qos
		run coloc
		mem_qos_off ;;
	esac
}

r=1
while [ $r -le "$reps" ]; do
	# shellcheck disable=SC2086
	for mode in $(rotate $r $MODES); do run_mode "$mode"; done
	unload coloc_cpu coloc_io coloc_mem
	r=$((r + 1))
done
nullb_remove coloc_mixed
