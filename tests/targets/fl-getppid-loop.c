// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-getppid-loop [N]: call getppid(2) N times (default 1000000), the
 * cheapest syscall there is, and print fl-open-loop's line,
 *
 *   iterations N elapsed_ns T ns_per_iter X cpu_ns C cpu_ns_per_iter Y failed 0
 *
 * What a hook adds to every syscall's entry is a large part of this
 * loop's time, so the bench reads the per-syscall floor from it
 * (tools/bench.sh parses this line; keep its shape).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000;
	uint64_t start, elapsed, cpu_start, cpu;
	char *end;

	if (argc > 2) {
		fprintf(stderr, "usage: fl-getppid-loop [ITERATIONS]\n");
		return 1;
	}
	if (argc == 2) {
		n = strtoull(argv[1], &end, 10);
		if (*end || n == 0) {
			fprintf(stderr, "fl-getppid-loop: bad iteration count '%s'\n", argv[1]);
			return 1;
		}
	}
	start = now_ns(CLOCK_MONOTONIC);
	cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	/* syscall(2), not getppid(): no libc may ever cache the answer. */
	for (unsigned long long i = 0; i < n; i++)
		syscall(SYS_getppid);
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	printf("iterations %llu elapsed_ns %" PRIu64 " ns_per_iter %.1f cpu_ns %" PRIu64
	       " cpu_ns_per_iter %.1f failed 0\n", n, elapsed, (double)elapsed / (double)n, cpu,
	       (double)cpu / (double)n);
	return 0;
}
