#!/bin/sh
# Memory scenario, run in the guest: an online service (a large resident
# working set, allocating 16 MiB chunks) against offline batch jobs that
# overcommit the machine and are resubmitted when killed. Three modes in
# one boot: online alone, co-located on stock behaviour, co-located with
# coloc_mem (online memory.priority 12 and memory.wmark_min_adj -25,
# offline 0 and +50, priority OOM on at the root). One JSON line per run:
# BENCH {...}
# Usage: mem_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
ONLINE_WS=600
HOG_MB=300
NR_HOGS=5

mkdir -p $CG/online $CG/offline

# run_online MODE: online's run, its OOM kills and the offline MB.
run_online() {
	k0=$(oom_kills online)
	out=$(in_cgroup online "$B/mem_latency $ONLINE_WS 16 $secs"); rc=$?
	k1=$(oom_kills online)
	if [ "$1" = alone ]; then mb=0; else mb=$(mem_hogs_stop offline); fi
	report memory "$1" $r "$out" $rc "$mb" $((k1 - k0))
}

r=1
while [ $r -le "$reps" ]; do
	run_online alone

	rmmod coloc_mem 2>/dev/null
	mem_hogs_start $NR_HOGS $HOG_MB offline; sleep 2
	run_online stock

	insmod $MODDIR/coloc_mem.ko
	echo 12 > $CG/online/memory.priority
	echo 0 > $CG/offline/memory.priority
	echo -25 > $CG/online/memory.wmark_min_adj
	echo 50 > $CG/offline/memory.wmark_min_adj
	echo 1 > $CG/memory.use_priority_oom
	mem_hogs_start $NR_HOGS $HOG_MB offline; sleep 2
	run_online coloc
	echo 0 > $CG/memory.use_priority_oom
	rmmod coloc_mem
	r=$((r + 1))
done
