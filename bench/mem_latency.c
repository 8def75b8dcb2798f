// SPDX-License-Identifier: GPL-2.0
/*
 * The online side of the memory benchmark: a service that keeps a working
 * set resident and allocates, touches and frees fixed-size chunks as fast
 * as it can, timing each chunk. Prints one JSON object: chunk count and
 * latency percentiles in microseconds.
 *
 * Usage: mem_latency WORKING_SET_MB CHUNK_MB SECONDS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "latency_report.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	size_t ws, chunk, n = 0, cap = 1 << 16;
	double end, *lat;
	char *set;

	if (argc != 4) {
		fprintf(stderr, "usage: %s WORKING_SET_MB CHUNK_MB SECONDS\n", argv[0]);
		return 2;
	}
	ws = strtoul(argv[1], NULL, 10) << 20;
	chunk = strtoul(argv[2], NULL, 10) << 20;
	lat = malloc(cap * sizeof(*lat));
	set = ws ? mmap(NULL, ws, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : NULL;
	if (!lat || set == MAP_FAILED)
		return 1;
	if (set)
		memset(set, 1, ws);
	end = now_us() + atof(argv[3]) * 1e6;
	while (now_us() < end && n < cap) {
		double t0 = now_us();
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (size_t i = 0; i < chunk; i += 4096)
			p[i] = 1;
		munmap(p, chunk);
		lat[n++] = now_us() - t0;
		/* The working set stays in use: touch a slice of it each round. */
		for (size_t i = (n * chunk) % (ws ? ws : 1); ws && i < ws; i += ws / 16 + 4096)
			set[i]++;
	}
	latency_report(lat, n);
	return 0;
}
