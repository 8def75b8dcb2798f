// SPDX-License-Identifier: GPL-2.0
/*
 * The online side of the CPU benchmark, in the manner of cyclictest with
 * SCHED_OTHER: a request loop that sleeps until an absolute deadline every
 * PERIOD_US, records how late it woke up (the wakeup latency: time spent
 * waiting for a CPU), then serves a request of WORK_US of computation.
 * Prints one JSON object: wakeup count and latency percentiles in
 * microseconds, as the other workloads do ("chunks" is the sample count).
 *
 * Usage: cpu_wakeup PERIOD_US WORK_US SECONDS [CPU]
 *
 * With CPU, the loop is pinned there, as cyclictest -a does: every wakeup
 * is then local, and the figure is the scheduler's decision to run it, not
 * the delivery of a cross-CPU interrupt (which single-threaded emulation
 * under -icount delays by a time slice of the other vCPU).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "latency_report.h"

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	long period_us, work_us, secs;
	struct timespec next, now;
	size_t n = 0, max;
	double *lat;
	long long end;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s PERIOD_US WORK_US SECONDS [CPU]\n", argv[0]);
		return 2;
	}
	if (argc == 5) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[4]), &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("sched_setaffinity");
			return 1;
		}
	}
	period_us = atol(argv[1]);
	work_us = atol(argv[2]);
	secs = atol(argv[3]);
	max = secs * 1000000 / period_us + 1;
	lat = calloc(max, sizeof(*lat));
	if (!lat || period_us <= 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = ns_of(&next) + secs * 1000000000LL;
	while (n < max) {
		long long target;

		next.tv_nsec += period_us * 1000;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		if (ns_of(&next) > end)
			break;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		lat[n++] = (ns_of(&now) - ns_of(&next)) / 1e3;
		/* The request: computation for WORK_US of CPU time. */
		target = ns_of(&now) + work_us * 1000LL;
		do
			clock_gettime(CLOCK_MONOTONIC, &now);
		while (ns_of(&now) < target);
		/* A request that overran its period starts the next one at once. */
		if (ns_of(&now) > ns_of(&next) + period_us * 1000LL)
			next = now;
	}
	latency_report(lat, n);
	return 0;
}
