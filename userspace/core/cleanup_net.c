// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Undo of network objects: qdiscs and tc filters (through libnl-route)
 * and iptables rules (through the iptables binary, which owns the rule
 * syntax). Objects inside a named netns are reached by moving only the
 * calling thread into it (setns(2) on a netns is per thread) and back, so
 * this is safe in a multi-threaded controller; iptables runs in a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/pkt_sched.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "state_priv.h"

int fl_netns_enter(const char *name, int *ret_saved)
{
	char path[PATH_MAX];
	int saved, target, err = 0;

	if (!name || !*name) {
		*ret_saved = -1;
		return 0;
	}
	if (fl_netns_name_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", FL_NETNS_RUN_DIR, name);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		err = -errno;
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		err = -errno;
		close(saved);
		goto out;
	}
	*ret_saved = saved;
out:
	close(target);
	return err;
}

int fl_netns_leave(int saved)
{
	int err = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		err = -errno;
	close(saved);
	return err;
}

static const char *get_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void describe_netns(const char *netns, char *buf, size_t len)
{
	if (*netns)
		snprintf(buf, len, " in netns %s", netns);
	else
		buf[0] = '\0';
}

/* The object's netns is gone: so is everything that lived in it. */
static bool netns_gone(int err)
{
	return err == -ENOENT;
}

/* Deleting something absent: the kernel says ENOENT, ENODEV or EINVAL. */
static bool nl_gone(int nlerr)
{
	return nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV ||
	       nlerr == -NLE_INVAL;
}

enum tc_what { TC_QDISC, TC_FILTER };

struct tc_job {
	enum tc_what what;
	const char *ifname;
	int ifindex;
	uint32_t parent, handle;
	uint16_t prio, protocol;
	const char *kind;
};

/* Runs inside the object's netns. Returns 0, or a libnl error (negative). */
static int tc_delete(const struct tc_job *job, bool *gone)
{
	struct nl_sock *sk = NULL;
	int ifindex = job->ifindex, err;

	if (*job->ifname) {
		ifindex = (int)if_nametoindex(job->ifname);
		if (ifindex == 0) {
			*gone = true; /* the device went, taking its qdiscs along */
			return 0;
		}
	}
	sk = nl_socket_alloc();
	if (!sk)
		return -NLE_NOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err)
		goto out;
	if (job->what == TC_QDISC) {
		struct rtnl_qdisc *q = rtnl_qdisc_alloc();

		if (!q) {
			err = -NLE_NOMEM;
			goto out;
		}
		rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
		rtnl_tc_set_parent(TC_CAST(q), job->parent);
		rtnl_tc_set_handle(TC_CAST(q), job->handle);
		if (*job->kind)
			rtnl_tc_set_kind(TC_CAST(q), job->kind);
		err = rtnl_qdisc_delete(sk, q);
		rtnl_qdisc_put(q);
	} else {
		struct rtnl_cls *c = rtnl_cls_alloc();

		if (!c) {
			err = -NLE_NOMEM;
			goto out;
		}
		rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
		rtnl_tc_set_parent(TC_CAST(c), job->parent);
		rtnl_tc_set_handle(TC_CAST(c), job->handle);
		rtnl_cls_set_prio(c, job->prio);
		rtnl_cls_set_protocol(c, job->protocol);
		if (*job->kind)
			rtnl_tc_set_kind(TC_CAST(c), job->kind);
		err = rtnl_cls_delete(sk, c, 0);
		rtnl_cls_put(c);
	}
	if (err && nl_gone(err)) {
		*gone = true;
		err = 0;
	}
out:
	nl_socket_free(sk);
	return err;
}

static int run_tc_job(const char *netns, const struct tc_job *job,
		      char *msg, size_t msg_len)
{
	bool gone = false;
	int saved, err, nlerr;

	err = fl_netns_enter(netns, &saved);
	if (err) {
		if (netns_gone(err))
			return 0;
		snprintf(msg, msg_len, "cannot enter netns %s: %s", netns, strerror(-err));
		return err;
	}
	nlerr = tc_delete(job, &gone);
	err = fl_netns_leave(saved);
	if (err) {
		/* The thread is stranded in the other netns: nothing below is safe. */
		snprintf(msg, msg_len, "cannot return from netns %s: %s", netns,
			 strerror(-err));
		return err;
	}
	if (nlerr) {
		snprintf(msg, msg_len, "netlink: %s", nl_geterror(nlerr));
		return -EIO;
	}
	return 0;
}

int fl_undo_qdisc(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *netns = get_str(rec, "netns");
	struct tc_job job = {
		.what = TC_QDISC,
		.ifname = get_str(rec, "ifname"),
		.kind = get_str(rec, "qdisc"),
	};
	char where[NAME_MAX + 16];

	describe_netns(netns, where, sizeof(where));
	snprintf(what, what_len, "qdisc %s %s parent %s on %s%s",
		 *job.kind ? job.kind : "?", get_str(rec, "handle"),
		 get_str(rec, "parent"), job.ifname, where);
	if (!*job.ifname || fl_tc_handle_parse(get_str(rec, "parent"), &job.parent) ||
	    fl_tc_handle_parse(get_str(rec, "handle"), &job.handle)) {
		snprintf(msg, msg_len, "record has no valid ifname/parent/handle");
		return -EBADMSG;
	}
	return run_tc_job(netns, &job, msg, msg_len);
}

int fl_undo_tc_filter(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *netns = get_str(rec, "netns");
	json_t *prio = json_object_get(rec, "prio");
	json_t *proto = json_object_get(rec, "protocol");
	json_t *ifindex = json_object_get(rec, "ifindex");
	struct tc_job job = {
		.what = TC_FILTER,
		.ifname = get_str(rec, "ifname"),
		.kind = get_str(rec, "filter"),
	};
	char where[NAME_MAX + 16], dev[32];

	if (json_is_integer(ifindex))
		job.ifindex = (int)json_integer_value(ifindex);
	if (*job.ifname)
		snprintf(dev, sizeof(dev), "%s", job.ifname);
	else
		snprintf(dev, sizeof(dev), "ifindex %d", job.ifindex);
	describe_netns(netns, where, sizeof(where));
	snprintf(what, what_len, "tc filter %s prio %lld parent %s on %s%s",
		 *job.kind ? job.kind : "?",
		 json_is_integer(prio) ? (long long)json_integer_value(prio) : 0LL,
		 get_str(rec, "parent"), dev, where);
	if ((!*job.ifname && job.ifindex <= 0) || !json_is_integer(prio) ||
	    json_integer_value(prio) <= 0 || json_integer_value(prio) > 0xffff ||
	    !json_is_integer(proto) ||
	    fl_tc_handle_parse(get_str(rec, "parent"), &job.parent) ||
	    fl_tc_handle_parse(get_str(rec, "handle"), &job.handle)) {
		snprintf(msg, msg_len, "record has no valid device/parent/prio/handle");
		return -EBADMSG;
	}
	job.prio = (uint16_t)json_integer_value(prio);
	job.protocol = (uint16_t)json_integer_value(proto);
	return run_tc_job(netns, &job, msg, msg_len);
}

/* Search a fixed PATH: the watchdog may run with an empty environment. */
static void exec_sbin(const char *binary, char **argv)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], binary);
		execv(path, argv);
	}
}

/* Run argv in netns; returns the exit status (0..255) or a negative errno. */
static int run_in_netns(const char *netns, char **argv)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int saved, nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
		}
		if (fl_netns_enter(netns, &saved))
			_exit(126);
		exec_sbin(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status);
}

int fl_undo_iptables(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *netns = get_str(rec, "netns");
	const char *binary = get_str(rec, "binary");
	const char *table = get_str(rec, "table");
	json_t *rule = json_object_get(rec, "rule");
	char where[NAME_MAX + 16], *argv[64];
	size_t n = 0, off;
	int status, err, saved;

	describe_netns(netns, where, sizeof(where));
	off = (size_t)snprintf(what, what_len, "%s -t %s rule", binary, table);
	if (!*binary || !*table || strchr(binary, '/') || !json_is_array(rule) ||
	    json_array_size(rule) == 0 || json_array_size(rule) > 54) {
		snprintf(msg, msg_len, "record has no valid binary/table/rule");
		return -EBADMSG;
	}
	argv[n++] = (char *)binary;
	argv[n++] = "-w";
	argv[n++] = "5";
	argv[n++] = "-t";
	argv[n++] = (char *)table;
	argv[n++] = "-C";
	for (size_t i = 0; i < json_array_size(rule); i++) {
		json_t *a = json_array_get(rule, i);

		if (!json_is_string(a)) {
			snprintf(msg, msg_len, "record has a non-string rule argument");
			return -EBADMSG;
		}
		argv[n++] = (char *)json_string_value(a);
		if (off < what_len)
			off += (size_t)snprintf(what + off, what_len - off, " %s",
						json_string_value(a));
	}
	argv[n] = NULL;
	if (off < what_len)
		snprintf(what + off, what_len - off, "%s", where);

	/* A netns that is gone took its rules along. */
	err = fl_netns_enter(netns, &saved);
	if (err)
		return netns_gone(err) ? 0 : err;
	err = fl_netns_leave(saved);
	if (err)
		return err;

	/* -C first: exit 1 means no such rule (or chain), i.e. already gone. */
	status = run_in_netns(netns, argv);
	if (status == 1)
		return 0;
	if (status == 0) {
		argv[5] = "-D";
		status = run_in_netns(netns, argv);
		if (status == 0)
			return 0;
	}
	if (status < 0) {
		snprintf(msg, msg_len, "cannot run %s: %s", binary, strerror(-status));
		return status;
	}
	snprintf(msg, msg_len, "%s exited with status %d", binary, status);
	return -EIO;
}
