// SPDX-License-Identifier: GPL-2.0
/*
 * The offline side of the CPU benchmark: a batch job that counts loop
 * iterations until SIGTERM, then writes the count (the work it got done)
 * to FILE. One process per CPU makes the machine busy.
 *
 * Usage: cpu_hog FILE
 */
#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long long n = 0;
	FILE *f;

	if (argc != 2)
		return 2;
	signal(SIGTERM, on_term);
	while (!stop)
		n++;
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%llu\n", n);
	return fclose(f) ? 1 : 0;
}
