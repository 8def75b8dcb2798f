#!/bin/sh
# Memory scenario, run in the guest: an online service (a large resident
# working set, allocating 16 MiB chunks) against offline batch jobs that
# overcommit the machine and are resubmitted when killed. Three modes in
# one boot: online alone, co-located on stock behaviour, co-located with
# coloc_mem (online memory.priority 12, offline 0, priority OOM on at the
# root). One JSON line per run: BENCH {...}
# Usage: mem_scenario.sh SECONDS REPS
secs=$1
reps=$2
B=/bench
CG=/sys/fs/cgroup
ONLINE_WS=600
HOG_MB=300
HOGS=5

mkdir -p $CG/online $CG/offline /tmp/hog

offline_start() {
	i=0
	while [ $i -lt $HOGS ]; do
		# A resubmitting batch queue: each job restarts when the OOM killer takes it.
		( n=0; while :; do n=$((n + 1));
			sh -c "echo \$\$ > $CG/offline/cgroup.procs; exec $B/mem_hog $HOG_MB /tmp/hog/$i.$n" 2>/dev/null
		done ) &
		echo $! >> /tmp/hog/loops
		i=$((i + 1))
	done
}

offline_stop() {
	for p in $(cat /tmp/hog/loops 2>/dev/null); do kill $p 2>/dev/null; done
	rm -f /tmp/hog/loops
	for p in $(cat $CG/offline/cgroup.procs); do kill -9 $p 2>/dev/null; done
	sleep 1
}

offline_mb() {
	t=0
	for f in /tmp/hog/*.*; do [ -f "$f" ] && t=$((t + $(cat "$f"))); done
	echo $t
}

kills() { sed -n 's/^oom_kill //p' $CG/$1/memory.events; }

run_online() {
	mode=$1 rep=$2
	rm -f /tmp/hog/*.*
	k0=$(kills online)
	out=$(sh -c "echo \$\$ > $CG/online/cgroup.procs; exec $B/mem_latency $ONLINE_WS 16 $secs")
	rc=$?
	k1=$(kills online)
	[ -n "$out" ] || out='{"chunks": 0}'
	echo "BENCH {\"scenario\": \"memory\", \"mode\": \"$mode\", \"rep\": $rep, \"exit\": $rc, \"online_oom_kills\": $((k1 - k0)), \"offline_mb\": $(offline_mb), \"online\": $out}"
}

r=1
while [ $r -le "$reps" ]; do
	run_online alone $r

	rmmod coloc_mem 2>/dev/null
	offline_start; sleep 2
	run_online stock $r
	offline_stop

	insmod /lib/modules/coloc/coloc_mem.ko
	echo 12 > $CG/online/memory.priority
	echo 0 > $CG/offline/memory.priority
	echo 1 > $CG/memory.use_priority_oom
	offline_start; sleep 2
	run_online coloc $r
	offline_stop
	echo 0 > $CG/memory.use_priority_oom
	rmmod coloc_mem
	r=$((r + 1))
done
