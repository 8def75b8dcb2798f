#!/bin/sh
# I/O scenario, run in the guest: small random reads of an online service
# (io_latency: 4 KiB, one at a time, O_DIRECT, as fio randread iodepth=1)
# against offline sequential writers (16 io_hog, 256 KiB O_DIRECT writes
# each) on a null_blk disk with a shallow queue (8 tags, 100 us per
# request), so the writers keep every tag busy as on a real disk.
# Modes in one boot: online alone; the writers alone (batch: the
# bandwidth offline has); co-located on stock behaviour (module unloaded);
# co-located with coloc_io (online class=online target=TARGET_US, offline
# class=offline); and the writers alone with coloc_io loaded and online
# configured but idle (batch_coloc: work conservation). One JSON line per
# run: BENCH {...}; "offline_work" is MB written by the writers.
# Usage: io_scenario.sh SECONDS REPS
secs=$1
reps=$2
B=/bench
CG=/sys/fs/cgroup
NULLB=/sys/kernel/config/nullb/coloc_bench
DISK=/dev/coloc_bench
WRITERS=16
TARGET_US=${TARGET_US:-1300}

[ -d /sys/kernel/config/nullb ] || mount -t configfs none /sys/kernel/config
mkdir -p $NULLB
echo 4096 > $NULLB/size
echo 4096 > $NULLB/blocksize
echo 2 > $NULLB/irqmode
echo 1000000 > $NULLB/completion_nsec
echo 4 > $NULLB/hw_queue_depth
echo 1 > $NULLB/submit_queues
echo 1 > $NULLB/power
devno=$(cat /sys/block/coloc_bench/dev)

echo +io > $CG/cgroup.subtree_control
mkdir -p $CG/online $CG/offline /tmp/iohog

hogs_start() {
	rm -f /tmp/iohog/*
	i=0
	while [ $i -lt $WRITERS ]; do
		sh -c "echo \$\$ > $CG/offline/cgroup.procs; exec $B/io_hog $DISK 262144 $((1024 + i * 128)) 128 /tmp/iohog/$i" &
		i=$((i + 1))
	done
}

# Stops the writers; prints the MB they wrote (see cpu_scenario.sh).
hogs_stop() {
	for p in $(cat $CG/offline/cgroup.procs); do kill -TERM $p 2>/dev/null; done
	n=0
	while [ "$(ls /tmp/iohog | wc -l)" -lt $WRITERS ] && [ $n -lt 100 ]; do
		sleep 0.1; n=$((n + 1))
	done
	sleep 0.1
	t=0
	for f in /tmp/iohog/*; do [ -f "$f" ] && t=$((t + $(cat "$f"))); done
	echo $t
}

online() {
	sh -c "echo \$\$ > $CG/online/cgroup.procs; exec $B/io_latency $DISK 4096 $secs 1024"
}

report() {
	[ -n "$3" ] || set -- "$1" "$2" '{"chunks": 0}' "$4" "$5"
	echo "BENCH {\"scenario\": \"io\", \"mode\": \"$1\", \"rep\": $2, \"exit\": $5, \"online_oom_kills\": 0, \"offline_mb\": 0, \"offline_work\": $4, \"online\": $3}"
}

configure() {
	echo "$devno class=online target=$TARGET_US" > $CG/online/io.coloc
	echo "$devno class=offline" > $CG/offline/io.coloc
	echo ${MAX_DELAY_MS:-1000} > /sys/kernel/coloc/io/max_delay_ms
}

r=1
while [ $r -le "$reps" ]; do
	rmmod coloc_io 2>/dev/null
	out=$(online); rc=$?
	report alone $r "$out" 0 $rc

	# As long as the writers run in the co-located modes: 1 s warm-up and the online run.
	hogs_start; sleep 1; sleep "$secs"
	report batch $r '{}' "$(hogs_stop)" 0

	hogs_start; sleep 1
	out=$(online); rc=$?
	report stock $r "$out" "$(hogs_stop)" $rc

	insmod /lib/modules/coloc/coloc_io.ko
	configure
	hogs_start; sleep 1
	out=$(online); rc=$?
	report coloc $r "$out" "$(hogs_stop)" $rc
	echo "coloc_io after coloc: $(cat /sys/kernel/coloc/io/stat) | online $(cat $CG/online/io.coloc_stat) | offline $(cat $CG/offline/io.coloc_stat)" > /dev/console

	hogs_start; sleep 1; sleep "$secs"
	report batch_coloc $r '{}' "$(hogs_stop)" 0
	echo "coloc_io: $(cat /sys/kernel/coloc/io/stat)" > /dev/console
	rmmod coloc_io
	r=$((r + 1))
done
echo 0 > $NULLB/power
rmdir $NULLB
