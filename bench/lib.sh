# Shared by the benchmark scenarios in the guest; sourced, not run.
# shellcheck shell=sh
B=/bench
CG=/sys/fs/cgroup
MODDIR=/lib/modules/coloc
HOGS=/tmp/hogs

# POSIX shared memory, which cyclictest and stress-ng use.
if ! grep -q " /dev/shm " /proc/mounts; then
	mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 shm /dev/shm
fi

# wanted MODE: true if MODE is to run (bench.py --modes, default all).
wanted() { case ",${BENCH_MODES:-$1}," in *",$1,"*) return 0 ;; esac; return 1; }

# in_cgroup CGROUP CMD...: run CMD (a shell word list) in /CGROUP.
in_cgroup() {
	cg=$1
	shift
	sh -c "echo \$\$ > $CG/$cg/cgroup.procs; exec $*"
}

# nullb_create NAME ATTR=VALUE...: a null_blk disk /dev/NAME made through
# configfs, 1 GiB of 4 KiB blocks unless the attributes say otherwise;
# prints its MAJ:MIN.
nullb_create() {
	name=$1
	shift
	[ -d /sys/kernel/config/nullb ] || mount -t configfs none /sys/kernel/config
	mkdir -p /sys/kernel/config/nullb/$name
	for a in size=1024 blocksize=4096 submit_queues=1 "$@"; do
		echo "${a#*=}" > /sys/kernel/config/nullb/$name/${a%%=*}
	done
	echo 1 > /sys/kernel/config/nullb/$name/power
	cat /sys/block/$name/dev
}

nullb_remove() {
	echo 0 > /sys/kernel/config/nullb/$1/power
	rmdir /sys/kernel/config/nullb/$1
}

# Offline jobs that count their work until SIGTERM, then write it to the
# file given as their last argument. hog_cmd_KIND I prints the command of
# the I-th job of a kind.
hog_cmd_cpu() { echo "$B/stress_cpu_hog"; }
# Each writer has its own 128 MiB of the disk, from 1 GiB on.
hog_cmd_io() { echo "$B/io_hog $IO_DISK 262144 $((1024 + $1 * 128)) 128"; }

# hogs_start KIND COUNT CGROUP
hogs_start() {
	rm -rf "${HOGS:?}/$1"
	mkdir -p "$HOGS/$1"
	i=0
	while [ $i -lt "$2" ]; do
		# Not in_cgroup: $! must be the job itself, which sh -c execs.
		sh -c "echo \$\$ > $CG/$3/cgroup.procs; exec $(hog_cmd_"$1" $i) $HOGS/$1/$i" &
		echo $! >> "$HOGS/$1/pids"
		i=$((i + 1))
	done
}

# hogs_stop KIND COUNT [DIVISOR]: stops the jobs, prints their summed work
# (each divided by DIVISOR). It runs in a command substitution, which
# cannot wait for the jobs: it waits for their reports instead.
hogs_stop() {
	for p in $(cat "$HOGS/$1/pids"); do kill -TERM "$p" 2>/dev/null; done
	n=0
	while [ "$(ls "$HOGS/$1" | grep -vc pids)" -lt "$2" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.1
	t=0
	for f in "$HOGS/$1"/[0-9]*; do
		[ -f "$f" ] && t=$((t + $(cat "$f") / ${3:-1}))
	done
	echo $t
}

# mem_hogs_start COUNT MB CGROUP: batch queues that each resubmit a job
# touching MB when the OOM killer takes it.
mem_hogs_start() {
	rm -rf "${HOGS:?}/mem"
	mkdir -p "$HOGS/mem"
	i=0
	while [ $i -lt "$1" ]; do
		( n=0; while :; do n=$((n + 1));
			in_cgroup "$3" "$B/mem_hog $2 $HOGS/mem/$i.$n" 2>/dev/null
		done ) &
		echo $! >> "$HOGS/mem/loops"
		i=$((i + 1))
	done
}

# mem_hogs_stop CGROUP: stops the queues and their jobs; prints the MB the
# jobs touched.
mem_hogs_stop() {
	for p in $(cat "$HOGS/mem/loops" 2>/dev/null); do kill "$p" 2>/dev/null; done
	for p in $(cat "$CG/$1/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
	sleep 1
	t=0
	for f in "$HOGS/mem"/*.*; do [ -f "$f" ] && t=$((t + $(cat "$f"))); done
	echo $t
}

oom_kills() { sed -n 's/^oom_kill //p' "$CG/$1/memory.events"; }

# cpu_usage CGROUP: its CPU time so far, in microseconds.
cpu_usage() { sed -n 's/^usage_usec //p' "$CG/$1/cpu.stat"; }

# idle_us: each CPU's idle time so far in microseconds, comma-separated
# (/proc/stat, in 10 ms ticks).
idle_us() { awk '/^cpu[0-9]/ { printf "%s%.0f", sep, $5 * 10000; sep = "," }' /proc/stat; }

# idle_delta BEFORE AFTER: a JSON array of each CPU's idle time in between.
idle_delta() {
	echo "$1 $2" | awk '{ n = split($1, a, ","); split($2, b, ","); s = "["
		for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") sprintf("%.0f", b[i] - a[i]); print s "]" }'
}

# uptime_us: time since boot, in microseconds (10 ms resolution).
uptime_us() { awk '{ printf "%.0f\n", $1 * 1000000 }' /proc/uptime; }

# report SCENARIO MODE REP ONLINE_JSON EXIT [OFFLINE_WORK [ONLINE_OOM_KILLS
# [SECONDS [MEMBERS]]]]: one result line for the host (scripts/bench.py).
# SECONDS, where given, is how long the online work took: bench.py then
# reports operations ("chunks") per second. MEMBERS are more JSON members
# for the line ("key": value, ...).
report() {
	online=$4
	[ -n "$online" ] || online='{"chunks": 0}'
	extra=
	[ -n "${8:-}" ] && extra=", \"seconds\": $8"
	[ -n "${9:-}" ] && extra="$extra, $9"
	echo "BENCH {\"scenario\": \"$1\", \"mode\": \"$2\", \"rep\": $3, \"exit\": $5, \"online_oom_kills\": ${7:-0}, \"offline_work\": ${6:-0}$extra, \"online\": $online}"
}
