// SPDX-License-Identifier: GPL-2.0
/*
 * The hook framework end to end, through the test hook: writing x to
 * /sys/kernel/coloc/hook_test returns x without an implementation and
 * 2 * x + offset while coloc_test implements it. Also the sysfs knob
 * abstraction: /sys/kernel/coloc/test/offset validates and is root-only.
 * And what a module leaks (coloc_leak forgets every registration it makes)
 * goes with it: no hook, file or knob is left calling into freed code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define HOOK_TEST COLOC_SYSFS "/hook_test"
#define OFFSET COLOC_SYSFS "/test/offset"
#define CALLS COLOC_SYSFS "/test/calls"

static long call_hook(long x)
{
	char buf[32];
	long r;

	snprintf(buf, sizeof(buf), "%ld\n", x);
	if (coloc_write_str(HOOK_TEST, buf) || coloc_read_long(HOOK_TEST, &r))
		return -999999;
	return r;
}

FIXTURE(hooks) {};

FIXTURE_SETUP(hooks)
{
	ASSERT_EQ(0, access(HOOK_TEST, W_OK)) TH_LOG("kernel without CONFIG_COLOC_HOOK_TEST");
	ASSERT_EQ(0, coloc_unload("coloc_test"));
}

FIXTURE_TEARDOWN(hooks)
{
	coloc_unload("coloc_test");
	coloc_unload("coloc_leak");
	coloc_unload("coloc_core");
}

TEST_F(hooks, identity_without_module)
{
	EXPECT_EQ(21, call_hook(21));
	EXPECT_EQ(-7, call_hook(-7));
}

TEST_F(hooks, module_implements_hook)
{
	long calls_before, calls_after;

	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, coloc_read_long(CALLS, &calls_before));
	EXPECT_EQ(42, call_hook(21));
	ASSERT_EQ(0, coloc_write_str(OFFSET, "5\n"));
	EXPECT_EQ(47, call_hook(21));
	ASSERT_EQ(0, coloc_write_str(OFFSET, "-1000"));
	EXPECT_EQ(-958, call_hook(21));
	ASSERT_EQ(0, coloc_read_long(CALLS, &calls_after));
	EXPECT_EQ(calls_before + 3, calls_after);

	/* Unloading restores the default at once. */
	ASSERT_EQ(0, coloc_unload("coloc_test"));
	EXPECT_EQ(21, call_hook(21));
}

TEST_F(hooks, offset_rejects_bad_input)
{
	const char *out_of_range[] = { "1001", "-1001", "9223372036854775807", NULL };

	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, coloc_write_str(OFFSET, "12\n"));
	EXPECT_EQ(0, coloc_check_rejects(OFFSET, out_of_range, "12\n"));
	/* The boundaries are accepted. */
	EXPECT_EQ(0, coloc_write_str(OFFSET, "1000"));
	EXPECT_EQ(0, coloc_write_str(OFFSET, "-1000"));
	EXPECT_EQ(0, coloc_write_str(OFFSET, "0"));
	/* calls is read-only, for root too. */
	EXPECT_EQ(-EACCES, coloc_write_str(CALLS, "0"));
}

static int try_offset(void *arg)
{
	char buf[32];

	if (coloc_write_str(OFFSET, "3") != -EACCES)
		return 1;
	if (coloc_read(OFFSET, buf, sizeof(buf)) != -EACCES)
		return 2;
	if (coloc_write_str(HOOK_TEST, "1") != -EACCES)
		return 3;
	return 0;
}

TEST_F(hooks, knobs_are_root_only)
{
	struct stat st;

	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, stat(OFFSET, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, coloc_run_unprivileged(try_offset, NULL));
}

/*
 * Callers hammer the hook while the module implementing it is loaded and
 * unloaded: every call must succeed and return one of the two answers,
 * and nothing may reach the module after it is gone (the console is
 * checked for splats by the runner).
 */
/* 40 reloads take minutes on the debug kernel: more than the default 30 s. */
TEST_F_TIMEOUT(hooks, unload_while_calling, 300)
{
	pid_t pids[3];
	int i, status;

	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, coloc_write_str(OFFSET, "1"));
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			long r;

			/*
			 * Every caller writes 5, so the shared result is 5
			 * (no implementation), 10 or 11 (offset 0 after a
			 * reload, or 1).
			 */
			for (;;) {
				if (coloc_write_str(HOOK_TEST, "5\n"))
					_exit(1);
				if (coloc_read_long(HOOK_TEST, &r))
					_exit(2);
				if (r != 5 && r != 10 && r != 11)
					_exit(3);
			}
		}
	}
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, coloc_unload("coloc_test"));
		usleep(1000);
		ASSERT_EQ(0, coloc_load("coloc_test"));
		usleep(1000);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, waitpid(pids[i], &status, WNOHANG))
			TH_LOG("caller %d failed: exit %d", i, WEXITSTATUS(status));
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	/* Freshly loaded: offset is back to 0. */
	EXPECT_EQ(10, call_hook(5));
	ASSERT_EQ(0, coloc_unload("coloc_test"));
	EXPECT_EQ(5, call_hook(5));
}

/* A file held open across unload fails cleanly, and closing it is fine. */
TEST_F(hooks, open_file_across_unload)
{
	char buf[32];
	int fd;

	ASSERT_EQ(0, coloc_load("coloc_test"));
	fd = open(OFFSET, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, coloc_unload("coloc_test"));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, write(fd, "1", 1));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, close(fd));
}

/*
 * coloc_leak registers its feature, the test hook, memory.coloc_leak and
 * /sys/kernel/coloc/leak/leaked, and drops none of them: safe Rust may
 * leak. When it goes, the kernel removes all four (and logs each), and
 * files held open across the unload fail as for any removed file.
 */
TEST_F(hooks, leaked_registrations_go_with_the_module)
{
	char root[PATH_MAX], buf[64], *cg, *file;
	int knob_fd, file_fd;

	cg = coloc_cg_fresh(root, sizeof(root), "coloc_leak");
	ASSERT_NE(NULL, cg);
	file = cg_name(cg, "memory.coloc_leak");
	ASSERT_NE(NULL, file);
	/* coloc_core lists the features and hooks. */
	ASSERT_EQ(0, coloc_load("coloc_core"));
	ASSERT_EQ(0, coloc_load("coloc_leak"));
	EXPECT_EQ(6, call_hook(5));
	EXPECT_TRUE(coloc_has_line(COLOC_SYSFS "/features", "leak"));
	EXPECT_TRUE(coloc_has_line(COLOC_SYSFS "/hooks", "coloc_test_hook coloc_leak"));
	knob_fd = open(COLOC_SYSFS "/leak/leaked", O_RDONLY);
	ASSERT_LE(0, knob_fd);
	file_fd = open(file, O_RDONLY);
	ASSERT_LE(0, file_fd);
	EXPECT_EQ(2, read(file_fd, buf, sizeof(buf)));

	ASSERT_EQ(0, coloc_unload("coloc_leak"));
	EXPECT_EQ(5, call_hook(5));
	EXPECT_FALSE(coloc_has_line(COLOC_SYSFS "/features", "leak"));
	EXPECT_TRUE(coloc_has_line(COLOC_SYSFS "/features", "core"));
	EXPECT_FALSE(coloc_has_line(COLOC_SYSFS "/hooks", "coloc_test_hook coloc_leak"));
	EXPECT_EQ(-1, access(COLOC_SYSFS "/leak", F_OK));
	EXPECT_EQ(-1, access(file, F_OK));
	EXPECT_EQ(-1, read(knob_fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, pread(file_fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ENODEV, errno);
	close(knob_fd);
	close(file_fd);

	/* And a second time: nothing of the first load is in the way. */
	ASSERT_EQ(0, coloc_load("coloc_leak"));
	EXPECT_EQ(6, call_hook(5));
	ASSERT_EQ(0, coloc_unload("coloc_leak"));
	EXPECT_EQ(5, call_hook(5));
	coloc_cg_remove_tree(cg);
	free(file);
	free(cg);
}

TEST_HARNESS_MAIN
