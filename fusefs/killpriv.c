// SPDX-License-Identifier: GPL-2.0-only
/*
 * FUSE_HANDLE_KILLPRIV_V2 through libfuse's custom io: see killpriv.h.
 *
 * The kernel's side (fs/fuse, 6.x), which decides what is left to us:
 *   - INIT reply with the flag: fc->handle_killpriv_v2, and SB_NOSEC, so
 *     file_remove_privs() marks an inode S_NOSEC once it found neither
 *     set-ID bits nor security.capability; every attribute refresh
 *     (fuse_change_attributes_common) clears S_NOSEC again, and so does a
 *     security.* setxattr (VFS).
 *   - its own kill setattr (ATTR_KILL_SUID/SGID) becomes nothing
 *     (fuse_setattr), so set-ID bits are ours to clear on: WRITE with
 *     FUSE_WRITE_KILL_SUIDGID (caller without CAP_FSETID; direct I/O sets
 *     it on every mount), SETATTR with FATTR_KILL_SUIDGID (truncate by a
 *     caller without CAP_FSETID, any chown of a non-directory), OPEN and
 *     CREATE with FUSE_OPEN_KILL_SUIDGID (O_TRUNC, not O_EXCL, without
 *     CAP_FSETID). fallocate gets no flag: ffs_killpriv_fallocate.
 *   - security.capability stays the kernel's while S_NOSEC is off (it
 *     asks and sends REMOVEXATTR); while it is on, the backing write,
 *     truncate or chown removes it (the backing kernel does, for root too).
 *
 * libfuse 3.14's side: with a custom io it calls our read for every
 * request (no splice read: FUSE_CAP_SPLICE_READ needs splice_receive,
 * which we leave out, and passthrough.c turns it off anyway) and then
 * processes that buffer on the same thread (fuse_do_work, and
 * fuse_session_loop for -s), with clone_fd too (our fd argument is the
 * worker's channel); replies go through our writev, spliced read replies
 * through our splice_send (without it, SPLICE_WRITE would not be offered).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fstat_lite.h"
#include "killpriv.h"
#include "ops.h"

#ifndef CAP_FSETID
#define CAP_FSETID 4
#endif

/*
 * The kill bits of the request this thread read last. libfuse 3.14 drops
 * them (write_flags, open_flags, FATTR_KILL_SUIDGID), and the worker that
 * reads a request processes it right after, before reading another: so
 * per thread, the last request read is the one being handled. opcode and
 * nodeid are kept so a handler can never take another request's bits.
 */
static __thread struct {
	uint32_t opcode;
	uint64_t nodeid;
	bool kill;
} cur;

static void note_request(struct ffs *fs, const void *buf, ssize_t n)
{
	const struct fuse_in_header *h = buf;
	const char *arg = (const char *)buf + sizeof(*h);
	size_t len = n > (ssize_t)sizeof(*h) ? (size_t)n - sizeof(*h) : 0;

	cur.opcode = 0;
	cur.kill = false;
	if (n < (ssize_t)sizeof(*h))
		return;
	cur.opcode = h->opcode;
	cur.nodeid = h->nodeid;
	if (h->opcode == FUSE_INIT) {
		const struct fuse_init_in *in = (const void *)arg;

		/* Only the first 16 bytes are as old as FUSE 7.6; flags is in them. */
		if (len >= offsetof(struct fuse_init_in, flags) + sizeof(in->flags) &&
		    (in->flags & FUSE_HANDLE_KILLPRIV_V2))
			__atomic_store_n(&fs->killpriv_init, h->unique, __ATOMIC_RELEASE);
		return;
	}
	if (!__atomic_load_n(&fs->killpriv_v2, __ATOMIC_ACQUIRE))
		return;
	switch (h->opcode) {
	case FUSE_WRITE:
		if (len >= sizeof(struct fuse_write_in))
			cur.kill = ((const struct fuse_write_in *)arg)->write_flags &
				   FUSE_WRITE_KILL_SUIDGID;
		break;
	case FUSE_SETATTR:
		if (len >= sizeof(struct fuse_setattr_in))
			cur.kill = ((const struct fuse_setattr_in *)arg)->valid & FATTR_KILL_SUIDGID;
		break;
	case FUSE_OPEN:
		if (len >= sizeof(struct fuse_open_in))
			cur.kill = ((const struct fuse_open_in *)arg)->open_flags &
				   FUSE_OPEN_KILL_SUIDGID;
		break;
	case FUSE_CREATE:
		if (len >= sizeof(struct fuse_create_in))
			cur.kill = ((const struct fuse_create_in *)arg)->open_flags &
				   FUSE_OPEN_KILL_SUIDGID;
		break;
	}
}

static ssize_t kp_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);

	note_request(userdata, buf, n);
	return n;
}

/* The INIT reply (libfuse sends header + fuse_init_out as two iovecs): add the flag. */
static ssize_t kp_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct ffs *fs = userdata;
	uint64_t init = __atomic_load_n(&fs->killpriv_init, __ATOMIC_ACQUIRE);
	const struct fuse_out_header *oh = iov[0].iov_base;
	struct fuse_init_out out;
	struct iovec patched[2];

	if (!init || count != 2 || iov[0].iov_len < sizeof(*oh) || oh->unique != init)
		return writev(fd, iov, count);
	__atomic_store_n(&fs->killpriv_init, 0, __ATOMIC_RELEASE);
	if (oh->error || iov[1].iov_len < offsetof(struct fuse_init_out, flags) + sizeof(out.flags) ||
	    iov[1].iov_len > sizeof(out))
		return writev(fd, iov, count);
	memcpy(&out, iov[1].iov_base, iov[1].iov_len);
	out.flags |= FUSE_HANDLE_KILLPRIV_V2;
	patched[0] = iov[0];
	patched[1] = (struct iovec){ .iov_base = &out, .iov_len = iov[1].iov_len };
	/* Before the reply: the kernel sends nothing else until it has it. */
	__atomic_store_n(&fs->killpriv_v2, true, __ATOMIC_RELEASE);
	return writev(fd, patched, 2);
}

static ssize_t kp_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			      unsigned int flags, void *userdata)
{
	return splice(fdin, offin, fdout, offout, len, flags);
}

int ffs_killpriv_start(struct ffs *fs, struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
		.read = kp_read,
		.writev = kp_writev,
		.splice_send = kp_splice_send,
	};

	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}

bool ffs_killpriv_asked(uint32_t opcode, fuse_ino_t ino)
{
	return cur.kill && cur.opcode == opcode && cur.nodeid == (uint64_t)ino;
}

/* Is gid one of the caller's groups (fsgid or supplementary)? */
static bool caller_in_group(fuse_req_t req, gid_t gid)
{
	gid_t groups[64];
	int n;

	if (fuse_req_ctx(req)->gid == gid)
		return true;
	n = fuse_req_getgroups(req, (int)(sizeof(groups) / sizeof(groups[0])), groups);
	for (int i = 0; i < n && i < (int)(sizeof(groups) / sizeof(groups[0])); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

int ffs_killpriv_clear(fuse_req_t req, int fd)
{
	struct stat st;
	mode_t kill = 0;
	char proc[64];

	if (ffs_fstat_lite(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_mode & S_ISUID)
		kill |= S_ISUID;
	/* setattr_should_drop_sgid(): without group execute it is mandatory locking, kept for members. */
	if ((st.st_mode & S_ISGID) &&
	    ((st.st_mode & S_IXGRP) || !caller_in_group(req, st.st_gid)))
		kill |= S_ISGID;
	if (!kill)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, st.st_mode & 07777 & ~kill) ? -errno : 1;
}

/* CapEff of the caller's thread has CAP_FSETID (capable() in our user namespace). */
static bool caller_has_fsetid(fuse_req_t req)
{
	char path[64], line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)fuse_req_ctx(req)->pid);
	f = fopen(path, "re");
	if (!f)
		return true;  /* gone or hidden: keep the bits, as without v2's help */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return !found || (eff & (1ULL << CAP_FSETID));
}

int ffs_killpriv_fallocate(fuse_req_t req, int fd)
{
	struct stat st;

	if (!__atomic_load_n(&ffs_of(req)->killpriv_v2, __ATOMIC_ACQUIRE))
		return 0;
	if (ffs_fstat_lite(fd, &st))
		return -errno;
	if (!(st.st_mode & (S_ISUID | S_ISGID)) || caller_has_fsetid(req))
		return 0;
	return ffs_killpriv_clear(req, fd);
}
