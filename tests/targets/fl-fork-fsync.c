// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-fork-fsync FILE: forks one child that appends a line to FILE and
 * fsyncs it; the parent itself makes no fsync. Exit status: 0 when the
 * child exited 0, 100+N when the child was killed by signal N, 1 on error.
 * Tests use it to prove that a target's children are targets too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: fl-fork-fsync FILE\n");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, "child\n", 6) != 6 || fsync(fd))
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
