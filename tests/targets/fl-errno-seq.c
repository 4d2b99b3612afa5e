// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-errno-seq [OPTIONS] SYSCALL N [FILE...]: make N calls of one syscall
 * and print one line per call as soon as it returns,
 *
 *   I RESULT [US]
 *
 * I counts from 1; RESULT is the errno name (EIO) of a failed call, "ok"
 * for a call that returns a new fd (closed at once), else the return value.
 * Call I uses FILE number (I-1) % NFILES, so rules with path= can be aimed
 * at some calls only. Each line is one write(2), so everything printed
 * before a crash point is in the output. The same run under strace
 * --inject and under faultline must print the same lines.
 *
 *   SYSCALL  openat, open (SYS_open: the dynamic loader never calls it),
 *            fsync, fdatasync (FILEs opened before the first call),
 *            mkdir, unlink, getppid, socket (UDP, closed), bind (a new UDP
 *            socket to 127.0.0.1:0), connect (one UDP socket to 127.0.0.1:9)
 *   -t       append the call's duration in microseconds
 *   -i MS    sleep MS milliseconds between calls
 *   -c COMM  set the thread's comm (PR_SET_NAME) before the first call
 *   -F       make each call in a fresh child; a child killed by a signal
 *            prints "I SIGNAME" (from the parent); exit status 0
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 16

static const char *sc;
static char **files;
static int n_files, fds[MAX_FILES], udp = -1;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void say(const char *line, int n)
{
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		_exit(3);
}

static void inet_lo(struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* One call; returns its result, or -1 with errno set. *fd_out: it made an fd. */
static long one_call(int i, int *fd_out)
{
	const char *file = n_files ? files[(i - 1) % n_files] : "/dev/null";
	int fd = n_files ? fds[(i - 1) % n_files] : -1;
	struct sockaddr_in sa;
	long r;

	*fd_out = 0;
	if (!strcmp(sc, "openat")) {
		*fd_out = 1;
		return syscall(SYS_openat, AT_FDCWD, file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	} else if (!strcmp(sc, "open")) {
		*fd_out = 1;
		return syscall(SYS_open, file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	} else if (!strcmp(sc, "fsync")) {
		return syscall(SYS_fsync, fd);
	} else if (!strcmp(sc, "fdatasync")) {
		return syscall(SYS_fdatasync, fd);
	} else if (!strcmp(sc, "mkdir")) {
		return syscall(SYS_mkdir, file, 0755);
	} else if (!strcmp(sc, "unlink")) {
		return syscall(SYS_unlink, file);
	} else if (!strcmp(sc, "getppid")) {
		return syscall(SYS_getppid);
	} else if (!strcmp(sc, "socket")) {
		*fd_out = 1;
		return syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	} else if (!strcmp(sc, "bind")) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), saved;

		if (s < 0)
			return -1;
		inet_lo(&sa, 0);
		r = syscall(SYS_bind, s, &sa, sizeof(sa));
		saved = errno;
		close(s);
		errno = saved;
		return r;
	} else if (!strcmp(sc, "connect")) {
		inet_lo(&sa, 9);
		return syscall(SYS_connect, udp, &sa, sizeof(sa));
	}
	fprintf(stderr, "fl-errno-seq: unknown syscall '%s'\n", sc);
	exit(2);
}

static int result_text(long r, int made_fd, char *buf, size_t len)
{
	if (r < 0)
		return snprintf(buf, len, "%s", strerrorname_np(errno));
	if (made_fd) {
		close((int)r);
		return snprintf(buf, len, "ok");
	}
	return snprintf(buf, len, "%ld", r);
}

int main(int argc, char **argv)
{
	const char *comm = NULL;
	int opt, timed = 0, interval_ms = 0, forking = 0;
	char line[256], res[64];
	long n;

	while ((opt = getopt(argc, argv, "+ti:c:F")) != -1) {
		switch (opt) {
		case 't':
			timed = 1;
			break;
		case 'i':
			interval_ms = atoi(optarg);
			break;
		case 'c':
			comm = optarg;
			break;
		case 'F':
			forking = 1;
			break;
		default:
			fprintf(stderr, "usage: fl-errno-seq [-t] [-i MS] [-c COMM] [-F] SYSCALL N "
					"[FILE...]\n");
			return 2;
		}
	}
	if (argc - optind < 2 || (n = atol(argv[optind + 1])) <= 0 ||
	    argc - optind - 2 > MAX_FILES) {
		fprintf(stderr, "fl-errno-seq: need SYSCALL N [FILE...] (N > 0, at most %d files)\n",
			MAX_FILES);
		return 2;
	}
	sc = argv[optind];
	files = argv + optind + 2;
	n_files = argc - optind - 2;
	if (!strcmp(sc, "fsync") || !strcmp(sc, "fdatasync")) {
		if (!n_files) {
			fprintf(stderr, "fl-errno-seq: %s needs a FILE\n", sc);
			return 2;
		}
		for (int i = 0; i < n_files; i++) {
			fds[i] = open(files[i], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
			if (fds[i] < 0) {
				fprintf(stderr, "fl-errno-seq: open %s: %m\n", files[i]);
				return 1;
			}
		}
	}
	if (!strcmp(sc, "connect")) {
		udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp < 0)
			return 1;
	}
	if (comm)
		prctl(PR_SET_NAME, comm);

	for (long i = 1; i <= n; i++) {
		long long t0 = now_us();
		int len, made_fd, status;

		if (forking) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (pid == 0) {
				long r = one_call((int)i, &made_fd);

				result_text(r, made_fd, res, sizeof(res));
				len = snprintf(line, sizeof(line), "%ld %s\n", i, res);
				say(line, len);
				_exit(0);
			}
			if (waitpid(pid, &status, 0) != pid)
				return 1;
			if (WIFSIGNALED(status)) {
				len = snprintf(line, sizeof(line), "%ld SIG%s\n", i,
					       sigabbrev_np(WTERMSIG(status)) ?: "?");
				say(line, len);
			}
		} else {
			long r = one_call((int)i, &made_fd);
			long long us = now_us() - t0;

			result_text(r, made_fd, res, sizeof(res));
			if (timed)
				len = snprintf(line, sizeof(line), "%ld %s %lld\n", i, res, us);
			else
				len = snprintf(line, sizeof(line), "%ld %s\n", i, res);
			say(line, len);
		}
		if (interval_ms && i < n)
			usleep((useconds_t)interval_ms * 1000);
	}
	return 0;
}
