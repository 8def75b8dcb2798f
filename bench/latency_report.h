/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report every online workload of the benchmarks prints: one JSON
 * object with the sample count ("chunks"), latency percentiles in
 * microseconds, the distribution and a histogram, which scripts/bench.py
 * reads.
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

/*
 * The histogram bucket of @us: whole microseconds, to three significant
 * digits (1 % steps from 100 us up), so that a run's histogram stays a few
 * hundred buckets long. The same buckets as cyclictest_report's.
 */
static long latency_bucket(double us)
{
	long b = us < 0 ? 0 : (long)us, step = 1;

	while (b / step >= 1000)
		step *= 10;
	return b / step * step;
}

/*
 * Sorts the @n latencies in @lat (us) and prints the report, with the
 * distribution as [percentile, us] pairs ("dist"), tail-heavy, for the
 * latency plots, and the histogram as [bucket us, count] pairs ("hist"),
 * which scripts/bench.py pools over repetitions.
 */
static void latency_report(double *lat, size_t n)
{
	static const double pcts[] = {
		0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100,
	};
	size_t i, j;

	qsort(lat, n, sizeof(*lat), latency_cmp);
	printf("{\"chunks\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"dist\": [",
	       n, latency_pct(lat, n, 50), latency_pct(lat, n, 99), n ? lat[n - 1] : 0);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		printf("%s[%g, %.1f]", i ? ", " : "", pcts[i], latency_pct(lat, n, pcts[i]));
	printf("], \"hist\": [");
	/* Sorted, so each bucket's samples are one run of @lat. */
	for (i = 0; i < n; i = j) {
		long b = latency_bucket(lat[i]);

		for (j = i + 1; j < n && latency_bucket(lat[j]) == b; j++)
			;
		printf("%s[%ld, %zu]", i ? ", " : "", b, j - i);
	}
	printf("]}\n");
}

#endif /* LATENCY_REPORT_H */
