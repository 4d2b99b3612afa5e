// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-open-loop [N]: open("/dev/null") and close it N times (default
 * 200000) and print, on one line,
 *
 *   iterations N elapsed_ns T ns_per_iter X cpu_ns C cpu_ns_per_iter Y failed F
 *
 * The clocks run around the loop only, so a launcher's start-up cost (a
 * tracer attaching, BPF programs loading) stays out of the numbers. The
 * process CPU time leaves out the time other processes held the CPU, which
 * makes small in-kernel costs visible on a busy machine; it also leaves out
 * a ptrace tracer's work, so compare tracers by elapsed time only. A failed
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

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long n = 200000, failed = 0;
	uint64_t start, elapsed, cpu_start, cpu;
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

	cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	start = now_ns(CLOCK_MONOTONIC);
	for (unsigned long long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			failed++;
			continue;
		}
		close(fd);
	}
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;

	printf("iterations %llu elapsed_ns %" PRIu64 " ns_per_iter %.1f cpu_ns %" PRIu64
	       " cpu_ns_per_iter %.1f failed %llu\n",
	       n, elapsed, (double)elapsed / (double)n, cpu, (double)cpu / (double)n, failed);
	return 0;
}
