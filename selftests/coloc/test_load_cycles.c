// SPDX-License-Identifier: GPL-2.0
/*
 * Every coloc module loaded and unloaded 200 times while the machine is
 * busy with what the modules touch: knob writers and readers, callers of
 * the test hook, and a cgroup in a continuous OOM storm with priority OOM
 * switched on. Loading and unloading must always succeed, the busy
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define CYCLES 200

static const char *const modules[] = { "coloc_core", "coloc_cpu", "coloc_mem", "coloc_test" };
#define NR_MODULES (sizeof(modules) / sizeof(modules[0]))

FIXTURE(cycles) {
	char root[PATH_MAX];
	char *cg, *storm;
	pid_t pids[8];
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
	free(self->storm);
	free(self->cg);
	for (i = 0; i < NR_MODULES; i++)
		coloc_unload(modules[i]);
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

TEST_F_TIMEOUT(cycles, load_unload_under_load, 1200)
{
	char prio[PATH_MAX + 32], use[PATH_MAX + 32], bvt[PATH_MAX + 32];
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

	for (c = 0; c < CYCLES; c++) {
		for (i = 0; i < NR_MODULES; i++)
			ASSERT_EQ(0, coloc_load(modules[(c + i) % NR_MODULES]))
				TH_LOG("cycle %d load %s", c, modules[(c + i) % NR_MODULES]);
		usleep(2000);
		for (i = 0; i < NR_MODULES; i++)
			ASSERT_EQ(0, coloc_unload(modules[(c + 2 * i) % NR_MODULES]))
				TH_LOG("cycle %d unload %s", c, modules[(c + 2 * i) % NR_MODULES]);
	}
	for (j = 0; j < self->nr_pids; j++)
		EXPECT_EQ(0, waitpid(self->pids[j], &status, WNOHANG))
			TH_LOG("busy process %d failed: exit %d", j, WEXITSTATUS(status));
	EXPECT_GE(cg_read_key_long(self->storm, "memory.events", "oom_kill "), 1);
}

TEST_HARNESS_MAIN
