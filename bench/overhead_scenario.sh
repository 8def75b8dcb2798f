#!/bin/sh
# Hook overhead, run in the guest, on the two hottest hooked paths:
#
# - overhead_io: fio, 4 KiB O_DIRECT random reads one at a time (psync,
#   QD1) of a null_blk disk that completes in the submitter's context, so
#   the bio submission and completion hooks are a large share of each I/O.
#   Ops are reads; "seconds" is fio's runtime.
# - overhead_sched: hackbench (process groups talking over pipes), a
#   fixed amount of work; every message is a wakeup through the scheduler
#   hooks. Ops are hackbench loops; "seconds" is hackbench's time.
#
# Modes: on the coloc kernel, the module unloaded (alone: the hooks are
# patched-out jumps), loaded without settings (coloc_idle) and loaded with
# the workload's cgroup configured (coloc: the policy runs on every bio or
# wakeup; online with a target it always meets, or cpu class 2, so nothing
# is throttled). The workload runs in online's cgroup of the layout
# (bench/lib.sh: node, kubelet's, by default, the classes written on
# every level as koordlet and docs/koordinator.md do), on both kernels.
# On the kernel built without the series (uname -r ends in -unpatched)
# only that baseline runs, as mode "unpatched".
# Usage: overhead_scenario.sh SECONDS REPS
set -o pipefail
secs=$1
reps=$2
. /bench/lib.sh
DISK=/dev/coloc_fast
# hackbench: 4 groups of 10 senders and 10 receivers, 100-byte messages;
# the loops scale with the run length.
HB_LOOPS=$((secs * 200))
case "$(uname -r)" in *-unpatched) unpatched=1 ;; *) unpatched=0 ;; esac

devno=$(nullb_create coloc_fast irqmode=0 hw_queue_depth=64)
tree_create "+io +cpu" online
on=$(cg_online)
if [ $unpatched = 1 ]; then
	plan overhead_io unpatched
	plan overhead_sched unpatched
else
	plan overhead_io alone coloc_idle coloc
	plan overhead_sched alone coloc_idle coloc
fi

io_run() { in_cgroup "$on" "$B/fio_randread $DISK $secs"; }

# hackbench prints "Time: S.SSS"; prints "LOOPS SECONDS".
sched_run() {
	in_cgroup "$on" "hackbench -p -g 4 -f 10 -s 100 -l $HB_LOOPS" |
	awk -v loops=$HB_LOOPS '/^Time:/ { t = $2 } END { if (t > 0) print loops, t }'
}

# run MODE: both workloads once.
run() {
	out=$(io_run); rc=$?
	report overhead_io "$1" $r "$out" $rc 0 0 "$secs"
	out=$(sched_run); rc=$?
	set -- "$1" $out
	report overhead_sched "$1" $r "{\"chunks\": ${2:-0}}" $rc 0 0 "${3:-1}"
}

r=1
while [ $r -le "$reps" ]; do
	if [ $unpatched = 1 ]; then
		run unpatched
		r=$((r + 1))
		continue
	fi
	for mode in $(rotate $r alone coloc_idle coloc); do
		unload coloc_io coloc_cpu
		case $mode in
		alone) run alone ;;
		coloc_idle)
			load coloc_io
			load coloc_cpu
			# Classes are kept in the task groups across a reload:
			# none in force, as on a node with nothing configured.
			for f in $(find $CG -name cpu.bvt_warp_ns); do knob "$f" 0; done
			run coloc_idle ;;
		coloc)
			load coloc_io
			load coloc_cpu
			io_classes "$devno" 10000000
			cpu_classes 2
			run coloc ;;
		esac
	done
	unload coloc_io coloc_cpu
	r=$((r + 1))
done
nullb_remove coloc_fast
