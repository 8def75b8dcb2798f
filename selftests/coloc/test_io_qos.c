// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_io: io.coloc, io.coloc_stat and /sys/kernel/coloc/io/.
 *
 * Each test makes its own null_blk disk through configfs: memory-backed,
 * so data can be read back, with a shallow queue and a fixed completion
 * time, so that a deep offline writer makes an online reader wait for a
 * tag, as on a real disk with a shallow queue. Online and offline tasks
 * are forked into their cgroups and do O_DIRECT I/O, so every bio is
 * charged to the task's cgroup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define MODULE "coloc_io"
#define KNOB "io.coloc"
#define STAT "io.coloc_stat"
#define SYSFS "/sys/kernel/coloc/io/"
#define DISK_NAME "coloc_io_test"
#define DM_NAME "coloc_io_test_dm"

#define DISK_MB		16
#define QUEUE_DEPTH	4
#define COMPLETION_NS	"500000"
#define BLOCK		4096
#define OFFLINE_IO	(64 * 1024)
#define NR_OFFLINE	8

/* Shared with the I/O children: what they did. */
struct counters {
	atomic_long online_ios;
	atomic_long offline_ios;
	atomic_long errors;
};

FIXTURE(io) {
	char root[PATH_MAX];
	char *top;	/* test cgroup with the io controller for its children */
	char *online, *offline;
	char disk[64];	/* its device node */
	char devno[32];	/* MAJ:MIN */
	char io_path[64];	/* what the I/O children open: the disk, or dm over it */
	pid_t pids[NR_OFFLINE + 2];
	int nr_pids;
	struct counters *c;
};

/* A small queue and a fixed service time, so that requests wait in it. */
static const char *const disk_attrs[] = {
	"irqmode=2", "completion_nsec=" COMPLETION_NS, "hw_queue_depth=4",
	"submit_queues=1", NULL
};

FIXTURE_SETUP(io)
{
	ASSERT_EQ(0, coloc_nullb_create(DISK_NAME, DISK_MB, disk_attrs, self->disk,
				       sizeof(self->disk), self->devno, sizeof(self->devno)));
	snprintf(self->io_path, sizeof(self->io_path), "%s", self->disk);
	ASSERT_EQ(0, coloc_load(MODULE));
	self->top = coloc_cg_fresh_ctrl(self->root, sizeof(self->root),
					"coloc_io_test", "io");
	ASSERT_NE(NULL, self->top);
	self->online = cg_name(self->top, "online");
	self->offline = cg_name(self->top, "offline");
	ASSERT_EQ(0, cg_create(self->online));
	ASSERT_EQ(0, cg_create(self->offline));
	self->c = mmap(NULL, sizeof(*self->c), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c);
	/* Make the policy react within a test's patience. */
	ASSERT_EQ(0, coloc_write_str(SYSFS "window_ms", "20"));
}

static void stop_children(FIXTURE_DATA(io) *self)
{
	int i;

	for (i = 0; i < self->nr_pids; i++) {
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
	}
	self->nr_pids = 0;
}

FIXTURE_TEARDOWN(io)
{
	stop_children(self);
	/* swap_charged_to_owner's swap area, if it stopped half-way. */
	swapoff(self->disk);
	coloc_cg_remove_tree(self->top);
	free(self->online);
	free(self->offline);
	free(self->top);
	munmap(self->c, sizeof(*self->c));
	coloc_unload(MODULE);
	coloc_dm_remove(DM_NAME);
	coloc_nullb_destroy(DISK_NAME);
}

/* Writes "DEV @keys" to io.coloc of @cg. */
static int set_io(FIXTURE_DATA(io) *self, const char *cg, const char *keys)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s %s", self->devno, keys);
	return cg_write((char *)cg, KNOB, buf);
}

/*
 * The value of @key in the line of @buf (a nested keyed file's contents)
 * for the test disk, or NULL. Modifies @buf.
 */
static const char *disk_value(FIXTURE_DATA(io) *self, char *buf, const char *key)
{
	size_t n = strlen(self->devno);
	char pat[64], *line, *p;

	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, self->devno, n) || line[n] != ' ')
			continue;
		snprintf(pat, sizeof(pat), " %s=", key);
		p = strstr(line, pat);
		return p ? p + strlen(pat) : NULL;
	}
	return NULL;
}

/*
 * The value of @key in @cg's io.coloc_stat line for the test disk, or -1;
 * classes read as 1 (online), 0 (normal) and -1000 (offline).
 */
static long stat_of(FIXTURE_DATA(io) *self, const char *cg, const char *key)
{
	char buf[4096];
	const char *v;

	if (cg_read((char *)cg, STAT, buf, sizeof(buf)))
		return -1;
	v = disk_value(self, buf, key);
	if (!v)
		return -1;
	if (!strncmp(v, "online", 6))
		return 1;
	if (!strncmp(v, "normal", 6))
		return 0;
	if (!strncmp(v, "offline", 7))
		return -1000;
	return strtol(v, NULL, 10);
}

/* The value of @key in the disk's line of /sys/kernel/coloc/io/stat, or -2. */
static long dev_stat_of(FIXTURE_DATA(io) *self, const char *key)
{
	char buf[4096];
	const char *v;

	if (coloc_read(SYSFS "stat", buf, sizeof(buf)) < 0)
		return -2;
	v = disk_value(self, buf, key);
	if (!v)
		return -2;
	return strncmp(v, "max", 3) ? strtol(v, NULL, 10) : LONG_MAX;
}

/* Each writer's share of the disk, a whole number of offline blocks. */
static long region_size(void)
{
	return (long)DISK_MB * 1024 * 1024 / (NR_OFFLINE + 1) / OFFLINE_IO * OFFLINE_IO;
}

/* True if @cg's io.coloc reads exactly @want. */
static bool knob_is(const char *cg, const char *want)
{
	char buf[4096];

	if (cg_read((char *)cg, KNOB, buf, sizeof(buf)))
		return false;
	return !strcmp(buf, want);
}

/*
 * Fills @buf with the pattern of block @blk written by @writer in round
 * @round, so a read-back can tell whose data and which round it is.
 */
static void pattern(uint64_t *buf, size_t len, long blk, int writer, long round)
{
	size_t i;

	for (i = 0; i < len / sizeof(*buf); i++)
		buf[i] = ((uint64_t)writer << 56) ^ ((uint64_t)round << 32) ^
			 ((uint64_t)blk << 8) ^ i;
}

/*
 * A child in cgroup @cg doing O_DIRECT I/O on the test disk until killed:
 * @writer 0 is the online task, small reads (or writes with @write) of
 * region 0, QD1; a writer > 0 is an offline task writing OFFLINE_IO
 * blocks over region @writer, round after round. Each writes the round
 * it finished into @rounds[@writer] for the integrity check.
 */
static pid_t io_child(FIXTURE_DATA(io) *self, const char *cg, int writer,
		      bool write, long *rounds)
{
	size_t len = writer ? OFFLINE_IO : BLOCK;
	long region = region_size();
	long nr = region / len, round, blk;
	pid_t pid = fork();
	void *buf;
	int fd;

	if (pid)
		goto out;
	if (cg_enter_current((char *)cg) || posix_memalign(&buf, BLOCK, len))
		_exit(1);
	fd = open(self->io_path, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		_exit(1);
	for (round = 1;; round++) {
		for (blk = 0; blk < nr; blk++) {
			off_t off = writer * region + blk * len;
			ssize_t ret;

			if (write) {
				pattern(buf, len, blk, writer, round);
				ret = pwrite(fd, buf, len, off);
			} else {
				ret = pread(fd, buf, len, off);
			}
			if (ret != (ssize_t)len)
				atomic_fetch_add(&self->c->errors, 1);
			if (writer)
				atomic_fetch_add(&self->c->offline_ios, 1);
			else
				atomic_fetch_add(&self->c->online_ios, 1);
		}
		if (rounds)
			rounds[writer] = round;
	}
out:
	if (pid > 0)
		self->pids[self->nr_pids++] = pid;
	return pid;
}

static void start_offline(FIXTURE_DATA(io) *self, long *rounds)
{
	int i;

	for (i = 1; i <= NR_OFFLINE; i++)
		io_child(self, self->offline, i, true, rounds);
}

/* The policy's view, for the log. */
static void log_stats(struct __test_metadata *_metadata, FIXTURE_DATA(io) *self)
{
	char buf[4096];

	if (coloc_read(SYSFS "stat", buf, sizeof(buf)) > 0)
		TH_LOG("device: %s", buf);
	if (!cg_read(self->online, STAT, buf, sizeof(buf)))
		TH_LOG("online: %s", buf);
	if (!cg_read(self->offline, STAT, buf, sizeof(buf)))
		TH_LOG("offline: %s", buf);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Online with a target it cannot meet (600 us) behind deep offline writes,
 * for 2 s: the offline bound has come down by then. Logs the statistics.
 */
static void contend(struct __test_metadata *_metadata, FIXTURE_DATA(io) *self)
{
	ASSERT_EQ(0, set_io(self, self->top, "class=online"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=600"));
	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	start_offline(self, NULL);
	ASSERT_GT(io_child(self, self->online, 0, false, NULL), 0);
	msleep(2000);
	log_stats(_metadata, self);
}

/* Read back as written; absent keys keep their value; normal without target is forgotten. */
TEST_F(io, knob_roundtrip)
{
	char want[128];

	EXPECT_TRUE(knob_is(self->online, ""));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=500"));
	snprintf(want, sizeof(want), "%s class=online target=500\n", self->devno);
	EXPECT_TRUE(knob_is(self->online, want));
	ASSERT_EQ(0, set_io(self, self->online, "target=800"));
	snprintf(want, sizeof(want), "%s class=online target=800\n", self->devno);
	EXPECT_TRUE(knob_is(self->online, want));
	ASSERT_EQ(0, set_io(self, self->online, "class=normal"));
	snprintf(want, sizeof(want), "%s class=normal target=800\n", self->devno);
	EXPECT_TRUE(knob_is(self->online, want));
	ASSERT_EQ(0, set_io(self, self->online, "target=0"));
	EXPECT_TRUE(knob_is(self->online, ""));
	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	snprintf(want, sizeof(want), "%s class=offline target=0\n", self->devno);
	EXPECT_TRUE(knob_is(self->offline, want));
	/* Not on the root. */
	EXPECT_NE(0, access("/sys/fs/cgroup/" KNOB, F_OK));
}

/* Every malformed, out-of-range or unknown-device line is refused; the setting stays. */
TEST_F(io, bad_input_rejected)
{
	char want[128], buf[512];
	const char *bad[] = {
		"\n", " ", "%s", "%s ", "%s class", "%s class=", "%s =online",
		"%s class=bogus", "%s class=Online", "%s target=-1",
		"%s target=10000001", "%s target=99999999999999999999999",
		"%s target=1x", "%s target=0x10", "%s class=online class=offline",
		"%s target=1 target=2", "%s foo=1", "%s class=online,target=1",
		"%s class=online\n%s class=offline", "%s\tclass=online",
		"%s class=online\x01", "8 class=online", ":0 class=online",
		"8: class=online", "a:b class=online", "-8:0 class=online",
		"4096:0 class=online", "1:1048576 class=online",
		"0:0 class=online", "7:250 class=online", "1:3 class=online",
	};
	size_t i;

	ASSERT_EQ(0, set_io(self, self->online, "class=online target=500"));
	snprintf(want, sizeof(want), "%s class=online target=500\n", self->devno);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(buf, sizeof(buf), bad[i], self->devno, self->devno);
		EXPECT_NE(0, cg_write(self->online, KNOB, buf))
			TH_LOG("accepted \"%s\"", buf);
		EXPECT_TRUE(knob_is(self->online, want))
			TH_LOG("changed by \"%s\"", buf);
	}
	/* Overlong. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, self->devno, strlen(self->devno));
	memcpy(buf + 300, "class=offline", 13);
	buf[313] = 0;
	EXPECT_NE(0, cg_write(self->online, KNOB, buf));
	EXPECT_TRUE(knob_is(self->online, want));
	/* The read-only file. */
	EXPECT_NE(0, cg_write(self->online, STAT, "1"));
}

TEST_F(io, sysfs_knobs_reject_bad_input)
{
	const char *window_bad[] = { "0", "10001", NULL };
	const char *delay_bad[] = { "0", "10001", NULL };

	ASSERT_EQ(0, coloc_write_str(SYSFS "window_ms", "30"));
	EXPECT_EQ(0, coloc_check_rejects(SYSFS "window_ms", window_bad, "30\n"));
	ASSERT_EQ(0, coloc_write_str(SYSFS "max_delay_ms", "50"));
	EXPECT_EQ(0, coloc_check_rejects(SYSFS "max_delay_ms", delay_bad, "50\n"));
	EXPECT_NE(0, coloc_write_str(SYSFS "stat", "1"));
}

/*
 * The class in force is the lowest on the path, a level without a setting
 * counting as normal. io.coloc_stat lists the disk once the cgroup did I/O.
 */
TEST_F(io, class_in_force_lowest_on_path)
{
	char *child = cg_name(self->online, "child");
	long c;

	ASSERT_EQ(0, cg_write(self->top, "cgroup.subtree_control", "+io"));
	ASSERT_EQ(0, cg_write(self->online, "cgroup.subtree_control", "+io"));
	ASSERT_EQ(0, cg_create(child));
	ASSERT_EQ(0, set_io(self, child, "class=online target=100"));
	/* Some I/O so that the child has a blkg on the disk. */
	ASSERT_GT(io_child(self, child, 0, false, NULL), 0);
	msleep(100);
	stop_children(self);

	/* Its ancestors have no setting: normal caps the child. */
	EXPECT_EQ(0, stat_of(self, child, "class"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online"));
	EXPECT_EQ(0, stat_of(self, child, "class"));
	ASSERT_EQ(0, set_io(self, self->top, "class=online"));
	EXPECT_EQ(1, stat_of(self, child, "class"));
	EXPECT_EQ(100, stat_of(self, child, "target"));
	ASSERT_EQ(0, set_io(self, self->online, "class=offline"));
	EXPECT_EQ(-1000, stat_of(self, child, "class"));
	/* Completions were counted for the child. */
	c = stat_of(self, child, "completions");
	EXPECT_GT(c, 0);
	EXPECT_GT(stat_of(self, child, "p99_us"), 0);
	cg_destroy(child);
	free(child);
}

struct deleg {
	char *deleg, *sub;
	const char *devno;
};

static int delegatee(void *arg)
{
	struct deleg *d = arg;
	char buf[128];

	snprintf(buf, sizeof(buf), "%s class=online", d->devno);
	/* It cannot set its own cgroup's class... */
	if (cg_write(d->deleg, KNOB, buf) != -EACCES)
		return 1;
	/* ...sets its children's, but they stay within its own. */
	if (cg_write(d->deleg, "cgroup.subtree_control", "+io"))
		return 2;
	if (cg_create(d->sub))
		return 3;
	if (cg_write(d->sub, KNOB, buf))
		return 4;
	/* Nor the sysfs knobs. */
	if (coloc_write_str(SYSFS "max_delay_ms", "1") == 0)
		return 5;
	return 0;
}

TEST_F(io, delegation)
{
	struct deleg d = { .devno = self->devno };
	char want[128];

	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	d.deleg = self->offline;
	d.sub = cg_name(self->offline, "sub");
	ASSERT_EQ(0, coloc_cg_delegate(d.deleg));
	EXPECT_EQ(0, coloc_run_unprivileged(delegatee, &d));
	snprintf(want, sizeof(want), "%s class=offline target=0\n", self->devno);
	EXPECT_TRUE(knob_is(d.deleg, want));
	ASSERT_GT(io_child(self, d.sub, 0, false, NULL), 0);
	msleep(100);
	stop_children(self);
	EXPECT_EQ(-1000, stat_of(self, d.sub, "class"));
	cg_destroy(d.sub);
	free(d.sub);
}

/*
 * Online misses its target behind deep offline writes: the offline bound
 * comes down and offline bios wait, but offline still progresses. Once
 * online stops, the bound is lifted.
 */
TEST_F(io, throttle_engages_and_releases)
{
	long before, delayed;

	contend(_metadata, self);
	EXPECT_GT(dev_stat_of(self, "missed_windows"), 0);
	EXPECT_GT(stat_of(self, self->offline, "delayed"), 0);
	EXPECT_GT(dev_stat_of(self, "delayed"), 0);
	EXPECT_GT(atomic_load(&self->c->online_ios), 0);
	before = atomic_load(&self->c->offline_ios);
	msleep(500);
	EXPECT_GT(atomic_load(&self->c->offline_ios), before)
		TH_LOG("offline made no progress while throttled");

	/* Online goes away: offline gets the disk back. */
	kill(self->pids[self->nr_pids - 1], SIGKILL);
	waitpid(self->pids[self->nr_pids - 1], NULL, 0);
	self->nr_pids--;
	msleep(500);
	EXPECT_EQ(LONG_MAX, dev_stat_of(self, "offline_limit"));
	delayed = stat_of(self, self->offline, "delayed");
	msleep(500);
	EXPECT_EQ(delayed, stat_of(self, self->offline, "delayed"));
	EXPECT_EQ(0, atomic_load(&self->c->errors));
}

/*
 * On a node the disks are mostly behind device-mapper (LVM): online and
 * offline I/O through a dm-linear device over the test disk is shaped by
 * the settings of the disk below, where it queues, and the dm device's
 * own number is refused, since nothing would ever apply there.
 */
TEST_F(io, settings_of_the_disk_below_dm_apply)
{
	char dm_devno[32], buf[128];

	ASSERT_EQ(0, coloc_dm_linear_create(DM_NAME, self->devno, DISK_MB * 2048ULL,
					    self->io_path, sizeof(self->io_path),
					    dm_devno, sizeof(dm_devno)));
	snprintf(buf, sizeof(buf), "%s class=offline", dm_devno);
	EXPECT_EQ(-EOPNOTSUPP, cg_write(self->offline, KNOB, buf));
	EXPECT_TRUE(knob_is(self->offline, ""));

	contend(_metadata, self);
	EXPECT_GT(stat_of(self, self->offline, "delayed"), 0);
	EXPECT_GT(dev_stat_of(self, "delayed"), 0);
	EXPECT_GT(stat_of(self, self->online, "completions"), 0);
	EXPECT_GT(atomic_load(&self->c->online_ios), 0);
	EXPECT_EQ(0, atomic_load(&self->c->errors));
}

/* Without online I/O offline is never delayed: work conservation. */
TEST_F(io, offline_alone_not_delayed)
{
	ASSERT_EQ(0, set_io(self, self->top, "class=online"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=1"));
	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	start_offline(self, NULL);
	msleep(1500);
	log_stats(_metadata, self);
	TH_LOG("offline ios %ld", atomic_load(&self->c->offline_ios));
	EXPECT_GT(atomic_load(&self->c->offline_ios), 0);
	EXPECT_EQ(0, stat_of(self, self->offline, "delayed"));
	EXPECT_EQ(LONG_MAX, dev_stat_of(self, "offline_limit"));
	EXPECT_EQ(0, atomic_load(&self->c->errors));
}

/* Without a class, nobody is delayed, however slow online is. */
TEST_F(io, normal_not_delayed)
{
	ASSERT_EQ(0, set_io(self, self->top, "class=online"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=1"));
	start_offline(self, NULL);
	ASSERT_GT(io_child(self, self->online, 0, false, NULL), 0);
	msleep(1500);
	EXPECT_EQ(0, stat_of(self, self->offline, "delayed"));
	EXPECT_EQ(0, stat_of(self, self->offline, "class"));
}

/*
 * Online and offline writers, throttled, while the module is unloaded and
 * loaded again and again: every block reads back as its writer's last
 * round wrote it, and unload never waits long for throttled writers.
 */
TEST_F(io, data_intact_across_unload_under_load)
{
	long *rounds = mmap(NULL, sizeof(long) * (NR_OFFLINE + 1),
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long region = region_size();
	int i, w, fd, cycles = 0, bad = 0;
	void *buf, *want;

	ASSERT_NE(MAP_FAILED, rounds);
	ASSERT_EQ(0, posix_memalign(&buf, BLOCK, OFFLINE_IO));
	ASSERT_EQ(0, posix_memalign(&want, BLOCK, OFFLINE_IO));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, set_io(self, self->top, "class=online"));
		ASSERT_EQ(0, set_io(self, self->online, "class=online target=300"));
		ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
		if (i == 0) {
			start_offline(self, rounds);
			ASSERT_GT(io_child(self, self->online, 0, true, rounds), 0);
		}
		msleep(300);
		ASSERT_EQ(0, coloc_unload(MODULE));
		msleep(50);
		ASSERT_EQ(0, coloc_load(MODULE));
		ASSERT_EQ(0, coloc_write_str(SYSFS "window_ms", "20"));
		cycles++;
	}
	/* Stop the writers; each block holds its last finished round or the next. */
	for (i = 0; i < self->nr_pids; i++)
		kill(self->pids[i], SIGKILL);
	stop_children(self);
	EXPECT_EQ(0, atomic_load(&self->c->errors));
	/* The writers were throttled (the blkg keeps its counts across reloads). */
	EXPECT_GT(stat_of(self, self->offline, "delayed"), 0);

	fd = open(self->disk, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	for (w = 0; w <= NR_OFFLINE; w++) {
		size_t len = w ? OFFLINE_IO : BLOCK;
		long blk, nr = region / len;

		/* Rounds before the last finished one are overwritten; check that one. */
		ASSERT_GT(rounds[w], 0) TH_LOG("writer %d never finished a round", w);
		for (blk = 0; blk < nr; blk++) {
			ASSERT_EQ((ssize_t)len, pread(fd, buf, len, w * region + blk * len));
			/* Either the finished round or the one after, cut short by the kill. */
			pattern(want, len, blk, w, rounds[w]);
			if (!memcmp(buf, want, len))
				continue;
			pattern(want, len, blk, w, rounds[w] + 1);
			if (memcmp(buf, want, len))
				bad++;
		}
	}
	close(fd);
	EXPECT_EQ(0, bad) TH_LOG("%d blocks did not read back", bad);
	TH_LOG("%d unload cycles under load", cycles);
	free(buf);
	free(want);
	munmap(rounds, sizeof(long) * (NR_OFFLINE + 1));
}

/* Forks a child into @cg that runs @fn(@self) and exits with its result. */
static int in_child(FIXTURE_DATA(io) *self, const char *cg,
		    int (*fn)(FIXTURE_DATA(io) *self))
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(cg_enter_current((char *)cg) ? 100 : fn(self));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define DIRTY_MB 2

/* Dirties DIRTY_MB of the disk's page cache; writes nothing back. */
static int dirty_pages(FIXTURE_DATA(io) *self)
{
	static char buf[1 << 20];
	int fd = open(self->disk, O_WRONLY);
	int i;

	if (fd < 0)
		return 1;
	memset(buf, 0x6b, sizeof(buf));
	for (i = 0; i < DIRTY_MB; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 2;
	return close(fd) ? 3 : 0;
}

/* Writes back every dirty page of the disk. */
static int write_back(FIXTURE_DATA(io) *self)
{
	int fd = open(self->disk, O_RDONLY);

	return fd < 0 || fsync(fd) ? 1 : 0;
}

/*
 * Buffered writes are written back by whoever flushes them, but charged to
 * the cgroup whose pages they are (cgroup writeback, which pairs a memory
 * cgroup with its io cgroup: the memory controller must be on). Offline
 * dirties the pages, a task in online writes them back: the bios count for
 * offline and not for online.
 */
TEST_F(io, writeback_charged_to_owner)
{
	long before, after;
	int keep;

	ASSERT_EQ(0, cg_write(self->top, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=100000"));
	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	/* Held open: the last close of a disk writes it back, in the closer. */
	keep = open(self->disk, O_RDONLY);
	ASSERT_LE(0, keep);
	ASSERT_EQ(0, in_child(self, self->offline, dirty_pages));
	before = stat_of(self, self->offline, "completions");
	ASSERT_EQ(0, in_child(self, self->online, write_back));
	after = stat_of(self, self->offline, "completions");
	close(keep);
	log_stats(_metadata, self);
	/* The dirtying did no I/O of its own (no blkg yet, or no completion). */
	EXPECT_GE(0, before);
	/* DIRTY_MB in bios of at most 128 KiB (null_blk's default limit). */
	EXPECT_GE(after, DIRTY_MB * 8) TH_LOG("offline's written-back pages were not charged to it");
	/* fsync's own cache flush, at most, is the flushing task's. */
	EXPECT_GE(1, stat_of(self, self->online, "completions"))
		TH_LOG("the flushing task's cgroup was charged for the data");
}

#define SWAP_PAGES	(DISK_MB * 256)
#define SWAP_LIMIT	"8M"
#define SWAP_TOUCH_MB	20

/* A swap area over the whole disk: mkswap's header in its first page. */
static int make_swap(const char *disk)
{
	static union {
		char page[4096];
		struct {
			char bootbits[1024];
			uint32_t version, last_page, nr_badpages;
		} info;
	} h __attribute__((aligned(4096)));	/* O_DIRECT on 4 KiB blocks */
	int fd = open(disk, O_WRONLY | O_DIRECT);
	int ret;

	if (fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.info.version = 1;
	h.info.last_page = SWAP_PAGES - 1;
	memcpy(h.page + sizeof(h.page) - 10, "SWAPSPACE2", 10);
	ret = pwrite(fd, h.page, sizeof(h.page), 0) == sizeof(h.page) ? 0 : -1;
	close(fd);
	return ret ? ret : swapon(disk, 0);
}

/*
 * Touches more anonymous memory than the cgroup may keep resident (pages
 * that are not all zero: those would not be written); fails unless part
 * of it went to swap.
 */
static int touch_memory(FIXTURE_DATA(io) *self)
{
	size_t len = (size_t)SWAP_TOUCH_MB << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (m == MAP_FAILED)
		return 1;
	for (i = 0; i < len; i += 4096)
		m[i] = 1;
	return cg_read_long(self->offline, "memory.swap.current") > 0 ? 0 : 2;
}

/*
 * Swap-out is charged to the cgroup whose memory is swapped, whoever
 * reclaims it, and is never delayed, even for offline: a delayed swap-out
 * would stall reclaim for everyone.
 */
TEST_F(io, swap_charged_to_owner_never_delayed)
{
	ASSERT_EQ(0, cg_write(self->top, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, cg_write(self->offline, "memory.max", SWAP_LIMIT));
	ASSERT_EQ(0, set_io(self, self->top, "class=online"));
	ASSERT_EQ(0, set_io(self, self->online, "class=online target=1"));
	ASSERT_EQ(0, set_io(self, self->offline, "class=offline"));
	ASSERT_EQ(0, make_swap(self->disk)) TH_LOG("swap area: %s", strerror(errno));
	/* Online misses its target all along: offline data I/O would be delayed. */
	ASSERT_GT(io_child(self, self->online, 0, false, NULL), 0);
	/* The only swap area is the test disk. */
	EXPECT_EQ(0, in_child(self, self->offline, touch_memory))
		TH_LOG("the child did not swap");
	log_stats(_metadata, self);
	EXPECT_GT(stat_of(self, self->offline, "completions"), 0)
		TH_LOG("offline's swap-out was not charged to it");
	EXPECT_EQ(0, stat_of(self, self->offline, "delayed"));
	stop_children(self);
	EXPECT_EQ(0, swapoff(self->disk));
}

TEST_HARNESS_MAIN
