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
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
	{ "memory.wmark_min_adj", -25, 50, true },
	{ COLOC_SYSFS "/memory/priority_reclaim", 0, 1, true },
	{ "cpu.bvt_warp_ns", -1, 2, true },
	{ COLOC_SYSFS "/cpu/starvation_limit_ms", 1, 10000, true },
	{ COLOC_SYSFS "/cpu/starvation_slice_us", 100, 100000, true },
	{ COLOC_SYSFS "/cpu/isolation_period_ms", 10, 10000, true },
	{ COLOC_SYSFS "/cpu/isolation_util_pct", 0, 100, true },
	{ COLOC_SYSFS "/cpu/offline_cpus_pct", 1, 100, true },
	{ COLOC_SYSFS "/io/window_ms", 1, 10000, true },
	{ COLOC_SYSFS "/io/max_delay_ms", 1, 10000, true },
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
	ASSERT_EQ(0, coloc_load("coloc_io"));
	self->cg = coloc_cg_fresh(self->root, sizeof(self->root), "coloc_fuzz");
	ASSERT_NE(NULL, self->cg);
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+io"));
}

FIXTURE_TEARDOWN(fuzz)
{
	coloc_cg_remove_tree(self->cg);
	free(self->cg);
	coloc_unload("coloc_io");
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

/* io.coloc, a keyed file: what a write must leave, modelled here. */
struct io_setting {
	int class;	/* -1, 0, 1 */
	long target;
};

static const char *const io_classes[] = { "offline", "normal", "online" };

#define IO_TARGET_MAX 10000000L

/*
 * A random io.coloc line for disk @dev: either well formed, and then
 * @model is updated to what it sets, or broken in one of many ways.
 */
static size_t random_io_line(char *buf, size_t size, const char *dev,
			     struct io_setting *model, bool *valid)
{
	struct io_setting next = *model;
	const char *sep = rand() % 4 ? " " : "   ";
	bool class = rand() % 2, target = !class || rand() % 2;
	char keys[2][64] = { "", "" };
	size_t len, i;
	long t;

	*valid = true;
	if (class) {
		next.class = rand() % 3 - 1;
		snprintf(keys[0], sizeof(keys[0]), "class=%s", io_classes[next.class + 1]);
	}
	if (target) {
		t = rand() % 3 ? rand() % 5000 : rand() % (IO_TARGET_MAX + 1);
		next.target = rand() % 8 ? t : 0;
		snprintf(keys[1], sizeof(keys[1]), "target=%ld", next.target);
	}
	switch (rand() % 16) {
	case 0:	/* random bytes after the disk */
		len = snprintf(buf, size, "%s ", dev);
		for (i = 0; i < 1 + (size_t)(rand() % 40); i++)
			buf[len++] = 1 + rand() % 255;
		/* One byte outside ASCII: never a well-formed line by chance. */
		buf[strlen(dev) + 1] = 0x80 | rand();
		*valid = false;
		return len;
	case 1:	/* unknown key */
		*valid = false;
		return snprintf(buf, size, "%s %s%sfoo=%d", dev, keys[0], sep, rand() % 9);
	case 2:	/* a key twice */
		*valid = false;
		return snprintf(buf, size, "%s %s%s%s%s%s", dev, keys[0], sep, keys[1],
				sep, class ? keys[0] : keys[1]);
	case 3:	/* bad class */
		*valid = false;
		return snprintf(buf, size, "%s class=%s", dev,
				rand() % 2 ? "ONLINE" : "best-effort");
	case 4:	/* target out of range, negative or not a number */
		*valid = false;
		return snprintf(buf, size, "%s target=%s", dev,
				(const char *[]){ "10000001", "-1", "1e3", "0x10",
						  "99999999999999999999", "" }[rand() % 6]);
	case 5:	/* no such disk, or not a disk number */
		*valid = false;
		return snprintf(buf, size, "%s %s",
				(const char *[]){ "7:250", "0:0", "x:1", "8", "4096:0",
						  "1:1048576", ":", "-1:0" }[rand() % 8],
				class ? keys[0] : keys[1]);
	case 6:	/* the disk alone */
		*valid = false;
		return snprintf(buf, size, "%s%s", dev, rand() % 2 ? "\n" : " ");
	case 7:	/* overlong */
		*valid = false;
		len = snprintf(buf, size, "%s %s", dev, keys[0]);
		memset(buf + len, ' ', 200);
		len += 200;
		len += snprintf(buf + len, size - len, "%s", keys[1]);
		return len;
	case 8:	/* embedded NUL or tab */
		*valid = false;
		len = snprintf(buf, size, "%s%c%s", dev, rand() % 2 ? '\t' : 0,
			       class ? keys[0] : keys[1]);
		return len;
	case 9:	/* two lines */
		*valid = false;
		return snprintf(buf, size, "%s %s\n%s %s\n", dev, keys[0], dev, keys[1]);
	default: /* well formed, keys in either order */
		if (rand() % 2)
			len = snprintf(buf, size, "%s%s%s%s%s", dev, sep, keys[0],
				       class && target ? sep : "", keys[1]);
		else
			len = snprintf(buf, size, "%s%s%s%s%s", dev, sep, keys[1],
				       class && target ? sep : "", keys[0]);
		if (rand() % 2)
			len += snprintf(buf + len, size - len, "\n");
		*model = next;
		return len;
	}
}

static int io_expect(const char *path, const char *dev, const struct io_setting *m)
{
	char want[128], got[256];
	ssize_t n;

	if (m->class == 0 && m->target == 0)
		want[0] = 0;
	else
		snprintf(want, sizeof(want), "%s class=%s target=%ld\n", dev,
			 io_classes[m->class + 1], m->target);
	n = coloc_read(path, got, sizeof(got) - 1);
	if (n < 0)
		return -1;
	got[n] = 0;
	if (strcmp(want, got)) {
		fprintf(stderr, "# %s: want \"%s\", got \"%s\"\n", path, want, got);
		return -1;
	}
	return 0;
}

/* io.coloc on the boot's null_blk disk: every write is as the model says. */
TEST_F_TIMEOUT(fuzz, io_coloc_lines, 900)
{
	struct io_setting model = { 0, 0 }, before;
	char path[PATH_MAX + 64], dev[32], buf[512];
	struct stat st;
	bool valid;
	int i;

	ASSERT_EQ(0, stat("/dev/nullb0", &st));
	snprintf(dev, sizeof(dev), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	snprintf(path, sizeof(path), "%s/io.coloc", self->cg);
	srand(4242);
	for (i = 0; i < 4 * WRITES_PER_KNOB; i++) {
		size_t len;
		ssize_t ret;

		before = model;
		len = random_io_line(buf, sizeof(buf), dev, &model, &valid);
		ret = coloc_write(path, buf, len);
		if (valid) {
			ASSERT_EQ((ssize_t)len, ret) TH_LOG("refused \"%.*s\"", (int)len, buf);
		} else {
			ASSERT_TRUE(ret == -EINVAL || ret == -ERANGE || ret == -ENODEV)
				TH_LOG("\"%.*s\": %zd", (int)len, buf, ret);
			model = before;
		}
		ASSERT_EQ(0, io_expect(path, dev, &model)) TH_LOG("after \"%.*s\"", (int)len, buf);
	}
}

TEST_HARNESS_MAIN
