// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_mem: memory.wmark_ratio, memory.wmark_scale_factor and
 * memory.exstat. A reader streams a null_blk device through the page
 * cache of a limited cgroup; with watermarks set, background reclaim must
 * bring the cgroup below its high watermark, which the kernel alone never
 * does (page cache stays until the limit forces reclaim). Under both
 * LRUs: the worker's reclaim goes through the multi-gen LRU when it is on.
 * A reader that runs as idle work (cpu.idle, as an offline job) reclaims
 * for itself, not through a kworker (seen in a trace of memcg reclaims).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define NULLB "/dev/nullb0"

FIXTURE(wmark) {
	char root[PATH_MAX];
	char *top, *cg;
	char lru_gen[32];
};

COLOC_LRU_VARIANTS(wmark);

FIXTURE_SETUP(wmark)
{
	int lru = coloc_lru_gen_set(variant->lru_gen, self->lru_gen, sizeof(self->lru_gen));

	if (lru > 0)
		SKIP(return, "no multi-gen LRU (CONFIG_LRU_GEN)");
	ASSERT_EQ(0, lru);
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	self->top = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_wmark_test");
	ASSERT_NE(NULL, self->top);
	self->cg = cg_name(self->top, "reader");
	ASSERT_EQ(0, cg_create(self->cg));
}

FIXTURE_TEARDOWN(wmark)
{
	coloc_trace_teardown();
	coloc_lru_gen_restore(self->lru_gen);
	coloc_cg_remove_tree(self->top);
	free(self->cg);
	free(self->top);
	coloc_unload("coloc_mem");
}

TEST_F(wmark, knobs)
{
	const char *ratio_out[] = { "101", NULL };
	const char *scale_out[] = { "0", "1001", NULL };
	char path[PATH_MAX + 32];

	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_ratio", "0\n"));
	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_scale_factor", "50\n"));
	snprintf(path, sizeof(path), "%s/memory.wmark_ratio", self->root);
	EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("no watermarks on the root");

	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_ratio", "80"));
	snprintf(path, sizeof(path), "%s/memory.wmark_ratio", self->cg);
	EXPECT_EQ(0, coloc_check_rejects(path, ratio_out, "80\n"));

	/* The scale factor is inherited until a cgroup sets its own. */
	ASSERT_EQ(0, cg_write(self->top, "memory.wmark_scale_factor", "200"));
	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_scale_factor", "200\n"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_scale_factor", "1000"));
	EXPECT_EQ(0, cg_read_strcmp(self->cg, "memory.wmark_scale_factor", "1000\n"));
	EXPECT_EQ(0, cg_read_strcmp(self->top, "memory.wmark_scale_factor", "200\n"));
	snprintf(path, sizeof(path), "%s/memory.wmark_scale_factor", self->cg);
	EXPECT_EQ(0, coloc_check_rejects(path, scale_out, "1000\n"));

	EXPECT_EQ(0, cg_read_strstr(self->cg, "memory.exstat", "wmark_reclaim_work_ms "));
	EXPECT_EQ(0, cg_read_strstr(self->root, "memory.exstat", "wmark_reclaimed_pages "));
	EXPECT_NE(0, cg_write(self->cg, "memory.exstat", "0"));
}

/*
 * Reads 256 MiB of the null_blk device through the page cache of @cg. With
 * @hold the reader keeps the device open afterwards (the last close drops
 * the device's page cache) and its pid is returned once it has read
 * everything; without, the exit code of the reader is returned.
 */
static int stream(const char *cg, bool hold)
{
	static char buf[1 << 20];
	int pfd[2], status;
	char c = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd, i;

		close(pfd[0]);
		if (cg_enter_current(cg))
			_exit(1);
		fd = open(NULLB, O_RDONLY);
		if (fd < 0)
			_exit(2);
		for (i = 0; i < 256; i++)
			if (read(fd, buf, sizeof(buf)) != sizeof(buf))
				_exit(3);
		if (!hold)
			_exit(0);
		if (write(pfd[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid > 0 && hold) {
		if (read(pfd[0], &c, 1) != 1 || c != 'r') {
			waitpid(pid, NULL, 0);
			pid = -1;
		}
		close(pfd[0]);
		return pid;
	}
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Waits up to @secs for memory.current of @cg to drop to @pages or below. */
static long settle(const char *cg, long bytes, int secs)
{
	long cur = cg_read_long(cg, "memory.current");
	int i;

	for (i = 0; i < secs * 10 && cur > bytes; i++) {
		usleep(100000);
		cur = cg_read_long(cg, "memory.current");
	}
	return cur;
}

static void run_stream(struct __test_metadata *_metadata, FIXTURE_DATA(wmark) *self,
		       bool watermarks)
{
	/* 64 MiB limit; high watermark 80 % = 51.2 MiB, low 10 % below it. */
	const long high = 64L * 1024 * 1024 / 100 * 80;
	long cur, reclaimed;
	pid_t reader;

	if (access(NULLB, R_OK))
		SKIP(return, "no " NULLB " (CONFIG_BLK_DEV_NULL_BLK)");
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "64M"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_scale_factor", "1000"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_ratio", watermarks ? "80" : "0"));

	reader = stream(self->cg, true);
	ASSERT_GT(reader, 0);
	cur = settle(self->cg, high, watermarks ? 20 : 3);
	reclaimed = cg_read_key_long(self->cg, "memory.exstat", "wmark_reclaimed_pages ");
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	if (watermarks) {
		EXPECT_LE(cur, high) TH_LOG("memory.current %ld above the high watermark", cur);
		EXPECT_GT(reclaimed, 0);
	} else {
		/* The control: the kernel keeps the page cache up to the limit. */
		EXPECT_GT(cur, high);
		EXPECT_EQ(0, reclaimed);
	}
}

TEST_F_TIMEOUT(wmark, background_reclaim_below_high, 300)
{
	run_stream(_metadata, self, true);
}

TEST_F_TIMEOUT(wmark, no_reclaim_without_ratio, 300)
{
	run_stream(_metadata, self, false);
}

/*
 * Counts the memory cgroup reclaims in the trace (try_to_free_mem_cgroup_pages(),
 * from background or limit reclaim) by task @pid and by any other task.
 */
static int count_reclaims(pid_t pid, long *by_pid, long *by_others)
{
	FILE *f = coloc_trace_open();
	char line[512];

	*by_pid = *by_others = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *br = strstr(line, " [");
		char *dash;

		if (line[0] == '#' || !br || !strstr(line, "mm_vmscan_memcg_reclaim_begin"))
			continue;
		*br = '\0';
		dash = strrchr(line, '-');
		if (dash && atoi(dash + 1) == pid) {
			(*by_pid)++;
		} else {
			(*by_others)++;
			if (*by_others <= 3)
				fprintf(stderr, "# reclaim by %s\n", line);
		}
	}
	fclose(f);
	return 0;
}

/* Memory cgroup reclaims, traced by the idle reader tests. */
static const char *const reclaim_events[] = { "vmscan/mm_vmscan_memcg_reclaim_begin", NULL };

/*
 * The reader's cgroup idle (cpu.idle, as an offline job's), with a 64 MiB
 * limit and memory.wmark_ratio @ratio; reclaims traced on every CPU.
 */
static void idle_reader_setup(struct __test_metadata *_metadata, FIXTURE_DATA(wmark) *self,
			      char *ratio)
{
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->top, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->cg, "cpu.idle", "1"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "64M"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_scale_factor", "1000"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_ratio", ratio));
	ASSERT_EQ(0, coloc_trace_setup(-1, reclaim_events));
}

/*
 * A reader in a cpu.idle cgroup (an offline job) pays for the background
 * reclaim its reads cause: the cgroup is reclaimed by the reader itself,
 * in its CPU time, at its priority, on its CPU, and by no kworker.
 */
TEST_F_TIMEOUT(wmark, idle_reader_reclaims_in_its_own_time, 300)
{
	const long high = 64L * 1024 * 1024 / 100 * 80;
	long by_reader, by_others, work, cur;
	pid_t reader;

	if (access(NULLB, R_OK))
		SKIP(return, "no " NULLB " (CONFIG_BLK_DEV_NULL_BLK)");
	idle_reader_setup(_metadata, self, "80");

	ASSERT_EQ(0, coloc_trace_start());
	reader = stream(self->cg, true);
	coloc_trace_stop();
	ASSERT_GT(reader, 0);
	cur = cg_read_long(self->cg, "memory.current");
	work = cg_read_key_long(self->cg, "memory.exstat", "wmark_reclaimed_pages ");
	EXPECT_EQ(0, count_reclaims(reader, &by_reader, &by_others));
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	coloc_trace_teardown();
	TH_LOG("%ld pages reclaimed in the background; reclaims by the reader %ld, by others %ld",
	       work, by_reader, by_others);
	ASSERT_GT(work, 0);
	EXPECT_LE(cur, high) TH_LOG("memory.current %ld above the high watermark", cur);
	EXPECT_GT(by_reader, 0);
	EXPECT_EQ(0, by_others) TH_LOG("the reclaim ran in other tasks");
}

/*
 * Reads all of the null_blk device into /dev/null in @cg with one
 * sendfile(), so that the whole read is one system call, and waits for
 * it. Returns its pid, or -1.
 */
static pid_t stream_one_call(const char *cg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		off_t off = 0;
		int in, out;

		if (cg_enter_current(cg))
			_exit(1);
		in = open(NULLB, O_RDONLY);
		out = open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0)
			_exit(2);
		_exit(sendfile(out, in, &off, 256 << 20) == 256 << 20 ? 0 : 3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return pid;
}

/*
 * An idle reader reclaims for itself on its way back to user space, but a
 * read that charges its way from the high watermark towards the limit in
 * one system call does not wait that long: past halfway the reclaim goes
 * to the background worker, so that the reader meets the limit no sooner
 * than a reader that is not idle would.
 */
TEST_F_TIMEOUT(wmark, idle_reader_in_one_long_call_gets_the_worker, 300)
{
	long by_reader, by_others;
	pid_t reader;

	if (access(NULLB, R_OK))
		SKIP(return, "no " NULLB " (CONFIG_BLK_DEV_NULL_BLK)");
	idle_reader_setup(_metadata, self, "50");

	ASSERT_EQ(0, coloc_trace_start());
	reader = stream_one_call(self->cg);
	coloc_trace_stop();
	ASSERT_GT(reader, 0);
	EXPECT_EQ(0, count_reclaims(reader, &by_reader, &by_others));
	coloc_trace_teardown();
	TH_LOG("reclaims by the reader %ld, by others %ld", by_reader, by_others);
	EXPECT_GT(by_others, 0) TH_LOG("no background reclaim during the call");
}

/*
 * An idle reader's cgroup under a parent that is not idle (a node's
 * kubepods, which online work shares): the reader's charges take the
 * parent above its watermark, and the parent is reclaimed by the worker,
 * at normal priority, not by the idle reader, which would hold the locks
 * of online work's pages while it waits for a CPU behind everything.
 */
TEST_F_TIMEOUT(wmark, idle_reader_leaves_a_shared_parent_to_the_worker, 300)
{
	long by_reader, by_others, cur, high = 64L * 1024 * 1024 / 100 * 80;
	char *child = cg_name(self->cg, "job");
	pid_t reader;

	ASSERT_NE(NULL, child);
	if (access(NULLB, R_OK))
		SKIP(return, "no " NULLB " (CONFIG_BLK_DEV_NULL_BLK)");
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->top, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->cg, "cgroup.subtree_control", "+cpu +memory"));
	ASSERT_EQ(0, cg_create(child));
	ASSERT_EQ(0, cg_write(child, "cpu.idle", "1"));
	/* The watermarks on the parent only. */
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "64M"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_scale_factor", "1000"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_ratio", "80"));
	ASSERT_EQ(0, coloc_trace_setup(-1, reclaim_events));

	ASSERT_EQ(0, coloc_trace_start());
	reader = stream(child, true);
	cur = settle(self->cg, high, 20);
	coloc_trace_stop();
	ASSERT_GT(reader, 0);
	EXPECT_EQ(0, count_reclaims(reader, &by_reader, &by_others));
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	coloc_trace_teardown();
	free(child);
	TH_LOG("reclaims by the reader %ld, by others %ld; parent at %ld", by_reader, by_others,
	       cur);
	EXPECT_LE(cur, high);
	EXPECT_GT(by_others, 0) TH_LOG("the worker did not reclaim the parent");
	EXPECT_EQ(0, by_reader) TH_LOG("the idle reader reclaimed the shared parent");
}

/* Reclaim keeps running while the module is loaded and unloaded. */
TEST_F_TIMEOUT(wmark, unload_while_reclaiming, 300)
{
	pid_t pid;
	int i, status;

	if (access(NULLB, R_OK))
		SKIP(return, "no " NULLB);
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "32M"));
	ASSERT_EQ(0, cg_write(self->cg, "memory.wmark_ratio", "50"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (;;)
			if (stream(self->cg, false))
				_exit(1);
	}
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, coloc_unload("coloc_mem"));
		usleep(20000);
		ASSERT_EQ(0, coloc_load("coloc_mem"));
		usleep(50000);
	}
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("reader failed");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

TEST_HARNESS_MAIN
