// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_mem: memory.priority and memory.use_priority_oom.
 *
 * Each OOM test builds a small tree under a cgroup with memory.max, starts
 * processes that allocate and hold anonymous memory (the guest has no
 * swap), then lets one more allocation push the tree over its limit and
 * checks, through memory.events, which cgroup lost a task.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define MAX_PROCS 16
#define MAX_CGS 8

FIXTURE(mem) {
	char root[PATH_MAX];
	char *top;			/* the OOM scope: memory.max set here */
	char *cgs[MAX_CGS];
	int nr_cgs;
	pid_t pids[MAX_PROCS];
	int nr_pids;
};

static char *add_cg(struct __test_metadata *_metadata, FIXTURE_DATA(mem) *self,
		    const char *name, int prio)
{
	char *cg = cg_name(self->top, name), buf[16];

	if (cg_create(cg))
		return NULL;
	if (prio >= 0) {
		snprintf(buf, sizeof(buf), "%d", prio);
		if (cg_write(cg, "memory.priority", buf))
			return NULL;
	}
	self->cgs[self->nr_cgs++] = cg;
	return cg;
}

/* Lets @cg have children with the memory controller (and no tasks of its own). */
static int parent_cg(const char *cg)
{
	return cg_write((char *)cg, "cgroup.subtree_control", "+memory");
}

/*
 * Starts a process in @cg that allocates and touches @mb MiB, then sleeps.
 * Returns once the memory is held, or once the process died trying.
 */
static pid_t hog(FIXTURE_DATA(mem) *self, const char *cg, int mb, int oom_score_adj)
{
	int pfd[2];
	char c;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		char adj[16];
		size_t len = (size_t)mb << 20;
		char *p;

		close(pfd[0]);
		if (cg_enter_current(cg))
			_exit(1);
		snprintf(adj, sizeof(adj), "%d", oom_score_adj);
		if (coloc_write_str("/proc/self/oom_score_adj", adj))
			_exit(1);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid > 0) {
		self->pids[self->nr_pids++] = pid;
		if (read(pfd[0], &c, 1) != 1)
			c = 0;	/* died before holding its memory */
	}
	close(pfd[0]);
	return pid;
}

static bool alive(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

/*
 * Whether @pid was killed: an OOM kill is a SIGKILL the victim still has
 * to act on, and the trigger may go on (the OOM reaper freed the memory)
 * before the victim has exited; give it up to two seconds.
 */
static bool killed(pid_t pid)
{
	int status, i;

	for (i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (r < 0)
			return false;
		usleep(10000);
	}
	return false;
}

static long oom_kills(const char *cg)
{
	return cg_read_key_long(cg, "memory.events", "oom_kill ");
}

static long exstat_kills(const char *cg)
{
	return cg_read_key_long(cg, "memory.exstat", "priority_oom_kills ");
}

static long mem_available_mb(void)
{
	char buf[4096], *p;

	if (coloc_read("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "MemAvailable:");
	return p ? strtol(p + strlen("MemAvailable:"), NULL, 10) / 1024 : -1;
}

FIXTURE_SETUP(mem)
{
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	self->top = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_mem_test");
	ASSERT_NE(NULL, self->top);
}

FIXTURE_TEARDOWN(mem)
{
	int i;

	for (i = 0; i < self->nr_pids; i++) {
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
	}
	for (i = 0; i < self->nr_cgs; i++)
		free(self->cgs[i]);
	coloc_cg_remove_tree(self->top);
	free(self->top);
	cg_write(self->root, "memory.use_priority_oom", "0");
	coloc_unload("coloc_mem");
}

TEST_F(mem, knobs)
{
	const char *prio_out[] = { "13", "100", NULL };
	const char *use_out[] = { "2", NULL };
	char *a = add_cg(_metadata, self, "a", -1), path[PATH_MAX + 32];

	ASSERT_NE(NULL, a);
	/* Defaults; memory.priority is not on the root, use_priority_oom is. */
	EXPECT_EQ(0, cg_read_strcmp(a, "memory.priority", "0\n"));
	EXPECT_EQ(0, cg_read_strcmp(a, "memory.use_priority_oom", "0\n"));
	EXPECT_EQ(0, cg_read_strcmp(self->root, "memory.use_priority_oom", "0\n"));
	snprintf(path, sizeof(path), "%s/memory.priority", self->root);
	EXPECT_EQ(-1, access(path, F_OK));

	EXPECT_EQ(0, cg_write(a, "memory.priority", "12"));
	EXPECT_EQ(0, cg_read_strcmp(a, "memory.priority", "12\n"));
	snprintf(path, sizeof(path), "%s/memory.priority", a);
	EXPECT_EQ(0, coloc_check_rejects(path, prio_out, "12\n"));
	EXPECT_EQ(-EINVAL, coloc_write_str(path, "-1"));

	EXPECT_EQ(0, cg_write(a, "memory.use_priority_oom", "1"));
	snprintf(path, sizeof(path), "%s/memory.use_priority_oom", a);
	EXPECT_EQ(0, coloc_check_rejects(path, use_out, "1\n"));

	/* Values live in the kernel: they survive a reload of the module. */
	ASSERT_EQ(0, coloc_unload("coloc_mem"));
	snprintf(path, sizeof(path), "%s/memory.priority", a);
	EXPECT_EQ(-1, access(path, F_OK));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	EXPECT_EQ(0, cg_read_strcmp(a, "memory.priority", "12\n"));
	EXPECT_EQ(0, cg_write(a, "memory.priority", "0"));
	EXPECT_EQ(0, cg_write(a, "memory.use_priority_oom", "0"));
}

/*
 * A victim's exit marks its address space gone (MMF_OOM_SKIP) before the
 * last batch of its pages is freed and uncharged. A charge retried in that
 * window meets a second OOM, which no longer waits for the victim and
 * takes the next one in order: stock kernels do the same. Tests that
 * check a cgroup kept its tasks give the walk another, less important
 * cgroup to take in that case.
 *
 * The example of Alibaba Cloud Linux's documentation: siblings A=10 and
 * B=8, inside B E=7 and F=8. The victim is in E although A and F hold more.
 * Without use_priority_oom the kernel takes the biggest task, in A.
 */
static void two_level_tree(struct __test_metadata *_metadata, FIXTURE_DATA(mem) *self,
			   bool priority_oom)
{
	char *a, *b, *e, *f, *a2;
	pid_t pa, pe, pf, trigger;
	int status;

	ASSERT_EQ(0, cg_write(self->top, "memory.max", "128M"));
	ASSERT_EQ(0, cg_write(self->top, "memory.use_priority_oom", priority_oom ? "1" : "0"));
	a = add_cg(_metadata, self, "a", 10);
	b = add_cg(_metadata, self, "b", 8);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, parent_cg(a));
	ASSERT_EQ(0, parent_cg(b));
	e = add_cg(_metadata, self, "b/e", 7);
	f = add_cg(_metadata, self, "b/f", 8);
	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, f);
	a2 = add_cg(_metadata, self, "a/x", 0);
	ASSERT_NE(NULL, a2);

	pa = hog(self, a2, 48, 0);
	pe = hog(self, e, 16, 0);
	pf = hog(self, f, 32, 0);
	ASSERT_TRUE(pa > 0 && alive(pa) && pe > 0 && alive(pe) && pf > 0 && alive(pf));

	/* 96 MiB held; 40 more in A pass the limit. */
	trigger = hog(self, a2, 40, 0);
	ASSERT_GT(trigger, 0);
	if (priority_oom) {
		EXPECT_TRUE(alive(trigger));
		EXPECT_TRUE(alive(pa));
		EXPECT_TRUE(killed(pe));
		EXPECT_GE(oom_kills(e), 1);
		EXPECT_EQ(0, oom_kills(a));
		/* memory.exstat counts the choice up the path to the scope. */
		EXPECT_GE(exstat_kills(e), 1);
		EXPECT_GE(exstat_kills(b), 1);
		EXPECT_GE(exstat_kills(self->top), 1);
		EXPECT_EQ(0, exstat_kills(a));
		/*
		 * F may lose a task too, but only after E, when E's pages are
		 * uncharged late (above). Had F been chosen first, E would
		 * have kept its task: 104 MiB fit.
		 */
		EXPECT_LE(exstat_kills(f), exstat_kills(e));
		EXPECT_EQ(exstat_kills(self->top), exstat_kills(e) + exstat_kills(f));
	} else {
		EXPECT_EQ(0, exstat_kills(self->top));
		EXPECT_GE(oom_kills(a), 1);
		EXPECT_TRUE(alive(pe));
	}
	(void)status;
}

TEST_F(mem, oom_follows_priority)
{
	two_level_tree(_metadata, self, true);
}

TEST_F(mem, oom_stock_without_switch)
{
	two_level_tree(_metadata, self, false);
}

/*
 * A system-wide OOM: the root's memory.use_priority_oom is the switch. The
 * test process itself is made unkillable; the rest of the guest is tiny.
 */
static void global_oom(struct __test_metadata *_metadata, FIXTURE_DATA(mem) *self,
		       bool priority_oom)
{
	char *a = add_cg(_metadata, self, "a", 10), *b = add_cg(_metadata, self, "b", 2);
	pid_t a1, b1, trigger;
	long avail;

	ASSERT_TRUE(a && b);
	ASSERT_EQ(0, coloc_write_str("/proc/self/oom_score_adj", "-1000"));
	ASSERT_EQ(0, cg_write(self->root, "memory.use_priority_oom", priority_oom ? "1" : "0"));
	a1 = hog(self, a, 512, 0);
	b1 = hog(self, b, 256, 0);
	ASSERT_TRUE(alive(a1) && alive(b1));
	avail = mem_available_mb();
	ASSERT_GT(avail, 0);
	/* Ask for 128 MiB more than the machine has left. */
	trigger = hog(self, a, avail + 128, 0);
	ASSERT_GT(trigger, 0);
	if (priority_oom) {
		EXPECT_TRUE(killed(b1));
		EXPECT_GE(oom_kills(b), 1);
		EXPECT_TRUE(alive(a1));
		EXPECT_EQ(0, oom_kills(a));
		EXPECT_GE(exstat_kills(self->root), 1);
	} else {
		/* The kernel takes the biggest task, in A. */
		EXPECT_GE(oom_kills(a), 1);
		EXPECT_TRUE(alive(b1));
	}
	EXPECT_EQ(0, cg_write(self->root, "memory.use_priority_oom", "0"));
}

TEST_F_TIMEOUT(mem, global_oom_follows_priority, 600)
{
	global_oom(_metadata, self, true);
}

TEST_F_TIMEOUT(mem, global_oom_stock_without_switch, 600)
{
	global_oom(_metadata, self, false);
}

/* Equal priority: the cgroup using more memory goes first, even if its tasks are small. */
TEST_F(mem, oom_tie_goes_to_larger_cgroup)
{
	char *a = add_cg(_metadata, self, "a", 0), *b = add_cg(_metadata, self, "b", 0);
	char *c = add_cg(_metadata, self, "c", 12);
	pid_t a1, a2, b1, trigger;

	ASSERT_TRUE(a && b && c);
	ASSERT_EQ(0, cg_write(self->top, "memory.max", "112M"));
	ASSERT_EQ(0, cg_write(self->top, "memory.use_priority_oom", "1"));
	a1 = hog(self, a, 24, 0);
	a2 = hog(self, a, 24, 0);
	b1 = hog(self, b, 36, 0);
	ASSERT_TRUE(alive(a1) && alive(a2) && alive(b1));
	/* 84 MiB held; the trigger in the most important cgroup passes the limit. */
	trigger = hog(self, c, 36, 0);
	ASSERT_GT(trigger, 0);
	EXPECT_GE(oom_kills(a), 1);
	EXPECT_EQ(0, oom_kills(b));
	EXPECT_EQ(0, oom_kills(c));
	EXPECT_TRUE(alive(b1));
}

/* A cgroup whose tasks are all unkillable is skipped for the next in order. */
TEST_F(mem, oom_skips_unkillable)
{
	char *a = add_cg(_metadata, self, "a", 10), *b = add_cg(_metadata, self, "b", 2);
	char *c = add_cg(_metadata, self, "c", 12);
	pid_t a1, b1, trigger;

	ASSERT_TRUE(a && b && c);
	ASSERT_EQ(0, cg_write(self->top, "memory.max", "112M"));
	ASSERT_EQ(0, cg_write(self->top, "memory.use_priority_oom", "1"));
	a1 = hog(self, a, 32, 0);
	b1 = hog(self, b, 48, -1000);
	ASSERT_TRUE(alive(a1) && alive(b1));
	trigger = hog(self, c, 48, 0);
	ASSERT_GT(trigger, 0);
	EXPECT_TRUE(alive(b1));
	EXPECT_EQ(0, oom_kills(b));
	EXPECT_TRUE(killed(a1));
	EXPECT_GE(oom_kills(a), 1);
	/*
	 * Not checked: whether C lost a task too. If a1's memory is not yet
	 * uncharged when the trigger charges again, a second OOM finds A
	 * exhausted and rightly moves on to C.
	 */
}

/* memory.oom.group still takes the whole cgroup the policy chose. */
TEST_F(mem, oom_group_kills_whole_group)
{
	char *a = add_cg(_metadata, self, "a", 10), *b = add_cg(_metadata, self, "b", 1);
	char *late = add_cg(_metadata, self, "late", 5);
	pid_t a1, b1, b2, l1, trigger;

	ASSERT_TRUE(a && b && late);
	ASSERT_EQ(0, cg_write(self->top, "memory.max", "112M"));
	ASSERT_EQ(0, cg_write(self->top, "memory.use_priority_oom", "1"));
	ASSERT_EQ(0, cg_write(b, "memory.oom.group", "1"));
	a1 = hog(self, a, 48, 0);
	b1 = hog(self, b, 16, 0);
	b2 = hog(self, b, 16, 0);
	l1 = hog(self, late, 8, 0);
	ASSERT_TRUE(alive(a1) && alive(b1) && alive(b2) && alive(l1));
	/* 88 MiB held; the trigger passes the limit by 16. */
	trigger = hog(self, a, 40, 0);
	ASSERT_GT(trigger, 0);
	EXPECT_TRUE(killed(b1));
	EXPECT_TRUE(killed(b2));
	EXPECT_GE(oom_kills(b), 2);
	EXPECT_EQ(0, oom_kills(a));
	EXPECT_TRUE(alive(a1));
	/* Only a late uncharge (above) reaches this one, and its 8 MiB end it. */
	EXPECT_LE(oom_kills(late), 1);
}

struct deleg {
	char *deleg, *sub;
};

static int delegatee(void *arg)
{
	struct deleg *d = arg;

	/* It cannot promote its own cgroup among its siblings... */
	if (cg_write(d->deleg, "memory.priority", "12") != -EACCES)
		return 1;
	/* ...but orders its own children as it likes. */
	if (cg_write(d->deleg, "cgroup.subtree_control", "+memory"))
		return 2;
	if (cg_create(d->sub))
		return 3;
	if (cg_write(d->sub, "memory.priority", "12"))
		return 4;
	return 0;
}

TEST_F(mem, delegation)
{
	struct deleg d;

	d.deleg = add_cg(_metadata, self, "deleg", 3);
	ASSERT_NE(NULL, d.deleg);
	d.sub = cg_name(d.deleg, "sub");
	ASSERT_EQ(0, coloc_cg_delegate(d.deleg));
	EXPECT_EQ(0, coloc_run_unprivileged(delegatee, &d));
	EXPECT_EQ(0, cg_read_strcmp(d.deleg, "memory.priority", "3\n"));
	free(d.sub);
}

/* OOMs keep coming while the module is loaded and unloaded: no splat, no hang. */
TEST_F_TIMEOUT(mem, unload_during_oom_storm, 600)
{
	char *a = add_cg(_metadata, self, "a", 1);
	pid_t storm;
	int i, status;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, cg_write(self->top, "memory.max", "32M"));
	ASSERT_EQ(0, cg_write(self->top, "memory.use_priority_oom", "1"));
	storm = fork();
	ASSERT_GE(storm, 0);
	if (storm == 0)
		coloc_oom_storm(a, 64);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, coloc_unload("coloc_mem"));
		usleep(20000);
		ASSERT_EQ(0, coloc_load("coloc_mem"));
		usleep(20000);
	}
	kill(storm, SIGKILL);
	waitpid(storm, &status, 0);
	EXPECT_GE(oom_kills(a), 1);
}

TEST_HARNESS_MAIN
