// SPDX-License-Identifier: GPL-2.0
/*
 * A node replayed: the cgroups kubelet makes on cgroup v2, the writes
 * koordlet makes to them, in koordlet's order and with its default
 * values, and the writes kubelet keeps making meanwhile.
 *
 * kubelet makes kubepods, kubepods/burstable and kubepods/besteffort,
 * then a cgroup per pod (a Guaranteed pod directly in kubepods) and one
 * per container, the pod's sandbox ("pause") included. koordlet then sets
 * kernel.sched_group_identity_enabled=1, cpu.bvt_warp_ns on the QoS-level
 * cgroups (kubepods 0, burstable 2, besteffort -1), then on every pod and
 * container it knows (LS 2, BE -1), and its memory QoS: memory.priority
 * and memory.use_priority_oom on the QoS-level cgroups, memory.wmark_ratio
 * 95, memory.wmark_scale_factor 20 and memory.wmark_min_adj (LS -25, BE
 * +50) on every pod and container. It never writes the sandbox: the
 * sandbox is not among a pod's container statuses. kubelet keeps writing
 * cpu.weight, cpu.max and memory.max, and one refused write stops its QoS
 * manager (Koordinator issue #2732).
 *
 * What must come out: Guaranteed and burstable pods online (class 2)
 * under a kubepods at 0, best-effort pods offline through besteffort,
 * which alone is SCHED_IDLE; -25 in force for online pods and +50 for
 * best-effort ones, with nothing written above the pods; and each
 * container, written or not, in its pod's class. The sources are in the
 * project's reference notes (anchors.md, "How koordlet writes a node").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define SWITCH "/proc/sys/kernel/sched_group_identity_enabled"
#define BVT "cpu.bvt_warp_ns"
#define MIN_ADJ "memory.wmark_min_adj"

/* The pods of the node: where kubelet puts them and their QoS. */
static const struct {
	const char *qos;	/* the QoS-level cgroup, below the test cgroup */
	const char *name;
	bool be;		/* BestEffort: offline for koordlet */
} pods[] = {
	{ "kubepods", "pod-guaranteed", false },
	{ "kubepods/burstable", "pod-burstable1", false },
	{ "kubepods/burstable", "pod-burstable2", false },
	{ "kubepods/besteffort", "pod-besteffort1", true },
	{ "kubepods/besteffort", "pod-besteffort2", true },
};

#define NR_PODS (sizeof(pods) / sizeof(pods[0]))
#define MAX_EXTRA 16

FIXTURE(node) {
	char root[PATH_MAX];
	char *top;	/* the test cgroup, standing for the cgroup root */
	char *kubepods, *burstable, *besteffort;
	/* Each pod, its sandbox and its container; NULL once deleted. */
	char *pod[NR_PODS], *pause[NR_PODS], *app[NR_PODS];
	/* The pod's QoS-level cgroup and QoS now, as kubelet made it. */
	const char *qos[NR_PODS];
	bool be[NR_PODS];
	char *extra[MAX_EXTRA];	/* cgroup names a test made, freed at teardown */
	int nr_extra;
};

/* A cgroup kubelet makes, with cpu and memory for its children if @parent. */
static char *kubelet_mkdir(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self,
			   const char *name, bool parent)
{
	char *cg = cg_name(self->top, name);

	ASSERT_EQ(0, cg_create(cg)) TH_LOG("mkdir %s", name);
	if (parent)
		ASSERT_EQ(0, cg_write(cg, "cgroup.subtree_control", "+cpu +memory"));
	return cg;
}

/* kubelet makes pod @i under its QoS-level cgroup, its sandbox and its container. */
static void kubelet_pod(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self,
			size_t i, const char *qos, bool be)
{
	char name[PATH_MAX];

	snprintf(name, sizeof(name), "%s/%s", qos, pods[i].name);
	self->pod[i] = kubelet_mkdir(_metadata, self, name, true);
	snprintf(name, sizeof(name), "%s/%s/pause", qos, pods[i].name);
	self->pause[i] = kubelet_mkdir(_metadata, self, name, false);
	snprintf(name, sizeof(name), "%s/%s/app", qos, pods[i].name);
	self->app[i] = kubelet_mkdir(_metadata, self, name, false);
	self->qos[i] = qos;
	self->be[i] = be;
}

FIXTURE_SETUP(node)
{
	size_t i;

	/* Off until koordlet turns it on, which is its first write. */
	ASSERT_EQ(0, coloc_write_str(SWITCH, "0"));
	ASSERT_EQ(0, coloc_load("coloc_cpu"));
	ASSERT_EQ(0, coloc_load("coloc_mem"));
	self->top = coloc_cg_fresh_ctrl(self->root, sizeof(self->root), "coloc_node_test",
					"cpu memory");
	ASSERT_NE(NULL, self->top);
	self->kubepods = kubelet_mkdir(_metadata, self, "kubepods", true);
	self->burstable = kubelet_mkdir(_metadata, self, "kubepods/burstable", true);
	self->besteffort = kubelet_mkdir(_metadata, self, "kubepods/besteffort", true);
	for (i = 0; i < NR_PODS; i++)
		kubelet_pod(_metadata, self, i, pods[i].qos, pods[i].be);
}

FIXTURE_TEARDOWN(node)
{
	size_t i;

	coloc_cg_remove_tree(self->top);
	for (i = 0; i < NR_PODS; i++) {
		free(self->pod[i]);
		free(self->pause[i]);
		free(self->app[i]);
	}
	for (i = 0; i < (size_t)self->nr_extra; i++)
		free(self->extra[i]);
	free(self->kubepods);
	free(self->burstable);
	free(self->besteffort);
	free(self->top);
	coloc_unload("coloc_mem");
	coloc_unload("coloc_cpu");
	coloc_write_str(SWITCH, "1");
}

/* A cgroup a test makes below the test cgroup, without writing anything to it. */
static char *add_cg(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self,
		    const char *name)
{
	char *cg = cg_name(self->top, name);

	ASSERT_LT(self->nr_extra, MAX_EXTRA);
	self->extra[self->nr_extra++] = cg;
	ASSERT_EQ(0, cg_create(cg)) TH_LOG("mkdir %s", name);
	return cg;
}

/* Writes @value to @file of @cg as koordlet or kubelet does: it must succeed. */
static void must_write(struct __test_metadata *_metadata, const char *cg, const char *file,
		       const char *value)
{
	ASSERT_EQ(0, cg_write(cg, file, (char *)value)) TH_LOG("%s %s on %s", file, value, cg);
}

/* koordlet's cpu.bvt_warp_ns for a pod or container of the QoS given. */
static void koordlet_cpu(struct __test_metadata *_metadata, const char *cg, bool be)
{
	must_write(_metadata, cg, BVT, be ? "-1" : "2");
}

/* koordlet's memory QoS for a pod or container, its defaults for the QoS given. */
static void koordlet_mem(struct __test_metadata *_metadata, const char *cg, bool be)
{
	must_write(_metadata, cg, "memory.wmark_ratio", "95");
	must_write(_metadata, cg, "memory.wmark_scale_factor", "20");
	must_write(_metadata, cg, MIN_ADJ, be ? "50" : "-25");
}

/* koordlet's writes for pod @i and its container (not the sandbox). */
static void koordlet_pod(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self, size_t i)
{
	koordlet_cpu(_metadata, self->pod[i], self->be[i]);
	koordlet_cpu(_metadata, self->app[i], self->be[i]);
	koordlet_mem(_metadata, self->pod[i], self->be[i]);
	koordlet_mem(_metadata, self->app[i], self->be[i]);
}

/*
 * Everything koordlet writes on a node, in its order. It first decides
 * whether the kernel is "Anolis-like" from the files it finds, as it does
 * once at start.
 */
static void koordlet(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self)
{
	char path[PATH_MAX];
	size_t i;

	snprintf(path, sizeof(path), "%s/memory.wmark_ratio", self->top);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("koordlet would not see memory QoS");
	snprintf(path, sizeof(path), "%s/%s", self->kubepods, BVT);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("koordlet would not see group identity");

	ASSERT_EQ(0, coloc_write_str(SWITCH, "1"));
	must_write(_metadata, self->kubepods, BVT, "0");
	must_write(_metadata, self->burstable, BVT, "2");
	must_write(_metadata, self->besteffort, BVT, "-1");
	for (i = 0; i < NR_PODS; i++) {
		if (!self->pod[i])
			continue;
		koordlet_cpu(_metadata, self->pod[i], self->be[i]);
		koordlet_cpu(_metadata, self->app[i], self->be[i]);
	}
	/* Its memory QoS defaults: priority OOM off, the same for both levels. */
	must_write(_metadata, self->burstable, "memory.priority", "0");
	must_write(_metadata, self->burstable, "memory.use_priority_oom", "0");
	must_write(_metadata, self->burstable, "memory.oom.group", "0");
	must_write(_metadata, self->besteffort, "memory.priority", "0");
	must_write(_metadata, self->besteffort, "memory.use_priority_oom", "0");
	must_write(_metadata, self->besteffort, "memory.oom.group", "0");
	for (i = 0; i < NR_PODS; i++) {
		if (!self->pod[i])
			continue;
		koordlet_mem(_metadata, self->pod[i], self->be[i]);
		koordlet_mem(_metadata, self->app[i], self->be[i]);
	}
}

/* What one cgroup of the node must show. */
struct want {
	long bvt;	/* cpu.bvt_warp_ns: its own value */
	long class;	/* cpu.coloc_stat class: in force */
	long offline;	/* cpu.coloc_stat offline: SCHED_IDLE, the top of an offline subtree */
	long min_adj;	/* memory.wmark_min_adj: its own value */
	long min_adj_in_force;	/* memory.exstat wmark_min_adj_effective */
};

static const struct want NORMAL = { 0, 0, 0, 0, 0 };
static const struct want LS_QOS = { 2, 2, 0, 0, 0 };
static const struct want BE_QOS = { -1, -1, 1, 0, 0 };
static const struct want LS = { 2, 2, 0, -25, -25 };
static const struct want BE = { -1, -1, 0, 50, 50 };

static long read_long(const char *cg, const char *file)
{
	char path[PATH_MAX];
	long v;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return coloc_read_long(path, &v) ? COLOC_MISSING : v;
}

/* Checks @cg against @w; its name below the test cgroup in the messages. */
static void expect_cg(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self,
		      const char *cg, const struct want *w)
{
	const char *name = cg[strlen(self->top)] ? cg + strlen(self->top) + 1 : "test cgroup";

	EXPECT_EQ(w->bvt, read_long(cg, BVT)) TH_LOG("%s: %s", name, BVT);
	EXPECT_EQ(w->class, coloc_cpu_class(cg)) TH_LOG("%s: class in force", name);
	EXPECT_EQ(w->offline, coloc_cpu_offline(cg)) TH_LOG("%s: offline", name);
	EXPECT_EQ(w->min_adj, read_long(cg, MIN_ADJ)) TH_LOG("%s: %s", name, MIN_ADJ);
	EXPECT_EQ(w->min_adj_in_force, coloc_min_adj_effective(cg))
		TH_LOG("%s: wmark_min_adj_effective", name);
}

/* Checks pod @i, its sandbox and its container against @w. */
static void expect_pod(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self, size_t i,
		       const struct want *w)
{
	expect_cg(_metadata, self, self->pod[i], w);
	expect_cg(_metadata, self, self->pause[i], w);
	expect_cg(_metadata, self, self->app[i], w);
}

/* Checks the whole node as koordlet leaves it. */
static void expect_node(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self)
{
	size_t i;

	expect_cg(_metadata, self, self->top, &NORMAL);
	expect_cg(_metadata, self, self->kubepods, &NORMAL);
	expect_cg(_metadata, self, self->burstable, &LS_QOS);
	expect_cg(_metadata, self, self->besteffort, &BE_QOS);
	for (i = 0; i < NR_PODS; i++)
		if (self->pod[i])
			expect_pod(_metadata, self, i, self->be[i] ? &BE : &LS);
}

/* Guaranteed and burstable pods are online: each cgroup's own value counts. */
TEST_F(node, koordlet_writes_put_ls_pods_online)
{
	size_t i;

	koordlet(_metadata, self);
	expect_cg(_metadata, self, self->kubepods, &NORMAL);
	expect_cg(_metadata, self, self->burstable, &LS_QOS);
	for (i = 0; i < NR_PODS; i++) {
		if (self->be[i])
			continue;
		/* The sandbox, never written, too. */
		expect_pod(_metadata, self, i, &LS);
	}
}

/* Best-effort pods are offline through besteffort, the one SCHED_IDLE group. */
TEST_F(node, koordlet_writes_put_be_pods_offline)
{
	size_t i;

	koordlet(_metadata, self);
	expect_cg(_metadata, self, self->besteffort, &BE_QOS);
	for (i = 0; i < NR_PODS; i++)
		if (self->be[i])
			expect_pod(_metadata, self, i, &BE);
}

/*
 * The memory QoS is in force at every level: -25 on online pods and +50
 * on best-effort ones although nothing is written above the pods, and the
 * watermarks read back.
 */
TEST_F(node, koordlet_memory_qos_is_in_force_at_every_level)
{
	size_t i;

	koordlet(_metadata, self);
	expect_node(_metadata, self);
	for (i = 0; i < NR_PODS; i++) {
		EXPECT_EQ(95, read_long(self->app[i], "memory.wmark_ratio"));
		EXPECT_EQ(20, read_long(self->app[i], "memory.wmark_scale_factor"));
	}
}

/*
 * Before koordlet turns group identity on, and whenever it is off or the
 * module is unloaded, every class is 0; the values written are kept and
 * back in force after.
 */
TEST_F(node, classes_are_normal_while_identity_is_off)
{
	size_t i;

	for (i = 0; i < NR_PODS; i++)
		EXPECT_EQ(0, coloc_cpu_class(self->app[i]));
	koordlet(_metadata, self);
	ASSERT_EQ(0, coloc_write_str(SWITCH, "0"));
	for (i = 0; i < NR_PODS; i++) {
		EXPECT_EQ(0, coloc_cpu_class(self->pod[i]));
		EXPECT_EQ(0, coloc_cpu_class(self->pause[i]));
		EXPECT_EQ(0, coloc_cpu_offline(self->pod[i]));
		EXPECT_EQ(self->be[i] ? -1 : 2, read_long(self->pause[i], BVT));
	}
	EXPECT_EQ(0, coloc_cpu_offline(self->besteffort));
	ASSERT_EQ(0, coloc_write_str(SWITCH, "1"));
	expect_node(_metadata, self);
	ASSERT_EQ(0, coloc_unload("coloc_cpu"));
	ASSERT_EQ(0, coloc_load("coloc_cpu"));
	expect_node(_metadata, self);
}

/*
 * A container created after its pod was written is in the pod's class,
 * and has its wmark_min_adj in force, from the start: its first tasks run
 * as the pod's before koordlet gets to it, and the sandbox never gets a
 * write at all.
 */
TEST_F(node, new_container_gets_its_pods_class)
{
	char name[PATH_MAX], *late;
	size_t i;

	koordlet(_metadata, self);
	for (i = 0; i < NR_PODS; i++) {
		snprintf(name, sizeof(name), "%s/%s/late", pods[i].qos, pods[i].name);
		late = add_cg(_metadata, self, name);
		expect_cg(_metadata, self, late, pods[i].be ? &BE : &LS);
	}
}

/*
 * A pod created under a QoS-level cgroup koordlet wrote is in that
 * cgroup's class from the start, and so is its container: a best-effort
 * pod never runs as normal work, even before koordlet writes it. Then
 * koordlet's writes make it like the others.
 */
TEST_F(node, new_pod_gets_its_qos_levels_class)
{
	static const struct want new_ls = { 2, 2, 0, 0, 0 }, new_be = { -1, -1, 0, 0, 0 };
	char *ls, *ls_app, *be, *be_app;

	koordlet(_metadata, self);
	ls = add_cg(_metadata, self, "kubepods/burstable/pod-new");
	must_write(_metadata, ls, "cgroup.subtree_control", "+cpu +memory");
	ls_app = add_cg(_metadata, self, "kubepods/burstable/pod-new/app");
	be = add_cg(_metadata, self, "kubepods/besteffort/pod-new");
	must_write(_metadata, be, "cgroup.subtree_control", "+cpu +memory");
	be_app = add_cg(_metadata, self, "kubepods/besteffort/pod-new/app");
	/* koordlet writes no wmark_min_adj on the QoS-level cgroups: 0 until it writes the pod. */
	expect_cg(_metadata, self, ls, &new_ls);
	expect_cg(_metadata, self, ls_app, &new_ls);
	expect_cg(_metadata, self, be, &new_be);
	expect_cg(_metadata, self, be_app, &new_be);

	koordlet_cpu(_metadata, ls, false);
	koordlet_mem(_metadata, ls, false);
	koordlet_cpu(_metadata, be, true);
	koordlet_mem(_metadata, be, true);
	expect_cg(_metadata, self, ls_app, &LS);
	expect_cg(_metadata, self, be_app, &BE);
	koordlet_cpu(_metadata, ls_app, false);
	koordlet_mem(_metadata, ls_app, false);
	koordlet_cpu(_metadata, be_app, true);
	koordlet_mem(_metadata, be_app, true);
	expect_cg(_metadata, self, ls, &LS);
	expect_cg(_metadata, self, ls_app, &LS);
	expect_cg(_metadata, self, be, &BE);
	expect_cg(_metadata, self, be_app, &BE);
	expect_node(_metadata, self);
}

/* kubelet deletes pod @i: its containers, then the pod; every rmdir works. */
static void kubelet_delete_pod(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self,
			       size_t i)
{
	ASSERT_EQ(0, rmdir(self->app[i])) TH_LOG("rmdir %s: %s", self->app[i], strerror(errno));
	ASSERT_EQ(0, rmdir(self->pause[i])) TH_LOG("rmdir %s: %s", self->pause[i], strerror(errno));
	ASSERT_EQ(0, rmdir(self->pod[i])) TH_LOG("rmdir %s: %s", self->pod[i], strerror(errno));
	free(self->app[i]);
	free(self->pause[i]);
	free(self->pod[i]);
	self->app[i] = NULL;
	self->pause[i] = NULL;
	self->pod[i] = NULL;
}

/* Deleting pods, online and offline, leaves every other cgroup as it was. */
TEST_F(node, deleted_pod_leaves_siblings_unchanged)
{
	koordlet(_metadata, self);
	kubelet_delete_pod(_metadata, self, 1);
	expect_node(_metadata, self);
	kubelet_delete_pod(_metadata, self, 3);
	expect_node(_metadata, self);
	kubelet_delete_pod(_metadata, self, 0);
	expect_node(_metadata, self);
}

/*
 * A pod "moved between QoS levels" is deleted and made again under the
 * other one (a pod's QoS class cannot change in place). Made again, it is
 * in its new QoS level's class before koordlet writes it, and like its
 * new siblings after.
 */
TEST_F(node, pod_recreated_under_the_other_qos_level)
{
	koordlet(_metadata, self);
	kubelet_delete_pod(_metadata, self, 2);
	kubelet_pod(_metadata, self, 2, "kubepods/besteffort", true);
	kubelet_delete_pod(_metadata, self, 4);
	kubelet_pod(_metadata, self, 4, "kubepods/burstable", false);
	EXPECT_EQ(-1, coloc_cpu_class(self->app[2]));
	EXPECT_EQ(0, coloc_cpu_offline(self->pod[2]));
	EXPECT_EQ(2, coloc_cpu_class(self->app[4]));
	EXPECT_EQ(0, coloc_cpu_offline(self->pod[4]));
	koordlet_pod(_metadata, self, 2);
	koordlet_pod(_metadata, self, 4);
	expect_node(_metadata, self);
}

/*
 * koordlet rewrites an existing pod from LS to BE and back (its QoS label
 * changed), the pod first and its container after. Whatever was never
 * written follows the pod at once (the sandbox); the container follows
 * through its pod while the pod is offline and has its own value in force
 * once the pod is not. The pod, below burstable at 2, is the top of its
 * offline subtree and so the one SCHED_IDLE group in it.
 */
TEST_F(node, koordlet_moves_a_pod_between_ls_and_be)
{
	static const struct want be_top = { -1, -1, 1, 50, 50 };
	static const struct want app_under_be = { 2, -1, 0, -25, 50 };
	static const struct want app_under_ls = { -1, -1, 1, 50, 50 };
	const size_t i = 1;

	koordlet(_metadata, self);
	must_write(_metadata, self->pod[i], BVT, "-1");
	must_write(_metadata, self->pod[i], MIN_ADJ, "50");
	expect_cg(_metadata, self, self->pod[i], &be_top);
	expect_cg(_metadata, self, self->pause[i], &BE);
	expect_cg(_metadata, self, self->app[i], &app_under_be);
	koordlet_cpu(_metadata, self->app[i], true);
	koordlet_mem(_metadata, self->app[i], true);
	expect_cg(_metadata, self, self->app[i], &BE);

	must_write(_metadata, self->pod[i], BVT, "2");
	must_write(_metadata, self->pod[i], MIN_ADJ, "-25");
	expect_cg(_metadata, self, self->pod[i], &LS);
	expect_cg(_metadata, self, self->pause[i], &LS);
	/*
	 * Its -1 and 50 are its own until koordlet gets to it, and it is
	 * now the top of an offline subtree.
	 */
	expect_cg(_metadata, self, self->app[i], &app_under_ls);
	koordlet_cpu(_metadata, self->app[i], false);
	koordlet_mem(_metadata, self->app[i], false);
	expect_node(_metadata, self);
}

/* What kubelet writes, and what the file reads afterwards. */
struct kubelet_write {
	const char *file, *value, *reads;
};

/* kubelet's write of @w on @cg: it succeeds and reads back. */
static void kubelet_write(struct __test_metadata *_metadata, const char *cg,
			  const struct kubelet_write *w)
{
	must_write(_metadata, cg, w->file, w->value);
	EXPECT_EQ(0, cg_read_strcmp(cg, w->file, w->reads))
		TH_LOG("%s: %s %s does not read back", cg, w->file, w->value);
}

#define NR_WRITES(a) (sizeof(a) / sizeof((a)[0]))

/* kubepods: the node's allocatable CPU and memory. */
static const struct kubelet_write kubepods_writes[] = {
	{ "cpu.weight", "157", "157\n" },
	{ "cpu.max", "max 100000", "max 100000\n" },
	{ "memory.max", "8589934592", "8589934592\n" },
};

/* burstable: the sum of its pods' requests. */
static const struct kubelet_write burstable_writes[] = {
	{ "cpu.weight", "40", "40\n" },
	{ "cpu.max", "max 100000", "max 100000\n" },
	{ "memory.max", "max", "max\n" },
};

/*
 * besteffort: cpu.shares 2, that is weight 1, here also as a nice value,
 * and cpu.idle as a kubelet that manages it writes it; offline through
 * koordlet all the while.
 */
static const struct kubelet_write besteffort_writes[] = {
	{ "cpu.weight.nice", "19", "19\n" },
	{ "cpu.idle", "0", "0\n" },
	{ "cpu.max", "max 100000", "max 100000\n" },
	{ "cpu.weight", "1", "1\n" },
};

/* Pods and their containers: their requests and limits. */
static const struct kubelet_write guaranteed_pod_writes[] = {
	{ "cpu.weight", "79", "79\n" },
	{ "cpu.max", "200000 100000", "200000 100000\n" },
	{ "memory.max", "268435456", "268435456\n" },
};

static const struct kubelet_write burstable_pod_writes[] = {
	{ "cpu.weight", "10", "10\n" },
	{ "cpu.max", "max 100000", "max 100000\n" },
	{ "memory.max", "max", "max\n" },
};

static const struct kubelet_write besteffort_pod_writes[] = {
	{ "cpu.weight", "1", "1\n" },
	{ "cpu.max", "max 100000", "max 100000\n" },
	{ "memory.max", "max", "max\n" },
};

/* One round of kubelet's periodic writes on every cgroup it manages. */
static void kubelet_writes(struct __test_metadata *_metadata, FIXTURE_DATA(node) *self)
{
	const struct kubelet_write *pw;
	size_t i, j;

	for (j = 0; j < NR_WRITES(kubepods_writes); j++)
		kubelet_write(_metadata, self->kubepods, &kubepods_writes[j]);
	for (j = 0; j < NR_WRITES(burstable_writes); j++)
		kubelet_write(_metadata, self->burstable, &burstable_writes[j]);
	for (j = 0; j < NR_WRITES(besteffort_writes); j++)
		kubelet_write(_metadata, self->besteffort, &besteffort_writes[j]);
	for (i = 0; i < NR_PODS; i++) {
		if (!self->pod[i])
			continue;
		if (self->be[i])
			pw = besteffort_pod_writes;
		else if (!strcmp(self->qos[i], "kubepods"))
			pw = guaranteed_pod_writes;
		else
			pw = burstable_pod_writes;
		/* The three tables have the same length. */
		for (j = 0; j < NR_WRITES(burstable_pod_writes); j++) {
			kubelet_write(_metadata, self->pod[i], &pw[j]);
			kubelet_write(_metadata, self->pause[i], &pw[j]);
			kubelet_write(_metadata, self->app[i], &pw[j]);
		}
	}
}

/*
 * kubelet's writes succeed on every cgroup, offline besteffort included,
 * read back what kubelet wrote, and change no class: koordlet's and
 * kubelet's periodic writes interleave for the life of the node.
 */
TEST_F(node, kubelet_writes_are_never_refused)
{
	int round;

	kubelet_writes(_metadata, self);
	for (round = 0; round < 3; round++) {
		koordlet(_metadata, self);
		expect_node(_metadata, self);
		kubelet_writes(_metadata, self);
		expect_node(_metadata, self);
	}
}

/*
 * besteffort rewritten to 0 (co-location turned off for it) has the
 * cpu.weight kubelet last wrote in force, and its pods at -1 become the
 * tops of their offline subtrees, SCHED_IDLE each, where kubelet's writes
 * succeed as well. Back at -1, besteffort is again the one SCHED_IDLE
 * group, still with kubelet's last weight.
 */
TEST_F(node, besteffort_back_to_normal_has_kubelets_last_weight)
{
	size_t i;

	koordlet(_metadata, self);
	kubelet_writes(_metadata, self);
	must_write(_metadata, self->besteffort, "cpu.weight", "3");
	must_write(_metadata, self->besteffort, BVT, "0");
	EXPECT_EQ(0, coloc_cpu_class(self->besteffort));
	EXPECT_EQ(0, coloc_cpu_offline(self->besteffort));
	EXPECT_EQ(3, read_long(self->besteffort, "cpu.weight"));
	EXPECT_EQ(0, read_long(self->besteffort, "cpu.idle"));
	for (i = 0; i < NR_PODS; i++) {
		if (!self->be[i])
			continue;
		EXPECT_EQ(-1, coloc_cpu_class(self->app[i]));
		EXPECT_EQ(1, coloc_cpu_offline(self->pod[i]));
		EXPECT_EQ(0, coloc_cpu_offline(self->app[i]));
		must_write(_metadata, self->pod[i], "cpu.weight", "2");
		EXPECT_EQ(2, read_long(self->pod[i], "cpu.weight"));
	}
	/* kubelet's next round, then koordlet's: as before. */
	kubelet_writes(_metadata, self);
	koordlet(_metadata, self);
	expect_node(_metadata, self);
	EXPECT_EQ(1, read_long(self->besteffort, "cpu.weight"));
	EXPECT_EQ(1, read_long(self->pod[3], "cpu.weight"));
}

TEST_HARNESS_MAIN
