// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-open-loop [N]: open("/dev/null") and close it N times (default
 * 200000) and print, on one line,
 *
 *   iterations N elapsed_ns T ns_per_iter X failed F
 *
 * The clock runs around the loop only, so a launcher's start-up cost (a
 * tracer attaching, BPF programs loading) stays out of the number. A failed
 * open is counted, not fatal: a tracer under test may inject one.
 * tools/bench.sh parses this line; keep its shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long n = 200000, failed = 0;
	uint64_t start, elapsed;
	char *end;

	if (argc > 2) {
		fprintf(stderr, "usage: fl-open-loop [ITERATIONS]\n");
		return 1;
	}
	if (argc == 2) {
		errno = 0;
		n = strtoull(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || n == 0) {
			fprintf(stderr, "fl-open-loop: invalid iteration count '%s'\n", argv[1]);
			return 1;
		}
	}

	start = now_ns();
	for (unsigned long long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			failed++;
			continue;
		}
		close(fd);
	}
	elapsed = now_ns() - start;

	printf("iterations %llu elapsed_ns %" PRIu64 " ns_per_iter %.1f failed %llu\n",
	       n, elapsed, (double)elapsed / (double)n, failed);
	return 0;
}
