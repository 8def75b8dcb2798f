// SPDX-License-Identifier: GPL-2.0
/*
 * The online side of the I/O benchmark, in the manner of fio's
 * rw=randread, iodepth=1, direct=1: small random reads of a block device,
 * one at a time, each timed from submission to completion. Prints one JSON
 * object with the read count ("chunks") and latency percentiles in
 * microseconds, as the other workloads do.
 *
 * Usage: io_latency DEVICE BLOCK_BYTES SECONDS SPAN_MB
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "latency_report.h"

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long block, secs, blocks;
	size_t n = 0, max = 1 << 16;
	long long end, t0;
	double *lat;
	void *buf;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s DEVICE BLOCK_BYTES SECONDS SPAN_MB\n", argv[0]);
		return 2;
	}
	block = atol(argv[2]);
	secs = atol(argv[3]);
	blocks = atol(argv[4]) * 1024 * 1024 / block;
	lat = malloc(max * sizeof(*lat));
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || !lat || blocks < 1 || posix_memalign(&buf, 4096, block)) {
		perror("io_latency");
		return 1;
	}
	srand(1);
	end = now_ns() + secs * 1000000000LL;
	while ((t0 = now_ns()) < end) {
		off_t off = (off_t)(rand() % blocks) * block;

		/* Every read is kept: the count is the IOPS the overhead scenario reports. */
		if (n == max) {
			max *= 2;
			lat = realloc(lat, max * sizeof(*lat));
			if (!lat) {
				perror("io_latency");
				return 1;
			}
		}

		if (pread(fd, buf, block, off) != block) {
			perror("io_latency: pread");
			return 1;
		}
		lat[n++] = (now_ns() - t0) / 1000.0;
	}
	latency_report(lat, n);
	return 0;
}
