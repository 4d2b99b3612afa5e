/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the request being served already knows, handed between its steps
 * on the worker thread that serves it, so that no step asks the kernel
 * again: the identity of the directory the request names (its inode is
 * held by the kernel for as long as the request lasts, so its O_PATH fd
 * names it), and the entry a create just made (an O_PATH fd and its stat,
 * taken under the journal lock right after the create, which the lookup
 * answering the create takes instead of opening and stating the name
 * again), and the open file a data request came with (its fi->fh is an
 * open fd of that same inode, so the engine knows which file it is without
 * a stat). All last one request: ffs_op_begin() sets the first,
 * ffs_op_end() forgets them. Per thread, no lock.
 */
#ifndef FAULTFS_DUR_HINT_H
#define FAULTFS_DUR_HINT_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The request's directory: fd is the O_PATH fd of (dev, ino) until ffs_dur_hint_end(). */
void ffs_dur_hint_dir(int fd, dev_t dev, ino_t ino);

/* fd is the request's open file: an open fd of the inode set by ffs_dur_hint_dir(). */
void ffs_dur_hint_file(int fd);

/* The request is over: forget the directory, close an entry nobody took. */
void ffs_dur_hint_end(void);

/*
 * The entry just made at dirfd/name, if this request made it: its O_PATH
 * fd (the caller's now) and, when *ret_have_st, its stat. false: look it
 * up as usual.
 */
bool ffs_dur_take_created(int dirfd, const char *name, int *ret_fd, struct stat *ret_st,
			  bool *ret_have_st);

/* The entry just made changed (its owner): its stat is stale, the fd stays good. */
void ffs_dur_created_changed(void);

/* Inside the engine: (dev, ino) of dirfd, from the hint or fstat. 0 or -errno. */
int dur_dir_id(int dirfd, dev_t *ret_dev, ino_t *ret_ino);

/* Inside the engine: (dev, ino) of fd if it is the request's open file (no syscall). */
bool dur_file_id(int fd, dev_t *ret_dev, ino_t *ret_ino);

/*
 * Inside the engine: whether an entry made in dirfd would be handed on:
 * only in the request's own directory, so that ffs_op_end() always
 * forgets it (the engine's own callers, tests among them, hand nothing).
 */
bool dur_created_wanted(int dirfd);

/* Inside the engine: remember the entry just made (takes fd; NAME_MAX names only). */
void dur_created_put(int dirfd, const char *name, int fd, const struct stat *st);

#endif /* FAULTFS_DUR_HINT_H */
