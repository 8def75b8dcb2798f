// SPDX-License-Identifier: GPL-2.0
/*
 * The offline side of the memory benchmark: a batch job that holds MB of
 * anonymous memory and keeps rewriting it, counting the megabytes it
 * touched (its throughput). Runs until killed; prints its progress to
 * the file given as the second argument every second.
 *
 * Usage: mem_hog MB PROGRESS_FILE
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t len, done = 0;
	time_t last = 0;
	char *p;

	if (argc != 3)
		return 2;
	len = strtoul(argv[1], NULL, 10) << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (;;) {
		for (size_t i = 0; i < len; i += 4096)
			p[i]++;
		done += len >> 20;
		if (time(NULL) != last) {
			FILE *f = fopen(argv[2], "w");

			last = time(NULL);
			if (f) {
				fprintf(f, "%zu\n", done);
				fclose(f);
			}
		}
	}
}
