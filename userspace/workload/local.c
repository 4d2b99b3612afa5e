// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Managed services, what every kind shares: "KIND:local?k=v&..." parsed
 * and checked, a directory of our own under /var/tmp for config, sockets
 * and logs, the data directory, a free port on 127.0.0.1, and the
 * package's user, which the server becomes through setpriv (no PAM, no
 * extra process: the server is the process a fault reaches). At the end
 * everything goes, whatever the server left: servers chdir into their
 * data directory, which is how a straggler is found.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/errbuf.h"
#include "adapter.h"
#include "local.h"

#define SETPRIV "/usr/bin/setpriv"

static const struct fl_wl_local_kind *const kinds[] = {
	&fl_wl_local_postgres,
	&fl_wl_local_redis,
	&fl_wl_local_mysql,
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

int fl_wl_local_err(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fl_verrf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return err;
}

/* "postgres:local?..." -> the kind and the query after '?' ("" if none). */
static int parse_spec(const char *spec, const struct fl_wl_local_kind **ret_k,
		      const char **ret_query, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < N_KINDS; i++) {
		size_t n = strlen(kinds[i]->name);
		const char *rest = spec + n;

		if (strncmp(spec, kinds[i]->name, n) || strncmp(rest, ":local", 6))
			continue;
		rest += 6;
		if (*rest && *rest != '?')
			return fl_wl_local_err(errbuf, errlen, -EINVAL,
				   "%s: expected %s:local or %s:local?KEY=VALUE&...", spec,
				   kinds[i]->name, kinds[i]->name);
		*ret_k = kinds[i];
		*ret_query = *rest ? rest + 1 : "";
		return 0;
	}
	return fl_wl_local_err(errbuf, errlen, -EINVAL,
		   "%s: not a managed service (postgres:local, redis:local, mysql:local)", spec);
}

static int check_query(const struct fl_wl_local_kind *k, const char *query, char *errbuf,
		       size_t errlen)
{
	char *copy = strdup(query), *cur = copy, *key, *val;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	while (!err && fl_wl_query_next(&cur, &key, &val)) {
		if (!*key)
			continue;
		if (!*val)
			err = fl_wl_local_err(errbuf, errlen, -EINVAL, "%s:local: setting '%s' has no value (%s=VALUE)",
				  k->name, key, key);
		else
			err = k->check(key, val, errbuf, errlen);
	}
	free(copy);
	return err;
}

int fl_wl_local_check_plain(const char *what, const char *key, const char *val, char *errbuf,
			    size_t errlen)
{
	if (!*key || key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_.-")])
		return fl_wl_local_err(errbuf, errlen, -EINVAL, "%s: '%s' is not a setting name", what, key);
	if (strpbrk(val, "\n\r'\"\\#"))
		return fl_wl_local_err(errbuf, errlen, -EINVAL,
			   "%s: the value of %s holds a newline, quote, backslash or '#'", what,
			   key);
	return 0;
}

int fl_wl_local_each(const struct fl_wl_local *l,
		     int (*fn)(void *ctx, const char *key, const char *val), void *ctx)
{
	char *copy = strdup(l->query), *cur = copy, *key, *val;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	while (!err && fl_wl_query_next(&cur, &key, &val))
		if (*key)
			err = fn(ctx, key, val);
	free(copy);
	return err;
}

/* --- the ":local" spec as a workload: checked early, usable once resolved -- */

struct local_cfg {
	const struct fl_wl_local_kind *k;
};

static int lo_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	const struct fl_wl_local_kind *k;
	struct local_cfg *cfg;
	const char *query;
	int err;

	(void)rest;
	err = parse_spec(w->spec, &k, &query, errbuf, errlen);
	if (!err)
		err = check_query(k, query, errbuf, errlen);
	if (err)
		return err;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->k = k;
	w->cfg = cfg;
	return 0;
}

static void lo_free(struct fl_workload *w)
{
	free(w->cfg);
}

static int lo_unresolved(struct fl_workload *w, char *errbuf, size_t errlen)
{
	return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen,
			 "%s is a managed service: create it first (fl_wl_managed_create)", w->spec);
}

static int lo_ping(struct fl_workload *w, int timeout_ms)
{
	return -EOPNOTSUPP;
}

static int lo_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	return lo_unresolved(w, errbuf, errlen);
}

static int lo_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
		      size_t errlen)
{
	return lo_unresolved(w, errbuf, errlen);
}

static enum fl_op_outcome lo_write(struct fl_wl_conn *c, uint64_t id, const void *payload,
				   size_t len, int timeout_ms, int *ret_err)
{
	*ret_err = -EOPNOTSUPP;
	return FL_OP_FAIL;
}

static void lo_disconnect(struct fl_wl_conn *c)
{
}

static int lo_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
		       size_t errlen)
{
	return lo_unresolved(w, errbuf, errlen);
}

const struct fl_wl_adapter fl_wl_local_adapter = {
	.scheme     = "local",
	.prefixes   = { "postgres:local", "redis:local", "mysql:local" },
	.parse      = lo_parse,
	.free       = lo_free,
	.ping       = lo_ping,
	.reset      = lo_reset,
	.connect    = lo_connect,
	.write      = lo_write,
	.disconnect = lo_disconnect,
	.read_all   = lo_read_all,
};

bool fl_workload_managed(const struct fl_workload *w)
{
	return w->ad == &fl_wl_local_adapter;
}

/* --- making one ---------------------------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -EADDRNOTAVAIL;

	if (fd < 0)
		return -errno;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &alen))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Root becomes the package's user; anyone else runs it as themselves. */
static int pick_user(struct fl_wl_local *l, char *errbuf, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		snprintf(l->user, sizeof(l->user), "%s", pw ? pw->pw_name : "?");
		l->uid = geteuid();
		l->gid = getegid();
		l->as_user[0] = '\0';
		return 0;
	}
	pw = getpwnam(l->k->user);
	if (!pw)
		return fl_wl_local_err(errbuf, errlen, -ENOENT,
			   "%s:local: no user '%s' (the %s package makes it)", l->k->name,
			   l->k->user, l->k->name);
	if (access(SETPRIV, X_OK))
		return fl_wl_local_err(errbuf, errlen, -ENOENT,
			   "%s:local: %s is missing (Debian package util-linux)", l->k->name,
			   SETPRIV);
	snprintf(l->user, sizeof(l->user), "%s", pw->pw_name);
	l->uid = pw->pw_uid;
	l->gid = pw->pw_gid;
	snprintf(l->as_user, sizeof(l->as_user),
		 SETPRIV " --reuid=%s --regid=%s --init-groups -- ", l->user, l->user);
	return 0;
}

/* Paths go into shell commands and config files unquoted: keep them plain. */
static bool plain_path(const char *p)
{
	return p[0] == '/' &&
	       !p[strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-,:@")];
}

static int empty_dir(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			err = -ENOTEMPTY;
	closedir(d);
	return err;
}

int fl_wl_local_mkdir(const struct fl_wl_local *l, const char *path, mode_t mode)
{
	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	if (chown(path, l->uid, l->gid) || chmod(path, mode))
		return -errno;
	return 0;
}

/*
 * l->data is set only once the directory is known to be ours to throw
 * away: discard empties or removes l->data, and a user's directory that
 * was refused must stay as it was.
 */
static int set_data_dir(struct fl_wl_local *l, const char *data_dir, char *errbuf, size_t errlen)
{
	char path[sizeof(l->data)];
	bool own = false;
	int err;

	if (!data_dir) {
		snprintf(path, sizeof(path), "%s/data", l->root);
		own = true;
	} else {
		if (!plain_path(data_dir) || strlen(data_dir) >= sizeof(path) - 64)
			return fl_wl_local_err(errbuf, errlen, -EINVAL,
				   "%s:local: data directory '%s': give an absolute path of letters, digits and /._+-,:@",
				   l->k->name, data_dir);
		snprintf(path, sizeof(path), "%s", data_dir);
		err = empty_dir(path);
		if (err == -ENOENT)
			own = true;
		else if (err)
			return fl_wl_local_err(errbuf, errlen, err,
				   "%s:local: data directory %s: %s (a managed server starts from an empty one, and throws it away)",
				   l->k->name, path,
				   err == -ENOTEMPTY ? "not empty" : strerror(-err));
	}
	err = fl_wl_local_mkdir(l, path, 0700);
	if (err)
		return fl_wl_local_err(errbuf, errlen, err, "%s:local: %s: %s", l->k->name, path,
			   strerror(-err));
	snprintf(l->data, sizeof(l->data), "%s", path);
	l->own_data = own;
	return 0;
}

int fl_wl_managed_create(const char *spec, const char *data_dir, struct fl_wl_managed **ret,
			 char *errbuf, size_t errlen)
{
	struct fl_wl_local *l;
	const char *query;
	char tmpl[64];
	int err, port;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->discarded = true; /* nothing to throw away yet */
	err = parse_spec(spec, &l->k, &query, errbuf, errlen);
	if (!err)
		err = check_query(l->k, query, errbuf, errlen);
	if (!err)
		err = l->k->available(errbuf, errlen);
	if (!err && (!(l->query = strdup(query)) || !(l->given = strdup(spec))))
		err = -ENOMEM;
	if (!err)
		err = pick_user(l, errbuf, errlen);
	if (err)
		goto fail;
	snprintf(tmpl, sizeof(tmpl), "/var/tmp/faultline-%s-XXXXXX", l->k->name);
	if (!mkdtemp(tmpl)) {
		err = fl_wl_local_err(errbuf, errlen, -errno, "%s:local: mkdtemp %s: %s", l->k->name, tmpl,
			  strerror(errno));
		goto fail;
	}
	snprintf(l->root, sizeof(l->root), "%s", tmpl);
	l->discarded = false;
	/* The server's user walks in to its sockets and config. */
	if (chmod(l->root, 0755)) {
		err = fl_wl_local_err(errbuf, errlen, -errno, "%s:local: %s: %s", l->k->name, l->root,
			  strerror(errno));
		goto fail;
	}
	err = set_data_dir(l, data_dir, errbuf, errlen);
	if (err)
		goto fail;
	port = free_port();
	if (port < 0) {
		err = fl_wl_local_err(errbuf, errlen, port, "%s:local: no free port: %s", l->k->name,
			  strerror(-port));
		goto fail;
	}
	l->pub.port = port;
	err = l->k->create(l, errbuf, errlen);
	if (err)
		goto fail;
	l->pub.given = l->given;
	l->pub.kind = l->k->name;
	l->pub.spec = l->spec;
	l->pub.start_cmd = l->start_cmd;
	l->pub.user = l->user;
	l->pub.data_dir = l->data;
	l->pub.stop_signal = l->k->stop_signal;
	l->pub.settings = l->query ? l->query : "";
	l->pub.socket_dir = l->socket_dir[0] ? l->socket_dir : NULL;
	l->pub.bindir = l->bindir[0] ? l->bindir : NULL;
	*ret = &l->pub;
	return 0;
fail:
	if (errbuf && errlen && !errbuf[0])
		fl_wl_local_err(errbuf, errlen, err, "%s: %s", spec, strerror(-err));
	fl_wl_managed_free(&l->pub);
	return err;
}

/* --- running setup commands ---------------------------------------------- */

int fl_wl_local_sh(struct fl_wl_local *l, const char *fmt, ...)
{
	char cmd[8192], log[PATH_MAX + 16];
	va_list ap;
	int status, fd;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(log, sizeof(log), "%s/setup.log", l->root);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		/* Run in the root: the package's user may not enter the caller's directory. */
		if (chdir(l->root))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *fl_wl_local_setup_log(const struct fl_wl_local *l)
{
	static __thread char buf[8192];
	char path[PATH_MAX + 16], *line = NULL, *p, *next;
	ssize_t n;
	off_t end;
	int fd;

	snprintf(path, sizeof(path), "%s/setup.log", l->root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "(no output)";
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* The tools end with advice; the reason is the last line that says ERROR or FATAL. */
	for (p = buf; *p; p = next) {
		next = p + strcspn(p, "\n");
		if (*next)
			*next++ = '\0';
		if (strstr(p, "ERROR") || strstr(p, "FATAL") || strstr(p, "error:"))
			line = p;
		else if (*p && !line)
			line = p; /* else the first line said */
	}
	return line ? line : "(no output)";
}

int fl_wl_local_write(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* --- throwing it away ---------------------------------------------------- */

/* Processes whose working directory is under dir: signalled; how many. */
static int by_cwd(const char *dir, int sig)
{
	char want[PATH_MAX], link[64], cwd[PATH_MAX];
	struct dirent *e;
	size_t n_want;
	int found = 0;
	DIR *d;

	if (!realpath(dir, want))
		return 0;
	n_want = strlen(want);
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		ssize_t n;

		if (*end || pid <= 1 || pid == getpid())
			continue;
		snprintf(link, sizeof(link), "/proc/%ld/cwd", pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			continue;
		cwd[n] = '\0';
		if (strncmp(cwd, want, n_want) || (cwd[n_want] && cwd[n_want] != '/'))
			continue;
		if (sig)
			kill((pid_t)pid, sig);
		found++;
	}
	closedir(d);
	return found;
}

static void nap_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int rm_rf(const char *path, bool keep_top)
{
	char *argv_rm[] = { "rm", "-rf", "--one-file-system", (char *)path, NULL };
	char *argv_find[] = { "find", (char *)path, "-xdev", "-mindepth", "1", "-delete", NULL };
	char **argv = keep_top ? argv_find : argv_rm;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

int fl_wl_managed_kill(struct fl_wl_managed *m)
{
	struct fl_wl_local *l = (struct fl_wl_local *)m;

	if (!l || l->discarded)
		return 0;
	for (int i = 0; i < 250 && ((l->data[0] && by_cwd(l->data, SIGKILL)) |
				    by_cwd(l->root, SIGKILL)); i++)
		nap_ms(20);
	if ((l->data[0] && by_cwd(l->data, 0)) || by_cwd(l->root, 0))
		return -EBUSY;
	/* Nothing runs from it any more: what a killed server leaves (shared memory) goes. */
	if (l->data[0] && l->k->discard)
		l->k->discard(l);
	return 0;
}

int fl_wl_managed_discard(struct fl_wl_managed *m)
{
	struct fl_wl_local *l = (struct fl_wl_local *)m;
	int err;

	if (!l || l->discarded)
		return 0;
	err = fl_wl_managed_kill(m);
	/* A user's directory is emptied; one faultline made goes (with the root, if in it). */
	if (l->data[0] && (!l->own_data || strncmp(l->data, l->root, strlen(l->root))))
		rm_rf(l->data, !l->own_data);
	rm_rf(l->root, false);
	l->discarded = true;
	return err;
}

void fl_wl_managed_free(struct fl_wl_managed *m)
{
	struct fl_wl_local *l = (struct fl_wl_local *)m;

	if (!l)
		return;
	fl_wl_managed_discard(m);
	free(l->query);
	free(l->given);
	free(l);
}
