// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runner's nodes on real hosts (host: ssh://USER@HOST[:PORT]), driven
 * over plain SSH through the remote room (<faultline/remote.h>): per node,
 * faultfs mounted in place over its data dir, its service started
 * detached in a session of its own (its pid is the process group every
 * signal goes to), and the faults as the same faultline commands run
 * there: `fs powercut`/`fs fault`/`fs clear` on the data dir, `net --dev`
 * and `syscall --pid` held for as long as the fault lasts and stopped by
 * the remote pid. Every remote command is bounded (a deadline per call,
 * `--for` on the held ones) so a lost connection or a dead runner leaves
 * nothing running for ever.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>
#include <faultline/remote.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "run_priv.h"

#define CALL_MS          20000  /* one remote command */
#define SSH_SLACK_MS     2000   /* a connection's own cost, on top of a command's time */
#define UP_HEALTHY_MS    60000
#define ARM_SETTLE_MS    1500   /* a held fault still running this long after it was sent: armed */
#define HOLD_MARGIN_S    120    /* --for of a held fault: the trial's length and this */
#define CRASH_WAIT_S     10
#define DOWN_STOP_MS     10000
#define CMD_MAX          16384

struct ssh_node {
	struct fl_remote r;
	char data[PATH_MAX];     /* the data dir as the host resolves it */
	char dir[PATH_MAX];      /* what up made there: the service's log, faultfs's */
	char dev[64];            /* the device towards the other nodes */
	bool mounted;
	char *start, *stop, *health; /* expanded */
	pthread_mutex_t lock;    /* pgid: the health watcher reads it beside the operations */
	long pgid;               /* the service's process group; 0: not started by us */
};

struct ssh_hosts {
	unsigned n;
	char faultfs[PATH_MAX];  /* the host's faultfs program */
	char hold_for[32];       /* --for of the held faults */
	struct ssh_node node[FL_SCENARIO_MAX_NODES];
};

/* A held remote faultline (net, syscall) or a disk rule's id. */
struct ssh_fault {
	enum fl_node_fault_kind kind;
	unsigned node;
	long long fs_id;
	size_t n;
	unsigned call_node[FL_SCENARIO_MAX_NODES];
	struct fl_remote_call *call[FL_SCENARIO_MAX_NODES];
};

static struct ssh_hosts *hosts(struct sc_run *r)
{
	return r->hosts;
}

static long pgid_of(struct ssh_node *n)
{
	long p;

	pthread_mutex_lock(&n->lock);
	p = n->pgid;
	pthread_mutex_unlock(&n->lock);
	return p;
}

static void set_pgid(struct ssh_node *n, long p)
{
	pthread_mutex_lock(&n->lock);
	n->pgid = p;
	pthread_mutex_unlock(&n->lock);
}

/* One word for the remote shell: 'text', a ' as '\''. */
static int quote(const char *s, char *buf, size_t len)
{
	const char *argv[] = { s, NULL };

	return fl_remote_quote_argv(argv, buf, len);
}

/* --- templates: {name} {addr} {data} {index} {cluster} {peers} --------------------- */

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static int expand(struct sc_run *r, unsigned i, const char *tmpl, char **ret)
{
	const struct fl_scenario_node *sn = &r->s->nodes[i];
	const char *data = hosts(r)->node[i].data;
	size_t len = 0, cap = 0;
	char *buf = NULL, idx[16];
	int err;

	if (!tmpl) {
		*ret = NULL;
		return 0;
	}
	err = put(&buf, &len, &cap, "", 0);
	snprintf(idx, sizeof(idx), "%u", i + 1);
	for (const char *p = tmpl; !err && *p;) {
		const char *v = NULL;

		if (!strncmp(p, "{name}", 6))
			v = sn->name, p += 6;
		else if (!strncmp(p, "{addr}", 6))
			v = sn->ssh_host, p += 6;
		else if (!strncmp(p, "{data}", 6))
			v = data[0] ? data : sn->data_dir, p += 6;
		else if (!strncmp(p, "{cluster}", 9))
			v = r->plan->name, p += 9;
		else if (!strncmp(p, "{index}", 7))
			v = idx, p += 7;
		if (v) {
			err = put(&buf, &len, &cap, v, strlen(v));
			continue;
		}
		if (!strncmp(p, "{peers}", 7)) {
			for (unsigned k = 0; !err && k < r->s->n_nodes; k++) {
				char one[FL_SCENARIO_NAME_LEN + 300];

				snprintf(one, sizeof(one), "%s%s=%s", k ? "," : "", r->s->nodes[k].name,
					 r->s->nodes[k].ssh_host);
				err = put(&buf, &len, &cap, one, strlen(one));
			}
			p += 7;
			continue;
		}
		err = put(&buf, &len, &cap, p, 1);
		p++;
	}
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	return 0;
}

/* --- remote commands ---------------------------------------------------------------- */

static int rexec(struct sc_run *r, unsigned i, const char *cmd, int timeout_ms, char **out,
		 char *errbuf, size_t errlen)
{
	char why[512] = "";
	int st = -1, err = fl_remote_exec(&hosts(r)->node[i].r, cmd, timeout_ms, &st, out, why,
					  sizeof(why));

	if (err)
		fl_errf(errbuf, errlen, "node %s: %s", r->s->nodes[i].name, why);
	return err;
}

static int rfaultline(struct sc_run *r, unsigned i, const char *const argv[], json_t **js,
		      char *errbuf, size_t errlen)
{
	char why[512] = "";
	int st = -1, err = fl_remote_run(&hosts(r)->node[i].r, argv, CALL_MS, &st, js, why,
					 sizeof(why));

	if (err)
		fl_errf(errbuf, errlen, "node %s: %s", r->s->nodes[i].name, why);
	return err;
}

/*
 * A shell test that some process of group P lives (a zombie does not:
 * whoever reaps the host's orphans may be slow).
 */
#define ALIVE_FN "alive() { ps -e -o pgid=,stat= | awk -v g=\"$1\" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }; "

/* The service's group: SIGKILL, and wait until nothing of it lives. */
static int kill_group(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	long p = pgid_of(n);
	char cmd[1024];
	int err;

	if (p <= 1)
		return 0;
	snprintf(cmd, sizeof(cmd), ALIVE_FN "kill -KILL -- -%ld 2>/dev/null; k=0; "
		 "while alive %ld && [ $k -lt %d ]; do sleep 0.05; k=$((k + 1)); done; "
		 "! alive %ld || { echo 'process group %ld outlived SIGKILL' >&2; exit 1; }",
		 p, p, CRASH_WAIT_S * 20, p, p);
	err = rexec(r, i, cmd, CRASH_WAIT_S * 1000 + CALL_MS, NULL, errbuf, errlen);
	if (!err)
		set_pgid(n, 0);
	return err;
}

static int signal_group(struct sc_run *r, unsigned i, const char *sig, char *errbuf,
			size_t errlen)
{
	long p = pgid_of(&hosts(r)->node[i]);
	char cmd[128];

	if (p <= 1)
		return fl_errf(errbuf, errlen, "node %s runs nothing", r->s->nodes[i].name),
		       -ESRCH;
	snprintf(cmd, sizeof(cmd), "kill -%s -- -%ld", sig, p);
	return rexec(r, i, cmd, CALL_MS, NULL, errbuf, errlen);
}

/* --- the operations ------------------------------------------------------------------- */

static int start(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	char *cmd = malloc(CMD_MAX), *q = malloc(CMD_MAX), *out = NULL, qd[PATH_MAX + 64],
	     qs[PATH_MAX + 64];
	long p = 0;
	int err = -ENOMEM;

	if (!cmd || !q)
		goto out;
	err = quote(n->start, q, CMD_MAX) ?: quote(n->data, qd, sizeof(qd)) ?:
	      quote(n->dir, qs, sizeof(qs));
	if (err) {
		fl_errf(errbuf, errlen, "node %s: its start command is too long", r->s->nodes[i].name);
		goto out;
	}
	/*
	 * setsid: a session and process group of its own, whose id is the pid
	 * echoed (a background child of a non-interactive shell leads no group,
	 * so setsid does not fork); stdio off the SSH session, or it would wait.
	 */
	snprintf(cmd, CMD_MAX, "cd %s && { setsid sh -c %s >>%s/service.log 2>&1 </dev/null & "
		 "echo $!; }", qd, q, qs);
	err = rexec(r, i, cmd, CALL_MS, &out, errbuf, errlen);
	if (!err && (!out || (p = strtol(out, NULL, 10)) <= 1)) {
		fl_errf(errbuf, errlen, "node %s: the start gave no pid", r->s->nodes[i].name);
		err = -EBADMSG;
	}
	if (!err)
		set_pgid(n, p);
out:
	free(out);
	free(cmd);
	free(q);
	return err;
}

static int health(struct sc_run *r, unsigned i, int timeout_ms)
{
	struct ssh_node *n = &hosts(r)->node[i];
	long p = pgid_of(n);
	char *cmd, *q;
	int err;

	if (p <= 1)
		return -EHOSTDOWN;
	cmd = malloc(CMD_MAX);
	q = malloc(CMD_MAX);
	if (!cmd || !q || (n->health && quote(n->health, q, CMD_MAX))) {
		free(cmd);
		free(q);
		return -ENOMEM;
	}
	snprintf(cmd, CMD_MAX, ALIVE_FN "alive %ld%s%s%s", p, n->health ? " && sh -c " : "",
		 n->health ? q : "", n->health ? " >/dev/null 2>&1 </dev/null" : "");
	err = fl_remote_exec(&n->r, cmd, timeout_ms + SSH_SLACK_MS, NULL, NULL, NULL, 0);
	free(cmd);
	free(q);
	return err == -EREMOTEIO ? -EHOSTDOWN : err;
}

static bool running(struct sc_run *r, unsigned i)
{
	struct ssh_node *n = &hosts(r)->node[i];
	long p = pgid_of(n);
	char cmd[512];
	int err;

	if (p <= 1)
		return false;
	snprintf(cmd, sizeof(cmd), ALIVE_FN "alive %ld", p);
	err = fl_remote_exec(&n->r, cmd, CALL_MS, NULL, NULL, NULL, 0);
	/* Only a clear no: starting a second copy of a service is worse than waiting. */
	return err != -EREMOTEIO;
}

static int crash(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return kill_group(r, i, errbuf, errlen);
}

static int stop(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	long p = pgid_of(n);
	char *cmd, *q, qs[PATH_MAX + 64];
	int err = -ENOMEM;

	if (p <= 1)
		return 0;
	cmd = malloc(CMD_MAX);
	q = malloc(CMD_MAX);
	if (!cmd || !q || (n->stop && quote(n->stop, q, CMD_MAX)) || quote(n->dir, qs, sizeof(qs)))
		goto out;
	/*
	 * Its stop command (its output to the service's log), else SIGTERM to
	 * the group; a paused service hears either only once continued.
	 */
	if (n->stop)
		snprintf(cmd, CMD_MAX, ALIVE_FN "sh -c %s >>%s/service.log 2>&1 </dev/null; ",
			 q, qs);
	else
		snprintf(cmd, CMD_MAX, ALIVE_FN "kill -TERM -- -%ld 2>/dev/null; ", p);
	snprintf(cmd + strlen(cmd), CMD_MAX - strlen(cmd),
		 "kill -CONT -- -%ld 2>/dev/null; k=0; while alive %ld && [ $k -lt %d ]; "
		 "do sleep 0.05; k=$((k + 1)); done; true", p, p, timeout_ms / 50);
	err = rexec(r, i, cmd, timeout_ms + CALL_MS, NULL, errbuf, errlen);
	/* What did not stop in time is killed: stop always ends with the node down. */
	err = kill_group(r, i, errbuf, errlen) ?: err;
out:
	free(cmd);
	free(q);
	return err;
}

static int pause_node(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return signal_group(r, i, "STOP", errbuf, errlen);
}

static int resume(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return signal_group(r, i, "CONT", errbuf, errlen);
}

static uint64_t u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

static int powercut(struct sc_run *r, unsigned i, struct fl_node_powercut_report *rep,
		    char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	const char *cut[] = { "fs", "powercut", n->data, NULL };
	const char *back[] = { "fs", "resume", n->data, NULL };
	json_t *js = NULL, *rp;
	int err = kill_group(r, i, errbuf, errlen);

	memset(rep, 0, sizeof(*rep));
	if (err)
		return err;
	/* Nothing runs on the disk now: forget what was never synced, then serve again. */
	err = rfaultline(r, i, cut, &js, errbuf, errlen);
	if (err)
		return err;
	rp = json_object_get(js, "report");
	rep->writes_undone = u64(rp, "writes_undone");
	rep->bytes_undone = u64(rp, "bytes_undone");
	rep->names_undone = u64(rp, "names_undone");
	json_decref(js);
	js = NULL;
	err = rfaultline(r, i, back, &js, errbuf, errlen);
	json_decref(js);
	return err;
}

static int wait_healthy(struct sc_run *r, int timeout_ms, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_deadline(timeout_ms);

	for (unsigned i = 0; i < r->n; i++) {
		while (health(r, i, 2000)) {
			if (fl_now_ns() >= deadline)
				return fl_errf(errbuf, errlen, "node %s is not healthy after %d s",
					       r->s->nodes[i].name, timeout_ms / 1000), -ETIMEDOUT;
			fl_sleep_ms(200);
		}
	}
	return 0;
}

/* --- held faults: net (and partitions), syscall ---------------------------------------- */

static void sum_rules(json_t *js, uint64_t *matched, uint64_t *injected)
{
	json_t *rules = json_object_get(js, "rules"), *v;
	size_t k;

	json_array_foreach(rules, k, v) {
		*matched += u64(v, "matched");
		*injected += u64(v, "injected");
	}
}

/* Stop what f holds and read its summaries: the first error. */
static int release(struct sc_run *r, struct ssh_fault *f, uint64_t *matched, uint64_t *injected,
		   char *errbuf, size_t errlen)
{
	int err = 0;

	for (size_t k = 0; k < f->n; k++) {
		const struct fl_remote *rm = &hosts(r)->node[f->call_node[k]].r;
		char why[512] = "";
		json_t *js = NULL;
		int e = fl_remote_stop(rm, f->call[k], CALL_MS, why, sizeof(why));

		if (e == -ESRCH)
			e = 0; /* it had ended: its summary is there all the same */
		if (e) {
			fl_remote_abort(f->call[k]);
		} else {
			e = fl_remote_finish(f->call[k], CALL_MS, NULL, &js, why, sizeof(why));
			sum_rules(js, matched, injected);
			json_decref(js);
		}
		if (e && !err) {
			err = e;
			fl_errf(errbuf, errlen, "node %s: %s", r->s->nodes[f->call_node[k]].name, why);
		}
	}
	f->n = 0;
	return err;
}

/*
 * Taken as armed when every call still runs ARM_SETTLE_MS after it was
 * sent: a refused rule, a held hook (exit 3) or a refused login end
 * sooner. A call that ended is finished here and says why.
 */
static int settle(struct sc_run *r, struct ssh_fault *f, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_deadline(ARM_SETTLE_MS);

	for (;;) {
		for (size_t k = 0; k < f->n; k++) {
			pid_t pid = fl_remote_call_pid(f->call[k]);
			siginfo_t si = { 0 };
			char why[512] = "";
			json_t *js = NULL;
			int e;

			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != pid)
				continue;
			e = fl_remote_finish(f->call[k], CALL_MS, NULL, &js, why, sizeof(why));
			json_decref(js);
			fl_errf(errbuf, errlen, "node %s: %s", r->s->nodes[f->call_node[k]].name,
				e ? why : "the fault ended as soon as it was armed");
			f->call[k] = f->call[--f->n];
			f->call_node[k] = f->call_node[f->n];
			return e ? e : -EIO;
		}
		if (fl_now_ns() >= deadline)
			return 0;
		fl_sleep_ms(50);
	}
}

static int hold(struct sc_run *r, struct ssh_fault *f, unsigned i, const char *const argv[],
		char *errbuf, size_t errlen)
{
	char why[512] = "";
	int err = fl_remote_start(&hosts(r)->node[i].r, argv, &f->call[f->n], why, sizeof(why));

	if (err)
		return fl_errf(errbuf, errlen, "node %s: %s", r->s->nodes[i].name, why), err;
	f->call_node[f->n++] = i;
	return 0;
}

/* The net rules of a partition on node i's device: every address of the other side. */
static int hold_cut(struct sc_run *r, struct ssh_fault *f, unsigned i, const unsigned *other,
		    size_t n_other, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	char rules[FL_SCENARIO_MAX_NODES][320];
	const char *argv[8 + FL_SCENARIO_MAX_NODES];
	size_t a = 0;

	if (!n->dev[0])
		return fl_errf(errbuf, errlen, "node %s: no device towards the other nodes was found",
			       r->s->nodes[i].name), -ENODEV;
	argv[a++] = "net";
	argv[a++] = "--dev";
	argv[a++] = n->dev;
	argv[a++] = "--for";
	argv[a++] = hosts(r)->hold_for;
	for (size_t k = 0; k < n_other; k++) {
		const char *addr = r->s->nodes[other[k]].ssh_host;

		snprintf(rules[k], sizeof(rules[k]), "ip:partition:dst=%s/%d", addr,
			 strchr(addr, ':') ? 128 : 32);
		argv[a++] = rules[k];
	}
	argv[a] = NULL;
	return hold(r, f, i, argv, errbuf, errlen);
}

static int partition(struct sc_run *r, const unsigned *a, size_t na, const unsigned *b,
		     size_t nb, void **ret, char *errbuf, size_t errlen)
{
	struct ssh_fault *f = calloc(1, sizeof(*f));
	uint64_t m = 0, inj = 0;
	int err = 0;

	if (!f)
		return -ENOMEM;
	f->kind = FL_NODE_NET;
	/* Both sides drop the other's packets: one host unreachable over SSH still cuts. */
	for (size_t k = 0; !err && k < na; k++)
		err = hold_cut(r, f, a[k], b, nb, errbuf, errlen);
	for (size_t k = 0; !err && k < nb; k++)
		err = hold_cut(r, f, b[k], a, na, errbuf, errlen);
	if (!err)
		err = settle(r, f, errbuf, errlen);
	if (err) {
		release(r, f, &m, &inj, NULL, 0);
		free(f);
		return err;
	}
	*ret = f;
	return 0;
}

static int heal(struct sc_run *r, void *p, char *errbuf, size_t errlen)
{
	uint64_t m = 0, inj = 0;
	int err = release(r, p, &m, &inj, errbuf, errlen);

	free(p);
	return err;
}

static int fault_arm(struct sc_run *r, unsigned i, enum fl_node_fault_kind kind, const char *rule,
		     void **ret, char *mech, size_t mech_len, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	struct ssh_fault *f = calloc(1, sizeof(*f));
	uint64_t m = 0, inj = 0;
	char pid[32];
	int err;

	if (!f)
		return -ENOMEM;
	f->kind = kind;
	f->node = i;
	if (kind == FL_NODE_DISK) {
		const char *argv[] = { "fs", "fault", n->data, rule, NULL };
		json_t *js = NULL;

		err = rfaultline(r, i, argv, &js, errbuf, errlen);
		if (!err && !json_is_integer(json_array_get(json_object_get(js, "ids"), 0))) {
			fl_errf(errbuf, errlen, "node %s: faultfs gave no rule id", r->s->nodes[i].name);
			err = -EBADMSG;
		}
		if (!err)
			f->fs_id = json_integer_value(json_array_get(json_object_get(js, "ids"), 0));
		json_decref(js);
	} else if (kind == FL_NODE_SYSCALL) {
		const char *argv[] = { "syscall", "--pid", pid, "--for", hosts(r)->hold_for, rule,
				       NULL };
		long p = pgid_of(n);

		snprintf(pid, sizeof(pid), "%ld", p);
		err = p > 1 ? hold(r, f, i, argv, errbuf, errlen) :
			      (fl_errf(errbuf, errlen, "node %s runs nothing", r->s->nodes[i].name),
			       -ESRCH);
	} else if (!n->dev[0]) {
		fl_errf(errbuf, errlen, "node %s: no device towards the other nodes was found",
			r->s->nodes[i].name);
		err = -ENODEV;
	} else {
		const char *argv[] = { "net", "--dev", n->dev, "--for", hosts(r)->hold_for, rule,
				       NULL };

		err = hold(r, f, i, argv, errbuf, errlen);
	}
	if (!err && f->n)
		err = settle(r, f, errbuf, errlen);
	if (err) {
		release(r, f, &m, &inj, NULL, 0);
		free(f);
		return err;
	}
	snprintf(mech, mech_len, "%s", kind == FL_NODE_DISK ? "faultfs rule, over ssh" :
				       kind == FL_NODE_SYSCALL ? "faultline syscall over ssh (its plan)" :
				       "faultline net over ssh (tc BPF)");
	*ret = f;
	return 0;
}

static int fault_clear(struct sc_run *r, void *p, uint64_t *ret_matched, uint64_t *ret_injected,
		       char *errbuf, size_t errlen)
{
	struct ssh_fault *f = p;
	int err;

	*ret_matched = *ret_injected = 0;
	if (f->kind == FL_NODE_DISK) {
		struct ssh_node *n = &hosts(r)->node[f->node];
		const char *status[] = { "fs", "status", n->data, NULL };
		char id[32];
		const char *clear[] = { "fs", "clear", n->data, id, NULL };
		json_t *js = NULL, *v;
		size_t k;

		/* Its counters before it goes. */
		if (!rfaultline(r, f->node, status, &js, NULL, 0))
			json_array_foreach(json_object_get(js, "rules"), k, v)
				if (json_integer_value(json_object_get(v, "id")) == f->fs_id) {
					*ret_matched = u64(v, "matched");
					*ret_injected = u64(v, "injected");
				}
		json_decref(js);
		js = NULL;
		snprintf(id, sizeof(id), "%lld", f->fs_id);
		err = rfaultline(r, f->node, clear, &js, errbuf, errlen);
		json_decref(js);
	} else {
		err = release(r, f, ret_matched, ret_injected, errbuf, errlen);
	}
	free(f);
	return err;
}

static int leader(struct sc_run *r, int timeout_ms, unsigned *ret)
{
	(void)r;
	(void)timeout_ms;
	(void)ret;
	return -EOPNOTSUPP;
}

static int promote(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen)
{
	(void)timeout_ms;
	fl_errf(errbuf, errlen, "node %s: nodes over SSH have no leader to promote",
		r->s->nodes[i].name);
	return -EOPNOTSUPP;
}

static void log_tail(struct sc_run *r, unsigned i)
{
	struct ssh_node *n = &hosts(r)->node[i];
	char cmd[PATH_MAX + 128], qs[PATH_MAX + 64], *out = NULL, *line, *save = NULL;

	if (!n->dir[0] || quote(n->dir, qs, sizeof(qs)))
		return;
	snprintf(cmd, sizeof(cmd), "tail -n 5 %s/service.log", qs);
	if (fl_remote_exec(&n->r, cmd, CALL_MS, NULL, &out, NULL, 0) || !out) {
		free(out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		sc_progress(r, "%s log: %s", r->s->nodes[i].name, line);
	free(out);
}

static int client_spec(struct sc_run *r, unsigned i, char **ret)
{
	const char *tmpl = r->plan->node_cfg ? r->plan->node_cfg[i].client : NULL;

	if (!tmpl)
		return -ENOENT;
	return expand(r, i, tmpl, ret);
}

/* --- up and down ---------------------------------------------------------------------- */

/* The data dir made and resolved, a directory of ours, the device to the others. */
static int prepare(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	struct ssh_node *n = &hosts(r)->node[i];
	const struct fl_scenario *s = r->s;
	char cmd[4 * PATH_MAX], qd[PATH_MAX + 64], peer[300] = "", *out = NULL, *l1, *l2, *l3,
	     *save = NULL;
	int err;

	if (quote(s->nodes[i].data_dir, qd, sizeof(qd)))
		return fl_errf(errbuf, errlen, "node %s: data_dir too long", s->nodes[i].name),
		       -ENAMETOOLONG;
	/* The device a partition cuts: its route to another node (to us when alone). */
	for (unsigned k = 0; k < s->n_nodes && !peer[0]; k++)
		if (k != i && strcmp(s->nodes[k].ssh_host, s->nodes[i].ssh_host) &&
		    strspn(s->nodes[k].ssh_host, "0123456789abcdefABCDEF.:") ==
			    strlen(s->nodes[k].ssh_host))
			snprintf(peer, sizeof(peer), "%s", s->nodes[k].ssh_host);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s; d=$(realpath %s); "
		 "if mountpoint -q \"$d\"; then echo \"$d is a mount already (a faultfs left "
		 "behind? faultline cleanup)\" >&2; exit 1; fi; "
		 "s=$(mktemp -d \"${TMPDIR:-/tmp}/faultline-scenario.XXXXXX\"); "
		 "echo \"$d\"; echo \"$s\"; "
		 "p=%s; [ -n \"$p\" ] || p=${SSH_CONNECTION%%%% *}; "
		 "ip -o route get \"$p\" 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | "
		 "head -n 1; true",
		 qd, qd, peer[0] ? peer : "''");
	err = rexec(r, i, cmd, CALL_MS, &out, errbuf, errlen);
	if (err)
		goto out;
	l1 = out ? strtok_r(out, "\n", &save) : NULL;
	l2 = l1 ? strtok_r(NULL, "\n", &save) : NULL;
	l3 = l2 ? strtok_r(NULL, "\n", &save) : NULL;
	if (!l2 || l1[0] != '/' || l2[0] != '/') {
		fl_errf(errbuf, errlen, "node %s: the host did not say where its data dir is",
			s->nodes[i].name);
		err = -EBADMSG;
		goto out;
	}
	snprintf(n->data, sizeof(n->data), "%s", l1);
	snprintf(n->dir, sizeof(n->dir), "%s", l2);
	snprintf(n->dev, sizeof(n->dev), "%s", l3 ? l3 : "");
out:
	free(out);
	return err;
}

static int mount_faultfs(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	struct ssh_hosts *h = hosts(r);
	struct ssh_node *n = &h->node[i];
	char cmd[8 * PATH_MAX], qd[PATH_MAX + 64], qs[PATH_MAX + 64], qb[PATH_MAX + 64],
	     qo[1024] = "";
	int err;

	if (quote(n->data, qd, sizeof(qd)) || quote(n->dir, qs, sizeof(qs)) ||
	    quote(h->faultfs, qb, sizeof(qb)) || (r->s->faultfs && quote(r->s->faultfs, qo,
									  sizeof(qo))))
		return -ENAMETOOLONG;
	/* faultfs daemonizes once mounted; its output stays off the SSH session. */
	snprintf(cmd, sizeof(cmd),
		 "%s %s %s%s%s </dev/null >%s/faultfs.log 2>&1 || "
		 "{ echo \"faultfs: $(tail -n 1 %s/faultfs.log)\" >&2; exit 1; }; "
		 "mountpoint -q %s || { echo 'faultfs returned, but nothing is mounted' >&2; exit 1; }",
		 qb, qd, qd, qo[0] ? " -o " : "", qo, qs, qs, qd);
	err = rexec(r, i, cmd, CALL_MS, NULL, errbuf, errlen);
	if (!err)
		n->mounted = true;
	return err;
}

static int up(struct sc_run *r, char *errbuf, size_t errlen)
{
	const struct fl_scenario *s = r->s;
	const struct fl_scenario_run_opts *o = r->o;
	struct ssh_hosts *h = calloc(1, sizeof(*h));
	const char *fl = o->ssh_faultline ? o->ssh_faultline : "faultline";
	const char *slash = strrchr(fl, '/');
	int err = 0;

	if (!h)
		return -ENOMEM;
	/* faultfs is the host's own, next to its faultline (or on its $PATH). */
	if (slash)
		snprintf(h->faultfs, sizeof(h->faultfs), "%.*sfaultfs", (int)(slash - fl + 1), fl);
	else
		snprintf(h->faultfs, sizeof(h->faultfs), "faultfs");
	snprintf(h->hold_for, sizeof(h->hold_for), "%llus",
		 (unsigned long long)(r->plan->duration_ns / 1000000000ull + HOLD_MARGIN_S));
	for (unsigned i = 0; i < s->n_nodes; i++)
		pthread_mutex_init(&h->node[i].lock, NULL);
	h->n = s->n_nodes;
	r->hosts = h; /* from here on, down removes what was made */
	r->n = s->n_nodes;
	for (unsigned i = 0; !err && i < s->n_nodes; i++) {
		struct ssh_node *n = &h->node[i];
		const struct fl_scenario_node *sn = &s->nodes[i];

		err = fl_remote_init(&n->r, sn->ssh_user, sn->ssh_host, sn->ssh_port, errbuf, errlen);
		if (err)
			break;
		n->r.identity = o->ssh_identity;
		n->r.known_hosts = o->ssh_known_hosts;
		n->r.hostkey = o->ssh_hostkey;
		n->r.faultline = fl;
		sc_progress(r, "%s: over ssh to %s", sn->name, sn->host);
		err = prepare(r, i, errbuf, errlen);
		if (!err)
			err = mount_faultfs(r, i, errbuf, errlen);
		if (!err && (expand(r, i, sn->start, &n->start) || expand(r, i, sn->stop, &n->stop) ||
			     expand(r, i, sn->health, &n->health)))
			err = -ENOMEM;
		if (!err)
			err = start(r, i, errbuf, errlen);
	}
	if (!err)
		sc_progress(r, "faultfs mounted over each node's data dir, services started");
	if (!err)
		err = wait_healthy(r, UP_HEALTHY_MS, errbuf, errlen);
	for (unsigned i = 0; err && i < h->n; i++)
		if (pgid_of(&h->node[i]) > 1)
			log_tail(r, i);
	return err;
}

static int down(struct sc_run *r, char *errbuf, size_t errlen)
{
	struct ssh_hosts *h = hosts(r);
	int err = 0;

	if (!h)
		return 0;
	for (unsigned i = 0; i < h->n; i++) {
		struct ssh_node *n = &h->node[i];
		const char *cleanup[] = { "cleanup", NULL };
		char why[512] = "", cmd[4 * PATH_MAX], q[PATH_MAX + 64];
		json_t *js = NULL;
		int e = 0;

		if (!n->r.host[0])
			goto next; /* up stopped before it */
		if (pgid_of(n) > 1)
			e = stop(r, i, DOWN_STOP_MS, why, sizeof(why));
		/* A clean unmount: faultfs makes everything durable and exits. */
		if (!e && n->mounted && !quote(n->data, q, sizeof(q))) {
			snprintf(cmd, sizeof(cmd),
				 "umount %s 2>/dev/null || { sleep 1; umount %s 2>/dev/null; } || "
				 "{ umount -l %s; echo 'busy: detached lazily' >&2; false; }",
				 q, q, q);
			e = rexec(r, i, cmd, CALL_MS, NULL, why, sizeof(why));
			if (!e)
				n->mounted = false;
		}
		if (!e)
			e = rfaultline(r, i, cleanup, &js, why, sizeof(why));
		json_decref(js);
		if (!e && n->dir[0] && !quote(n->dir, q, sizeof(q))) {
			snprintf(cmd, sizeof(cmd), "rm -rf -- %s", q);
			e = rexec(r, i, cmd, CALL_MS, NULL, why, sizeof(why));
		}
		if (e && !err) {
			err = e;
			fl_errf(errbuf, errlen, "%s", why);
		}
next:
		free(n->start);
		free(n->stop);
		free(n->health);
		pthread_mutex_destroy(&n->lock);
	}
	free(h);
	r->hosts = NULL;
	return err;
}

const struct sc_nodes_ops sc_nodes_ssh = {
	.name = "ssh",
	.mechanism = {
		[FL_SOP_POWERCUT] = "SIGKILL to the process group, then faultfs power cut, over ssh",
		[FL_SOP_CRASH] = "SIGKILL to the process group, over ssh",
		[FL_SOP_STOP] = "the node's stop command, else SIGTERM, over ssh",
		[FL_SOP_PAUSE] = "SIGSTOP to the process group, over ssh",
		[FL_SOP_PARTITION] = "faultline net over ssh (tc BPF drop)",
	},
	.up = up, .down = down, .client_spec = client_spec,
	.start = start, .stop = stop, .crash = crash, .pause = pause_node, .resume = resume,
	.powercut = powercut, .health = health, .running = running, .wait_healthy = wait_healthy,
	.partition = partition, .heal = heal, .fault_arm = fault_arm, .fault_clear = fault_clear,
	.leader = leader, .promote = promote, .log_tail = log_tail,
};
