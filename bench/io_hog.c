// SPDX-License-Identifier: GPL-2.0
/*
 * The offline side of the I/O benchmark, in the manner of fio's rw=write,
 * direct=1: a batch job writing a block device sequentially, one
 * BLOCK_BYTES write at a time, over SPAN_MB from OFFSET_MB, round after
 * round, until SIGTERM; then writes the MB it wrote to FILE. Several of
 * them make a deep queue.
 *
 * Usage: io_hog DEVICE BLOCK_BYTES OFFSET_MB SPAN_MB FILE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	long long written = 0, i = 0, nr;
	long block;
	off_t base;
	void *buf;
	FILE *f;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: %s DEVICE BLOCK_BYTES OFFSET_MB SPAN_MB FILE\n", argv[0]);
		return 2;
	}
	signal(SIGTERM, on_term);
	block = atol(argv[2]);
	base = (off_t)atol(argv[3]) * 1024 * 1024;
	nr = atol(argv[4]) * 1024LL * 1024 / block;
	fd = open(argv[1], O_WRONLY | O_DIRECT);
	if (fd < 0 || nr < 1 || posix_memalign(&buf, 4096, block)) {
		perror("io_hog");
		return 1;
	}
	memset(buf, 0xa5, block);
	while (!stop) {
		if (pwrite(fd, buf, block, base + i * block) != block)
			break;
		written += block;
		i = (i + 1) % nr;
	}
	f = fopen(argv[5], "w");
	if (!f)
		return 1;
	fprintf(f, "%lld\n", written / (1024 * 1024));
	return fclose(f) ? 1 : 0;
}
