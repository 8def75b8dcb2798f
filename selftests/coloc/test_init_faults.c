// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init fails must leave nothing behind. Fault injection
 * (/proc/thread-self/fail-nth) fails the Nth slab allocation of the task
 * that loads the module, for N = 1, 2, ... until a load goes through with
 * no failure injected, so that the loader and every step of the module's
 * init fail in turn. After each failed load:
 *
 * - the module is not loaded, its feature is not listed and no hook is
 *   implemented by it (/sys/kernel/coloc/features and hooks);
 * - none of its cgroup files and no directory of its knobs exists;
 * - for coloc_cpu, a cgroup whose cpu.bvt_warp_ns is -1 is not SCHED_IDLE
 *   (the weight of its scheduling entity, /sys/kernel/debug/sched/debug):
 *   offline groups go back to normal when the module goes, and so they
 *   must when it never came.
 *
 * A hook or timer left pointing into the freed module shows up as a crash
 * or splat, which the runner catches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

#define FAILSLAB "/sys/kernel/debug/failslab"
#define SCHED_DEBUG "/sys/kernel/debug/sched/debug"
/* More allocations than loading any coloc module makes. */
#define MAX_NTH 5000

FIXTURE(faults) {
	char root[PATH_MAX];
	char *top;
	char *offline;		/* cpu.bvt_warp_ns -1, with a task on CPU 0 */
	pid_t spinner;
	int nth;		/* /proc/thread-self/fail-nth */
};

FIXTURE_VARIANT(faults) {
	const char *module;
	const char *feature;
	/* Cgroup files and the knob directory the module creates. */
	const char *files[3];
	const char *sysfs;
};

FIXTURE_VARIANT_ADD(faults, core) {
	.module = "coloc_core",
	.feature = "core",
	.files = { NULL },
	.sysfs = COLOC_SYSFS "/version",
};

FIXTURE_VARIANT_ADD(faults, cpu) {
	.module = "coloc_cpu",
	.feature = "cpu",
	.files = { "cpu.bvt_warp_ns", "cpu.coloc_stat", NULL },
	.sysfs = COLOC_SYSFS "/cpu",
};

FIXTURE_VARIANT_ADD(faults, mem) {
	.module = "coloc_mem",
	.feature = "memory",
	.files = { "memory.priority", "memory.exstat", NULL },
	.sysfs = COLOC_SYSFS "/memory",
};

FIXTURE_VARIANT_ADD(faults, io) {
	.module = "coloc_io",
	.feature = "io",
	.files = { "io.coloc", "io.coloc_stat", NULL },
	.sysfs = COLOC_SYSFS "/io",
};

FIXTURE_VARIANT_ADD(faults, test) {
	.module = "coloc_test",
	.feature = "test",
	.files = { "memory.coloc_test", NULL },
	.sysfs = COLOC_SYSFS "/test",
};

/*
 * The debug kernel's kmemleak allocates in the loading task's name as well
 * (a scan area for each vmalloc), and when that allocation fails it warns
 * under its object lock, which lockdep reports against the console lock:
 * a mainline kmemleak defect (add_scan_area()), not the module's. Failing
 * kmemleak's allocations tests kmemleak, so reject any failure whose stack
 * is in kmemleak_scan_area() or add_scan_area() (CONFIG_FAULT_INJECTION_
 * STACKTRACE_FILTER, in the debug config). Returns 0 if done or not needed.
 */
static int reject_kmemleak_failures(void)
{
	unsigned long long addr, lo = ~0ULL, hi = 0, end = ~0ULL;
	char type, name[256], line[512], buf[32];
	FILE *f;

	if (access("/sys/kernel/debug/kmemleak", F_OK))
		return 0;
	if (access(FAILSLAB "/reject-start", W_OK))
		return -1;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    (!strcmp(name, "kmemleak_scan_area") || !strcmp(name, "add_scan_area"))) {
			lo = addr < lo ? addr : lo;
			hi = addr > hi ? addr : hi;
		}
	/* The end of the later function: the next symbol's address. */
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx", &addr) == 1 && addr > hi && addr < end)
			end = addr;
	fclose(f);
	if (!hi || end == ~0ULL)
		return -1;
	snprintf(buf, sizeof(buf), "%#llx", lo);
	if (coloc_write_str(FAILSLAB "/reject-start", buf))
		return -1;
	snprintf(buf, sizeof(buf), "%#llx", end);
	return coloc_write_str(FAILSLAB "/reject-end", buf);
}

FIXTURE_SETUP(faults)
{
	if (access(FAILSLAB, F_OK))
		SKIP(return, "no slab fault injection (CONFIG_FAILSLAB)");
	/* GFP_KERNEL allocations too, and no stack dump for each failure. */
	ASSERT_EQ(0, coloc_write_str(FAILSLAB "/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, coloc_write_str(FAILSLAB "/verbose", "0"));
	ASSERT_EQ(0, reject_kmemleak_failures())
		TH_LOG("kmemleak without CONFIG_FAULT_INJECTION_STACKTRACE_FILTER");
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);

	self->top = coloc_cg_fresh_ctrl(self->root, sizeof(self->root), "coloc_faults",
					"cpu memory io");
	ASSERT_NE(NULL, self->top);
	self->offline = cg_name(self->top, "offline");
	ASSERT_EQ(0, cg_create(self->offline));
	ASSERT_EQ(0, cg_write(self->offline, "cpu.weight", "300"));
	ASSERT_EQ(0, coloc_load("coloc_core"));
	ASSERT_EQ(0, coloc_load("coloc_cpu"));
	ASSERT_EQ(0, cg_write(self->offline, "cpu.bvt_warp_ns", "-1"));
	ASSERT_EQ(0, coloc_unload("coloc_cpu"));
	self->spinner = coloc_spinner(self->offline, 0);
	ASSERT_LT(0, self->spinner);
	/* Policy modules register their feature with coloc_core. */
	if (strcmp(variant->module, "coloc_core")) {
		ASSERT_EQ(0, coloc_load("coloc_core"));
	} else {
		ASSERT_EQ(0, coloc_unload("coloc_core"));
	}
}

FIXTURE_TEARDOWN(faults)
{
	if (self->nth >= 0) {
		pwrite(self->nth, "0", 1, 0);
		close(self->nth);
	}
	if (self->spinner > 0) {
		kill(self->spinner, SIGKILL);
		waitpid(self->spinner, NULL, 0);
	}
	coloc_unload(variant->module);
	coloc_cg_remove_tree(self->top);
	free(self->offline);
	free(self->top);
	coloc_write_str(FAILSLAB "/ignore-gfp-wait", "Y");
	if (!access(FAILSLAB "/reject-start", W_OK)) {
		coloc_write_str(FAILSLAB "/reject-start", "0");
		coloc_write_str(FAILSLAB "/reject-end", "0");
	}
}

/* Loads @module with the @n-th allocation failing; 0 or -errno, *@injected. */
static int load_failing(int nth, const char *module, int n, bool *injected)
{
	char path[PATH_MAX], buf[16];
	int fd, ret;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/%s.ko", coloc_moddir(), module);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d", n);
	if (pwrite(nth, buf, len, 0) != len) {
		close(fd);
		return -EIO;
	}
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	/* What is left of the count: 0 once the failure was injected. */
	len = pread(nth, buf, sizeof(buf) - 1, 0);
	pwrite(nth, "0", 1, 0);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	*injected = len > 0 && atoi(buf) == 0;
	return ret;
}

/* True if a line of the file at @path ends with @word (a module or feature name). */
static bool lists(const char *path, const char *word)
{
	char buf[4096], *line, *save;
	size_t n = strlen(word);

	if (coloc_read(path, buf, sizeof(buf)) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		if (l >= n && !strcmp(line + l - n, word) && (l == n || line[l - n - 1] == ' '))
			return true;
	}
	return false;
}

/*
 * The weight of @cg's scheduling entity on CPU 0, from the scheduler's
 * debug file (.se->load.weight in the cfs_rq[0] section of @cg); -1 if
 * not found. A SCHED_IDLE group weighs scale_load(3) = 3072.
 */
static long group_weight_cpu0(const char *cg, const char *root)
{
	char want[PATH_MAX], line[512];
	bool in = false;
	long w = -1;
	FILE *f;

	snprintf(want, sizeof(want), "cfs_rq[0]:%s\n", cg + strlen(root));
	f = fopen(SCHED_DEBUG, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "cfs_rq[", 7)) {
			in = !strcmp(line, want);
			continue;
		}
		if (in && strstr(line, ".se->load.weight") &&
		    sscanf(strchr(line, ':') + 1, "%ld", &w) == 1)
			break;
	}
	fclose(f);
	return w;
}

TEST_F_TIMEOUT(faults, failed_init_leaves_nothing, 600)
{
	int n, failures = 0;
	bool injected = true;
	char path[PATH_MAX];
	long w;
	int i, ret;

	/* The spinner's group, normal (no module): the reference weight. */
	usleep(200000);
	w = group_weight_cpu0(self->offline, self->root);
	ASSERT_LT(100000, w) TH_LOG("weight of a normal group: %ld", w);

	for (n = 1; n < MAX_NTH && injected; n++) {
		ret = load_failing(self->nth, variant->module, n, &injected);
		if (!ret) {
			ASSERT_EQ(0, coloc_unload(variant->module));
			continue;
		}
		ASSERT_TRUE(injected) TH_LOG("load failed with %d, no failure injected", ret);
		failures++;
		ASSERT_FALSE(coloc_loaded(variant->module)) TH_LOG("step %d", n);
		EXPECT_FALSE(lists(COLOC_SYSFS "/features", variant->feature)) TH_LOG("step %d", n);
		EXPECT_FALSE(lists(COLOC_SYSFS "/hooks", variant->module)) TH_LOG("step %d", n);
		for (i = 0; variant->files[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s", self->offline, variant->files[i]);
			EXPECT_NE(0, access(path, F_OK)) TH_LOG("step %d left %s", n, path);
		}
		EXPECT_NE(0, access(variant->sysfs, F_OK))
			TH_LOG("step %d left %s", n, variant->sysfs);
		w = group_weight_cpu0(self->offline, self->root);
		EXPECT_LT(100000, w) TH_LOG("step %d left the offline group SCHED_IDLE (%ld)", n, w);
		if (_metadata->exit_code)
			break;
	}
	if (!_metadata->exit_code)
		EXPECT_FALSE(injected) TH_LOG("still failing after %d allocations", MAX_NTH);
	/* Fault injection works, and the init of the module was reached. */
	EXPECT_LT(2, failures);
	ksft_print_msg("%s: %d loads failed, one at each allocation\n", variant->module, failures);
}

TEST_HARNESS_MAIN
