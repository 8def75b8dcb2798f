// SPDX-License-Identifier: GPL-2.0
/*
 * coloc_core: /sys/kernel/coloc/{version,features,hooks} appear with the
 * module, are read-only, list what is loaded and go away with the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "coloc_util.h"

#define VERSION COLOC_SYSFS "/version"
#define FEATURES COLOC_SYSFS "/features"
#define HOOKS COLOC_SYSFS "/hooks"

FIXTURE(core) {};

FIXTURE_SETUP(core)
{
	ASSERT_EQ(0, coloc_unload("coloc_test"));
	ASSERT_EQ(0, coloc_unload("coloc_core"));
}

FIXTURE_TEARDOWN(core)
{
	coloc_unload("coloc_test");
	coloc_unload("coloc_mem");
	coloc_unload("coloc_io");
	coloc_unload("coloc_cpu");
	coloc_unload("coloc_core");
}

TEST_F(core, root_dir_is_builtin)
{
	struct stat st;

	/* The kernel carries the hooks: the directory exists, empty of module files. */
	ASSERT_EQ(0, stat(COLOC_SYSFS, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(-1, access(VERSION, F_OK));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(core, files_follow_module)
{
	char buf[64];
	regex_t re;
	struct stat st;

	ASSERT_EQ(0, coloc_load("coloc_core"));
	ASSERT_GT(coloc_read(VERSION, buf, sizeof(buf)), 0);
	ASSERT_EQ(0, regcomp(&re, "^[0-9]+\\.[0-9]+\\.[0-9]+\n$", REG_EXTENDED | REG_NOSUB));
	EXPECT_EQ(0, regexec(&re, buf, 0, NULL, 0)) TH_LOG("version is '%s'", buf);
	regfree(&re);
	ASSERT_TRUE(coloc_has_line(FEATURES, "core"));
	ASSERT_GE(coloc_read(HOOKS, buf, sizeof(buf)), 0);

	ASSERT_EQ(0, coloc_unload("coloc_core"));
	ASSERT_EQ(-1, stat(VERSION, &st));
	ASSERT_EQ(-1, stat(FEATURES, &st));
	ASSERT_EQ(-1, stat(HOOKS, &st));
}

TEST_F(core, files_are_read_only)
{
	const char *files[] = { VERSION, FEATURES, HOOKS };
	struct stat st;
	int i;

	ASSERT_EQ(0, coloc_load("coloc_core"));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat(files[i], &st));
		EXPECT_EQ(0444, st.st_mode & 0777) TH_LOG("%s", files[i]);
		/* Even root cannot write: there is no store method. */
		EXPECT_EQ(-EACCES, coloc_write_str(files[i], "1\n")) TH_LOG("%s", files[i]);
	}
}

/* Files under /sys/kernel/coloc an unprivileged user could open for writing. */
static int writable_files, seen_files;

static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	int fd;

	if (type != FTW_F)
		return 0;
	seen_files++;
	fd = open(path, O_WRONLY);
	if (fd >= 0 || errno != EACCES || (st->st_mode & 0022)) {
		fprintf(stderr, "# %s: mode %o, unprivileged open for writing: %s\n", path,
			st->st_mode & 0777, fd >= 0 ? "allowed" : strerror(errno));
		writable_files++;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static int walk_unprivileged(void *arg)
{
	if (nftw(COLOC_SYSFS, check_file, 8, FTW_PHYS))
		return 2;
	return writable_files ? 1 : 0;
}

static int count_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	seen_files += type == FTW_F;
	return 0;
}

/* With every module loaded, no file under /sys/kernel/coloc is writable but by root. */
TEST_F(core, sysfs_knobs_are_root_only)
{
	const char *mods[] = { "coloc_core", "coloc_cpu", "coloc_io", "coloc_mem", "coloc_test",
			       NULL };
	const char **m;

	for (m = mods; *m; m++)
		if (coloc_load(*m))
			break;
	ASSERT_EQ(NULL, *m) TH_LOG("could not load %s", *m ? *m : "");
	seen_files = 0;
	ASSERT_EQ(0, nftw(COLOC_SYSFS, count_file, 8, FTW_PHYS));
	TH_LOG("%d files under " COLOC_SYSFS, seen_files);
	/* version, features, hooks, the test hook's, cpu/, io/ and memory/ knobs. */
	EXPECT_GE(seen_files, 12);
	EXPECT_EQ(0, coloc_run_unprivileged(walk_unprivileged, NULL));
}

TEST_F(core, lists_features_and_hooks)
{
	ASSERT_EQ(0, coloc_load("coloc_core"));
	ASSERT_FALSE(coloc_has_line(FEATURES, "test"));
	ASSERT_FALSE(coloc_has_line(HOOKS, "coloc_test_hook coloc_test"));

	ASSERT_EQ(0, coloc_load("coloc_test"));
	EXPECT_TRUE(coloc_has_line(FEATURES, "core"));
	EXPECT_TRUE(coloc_has_line(FEATURES, "test"));
	EXPECT_TRUE(coloc_has_line(HOOKS, "coloc_test_hook coloc_test"));

	ASSERT_EQ(0, coloc_unload("coloc_test"));
	EXPECT_TRUE(coloc_has_line(FEATURES, "core"));
	EXPECT_FALSE(coloc_has_line(FEATURES, "test"));
	EXPECT_FALSE(coloc_has_line(HOOKS, "coloc_test_hook coloc_test"));
}

/*
 * Readers racing with unload see the files, ENOENT at open or ENODEV on a
 * file removed while open, never anything else.
 */
TEST_F(core, unload_while_reading)
{
	char buf[256];
	int i, status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (;;) {
			ssize_t r = coloc_read(FEATURES, buf, sizeof(buf));

			if (r < 0 && r != -ENOENT && r != -ENODEV)
				_exit(1);
			r = coloc_read(VERSION, buf, sizeof(buf));
			if (r < 0 && r != -ENOENT && r != -ENODEV)
				_exit(2);
		}
	}
	for (i = 0; i < 30; i++) {
		ASSERT_EQ(0, coloc_load("coloc_core"));
		usleep(2000);
		ASSERT_EQ(0, coloc_unload("coloc_core"));
	}
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("reader failed early: exit %d", WEXITSTATUS(status));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
}

TEST_HARNESS_MAIN
