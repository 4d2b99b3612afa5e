// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The writer process of the built-in stores (file:, sqlite:): "the
 * service" a session kills or power-cuts. It is forked, keeps nothing of
 * the controller but the spec, and serves the line protocol on an abstract
 * unix socket named after its pid, a thread per connection. Its children:
 * none, so moving it into a cgroup after the fork is enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "adapter.h"

#define START_TIMEOUT_MS 5000
#define RESET_TIMEOUT_MS 30000
#define REPORT_FD        3

struct serve {
	struct fl_workload *w;
	const struct fl_wl_store_ops *ops;
	void *store;
};

struct session {
	struct serve *sv;
	int fd;
};

static socklen_t writer_addr(pid_t pid, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* Abstract: sun_path[0] == 0, gone with the process, nothing to clean. */
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "faultline-rpo-writer.%d",
		     (int)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* --- inside the writer ---------------------------------------------------- */

static int answer(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int answer(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* Reasons are free text but one line. */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	return fl_wl_send_all(fd, line, n, 0, NULL);
}

struct read_ctx {
	int fd;
	char *buf;
	size_t cap;
};

static int send_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct read_ctx *r = ctx;
	size_t need = 2 + 21 + 2 * len + 1, n;

	if (r->cap < need) {
		char *b = realloc(r->buf, need);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = need;
	}
	n = snprintf(r->buf, r->cap, "R %" PRIu64 " ", id);
	fl_wl_hex_encode(r->buf + n, payload, len);
	n += 2 * len;
	r->buf[n++] = '\n';
	return fl_wl_send_all(r->fd, r->buf, n, 0, NULL);
}

static int serve_write(struct serve *sv, void *th, int fd, char *line, size_t len)
{
	char *arg = line + 2, *sp = memchr(arg, ' ', len - 2);
	char why[256] = "";
	enum fl_op_outcome o;
	uint64_t id = 0;
	void *payload = NULL;
	size_t plen = 0;
	int err;

	err = fl_wl_parse_record(arg, len - 2, &id, &payload, &plen);
	if (err) {
		/* Echo what stood for an id, so the client still matches the answer. */
		return answer(fd, "FAIL %.*s malformed request", sp ? (int)(sp - arg) : 0, arg);
	}
	if (!th)
		return answer(fd, "FAIL %" PRIu64 " the store is not open on this connection", id);
	o = sv->ops->append(sv->store, th, id, payload, plen, why, sizeof(why));
	free(payload);
	if (o == FL_OP_OK)
		return answer(fd, "OK %" PRIu64, id);
	return answer(fd, "%s %" PRIu64 " %s", o == FL_OP_FAIL ? "FAIL" : "UNKNOWN", id,
		      why[0] ? why : "error");
}

static void *session_main(void *arg)
{
	struct session *s = arg;
	struct serve *sv = s->sv;
	char *rbuf = NULL, *line, why[256] = "";
	size_t rlen = 0, roff = 0, rcap = 0, len;
	void *th = NULL;
	int err = 0;

	if (sv->ops->thread_open(sv->store, &th, why, sizeof(why)))
		th = NULL;
	while (!err && !fl_wl_readline(s->fd, &rbuf, &rlen, &roff, &rcap, 0, &line, &len)) {
		if (!strcmp(line, "PING")) {
			err = answer(s->fd, "PONG");
		} else if (!strncmp(line, "W ", 2)) {
			err = serve_write(sv, th, s->fd, line, len);
		} else if (!strcmp(line, "RESET")) {
			char rwhy[256] = "";

			if (!th)
				err = answer(s->fd, "ERR %s", why);
			else if (sv->ops->reset(sv->store, th, rwhy, sizeof(rwhy)))
				err = answer(s->fd, "ERR %s", rwhy);
			else
				err = answer(s->fd, "OK");
		} else if (!strcmp(line, "READ")) {
			struct read_ctx r = { .fd = s->fd };
			char rwhy[256] = "";

			err = sv->w->ad->read_all(sv->w, send_record, &r, rwhy, sizeof(rwhy));
			free(r.buf);
			err = err ? answer(s->fd, "ERR %s", rwhy) : answer(s->fd, "END");
		} else {
			err = answer(s->fd, "ERR unknown request");
		}
	}
	if (th)
		sv->ops->thread_close(th);
	free(rbuf);
	close(s->fd);
	free(s);
	return NULL;
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)!write(REPORT_FD, line, n);
}

static void reset_process(pid_t parent, int report_fd)
{
	sigset_t none;
	int fd;

	/*
	 * Die with the controller: a stray writer would hold the store. (The
	 * signal follows the thread that forked, hence the note in workload.h.)
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "fl-rpo-writer");
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nothing of the controller's but stdout and stderr. */
	if (report_fd != REPORT_FD) {
		dup2(report_fd, REPORT_FD);
		close(report_fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (close_range(REPORT_FD + 1, ~0u, 0))
		for (int i = REPORT_FD + 1; i < 1024; i++)
			close(i);
}

static __attribute__((noreturn)) void writer_main(struct fl_workload *w, pid_t parent,
						  int report_fd)
{
	struct serve sv = { .w = w, .ops = w->ad->store };
	char why[400] = "";
	struct sockaddr_un sa;
	socklen_t salen;
	pthread_attr_t attr;
	int lfd, err;

	reset_process(parent, report_fd);
	err = sv.ops->open(w, &sv.store, why, sizeof(why));
	if (err) {
		report("%d %s\n", err, why[0] ? why : strerror(-err));
		_exit(1);
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	salen = writer_addr(getpid(), &sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, salen) || listen(lfd, 128)) {
		err = -errno;
		report("%d writer socket: %s\n", err, strerror(-err));
		_exit(1);
	}
	report("0 ready\n");
	close(REPORT_FD);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		struct session *s;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOMEM)
				continue;
			_exit(2);
		}
		s = malloc(sizeof(*s));
		if (!s || (*s = (struct session){ &sv, fd },
			   pthread_create(&t, &attr, session_main, s))) {
			free(s);
			close(fd);
		}
	}
}

/* --- in the controller ---------------------------------------------------- */

static int connect_writer(struct fl_workload *w, int *ret_fd)
{
	pid_t pid = atomic_load(&w->writer);
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, err;

	if (!pid)
		return -ECONNREFUSED;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	salen = writer_addr(pid, &sa);
	if (connect(fd, (struct sockaddr *)&sa, salen)) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int fl_wl_serve_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
			size_t errlen)
{
	struct fl_wl_pconn *pc;
	int fd = -1, err;

	err = connect_writer(w, &fd);
	if (err)
		return fl_wl_err(w, err, errbuf, errlen, "the writer: %s", strerror(-err));
	pc = fl_wl_pconn_new(w, fd, 0);
	if (!pc) {
		close(fd);
		return -ENOMEM;
	}
	*ret = &pc->base;
	return 0;
}

enum fl_op_outcome fl_wl_serve_write(struct fl_wl_conn *c, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err)
{
	return fl_wl_pconn_write((struct fl_wl_pconn *)c, id, payload, len, timeout_ms, ret_err);
}

void fl_wl_serve_disconnect(struct fl_wl_conn *c)
{
	fl_wl_pconn_close((struct fl_wl_pconn *)c);
}

static int request(struct fl_workload *w, const char *req, const char *want, int timeout_ms,
		   char *errbuf, size_t errlen)
{
	struct fl_wl_conn *c;
	int err;

	err = fl_wl_serve_connect(w, &c, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_pconn_simple((struct fl_wl_pconn *)c, req, want, timeout_ms, errbuf, errlen);
	fl_wl_serve_disconnect(c);
	return err;
}

int fl_wl_serve_ping(struct fl_workload *w, int timeout_ms)
{
	return request(w, "PING", "PONG", timeout_ms, NULL, 0);
}

int fl_wl_serve_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	const struct fl_wl_store_ops *ops = w->ad->store;
	void *store = NULL, *th = NULL;
	int err;

	if (atomic_load(&w->writer))
		return request(w, "RESET", "OK", RESET_TIMEOUT_MS, errbuf, errlen);
	/* No writer: the controller empties the store itself. */
	err = ops->open(w, &store, errbuf, errlen);
	if (err)
		return err;
	err = ops->thread_open(store, &th, errbuf, errlen);
	if (!err) {
		err = ops->reset(store, th, errbuf, errlen);
		ops->thread_close(th);
	}
	ops->close(store);
	return err;
}

/* The writer's first line: "0 ready" or "-errno reason". */
static int wait_ready(struct fl_workload *w, pid_t pid, int fd, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_now_ns() + START_TIMEOUT_MS * 1000000ull;
	char line[512];
	size_t n = 0;
	int err;

	for (;;) {
		uint64_t now = fl_now_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (now >= deadline)
			return fl_wl_err(w, -ETIMEDOUT, errbuf, errlen,
					 "the writer did not start within %d ms", START_TIMEOUT_MS);
		if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) < 0 && errno != EINTR)
			return -errno;
		if (!p.revents)
			continue;
		k = read(fd, line + n, sizeof(line) - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += k;
		if (memchr(line, '\n', n) || n == sizeof(line) - 1)
			break;
	}
	line[n] = '\0';
	if (!n)
		return fl_wl_err(w, -ECHILD, errbuf, errlen, "the writer (pid %d) exited at start",
				 (int)pid);
	line[strcspn(line, "\n")] = '\0';
	err = (int)strtol(line, NULL, 10);
	if (err >= 0)
		return 0;
	/* The writer's reason already names the scheme. */
	return fl_wl_err(NULL, err, errbuf, errlen, "%s",
			 strchr(line, ' ') ? strchr(line, ' ') + 1 : line);
}

int fl_wl_serve_start(struct fl_workload *w, pid_t *ret_pid, char *errbuf, size_t errlen)
{
	pid_t parent = getpid(), pid = atomic_load(&w->writer);
	int p[2], err;

	if (pid)
		return fl_wl_err(w, -EBUSY, errbuf, errlen,
				 "the writer is already running (pid %d)", (int)pid);
	if (pipe2(p, O_CLOEXEC))
		return fl_wl_err(w, -errno, errbuf, errlen, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return fl_wl_err(w, err, errbuf, errlen, "fork: %s", strerror(-err));
	}
	if (pid == 0) {
		close(p[0]);
		writer_main(w, parent, p[1]);
	}
	close(p[1]);
	err = wait_ready(w, pid, p[0], errbuf, errlen);
	close(p[0]);
	if (!err) {
		atomic_store(&w->writer, pid);
		err = fl_wl_serve_ping(w, START_TIMEOUT_MS);
		if (err)
			fl_wl_err(w, err, errbuf, errlen, "the writer does not answer PING: %s",
				  strerror(-err));
	}
	if (err) {
		/* Never started from the caller's view: reap it here. */
		atomic_store(&w->writer, 0);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	*ret_pid = pid;
	return 0;
}
