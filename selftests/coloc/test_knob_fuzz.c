// SPDX-License-Identifier: GPL-2.0
/*
 * Every coloc knob against random input: numbers in and out of range,
 * signs, garbage bytes, NULs, overlong and partial writes, from several
 * writers at once. A write either fails (EINVAL, ERANGE or E2BIG) and
 * leaves the value as it was, or succeeds for exactly the well-formed
 * in-range numbers, and the knob then reads back that number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define WRITES_PER_KNOB 2000

struct knob {
	const char *file;	/* relative to the cgroup, or an absolute path */
	long min, max;
	/* Reading shows the value written (not an inherited one). */
	bool reads_back;
};

static const struct knob knobs[] = {
	{ COLOC_SYSFS "/test/offset", -1000, 1000, true },
	{ "memory.coloc_test", 0, 100, true },
	{ "memory.priority", 0, 12, true },
	{ "memory.use_priority_oom", 0, 1, true },
	{ "memory.wmark_ratio", 0, 100, true },
	{ "memory.wmark_scale_factor", 1, 1000, true },
	{ "cpu.bvt_warp_ns", -1, 2, true },
	{ COLOC_SYSFS "/cpu/starvation_limit_ms", 1, 10000, true },
	{ COLOC_SYSFS "/cpu/starvation_slice_us", 100, 100000, true },
};

/* A random input and whether the knob must accept it (and as what). */
static size_t random_input(char *buf, size_t size, const struct knob *k,
			   bool *valid, long *value)
{
	long v;
	size_t len, i;

	*valid = false;
	switch (rand() % 8) {
	case 0: /* in range, maybe with the newline echo adds */
	case 1:
		v = k->min + rand() % (k->max - k->min + 1);
		*valid = true;
		*value = v;
		return snprintf(buf, size, rand() % 2 ? "%ld\n" : "%ld", v);
	case 2: /* just outside the range, or far outside */
		v = rand() % 2 ? k->max + 1 + rand() % 1000 : k->min - 1 - rand() % 1000;
		if (rand() % 4 == 0)
			v = rand() % 2 ? LONG_MAX : LONG_MIN;
		return snprintf(buf, size, "%ld", v);
	case 3: /* random bytes */
		len = 1 + rand() % 40;
		for (i = 0; i < len; i++)
			buf[i] = rand() % 256;
		/* Never a well-formed number by chance. */
		buf[len] = '\0';
		if (strspn(buf, "0123456789-\n") == len)
			buf[0] = 'x';
		return len;
	case 4: /* a number with something around it */
		v = k->min + rand() % (k->max - k->min + 1);
		return snprintf(buf, size, "%s%ld%s", rand() % 2 ? " " : "+", v,
				rand() % 2 ? "x" : "\n\n");
	case 5: /* embedded NUL */
		v = k->min + rand() % (k->max - k->min + 1);
		len = snprintf(buf, size, "%ld", v);
		buf[len] = '\0';
		buf[len + 1] = '7';
		return len + 2;
	case 6: /* overlong digits */
		len = 33 + rand() % (size - 33);
		memset(buf, '0' + rand() % 10, len);
		return len;
	default: /* huge */
		return snprintf(buf, size, "%d%018d", 1 + rand() % 9, rand());
	}
}

static int fuzz_knob(const char *path, const struct knob *k, unsigned int seed,
		     bool check_values)
{
	char buf[4096], before[64], after[64];
	long value;
	bool valid;
	int i;

	srand(seed);
	for (i = 0; i < WRITES_PER_KNOB; i++) {
		size_t len = random_input(buf, sizeof(buf), k, &valid, &value);
		ssize_t ret;

		if (check_values && coloc_read(path, before, sizeof(before)) < 0)
			return 1;
		ret = coloc_write(path, buf, len);
		if (valid && ret != (ssize_t)len) {
			fprintf(stderr, "# %s: valid %ld refused: %zd\n", path, value, ret);
			return 2;
		}
		if (!valid && ret != -EINVAL && ret != -ERANGE && ret != -E2BIG) {
			fprintf(stderr, "# %s: input %d accepted or odd error %zd\n", path, i, ret);
			return 3;
		}
		if (!check_values)
			continue;
		if (coloc_read(path, after, sizeof(after)) < 0)
			return 4;
		if (valid && k->reads_back && strtol(after, NULL, 10) != value) {
			fprintf(stderr, "# %s: wrote %ld, reads %s", path, value, after);
			return 5;
		}
		if (!valid && strcmp(before, after)) {
			fprintf(stderr, "# %s: refused input changed %s to %s", path, before, after);
			return 6;
		}
	}
	return 0;
}

FIXTURE(fuzz) {
	char root[PATH_MAX];
	char *cg;
};

FIXTURE_SETUP(fuzz)
{
	ASSERT_EQ(0, coloc_load("coloc_test"));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	ASSERT_EQ(0, coloc_load("coloc_cpu"));
	self->cg = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_fuzz");
	ASSERT_NE(NULL, self->cg);
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+cpu"));
}

FIXTURE_TEARDOWN(fuzz)
{
	coloc_cg_remove_tree(self->cg);
	free(self->cg);
	coloc_unload("coloc_cpu");
	coloc_unload("coloc_mem");
	coloc_unload("coloc_test");
}

static void knob_path(char *path, size_t size, const char *cg, const struct knob *k)
{
	if (k->file[0] == '/')
		snprintf(path, size, "%s", k->file);
	else
		snprintf(path, size, "%s/%s", cg, k->file);
}

/* One writer per knob, checking every value. */
TEST_F_TIMEOUT(fuzz, every_knob, 900)
{
	char path[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		knob_path(path, sizeof(path), self->cg, &knobs[i]);
		EXPECT_EQ(0, fuzz_knob(path, &knobs[i], 1000 + i, true)) TH_LOG("%s", path);
	}
}

/*
 * Three writers per knob at once: each write still succeeds or fails as
 * its input says, and the final value is one of the valid ones written.
 */
TEST_F_TIMEOUT(fuzz, concurrent_writers, 900)
{
	char path[PATH_MAX + 64], buf[64];
	pid_t pids[3];
	size_t i;
	int w, status;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		knob_path(path, sizeof(path), self->cg, &knobs[i]);
		for (w = 0; w < 3; w++) {
			pids[w] = fork();
			ASSERT_GE(pids[w], 0);
			if (pids[w] == 0)
				_exit(fuzz_knob(path, &knobs[i], 7000 + 10 * i + w, false));
		}
		for (w = 0; w < 3; w++) {
			ASSERT_EQ(pids[w], waitpid(pids[w], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
				TH_LOG("%s writer %d: %d", path, w, WEXITSTATUS(status));
		}
		ASSERT_GT(coloc_read(path, buf, sizeof(buf)), 0);
		EXPECT_GE(strtol(buf, NULL, 10), knobs[i].min);
		EXPECT_LE(strtol(buf, NULL, 10), knobs[i].max);
	}
}

TEST_HARNESS_MAIN
