// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Faults and actions on one node: start, stop, crash, pause/resume,
 * power cut, restart, health. The cgroup is the node's body: a crash is
 * cgroup.kill, a pause is cgroup.freeze, so every process the service
 * forked is hit at once and none escapes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/fs.h>
#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define KILL_WAIT_NS   (5ull * 1000000000ull)
#define FREEZE_WAIT_MS 5000
#define POWERCUT_MS    120000
#define REQUEST_MS     5000

static int check(const struct fl_cluster *c, unsigned i)
{
	return c && i < c->n ? 0 : -EINVAL;
}

int fl_node_pids(const struct fl_cluster *c, unsigned i, pid_t *pids, size_t max,
		 size_t *ret_n)
{
	char buf[8192], *p, *end;
	size_t n = 0;
	int err;

	if (check(c, i))
		return -EINVAL;
	err = fl_cgroup_read(c->nodes[i].cgroup, "cgroup.procs", buf, sizeof(buf));
	if (err)
		return err;
	for (p = buf; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0 && n < max && pids)
			pids[n] = (pid_t)v;
		if (v > 0)
			n++;
	}
	*ret_n = n;
	return 0;
}

static size_t count(const struct fl_cluster *c, unsigned i)
{
	size_t n = 0;

	return fl_node_pids(c, i, NULL, 0, &n) ? 0 : n;
}

bool fl_node_paused(const struct fl_cluster *c, unsigned i)
{
	char buf[16] = "";

	if (check(c, i) || fl_cgroup_read(c->nodes[i].cgroup, "cgroup.freeze", buf, sizeof(buf)))
		return false;
	return buf[0] == '1';
}

/* Set cgroup.freeze and wait for cgroup.events to say it took effect. */
static int freeze(const struct fl_cluster_node *n, bool on)
{
	uint64_t deadline = fl_now_ns() + FREEZE_WAIT_MS * 1000000ull;
	char buf[256];
	int err;

	err = fl_cgroup_write(n->cgroup, "cgroup.freeze", on ? "1" : "0");
	if (err)
		return err;
	for (;;) {
		const char *f;

		err = fl_cgroup_read(n->cgroup, "cgroup.events", buf, sizeof(buf));
		if (err)
			return err;
		f = strstr(buf, "frozen ");
		if (f && (f[7] == '1') == on)
			return 0;
		if (fl_now_ns() > deadline)
			return -ETIMEDOUT;
		fl_sleep_ms(5);
	}
}

int fl_node_start(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen)
{
	int err;

	if (check(c, i))
		return -EINVAL;
	if (count(c, i)) {
		fl_errf(errbuf, errlen, "node %s is running", c->nodes[i].name);
		return -EALREADY;
	}
	/* A node crashed while paused would start frozen. */
	if (fl_node_paused(c, i))
		freeze(&c->nodes[i], false);
	err = fl_cluster_exec_detached(&c->nodes[i], c->nodes[i].start);
	if (err)
		fl_errf(errbuf, errlen, "cannot start node %s: %s", c->nodes[i].name,
			strerror(-err));
	return err;
}

int fl_node_crash(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen)
{
	int err;

	if (check(c, i))
		return -EINVAL;
	err = fl_cgroup_kill(c->nodes[i].cgroup, KILL_WAIT_NS, NULL);
	if (!err && fl_node_paused(c, i))
		err = freeze(&c->nodes[i], false);
	if (err)
		fl_errf(errbuf, errlen, "cannot kill node %s: %s", c->nodes[i].name,
			strerror(-err));
	return err;
}

int fl_node_stop(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf, size_t errlen)
{
	const struct fl_cluster_node *n;
	uint64_t deadline;
	pid_t pids[256];
	size_t np = 0;
	int st;

	if (check(c, i))
		return -EINVAL;
	n = &c->nodes[i];
	if (!count(c, i))
		return 0;
	/* A frozen process would take SIGTERM only once thawed. */
	if (fl_node_paused(c, i))
		freeze(n, false);
	deadline = fl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	if (n->stop) {
		fl_cluster_exec_wait(n, n->stop, timeout_ms, &st);
	} else if (!fl_node_pids(c, i, pids, 256, &np)) {
		for (size_t k = 0; k < np && k < 256; k++)
			kill(pids[k], SIGTERM);
	}
	while (count(c, i) && fl_now_ns() < deadline)
		fl_sleep_ms(20);
	/* What did not stop in time is killed: stop always ends with the node down. */
	return fl_node_crash(c, i, errbuf, errlen);
}

int fl_node_pause(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen)
{
	int err;

	if (check(c, i))
		return -EINVAL;
	err = freeze(&c->nodes[i], true);
	if (err)
		fl_errf(errbuf, errlen, "cannot freeze node %s: %s", c->nodes[i].name,
			strerror(-err));
	return err;
}

int fl_node_resume(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen)
{
	int err;

	if (check(c, i))
		return -EINVAL;
	err = freeze(&c->nodes[i], false);
	if (err)
		fl_errf(errbuf, errlen, "cannot thaw node %s: %s", c->nodes[i].name,
			strerror(-err));
	return err;
}

static int fs_call(const struct fl_cluster_node *n, json_t *req, int timeout_ms, json_t **ret)
{
	json_t *reply = NULL;
	int fd, err;

	if (!req)
		return -ENOMEM;
	err = fl_fs_connect(n->data, &fd);
	if (!err) {
		err = fl_fs_request(fd, req, &reply, timeout_ms);
		close(fd);
	}
	json_decref(req);
	if (err)
		return err;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		return -EIO;
	}
	if (ret)
		*ret = reply;
	else
		json_decref(reply);
	return 0;
}

static uint64_t u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

int fl_node_powercut(struct fl_cluster *c, unsigned i, struct fl_node_powercut_report *ret,
		     char *errbuf, size_t errlen)
{
	const struct fl_cluster_node *n;
	json_t *reply = NULL;
	int err;

	if (check(c, i))
		return -EINVAL;
	n = &c->nodes[i];
	err = fl_node_crash(c, i, errbuf, errlen);
	if (err)
		return err;
	/* Nothing runs on the disk now: forget what was never synced. */
	err = fs_call(n, json_pack("{s:s,s:i,s:i}", "cmd", "powercut", "keep_ppm", 0, "seed", 1),
		      POWERCUT_MS, &reply);
	if (!err)
		err = fs_call(n, json_pack("{s:s}", "cmd", "resume"), REQUEST_MS, NULL);
	if (err) {
		json_decref(reply);
		fl_errf(errbuf, errlen, "power cut of node %s's faultfs (%s): %s", n->name,
			n->data, fl_fs_strerror(err));
		return err;
	}
	if (ret) {
		json_t *rep = json_object_get(reply, "report");

		ret->writes_undone = u64(rep, "writes_undone");
		ret->bytes_undone = u64(rep, "bytes_undone");
		ret->names_undone = u64(rep, "names_undone");
	}
	json_decref(reply);
	return 0;
}

int fl_node_restart(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		    size_t errlen)
{
	int err;

	err = timeout_ms > 0 ? fl_node_stop(c, i, timeout_ms, errbuf, errlen) :
			       fl_node_crash(c, i, errbuf, errlen);
	return err ? err : fl_node_start(c, i, errbuf, errlen);
}

int fl_node_health(const struct fl_cluster *c, unsigned i, int timeout_ms)
{
	int st, err;

	if (check(c, i))
		return -EINVAL;
	if (!count(c, i))
		return -EHOSTDOWN;
	if (!c->nodes[i].health)
		return 0;
	err = fl_cluster_exec_wait(&c->nodes[i], c->nodes[i].health, timeout_ms, &st);
	if (err)
		return err;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EHOSTDOWN;
}
