/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report every online workload of the benchmarks prints: one JSON
 * object with the sample count ("chunks") and latency percentiles in
 * microseconds, which scripts/bench.py reads.
 */
#ifndef LATENCY_REPORT_H
#define LATENCY_REPORT_H

#include <stdio.h>
#include <stdlib.h>

static int latency_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @p-th percentile of the sorted @v of @n values; 0 if empty. */
static double latency_pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

/* Sorts the @n latencies in @lat (us) and prints the report. */
static void latency_report(double *lat, size_t n)
{
	qsort(lat, n, sizeof(*lat), latency_cmp);
	printf("{\"chunks\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f}\n",
	       n, latency_pct(lat, n, 50), latency_pct(lat, n, 99), n ? lat[n - 1] : 0);
}

#endif /* LATENCY_REPORT_H */
