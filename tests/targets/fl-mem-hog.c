// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-mem-hog [MIB_PER_STEP [STEP_MS [MAX_MIB]]]: allocate MIB_PER_STEP
 * (default 1) MiB every STEP_MS (default 5) ms and touch every page, up to
 * MAX_MIB (default 4096) MiB, then sleep: a service whose memory grows
 * steadily, for the oom fault. Prints "ready" once started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long step = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
	unsigned long ms = argc > 2 ? strtoul(argv[2], NULL, 10) : 5;
	unsigned long max = argc > 3 ? strtoul(argv[3], NULL, 10) : 4096;
	struct timespec nap = { .tv_sec = (time_t)(ms / 1000),
				  .tv_nsec = (long)(ms % 1000) * 1000000L };

	printf("ready\n");
	fflush(stdout);
	for (unsigned long total = 0; total + step <= max; total += step) {
		char *p = malloc(step << 20);

		if (!p)
			break;
		/* Every page touched, so it is charged now and not at some later read. */
		memset(p, (int)(total & 0xff) | 1, step << 20);
		nanosleep(&nap, NULL);
	}
	for (;;)
		pause();
}
