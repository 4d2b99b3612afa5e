// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-demo-writer FILE N: a tiny append-only log. Appends N records
 * "record I\n", each followed by fsync(2), and prints "acked I" only after
 * that fsync returned: an acknowledgement promises the record is durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char rec[64];
	long n;
	int fd;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: fl-demo-writer FILE N\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fl-demo-writer: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* Unbuffered acks: each one is on stdout the moment it is promised. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (long i = 1; i <= n; i++) {
		int len = snprintf(rec, sizeof(rec), "record %ld\n", i);

		if (write(fd, rec, (size_t)len) != len) {
			fprintf(stderr, "fl-demo-writer: write: %s\n", strerror(errno));
			return 1;
		}
		if (fsync(fd)) {
			fprintf(stderr, "fl-demo-writer: fsync: %s\n", strerror(errno));
			return 1;
		}
		printf("acked %ld\n", i);
	}
	close(fd);
	return 0;
}
