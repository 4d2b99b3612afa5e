// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Running a command on a remote host: fork, exec ssh (no local shell),
 * read its stdout and stderr until both end or the deadline passes, then
 * SIGKILL the ssh child by pid and reap it. ssh's exit status is the
 * remote command's, except 255: ssh's own failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <faultline/remote.h>

#include "core/errbuf.h"
#include "remote/remote_priv.h"

#define MAX_STDOUT   (16u << 20)  /* faultline's JSON is a few KiB; a bound all the same */
#define MAX_STDERR   (64u << 10)
#define CMD_LEN      8192
#define STORAGE_LEN  (CMD_LEN + 4096)

struct buf {
	char *data;
	size_t len, cap, max;
	bool cut;
};

struct fl_remote_call {
	pid_t pid;
	int fd[2];             /* stdout, stderr of ssh; -1 once at EOF */
	struct buf b[2];
	struct timespec start;
	char who[340];         /* user@host:port, for messages */
	bool json;
	long remote_pid;       /* the remote faultline's pid once it said so, else 0 */
};

static long long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000LL + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->max) {
		b->cut = true;
		n = b->max - b->len;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* The last non-empty line of text, at most len-1 bytes, for a message. */
static void last_line(const struct buf *b, char *out, size_t len)
{
	const char *s = b->data ? b->data : "";
	size_t end = b->len, begin, skip = 0;

	/* Not the pid line: it is ours, not what went wrong. */
	if (!strncmp(s, PID_MARK, strlen(PID_MARK))) {
		const char *nl = strchr(s, '\n');

		skip = nl ? (size_t)(nl - s) + 1 : end;
	}
	while (end > skip && (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' '))
		end--;
	begin = end;
	while (begin > skip && s[begin - 1] != '\n')
		begin--;
	if (end - begin >= len)
		begin = end - (len - 1);
	memcpy(out, s + begin, end - begin);
	out[end - begin] = '\0';
}

static void call_free(struct fl_remote_call *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		free(c->b[i].data);
	}
	free(c);
}

static void kill_and_reap(struct fl_remote_call *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
}

/* Fork and exec ssh with argv, stdin from /dev/null, stdout/stderr to pipes. */
static int spawn(char *const argv[], struct fl_remote_call *c)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, null = -1, e = 0;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		e = -errno;
		goto fail;
	}
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0) {
		e = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		goto fail;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls here: the parent may have threads. */
		if (dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		/* Nothing of the caller's but these three goes to ssh. */
		close_range(3, ~0u, 0);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	close(null);
	c->pid = pid;
	c->fd[0] = out[0];
	c->fd[1] = err[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	if (null >= 0)
		close(null);
	return e;
}

static int start(const struct fl_remote *r, const char *remote_cmd, bool json,
		 struct fl_remote_call **ret, char *errbuf, size_t errlen)
{
	char *storage = NULL, *argv[FL_REMOTE_MAX_ARGV];
	struct fl_remote_call *c;
	int err;

	c = calloc(1, sizeof(*c));
	storage = malloc(STORAGE_LEN);
	if (!c || !storage) {
		err = -ENOMEM;
		fl_errf(errbuf, errlen, "remote: out of memory");
		goto out;
	}
	c->fd[0] = c->fd[1] = -1;
	c->b[0].max = MAX_STDOUT;
	c->b[1].max = MAX_STDERR;
	c->json = json;
	snprintf(c->who, sizeof(c->who), "%s%s%s:%u", r->user, r->user[0] ? "@" : "", r->host,
		 r->port ? r->port : 22);
	err = fl_remote_ssh_argv(r, remote_cmd, storage, STORAGE_LEN, argv);
	if (err) {
		fl_errf(errbuf, errlen, "ssh %s: cannot build the ssh command line: %s", c->who,
			strerror(-err));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	err = spawn(argv, c);
	if (err) {
		fl_errf(errbuf, errlen, "ssh %s: cannot start %s: %s", c->who, argv[0], strerror(-err));
		goto out;
	}
	*ret = c;
	c = NULL;
out:
	free(storage);
	if (c)
		call_free(c);
	return err;
}

int fl_remote_start(const struct fl_remote *r, const char *const argv[],
		    struct fl_remote_call **ret, char *errbuf, size_t errlen)
{
	char cmd[CMD_LEN];
	int err;

	if (!r || !argv || !argv[0]) {
		fl_errf(errbuf, errlen, "remote: no faultline command given");
		return -EINVAL;
	}
	err = fl_remote_faultline_cmd(r, argv, cmd, sizeof(cmd));
	if (err) {
		fl_errf(errbuf, errlen, "remote %s: %s", r->host,
			err == -EINVAL ? "an env entry is not NAME=VALUE"
				       : "the faultline command is too long");
		return err;
	}
	return start(r, cmd, true, ret, errbuf, errlen);
}

pid_t fl_remote_call_pid(const struct fl_remote_call *c)
{
	return c ? c->pid : 0;
}

void fl_remote_abort(struct fl_remote_call *c)
{
	if (!c)
		return;
	kill_and_reap(c);
	call_free(c);
}

static void find_pid(struct fl_remote_call *c)
{
	const char *s = c->b[1].data;
	char *end;
	long pid;

	if (c->remote_pid || !c->json || !s || !strchr(s, '\n') ||
	    strncmp(s, PID_MARK, strlen(PID_MARK)))
		return;
	pid = strtol(s + strlen(PID_MARK), &end, 10);
	/* Never 0 or 1: `kill 0` would hit the remote shell's whole group. */
	if (*end == '\n' && pid > 1)
		c->remote_pid = pid;
}

/*
 * Read both pipes until EOF or the deadline: 0 or -ETIMEDOUT, -ENOMEM.
 * With until_pid, return 0 as soon as the remote pid is known.
 */
static int drain(struct fl_remote_call *c, int timeout_ms, bool until_pid)
{
	char chunk[8192];

	while (c->fd[0] >= 0 || c->fd[1] >= 0) {
		if (until_pid && c->remote_pid)
			return 0;
		struct pollfd p[2];
		long long left = timeout_ms - ms_since(&c->start);
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		for (int i = 0; i < 2; i++)
			p[i] = (struct pollfd){ .fd = c->fd[i], .events = POLLIN };
		n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (c->fd[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(c->fd[i], chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(c->fd[i]);
				c->fd[i] = -1;
				continue;
			}
			if (buf_add(&c->b[i], chunk, (size_t)got))
				return -ENOMEM;
			if (i == 1)
				find_pid(c);
		}
	}
	return 0;
}

/* Reap ssh within what is left of the deadline: its wait status, or -ETIMEDOUT. */
static int reap(struct fl_remote_call *c, int timeout_ms, int *ret_wstatus)
{
	for (;;) {
		int ws;
		pid_t p = waitpid(c->pid, &ws, WNOHANG);

		if (p == c->pid) {
			c->pid = 0;
			*ret_wstatus = ws;
			return 0;
		}
		if (p < 0 && errno != EINTR)
			return -errno;
		if (ms_since(&c->start) >= timeout_ms)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

/* stdout as JSON: the whole text, else its last line that is an object. */
static json_t *parse_json(const struct buf *b)
{
	json_t *js;
	char *s = b->data;

	if (!s)
		return NULL;
	js = json_loads(s, 0, NULL);
	if (js)
		return js;
	for (char *end = s + b->len; end > s;) {
		char *line = end;

		while (line > s && line[-1] != '\n')
			line--;
		if (*line == '{') {
			js = json_loadb(line, (size_t)(end - line), 0, NULL);
			if (json_is_object(js))
				return js;
			json_decref(js);
		}
		end = line > s ? line - 1 : s;
	}
	return NULL;
}

/*
 * Wait, then judge: the common tail of fl_remote_finish and the exec
 * path. ret_out (exec) takes stdout; ret_json (faultline) its JSON.
 */
static int finish(struct fl_remote_call *c, int timeout_ms, int *ret_status, json_t **ret_json,
		  char **ret_out, char *errbuf, size_t errlen)
{
	char why[512];
	int err, ws = 0, status;
	json_t *js = NULL;

	err = drain(c, timeout_ms, false);
	if (!err)
		err = reap(c, timeout_ms, &ws);
	if (err == -ETIMEDOUT) {
		last_line(&c->b[1], why, sizeof(why));
		fl_errf(errbuf, errlen,
			"ssh %s: no answer within %d ms: ssh was killed; the command may or may not have run%s%s",
			c->who, timeout_ms, why[0] ? ": " : "", why);
		goto out;
	}
	if (err) {
		fl_errf(errbuf, errlen, "ssh %s: reading its output: %s", c->who, strerror(-err));
		goto out;
	}
	last_line(&c->b[1], why, sizeof(why));
	if (WIFSIGNALED(ws)) {
		err = -ECOMM;
		fl_errf(errbuf, errlen, "ssh %s: ssh was killed by signal %d%s%s", c->who,
			WTERMSIG(ws), why[0] ? ": " : "", why);
		goto out;
	}
	status = WEXITSTATUS(ws);
	if (status == FL_REMOTE_EXIT_SSH) {
		err = -ECOMM;
		fl_errf(errbuf, errlen,
			"ssh %s failed before or while running the command (ssh exit 255: unreachable, refused, host key or authentication): %s",
			c->who, why[0] ? why : "(ssh said nothing)");
		goto out;
	}
	if (c->json)
		js = parse_json(&c->b[0]);
	if (status) {
		err = -EREMOTEIO;
		fl_errf(errbuf, errlen, "%s on %s exited %d%s%s", c->json ? "faultline" : "the command",
			c->who, status, why[0] ? ": " : "", why);
	} else if (c->json && !js) {
		err = -EBADMSG;
		fl_errf(errbuf, errlen, "faultline on %s exited 0 but printed no JSON on stdout%s",
			c->who, c->b[0].cut ? " (its output was over the limit)" : "");
	}
	if (ret_status)
		*ret_status = status;
	if (ret_json && (!err || err == -EREMOTEIO)) {
		*ret_json = js;
		js = NULL;
	}
	if (ret_out) {
		*ret_out = c->b[0].data ? c->b[0].data : strdup("");
		c->b[0].data = NULL;
	}
out:
	json_decref(js);
	kill_and_reap(c);
	call_free(c);
	return err;
}

int fl_remote_finish(struct fl_remote_call *c, int timeout_ms, int *ret_status,
		     json_t **ret_json, char *errbuf, size_t errlen)
{
	if (!c)
		return -EINVAL;
	return finish(c, timeout_ms, ret_status, ret_json, NULL, errbuf, errlen);
}

int fl_remote_stop(const struct fl_remote *r, struct fl_remote_call *c, int timeout_ms,
		   char *errbuf, size_t errlen)
{
	char cmd[64];
	int err, status = 0;

	if (!r || !c || !c->json)
		return -EINVAL;
	/* drain counts from the call's start; this timeout from now. */
	err = drain(c, (int)(ms_since(&c->start) + timeout_ms), true);
	if (err == -ETIMEDOUT) {
		fl_errf(errbuf, errlen, "ssh %s: the remote faultline did not say its pid within %d ms",
			c->who, timeout_ms);
		return err;
	}
	if (err)
		return err;
	if (!c->remote_pid) {
		fl_errf(errbuf, errlen, "ssh %s: the command ended before it could be stopped", c->who);
		return -ESRCH;
	}
	/* With sudo, the pid is sudo's, which passes the signal on to faultline. */
	snprintf(cmd, sizeof(cmd), "%skill -TERM %ld", r->sudo ? "sudo -n " : "", c->remote_pid);
	err = fl_remote_exec(r, cmd, timeout_ms, &status, NULL, errbuf, errlen);
	/* kill's 1: it ended meanwhile, which is what was asked. */
	if (err == -EREMOTEIO && status == 1)
		return -ESRCH;
	return err;
}

int fl_remote_run(const struct fl_remote *r, const char *const argv[], int timeout_ms,
		  int *ret_status, json_t **ret_json, char *errbuf, size_t errlen)
{
	struct fl_remote_call *c = NULL;
	int err = fl_remote_start(r, argv, &c, errbuf, errlen);

	if (err)
		return err;
	return finish(c, timeout_ms, ret_status, ret_json, NULL, errbuf, errlen);
}

int fl_remote_exec(const struct fl_remote *r, const char *command, int timeout_ms,
		   int *ret_status, char **ret_out, char *errbuf, size_t errlen)
{
	struct fl_remote_call *c = NULL;
	int err;

	if (!r || !command || !*command) {
		fl_errf(errbuf, errlen, "remote: no command given");
		return -EINVAL;
	}
	if (strlen(command) >= CMD_LEN) {
		fl_errf(errbuf, errlen, "remote %s: the command is over %d bytes", r->host, CMD_LEN - 1);
		return -E2BIG;
	}
	err = start(r, command, false, &c, errbuf, errlen);
	if (err)
		return err;
	return finish(c, timeout_ms, ret_status, NULL, ret_out, errbuf, errlen);
}
