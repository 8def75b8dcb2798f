// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_mem: global priority reclaim.
 *
 * An online and an offline cgroup each read 256 MiB of a null_blk device
 * into the page cache and keep it open. A filler (anonymous memory; the
 * guest has no swap) then takes the machine about 160 MiB below its high
 * watermark, so kswapd and direct reclaim must take that much from the
 * page cache and whatever else is reclaimable (earlier tests leave some at
 * priority 0). With priority reclaim the offline cgroup (priority 0) gives
 * its cache and the online cgroup (priority 12 on its whole path) keeps
 * its own. With the switch off, or with a parent at priority 0, both
 * lose cache as on a stock kernel.
 *
 * Every test runs twice: with the classic LRU and with the multi-gen LRU
 * (/sys/kernel/mm/lru_gen/enabled), which walks cgroups in an order of its
 * own and which Debian's kernel turns on by default.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define NULLB "/dev/nullb0"
#define SWITCH COLOC_SYSFS "/memory/priority_reclaim"
#define MiB (1024L * 1024)
#define CACHE_MB 256
#define SQUEEZE_MB 160

FIXTURE(prio_reclaim) {
	char root[PATH_MAX];
	char *top, *online, *offline, *filler;
	pid_t pids[3];
	char lru_gen[32];
};

COLOC_LRU_VARIANTS(prio_reclaim);

FIXTURE_SETUP(prio_reclaim)
{
	int lru = coloc_lru_gen_set(variant->lru_gen, self->lru_gen, sizeof(self->lru_gen));

	/* Before anything that the teardown undoes: a skip here skips it. */
	if (lru > 0)
		SKIP(return, "no multi-gen LRU (CONFIG_LRU_GEN)");
	ASSERT_EQ(0, lru);
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	self->top = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_prio_reclaim_test");
	ASSERT_NE(NULL, self->top);
	self->online = cg_name(self->top, "online");
	self->offline = cg_name(self->top, "offline");
	self->filler = cg_name(self->top, "filler");
	ASSERT_EQ(0, cg_create(self->online));
	ASSERT_EQ(0, cg_create(self->offline));
	ASSERT_EQ(0, cg_create(self->filler));
	ASSERT_EQ(0, cg_write(self->top, "memory.priority", "12"));
	ASSERT_EQ(0, cg_write(self->online, "memory.priority", "12"));
	ASSERT_EQ(0, cg_write(self->offline, "memory.priority", "0"));
	ASSERT_EQ(0, cg_write(self->filler, "memory.priority", "0"));
	memset(self->pids, 0, sizeof(self->pids));
}

FIXTURE_TEARDOWN(prio_reclaim)
{
	int i;

	for (i = 0; i < 3; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	coloc_write_str(SWITCH, "1");
	coloc_lru_gen_restore(self->lru_gen);
	coloc_cg_remove_tree(self->top);
	free(self->online);
	free(self->offline);
	free(self->filler);
	free(self->top);
	coloc_unload("coloc_mem");
}

/*
 * Starts a child in @cg that runs @fn(@arg) and then waits to be killed;
 * returns its pid once @fn succeeded, or -1.
 */
static pid_t start_holder(const char *cg, int (*fn)(long), long arg)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (cg_enter_current((char *)cg) || fn(arg))
			_exit(1);
		if (write(pfd[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid > 0 && (read(pfd[0], &c, 1) != 1 || c != 'r')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pfd[0]);
	return pid;
}

/* Reads CACHE_MB of the device from @arg MiB on into the page cache; keeps the fd. */
static int read_cache(long offset_mb)
{
	static char buf[1 << 20];
	int fd = open(NULLB, O_RDONLY), i;

	if (fd < 0 || lseek(fd, offset_mb * MiB, SEEK_SET) < 0)
		return -1;
	for (i = 0; i < CACHE_MB; i++)
		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			return -1;
	return 0;
}

/* Takes the largest zone @arg pages below its high watermark, with anonymous memory. */
static int squeeze(long pages)
{
	struct coloc_zone z;
	long take;

	if (coloc_write_str("/proc/self/oom_score_adj", "1000") || coloc_zone_read(&z))
		return -1;
	take = z.free - z.high + pages;
	if (take <= 0)
		return 0;
	return mmap(NULL, take * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED;
}

static long file_bytes(const char *cg)
{
	return cg_read_key_long((char *)cg, "memory.stat", "file ");
}

static long skips(void)
{
	char buf[128];
	long v;

	if (coloc_read(COLOC_SYSFS "/memory/stat", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "priority_reclaim_skips %ld", &v) != 1)
		return -1;
	return v;
}

TEST_F(prio_reclaim, knob)
{
	const char *out[] = { "2", "10", NULL };

	EXPECT_EQ(0, coloc_check_rejects(SWITCH, out, "1\n"));
	ASSERT_EQ(0, coloc_write_str(SWITCH, "0"));
	EXPECT_EQ(0, coloc_check_rejects(SWITCH, out, "0\n"));
	EXPECT_GE(skips(), 0);
}

struct outcome {
	long online_lost, offline_lost;
};

/* Fills both caches, squeezes the machine, and says how much cache each side lost. */
static void run(struct __test_metadata *_metadata, FIXTURE_DATA(prio_reclaim) *self,
		struct outcome *o)
{
	long on0, off0, on1, off1;

	/*
	 * Earlier tests leave page cache and slab of their own at priority
	 * 0, which reclaim would take before the offline cache.
	 */
	ASSERT_EQ(0, coloc_write_str("/proc/sys/vm/drop_caches", "3"));
	self->pids[0] = start_holder(self->online, read_cache, 0);
	ASSERT_GT(self->pids[0], 0);
	self->pids[1] = start_holder(self->offline, read_cache, CACHE_MB);
	ASSERT_GT(self->pids[1], 0);
	on0 = file_bytes(self->online);
	off0 = file_bytes(self->offline);
	ASSERT_GT(on0, CACHE_MB * MiB / 2);
	ASSERT_GT(off0, CACHE_MB * MiB / 2);

	self->pids[2] = start_holder(self->filler, squeeze, SQUEEZE_MB * MiB / 4096);
	ASSERT_GT(self->pids[2], 0) TH_LOG("the filler could not squeeze the machine");
	on1 = file_bytes(self->online);
	off1 = file_bytes(self->offline);
	o->online_lost = (on0 - on1) / MiB;
	o->offline_lost = (off0 - off1) / MiB;
	TH_LOG("online cache %ld -> %ld MiB, offline %ld -> %ld MiB",
	       on0 / MiB, on1 / MiB, off0 / MiB, off1 / MiB);
}

static bool have_nullb(void)
{
	return !access(NULLB, R_OK);
}

TEST_F_TIMEOUT(prio_reclaim, offline_cache_goes_first, 300)
{
	struct outcome o;
	long s0 = skips();

	if (!have_nullb())
		SKIP(return, "no " NULLB);
	run(_metadata, self, &o);
	/* Reclaim reached the caches, and took the offline one first. */
	EXPECT_GT(o.offline_lost, 0);
	EXPECT_LE(o.online_lost * 4, o.offline_lost);
	EXPECT_LE(o.online_lost, CACHE_MB / 20) TH_LOG("online lost %ld MiB", o.online_lost);
	EXPECT_GT(skips(), s0);
}

/* The controls: without the order, the online cache goes too. */
TEST_F_TIMEOUT(prio_reclaim, switch_off_reclaims_both, 300)
{
	struct outcome o;

	if (!have_nullb())
		SKIP(return, "no " NULLB);
	ASSERT_EQ(0, coloc_write_str(SWITCH, "0"));
	run(_metadata, self, &o);
	EXPECT_GT(o.online_lost, CACHE_MB / 20);
}

/* A cgroup is never shielded beyond its parent: priority 12 under 0 counts as 0. */
TEST_F_TIMEOUT(prio_reclaim, parent_priority_caps_children, 300)
{
	struct outcome o;

	if (!have_nullb())
		SKIP(return, "no " NULLB);
	ASSERT_EQ(0, cg_write(self->top, "memory.priority", "0"));
	run(_metadata, self, &o);
	EXPECT_GT(o.online_lost, CACHE_MB / 20);
}

/* Global reclaim keeps going while the module is loaded and unloaded. */
TEST_F_TIMEOUT(prio_reclaim, unload_during_global_reclaim, 600)
{
	pid_t churn;
	int i, status;

	if (!have_nullb())
		SKIP(return, "no " NULLB);
	self->pids[0] = start_holder(self->online, read_cache, 0);
	ASSERT_GT(self->pids[0], 0);
	churn = fork();
	ASSERT_GE(churn, 0);
	if (churn == 0) {
		/* Offline cache comes back and a filler squeezes it out, over and over. */
		for (;;) {
			pid_t cache = start_holder(self->offline, read_cache, CACHE_MB);
			pid_t fill = start_holder(self->filler, squeeze, SQUEEZE_MB * MiB / 4096);

			if (cache <= 0 || fill <= 0)
				_exit(1);
			kill(fill, SIGKILL);
			kill(cache, SIGKILL);
			waitpid(fill, NULL, 0);
			waitpid(cache, NULL, 0);
		}
	}
	self->pids[1] = churn;
	for (i = 0; i < 10; i++) {
		usleep(300000);
		ASSERT_EQ(0, coloc_unload("coloc_mem"));
		usleep(100000);
		ASSERT_EQ(0, coloc_load("coloc_mem"));
	}
	EXPECT_EQ(0, waitpid(churn, &status, WNOHANG)) TH_LOG("the churn failed");
}

TEST_HARNESS_MAIN
