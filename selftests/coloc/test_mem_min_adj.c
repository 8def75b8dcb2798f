// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_mem: memory.wmark_min_adj under machine-wide memory pressure.
 *
 * A filler process in a test cgroup allocates anonymous memory (the guest
 * has no swap, so little can be reclaimed) until the free pages of the
 * largest zone, read from /proc/zoneinfo, drop to a target between that
 * zone's min and low watermarks, or lower. Where the target lies against
 * the watermark as moved for the filler's cgroup says what the kernel
 * must do:
 *
 * - +50 raises min halfway to low for an offline cgroup: below that, its
 *   allocations sleep instead of reclaiming (memory.exstat
 *   wmark_min_throttled_ms grows), and unloading the module releases them;
 * - 0 (the control): the same target is reached without any sleep;
 * - -25 lets an online cgroup go below min by a quarter of it with no
 *   direct reclaim (/proc/vmstat allocstall_* stays put).
 *
 * Throttled tasks sleep on their way back to user space, where they hold
 * no lock: an offline job creating files on ext4 under pressure does not
 * hold up an online task's fsync.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define PAGE 4096L

#define BOOST "/proc/sys/vm/watermark_boost_factor"
#define SCALE "/proc/sys/vm/watermark_scale_factor"

FIXTURE(min_adj) {
	char root[PATH_MAX];
	char *top, *cg;
	pid_t filler;
	/* The ext4 test's children. */
	pid_t keeper, creator;
	char boost[32];
	char scale[32];
};

FIXTURE_SETUP(min_adj)
{
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	self->top = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_min_adj_test");
	ASSERT_NE(NULL, self->top);
	self->cg = cg_name(self->top, "job");
	ASSERT_EQ(0, cg_create(self->cg));
	self->filler = 0;
	self->keeper = 0;
	self->creator = 0;
	/*
	 * Watermark boosting raises every watermark for a while after
	 * fragmentation events, which would move the targets under the
	 * fillers' feet.
	 */
	ASSERT_LT(0, coloc_read(BOOST, self->boost, sizeof(self->boost) - 1));
	ASSERT_LT(0, coloc_read(SCALE, self->scale, sizeof(self->scale) - 1));
	ASSERT_EQ(0, coloc_write_str(BOOST, "0"));
}

static void stop_child(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

#define EXT4_DISK "coloc_min_adj_ext4"
#define EXT4_DIR "/tmp/coloc_min_adj_ext4"

FIXTURE_TEARDOWN(min_adj)
{
	stop_child(&self->filler);
	stop_child(&self->creator);
	stop_child(&self->keeper);
	umount2(EXT4_DIR, MNT_DETACH);
	coloc_nullb_destroy(EXT4_DISK);
	coloc_cg_remove_tree(self->top);
	free(self->cg);
	free(self->top);
	coloc_unload("coloc_mem");
	coloc_write_str(BOOST, self->boost);
	coloc_write_str(SCALE, self->scale);
}

TEST_F(min_adj, knob)
{
	const char *out[] = { "-26", "51", "-100", "1000", NULL };
	char path[PATH_MAX + 32];

	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_min_adj", "0\n"));
	snprintf(path, sizeof(path), "%s/memory.wmark_min_adj", self->root);
	EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("no memory.wmark_min_adj on the root");

	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-25"));
	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_min_adj", "-25\n"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "50"));
	snprintf(path, sizeof(path), "%s/memory.wmark_min_adj", self->cg);
	EXPECT_EQ(0, coloc_check_rejects(path, out, "50\n"));

	EXPECT_EQ(0, cg_read_strstr(self->cg, "memory.exstat", "wmark_min_throttled_ms 0\n"));
	EXPECT_EQ(0, cg_read_strstr(self->root, "memory.exstat", "wmark_min_throttled_ms "));
}

/*
 * The value in force is the cgroup's own, raised by any throttled (positive)
 * ancestor: an offline parent binds its whole subtree, while a parent at
 * 0, never written, or itself negative does not cancel a pod's -25
 * (koordlet writes -25 on pods and containers and nothing on the QoS-level
 * cgroups above them).
 */
TEST_F(min_adj, in_force_is_own_value_unless_an_ancestor_throttles)
{
	char *child = cg_name(self->cg, "child");

	ASSERT_NE(NULL, child);
	ASSERT_EQ(0, cg_write(self->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, cg_create(child));

	ASSERT_EQ(0, cg_write(child, "memory.wmark_min_adj", "-25"));
	EXPECT_EQ(-25, coloc_min_adj_effective(child)) TH_LOG("a parent at 0 cancels nothing");
	EXPECT_EQ(0, coloc_min_adj_effective(self->cg));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-10"));
	EXPECT_EQ(-25, coloc_min_adj_effective(child));
	EXPECT_EQ(-10, coloc_min_adj_effective(self->cg));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "30"));
	EXPECT_EQ(30, coloc_min_adj_effective(child)) TH_LOG("an offline parent throttles");
	ASSERT_EQ(0, cg_write(self->top, "memory.wmark_min_adj", "40"));
	EXPECT_EQ(40, coloc_min_adj_effective(child)) TH_LOG("the highest positive ancestor binds");
	EXPECT_EQ(40, coloc_min_adj_effective(self->cg));
	ASSERT_EQ(0, cg_write(child, "memory.wmark_min_adj", "50"));
	EXPECT_EQ(50, coloc_min_adj_effective(child));
	EXPECT_EQ(0, cg_read_strcmp(child, "memory.wmark_min_adj", "50\n"));
	ASSERT_EQ(0, cg_write(self->top, "memory.wmark_min_adj", "0"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-25"));
	ASSERT_EQ(0, cg_write(child, "memory.wmark_min_adj", "0"));
	EXPECT_EQ(0, coloc_min_adj_effective(child)) TH_LOG("a parent's -25 gives a 0 nothing");

	/* Values survive an unload and reload of the module. */
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "30"));
	ASSERT_EQ(0, coloc_unload("coloc_mem"));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	EXPECT_EQ(30, coloc_min_adj_effective(child));
	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_min_adj", "30\n"));
	EXPECT_EQ(0, cg_read_strcmp(child, "memory.wmark_min_adj", "0\n"));
	free(child);
}

/*
 * A cgroup never written has its parent's own value, reads it and follows
 * it: a pod's sandbox, which koordlet never writes, has the pod's -25 or
 * +50, and a container made after its pod was written has it from the
 * start. Once written, a cgroup keeps its own.
 */
TEST_F(min_adj, unwritten_child_follows_its_parent)
{
	char *child = cg_name(self->cg, "child"), *grandchild = cg_name(self->cg, "child/g");

	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-25"));
	ASSERT_EQ(0, cg_write(self->cg, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, cg_create(child));
	ASSERT_EQ(0, cg_write(child, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, cg_create(grandchild));
	EXPECT_EQ(0, cg_read_strcmp(grandchild, "memory.wmark_min_adj", "-25\n"));
	EXPECT_EQ(-25, coloc_min_adj_effective(grandchild));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "50"));
	EXPECT_EQ(0, cg_read_strcmp(child, "memory.wmark_min_adj", "50\n"));
	EXPECT_EQ(50, coloc_min_adj_effective(grandchild));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-10"));
	EXPECT_EQ(-10, coloc_min_adj_effective(grandchild));
	ASSERT_EQ(0, cg_write(child, "memory.wmark_min_adj", "-25"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "0"));
	EXPECT_EQ(0, cg_read_strcmp(grandchild, "memory.wmark_min_adj", "-25\n"));
	EXPECT_EQ(-25, coloc_min_adj_effective(grandchild));
	free(grandchild);
	free(child);
}

struct deleg {
	char *deleg, *sub;
};

/* Returns the number of the first step that went wrong, 0 if none did. */
static int delegatee(void *arg)
{
	struct deleg *d = arg;
	static const char *const reserves[] = { "-25", "-1" };
	size_t i;

	/* Its own cgroup's file is root's: no write at all, even a higher one. */
	if (cg_write(d->deleg, "memory.wmark_min_adj", "50") != -EACCES)
		return 1;
	if (cg_write(d->deleg, "cgroup.subtree_control", "+memory") || cg_create(d->sub))
		return 2;
	/* A child starts where its parent is. */
	if (cg_read_strcmp(d->sub, "memory.wmark_min_adj", "20\n"))
		return 3;
	/*
	 * A negative value hands out the kernel's reserves, which needs
	 * CAP_SYS_NICE (mainline gives them to RT tasks): refused, value kept.
	 */
	for (i = 0; i < sizeof(reserves) / sizeof(reserves[0]); i++)
		if (cg_write(d->sub, "memory.wmark_min_adj", (char *)reserves[i]) != -EPERM ||
		    cg_read_strcmp(d->sub, "memory.wmark_min_adj", "20\n"))
			return 4;
	/* 0..50 need nothing; 0 leaves the child bound by its throttled parent. */
	if (cg_write(d->sub, "memory.wmark_min_adj", "50") ||
	    cg_read_strcmp(d->sub, "memory.wmark_min_adj", "50\n"))
		return 5;
	if (cg_write(d->sub, "memory.wmark_min_adj", "0") || coloc_min_adj_effective(d->sub) != 20)
		return 6;
	return 0;
}

/*
 * A delegated subtree cannot give itself the reserves: its owner writes
 * the cgroups it creates, but only 0..50 without privilege.
 */
TEST_F(min_adj, delegation)
{
	struct deleg d = { .deleg = self->cg, .sub = cg_name(self->cg, "sub") };

	ASSERT_EQ(0, cg_write(d.deleg, "memory.wmark_min_adj", "20"));
	ASSERT_EQ(0, coloc_cg_delegate(d.deleg));
	EXPECT_EQ(0, coloc_run_unprivileged(delegatee, &d)) TH_LOG("see delegatee()");
	EXPECT_EQ(0, cg_read_strcmp(d.deleg, "memory.wmark_min_adj", "20\n"));
	EXPECT_EQ(0, cg_read_strcmp(d.sub, "memory.wmark_min_adj", "0\n"));
	/* Root lifts the throttling: the child's own 0 is in force. */
	ASSERT_EQ(0, cg_write(d.deleg, "memory.wmark_min_adj", "-25"));
	EXPECT_EQ(0, coloc_min_adj_effective(d.sub));
	free(d.sub);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sums the allocstall_* counters of /proc/vmstat: direct reclaim entries. */
static long allocstalls(void)
{
	char line[128];
	FILE *f = fopen("/proc/vmstat", "r");
	long sum = 0, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "allocstall_", 11) && sscanf(strchr(line, ' '), "%ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

/* What the filler reports once it reached its target or gave up. */
struct fill_report {
	int reached;
	long free, min, low;
	/* Direct reclaim entries on the machine while it filled. */
	long stalls;
};

/*
 * Starts a filler in @cg that allocates until the zone's free pages are at
 * most @target and it made at least one allocation itself while they were
 * below @slow_below (where it may be throttled): free pages move in chunks
 * as per-CPU lists refill, and can pass the target without the filler's
 * own allocation meeting the watermark. It gives up @linger seconds after
 * they first dropped below @slow_below, or after two minutes. It
 * reports through @report and then, with @hold, holds its memory until
 * killed; without, it exits at once, so that nobody else has to allocate
 * below min after it.
 */
static pid_t start_filler(const char *cg, long target, long slow_below, double linger,
			  bool hold, struct fill_report *report)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct fill_report r = { 0 };
		double start = now_s(), slow = 0;
		bool allocated_below = false;
		long stalls = allocstalls();
		struct coloc_zone z;

		close(pfd[0]);
		if (cg_enter_current((char *)cg) ||
		    coloc_write_str("/proc/self/oom_score_adj", "1000"))
			_exit(1);
		while (!coloc_zone_read(&z)) {
			long gap = z.free - target, pages;
			char *p;

			if (gap <= 0 && allocated_below) {
				r.reached = 1;
				break;
			}
			if (z.free < slow_below && !slow)
				slow = now_s();
			if (now_s() - start > 120 || (slow && now_s() - slow > linger))
				break;
			/* Big steps far from the target, single pages close to it. */
			pages = gap > 8192 ? gap / 2 : gap > 256 ? 32 : 1;
			allocated_below |= z.free < slow_below;
			p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			if (p == MAP_FAILED)
				_exit(2);
		}
		r.free = z.free;
		r.min = z.min;
		r.low = z.low;
		r.stalls = allocstalls() - stalls;
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		if (!hold)
			_exit(0);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], report, sizeof(*report)) != sizeof(*report)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pfd[0]);
	return pid;
}

static void stop_filler(FIXTURE_DATA(min_adj) *self)
{
	stop_child(&self->filler);
}

/*
 * The fillers aim at a few hundred pages between two watermarks. On the
 * debug kernel, KASAN's quarantine, kmemleak's metadata and much larger
 * per-CPU page lists take and give back megabytes while a filler runs, so
 * those aims are noise there (its own allocations sent fillers aiming above
 * min into OOM). The tests that aim skip on it; the others run.
 */
static bool debug_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK);
}

static long throttled_ms(const char *cg)
{
	return cg_read_key_long((char *)cg, "memory.exstat", "wmark_min_throttled_ms ");
}

/*
 * A quarter of the way from min to low: below the watermark an offline
 * cgroup (+50) sees, above the one everyone else sees.
 */
static long offline_target(const struct coloc_zone *z)
{
	return z->min + (z->low - z->min) / 4;
}

static long offline_mark(const struct coloc_zone *z)
{
	return z->min + (z->low - z->min) / 2;
}

TEST_F_TIMEOUT(min_adj, offline_throttled_under_pressure, 300)
{
	struct fill_report r;
	struct coloc_zone z;

	if (debug_kernel())
		SKIP(return, "the debug kernel's own allocations move the aim");
	ASSERT_EQ(0, coloc_zone_read(&z));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "50"));
	self->filler = start_filler(self->cg, offline_target(&z), offline_mark(&z), 3, true, &r);
	ASSERT_GT(self->filler, 0);
	TH_LOG("zone free %ld (min %ld, low %ld), target %ld, reached %d",
	       r.free, r.min, r.low, offline_target(&z), r.reached);
	EXPECT_GT(throttled_ms(self->cg), 0);
	stop_filler(self);
}

TEST_F_TIMEOUT(min_adj, normal_cgroup_not_throttled, 300)
{
	struct fill_report r;
	struct coloc_zone z;

	if (debug_kernel())
		SKIP(return, "the debug kernel's own allocations move the aim");
	ASSERT_EQ(0, coloc_zone_read(&z));
	self->filler = start_filler(self->cg, offline_target(&z), offline_mark(&z), 10, true, &r);
	ASSERT_GT(self->filler, 0);
	TH_LOG("zone free %ld (min %ld, low %ld), reached %d", r.free, r.min, r.low, r.reached);
	EXPECT_EQ(1, r.reached);
	EXPECT_EQ(0, throttled_ms(self->cg));
	stop_filler(self);
}

/* Unloading the module ends the throttling: the filler reaches its target. */
TEST_F_TIMEOUT(min_adj, unload_releases_throttled, 300)
{
	struct fill_report r;
	struct coloc_zone z;
	pid_t unloader;

	if (debug_kernel())
		SKIP(return, "the debug kernel's own allocations move the aim");
	ASSERT_EQ(0, coloc_zone_read(&z));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "50"));
	unloader = fork();
	ASSERT_GE(unloader, 0);
	if (unloader == 0) {
		struct coloc_zone now;

		/* Once the filler is in the throttled range, unload. */
		while (!coloc_zone_read(&now) && now.free >= offline_mark(&z))
			usleep(10000);
		sleep(1);
		_exit(coloc_unload("coloc_mem") ? 1 : 0);
	}
	self->filler = start_filler(self->cg, offline_target(&z), offline_mark(&z), 30, true, &r);
	ASSERT_GT(self->filler, 0);
	TH_LOG("zone free %ld (min %ld, low %ld), reached %d", r.free, r.min, r.low, r.reached);
	EXPECT_EQ(1, r.reached);
	stop_filler(self);
	kill(unloader, SIGKILL);
	waitpid(unloader, NULL, 0);
	EXPECT_FALSE(coloc_loaded("coloc_mem"));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
}

/*
 * -25 moves min down to three quarters of it: an online filler gets to
 * seven eighths of min, where everyone else would reclaim, without
 * entering direct reclaim.
 */
TEST_F_TIMEOUT(min_adj, online_allocates_below_min, 300)
{
	struct fill_report r;
	struct coloc_zone z;
	int attempt;

	if (debug_kernel())
		SKIP(return, "the debug kernel's own allocations move the aim");
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "-25"));
	/*
	 * While the filler is below min, anyone else who allocates (kernel
	 * work on a debug kernel: kmemleak, KASAN's quarantine) reclaims
	 * directly, finds nothing and OOM-kills the filler, the designated
	 * victim. That says nothing about the filler's own allocations: try
	 * again.
	 */
	for (attempt = 0; attempt < 3; attempt++) {
		ASSERT_EQ(0, coloc_zone_read(&z));
		self->filler = start_filler(self->cg, z.min - z.min / 8, z.min, 10, false, &r);
		if (self->filler > 0)
			break;
		TH_LOG("attempt %d: the filler was OOM-killed", attempt + 1);
	}
	ASSERT_GT(self->filler, 0);
	waitpid(self->filler, NULL, 0);
	self->filler = 0;
	TH_LOG("zone free %ld (min %ld), reached %d, direct reclaim %ld",
	       r.free, r.min, r.reached, r.stalls);
	EXPECT_EQ(1, r.reached);
	EXPECT_LT(r.free, r.min);
	EXPECT_EQ(0, r.stalls) TH_LOG("direct reclaim above the moved min");
}

/*
 * The control: at 0 the same fill cannot get below min without direct
 * reclaim (where, with nothing to reclaim, the filler is OOM-killed).
 */
TEST_F_TIMEOUT(min_adj, normal_cgroup_reclaims_below_min, 300)
{
	struct fill_report r = { 0 };
	struct coloc_zone z;
	pid_t pid;

	ASSERT_EQ(0, coloc_zone_read(&z));
	pid = start_filler(self->cg, z.min - z.min / 8, z.min, 10, false, &r);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	TH_LOG("filler %s, zone free %ld (min %ld), direct reclaim %ld",
	       pid > 0 ? "reported" : "killed", r.free, r.min, r.stalls);
	EXPECT_TRUE(pid < 0 || r.stalls > 0);
}

/*
 * Keeps the zone's free pages at most @target from @cg for as long as it
 * runs, taking what kswapd frees. Killed by the caller.
 */
static pid_t start_keeper(const char *cg, long target)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (cg_enter_current((char *)cg) ||
	    coloc_write_str("/proc/self/oom_score_adj", "1000"))
		_exit(1);
	for (;;) {
		struct coloc_zone z;
		long gap;

		if (coloc_zone_read(&z))
			_exit(2);
		gap = z.free - target;
		if (gap <= 0) {
			usleep(1000);
			continue;
		}
		gap = gap > 8192 ? gap / 2 : gap > 256 ? 32 : gap;
		if (mmap(NULL, gap * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED)
			_exit(3);
	}
}

/*
 * Creates empty files in @dir from @cg until killed, counting them in
 * *@files. Each creation runs a journal transaction, inside which ext4
 * allocates: a directory block every 15 files or so (the names are near
 * the longest), an inode table block every 16, and a frozen copy of each
 * bitmap or directory block that the commit an online fsync started is
 * still writing. No data is written: a data page is allocated outside any
 * transaction, and throttling there would hide the ones inside.
 */
static pid_t start_creator(const char *cg, const char *dir, long *files)
{
	char path[PATH_MAX + 256];
	pid_t pid = fork();
	long i;
	int fd;

	if (pid)
		return pid;
	if (cg_enter_current((char *)cg))
		_exit(1);
	for (i = 0;; i++) {
		snprintf(path, sizeof(path), "%s/%0200ld", dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0)
			_exit(2);
		close(fd);
		__atomic_store_n(files, i + 1, __ATOMIC_RELAXED);
	}
}

static int mkfs_ext4(const char *disk)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execlp("mke2fs", "mke2fs", "-q", "-F", "-t", "ext4", disk, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
	       WEXITSTATUS(status) : -1;
}

/*
 * Offline work throttled by memory.wmark_min_adj, creating files on the
 * same ext4 filesystem as an online task that writes and fsyncs: the
 * online fsync waits for the journal commit, which waits for every open
 * transaction. A throttled task that slept inside one (in the allocator,
 * up to 1 s in all) held up that commit; sleeping on the way back to user
 * space, it holds up nothing.
 */
TEST_F_TIMEOUT(min_adj, throttled_offline_does_not_stall_journal, 300)
{
	static char block[4096];
	char disk[64], devno[32], offdir[PATH_MAX], online[PATH_MAX];
	char *keeper_cg = cg_name(self->top, "keeper");
	double start, t, worst = 0;
	long throttled, *files;
	struct coloc_zone z;
	int fd, fsyncs = 0;

	if (debug_kernel())
		SKIP(return, "the debug kernel's own allocations move the aim");
	ASSERT_NE(NULL, keeper_cg);
	ASSERT_EQ(0, cg_create(keeper_cg));
	files = mmap(NULL, sizeof(*files), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, files);
	*files = 0;
	ASSERT_EQ(0, coloc_nullb_create(EXT4_DISK, 512, NULL, disk, sizeof(disk),
					devno, sizeof(devno)));
	ASSERT_EQ(0, mkfs_ext4(disk));
	mkdir(EXT4_DIR, 0755);
	ASSERT_EQ(0, mount(disk, EXT4_DIR, "ext4", 0, NULL));
	snprintf(offdir, sizeof(offdir), EXT4_DIR "/offline");
	snprintf(online, sizeof(online), EXT4_DIR "/online");
	ASSERT_EQ(0, mkdir(offdir, 0755));
	fd = open(online, O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_min_adj", "50"));
	/*
	 * At the default watermarks the offline range is under a megabyte,
	 * which kswapd frees faster than the keeper can take it. Spread them
	 * (to 10 % of memory between min and low) so that the zone stays in
	 * the range once the keeper is there.
	 */
	ASSERT_EQ(0, coloc_write_str(SCALE, "1000"));
	ASSERT_EQ(0, coloc_zone_read(&z));
	self->keeper = start_keeper(keeper_cg, offline_target(&z));
	ASSERT_GT(self->keeper, 0);
	/*
	 * Until the zone stays in the range where the offline job is
	 * throttled: the keeper has taken whatever kswapd could free, and
	 * kswapd no longer lifts the zone above the offline watermark.
	 */
	start = now_s();
	t = start;
	while (!coloc_zone_read(&z) && now_s() - t < 1 && now_s() - start < 60) {
		if (z.free >= offline_mark(&z))
			t = now_s();
		usleep(10000);
	}
	TH_LOG("zone below the offline watermark for %.1f s after %.1f s",
	       now_s() - t, now_s() - start);
	throttled = throttled_ms(self->cg);
	self->creator = start_creator(self->cg, offdir, files);
	ASSERT_GT(self->creator, 0);

	start = now_s();
	while (now_s() - start < 5) {
		t = now_s();
		if (pwrite(fd, block, sizeof(block), 0) != sizeof(block) || fsync(fd))
			break;
		t = now_s() - t;
		worst = t > worst ? t : worst;
		fsyncs++;
		usleep(5000);
	}
	throttled = throttled_ms(self->cg) - throttled;
	stop_child(&self->creator);
	stop_child(&self->keeper);
	close(fd);
	TH_LOG("offline: %ld files, throttled %ld ms; online: %d fsyncs, worst %.1f ms",
	       *files, throttled, fsyncs, worst * 1000);
	EXPECT_EQ(0, umount(EXT4_DIR));
	coloc_nullb_destroy(EXT4_DISK);

	/* The offline job ran and was throttled: the test can see a stall. */
	EXPECT_GT(*files, 0);
	EXPECT_GT(throttled, 0);
	EXPECT_GT(fsyncs, 10);
	/*
	 * A commit held up behind a sleeping transaction takes up to the 1 s
	 * the allocator slept; one that is not takes a few milliseconds.
	 */
	EXPECT_LT(worst, 0.2);
	munmap(files, sizeof(*files));
	free(keeper_cg);
}

TEST_HARNESS_MAIN
