// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel durability timeline: load bpf/rpo_timeline.bpf.c with the
 * data directory's identities, watch the pids the caller adds (and their
 * children), and turn the ring buffer's records into a list of events
 * with paths relative to the data directory. The BPF links are owned by
 * the skeleton's fds only, so nothing outlives the process that opened it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <faultline/timeline.h>
#include "rpo_timeline.skel.h"

/* More than this many events are counted as lost rather than kept (~1.4 GB). */
#define MAX_EVENTS (1u << 22)
/* Directories visited when looking for a file by inode. */
#define SCAN_MAX_ENTRIES 20000

struct known {
	uint64_t dev, ino;
	char path[256];
};

struct fl_timeline {
	struct rpo_timeline_bpf *skel;
	struct ring_buffer *rb;
	char root[PATH_MAX];          /* the data directory's real path */
	dev_t root_dev;
	struct fl_tl_event *ev;
	size_t n, cap;
	uint64_t dropped;             /* by us: no memory, or past MAX_EVENTS */
	uint64_t kernel_lost;         /* read at stop */
	bool stopped, io_uring;
	bool uring_ops;               /* the io_uring tracepoint programs are attached */
	pthread_t thread;             /* fl_timeline_start_thread() */
	bool threaded;
	atomic_bool quit;
	int thread_err;
	struct known *known;          /* (dev, ino) -> path, the last ones resolved */
	size_t n_known, cap_known;
};

static const char *syscall_name(uint32_t nr)
{
	switch (nr) {
	case FL_TL_NR_URING + 2: return "io_uring:writev";
	case FL_TL_NR_URING + 3: return "io_uring:fsync";
	case FL_TL_NR_URING + 5: return "io_uring:write_fixed";
	case FL_TL_NR_URING + 8: return "io_uring:sync_file_range";
	case FL_TL_NR_URING + 23: return "io_uring:write";
	case 1: return "write";
	case 18: return "pwrite64";
	case 20: return "writev";
	case 26: return "msync";
	case 74: return "fsync";
	case 75: return "fdatasync";
	case 82: return "rename";
	case 87: return "unlink";
	case 162: return "sync";
	case 263: return "unlinkat";
	case 264: return "renameat";
	case 277: return "sync_file_range";
	case 296: return "pwritev";
	case 306: return "syncfs";
	case 316: return "renameat2";
	case 328: return "pwritev2";
	case 425: return "io_uring_setup";
	case 426: return "io_uring_enter";
	case 427: return "io_uring_register";
	}
	return "?";
}

/* Copy src into dst, truncated to fit. */
static void set_str(char *dst, size_t len, const char *src)
{
	size_t l = strlen(src);

	if (l >= len)
		l = len - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* The kernel's dev_t (MAJOR << 20 | MINOR) in the encoding of st_dev. */
static uint64_t user_dev(uint64_t kdev)
{
	return kdev ? makedev((unsigned)(kdev >> 20), (unsigned)(kdev & 0xfffff)) : 0;
}

static uint64_t kernel_dev(dev_t dev)
{
	return ((uint64_t)major(dev) << 20) | minor(dev);
}

/* Depth-first search of dir for inode ino; rel is dir relative to the root. */
static bool scan(const char *dir, const char *rel, ino_t ino, int depth, unsigned *budget,
		 char *out, size_t len)
{
	DIR *d;
	struct dirent *de;
	bool found = false;

	if (depth > FL_TL_MAX_DEPTH || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d)) && (*budget)-- > 0) {
		char sub[PATH_MAX], subrel[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(subrel, sizeof(subrel), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (de->d_ino == ino) {
			snprintf(out, len, "%s", subrel);
			found = true;
		} else if (de->d_type == DT_DIR) {
			int l = snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);

			if (l > 0 && (size_t)l < sizeof(sub))
				found = scan(sub, subrel, ino, depth + 1, budget, out, len);
		}
	}
	closedir(d);
	return found;
}

static void remember(struct fl_timeline *tl, uint64_t dev, uint64_t ino, const char *path)
{
	struct known *k;

	if (tl->n_known == tl->cap_known) {
		size_t cap = tl->cap_known ? 2 * tl->cap_known : 16;

		k = realloc(tl->known, cap * sizeof(*k));
		if (!k)
			return;
		tl->known = k;
		tl->cap_known = cap;
	}
	k = &tl->known[tl->n_known++];
	k->dev = dev;
	k->ino = ino;
	set_str(k->path, sizeof(k->path), path);
}

static const char *leaf(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/*
 * The path of (dev, ino) relative to the data directory: remembered, or
 * the name directly inside it, or found by a bounded scan; else the
 * kernel's name alone (a file already unlinked or renamed away).
 */
static void resolve(struct fl_timeline *tl, struct fl_tl_event *e, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	unsigned budget = SCAN_MAX_ENTRIES;

	for (size_t i = tl->n_known; i-- > 0;) {
		struct known *k = &tl->known[i];

		/* An inode number is reused after an unlink: trust it only with the same name. */
		if (k->dev == e->dev && k->ino == e->ino && !strcmp(leaf(k->path), name)) {
			set_str(e->path, sizeof(e->path), k->path);
			return;
		}
	}
	set_str(e->path, sizeof(e->path), name);
	if (e->dev != tl->root_dev)
		return;
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", tl->root, name) < sizeof(p) &&
	    lstat(p, &st) == 0 && st.st_ino == e->ino) {
		remember(tl, e->dev, e->ino, name);
		return;
	}
	if (e->ino && scan(tl->root, "", (ino_t)e->ino, 0, &budget, p, sizeof(p))) {
		set_str(e->path, sizeof(e->path), p);
		remember(tl, e->dev, e->ino, p);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct fl_timeline *tl = ctx;
	struct fl_tl_raw r;
	struct fl_tl_event *e;
	char name[FL_TL_NAME_LEN + 1];

	if (size < sizeof(r))
		return 0;
	memcpy(&r, data, sizeof(r));
	memcpy(name, r.name, FL_TL_NAME_LEN);
	name[FL_TL_NAME_LEN] = '\0';
	if (r.kind == FL_TL_IO_URING)
		tl->io_uring = true;
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? 2 * tl->cap : 1024;

		if (cap > MAX_EVENTS || !(e = realloc(tl->ev, cap * sizeof(*e)))) {
			tl->dropped++;
			return 0;
		}
		tl->ev = e;
		tl->cap = cap;
	}
	e = &tl->ev[tl->n];
	memset(e, 0, sizeof(*e));
	e->kind = (enum fl_tl_kind)r.kind;
	e->scope = (enum fl_tl_scope)r.scope;
	e->nr = r.nr;
	e->syscall = syscall_name(r.nr);
	e->pid = (pid_t)r.pid;
	e->tid = (pid_t)r.tid;
	e->fd = r.fd;
	e->dev = user_dev(r.dev);
	e->ino = r.ino;
	e->ret = r.ret;
	e->bytes = r.kind == FL_TL_WRITE && r.ret > 0 ? (uint64_t)r.ret : 0;
	e->enter_ns = r.enter_ns;
	e->exit_ns = r.exit_ns;
	e->offset = (r.flags & FL_TL_F_OFFSET) ? r.offset : -1;
	e->len = r.len;
	e->arg_flags = r.arg_flags;
	e->file_flags = r.file_flags;
	e->flags = r.flags;
	if (r.kind == FL_TL_META) {
		set_str(e->path, sizeof(e->path), name);
		/* The kernel passed absolute paths through: keep those under the directory. */
		if (!fl_tl_meta_under(e, tl->root))
			return 0;
	} else if (r.kind == FL_TL_WRITE || r.kind == FL_TL_BARRIER) {
		if (e->ino)
			resolve(tl, e, name);
		else if (e->dev)
			set_str(e->path, sizeof(e->path), ".");  /* syncfs */
	}
	tl->n++;
	return 0;
}

/*
 * The submission tracepoint is io_uring_submit_req since 6.2 and was
 * io_uring_submit_sqe before; both pass the request first since 5.19.
 */
static int attach_submit(struct rpo_timeline_bpf *skel)
{
	static const char *const names[] = { "io_uring_submit_req", "io_uring_submit_sqe" };
	struct btf *btf = btf__load_vmlinux_btf();
	struct bpf_link *link;
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char tp[64];

		/* Ask BTF first: a failed attach makes libbpf print a warning. */
		snprintf(tp, sizeof(tp), "btf_trace_%s", names[i]);
		if (btf && btf__find_by_name_kind(btf, tp, BTF_KIND_TYPEDEF) < 0)
			continue;
		link = bpf_program__attach_raw_tracepoint(skel->progs.fl_tl_uring_submit, names[i]);
		if (link) {
			/* The skeleton's detach and destroy free it with the others. */
			skel->links.fl_tl_uring_submit = link;
			err = 0;
			break;
		}
		err = -errno;
	}
	btf__free(btf);
	return err;
}

/*
 * Load and attach; with_uring also traces io_uring requests, which needs the
 * io_uring tracepoints and the request's BTF (CONFIG_IO_URING).
 */
static int load(struct fl_timeline *tl, const struct fl_tl_config *cfg, bool with_uring)
{
	int err;

	tl->skel = rpo_timeline_bpf__open();
	if (!tl->skel)
		return errno ? -errno : -EINVAL;
	tl->skel->rodata->cfg = *cfg;
	if (!with_uring) {
		bpf_program__set_autoload(tl->skel->progs.fl_tl_uring_submit, false);
		bpf_program__set_autoload(tl->skel->progs.fl_tl_uring_complete, false);
	}
	bpf_program__set_autoattach(tl->skel->progs.fl_tl_uring_submit, false);
	err = rpo_timeline_bpf__load(tl->skel);
	if (!err && with_uring)
		err = attach_submit(tl->skel);
	if (!err)
		err = rpo_timeline_bpf__attach(tl->skel);
	if (err) {
		rpo_timeline_bpf__destroy(tl->skel);
		tl->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	tl->uring_ops = with_uring;
	return 0;
}

int fl_timeline_open_dirs(const char *const *dirs, size_t n, struct fl_timeline **ret)
{
	struct fl_tl_config cfg;
	struct fl_timeline *tl;
	struct stat st;
	int err;

	if (!dirs || n == 0 || n > FL_TL_MAX_ROOTS)
		return -EINVAL;
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < n; i++) {
		if (stat(dirs[i], &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		cfg.root_dev[i] = kernel_dev(st.st_dev);
		cfg.root_ino[i] = st.st_ino;
	}
	cfg.n_roots = (uint32_t)n;
	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return -ENOMEM;
	if (!realpath(dirs[0], tl->root) || stat(tl->root, &st) < 0) {
		err = -errno;
		goto fail;
	}
	tl->root_dev = st.st_dev;
	err = load(tl, &cfg, true);
	if (err)
		err = load(tl, &cfg, false);
	if (err)
		goto fail;
	tl->rb = ring_buffer__new(bpf_map__fd(tl->skel->maps.events), on_record, tl, NULL);
	if (!tl->rb) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	*ret = tl;
	return 0;
fail:
	fl_timeline_free(tl);
	return err < 0 ? err : -EINVAL;
}

int fl_timeline_open(const char *data_dir, struct fl_timeline **ret)
{
	return fl_timeline_open_dirs(&data_dir, 1, ret);
}

static int add_one(struct fl_timeline *tl, pid_t pid)
{
	uint32_t key = (uint32_t)pid;
	uint8_t one = 1;

	if (bpf_map_update_elem(bpf_map__fd(tl->skel->maps.targets), &key, &one, BPF_ANY) < 0)
		return -errno;
	return 0;
}

/* Children forked before the pid was added: /proc/PID/task/TID/children. */
static void add_children(struct fl_timeline *tl, pid_t pid, int depth)
{
	char path[64], buf[4096];
	DIR *d;
	struct dirent *de;

	if (depth > 16)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *save = NULL;

			for (char *tok = strtok_r(buf, " \n", &save); tok;
			     tok = strtok_r(NULL, " \n", &save)) {
				pid_t c = (pid_t)atoi(tok);

				if (c > 0 && add_one(tl, c) == 0)
					add_children(tl, c, depth + 1);
			}
		}
		fclose(f);
	}
	closedir(d);
}

int fl_timeline_add_pid(struct fl_timeline *tl, pid_t pid)
{
	int err;

	if (!tl || pid <= 0)
		return -EINVAL;
	if (tl->stopped)
		return -ESRCH;
	err = add_one(tl, pid);
	if (err)
		return err;
	add_children(tl, pid, 0);
	return 0;
}

int fl_timeline_fd(const struct fl_timeline *tl)
{
	return tl->rb ? ring_buffer__epoll_fd(tl->rb) : -EBADF;
}

int fl_timeline_poll(struct fl_timeline *tl, int timeout_ms)
{
	int n;

	if (tl->threaded)
		return -EBUSY;
	if (!tl->rb)
		return 0;
	n = ring_buffer__poll(tl->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	/* The kernel side wakes readers only when the ring fills up: take the rest too. */
	if (n >= 0) {
		int more = ring_buffer__consume(tl->rb);

		n = more < 0 ? more : n + more;
	}
	return n;
}

int fl_timeline_consume(struct fl_timeline *tl)
{
	if (tl->threaded)
		return -EBUSY;
	return tl->rb ? ring_buffer__consume(tl->rb) : 0;
}

static void *poller(void *arg)
{
	struct fl_timeline *tl = arg;

	while (!atomic_load(&tl->quit)) {
		int n = ring_buffer__poll(tl->rb, 20);

		if (n >= 0 || n == -EINTR)
			n = ring_buffer__consume(tl->rb);

		if (n < 0 && n != -EINTR) {
			tl->thread_err = n;
			break;
		}
	}
	return NULL;
}

int fl_timeline_start_thread(struct fl_timeline *tl)
{
	int err;

	if (!tl || !tl->rb || tl->threaded)
		return -EINVAL;
	atomic_store(&tl->quit, false);
	err = pthread_create(&tl->thread, NULL, poller, tl);
	if (err)
		return -err;
	tl->threaded = true;
	return 0;
}

static void join_thread(struct fl_timeline *tl)
{
	if (!tl->threaded)
		return;
	atomic_store(&tl->quit, true);
	pthread_join(tl->thread, NULL);
	tl->threaded = false;
}

static uint64_t read_lost(const struct fl_timeline *tl)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;
	uint32_t zero = 0;

	if (ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof(*v))))
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(tl->skel->maps.lost), &zero, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

int fl_timeline_stop(struct fl_timeline *tl)
{
	int n = 0;

	if (!tl || tl->stopped)
		return 0;
	join_thread(tl);
	/* No new records once detached; those already in the ring are taken. */
	rpo_timeline_bpf__detach(tl->skel);
	if (tl->rb)
		n = ring_buffer__consume(tl->rb);
	tl->kernel_lost = read_lost(tl);
	ring_buffer__free(tl->rb);
	tl->rb = NULL;
	rpo_timeline_bpf__destroy(tl->skel);
	tl->skel = NULL;
	tl->stopped = true;
	if (n >= 0 && tl->thread_err)
		n = tl->thread_err;
	return n < 0 ? n : 0;
}

void fl_timeline_free(struct fl_timeline *tl)
{
	if (!tl)
		return;
	join_thread(tl);
	ring_buffer__free(tl->rb);
	rpo_timeline_bpf__destroy(tl->skel);
	free(tl->ev);
	free(tl->known);
	free(tl);
}

const struct fl_tl_event *fl_timeline_events(const struct fl_timeline *tl, size_t *ret_n)
{
	*ret_n = tl->n;
	return tl->ev;
}

uint64_t fl_timeline_lost(const struct fl_timeline *tl)
{
	return tl->dropped + (tl->stopped ? tl->kernel_lost : read_lost(tl));
}

bool fl_timeline_io_uring(const struct fl_timeline *tl)
{
	return tl->io_uring;
}

bool fl_timeline_io_uring_ops(const struct fl_timeline *tl)
{
	return tl->uring_ops;
}
