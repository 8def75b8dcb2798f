// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-ioctl.h>

#include "../cgroup/cgroup_util.h"
#include "coloc_util.h"

const char *coloc_moddir(void)
{
	const char *dir = getenv("COLOC_MODDIR");

	return dir ? dir : "/lib/modules/coloc";
}

bool coloc_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

int coloc_load(const char *name)
{
	char path[512];
	int fd, ret;

	if (coloc_loaded(name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s.ko", coloc_moddir(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

int coloc_unload(const char *name)
{
	int i;

	if (!coloc_loaded(name))
		return 0;
	/* A module in use (an open file, say) refuses; retry for a while. */
	for (i = 0; i < 500; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

ssize_t coloc_read(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	if (len < 0)
		len = -errno;
	else
		buf[len] = '\0';
	close(fd);
	return len;
}

ssize_t coloc_write(const char *path, const void *buf, size_t len)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int coloc_write_str(const char *path, const char *s)
{
	ssize_t ret = coloc_write(path, s, strlen(s));

	if (ret < 0)
		return ret;
	return (size_t)ret == strlen(s) ? 0 : -EIO;
}

int coloc_read_long(const char *path, long *val)
{
	char buf[64], *end;
	ssize_t len;

	len = coloc_read(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

bool coloc_has_line(const char *path, const char *line)
{
	char buf[8192], *tok, *save;

	if (coloc_read(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
		if (!strcmp(tok, line))
			return true;
	return false;
}

static char overlong[4096];

const struct coloc_bad_input coloc_bad_inputs[] = {
	{ "newline only", "\n", 1 },
	{ "word", "abc\n", 4 },
	{ "leading space", " 5\n", 3 },
	{ "trailing space", "5 \n", 3 },
	{ "two newlines", "5\n\n", 3 },
	{ "hex", "0x10\n", 5 },
	{ "plus sign", "+5\n", 3 },
	{ "trailing garbage", "5abc\n", 5 },
	{ "double minus", "--5\n", 4 },
	{ "embedded NUL", "5\0" "5", 3 },
	{ "binary", "\xff\xfe\x01", 3 },
	{ "two numbers", "1 2\n", 4 },
	{ "huge", "99999999999999999999999999\n", 27 },
	{ "overlong", overlong, sizeof(overlong) },
};
const size_t coloc_nr_bad_inputs = sizeof(coloc_bad_inputs) / sizeof(coloc_bad_inputs[0]);

static void __attribute__((constructor)) init_overlong(void)
{
	memset(overlong, '1', sizeof(overlong));
}

int coloc_check_rejects(const char *path, const char *const *out_of_range,
			const char *expect)
{
	char buf[128];
	size_t i;
	ssize_t ret;

	for (i = 0; i < coloc_nr_bad_inputs; i++) {
		const struct coloc_bad_input *in = &coloc_bad_inputs[i];

		ret = coloc_write(path, in->buf, in->len);
		if (ret >= 0 || (ret != -EINVAL && ret != -ERANGE && ret != -E2BIG)) {
			fprintf(stderr, "# %s: %s input accepted or odd error: %zd\n",
				path, in->what, ret);
			return -1;
		}
		if (coloc_read(path, buf, sizeof(buf)) < 0 || strcmp(buf, expect)) {
			fprintf(stderr, "# %s: value changed by %s input\n", path, in->what);
			return -1;
		}
	}
	for (i = 0; out_of_range && out_of_range[i]; i++) {
		ret = coloc_write_str(path, out_of_range[i]);
		if (ret != -ERANGE) {
			fprintf(stderr, "# %s: out-of-range %s gave %zd, not -ERANGE\n",
				path, out_of_range[i], ret);
			return -1;
		}
		if (coloc_read(path, buf, sizeof(buf)) < 0 || strcmp(buf, expect)) {
			fprintf(stderr, "# %s: value changed by %s\n", path, out_of_range[i]);
			return -1;
		}
	}
	return 0;
}

/* Enters cgroup @cg, pinned to @cpu unless it is -1; 0 or -1. */
static int enter_pinned(const char *cg, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	if ((cpu >= 0 && sched_setaffinity(0, sizeof(set), &set)) ||
	    cg_enter_current((char *)cg))
		return -1;
	return 0;
}

pid_t coloc_spinner(const char *cg, int cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (enter_pinned(cg, cpu))
			_exit(1);
		for (;;)
			;
	}
	return pid;
}

static long long clock_us(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

/* Spins for @busy_us by @clock, then sleeps for @idle_us, forever. */
static pid_t cycler(const char *cg, int cpu, int busy_us, int idle_us, clockid_t clock)
{
	pid_t pid = fork();

	if (pid == 0) {
		long long t0;

		if (enter_pinned(cg, cpu))
			_exit(1);
		for (;;) {
			t0 = clock_us(clock);
			while (clock_us(clock) - t0 < busy_us)
				;
			usleep(idle_us);
		}
	}
	return pid;
}

pid_t coloc_duty_cycler(const char *cg, int cpu, int busy_us, int idle_us)
{
	return cycler(cg, cpu, busy_us, idle_us, CLOCK_MONOTONIC);
}

pid_t coloc_cpu_time_cycler(const char *cg, int cpu, int busy_us, int idle_us)
{
	return cycler(cg, cpu, busy_us, idle_us, CLOCK_THREAD_CPUTIME_ID);
}

int coloc_wakeups(const char *cg, int cpu, int n, int sleep_us)
{
	int i, status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (enter_pinned(cg, cpu))
			_exit(1);
		for (i = 0; i < n; i++)
			usleep(sleep_us);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

/* The CPU @pid last ran on, from /proc/PID/stat; -1 on error. */
int coloc_last_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	int field, cpu;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (coloc_read(path, buf, sizeof(buf)) < 0)
		return -1;
	/* Fields after the command, which may hold spaces, start at the last ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 39; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%d", &cpu) != 1)
		return -1;
	return cpu;
}

long coloc_cpu_usage_us(const char *cg)
{
	return cg_read_key_long((char *)cg, "cpu.stat", "usage_usec ");
}

long coloc_read_key(const char *path, const char *key)
{
	char buf[1024], *p = buf;
	size_t len = strlen(key);

	if (coloc_read(path, buf, sizeof(buf)) < 0)
		return -1;
	while (p) {
		if (!strncmp(p, key, len) && p[len] == ' ')
			return atol(p + len + 1);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Becomes COLOC_TEST_UID, with no supplementary groups; 0 or -1. */
static int drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(COLOC_TEST_UID, COLOC_TEST_UID, COLOC_TEST_UID) ||
	    setresuid(COLOC_TEST_UID, COLOC_TEST_UID, COLOC_TEST_UID))
		return -1;
	return 0;
}

int coloc_run_unprivileged(int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop_privileges())
			_exit(125);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int coloc_open_unprivileged(const char *path, int flags)
{
	unsigned char data = 0;
	char ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
	};
	struct cmsghdr *cmsg;
	int sv[2], status, fd = -EIO;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		fd = -errno;
		goto out;
	}
	if (pid == 0) {
		memset(ctrl, 0, sizeof(ctrl));
		if (drop_privileges())
			_exit(125);
		fd = open(path, flags | O_CLOEXEC);
		if (fd < 0) {
			/* No file to pass: the error instead, as the data byte. */
			data = errno;
			msg.msg_control = NULL;
			msg.msg_controllen = 0;
		} else {
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		}
		_exit(sendmsg(sv[1], &msg, 0) == 1 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		goto out;
	if (recvmsg(sv[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		goto out;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	else
		fd = data ? -data : -EIO;
out:
	close(sv[0]);
	close(sv[1]);
	return fd;
}

/*
 * The number after "@key " in file @file of cgroup @cg; COLOC_MISSING if
 * there is none, which no value of a knob (-1 included) can be taken for.
 */
static long cg_key(const char *cg, const char *file, const char *key)
{
	char path[PATH_MAX], buf[4096], *p = buf, *end;
	size_t len = strlen(key);
	long v;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (coloc_read(path, buf, sizeof(buf)) < 0)
		return COLOC_MISSING;
	while (p) {
		if (!strncmp(p, key, len) && p[len] == ' ') {
			errno = 0;
			v = strtol(p + len + 1, &end, 10);
			if (errno || end == p + len + 1 || (*end && *end != '\n'))
				return COLOC_MISSING;
			return v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return COLOC_MISSING;
}

long coloc_cpu_stat(const char *cg, const char *key)
{
	return cg_key(cg, "cpu.coloc_stat", key);
}

long coloc_cpu_class(const char *cg)
{
	return coloc_cpu_stat(cg, "class");
}

long coloc_cpu_offline(const char *cg)
{
	return coloc_cpu_stat(cg, "offline");
}

long coloc_min_adj_effective(const char *cg)
{
	return cg_key(cg, "memory.exstat", "wmark_min_adj_effective");
}

int coloc_cg_remove_tree(const char *path)
{
	char sub[PATH_MAX], buf[4096], *line, *save;
	struct dirent *de;
	DIR *dir;
	int i;

	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		coloc_cg_remove_tree(sub);
	}
	closedir(dir);
	/* Kill what is left and wait until the cgroup is empty. */
	for (i = 0; i < 500; i++) {
		snprintf(sub, sizeof(sub), "%s/cgroup.procs", path);
		if (coloc_read(sub, buf, sizeof(buf)) <= 0)
			break;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			kill(atoi(line), SIGKILL);
		usleep(10000);
	}
	return rmdir(path) ? -errno : 0;
}

int coloc_cg_delegate(const char *path)
{
	static const char *const owned[] = {
		"", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control",
	};
	char file[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", path, owned[i]);
		if (chown(file, COLOC_TEST_UID, COLOC_TEST_UID))
			return -errno;
	}
	return 0;
}

void coloc_oom_storm(const char *cg, size_t mb)
{
	pid_t storm = getpid();

	for (;;) {
		pid_t p = fork();

		if (p == 0) {
			size_t len = mb << 20;
			char *m;

			/*
			 * Die with the storm: a test's teardown kills the storm
			 * only, and a child forked but not yet in @cg would
			 * escape the cgroup's cleanup and outlive the test.
			 */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != storm)
				_exit(1);
			if (cg_enter_current(cg))
				_exit(1);
			m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			for (size_t i = 0; m != MAP_FAILED && i < len; i += 4096)
				m[i] = 1;
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
}

char *coloc_cg_fresh_ctrl(char *root, size_t len, const char *name,
			  const char *controller)
{
	char enable[128], *p = enable;
	const char *c = controller;
	char *cg;

	/* "cpu memory" becomes "+cpu +memory": one write enables them all. */
	while (*c && p < enable + sizeof(enable) - 2) {
		if (c == controller || c[-1] == ' ')
			*p++ = '+';
		*p++ = *c++;
	}
	*p = '\0';
	if (cg_find_unified_root(root, len, NULL) ||
	    cg_write(root, "cgroup.subtree_control", enable))
		return NULL;
	cg = cg_name(root, name);
	if (coloc_cg_remove_tree(cg) || cg_create(cg) ||
	    cg_write(cg, "cgroup.subtree_control", enable)) {
		free(cg);
		return NULL;
	}
	return cg;
}

char *coloc_cg_fresh(char *root, size_t len, const char *name)
{
	return coloc_cg_fresh_ctrl(root, len, name, "memory");
}

int coloc_zone_read(struct coloc_zone *best)
{
	struct coloc_zone z = { 0 };
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");
	long v;

	if (!f)
		return -1;
	memset(best, 0, sizeof(*best));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4)) {
			if (z.managed > best->managed)
				*best = z;
			memset(&z, 0, sizeof(z));
		} else if (sscanf(line, " pages free %ld", &v) == 1) {
			z.free = v;
		} else if (sscanf(line, " min %ld", &v) == 1) {
			z.min = v;
		} else if (sscanf(line, " low %ld", &v) == 1) {
			z.low = v;
		} else if (sscanf(line, " high %ld", &v) == 1) {
			z.high = v;
		} else if (sscanf(line, " managed %ld", &v) == 1) {
			z.managed = v;
		}
	}
	fclose(f);
	if (z.managed > best->managed)
		*best = z;
	return best->managed > 0 && best->min < best->low && best->low < best->high ? 0 : -1;
}

#define LRU_GEN "/sys/kernel/mm/lru_gen/enabled"

int coloc_lru_gen_set(const char *want, char *saved, size_t size)
{
	saved[0] = 0;
	if (coloc_read(LRU_GEN, saved, size) <= 0)
		/* Without CONFIG_LRU_GEN the classic LRU is all there is. */
		return strcmp(want, "n") ? 1 : 0;
	return coloc_write_str(LRU_GEN, want);
}

void coloc_lru_gen_restore(const char *saved)
{
	if (saved[0])
		coloc_write_str(LRU_GEN, saved);
}

#define NULLB_CONFIGFS "/sys/kernel/config/nullb"

static int nullb_set(const char *name, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NULLB_CONFIGFS "/%s/%s", name, attr);
	return coloc_write_str(path, val);
}

void coloc_nullb_destroy(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), NULLB_CONFIGFS "/%s", name);
	if (access(path, F_OK))
		return;
	nullb_set(name, "power", "0");
	rmdir(path);
}

int coloc_nullb_create(const char *name, int size_mb, const char *const *attrs,
		       char *disk, size_t dlen, char *devno, size_t nlen)
{
	char path[PATH_MAX], size[16], attr[64];
	struct stat st;
	const char *eq;

	if (access(NULLB_CONFIGFS, F_OK) &&
	    mount("none", "/sys/kernel/config", "configfs", 0, NULL))
		return -1;
	coloc_nullb_destroy(name);
	snprintf(path, sizeof(path), NULLB_CONFIGFS "/%s", name);
	snprintf(size, sizeof(size), "%d", size_mb);
	if (mkdir(path, 0755) || nullb_set(name, "size", size) ||
	    nullb_set(name, "blocksize", "4096") || nullb_set(name, "memory_backed", "1"))
		return -1;
	for (; attrs && *attrs; attrs++) {
		eq = strchr(*attrs, '=');
		if (!eq || eq - *attrs >= (long)sizeof(attr))
			return -1;
		snprintf(attr, sizeof(attr), "%.*s", (int)(eq - *attrs), *attrs);
		if (nullb_set(name, attr, eq + 1))
			return -1;
	}
	if (nullb_set(name, "power", "1"))
		return -1;
	/* null_blk names a disk made through configfs after its directory. */
	snprintf(disk, dlen, "/dev/%s", name);
	if (stat(disk, &st) || !S_ISBLK(st.st_mode))
		return -1;
	snprintf(devno, nlen, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

/* A dm ioctl with one linear target: the header, the target and its parameters. */
struct dm_linear_ioctl {
	struct dm_ioctl io;
	struct dm_target_spec spec;
	char params[64];
};

static int dm_ioctl(unsigned long cmd, const char *name, struct dm_linear_ioctl *req,
		    size_t size)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	req->io.version[0] = DM_VERSION_MAJOR;
	req->io.version[1] = 0;
	req->io.version[2] = 0;
	req->io.data_size = size;
	req->io.data_start = sizeof(req->io);
	snprintf(req->io.name, sizeof(req->io.name), "%s", name);
	ret = ioctl(fd, cmd, req);
	close(fd);
	return ret;
}

void coloc_dm_remove(const char *name)
{
	struct dm_linear_ioctl req = { 0 };

	dm_ioctl(DM_DEV_REMOVE, name, &req, sizeof(req.io));
}

int coloc_dm_linear_create(const char *name, const char *disk, unsigned long long sectors,
			   char *node, size_t nodelen, char *devno, size_t nlen)
{
	struct dm_linear_ioctl req = { 0 };
	unsigned int maj, min;
	struct stat st;

	coloc_dm_remove(name);
	if (dm_ioctl(DM_DEV_CREATE, name, &req, sizeof(req.io)))
		return -1;
	maj = major(req.io.dev);
	min = minor(req.io.dev);
	memset(&req, 0, sizeof(req));
	req.io.target_count = 1;
	req.spec.sector_start = 0;
	req.spec.length = sectors;
	snprintf(req.spec.target_type, sizeof(req.spec.target_type), "linear");
	snprintf(req.params, sizeof(req.params), "%s 0", disk);
	if (dm_ioctl(DM_TABLE_LOAD, name, &req, sizeof(req)))
		goto fail;
	/* Without DM_SUSPEND_FLAG, DM_DEV_SUSPEND resumes: the table goes live. */
	memset(&req, 0, sizeof(req));
	if (dm_ioctl(DM_DEV_SUSPEND, name, &req, sizeof(req.io)))
		goto fail;
	snprintf(node, nodelen, "/dev/dm-%u", min);
	snprintf(devno, nlen, "%u:%u", maj, min);
	if (stat(node, &st) || !S_ISBLK(st.st_mode))
		goto fail;
	return 0;
fail:
	coloc_dm_remove(name);
	return -1;
}

#define TRACEFS "/sys/kernel/tracing"

static int trace_write(const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return coloc_write_str(path, val);
}

/* The events being recorded: "subsystem/event", NULL-terminated. */
static const char *const *trace_recorded;

static int trace_events(const char *const *events, const char *on)
{
	char file[128];

	for (; events && *events; events++) {
		snprintf(file, sizeof(file), "events/%s/enable", *events);
		if (trace_write(file, on))
			return -1;
	}
	return 0;
}

int coloc_trace_setup(int cpu, const char *const *events)
{
	char mask[32];

	if (access(TRACEFS "/trace", F_OK) &&
	    mount("none", TRACEFS, "tracefs", 0, NULL))
		return -1;
	if (cpu == -1) {
		long n = sysconf(_SC_NPROCESSORS_CONF);

		if (n < 1 || n > 64)
			return -1;
		snprintf(mask, sizeof(mask), "%llx", n == 64 ? ~0ULL : (1ULL << n) - 1);
	} else if (cpu < 0 || cpu >= 64) {
		return -1;
	} else {
		snprintf(mask, sizeof(mask), "%llx", 1ULL << cpu);
	}
	if (trace_write("tracing_on", "0") || trace_write("buffer_size_kb", "4096") ||
	    trace_write("tracing_cpumask", mask))
		return -1;
	trace_recorded = events;
	return trace_events(events, "1");
}

int coloc_trace_start(void)
{
	/* Opening the buffer for writing with O_TRUNC empties it. */
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(fd);
	return trace_write("tracing_on", "1");
}

int coloc_trace_stop(void)
{
	return trace_write("tracing_on", "0");
}

void coloc_trace_teardown(void)
{
	if (!trace_recorded)
		return;
	trace_write("tracing_on", "0");
	trace_events(trace_recorded, "0");
	trace_recorded = NULL;
}

FILE *coloc_trace_open(void)
{
	return fopen(TRACEFS "/trace", "r");
}
