// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-sc-ops [-t] [-f FD] OP:ARG...: run syscalls in order and print one
 * line per call, "OP ARG RESULT" (RESULT is the return value or -ERRNO
 * name), plus the elapsed microseconds with -t. Output goes to FD (an fd
 * inherited from the test, so printing opens nothing) or stdout.
 *
 *   open:PATH    openat(AT_FDCWD, PATH, O_RDWR|O_CREAT) then close
 *   unlink:PATH  mkdir:PATH  getppid:-  sleep:MS
 *   fork:- ... end:-  the ops in between run in a child ("c" prefix) while
 *                the parent goes on after end; the parent reaps it at exit
 *   loop:N       repeat the next op N times
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int out = 1, timed;
static const char *who = "";

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void run(const char *op, const char *arg)
{
	long long t0 = now_us(), us;
	long r = 0;
	char line[512];
	int n;

	if (!strcmp(op, "open")) {
		r = syscall(SYS_openat, AT_FDCWD, arg, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (r >= 0)
			close((int)r);
	} else if (!strcmp(op, "unlink")) {
		r = syscall(SYS_unlink, arg);
	} else if (!strcmp(op, "mkdir")) {
		r = syscall(SYS_mkdir, arg, 0755);
	} else if (!strcmp(op, "getppid")) {
		r = syscall(SYS_getppid) > 0 ? 0 : -1;
	} else if (!strcmp(op, "sleep")) {
		usleep((useconds_t)atoi(arg) * 1000);
		return;
	} else {
		fprintf(stderr, "fl-sc-ops: unknown op '%s'\n", op);
		exit(2);
	}
	us = now_us() - t0;
	if (r < 0)
		n = snprintf(line, sizeof(line), "%s%s %s -%s", who, op, arg, strerrorname_np(errno));
	else
		n = snprintf(line, sizeof(line), "%s%s %s %ld", who, op, arg, r);
	if (timed)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld", us);
	line[n++] = '\n';
	if (write(out, line, (size_t)n) != n)
		exit(3);
}

int main(int argc, char **argv)
{
	int i = 1, repeat = 1;
	pid_t child = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-t"))
			timed = 1;
		else if (!strcmp(argv[i], "-f") && i + 1 < argc)
			out = atoi(argv[++i]);
	}
	for (; i < argc; i++) {
		char op[32];
		const char *colon = strchr(argv[i], ':');
		const char *arg = colon ? colon + 1 : "-";
		size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);

		snprintf(op, sizeof(op), "%.*s", (int)len, argv[i]);
		if (!strcmp(op, "fork")) {
			child = fork();
			if (child == 0) {
				who = "c";
				continue;
			}
			while (i + 1 < argc && strcmp(argv[i + 1], "end") && strcmp(argv[i + 1], "end:-"))
				i++;
			i++;
			continue;
		}
		if (!strcmp(op, "end"))
			break;
		if (!strcmp(op, "loop")) {
			repeat = atoi(arg);
			continue;
		}
		for (int k = 0; k < repeat; k++)
			run(op, arg);
		repeat = 1;
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	return 0;
}
