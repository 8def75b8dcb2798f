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
B=/bench
CG=/sys/fs/cgroup
PERIOD_US=1000
WORK_US=200
ncpu=$(grep -c ^processor /proc/cpuinfo)

echo +cpu > $CG/cgroup.subtree_control
mkdir -p $CG/online $CG/offline /tmp/cpuhog

hogs_start() {
	rm -f /tmp/cpuhog/*
	i=0
	while [ $i -lt "$ncpu" ]; do
		sh -c "echo \$\$ > $CG/offline/cgroup.procs; exec $B/cpu_hog /tmp/cpuhog/$i" &
		i=$((i + 1))
	done
}

# Stops the hogs; prints their work in millions of iterations. It runs in
# a command substitution, which cannot wait for the hogs: wait for their
# reports instead.
hogs_stop() {
	for p in $(cat $CG/offline/cgroup.procs); do kill -TERM $p 2>/dev/null; done
	n=0
	while [ "$(ls /tmp/cpuhog | wc -l)" -lt "$ncpu" ] && [ $n -lt 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	sleep 0.1
	t=0
	for f in /tmp/cpuhog/*; do [ -f "$f" ] && t=$((t + $(cat "$f") / 1000000)); done
	echo $t
}

online() {
	sh -c "echo \$\$ > $CG/online/cgroup.procs; exec $B/cpu_wakeup $PERIOD_US $WORK_US $secs 0"
}

report() {
	[ -n "$3" ] || set -- "$1" "$2" '{"chunks": 0}' "$4" "$5"
	echo "BENCH {\"scenario\": \"cpu\", \"mode\": \"$1\", \"rep\": $2, \"exit\": $5, \"online_oom_kills\": 0, \"offline_mb\": 0, \"offline_work\": $4, \"online\": $3}"
}

r=1
while [ $r -le "$reps" ]; do
	rmmod coloc_cpu 2>/dev/null
	out=$(online); rc=$?
	report alone $r "$out" 0 $rc

	# As long as the hogs run in the co-located modes: 1 s warm-up and the online run.
	hogs_start; sleep 1; sleep "$secs"
	report batch $r '{}' "$(hogs_stop)" 0

	hogs_start; sleep 1
	out=$(online); rc=$?
	report stock $r "$out" "$(hogs_stop)" $rc

	insmod /lib/modules/coloc/coloc_cpu.ko
	echo -1 > $CG/offline/cpu.bvt_warp_ns
	# Class 1: preemption and placement, without the SMT expeller.
	echo 1 > $CG/online/cpu.bvt_warp_ns
	hogs_start; sleep 1
	out=$(online); rc=$?
	report coloc_bvt1 $r "$out" "$(hogs_stop)" $rc
	echo 2 > $CG/online/cpu.bvt_warp_ns
	hogs_start; sleep 1
	out=$(online); rc=$?
	report coloc $r "$out" "$(hogs_stop)" $rc
	rmmod coloc_cpu
	r=$((r + 1))
done
