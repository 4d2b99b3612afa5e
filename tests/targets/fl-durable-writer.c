// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl-durable-writer DATA_DIR OUTSIDE_DIR: a fixed sequence of writes and
 * durability barriers for the kernel durability timeline's test
 * (tests/integration/rpo/test_timeline.c), in this order:
 *
 *   DATA/log:  write 100, write 200, fsync, write 300, fdatasync,
 *              pwrite64 50 @600, sync_file_range(600, 50, WRITE|WAIT_AFTER),
 *              sync_file_range(0, 0, WRITE) (not a barrier),
 *              writev 40+60, (DATA/map) msync(MS_SYNC) of a 4096-byte mapping,
 *              syncfs, rename DATA/tmp -> DATA/final,
 *   child:     write 33 to DATA/child (a forked process; the parent waits)
 *   io_uring:  IORING_OP_WRITE of 44 bytes to DATA/log @900, then
 *              IORING_OP_FSYNC(IORING_FSYNC_DATASYNC)
 *   DATA/log:  write 70, no barrier after it
 *
 * and, interleaved, writes and an fsync on OUTSIDE/other, which must not
 * be recorded. OUTSIDE/result gets "io_uring=ok" or "io_uring=ERRNO" so
 * that the test knows whether the io_uring step ran. Exits 0, or 1 with
 * the failing step on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[4096];

#define CHECK(expr)                                                              \
	do {                                                                     \
		if ((expr) < 0) {                                                \
			fprintf(stderr, "%s: %s\n", #expr, strerror(errno));   \
			exit(1);                                                 \
		}                                                                \
	} while (0)

static int open_in(const char *dir, const char *name, int flags)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return open(p, flags | O_CLOEXEC, 0644);
}

/* A ring through raw syscalls (no liburing-dev here). */
struct ring {
	int fd;
	struct io_uring_sqe *sqes;
	char *sq, *cq;
	struct io_uring_params p;
};

static int ring_open(struct ring *r)
{
	size_t sq_sz, cq_sz;

	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -errno;
	sq_sz = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	cq_sz = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (r->p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	r->sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		return -errno;
	r->cq = r->sq;
	if (!(r->p.features & IORING_FEAT_SINGLE_MMAP)) {
		r->cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			     r->fd, IORING_OFF_CQ_RING);
		if (r->cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(*r->sqes), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	return r->sqes == MAP_FAILED ? -errno : 0;
}

/* Submit one SQE and wait for its completion: its res, or -errno. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned *tail = (unsigned *)(r->sq + r->p.sq_off.tail);
	unsigned mask = *(unsigned *)(r->sq + r->p.sq_off.ring_mask);
	unsigned *array = (unsigned *)(r->sq + r->p.sq_off.array);
	unsigned *chead = (unsigned *)(r->cq + r->p.cq_off.head);
	unsigned idx = *tail & mask;
	struct io_uring_cqe *cqe;
	int res;

	r->sqes[idx] = *sqe;
	array[idx] = idx;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	cqe = (struct io_uring_cqe *)(r->cq + r->p.cq_off.cqes) +
	      (*chead & *(unsigned *)(r->cq + r->p.cq_off.ring_mask));
	res = cqe->res;
	__atomic_store_n(chead, *chead + 1, __ATOMIC_RELEASE);
	return res;
}

/* IORING_OP_WRITE of len bytes at off, then IORING_OP_FSYNC(DATASYNC): 0 or -errno. */
static int uring_write_sync(int fd, const void *data, unsigned len, __u64 off)
{
	struct io_uring_sqe sqe;
	struct ring r;
	int res = ring_open(&r);

	if (res)
		return res;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_WRITE;
	sqe.fd = fd;
	sqe.addr = (__u64)(unsigned long)data;
	sqe.len = len;
	sqe.off = off;
	res = ring_run(&r, &sqe);
	if (res >= 0 && (unsigned)res != len)
		res = -EIO;
	if (res >= 0) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_FSYNC;
		sqe.fd = fd;
		sqe.fsync_flags = IORING_FSYNC_DATASYNC;
		res = ring_run(&r, &sqe);
	}
	close(r.fd);
	return res < 0 ? res : 0;
}

int main(int argc, char **argv)
{
	const char *data, *out;
	struct iovec iov[2];
	char from[4096], to[4096], res[64];
	int log, other, map_fd, t, r;
	char *map;
	pid_t child;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DATA_DIR OUTSIDE_DIR\n", argv[0]);
		return 2;
	}
	data = argv[1];
	out = argv[2];
	memset(buf, 'x', sizeof(buf));
	CHECK(log = open_in(data, "log", O_CREAT | O_WRONLY | O_TRUNC));
	CHECK(other = open_in(out, "other", O_CREAT | O_WRONLY | O_TRUNC));

	CHECK(write(log, buf, 100));
	CHECK(write(other, buf, 11));
	CHECK(write(log, buf, 200));
	CHECK(fsync(log));
	CHECK(fsync(other));
	CHECK(write(log, buf, 300));
	CHECK(fdatasync(log));
	CHECK(pwrite(log, buf, 50, 600));
	CHECK(sync_file_range(log, 600, 50, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
	CHECK(sync_file_range(log, 0, 0, SYNC_FILE_RANGE_WRITE));
	CHECK(lseek(log, 650, SEEK_SET));
	iov[0] = (struct iovec){ buf, 40 };
	iov[1] = (struct iovec){ buf, 60 };
	CHECK(writev(log, iov, 2));
	CHECK(write(other, buf, 12));

	CHECK(map_fd = open_in(data, "map", O_CREAT | O_RDWR | O_TRUNC));
	CHECK(ftruncate(map_fd, 4096));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(map, 'm', 4096);
	CHECK(msync(map, 4096, MS_SYNC));
	CHECK(syncfs(log));

	CHECK(t = open_in(data, "tmp", O_CREAT | O_WRONLY | O_TRUNC));
	close(t);
	snprintf(from, sizeof(from), "%s/tmp", data);
	snprintf(to, sizeof(to), "%s/final", data);
	CHECK(rename(from, to));

	child = fork();
	CHECK(child);
	if (child == 0) {
		int c = open_in(data, "child", O_CREAT | O_WRONLY | O_TRUNC);

		_exit(c >= 0 && write(c, buf, 33) == 33 ? 0 : 1);
	}
	if (waitpid(child, &r, 0) != child || !WIFEXITED(r) || WEXITSTATUS(r) != 0) {
		fprintf(stderr, "child failed\n");
		return 1;
	}

	r = uring_write_sync(log, buf, 44, 900);
	snprintf(res, sizeof(res), "io_uring=%s\n", r ? strerrorname_np(-r) : "ok");
	CHECK(t = open_in(out, "result", O_CREAT | O_WRONLY | O_TRUNC));
	CHECK(write(t, res, strlen(res)));
	close(t);

	CHECK(lseek(log, 0, SEEK_END));
	CHECK(write(log, buf, 70));
	return 0;
}
