// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real redis-server, PostgreSQL and MariaDB servers for the tests: the
 * library's managed services (postgres:local, ... in <faultline/workload.h>:
 * config, initdb, a free port on 127.0.0.1, the package's user under
 * setpriv), with their data directory in a /tmp directory of the test's
 * own (ext4 here, so fsync costs what it costs). What is the fixture's:
 * starting one in the background until it answers, a watcher for a test
 * that dies, stopping it immediately.
 * Servers chdir into their data directory (both do), which is how every
 * process left from one is found at the end, however it was started.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/workload.h>

#include "fixtures.h"
#include "services.h"

#define REDIS_SERVER "/usr/bin/redis-server"
#define MARIADBD     "/usr/sbin/mariadbd"
#define PG_BIN_GLOB  "/usr/lib/postgresql/*/bin/postgres"
#define MAX_SVC      16

/* Copies, not pointers: a test's struct may be gone when exit comes. */
static struct {
	bool used;
	char root[FL_SVC_PATH];
	char data[FL_SVC_PATH];
	struct fl_wl_managed *managed;
} registry[MAX_SVC];
static pid_t owner;


static void destroy_all(void)
{
	if (getpid() != owner)
		return;
	for (int i = 0; i < MAX_SVC; i++) {
		if (!registry[i].used)
			continue;
		fl_wl_managed_free(registry[i].managed);
		char *argv[] = { "rm", "-rf", registry[i].root, NULL };
		fl_fixture_cmd(argv);
		registry[i].used = false;
	}
}

static void reg(const struct fl_service *s)
{
	if (!owner) {
		owner = getpid();
		atexit(destroy_all);
	}
	for (int i = 0; i < MAX_SVC; i++) {
		if (!registry[i].used) {
			registry[i].used = true;
			snprintf(registry[i].root, sizeof(registry[i].root), "%s", s->root);
			snprintf(registry[i].data, sizeof(registry[i].data), "%s", s->data);
			registry[i].managed = NULL;
			return;
		}
	}
}

/* The server's files, once the library has made them: thrown away at exit too. */
static void reg_managed(const struct fl_service *s)
{
	for (int i = 0; i < MAX_SVC; i++)
		if (registry[i].used && !strcmp(registry[i].root, s->root))
			registry[i].managed = s->managed;
}

static void unreg(const struct fl_service *s)
{
	for (int i = 0; i < MAX_SVC; i++)
		if (registry[i].used && !strcmp(registry[i].root, s->root))
			registry[i].used = false;
}

const char *fl_service_name(enum fl_svc_kind kind)
{
	static const char *const names[] = {
		[FL_SVC_REDIS] = "redis", [FL_SVC_POSTGRES] = "postgres", [FL_SVC_MYSQL] = "mysql",
	};

	return names[kind];
}

/* The newest installed PostgreSQL's bin directory. */
static bool pg_bindir(char *buf, size_t len)
{
	glob_t g;
	bool ok = false;

	if (glob(PG_BIN_GLOB, 0, NULL, &g) == 0 && g.gl_pathc) {
		/* glob sorts: versions of two digits compare as text. */
		const char *best = g.gl_pathv[g.gl_pathc - 1];
		const char *slash = strrchr(best, '/');

		snprintf(buf, len, "%.*s", (int)(slash - best), best);
		ok = true;
	}
	globfree(&g);
	return ok;
}

bool fl_service_available(enum fl_svc_kind kind, char *why, size_t len)
{
	char bin[96];

	if (kind == FL_SVC_REDIS) {
		if (access(REDIS_SERVER, X_OK) == 0)
			return true;
		snprintf(why, len, "%s is not installed (Debian package redis-server)",
			 REDIS_SERVER);
		return false;
	}
	if (kind == FL_SVC_MYSQL) {
		if (access(MARIADBD, X_OK) == 0)
			return true;
		snprintf(why, len, "%s is not installed (Debian package mariadb-server)", MARIADBD);
		return false;
	}
	if (pg_bindir(bin, sizeof(bin)))
		return true;
	snprintf(why, len, "no %s (Debian package postgresql)", PG_BIN_GLOB);
	return false;
}

static int run_sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };

	return fl_fixture_cmd(argv);
}

/*
 * The server itself is the library's managed service (fl_wl_managed_*):
 * the settings of each durability, as a user would write the spec.
 */
static const char *spec_of(enum fl_svc_kind kind, enum fl_svc_durability d)
{
	static const char *const specs[][3] = {
		[FL_SVC_REDIS] = {
			[FL_SVC_SAFEST]  = "redis:local?appendonly=yes&appendfsync=always",
			[FL_SVC_RELAXED] = "redis:local?appendonly=yes&appendfsync=everysec",
			[FL_SVC_NONE]    = "redis:local?appendonly=no",
		},
		/* Small: the machine is shared. */
		[FL_SVC_POSTGRES] = {
			[FL_SVC_SAFEST]  = "postgres:local?fsync=on&synchronous_commit=on"
					   "&full_page_writes=on&max_connections=40&shared_buffers=32MB",
			[FL_SVC_RELAXED] = "postgres:local?fsync=on&synchronous_commit=off"
					   "&max_connections=40&shared_buffers=32MB",
			[FL_SVC_NONE]    = "postgres:local?fsync=off&synchronous_commit=off"
					   "&max_connections=40&shared_buffers=32MB",
		},
		[FL_SVC_MYSQL] = {
			[FL_SVC_SAFEST]  = "mysql:local?innodb_flush_log_at_trx_commit=1&sync_binlog=1",
			[FL_SVC_RELAXED] = "mysql:local?innodb_flush_log_at_trx_commit=2",
			[FL_SVC_NONE]    = "mysql:local?innodb_flush_log_at_trx_commit=0",
		},
	};

	return specs[kind][d];
}

static int create_managed(struct fl_service *s, char *why, size_t len)
{
	struct fl_wl_managed *m;
	int err;

	err = fl_wl_managed_create(spec_of(s->kind, s->durability), s->data, &m, why, len);
	if (err)
		return err;
	s->managed = m;
	reg_managed(s);
	s->port = m->port;
	snprintf(s->url, sizeof(s->url), "%s", m->spec);
	snprintf(s->start_cmd, sizeof(s->start_cmd), "%s", m->start_cmd);
	if (s->kind == FL_SVC_POSTGRES) {
		char bin[96];

		snprintf(s->pidfile, sizeof(s->pidfile), "%s/data/postmaster.pid", s->root);
		if (pg_bindir(bin, sizeof(bin)))
			snprintf(s->stop_cmd, sizeof(s->stop_cmd),
				 "%s%s/pg_ctl -D %s stop -m immediate -w -t 10 >/dev/null 2>&1; true",
				 geteuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups -- " : "",
				 bin, s->data);
	}
	return 0;
}

int fl_service_create(struct fl_service *s, enum fl_svc_kind kind, enum fl_svc_durability d,
		      char *why, size_t len)
{
	char tmpl[] = "/tmp/faultline-svc-XXXXXX";
	int err;

	memset(s, 0, sizeof(*s));
	s->watch_fd = -1;
	s->kind = kind;
	s->durability = d;
	if (!fl_service_available(kind, why, len))
		return -ENOENT;
	if (!mkdtemp(tmpl)) {
		err = -errno;
		snprintf(why, len, "mkdtemp: %s", strerror(errno));
		return err;
	}
	snprintf(s->root, sizeof(s->root), "%s", tmpl);
	snprintf(s->data, sizeof(s->data), "%s/data", tmpl);
	snprintf(s->log, sizeof(s->log), "%s/server.log", tmpl);
	s->created = true;
	reg(s);
	/* The server's user walks in; the data directory is its alone. */
	if (chmod(s->root, 0755) || mkdir(s->data, 0700)) {
		err = -errno;
		snprintf(why, len, "%s: %s", s->root, strerror(errno));
		goto fail;
	}
	err = create_managed(s, why, len);
	if (err) {
		if (!why[0])
			snprintf(why, len, "%s: %s", fl_service_name(kind), strerror(-err));
		goto fail;
	}
	return 0;
fail:
	fl_service_destroy(s);
	return err;
}

/* redis: "+PONG" to a PING on a fresh connection (-LOADING while it reads its AOF). */
static bool redis_up(const struct fl_service *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd p;
	char buf[64];
	ssize_t n = -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) == 1)
			n = recv(fd, buf, sizeof(buf) - 1, 0);
	}
	close(fd);
	return n >= 5 && !strncmp(buf, "+PONG", 5);
}

/* Through the library's own ping: a connection the server accepts. */
static bool workload_up(const struct fl_service *s)
{
	struct fl_workload *w;
	bool up;

	if (fl_workload_open(s->url, &w, NULL, 0))
		return false;
	up = fl_workload_ping(w, 1000) == 0;
	fl_workload_close(w);
	return up;
}

bool fl_service_up(const struct fl_service *s)
{
	char bin[96], cmd[256];

	if (s->kind == FL_SVC_REDIS)
		return redis_up(s);
	if (s->kind == FL_SVC_MYSQL)
		return workload_up(s);
	if (!pg_bindir(bin, sizeof(bin)))
		return false;
	snprintf(cmd, sizeof(cmd), "%s/pg_isready -q -h 127.0.0.1 -p %d -t 1", bin, s->port);
	return run_sh(cmd) == 0;
}

const char *fl_service_log_tail(const struct fl_service *s)
{
	static char buf[1024];
	ssize_t n = 0;
	off_t end;
	int fd = open(s->log, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return "(no log)";
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)sizeof(buf) - 1)
		lseek(fd, end - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void nap_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A test that aborts (a failed assert under a sanitizer, a timeout's
 * SIGKILL) runs no atexit handler, and its server would run on. The
 * watcher, a fork in its own process group (out of reach of a timeout's
 * group signal), waits for the end of a pipe only the test holds: when
 * the test is gone, however it went, it kills what runs from the data
 * directory and removes the directory. Servers switch user, so a
 * parent-death signal would not survive into them.
 */
static pid_t start_watcher(const struct fl_service *s, int *ret_fd)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC))
		return 0;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(pfd[1]);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		if (s->pid > 0)
			kill(-s->pid, SIGKILL);
		/* The copy of the parent's: its processes and files go (PostgreSQL's shared memory too). */
		fl_wl_managed_discard(s->managed);
		execlp("rm", "rm", "-rf", s->root, (char *)NULL);
		_exit(0);
	}
	close(pfd[0]);
	/* The write end stays open, unused, until the test exits or stops the server. */
	*ret_fd = pfd[1];
	return pid;
}

int fl_service_start(struct fl_service *s, int timeout_ms, char *why, size_t len)
{
	sigset_t none;
	pid_t pid;
	int status, fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", s->start_cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	s->pid = pid;
	s->watcher = start_watcher(s, &s->watch_fd);
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (fl_service_up(s))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s->pid = 0;
			snprintf(why, len, "%s exited (status 0x%x) before it answered: %s",
				 fl_service_name(s->kind), status, fl_service_log_tail(s));
			return -ECHILD;
		}
		nap_ms(20);
	}
	snprintf(why, len, "%s did not answer within %d ms: %s", fl_service_name(s->kind),
		 timeout_ms, fl_service_log_tail(s));
	fl_service_stop(s);
	return -ETIMEDOUT;
}

/* Processes whose working directory is data (servers chdir there): killed, waited for. */
int fl_service_stop(struct fl_service *s)
{
	int status;

	if (!s->created)
		return 0;
	/* Immediate, as the package's own tools do it: postgres skips its checkpoint. */
	if (s->kind == FL_SVC_POSTGRES && access(s->pidfile, F_OK) == 0)
		run_sh(s->stop_cmd);
	if (s->pid > 0) {
		kill(-s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
	}
	/* Its pipe may be held by other watchers too: no waiting for an end of file. */
	if (s->watcher > 0) {
		kill(s->watcher, SIGKILL);
		waitpid(s->watcher, &status, 0);
		s->watcher = 0;
	}
	if (s->watch_fd >= 0) {
		close(s->watch_fd);
		s->watch_fd = -1;
	}
	return fl_wl_managed_kill(s->managed);
}

void fl_service_destroy(struct fl_service *s)
{
	if (!s->created)
		return;
	fl_service_stop(s);
	fl_wl_managed_free(s->managed);
	s->managed = NULL;
	char *argv[] = { "rm", "-rf", s->root, NULL };
	fl_fixture_cmd(argv);
	unreg(s);
	s->created = false;
}
