// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-meta-loop DIR N: create, close and unlink N files in DIR, then print
 * the rate. The metadata half of the faultfs benchmark (fio has no
 * create/unlink workload).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	char path[4096];
	long n;
	double secs;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: fl-meta-loop DIR N\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) < 0 || unlink(path) < 0) {
			perror(path);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%ld files in %.3f s: %.0f create+unlink/s\n", n, secs, n / secs);
	return 0;
}
