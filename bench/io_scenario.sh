#!/bin/sh
# I/O scenario, run in the guest: small random reads of an online service
# (fio: 4 KiB random reads, one at a time, O_DIRECT) against offline
# sequential writers (16 io_hog, 256 KiB O_DIRECT writes each) on a
# null_blk disk with a shallow queue (4 tags, 1 ms per request), so the
# writers keep every tag busy as on a real disk.
# Modes in one boot: online alone; the writers alone (batch: the
# bandwidth offline has); co-located on stock behaviour (module unloaded);
# co-located with coloc_io (online class=online target=TARGET_US, offline
# class=offline); and the writers alone with coloc_io loaded and online
# configured but idle (batch_coloc: work conservation). Online and
# offline run in the cgroups of the layout (bench/lib.sh: node, kubelet's,
# by default; io.coloc written on every level of online's path and on
# besteffort). One JSON line per run: BENCH {...}; "offline_work" is the
# writers' MB/s while online runs (from offline's io.stat).
# Usage: io_scenario.sh SECONDS REPS
secs=$1
reps=$2
. /bench/lib.sh
IO_DISK=/dev/coloc_bench
WRITERS=16
TARGET_US=${TARGET_US:-1300}

devno=$(nullb_create coloc_bench size=4096 irqmode=2 completion_nsec=1000000 hw_queue_depth=4)
tree_create +io
on=$(cg_online)
off=$(cg_offline)
plan io alone batch stock tuned_latency tuned_cost coloc batch_coloc

online() { in_cgroup "$on" "$B/fio_randread $IO_DISK $secs"; }

# window: the bytes offline's cgroup has written to the disk so far (its
# io.stat) and the time since boot in microseconds, as two words.
window() {
	b=$(sed -n "s/^$devno .*wbytes=\([0-9]*\).*/\1/p" "$CG/$off/io.stat")
	echo "${b:-0} $(uptime_us)"
}

# window_mbps BEFORE AFTER (two windows): the writers' MB/s in between.
window_mbps() {
	echo "$1 $2" | awk '{ printf "%.1f\n", ($4 > $2) ? ($3 - $1) / 1048576 / (($4 - $2) / 1e6) : 0 }'
}

# co_located MODE: the writers, 1 s of warm-up, then online. Offline's
# work is its MB/s while online runs, and nothing of the warm-up or the
# stop.
co_located() {
	hogs_start io $WRITERS "$off"
	sleep 1
	w0=$(window)
	out=$(online); rc=$?
	w1=$(window)
	hogs_stop io $WRITERS > /dev/null
	report io "$1" $r "$out" $rc "$(window_mbps "$w0" "$w1")"
}

# batch MODE: the writers alone, for as long as online runs in the
# co-located modes, after the same warm-up.
batch() {
	hogs_start io $WRITERS "$off"
	sleep 1
	w0=$(window)
	sleep "$secs"
	w1=$(window)
	hogs_stop io $WRITERS > /dev/null
	report io "$1" $r '{}' 0 "$(window_mbps "$w0" "$w1")"
}

configure() {
	io_classes "$devno" "$TARGET_US"
	knob /sys/kernel/coloc/io/max_delay_ms "${MAX_DELAY_MS:-1000}"
}

# run_mode MODE: MODE's setup from a clean state (coloc_io unloaded, which
# forgets its settings; mainline's I/O controls off), its run and its
# report.
run_mode() {
	unload coloc_io
	io_mainline none "$devno"
	case $1 in
	alone) out=$(online); rc=$?; report io alone $r "$out" $rc ;;
	batch) batch batch ;;
	stock) co_located stock ;;
	tuned_latency | tuned_cost)
		io_mainline "${1#tuned_}" "$devno" "$TARGET_US"
		co_located "$1" ;;
	coloc)
		load coloc_io
		configure
		co_located coloc
		echo "coloc_io after coloc: $(cat /sys/kernel/coloc/io/stat) | online $(cat "$CG/$on/io.coloc_stat") | offline $(cat "$CG/$off/io.coloc_stat")" > /dev/console ;;
	batch_coloc)
		load coloc_io
		configure
		batch batch_coloc
		echo "coloc_io after batch_coloc: $(cat /sys/kernel/coloc/io/stat)" > /dev/console ;;
	esac
}

r=1
while [ $r -le "$reps" ]; do
	for mode in $(rotate $r alone batch stock tuned_latency tuned_cost coloc batch_coloc); do
		run_mode "$mode"
	done
	unload coloc_io
	r=$((r + 1))
done
nullb_remove coloc_bench
