// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bystander.h"

/* Shared with the child through an anonymous shared mapping. */
struct shared {
	volatile int stop;
	uint64_t calls, faults, max_ns;
	int first_errno;
};

struct fl_bystander {
	pid_t pid;
	struct shared *sh;
	char file[PATH_MAX];  /* the child's file: removed by stop, however the child ended */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int one_call(const struct fl_bystander_opts *o, const char *file, int fd)
{
	static char block[4096];
	int r;

	switch (o->op) {
	case FL_BYSTANDER_OPENAT_CLOSE:
		r = openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
		if (r < 0)
			return -errno;
		return close(r) < 0 ? -errno : 0;
	case FL_BYSTANDER_FSYNC:
		if (pwrite(fd, "x", 1, 0) != 1)
			return -errno;
		return fsync(fd) < 0 ? -errno : 0;
	case FL_BYSTANDER_WRITE:
		return pwrite(fd, block, sizeof(block), 0) == sizeof(block) ? 0 : -errno;
	case FL_BYSTANDER_GETPID:
		return getpid() > 0 ? 0 : -EINVAL;
	case FL_BYSTANDER_CUSTOM:
		return o->fn(o->ctx);
	}
	return -EINVAL;
}

static void file_name(char *buf, size_t size, const struct fl_bystander_opts *o, pid_t child)
{
	snprintf(buf, size, "%s/fl-bystander-%d", o->dir ? o->dir : "/tmp", (int)child);
}

static void __attribute__((noreturn))
child_main(const struct fl_bystander_opts *o, struct shared *sh, const char *file)
{
	uint64_t slow = o->slow_ns ? o->slow_ns : 200000000ULL;
	int fd = -1;

	prctl(PR_SET_NAME, "fl-bystander");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		sh->first_errno = errno;
		sh->faults++;
		_exit(1);
	}
	while (!sh->stop) {
		uint64_t t0 = now_ns(), dt;
		int r = one_call(o, file, fd);

		dt = now_ns() - t0;
		__atomic_add_fetch(&sh->calls, 1, __ATOMIC_RELAXED);
		if (dt > sh->max_ns)
			sh->max_ns = dt;
		if (r < 0 || dt > slow) {
			__atomic_add_fetch(&sh->faults, 1, __ATOMIC_RELAXED);
			if (!sh->first_errno)
				sh->first_errno = r < 0 ? -r : ETIME;
		}
	}
	close(fd);
	_exit(0);
}

int fl_bystander_start(const struct fl_bystander_opts *opts, struct fl_bystander **ret)
{
	struct fl_bystander *b;
	int err;

	if (!opts || (opts->op == FL_BYSTANDER_CUSTOM && !opts->fn))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->sh = mmap(NULL, sizeof(*b->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b->sh == MAP_FAILED) {
		err = -errno;
		free(b);
		return err;
	}
	b->pid = fork();
	if (b->pid < 0) {
		err = -errno;
		munmap(b->sh, sizeof(*b->sh));
		free(b);
		return err;
	}
	file_name(b->file, sizeof(b->file), opts, b->pid ? b->pid : getpid());
	if (b->pid == 0)
		child_main(opts, b->sh, b->file);
	*ret = b;
	return 0;
}

pid_t fl_bystander_pid(const struct fl_bystander *b)
{
	return b->pid;
}

int fl_bystander_stop(struct fl_bystander *b, struct fl_bystander_stats *ret)
{
	struct fl_bystander_stats s = { 0 };
	int status = 0;
	pid_t r = 0;

	b->sh->stop = 1;
	for (int i = 0; i < 2000 && r == 0; i++) {
		r = waitpid(b->pid, &status, WNOHANG);
		if (r == 0)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	if (r == 0) {
		/* Stuck (stopped, or delayed forever): that is a fault too. */
		kill(b->pid, SIGKILL);
		waitpid(b->pid, &status, 0);
		s.faults++;
		s.signal = SIGKILL;
	} else if (WIFSIGNALED(status)) {
		s.faults++;
		s.signal = WTERMSIG(status);
	}
	s.calls += b->sh->calls;
	s.faults += b->sh->faults;
	s.first_errno = b->sh->first_errno;
	s.max_ns = b->sh->max_ns;
	/* A child that was killed (the fault under test, or the stuck case above) left it. */
	unlink(b->file);
	munmap(b->sh, sizeof(*b->sh));
	free(b);
	if (ret)
		*ret = s;
	return 0;
}
