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
# wanted_modes MODE...: those of the MODEs that are to run.
wanted_modes() { for _mode in "$@"; do wanted "$_mode" && echo "$_mode"; done; }

# rotate REP WORD...: the WORDs rotated left by REP - 1. The scenarios run
# their modes in this order, so that no mode runs first, or right after
# another, in every repetition: what drifts over a boot (the host's load,
# the page cache, fragmentation) then spreads over the modes.
rotate() {
	_n=$(($1 - 1))
	shift
	[ $# -gt 0 ] || return 0
	_n=$((_n % $#))
	_head= _tail= _i=0
	for _word in "$@"; do
		if [ $_i -lt $_n ]; then _tail="$_tail $_word"; else _head="$_head $_word"; fi
		_i=$((_i + 1))
	done
	echo $_head $_tail
}

# plan SCENARIO MODE...: the rows a scenario will report, one per MODE in
# each of its $reps repetitions. scripts/bench.py rejects the boot unless
# each of them came back exactly once, and no other.
plan() {
	_scen=$1
	shift
	_modes=$(printf '"%s", ' "$@")
	echo "BENCH-PLAN {\"scenario\": \"$_scen\", \"reps\": $reps, \"modes\": [${_modes%, }]}"
}

# Setup that cannot fail silently. knob FILE VALUE writes VALUE and reads
# it back (a keyed file, VALUE "KEY k=v...": the line of KEY must hold
# each word of VALUE); load MODULE and unload MODULE... insert and remove
# modules. Every failure, a write refused, a value that reads back
# otherwise, a module that does not load or stays loaded, goes into
# $SETUP_ERRORS, reported with every later row: scripts/bench.py rejects
# the boot. Each knob as read back goes into $KNOBS, reported with every
# row until the modules are unloaded (so a co-located row records the
# values it ran with).
SETUP_ERRORS=
KNOBS=
# Every row names its boot: scripts/bench.py pairs a co-located run with
# the run alone of the same repetition of the same boot only.
BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)

# json_str TEXT...: TEXT with what JSON strings cannot hold taken out.
json_str() { printf '%s' "$*" | tr -d '"\\' | tr '\t\n' '  '; }
setup_error() { SETUP_ERRORS="$SETUP_ERRORS${SETUP_ERRORS:+, }\"$(json_str "$@")\""; }

knob() {
	if ! echo "$2" 2>/dev/null > "$1"; then
		setup_error "$1: writing '$2' failed"
		return 1
	fi
	_key=${2%% *}
	if [ "$_key" = "$2" ]; then _got=$(cat "$1"); else _got=$(grep "^$_key " "$1"); fi
	for _w in $2; do
		case " $_got " in
		*" $_w "*) ;;
		*) setup_error "$1: wrote '$2', reads '$_got'"; break ;;
		esac
	done
	KNOBS="$KNOBS${KNOBS:+, }\"$(json_str "${1#"$CG"/}")\": \"$(json_str "$_got")\""
}

# knob_unset FILE KEY VALUE: writes VALUE, which takes the line of KEY out
# of the keyed FILE (io.latency's "MAJ:MIN target=0"); an error if the
# write fails or the line stays.
knob_unset() {
	echo "$3" 2>/dev/null > "$1" || setup_error "$1: writing '$3' failed"
	! grep -q "^$2 " "$1" || setup_error "$1: '$3' left '$(grep "^$2 " "$1")'"
}

load() { insmod "$MODDIR/$1.ko" || setup_error "insmod $1 failed"; }

unload() {
	for _mod in "$@"; do
		rmmod "$_mod" 2>/dev/null
		! grep -q "^$_mod " /proc/modules || setup_error "$_mod still loaded after rmmod"
	done
	KNOBS=
}

# The cgroup layout (bench.py --layout, coloc.bench_layout= on the guest's
# command line; BENCH_LAYOUT overrides it when a scenario is run by hand):
# - node (default): kubelet's cgroup v2 layout with the cgroupfs driver,
#   online work in kubepods/burstable/POD/CONTAINER, offline work in
#   kubepods/besteffort/POD/CONTAINER, every controller enabled down the
#   tree; the coloc modes configured as koordlet configures such a node
#   (cpu_classes, mem_qos, io_classes below).
# - flat: /online and /offline under the root, each configured directly
#   (the layout of the benchmarks before the node layout).
# Scenarios name their cgroups only through the functions below, which
# print paths relative to $CG (for in_cgroup, hogs_start and the readers).
LAYOUT=${BENCH_LAYOUT:-$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^coloc\.bench_layout=//p' | tail -1)}
: "${LAYOUT:=node}"
case $LAYOUT in
flat | node) ;;
*) echo "bench: unknown layout '$LAYOUT' (flat or node)" >&2; exit 1 ;;
esac

# The node layout's cgroups: the QoS level (Guaranteed pods would live
# directly in kubepods), one pod of each class, one container in each.
KUBEPODS=kubepods
LS_QOS=$KUBEPODS/burstable
BE_QOS=$KUBEPODS/besteffort
LS_POD=$LS_QOS/pod-online
BE_POD=$BE_QOS/pod-offline

# cg_online, cg_offline: the cgroup the online or offline work runs in,
# whose statistics the scenarios read (node: the container).
cg_online() { if [ "$LAYOUT" = node ]; then echo $LS_POD/online; else echo online; fi; }
cg_offline() { if [ "$LAYOUT" = node ]; then echo $BE_POD/offline; else echo offline; fi; }
# cg_offline_qos: the topmost cgroup that holds only offline work, where a
# mainline setting for all of it goes (node: kubepods/besteffort).
cg_offline_qos() { if [ "$LAYOUT" = node ]; then echo $BE_QOS; else echo offline; fi; }

# tree_create [CONTROLLERS [online]]: the layout's cgroups, CONTROLLERS
# (as "+cpu +io") enabled at the root first (the guest's init enables
# memory, cpu, io and cpuset there already). "online": a scenario without
# offline work, which gets no offline cgroup (node: no besteffort pod; the
# QoS level is there on every node).
tree_create() {
	[ -z "${1:-}" ] || echo "$1" > $CG/cgroup.subtree_control
	has_offline=1
	[ "${2:-}" = online ] && has_offline=0
	if [ "$LAYOUT" = node ]; then
		node_tree_create
	else
		mkdir -p $CG/online
		[ $has_offline = 0 ] || mkdir -p $CG/offline
	fi
}

# node_tree_create: kubepods, its QoS cgroups, a pod in each of burstable
# and besteffort (with offline work) and a container in each pod. As
# kubelet does, every controller a level has is enabled for its children
# (cgroup.controllers into cgroup.subtree_control), so the containers have
# the same controllers as the root's children; only the containers hold
# tasks.
node_tree_create() {
	for d in $KUBEPODS $LS_QOS $BE_QOS $LS_POD $(offline_cgs $BE_POD); do
		mkdir -p $CG/$d
		sed 's/[^ ][^ ]*/+&/g' $CG/$d/cgroup.controllers > $CG/$d/cgroup.subtree_control
	done
	mkdir -p "$CG/$(cg_online)"
	[ "$has_offline" = 0 ] || mkdir -p "$CG/$(cg_offline)"
}

# offline_cgs CGROUP...: the CGROUPs, if the scenario has offline work.
offline_cgs() { [ "${has_offline:-1}" = 0 ] || echo "$@"; }

# cpu_mainline MODE: the CPU settings of a mainline node, on the topmost
# cgroup that holds only offline work (cg_offline_qos; node: kubepods/
# besteffort). "kubernetes": what kubelet writes there on every node,
# cpu.weight 1 (cpu.shares 2); "tuned": cpu.idle 1, the best mainline
# offers offline work (a SCHED_IDLE group, as Kubernetes KEP 5889 and
# Koordinator PR #3174 propose for best-effort pods); "none": mainline's
# defaults, weight 100 and not idle, as in stock.
cpu_mainline() {
	_qos=$CG/$(cg_offline_qos)
	case $1 in
	kubernetes) knob "$_qos/cpu.idle" 0; knob "$_qos/cpu.weight" 1 ;;
	tuned) knob "$_qos/cpu.weight" 100; knob "$_qos/cpu.idle" 1 ;;
	none) knob "$_qos/cpu.idle" 0; knob "$_qos/cpu.weight" 100 ;;
	esac
}

# online_top: the topmost cgroup on online's path that holds only online
# work (node: kubepods/burstable, besteffort's sibling), where mainline's
# I/O controls, which act between siblings, go. online_path: the cgroups
# from the top down to online's (node: kubepods, burstable, the pod, the
# container), which memory.min must be set on, as protection is only as
# high as the parent's.
online_top() { if [ "$LAYOUT" = node ]; then echo $LS_QOS; else cg_online; fi; }
online_path() {
	if [ "$LAYOUT" = node ]; then echo $KUBEPODS $LS_QOS $LS_POD "$(cg_online)"; else cg_online; fi
}

# io_mainline MODE DEVNO [TARGET_US]: mainline's I/O controls on disk
# DEVNO (kubelet sets none, so stock is what a Kubernetes node does).
# "latency": io.latency with online's target on online_top, which
# throttles its siblings, offline's QoS level among them, while online
# misses it; "cost": io.cost on the disk, with online's target as the read
# latency QoS at the 95th percentile, and io.weight 10000 on online_top
# against 1 on offline's QoS level; "none": neither.
io_mainline() {
	_top=$CG/$(online_top)
	_qos=$CG/$(cg_offline_qos)
	case $1 in
	latency) knob "$_top/io.latency" "$2 target=$3" ;;
	cost)
		knob "$_top/io.weight" "default 10000"
		knob "$_qos/io.weight" "default 1"
		knob $CG/io.cost.qos "$2 enable=1 ctrl=user rpct=95.00 rlat=$3 wpct=95.00 wlat=$(($3 * 10))" ;;
	none)
		knob_unset "$_top/io.latency" "$2" "$2 target=0"
		knob "$_top/io.weight" "default 100"
		knob "$_qos/io.weight" "default 100"
		knob $CG/io.cost.qos "$2 enable=0" ;;
	esac
}

# mem_mainline MODE WS_MB: mainline's memory settings for an online
# service with a working set of WS_MB. "kubernetes": what kubelet has the
# container runtime set, oom_score_adj 1000 for best-effort jobs
# (HOG_OOM_ADJ, for hogs_start and mem_hogs_start) and, for the online
# service, kubelet's burstable value, 1000 - 1000 x its memory request
# (its working set) / the machine's memory, from 2 to 999 ($online_adj,
# for the scenario to start it with); "tuned": the same, and memory.min at
# the working set on online_path; "none": neither, as in stock. The
# values go into $KNOBS.
mem_mainline() {
	_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	_kubelet=$((1000 - 1000 * $2 * 1024 / _kb))
	[ $_kubelet -ge 2 ] || _kubelet=2
	[ $_kubelet -le 999 ] || _kubelet=999
	online_adj=0 HOG_OOM_ADJ=0 _min=0
	case $1 in
	kubernetes) online_adj=$_kubelet HOG_OOM_ADJ=1000 ;;
	tuned) online_adj=$_kubelet HOG_OOM_ADJ=1000 _min=$(($2 * 1048576)) ;;
	esac
	for _d in $(online_path); do knob "$CG/$_d/memory.min" $_min; done
	KNOBS="$KNOBS${KNOBS:+, }\"online oom_score_adj\": \"$online_adj\", \"offline oom_score_adj\": \"$HOG_OOM_ADJ\""
}

# cpu_classes CLASS (coloc_cpu loaded): group identity, online in CLASS
# (2, or 1 without the SMT expeller), offline -1. Node: in koordlet's
# order, kernel.sched_group_identity_enabled=1, then cpu.bvt_warp_ns on
# the QoS level (kubepods 0, burstable CLASS, besteffort -1), then on each
# pod and its container (online CLASS, offline -1).
cpu_classes() {
	if [ "$LAYOUT" = flat ]; then
		for d in $(offline_cgs offline); do knob $CG/$d/cpu.bvt_warp_ns -1; done
		knob $CG/online/cpu.bvt_warp_ns "$1"
		return
	fi
	knob /proc/sys/kernel/sched_group_identity_enabled 1
	knob $CG/$KUBEPODS/cpu.bvt_warp_ns 0
	knob $CG/$LS_QOS/cpu.bvt_warp_ns "$1"
	knob $CG/$BE_QOS/cpu.bvt_warp_ns -1
	for d in $LS_POD "$(cg_online)"; do knob "$CG/$d/cpu.bvt_warp_ns" "$1"; done
	for d in $(offline_cgs $BE_POD "$(cg_offline)"); do knob "$CG/$d/cpu.bvt_warp_ns" -1; done
}

# mem_qos (coloc_mem loaded): online memory.priority 12 and
# memory.wmark_min_adj -25, offline 0 and +50, priority OOM on at the root
# (the scope of a machine-wide OOM, the scenarios' kind). Node: the
# priorities and memory.use_priority_oom at the QoS level (kubepods,
# burstable, besteffort; the root's switch as well), koordlet's memory QoS
# on each pod and its container (memory.wmark_ratio 95,
# memory.wmark_scale_factor 20, memory.wmark_min_adj -25 online, +50
# offline; the watermarks do nothing without a memory limit, and the
# scenarios set none).
mem_qos() {
	knob $CG/memory.use_priority_oom 1
	if [ "$LAYOUT" = flat ]; then
		knob $CG/online/memory.priority 12
		knob $CG/offline/memory.priority 0
		knob $CG/online/memory.wmark_min_adj -25
		knob $CG/offline/memory.wmark_min_adj 50
		return
	fi
	for d in $KUBEPODS $LS_QOS $BE_QOS; do knob $CG/$d/memory.use_priority_oom 1; done
	knob $CG/$LS_QOS/memory.priority 12
	knob $CG/$BE_QOS/memory.priority 0
	for d in $LS_POD "$(cg_online)" $BE_POD "$(cg_offline)"; do
		knob "$CG/$d/memory.wmark_ratio" 95
		knob "$CG/$d/memory.wmark_scale_factor" 20
	done
	for d in $LS_POD "$(cg_online)"; do knob "$CG/$d/memory.wmark_min_adj" -25; done
	for d in $BE_POD "$(cg_offline)"; do knob "$CG/$d/memory.wmark_min_adj" 50; done
}

# mem_qos_off: priority OOM off again (the other values are ignored once
# coloc_mem is unloaded).
mem_qos_off() {
	knob $CG/memory.use_priority_oom 0
	if [ "$LAYOUT" = node ]; then
		for d in $KUBEPODS $LS_QOS $BE_QOS; do knob $CG/$d/memory.use_priority_oom 0; done
	fi
}

# io_classes MAJ:MIN TARGET_US (coloc_io loaded): online class=online with
# its completion-latency target on the disk, offline class=offline. The
# class in force is the lowest on the path, a level without a setting
# counting as normal, so in the node layout (docs/koordinator.md) every
# level above online's container is online too (kubepods, burstable, the
# pod, the container), and besteffort is offline, which makes its pods
# and containers offline.
io_classes() {
	if [ "$LAYOUT" = flat ]; then
		knob $CG/online/io.coloc "$1 class=online target=$2"
		for d in $(offline_cgs offline); do knob $CG/$d/io.coloc "$1 class=offline"; done
		return
	fi
	for d in $KUBEPODS $LS_QOS $LS_POD "$(cg_online)"; do
		knob "$CG/$d/io.coloc" "$1 class=online target=$2"
	done
	knob $CG/$BE_QOS/io.coloc "$1 class=offline"
}

# in_cgroup CGROUP CMD...: run CMD (a shell word list) in /CGROUP.
in_cgroup() {
	cg=$1
	shift
	sh -c "echo \$\$ > $CG/$cg/cgroup.procs; exec $*"
}

# in_cgroup_oom ADJ CGROUP CMD...: the same, with oom_score_adj ADJ, as a
# container runtime starts a container's process for kubelet.
in_cgroup_oom() {
	adj=$1
	cg=$2
	shift 2
	sh -c "echo \$\$ > $CG/$cg/cgroup.procs; echo $adj > /proc/self/oom_score_adj; exec $*"
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

# hogs_start KIND COUNT CGROUP: the jobs, with oom_score_adj $HOG_OOM_ADJ
# (default 0).
hogs_start() {
	rm -rf "${HOGS:?}/$1"
	mkdir -p "$HOGS/$1"
	i=0
	while [ $i -lt "$2" ]; do
		# Not in_cgroup: $! must be the job itself, which sh -c execs.
		sh -c "echo \$\$ > $CG/$3/cgroup.procs; echo ${HOG_OOM_ADJ:-0} > /proc/self/oom_score_adj; exec $(hog_cmd_"$1" $i) $HOGS/$1/$i" &
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
# touching MB when the OOM killer takes it, with oom_score_adj
# $HOG_OOM_ADJ (default 0).
mem_hogs_start() {
	rm -rf "${HOGS:?}/mem"
	mkdir -p "$HOGS/mem"
	i=0
	while [ $i -lt "$1" ]; do
		( n=0; while :; do n=$((n + 1));
			in_cgroup_oom "${HOG_OOM_ADJ:-0}" "$3" "$B/mem_hog $2 $HOGS/mem/$i.$n" 2>/dev/null
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
	echo "BENCH {\"scenario\": \"$1\", \"mode\": \"$2\", \"layout\": \"$LAYOUT\", \"boot_id\": \"$BOOT_ID\", \"rep\": $3, \"exit\": $5, \"online_oom_kills\": ${7:-0}, \"offline_work\": ${6:-0}$extra, \"knobs\": {$KNOBS}, \"setup_errors\": [$SETUP_ERRORS], \"online\": $online}"
}
