// SPDX-License-Identifier: GPL-2.0
/*
 * Delegation and privilege, over every coloc knob of a cgroup.
 *
 * A delegated cgroup (cgroup-v2.rst: its directory, cgroup.procs,
 * cgroup.threads and cgroup.subtree_control owned by an unprivileged
 * user) lets its owner make child cgroups and write their files, but not
 * the interface files of the delegated cgroup itself, which stay root's
 * (EACCES). On the children, the values that raise a CPU class or hand
 * out the kernel's memory reserves need CAP_SYS_NICE or CAP_SYS_ADMIN, as
 * raising a task's priority does: cpu.bvt_warp_ns 1 and 2 and
 * memory.wmark_min_adj below 0 are refused with EPERM, the value kept.
 * Lowering values need nothing, nor do the knobs that only order siblings
 * or cannot go above the parent (memory.priority, memory.use_priority_oom,
 * the watermarks, io.coloc).
 *
 * The privilege counted is that of whoever opened the file, as for
 * cgroup.procs: a file root opened and handed to an unprivileged process
 * lets it raise, and one an unprivileged process opened does not let
 * anyone, root included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define SWITCH "/proc/sys/kernel/sched_group_identity_enabled"
#define BVT "cpu.bvt_warp_ns"
#define MIN_ADJ "memory.wmark_min_adj"
/* The disk the guest makes at boot, for io.coloc. */
#define DISK "/dev/nullb0"

FIXTURE(deleg) {
	char root[PATH_MAX];
	char *top;	/* the test cgroup */
	char *deleg;	/* top/deleg, delegated */
	char *sub, *subsub;	/* what the delegatee makes: deleg/sub, deleg/sub/sub */
	char enable[64];	/* the controllers for deleg's children */
	char io_dev[32];	/* MAJ:MIN for io.coloc, or "" without coloc_io */
	char io_online[64], io_offline[64];	/* io.coloc lines for that disk */
};

/* What root made of the delegated cgroup before handing it over. */
FIXTURE_VARIANT(deleg) {
	const char *bvt, *min_adj;
	/* In force on a child the delegatee lowered to 0 and 0. */
	long class_at_0, min_adj_at_0;
};

/* An online pod's: its children start online, with the reserves. */
FIXTURE_VARIANT_ADD(deleg, online) {
	.bvt = "2", .min_adj = "-25", .class_at_0 = 0, .min_adj_at_0 = 0,
};

/* A best-effort pod's: its children stay offline and throttled, whatever they write. */
FIXTURE_VARIANT_ADD(deleg, offline) {
	.bvt = "-1", .min_adj = "50", .class_at_0 = -1, .min_adj_at_0 = 50,
};

/* True if the cgroup root offers the io controller. */
static bool has_io(const char *root)
{
	char buf[256], *tok, *save;

	if (cg_read(root, "cgroup.controllers", buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, "io"))
			return true;
	return false;
}

FIXTURE_SETUP(deleg)
{
	struct stat st;

	ASSERT_EQ(0, coloc_write_str(SWITCH, "1"));
	ASSERT_EQ(0, coloc_load("coloc_cpu"));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	snprintf(self->enable, sizeof(self->enable), "+cpu +memory");
	self->io_dev[0] = '\0';
	ASSERT_EQ(0, cg_find_unified_root(self->root, sizeof(self->root), NULL));
	if (has_io(self->root) && !stat(DISK, &st) && S_ISBLK(st.st_mode) &&
	    !coloc_load("coloc_io")) {
		snprintf(self->io_dev, sizeof(self->io_dev), "%u:%u",
			 major(st.st_rdev), minor(st.st_rdev));
		snprintf(self->io_online, sizeof(self->io_online), "%s class=online target=100",
			 self->io_dev);
		snprintf(self->io_offline, sizeof(self->io_offline), "%s class=offline target=0",
			 self->io_dev);
		strcat(self->enable, " +io");
	} else {
		TH_LOG("no io controller, %s or coloc_io: io.coloc not tried", DISK);
	}
	self->top = coloc_cg_fresh_ctrl(self->root, sizeof(self->root), "coloc_deleg_test",
					self->io_dev[0] ? "cpu memory io" : "cpu memory");
	ASSERT_NE(NULL, self->top);
	self->deleg = cg_name(self->top, "deleg");
	self->sub = cg_name(self->deleg, "sub");
	self->subsub = cg_name(self->sub, "sub");
	ASSERT_EQ(0, cg_create(self->deleg));
	ASSERT_EQ(0, cg_write(self->deleg, BVT, (char *)variant->bvt));
	ASSERT_EQ(0, cg_write(self->deleg, MIN_ADJ, (char *)variant->min_adj));
	ASSERT_EQ(0, coloc_cg_delegate(self->deleg));
}

FIXTURE_TEARDOWN(deleg)
{
	coloc_cg_remove_tree(self->top);
	free(self->subsub);
	free(self->sub);
	free(self->deleg);
	free(self->top);
	if (self->io_dev[0])
		coloc_unload("coloc_io");
	coloc_unload("coloc_mem");
	coloc_unload("coloc_cpu");
}

/* A write to try, and how it must end: 0, or the error. */
struct write_try {
	const char *file, *value;
	int err;
};

/*
 * Writes @t to cgroup @cg: it must end as @t says and leave the file
 * reading the value written, or, refused, what it read before. Returns
 * 0, or -1 after saying what went wrong.
 */
static int try_write(const char *cg, const struct write_try *t)
{
	char path[PATH_MAX], before[256], after[256], want[256];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cg, t->file);
	if (coloc_read(path, before, sizeof(before)) < 0) {
		fprintf(stderr, "# cannot read %s\n", path);
		return -1;
	}
	ret = coloc_write_str(path, t->value);
	if (ret != t->err) {
		fprintf(stderr, "# %s: writing \"%s\" gave %d, not %d\n",
			path, t->value, ret, t->err);
		return -1;
	}
	snprintf(want, sizeof(want), "%s\n", t->value);
	if (coloc_read(path, after, sizeof(after)) < 0 || strcmp(after, t->err ? before : want)) {
		fprintf(stderr, "# %s: reads \"%s\" after \"%s\" (%d), before \"%s\"\n",
			path, after, t->value, ret, before);
		return -1;
	}
	return 0;
}

struct delegatee_arg {
	FIXTURE_DATA(deleg) *self;
	const FIXTURE_VARIANT(deleg) *variant;
};

/* Every knob on the delegated cgroup itself: all root's files. */
static int write_own_cgroup(void *arg)
{
	FIXTURE_DATA(deleg) *self = ((struct delegatee_arg *)arg)->self;
	const struct write_try tries[] = {
		{ BVT, "2", -EACCES },
		{ BVT, "0", -EACCES },
		{ BVT, "-1", -EACCES },
		{ MIN_ADJ, "-25", -EACCES },
		{ MIN_ADJ, "0", -EACCES },
		{ MIN_ADJ, "50", -EACCES },
		{ "memory.priority", "12", -EACCES },
		{ "memory.use_priority_oom", "1", -EACCES },
		{ "memory.wmark_ratio", "95", -EACCES },
		{ "memory.wmark_scale_factor", "20", -EACCES },
		{ "io.coloc", self->io_online, -EACCES },
	};
	size_t i, n = sizeof(tries) / sizeof(tries[0]);
	int bad = 0;

	/* The last is io.coloc. */
	if (!self->io_dev[0])
		n--;
	for (i = 0; i < n; i++)
		bad += !!try_write(self->deleg, &tries[i]);
	return bad;
}

/*
 * The owner of a delegated cgroup cannot write any coloc knob of that
 * cgroup, whatever the value: the files are root's.
 */
TEST_F(deleg, delegatee_cannot_write_its_own_cgroup)
{
	struct delegatee_arg arg = { self, variant };
	char want[16];

	EXPECT_EQ(0, coloc_run_unprivileged(write_own_cgroup, &arg))
		TH_LOG("the number of writes that did not fail with EACCES");
	snprintf(want, sizeof(want), "%s\n", variant->bvt);
	EXPECT_EQ(0, cg_read_strcmp(self->deleg, BVT, want));
	snprintf(want, sizeof(want), "%s\n", variant->min_adj);
	EXPECT_EQ(0, cg_read_strcmp(self->deleg, MIN_ADJ, want));
	EXPECT_EQ(atol(variant->bvt), coloc_cpu_class(self->deleg));
	EXPECT_EQ(atol(variant->min_adj), coloc_min_adj_effective(self->deleg));
}

/* Makes deleg/sub and deleg/sub/sub with the controllers on: 0 or a step number. */
static int make_children(FIXTURE_DATA(deleg) *self)
{
	if (cg_write(self->deleg, "cgroup.subtree_control", self->enable))
		return 1;
	if (cg_create(self->sub) || cg_write(self->sub, "cgroup.subtree_control", self->enable))
		return 2;
	if (cg_create(self->subsub))
		return 3;
	return 0;
}

static int write_children(void *arg)
{
	FIXTURE_DATA(deleg) *self = ((struct delegatee_arg *)arg)->self;
	const FIXTURE_VARIANT(deleg) *variant = ((struct delegatee_arg *)arg)->variant;
	const struct write_try tries[] = {
		/* Raising a class needs CAP_SYS_NICE, even to the value it has. */
		{ BVT, "2", -EPERM },
		{ BVT, "1", -EPERM },
		{ BVT, "0", 0 },
		{ BVT, "2", -EPERM },
		{ BVT, "-1", 0 },
		{ BVT, "1", -EPERM },
		{ BVT, "0", 0 },
		/* So do the reserves below the min watermark; throttling does not. */
		{ MIN_ADJ, "-25", -EPERM },
		{ MIN_ADJ, "-1", -EPERM },
		{ MIN_ADJ, "50", 0 },
		{ MIN_ADJ, "-25", -EPERM },
		{ MIN_ADJ, "25", 0 },
		{ MIN_ADJ, "0", 0 },
		{ MIN_ADJ, "-1", -EPERM },
		/* The rest order siblings or act within the subtree only. */
		{ "memory.priority", "12", 0 },
		{ "memory.priority", "3", 0 },
		{ "memory.use_priority_oom", "1", 0 },
		{ "memory.wmark_ratio", "95", 0 },
		{ "memory.wmark_scale_factor", "20", 0 },
		{ "memory.wmark_scale_factor", "1000", 0 },
		/* Its class in force is the lowest on the path: online is harmless. */
		{ "io.coloc", self->io_online, 0 },
		{ "io.coloc", self->io_offline, 0 },
	};
	/* The grandchild follows the child, and is no easier to raise. */
	const struct write_try grandchild_tries[] = {
		{ BVT, "2", -EPERM },
		{ MIN_ADJ, "-25", -EPERM },
		{ BVT, "-1", 0 },
		{ MIN_ADJ, "50", 0 },
	};
	char want[16];
	size_t i, n = sizeof(tries) / sizeof(tries[0]);
	int ret;

	ret = make_children(self);
	if (ret)
		return 100 + ret;
	/* The children start with what root gave the delegated cgroup. */
	snprintf(want, sizeof(want), "%s\n", variant->bvt);
	if (cg_read_strcmp(self->subsub, BVT, want))
		return 110;
	snprintf(want, sizeof(want), "%s\n", variant->min_adj);
	if (cg_read_strcmp(self->subsub, MIN_ADJ, want))
		return 111;
	/* The last two are io.coloc. */
	if (!self->io_dev[0])
		n -= 2;
	for (i = 0; i < n; i++)
		if (try_write(self->sub, &tries[i]))
			return 1 + i;
	/* Never written, the grandchild has its parent's values. */
	if (cg_read_strcmp(self->subsub, BVT, "0\n") ||
	    cg_read_strcmp(self->subsub, MIN_ADJ, "0\n"))
		return 120;
	for (i = 0; i < sizeof(grandchild_tries) / sizeof(grandchild_tries[0]); i++)
		if (try_write(self->subsub, &grandchild_tries[i]))
			return 50 + i;
	return 0;
}

/*
 * The owner of a delegated cgroup writes every knob of the children it
 * makes, except a value that raises: cpu.bvt_warp_ns 1 and 2 and a
 * negative memory.wmark_min_adj are refused with EPERM and the child
 * keeps its value. What it lowers is in force, bounded by the delegated
 * cgroup: a child of an offline cgroup stays offline and throttled.
 */
TEST_F(deleg, delegatee_lowers_but_cannot_raise_its_children)
{
	struct delegatee_arg arg = { self, variant };

	EXPECT_EQ(0, coloc_run_unprivileged(write_children, &arg))
		TH_LOG("the step of write_children() that failed, or 100 and up at setup");
	EXPECT_EQ(variant->class_at_0, coloc_cpu_class(self->sub));
	EXPECT_EQ(variant->min_adj_at_0, coloc_min_adj_effective(self->sub));
	EXPECT_EQ(-1, coloc_cpu_class(self->subsub));
	EXPECT_EQ(50, coloc_min_adj_effective(self->subsub));
	/* The offline grandchild is the top of its subtree only below an online child. */
	EXPECT_EQ(variant->class_at_0 == -1 ? 0 : 1, coloc_cpu_offline(self->subsub));
}

static int make_children_unprivileged(void *arg)
{
	return make_children(arg);
}

/* The fds the unprivileged writer gets, opened by root. */
struct fds {
	int bvt, min_adj;
	const char *bvt_path;
};

static int write_fds(void *arg)
{
	struct fds *f = arg;

	/* It could not open the file itself. */
	if (open(f->bvt_path, O_WRONLY) >= 0 || errno != EACCES)
		return 1;
	if (write(f->bvt, "2", 1) != 1)
		return 2;
	if (write(f->min_adj, "-25", 3) != 3)
		return 3;
	return 0;
}

/*
 * A file root opened lets an unprivileged process that has it raise the
 * value: the opener's credentials count, not the writer's.
 */
TEST_F(deleg, file_opened_by_root_lets_an_unprivileged_writer_raise)
{
	char *pod = cg_name(self->top, "pod"), bvt_path[PATH_MAX], path[PATH_MAX];
	struct fds f = { .bvt_path = bvt_path };

	ASSERT_EQ(0, cg_create(pod));
	snprintf(bvt_path, sizeof(bvt_path), "%s/%s", pod, BVT);
	snprintf(path, sizeof(path), "%s/%s", pod, MIN_ADJ);
	f.bvt = open(bvt_path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, f.bvt);
	f.min_adj = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, f.min_adj);
	EXPECT_EQ(0, coloc_run_unprivileged(write_fds, &f));
	close(f.bvt);
	close(f.min_adj);
	EXPECT_EQ(0, cg_read_strcmp(pod, BVT, "2\n"));
	EXPECT_EQ(2, coloc_cpu_class(pod));
	EXPECT_EQ(0, cg_read_strcmp(pod, MIN_ADJ, "-25\n"));
	EXPECT_EQ(-25, coloc_min_adj_effective(pod));
	free(pod);
}

/*
 * A file an unprivileged process opened does not let root raise the value
 * through it: handed to root, a write of 2 or -25 is refused and the
 * value kept, while lowering through it works, and root's own open works.
 */
TEST_F(deleg, file_opened_unprivileged_does_not_let_root_raise)
{
	char bvt_path[PATH_MAX], min_adj_path[PATH_MAX], want[16];
	int bvt, min_adj;

	ASSERT_EQ(0, coloc_run_unprivileged(make_children_unprivileged, self));
	snprintf(bvt_path, sizeof(bvt_path), "%s/%s", self->sub, BVT);
	snprintf(min_adj_path, sizeof(min_adj_path), "%s/%s", self->sub, MIN_ADJ);
	bvt = coloc_open_unprivileged(bvt_path, O_WRONLY);
	ASSERT_LE(0, bvt) TH_LOG("open %s: %s", bvt_path, strerror(-bvt));
	min_adj = coloc_open_unprivileged(min_adj_path, O_WRONLY);
	ASSERT_LE(0, min_adj) TH_LOG("open %s: %s", min_adj_path, strerror(-min_adj));

	EXPECT_EQ(-1, write(bvt, "2", 1));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, write(bvt, "1", 1));
	EXPECT_EQ(EPERM, errno);
	snprintf(want, sizeof(want), "%s\n", variant->bvt);
	EXPECT_EQ(0, cg_read_strcmp(self->sub, BVT, want));
	EXPECT_EQ(-1, write(min_adj, "-25", 3));
	EXPECT_EQ(EPERM, errno);
	snprintf(want, sizeof(want), "%s\n", variant->min_adj);
	EXPECT_EQ(0, cg_read_strcmp(self->sub, MIN_ADJ, want));

	EXPECT_EQ(1, write(bvt, "0", 1));
	EXPECT_EQ(0, cg_read_strcmp(self->sub, BVT, "0\n"));
	EXPECT_EQ(2, write(min_adj, "10", 2));
	EXPECT_EQ(0, cg_read_strcmp(self->sub, MIN_ADJ, "10\n"));
	close(bvt);
	close(min_adj);

	EXPECT_EQ(0, cg_write(self->sub, BVT, "2"));
	EXPECT_EQ(0, cg_read_strcmp(self->sub, BVT, "2\n"));
	EXPECT_EQ(0, cg_write(self->sub, MIN_ADJ, "-25"));
	EXPECT_EQ(0, cg_read_strcmp(self->sub, MIN_ADJ, "-25\n"));
}

TEST_HARNESS_MAIN
