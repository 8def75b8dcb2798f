/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the coloc selftests: loading and unloading the coloc
 * modules, reading and writing knobs, and the malformed inputs every knob
 * must reject. cgroup helpers come from the kernel's cgroup selftests
 * (cgroup_util.c), which these tests link with.
 */
#ifndef COLOC_UTIL_H
#define COLOC_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define COLOC_SYSFS "/sys/kernel/coloc"

/* A uid without privileges, for delegation and permission tests. */
#define COLOC_TEST_UID 65534

/* Directory holding the modules; $COLOC_MODDIR overrides it. */
const char *coloc_moddir(void);

/* Loads module @name (without .ko); 0 or -errno. Loaded already is 0. */
int coloc_load(const char *name);
/* Unloads module @name, waiting for users; 0 or -errno. Not loaded is 0. */
int coloc_unload(const char *name);
bool coloc_loaded(const char *name);

/* Reads a file into @buf (NUL-terminated); length or -errno. */
ssize_t coloc_read(const char *path, char *buf, size_t size);
/* Writes @len bytes of @buf in one write(2); bytes written or -errno. */
ssize_t coloc_write(const char *path, const void *buf, size_t len);
/* Writes a string; 0 if all of it was taken, -errno otherwise. */
int coloc_write_str(const char *path, const char *s);
/* Reads a file holding one integer; 0 with *val set, or -errno. */
int coloc_read_long(const char *path, long *val);
/* True if the file at @path contains a line equal to @line. */
bool coloc_has_line(const char *path, const char *line);

/* An input every numeric knob must refuse, and why it is bad. */
struct coloc_bad_input {
	const char *what;
	const char *buf;
	size_t len;
};

/* Malformed numeric input, each refused with EINVAL or ERANGE. */
extern const struct coloc_bad_input coloc_bad_inputs[];
extern const size_t coloc_nr_bad_inputs;

/*
 * Writes every bad input and every value of @out_of_range to @path; each
 * must fail (-EINVAL or -ERANGE) and leave the file reading @expect.
 * Returns 0, or -1 after printing what went wrong.
 */
int coloc_check_rejects(const char *path, const char *const *out_of_range,
			const char *expect);

/*
 * Finds the cgroup2 root (into @root, @len bytes), enables the memory
 * controller below it, and makes a fresh cgroup @name there (removing
 * what an earlier run left), with memory enabled for its children.
 * Returns its path (free() it), or NULL.
 */
char *coloc_cg_fresh(char *root, size_t len, const char *name);
/*
 * The same with @controller instead of memory: one (such as "cpu") or
 * several separated by spaces ("cpu memory").
 */
char *coloc_cg_fresh_ctrl(char *root, size_t len, const char *name,
			  const char *controller);

/* Kills the tasks of cgroup @path and its descendants and removes them all. */
int coloc_cg_remove_tree(const char *path);

/*
 * Delegates cgroup @path to COLOC_TEST_UID as cgroup-v2.rst says: the
 * directory, cgroup.procs, cgroup.threads and cgroup.subtree_control.
 */
int coloc_cg_delegate(const char *path);

/*
 * Forever: starts a child in cgroup @cg that touches @mb MiB of anonymous
 * memory, waits for it to exit or be OOM-killed, and starts the next.
 * For a fork()ed child; never returns.
 */
void coloc_oom_storm(const char *cg, size_t mb) __attribute__((noreturn));

/* Free pages and watermarks of a memory zone, from /proc/zoneinfo. */
struct coloc_zone {
	long free, min, low, high, managed;
};

/*
 * Reads the zone with the most managed pages, where user memory comes
 * from, into @z. Returns 0, or -1 if /proc/zoneinfo makes no sense.
 */
int coloc_zone_read(struct coloc_zone *z);

/*
 * Forks a task that spins forever in cgroup @cg, pinned to @cpu unless it
 * is -1. Returns its pid, or -1.
 */
pid_t coloc_spinner(const char *cg, int cpu);

/*
 * Forks a task in cgroup @cg, pinned to @cpu unless it is -1, that spins
 * for @busy_us and sleeps for @idle_us, forever. Returns its pid, or -1.
 */
pid_t coloc_duty_cycler(const char *cg, int cpu, int busy_us, int idle_us);

/*
 * The same, but it spins for @busy_us of its own CPU time: next to a
 * spinner it then always wants more than its share, and wakes up with
 * negative lag (EEVDF alone would let the spinner go on).
 */
pid_t coloc_cpu_time_cycler(const char *cg, int cpu, int busy_us, int idle_us);

/*
 * Runs a task in cgroup @cg, pinned to @cpu unless it is -1, that sleeps
 * @sleep_us and wakes up, @n times; returns once it is done: 0, or -1.
 */
int coloc_wakeups(const char *cg, int cpu, int n, int sleep_us);

/* The CPU time of cgroup @cg (cpu.stat usage_usec); -1 if unreadable. */
long coloc_cpu_usage_us(const char *cg);

/* The CPU @pid last ran on (field 39 of /proc/PID/stat); -1 on error. */
int coloc_last_cpu(pid_t pid);

/* The number after "@key " in a flat keyed file such as a stat; -1 if missing. */
long coloc_read_key(const char *path, const char *key);

/* Runs @fn(arg) in a child with uid and gid COLOC_TEST_UID; its exit code. */
int coloc_run_unprivileged(int (*fn)(void *arg), void *arg);

/*
 * Opens @path with @flags in a child with uid and gid COLOC_TEST_UID and
 * hands the file back over a socket: a file whose opener is unprivileged,
 * for the caller to use with its own privileges. Its fd, or -errno.
 */
int coloc_open_unprivileged(const char *path, int flags);

/* What the readers below return for a file or key that is not there. */
#define COLOC_MISSING LONG_MIN

/* The number after @key in cpu.coloc_stat of cgroup @cg. */
long coloc_cpu_stat(const char *cg, const char *key);
/* cpu.coloc_stat "class": the class in force. */
long coloc_cpu_class(const char *cg);
/* cpu.coloc_stat "offline": 1 while @cg is SCHED_IDLE through its class. */
long coloc_cpu_offline(const char *cg);
/* memory.exstat "wmark_min_adj_effective": the value in force. */
long coloc_min_adj_effective(const char *cg);

/*
 * Reclaim tests run under both LRUs: a fixture variant each, whose
 * lru_gen is written to /sys/kernel/mm/lru_gen/enabled ("n": the classic
 * LRU; "y": the multi-gen LRU, Debian's default). Expands to the
 * FIXTURE_VARIANT of fixture @f and its two instances.
 */
#define COLOC_LRU_VARIANTS(f)						\
	FIXTURE_VARIANT(f) {						\
		const char *lru_gen;					\
	};								\
	FIXTURE_VARIANT_ADD(f, classic_lru) {				\
		.lru_gen = "n",						\
	};								\
	FIXTURE_VARIANT_ADD(f, multi_gen_lru) {				\
		.lru_gen = "y",						\
	}

/*
 * Switches the multi-gen LRU on ("y") or off ("n") and keeps the setting
 * it replaced in @saved (an empty string if there is none) for
 * coloc_lru_gen_restore(). Returns 0, 1 if @want is "y" and the kernel
 * has no multi-gen LRU (a test to skip), or -errno.
 */
int coloc_lru_gen_set(const char *want, char *saved, size_t size);
void coloc_lru_gen_restore(const char *saved);

/*
 * A fresh memory-backed null_blk disk made through configfs, named @name
 * (its node is /dev/@name): @size_mb, 4 KiB blocks, and each "attr=value"
 * of the NULL-terminated @attrs (may be NULL). Fills in the node's path
 * and MAJ:MIN. Returns 0 or -1.
 */
int coloc_nullb_create(const char *name, int size_mb, const char *const *attrs,
		       char *disk, size_t dlen, char *devno, size_t nlen);
void coloc_nullb_destroy(const char *name);

/*
 * A device-mapper linear device @name over all @sectors of @disk (its
 * MAJ:MIN), through /dev/mapper/control as dmsetup does. Fills in its
 * node (/dev/dm-N) and MAJ:MIN. Returns 0 or -1.
 */
int coloc_dm_linear_create(const char *name, const char *disk, unsigned long long sectors,
			   char *node, size_t nodelen, char *devno, size_t nlen);
void coloc_dm_remove(const char *name);

/*
 * Trace events: coloc_trace_setup() enables @events ("sched/sched_switch",
 * NULL-terminated) on CPU @cpu only (on every CPU if @cpu is -1), and
 * coloc_trace_teardown() disables
 * them. Each switches the events' call sites in kernel text, so both are
 * meant for moments the traced CPU is quiet (before its workload starts,
 * after it is killed): code patched under a CPU that runs through it is
 * where a TCG guest was seen to oops on a breakpoint. Between them,
 * coloc_trace_start() records into an emptied buffer until
 * coloc_trace_stop(), and coloc_trace_open() opens the text of what was
 * recorded. Return 0 or -1 (NULL).
 */
int coloc_trace_setup(int cpu, const char *const *events);
int coloc_trace_start(void);
int coloc_trace_stop(void);
void coloc_trace_teardown(void);
FILE *coloc_trace_open(void);

#endif /* COLOC_UTIL_H */
