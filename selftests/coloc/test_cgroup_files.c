// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup interface files from a module, through coloc_test's
 * memory.coloc_test and memory.coloc_test_effective: they appear in
 * existing and new cgroups (not the root), validate their input, compute
 * along the hierarchy, respect delegation, and vanish with the module.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define KNOB "memory.coloc_test"
#define EFFECTIVE "memory.coloc_test_effective"

FIXTURE(cg) {
	char root[PATH_MAX];
	char *top;	/* test cgroup with memory enabled for its children */
};

FIXTURE_SETUP(cg)
{
	ASSERT_EQ(0, coloc_unload("coloc_test"));
	self->top = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_cg_test");
	ASSERT_NE(NULL, self->top);
}

FIXTURE_TEARDOWN(cg)
{
	coloc_cg_remove_tree(self->top);
	free(self->top);
	coloc_unload("coloc_test");
}

static bool has_file(const char *cgroup, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cgroup, file);
	return access(path, F_OK) == 0;
}

TEST_F(cg, files_follow_module)
{
	char *before = cg_name(self->top, "a"), *after = cg_name(self->top, "a/b");

	ASSERT_EQ(0, cg_create(before));
	ASSERT_EQ(0, cg_write(before, "cgroup.subtree_control", "+memory"));
	ASSERT_FALSE(has_file(before, KNOB));

	ASSERT_EQ(0, coloc_load("coloc_test"));
	EXPECT_TRUE(has_file(before, KNOB));
	EXPECT_TRUE(has_file(before, EFFECTIVE));
	EXPECT_FALSE(has_file(self->root, KNOB)) TH_LOG("knob must not be on the root");
	ASSERT_EQ(0, cg_create(after));
	EXPECT_TRUE(has_file(after, KNOB));

	ASSERT_EQ(0, coloc_unload("coloc_test"));
	EXPECT_FALSE(has_file(before, KNOB));
	EXPECT_FALSE(has_file(after, EFFECTIVE));
	free(before);
	free(after);
}

/* Like any memory.* file: only where the memory controller is enabled. */
TEST_F(cg, files_need_the_controller)
{
	char *a = cg_name(self->top, "a"), *b = cg_name(self->top, "a/b");

	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, cg_create(a));
	ASSERT_EQ(0, cg_create(b));
	EXPECT_TRUE(has_file(a, KNOB));
	EXPECT_FALSE(has_file(b, KNOB)) TH_LOG("a/cgroup.subtree_control lacks +memory");
	ASSERT_EQ(0, cg_write(a, "cgroup.subtree_control", "+memory"));
	EXPECT_TRUE(has_file(b, KNOB));
	ASSERT_EQ(0, cg_write(a, "cgroup.subtree_control", "-memory"));
	EXPECT_FALSE(has_file(b, KNOB));
	free(a);
	free(b);
}

TEST_F(cg, value_default_and_write)
{
	char *a = cg_name(self->top, "a");

	ASSERT_EQ(0, cg_create(a));
	ASSERT_EQ(0, coloc_load("coloc_test"));
	EXPECT_EQ(0, cg_read_strcmp(a, KNOB, "0\n"));
	EXPECT_EQ(0, cg_write(a, KNOB, "42"));
	EXPECT_EQ(0, cg_read_strcmp(a, KNOB, "42\n"));
	EXPECT_EQ(0, cg_write(a, KNOB, "100\n"));
	EXPECT_EQ(0, cg_read_strcmp(a, KNOB, "100\n"));
	EXPECT_EQ(0, cg_write(a, KNOB, "0"));
	EXPECT_EQ(0, cg_read_strcmp(a, KNOB, "0\n"));
	/* The effective value is read-only, for root too. */
	EXPECT_NE(0, cg_write(a, EFFECTIVE, "1"));
	free(a);
}

TEST_F(cg, value_rejects_bad_input)
{
	const char *out_of_range[] = { "101", "18446744073709551615", NULL };
	char *a = cg_name(self->top, "a"), path[PATH_MAX];

	ASSERT_EQ(0, cg_create(a));
	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, cg_write(a, KNOB, "7"));
	snprintf(path, sizeof(path), "%s/%s", a, KNOB);
	EXPECT_EQ(0, coloc_check_rejects(path, out_of_range, "7\n"));
	EXPECT_EQ(-EINVAL, coloc_write_str(path, "-1"));
	EXPECT_EQ(0, cg_read_strcmp(a, KNOB, "7\n"));
	free(a);
}

TEST_F(cg, effective_is_smallest_on_path)
{
	char *a = cg_name(self->top, "a"), *b = cg_name(self->top, "a/b");

	ASSERT_EQ(0, cg_create(a));
	ASSERT_EQ(0, cg_write(a, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, cg_create(b));
	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, cg_write(self->top, KNOB, "60"));
	ASSERT_EQ(0, cg_write(a, KNOB, "30"));
	ASSERT_EQ(0, cg_write(b, KNOB, "50"));
	EXPECT_EQ(0, cg_read_strcmp(b, EFFECTIVE, "30\n"));
	EXPECT_EQ(0, cg_read_strcmp(a, EFFECTIVE, "30\n"));
	EXPECT_EQ(0, cg_read_strcmp(self->top, EFFECTIVE, "60\n"));
	ASSERT_EQ(0, cg_write(b, KNOB, "10"));
	EXPECT_EQ(0, cg_read_strcmp(b, EFFECTIVE, "10\n"));
	ASSERT_EQ(0, cg_write(self->top, KNOB, "5"));
	EXPECT_EQ(0, cg_read_strcmp(b, EFFECTIVE, "5\n"));
	free(a);
	free(b);
}

struct deleg {
	char *deleg, *sub, *sibling;
};

static int delegatee(void *arg)
{
	struct deleg *d = arg;
	int ret;

	/* Its own cgroup's knob belongs to the delegator. */
	if (cg_write(d->deleg, KNOB, "9") != -EACCES)
		return 1;
	/* Nor may it touch a sibling. */
	if (cg_write(d->sibling, KNOB, "9") != -EACCES)
		return 2;
	/* Inside its subtree it is in charge. */
	ret = cg_write(d->deleg, "cgroup.subtree_control", "+memory");
	if (ret) {
		fprintf(stderr, "# delegatee: subtree_control: %s\n", strerror(-ret));
		return 3;
	}
	if (cg_create(d->sub))
		return 4;
	if (cg_write(d->sub, KNOB, "9"))
		return 5;
	if (cg_read_strcmp(d->sub, KNOB, "9\n"))
		return 6;
	return 0;
}

TEST_F(cg, delegation)
{
	struct deleg d = {
		.deleg = cg_name(self->top, "deleg"),
		.sub = cg_name(self->top, "deleg/sub"),
		.sibling = cg_name(self->top, "a"),
	};
	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, cg_create(d.deleg));
	ASSERT_EQ(0, cg_create(d.sibling));
	ASSERT_EQ(0, coloc_cg_delegate(d.deleg));
	EXPECT_EQ(0, coloc_run_unprivileged(delegatee, &d));
	EXPECT_EQ(0, cg_read_strcmp(d.deleg, KNOB, "0\n"));
	EXPECT_EQ(0, cg_read_strcmp(d.sibling, KNOB, "0\n"));
	free(d.deleg);
	free(d.sub);
	free(d.sibling);
}

/*
 * Writers racing with unload see success or the file gone (ENOENT at open,
 * ENODEV on a file removed while open), nothing else.
 */
TEST_F(cg, unload_while_writing)
{
	char *a = cg_name(self->top, "a"), path[PATH_MAX];
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, cg_create(a));
	snprintf(path, sizeof(path), "%s/%s", a, KNOB);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char buf[32];

		for (;;) {
			int r = coloc_write_str(path, "17");

			if (r && r != -ENOENT && r != -ENODEV)
				_exit(1);
			r = coloc_read(path, buf, sizeof(buf));
			if (r < 0 && r != -ENOENT && r != -ENODEV)
				_exit(2);
			if (r > 0 && strcmp(buf, "17\n") && strcmp(buf, "0\n"))
				_exit(3);
		}
	}
	for (i = 0; i < 30; i++) {
		ASSERT_EQ(0, coloc_load("coloc_test"));
		usleep(2000);
		ASSERT_EQ(0, coloc_unload("coloc_test"));
	}
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("writer failed early: exit %d", WEXITSTATUS(status));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	free(a);
}

TEST_HARNESS_MAIN
