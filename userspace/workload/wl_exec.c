// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exec:CMD — any client, in any language: one `sh -c CMD` process per
 * connection, speaking the line protocol (docs/rpo-exec-protocol.md) on
 * its stdin and stdout (one socket, so a dead client is EPIPE, not
 * SIGPIPE); stderr passes through. A connection begins with PING, so a
 * client that cannot reach its service refuses the connection rather
 * than failing writes. Each client is its own process group, killed and
 * reaped on disconnect.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapter.h"

#define CONNECT_TIMEOUT_MS 5000
#define RESET_TIMEOUT_MS   30000

extern char **environ;

struct exec_cfg {
	char *cmd;
	pthread_mutex_t lock;
	struct fl_wl_pconn *pinger;  /* reused by ping */
	_Atomic int start_ms;        /* the longest ping timeout seen: a client's start budget */
};

static int exec_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	struct exec_cfg *cfg;

	if (!*rest)
		return fl_wl_err(w, -EINVAL, errbuf, errlen, "missing command (exec:CMD)");
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	w->cfg = cfg;
	cfg->cmd = strdup(rest);
	if (!cfg->cmd)
		return -ENOMEM;
	pthread_mutex_init(&cfg->lock, NULL);
	return fl_wl_set_desc(w, "exec:%s", cfg->cmd);
}

static void exec_free(struct fl_workload *w)
{
	struct exec_cfg *cfg = w->cfg;

	if (!cfg)
		return;
	if (cfg->cmd) {
		fl_wl_pconn_close(cfg->pinger);
		pthread_mutex_destroy(&cfg->lock);
	}
	free(cfg->cmd);
	free(cfg);
}

static int spawn_client(struct fl_workload *w, struct fl_wl_pconn **ret, char *errbuf,
			size_t errlen)
{
	const struct exec_cfg *cfg = w->cfg;
	char *argv[] = { "sh", "-c", cfg->cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	struct fl_wl_pconn *pc;
	pid_t pid;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return fl_wl_err(w, -errno, errbuf, errlen, "socketpair: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	/* Its own group (killed whole), default signals, nothing blocked. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	err = -posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return fl_wl_err(w, err, errbuf, errlen, "sh -c %s: %s", cfg->cmd, strerror(-err));
	}
	pc = fl_wl_pconn_new(w, sv[0], pid);
	if (!pc) {
		close(sv[0]);
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -ENOMEM;
	}
	*ret = pc;
	return 0;
}

/* A client that answers PING, or an error that says why not. */
static int start_client(struct fl_workload *w, int timeout_ms, struct fl_wl_pconn **ret,
			char *errbuf, size_t errlen)
{
	struct fl_wl_pconn *pc;
	int err;

	err = spawn_client(w, &pc, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_pconn_simple(pc, "PING", "PONG", timeout_ms, errbuf, errlen);
	/* A slow interpreter is the usual cause: name the client and the budget. */
	if (err == -ETIMEDOUT)
		fl_wl_err(w, err, errbuf, errlen, "the client did not answer PING within %d ms: "
			  "sh -c '%s'", timeout_ms, ((const struct exec_cfg *)w->cfg)->cmd);
	if (err) {
		fl_wl_pconn_close(pc);
		return err;
	}
	*ret = pc;
	return 0;
}

/* A connection's client gets CONNECT_TIMEOUT_MS to start, or the health ping's, if longer. */
static int start_budget_ms(struct fl_workload *w)
{
	int ms = atomic_load(&((struct exec_cfg *)w->cfg)->start_ms);

	return ms > CONNECT_TIMEOUT_MS ? ms : CONNECT_TIMEOUT_MS;
}

static int exec_ping_why(struct fl_workload *w, int timeout_ms, char *errbuf, size_t errlen)
{
	struct exec_cfg *cfg = w->cfg;
	int err;

	if (timeout_ms > atomic_load(&cfg->start_ms))
		atomic_store(&cfg->start_ms, timeout_ms);
	pthread_mutex_lock(&cfg->lock);
	if (cfg->pinger) {
		err = fl_wl_pconn_simple(cfg->pinger, "PING", "PONG", timeout_ms, errbuf, errlen);
		if (err) {
			/* Out of step or dead: the next ping starts a fresh client. */
			fl_wl_pconn_close(cfg->pinger);
			cfg->pinger = NULL;
		}
	} else {
		err = start_client(w, timeout_ms, &cfg->pinger, errbuf, errlen);
	}
	pthread_mutex_unlock(&cfg->lock);
	return err;
}

static int exec_ping(struct fl_workload *w, int timeout_ms)
{
	return exec_ping_why(w, timeout_ms, NULL, 0);
}

static int exec_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
			size_t errlen)
{
	struct fl_wl_pconn *pc;
	int err;

	err = start_client(w, start_budget_ms(w), &pc, errbuf, errlen);
	if (err)
		return err;
	*ret = &pc->base;
	return 0;
}

static enum fl_op_outcome exec_write(struct fl_wl_conn *c, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err)
{
	return fl_wl_pconn_write((struct fl_wl_pconn *)c, id, payload, len, timeout_ms, ret_err);
}

static void exec_disconnect(struct fl_wl_conn *c)
{
	fl_wl_pconn_close((struct fl_wl_pconn *)c);
}

static int exec_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	struct fl_wl_pconn *pc;
	int err;

	err = start_client(w, start_budget_ms(w), &pc, errbuf, errlen);
	if (err)
		return err;
	err = fl_wl_pconn_simple(pc, "RESET", "OK", RESET_TIMEOUT_MS, errbuf, errlen);
	fl_wl_pconn_close(pc);
	return err;
}

static int exec_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx, char *errbuf,
			 size_t errlen)
{
	const struct exec_cfg *cfg = w->cfg;
	char why[512] = "";
	int idle_ms = w->readback_timeout_ms ? w->readback_timeout_ms : FL_WL_READBACK_TIMEOUT_MS;
	struct fl_wl_pconn *pc;
	int err;

	err = start_client(w, CONNECT_TIMEOUT_MS, &pc, errbuf, errlen);
	if (err)
		return err;
	/* NULL w: no "exec: " twice; the client is named, it is the one to fix. */
	pc->base.w = NULL;
	err = fl_wl_pconn_read_all(pc, idle_ms, cb, ctx, why, sizeof(why));
	pc->base.w = w;
	fl_wl_pconn_close(pc);
	if (err)
		return fl_wl_err(w, err, errbuf, errlen, "the client `%s`: %s", cfg->cmd,
				 why[0] ? why : strerror(-err));
	return 0;
}

static int exec_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen, "the line protocol has no request "
			 "that drops the client's data: break it with exec=CMD instead");
}

const struct fl_wl_adapter fl_wl_exec_adapter = {
	.scheme     = "exec",
	.prefixes   = { "exec:", NULL },
	.store      = NULL,
	.parse      = exec_parse,
	.free       = exec_free,
	.ping       = exec_ping,
	.reset      = exec_reset,
	.connect    = exec_connect,
	.write      = exec_write,
	.disconnect = exec_disconnect,
	.read_all   = exec_read_all,
	.ping_why   = exec_ping_why,
	.drop       = exec_drop,
};
