#!/bin/sh
# Memory scenario, run in the guest: an online service (a large resident
# working set, allocating 16 MiB chunks) against offline batch jobs that
# overcommit the machine and are resubmitted when killed. Modes in one
# boot: online alone, co-located on stock behaviour (nothing set), on
# mainline as kubelet sets it (kubernetes: oom_score_adj 1000 for the
# jobs, kubelet's formula for online) and at its best (tuned: the same and
# memory.min at online's working set), co-located with coloc_mem (online memory.priority 12 and memory.wmark_min_adj -25,
# offline 0 and +50, priority OOM on at the root; in the node layout,
# bench/lib.sh's default, the priorities on the QoS level and koordlet's
# memory QoS on the pods and containers: lib.sh, mem_qos).
#
# In both co-located modes offline is a SCHED_IDLE group (cpu.idle 1 on
# /offline, or on kubepods/besteffort in the node layout: mainline's CPU
# isolation), so that the two differ in memory handling
# only: without it the online service waits for a CPU behind five busy
# batch jobs, which is coloc_cpu's business (the mixed scenario), and the
# figure would say little about memory.
#
# All modes run with the node settings Koordinator's koordlet
# writes on the machines it co-locates (its default SystemStrategy):
# vm.min_free_kbytes at 1 % of memory and vm.watermark_scale_factor 150.
# The kernel's own defaults (about 0.3 % and 10 on this 2 GiB guest) leave
# memory.wmark_min_adj a gap between offline and online of about 2.5 MiB,
# less than one of the online service's allocations.
#
# One JSON line per run: BENCH {...}, with the online service's memory
# stall (PSI "some", us), the pages it scanned in direct reclaim and the
# OOM kills in online and offline during the run.
# Usage: mem_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
ONLINE_WS=600
HOG_MB=300
NR_HOGS=5

tree_create
on=$(cg_online)
plan memory alone stock kubernetes tuned coloc
off=$(cg_offline)
knob "$CG/$(cg_offline_qos)/cpu.idle" 1

# wmarks: the min and low watermarks summed over the zones.
wmarks() {
	awk '$1 == "min" { m += $2 } $1 == "low" { l += $2 }
		END { printf "min %d KiB, low %d KiB\n", m * 4, l * 4 }' /proc/zoneinfo
}
echo "memory: kernel's watermarks: $(wmarks)"
old_min_free=$(cat /proc/sys/vm/min_free_kbytes)
old_scale=$(cat /proc/sys/vm/watermark_scale_factor)
total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
knob /proc/sys/vm/min_free_kbytes $((total_kb / 100))
knob /proc/sys/vm/watermark_scale_factor 150
echo "memory: watermarks with Koordinator's settings: $(wmarks)"

# memory_stall CGROUP: its tasks' memory stall so far (PSI "some"), in us.
memory_stall() { sed -n 's/^some .*total=//p' "$CG/$1/memory.pressure"; }
# direct_scans CGROUP: pages scanned in direct reclaim by its tasks so far.
direct_scans() { sed -n 's/^pgscan_direct //p' "$CG/$1/memory.stat"; }
# run_online MODE: online's run, its OOM kills and the offline MB. The
# OOM kills of both groups come from their memory.events, which count the
# subtree (the guest kernel has no VM event counters for /proc/vmstat).
run_online() {
	k0=$(oom_kills "$on"); o0=$(oom_kills "$off")
	s0=$(memory_stall "$on"); d0=$(direct_scans "$on")
	out=$(in_cgroup_oom "$online_adj" "$on" "$B/mem_latency $ONLINE_WS 16 $secs"); rc=$?
	k1=$(oom_kills "$on"); o1=$(oom_kills "$off")
	s1=$(memory_stall "$on"); d1=$(direct_scans "$on")
	if [ "$1" = alone ]; then mb=0; else mb=$(mem_hogs_stop "$off"); fi
	report memory "$1" $r "$out" $rc "$mb" $((k1 - k0)) "" \
		"\"online_memstall_us\": $((s1 - s0)), \"online_pgscan_direct\": $((d1 - d0)), \"oom_kills_all\": $((k1 - k0 + o1 - o0))"
}

# run_mode MODE: MODE's setup from a clean state (coloc_mem unloaded, its
# settings ignored; mainline's defaults), its run and its report.
run_mode() {
	unload coloc_mem
	mem_mainline none $ONLINE_WS
	case $1 in
	alone) run_online alone ;;
	stock)
		mem_hogs_start $NR_HOGS $HOG_MB "$off"; sleep 2
		run_online stock ;;
	kubernetes | tuned)
		mem_mainline "$1" $ONLINE_WS
		mem_hogs_start $NR_HOGS $HOG_MB "$off"; sleep 2
		run_online "$1" ;;
	coloc)
		# kubelet's oom_score_adj stays on a node that runs coloc.
		mem_mainline kubernetes $ONLINE_WS
		load coloc_mem
		mem_qos
		mem_hogs_start $NR_HOGS $HOG_MB "$off"; sleep 2
		run_online coloc
		mem_qos_off ;;
	esac
}

r=1
while [ $r -le "$reps" ]; do
	for mode in $(rotate $r alone stock kubernetes tuned coloc); do run_mode "$mode"; done
	unload coloc_mem
	r=$((r + 1))
done
echo "$old_min_free" > /proc/sys/vm/min_free_kbytes
echo "$old_scale" > /proc/sys/vm/watermark_scale_factor
