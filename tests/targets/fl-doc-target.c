// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-doc-target DIR SECONDS: the running process that the documentation's
 * --pid, --comm and --cgroup examples act on (tests/integration/docs).
 * Every 5 ms it appends to DIR/target.log with write(2), fsync(2) and
 * fdatasync(2), and tries connect(2) to 127.0.0.1 port 1 (refused: nothing
 * listens there, and nothing leaves loopback). It ignores the errors the
 * examples inject and exits by itself after SECONDS.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(1) };
	const struct timespec nap = { .tv_nsec = 5 * 1000 * 1000 };
	char path[4096];
	double end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fl-doc-target DIR SECONDS\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	snprintf(path, sizeof(path), "%s/target.log", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
	while (now() < end) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s >= 0) {
			(void)!connect(s, (struct sockaddr *)&peer, sizeof(peer));
			close(s);
		}
		(void)!write(fd, "x\n", 2);
		fsync(fd);
		fdatasync(fd);
		nanosleep(&nap, NULL);
	}
	close(fd);
	return 0;
}
