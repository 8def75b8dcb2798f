#!/bin/sh
# Hook overhead, run in the guest: the I/O submission and completion hooks
# are on every bio's path, so time the fastest path there is, 4 KiB
# O_DIRECT reads one at a time of a null_blk disk that completes in the
# submitter's context (io_latency; "chunks" / seconds = IOPS). Modes in
# one boot: coloc_io unloaded (alone: the hooks are patched-out jumps),
# loaded without settings (coloc_idle: no hook installed either) and
# loaded with the reader's
# cgroup online with a target it always meets (coloc: the whole policy
# runs for every bio, nothing is throttled). The unpatched kernel is not
# compared yet.
# Usage: overhead_scenario.sh SECONDS REPS
secs=$1
reps=$2
B=/bench
CG=/sys/fs/cgroup
NULLB=/sys/kernel/config/nullb/coloc_fast
DISK=/dev/coloc_fast

[ -d /sys/kernel/config/nullb ] || mount -t configfs none /sys/kernel/config
mkdir -p $NULLB
echo 1024 > $NULLB/size
echo 4096 > $NULLB/blocksize
echo 0 > $NULLB/irqmode
echo 64 > $NULLB/hw_queue_depth
echo 1 > $NULLB/submit_queues
echo 1 > $NULLB/power
devno=$(cat /sys/block/coloc_fast/dev)

echo +io > $CG/cgroup.subtree_control
mkdir -p $CG/online

online() {
	sh -c "echo \$\$ > $CG/online/cgroup.procs; exec $B/io_latency $DISK 4096 $secs 1024"
}

report() {
	[ -n "$3" ] || set -- "$1" "$2" '{"chunks": 0}' "$4"
	echo "BENCH {\"scenario\": \"overhead\", \"mode\": \"$1\", \"rep\": $2, \"exit\": $4, \"online_oom_kills\": 0, \"offline_mb\": 0, \"offline_work\": 0, \"seconds\": $secs, \"online\": $3}"
}

r=1
while [ $r -le "$reps" ]; do
	rmmod coloc_io 2>/dev/null
	out=$(online); rc=$?
	report alone $r "$out" $rc

	insmod /lib/modules/coloc/coloc_io.ko
	out=$(online); rc=$?
	report coloc_idle $r "$out" $rc

	echo "$devno class=online target=10000000" > $CG/online/io.coloc
	out=$(online); rc=$?
	report coloc $r "$out" $rc
	rmmod coloc_io
	r=$((r + 1))
done
echo 0 > $NULLB/power
rmdir $NULLB
