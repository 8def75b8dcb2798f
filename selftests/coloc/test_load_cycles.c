// SPDX-License-Identifier: GPL-2.0
/*
 * Every coloc module loaded and unloaded 200 times while the machine is
 * busy with what the modules touch: knob writers and readers, callers of
 * the test hook, a cgroup in a continuous OOM storm with priority OOM
 * switched on, and online and offline O_DIRECT I/O with the offline
 * writers throttled (the online target cannot be met). Loading and unloading must always succeed, the busy
 * processes must only ever see a knob vanish (ENOENT, ENODEV), and the
 * runner checks the console for splats.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define CYCLES 200

static const char *const modules[] = {
	"coloc_core", "coloc_cpu", "coloc_io", "coloc_mem", "coloc_test",
};
#define NR_MODULES (sizeof(modules) / sizeof(modules[0]))

FIXTURE(cycles) {
	char root[PATH_MAX];
	char *cg, *storm;
	char *io, *io_on, *io_off;	/* apart from cg: its OOM storm would kill them */
	pid_t pids[16];
	int nr_pids;
};

FIXTURE_SETUP(cycles)
{
	self->cg = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_cycles");
	ASSERT_NE(NULL, self->cg);
	self->storm = cg_name(self->cg, "storm");
	ASSERT_EQ(0, cg_create(self->storm));
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", "32M"));
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->cg, "cgroup.subtree_control", "+cpu"));
	self->io = coloc_cg_fresh_ctrl(self->root, sizeof(self->root), "coloc_cycles_io", "io");
	ASSERT_NE(NULL, self->io);
	self->io_on = cg_name(self->io, "online");
	self->io_off = cg_name(self->io, "offline");
	ASSERT_EQ(0, cg_create(self->io_on));
	ASSERT_EQ(0, cg_create(self->io_off));
}

FIXTURE_TEARDOWN(cycles)
{
	size_t i;
	int j;

	for (j = 0; j < self->nr_pids; j++) {
		kill(self->pids[j], SIGKILL);
		waitpid(self->pids[j], NULL, 0);
	}
	coloc_cg_remove_tree(self->cg);
	coloc_cg_remove_tree(self->io);
	free(self->io);
	free(self->storm);
	free(self->io_on);
	free(self->io_off);
	free(self->cg);
	for (i = 0; i < NR_MODULES; i++)
		coloc_unload(modules[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool vanished(long r)
{
	return r == -ENOENT || r == -ENODEV;
}

/* Writes a knob and reads it back, forever; exits non-zero on a wrong error. */
static void writer(const char *path, const char *value)
{
	char buf[256];

	for (;;) {
		/* An empty value makes a reader only. */
		long r = *value ? coloc_write_str(path, value) : 0;

		if (r && !vanished(r))
			_exit(1);
		r = coloc_read(path, buf, sizeof(buf));
		if (r < 0 && !vanished(r))
			_exit(2);
		/* Busy, but leaving the loader some CPU of the emulated guest. */
		usleep(1000);
	}
}

static pid_t spawn(FIXTURE_DATA(cycles) *self, void (*fn)(const char *, const char *),
		   const char *a, const char *b)
{
	pid_t pid = fork();

	if (pid == 0) {
		fn(a, b);
		_exit(0);
	}
	if (pid > 0)
		self->pids[self->nr_pids++] = pid;
	return pid;
}

static void storm_fn(const char *cg, const char *unused)
{
	coloc_oom_storm(cg, 64);
}

/* O_DIRECT I/O on the boot's null_blk disk from cgroup @cg, forever. */
static void io_fn(const char *cg, const char *mode)
{
	bool write = !strcmp(mode, "write");
	size_t len = write ? 65536 : 4096;
	void *buf;
	long i;
	int fd;

	if (cg_enter_current((char *)cg) || posix_memalign(&buf, 4096, len))
		_exit(3);
	memset(buf, 0x5a, len);
	fd = open("/dev/nullb0", (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		_exit(4);
	for (i = 0;; i = (i + 1) % 1024) {
		ssize_t r = write ? pwrite(fd, buf, len, i * len) : pread(fd, buf, len, i * len);

		if (r != (ssize_t)len)
			_exit(5);
	}
}

TEST_F_TIMEOUT(cycles, load_unload_under_load, 3600)
{
	char prio[PATH_MAX + 32], use[PATH_MAX + 32], bvt[PATH_MAX + 32];
	char io_top[PATH_MAX + 32], io_on[PATH_MAX + 32], io_off[PATH_MAX + 32];
	char on[96], off[64], top[64];
	struct stat st;
	double load_s[NR_MODULES] = { 0 }, unload_s[NR_MODULES] = { 0 };
	time_t start;
	int c, j, status;
	size_t i;

	snprintf(prio, sizeof(prio), "%s/memory.priority", self->storm);
	snprintf(use, sizeof(use), "%s/memory.use_priority_oom", self->cg);
	snprintf(bvt, sizeof(bvt), "%s/cpu.bvt_warp_ns", self->storm);
	ASSERT_GT(spawn(self, writer, prio, "3"), 0);
	ASSERT_GT(spawn(self, writer, use, "1"), 0);
	/* The storm's tasks become offline (SCHED_IDLE) and back with every cycle. */
	ASSERT_GT(spawn(self, writer, bvt, "-1"), 0);
	ASSERT_GT(spawn(self, writer, COLOC_SYSFS "/test/offset", "7"), 0);
	ASSERT_GT(spawn(self, writer, COLOC_SYSFS "/hook_test", "5"), 0);
	ASSERT_GT(spawn(self, writer, COLOC_SYSFS "/features", ""), 0);
	ASSERT_GT(spawn(self, storm_fn, self->storm, NULL), 0);
	/* I/O settings are the module's: written again after every load. */
	ASSERT_EQ(0, stat("/dev/nullb0", &st));
	snprintf(top, sizeof(top), "%u:%u class=online", major(st.st_rdev), minor(st.st_rdev));
	snprintf(on, sizeof(on), "%s target=1", top);
	snprintf(off, sizeof(off), "%u:%u class=offline", major(st.st_rdev), minor(st.st_rdev));
	snprintf(io_top, sizeof(io_top), "%s/io.coloc", self->io);
	snprintf(io_on, sizeof(io_on), "%s/io.coloc", self->io_on);
	snprintf(io_off, sizeof(io_off), "%s/io.coloc", self->io_off);
	ASSERT_GT(spawn(self, writer, io_top, top), 0);
	ASSERT_GT(spawn(self, writer, io_on, on), 0);
	ASSERT_GT(spawn(self, writer, io_off, off), 0);
	ASSERT_GT(spawn(self, io_fn, self->io_on, "read"), 0);
	for (j = 0; j < 3; j++)
		ASSERT_GT(spawn(self, io_fn, self->io_off, "write"), 0);

	start = time(NULL);
	for (c = 0; c < CYCLES; c++) {
		if (c % 50 == 0)
			TH_LOG("cycle %d at %ld s", c, (long)(time(NULL) - start));
		for (i = 0; i < NR_MODULES; i++) {
			double t0 = now_s();

			ASSERT_EQ(0, coloc_load(modules[(c + i) % NR_MODULES]))
				TH_LOG("cycle %d load %s", c, modules[(c + i) % NR_MODULES]);
			load_s[(c + i) % NR_MODULES] += now_s() - t0;
		}
		usleep(2000);
		/* Another order than loading: descending from a rotating start. */
		for (i = 0; i < NR_MODULES; i++) {
			size_t m = (2 * c + NR_MODULES - i) % NR_MODULES;
			double t0 = now_s();

			ASSERT_EQ(0, coloc_unload(modules[m]))
				TH_LOG("cycle %d unload %s", c, modules[m]);
			unload_s[m] += now_s() - t0;
		}
	}
	TH_LOG("%d cycles of %zu modules in %ld s", CYCLES, NR_MODULES, (long)(time(NULL) - start));
	for (i = 0; i < NR_MODULES; i++)
		TH_LOG("%s: load %.1f ms, unload %.1f ms on average", modules[i],
		       load_s[i] * 1000 / CYCLES, unload_s[i] * 1000 / CYCLES);
	for (j = 0; j < self->nr_pids; j++)
		EXPECT_EQ(0, waitpid(self->pids[j], &status, WNOHANG))
			TH_LOG("busy process %d failed: exit %d", j, WEXITSTATUS(status));
	EXPECT_GE(cg_read_key_long(self->storm, "memory.events", "oom_kill "), 1);
}

TEST_HARNESS_MAIN
