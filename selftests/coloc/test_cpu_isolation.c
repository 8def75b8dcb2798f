// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_cpu: dynamic CPU isolation and the per-cgroup offline statistics.
 *
 * The controller withdraws CPUs from offline work (isolation_util_pct,
 * offline_cpus_pct under /sys/kernel/coloc/cpu); offline tasks then stay
 * off them without any change of affinity or cpuset, and one pinned to a
 * withdrawn CPU only gets anti-starvation slices. cpu.coloc_stat counts
 * what a subtree's offline tasks gave up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define MODULE "coloc_cpu"
#define KNOB "cpu.bvt_warp_ns"
#define SWITCH "/proc/sys/kernel/sched_group_identity_enabled"
#define CPU_SYSFS COLOC_SYSFS "/cpu"
#define PERIOD CPU_SYSFS "/isolation_period_ms"
#define UTIL CPU_SYSFS "/isolation_util_pct"
#define OFFLINE_CPUS CPU_SYSFS "/offline_cpus_pct"
#define WITHDRAWN CPU_SYSFS "/withdrawn"
#define MAX_PIDS 16

FIXTURE(iso) {
	char root[PATH_MAX];
	char *top;	/* test cgroup, the cpu controller on for its children */
	char *on, *off, *off_child;
	pid_t pids[MAX_PIDS];
	int nr_pids;
	int nr_cpus;
};

FIXTURE_SETUP(iso)
{
	ASSERT_EQ(0, coloc_write_str(SWITCH, "1"));
	ASSERT_EQ(0, coloc_load(MODULE));
	self->top = coloc_cg_fresh_ctrl(self->root, sizeof(self->root), "coloc_iso_test", "cpu");
	ASSERT_NE(NULL, self->top);
	self->on = cg_name(self->top, "online");
	self->off = cg_name(self->top, "offline");
	self->off_child = cg_name(self->off, "job");
	ASSERT_EQ(0, cg_create(self->on));
	ASSERT_EQ(0, cg_create(self->off));
	ASSERT_EQ(0, cg_write(self->off, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_create(self->off_child));
	ASSERT_EQ(0, cg_write(self->on, KNOB, "2"));
	ASSERT_EQ(0, cg_write(self->off, KNOB, "-1"));
	self->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* The guest has 4 CPUs; fewer leave nothing to withdraw and keep. */
	ASSERT_GE(self->nr_cpus, 4);
	ASSERT_LE(self->nr_cpus, 64);
	ASSERT_EQ(0, coloc_write_str(PERIOD, "50"));
}

FIXTURE_TEARDOWN(iso)
{
	int i;

	for (i = 0; i < self->nr_pids; i++) {
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
	}
	coloc_cg_remove_tree(self->top);
	free(self->off_child);
	free(self->off);
	free(self->on);
	free(self->top);
	coloc_unload(MODULE);
	coloc_write_str(SWITCH, "1");
}

/* The CPUs in /sys/kernel/coloc/cpu/withdrawn as a mask; -1 on error. */
static long long withdrawn_mask(void)
{
	char buf[256], *p = buf;
	long long mask = 0;
	int a, b, n;

	if (coloc_read(WITHDRAWN, buf, sizeof(buf)) < 0)
		return -1;
	while (*p && *p != '\n') {
		if (sscanf(p, "%d%n", &a, &n) != 1)
			return -1;
		p += n;
		b = a;
		if (*p == '-') {
			if (sscanf(p + 1, "%d%n", &b, &n) != 1)
				return -1;
			p += n + 1;
		}
		for (; a <= b; a++)
			mask |= 1LL << a;
		if (*p == ',')
			p++;
	}
	return mask;
}

/* Polls for up to 5 s until @want(mask, arg) holds; the last mask read. */
static long long wait_withdrawn(bool (*want)(long long mask, long arg), long arg)
{
	long long mask = -1;
	int i;

	for (i = 0; i < 100; i++) {
		mask = withdrawn_mask();
		if (mask >= 0 && want(mask, arg))
			break;
		usleep(50000);
	}
	return mask;
}

static bool count_is(long long mask, long n)
{
	return __builtin_popcountll(mask) == n;
}

static bool has_cpu(long long mask, long cpu)
{
	return mask & (1LL << cpu);
}

static bool lacks_cpu(long long mask, long cpu)
{
	return !has_cpu(mask, cpu);
}

/* A task spinning in cgroup @cg, pinned to @cpu unless it is -1; killed at teardown. */
static pid_t spinner(FIXTURE_DATA(iso) *self, const char *cg, int cpu)
{
	pid_t pid;

	if (self->nr_pids == MAX_PIDS)
		return -1;
	pid = coloc_spinner(cg, cpu);
	if (pid > 0)
		self->pids[self->nr_pids++] = pid;
	return pid;
}

/* CPU time of @cg in microseconds over @ms milliseconds. */
static long usage_over(const char *cg, int ms)
{
	long u0 = coloc_cpu_usage_us(cg);

	usleep(ms * 1000);
	return coloc_cpu_usage_us(cg) - u0;
}

/* A counter of /sys/kernel/coloc/cpu/stat; -1 if missing. */
static long stat_of(const char *key)
{
	return coloc_read_key(CPU_SYSFS "/stat", key);
}

/*
 * Caps offline work to three quarters of the CPUs, waits for the one CPU
 * withdrawn and starts an offline spinner pinned to it. Returns the CPU,
 * or -1; the mask withdrawn into *@mask.
 */
static int spin_on_withdrawn(FIXTURE_DATA(iso) *self, long long *mask)
{
	int cpu;

	if (coloc_write_str(OFFLINE_CPUS, "75"))
		return -1;
	*mask = wait_withdrawn(count_is, self->nr_cpus - self->nr_cpus * 3 / 4);
	if (!count_is(*mask, self->nr_cpus - self->nr_cpus * 3 / 4))
		return -1;
	cpu = __builtin_ctzll(*mask);
	return spinner(self, self->off_child, cpu) > 0 ? cpu : -1;
}

/*
 * An online task pinned to @cpu that runs 5 ms and sleeps 5 ms, so that
 * @cpu is the busiest by far when offline work is capped; killed at
 * teardown.
 */
static pid_t half_busy(FIXTURE_DATA(iso) *self, int cpu)
{
	pid_t pid;

	if (self->nr_pids == MAX_PIDS)
		return -1;
	pid = coloc_duty_cycler(self->on, cpu, 5000, 5000);
	if (pid > 0)
		self->pids[self->nr_pids++] = pid;
	return pid;
}

TEST_F(iso, knobs_reject_bad_input)
{
	static const char *const period_bad[] = { "0", "9", "10001", NULL };
	static const char *const util_bad[] = { "101", "1000", NULL };
	static const char *const cpus_bad[] = { "0", "101", NULL };

	EXPECT_EQ(0, coloc_check_rejects(PERIOD, period_bad, "50\n"));
	EXPECT_EQ(0, coloc_check_rejects(UTIL, util_bad, "0\n"));
	EXPECT_EQ(0, coloc_check_rejects(OFFLINE_CPUS, cpus_bad, "100\n"));
	EXPECT_EQ(-EACCES, coloc_write_str(WITHDRAWN, "0"));
	/* Off by default: nothing withdrawn, and the stat says so. */
	EXPECT_EQ(0, withdrawn_mask());
	EXPECT_TRUE(coloc_has_line(CPU_SYSFS "/stat", "withdrawn_cpus 0"));
}

static int write_isolation(void *arg)
{
	if (coloc_write_str(UTIL, "10") != -EACCES)
		return 1;
	if (coloc_write_str(OFFLINE_CPUS, "10") != -EACCES)
		return 2;
	return coloc_write_str(PERIOD, "10") == -EACCES ? 0 : 3;
}

TEST_F(iso, knobs_are_root_only)
{
	EXPECT_EQ(0, coloc_run_unprivileged(write_isolation, NULL));
	EXPECT_TRUE(coloc_has_line(UTIL, "0"));
	EXPECT_TRUE(coloc_has_line(OFFLINE_CPUS, "100"));
}

static bool mask_is(long long mask, long want)
{
	return mask == want;
}

/*
 * offline_cpus_pct 50 withdraws half the CPUs: offline spinners, one per
 * CPU and free to run anywhere, run only on the others and get about half
 * the CPU time they get once the cap is lifted.
 */
TEST_F(iso, cap_keeps_offline_off_withdrawn_cpus)
{
	long long mask = 0;
	long capped, free_run;
	int i, j, cpu, first, wrong = 0;

	/*
	 * Online work on the upper half of the CPUs makes them the ones the
	 * cap withdraws: with nothing online, background noise picks them,
	 * and may pick others while the test runs.
	 */
	for (cpu = self->nr_cpus - self->nr_cpus / 2; cpu < self->nr_cpus; cpu++) {
		ASSERT_GT(half_busy(self, cpu), 0);
		mask |= 1LL << cpu;
	}
	ASSERT_EQ(0, coloc_write_str(OFFLINE_CPUS, "50"));
	ASSERT_EQ(mask, wait_withdrawn(mask_is, mask));
	first = self->nr_pids;
	for (i = 0; i < self->nr_cpus; i++)
		ASSERT_GT(spinner(self, self->off_child, -1), 0);
	usleep(300000);
	capped = usage_over(self->off, 2000);
	for (j = 0; j < 10; j++) {
		for (i = first; i < self->nr_pids; i++) {
			cpu = coloc_last_cpu(self->pids[i]);
			ASSERT_GE(cpu, 0);
			wrong += has_cpu(mask, cpu);
		}
		usleep(50000);
	}
	EXPECT_EQ(mask, withdrawn_mask()) TH_LOG("the withdrawn CPUs moved");
	EXPECT_EQ(0, wrong) TH_LOG("offline spinners seen on withdrawn CPUs");

	/* Without the online work, so that offline may have every CPU. */
	for (i = 0; i < first; i++) {
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
		self->pids[i] = self->pids[--self->nr_pids];
	}
	ASSERT_EQ(0, coloc_write_str(OFFLINE_CPUS, "100"));
	mask = wait_withdrawn(count_is, 0);
	EXPECT_EQ(0, mask);
	usleep(300000);
	free_run = usage_over(self->off, 2000);
	TH_LOG("offline: %ld us capped at half the CPUs, %ld us free", capped, free_run);
	EXPECT_GT(free_run * 10, capped * 14);
	EXPECT_GT(stat_of("withdrawals"), 0);
}

/*
 * isolation_util_pct withdraws a CPU whose online utilisation reaches it,
 * and gives it back once that falls below half of it.
 */
TEST_F(iso, busy_online_cpu_is_withdrawn_and_given_back)
{
	const int busy = 1;
	long long mask;
	pid_t on;
	int i;

	ASSERT_EQ(0, coloc_write_str(UTIL, "50"));
	on = spinner(self, self->on, busy);
	ASSERT_GT(on, 0);
	mask = wait_withdrawn(has_cpu, busy);
	ASSERT_TRUE(has_cpu(mask, busy)) TH_LOG("withdrawn mask %llx", mask);
	/* Offline work placed meanwhile keeps off it. */
	for (i = 0; i < self->nr_cpus; i++)
		ASSERT_GT(spinner(self, self->off_child, -1), 0);
	usleep(500000);
	for (i = 1; i < self->nr_pids; i++)
		EXPECT_NE(busy, coloc_last_cpu(self->pids[i])) TH_LOG("offline spinner %d", i);

	kill(on, SIGKILL);
	waitpid(on, NULL, 0);
	self->pids[0] = self->pids[--self->nr_pids];
	mask = wait_withdrawn(lacks_cpu, busy);
	EXPECT_FALSE(has_cpu(mask, busy)) TH_LOG("withdrawn mask %llx", mask);
}

/*
 * An offline task that may run only on a withdrawn CPU is held back there
 * but for its anti-starvation slices; the time is counted in its parent's
 * cpu.coloc_stat. With the switch off it gets what the online task on
 * that CPU leaves.
 */
TEST_F(iso, pinned_offline_is_held_on_withdrawn_cpu)
{
	int cpu = self->nr_cpus - 1;
	long held, freed, withdrawn_us, slices;
	long long mask;

	/*
	 * Online work makes @cpu the one the cap withdraws, whatever else
	 * runs, once the controller has measured it for a few periods.
	 */
	ASSERT_GT(half_busy(self, cpu), 0);
	ASSERT_EQ(0, coloc_write_str(OFFLINE_CPUS, "75"));
	mask = wait_withdrawn(mask_is, 1LL << cpu);
	ASSERT_EQ(1LL << cpu, mask);
	ASSERT_GT(spinner(self, self->off_child, cpu), 0);
	usleep(200000);
	withdrawn_us = coloc_cpu_stat(self->off, "withdrawn_usec");
	slices = coloc_cpu_stat(self->off, "starvation_slices");
	held = usage_over(self->off, 2000);
	EXPECT_EQ(mask, withdrawn_mask()) TH_LOG("the withdrawn CPUs moved");
	withdrawn_us = coloc_cpu_stat(self->off, "withdrawn_usec") - withdrawn_us;
	slices = coloc_cpu_stat(self->off, "starvation_slices") - slices;
	TH_LOG("on withdrawn CPU %d: ran %ld us, held %ld us, %ld slices in 2 s",
	       cpu, held, withdrawn_us, slices);
	/*
	 * Slices of 2 ms every 100 ms: a few percent, against about half
	 * the CPU (what the online task leaves) if it were not held. The
	 * hold lasts while the online task runs, so it covers most of 2 s.
	 */
	EXPECT_LT(held * 10, 2000000);
	EXPECT_GT(withdrawn_us, 1000000);
	EXPECT_GT(slices, 5);
	EXPECT_EQ(0, coloc_cpu_stat(self->off, "expelled_usec"));

	ASSERT_EQ(0, coloc_write_str(SWITCH, "0"));
	usleep(100000);
	freed = usage_over(self->off, 1000);
	TH_LOG("switch off: ran %ld us in 1 s", freed);
	EXPECT_GT(freed, 300000);
}

/* Unloading the module gives withdrawn CPUs back at once. */
TEST_F(iso, unload_gives_cpus_back)
{
	long long mask;
	long ran;
	int cpu;

	cpu = spin_on_withdrawn(self, &mask);
	ASSERT_GE(cpu, 0) TH_LOG("withdrawn mask %llx", mask);
	usleep(300000);
	ASSERT_EQ(0, coloc_unload(MODULE));
	ran = usage_over(self->off, 1000);
	TH_LOG("unloaded: the spinner on CPU %d ran %ld us in 1 s", cpu, ran);
	EXPECT_GT(ran, 500000);
	/* Loaded again, the defaults withdraw nothing. */
	ASSERT_EQ(0, coloc_load(MODULE));
	EXPECT_EQ(0, withdrawn_mask());
}

/*
 * An online task waking every millisecond on the CPU of an offline
 * spinner preempts it; the count shows in the offline parent's stat,
 * which sums its subtree, and not in the online group's.
 */
TEST_F(iso, preemptions_are_counted)
{
	long before, after;
	int status;
	pid_t spin;

	spin = spinner(self, self->off_child, 0);
	ASSERT_GT(spin, 0);
	usleep(100000);
	before = coloc_cpu_stat(self->off, "preempted");
	ASSERT_EQ(0, coloc_wakeups(self->on, 0, 500, 1000));
	/*
	 * Stopped before the reads: any normal task waking over it (a
	 * kworker) counts too, and did once between the two reads below.
	 */
	ASSERT_EQ(0, kill(spin, SIGSTOP));
	ASSERT_EQ(spin, waitpid(spin, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	after = coloc_cpu_stat(self->off, "preempted");
	TH_LOG("offline preempted %ld times by 500 wakeups", after - before);
	EXPECT_GT(after - before, 50);
	EXPECT_EQ(0, coloc_cpu_stat(self->on, "preempted"));
	EXPECT_EQ(after, coloc_cpu_stat(self->off_child, "preempted"));
}

/*
 * Load and unload while the controller withdraws and gives back CPUs
 * every 10 ms under a busy mixed load: no splat, no stuck task, and
 * nothing withdrawn after the last unload.
 */
TEST_F_TIMEOUT(iso, reload_while_isolating, 300)
{
	int i;

	for (i = 0; i < self->nr_cpus; i++) {
		ASSERT_GT(spinner(self, self->off_child, -1), 0);
		ASSERT_GT(spinner(self, self->on, i % 2 ? i : -1), 0);
	}
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, coloc_write_str(PERIOD, "10"));
		ASSERT_EQ(0, coloc_write_str(UTIL, i % 2 ? "30" : "90"));
		ASSERT_EQ(0, coloc_write_str(OFFLINE_CPUS, i % 3 ? "50" : "25"));
		usleep(50000 + i * 5000);
		ASSERT_EQ(0, coloc_unload(MODULE));
		usleep(10000);
		ASSERT_EQ(0, coloc_load(MODULE));
	}
	EXPECT_EQ(0, withdrawn_mask());
	/* With the online spinners gone, the offline ones have every CPU. */
	for (i = self->nr_pids - 1; i >= 0; i -= 2) {
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
		self->pids[i] = self->pids[--self->nr_pids];
	}
	usleep(200000);
	EXPECT_GT(usage_over(self->off, 1000), (self->nr_cpus - 1) * 500000L);
}

TEST_HARNESS_MAIN
