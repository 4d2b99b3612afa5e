// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Node faults with a rule: disk= (faultfs rules on the node's data dir),
 * syscall= (the syscall domain on the node's cgroup) and net= (net rules
 * on the node's veth). Each rule goes through its domain's own parser and
 * checks, so a refusal names the same column `faultline fs|syscall|net`
 * would. What outlives this process is recorded in a state session: the
 * faultfs rule (core's faultfs-rule record) and the net session's qdisc
 * and filters; the syscall programs' links die with their fds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/fs.h>
#include <faultline/net.h>
#include <faultline/rule.h>
#include <faultline/state.h>
#include <faultline/syscall.h>
#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define FS_REQUEST_MS 5000
#define SC_POLL_MS    100

struct fl_node_fault {
	enum fl_node_fault_kind kind;
	struct fl_cluster_node node;     /* a copy: the fault may outlive c's use */
	char rule[256];
	uint64_t armed_ns;
	struct fl_state *st;             /* where its records are */
	bool own_st;                     /* opened here: closed at clear */
	/* disk */
	unsigned fs_rule_id;
	uint64_t fs_record;
	/* syscall */
	struct fl_syscall_session *sc;
	struct fl_syscall_plan plan;
	pthread_t poller;
	bool polling;
	atomic_bool stop;
	/* net */
	struct fl_net_session *net;
	size_t n_net;                    /* kernel rules the one rule became */
};

static const char *const kind_names[] = {
	[FL_NODE_DISK] = "disk", [FL_NODE_SYSCALL] = "syscall", [FL_NODE_NET] = "net",
};

const char *fl_node_fault_kind_name(enum fl_node_fault_kind kind)
{
	return kind >= FL_NODE_DISK && kind <= FL_NODE_NET ? kind_names[kind] : NULL;
}

int fl_node_fault_spec(const char *spec, enum fl_node_fault_kind *ret_kind,
		       const char **ret_rule)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;

	if (!eq || !eq[1])
		return -EINVAL;
	for (int k = FL_NODE_DISK; k <= FL_NODE_NET; k++) {
		if (strlen(kind_names[k]) == (size_t)(eq - spec) &&
		    !strncmp(spec, kind_names[k], (size_t)(eq - spec))) {
			*ret_kind = (enum fl_node_fault_kind)k;
			*ret_rule = eq + 1;
			return 0;
		}
	}
	return -EINVAL;
}

/* The parser's message, with the column when it does not say it. */
static int rule_refused(const char *kind, const char *text, int code,
			const struct fl_rule_error *re, struct fl_rule_error *rerr,
			char *errbuf, size_t errlen)
{
	char ex[96];

	if (rerr)
		*rerr = *re;
	fl_rule_excerpt(text, ex, sizeof(ex));
	if (re->column && !strstr(re->message, "column"))
		fl_errf(errbuf, errlen, "%s rule '%s': %s (at column %u)", kind, ex, re->message,
			re->column);
	else
		fl_errf(errbuf, errlen, "%s rule '%s': %s", kind, ex, re->message);
	return code;
}

/* One request to the node's faultfs; a refusal's "error" into errbuf. */
static int fs_call(const struct fl_cluster_node *n, json_t *req, json_t **ret, char *errbuf,
		   size_t errlen)
{
	json_t *reply = NULL;
	int fd, err;

	if (!req)
		return -ENOMEM;
	err = fl_fs_connect(n->data, &fd);
	if (!err) {
		err = fl_fs_request(fd, req, &reply, FS_REQUEST_MS);
		close(fd);
	}
	json_decref(req);
	if (err) {
		fl_errf(errbuf, errlen, "faultfs on %s: %s", n->data, fl_fs_strerror(err));
		return err;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		fl_errf(errbuf, errlen, "faultfs on %s refused: %s", n->data, e ? e : "?");
		json_decref(reply);
		return -EIO;
	}
	if (ret)
		*ret = reply;
	else
		json_decref(reply);
	return 0;
}

static int arm_disk(struct fl_node_fault *f, struct fl_rule_error *rerr, char *errbuf,
		    size_t errlen)
{
	struct fl_rule_error re = { 0 };
	struct fl_rule r;
	char sock[PATH_MAX];
	json_t *reply = NULL, *id;
	pid_t pid = 0;
	int err;

	if (fl_rule_parse(f->rule, &r, &re) || fl_rule_check_domain(&r, FL_DOMAIN_FS, &re))
		return rule_refused("disk", f->rule, -EINVAL, &re, rerr, errbuf, errlen);
	err = fl_fs_socket_path(f->node.data, sock, sizeof(sock));
	if (!err)
		err = fl_cluster_node_faultfs_pid(&f->node, &pid);
	if (err) {
		fl_errf(errbuf, errlen, "faultfs on %s: %s", f->node.data, fl_fs_strerror(err));
		return err;
	}
	err = fs_call(&f->node, json_pack("{s:s,s:[s]}", "cmd", "fault", "rules", f->rule),
		      &reply, errbuf, errlen);
	if (err)
		return err;
	id = json_array_get(json_object_get(reply, "ids"), 0);
	if (!json_is_integer(id) || json_integer_value(id) < 0) {
		json_decref(reply);
		fl_errf(errbuf, errlen, "faultfs on %s gave no rule id", f->node.data);
		return -EPROTO;
	}
	f->fs_rule_id = (unsigned)json_integer_value(id);
	json_decref(reply);
	/* Recorded right after: the id is the daemon's to give. */
	err = fl_state_record_faultfs_rule(f->st, sock, pid, f->fs_rule_id, f->node.data,
					   &f->fs_record);
	if (err) {
		fs_call(&f->node, json_pack("{s:s,s:i}", "cmd", "clear", "id", (int)f->fs_rule_id),
			NULL, NULL, 0);
		fl_errf(errbuf, errlen, "cannot record the faultfs rule: %s", strerror(-err));
	}
	return err;
}

/* Continues the processes a pause= stopped when it runs out; events are not kept. */
static void *sc_poll(void *arg)
{
	struct fl_node_fault *f = arg;

	while (!atomic_load(&f->stop))
		fl_syscall_session_poll(f->sc, SC_POLL_MS);
	return NULL;
}

static int arm_syscall(struct fl_node_fault *f, struct fl_rule_error *rerr, char *errbuf,
		       size_t errlen)
{
	const char *cg[1] = { f->node.cgroup };
	struct fl_syscall_targets t = { .cgroups = cg, .n_cgroups = 1 };
	struct fl_rule_error re = { 0 };
	struct fl_rule r;
	int bad = -1, err;

	if (fl_rule_parse(f->rule, &r, &re) || fl_rule_check_domain(&r, FL_DOMAIN_SYSCALL, &re))
		return rule_refused("syscall", f->rule, -EINVAL, &re, rerr, errbuf, errlen);
	err = fl_syscall_plan(&r, 1, &t, -1, &f->plan, &bad, &re);
	if (err)
		return rule_refused("syscall", f->rule, err, &re, rerr, errbuf, errlen);
	err = fl_syscall_session_open(&r, 1, &f->plan, &t, NULL, NULL, &f->sc);
	if (err) {
		if (err == -ENOMEDIUM)
			fl_errf(errbuf, errlen, "syscall rule '%s': it stops processes, and bpffs "
				"is not mounted at %s", f->rule, FL_SC_BPFFS);
		else
			fl_errf(errbuf, errlen, "syscall rule '%s' on %s: cannot load the programs: "
				"%s", f->rule, f->node.cgroup, strerror(-err));
		return err;
	}
	err = -pthread_create(&f->poller, NULL, sc_poll, f);
	if (err) {
		fl_syscall_session_close(f->sc);
		f->sc = NULL;
		fl_errf(errbuf, errlen, "cannot start the syscall poller: %s", strerror(-err));
		return err;
	}
	f->polling = true;
	return 0;
}

static int arm_net(struct fl_node_fault *f, struct fl_rule_error *rerr, char *errbuf,
		   size_t errlen)
{
	struct fl_net_rule kr[FL_NET_MAX_RULES];
	struct fl_net_compile_opts co = { .kind = FL_NET_TARGET_DEV };
	struct fl_net_target t = { .kind = FL_NET_TARGET_DEV, .netns = f->node.netns,
				   .dev = FL_CLUSTER_NODE_DEV };
	struct fl_rule_error re = { 0 };
	struct fl_rule r;
	int bad = -1, err;

	if (fl_rule_parse(f->rule, &r, &re) || fl_rule_check_domain(&r, FL_DOMAIN_NET, &re))
		return rule_refused("net", f->rule, -EINVAL, &re, rerr, errbuf, errlen);
	err = fl_net_compile(&r, 1, &co, kr, NULL, FL_NET_MAX_RULES, &f->n_net, &bad, &re);
	if (err)
		return rule_refused("net", f->rule, err, &re, rerr, errbuf, errlen);
	err = fl_net_session_open(kr, f->n_net, &t, f->st, &f->net, errbuf, errlen);
	if (err)
		return err;
	/* Compiled again right before the attach, so for= does not count the load. */
	co.start_ns = fl_now_ns();
	err = fl_net_compile(&r, 1, &co, kr, NULL, FL_NET_MAX_RULES, &f->n_net, &bad, &re);
	if (!err)
		err = fl_net_session_set_rules(f->net, kr, f->n_net, errbuf, errlen);
	if (!err)
		err = fl_net_session_attach(f->net, errbuf, errlen);
	if (err) {
		fl_net_session_close(f->net);
		f->net = NULL;
	}
	return err;
}

int fl_node_fault_arm(struct fl_cluster *c, unsigned i, enum fl_node_fault_kind kind,
		      const char *rule, struct fl_state *st, struct fl_node_fault **ret,
		      struct fl_rule_error *rerr, char *errbuf, size_t errlen)
{
	struct fl_node_fault *f;
	int err;

	if (!c || i >= c->n || !rule || !ret || !fl_node_fault_kind_name(kind))
		return -EINVAL;
	if (strlen(rule) >= sizeof(f->rule)) {
		fl_errf(errbuf, errlen, "%s rule: longer than %zu bytes",
			fl_node_fault_kind_name(kind), sizeof(f->rule) - 1);
		return -E2BIG;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = kind;
	f->node = c->nodes[i];
	f->node.start = f->node.stop = f->node.health = NULL;
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->st = st;
	/* The syscall domain keeps nothing outside its fds: no session of its own. */
	if (!st && kind != FL_NODE_SYSCALL) {
		err = fl_state_open(NULL, &f->st);
		if (!err) {
			f->own_st = true;
			err = fl_state_watchdog_start(f->st);
		}
		if (err) {
			fl_errf(errbuf, errlen, "cannot open a state session: %s", strerror(-err));
			goto fail;
		}
	}
	f->armed_ns = fl_now_ns();
	if (kind == FL_NODE_DISK)
		err = arm_disk(f, rerr, errbuf, errlen);
	else if (kind == FL_NODE_SYSCALL)
		err = arm_syscall(f, rerr, errbuf, errlen);
	else
		err = arm_net(f, rerr, errbuf, errlen);
	if (err)
		goto fail;
	f->armed_ns = fl_now_ns();
	*ret = f;
	return 0;
fail:
	if (f->own_st)
		fl_state_close(f->st);
	free(f);
	return err;
}

static int disk_stats(const struct fl_node_fault *f, struct fl_node_fault_stats *s)
{
	json_t *reply = NULL, *v;
	size_t k;
	int err;

	err = fs_call(&f->node, json_pack("{s:s}", "cmd", "status"), &reply, NULL, 0);
	if (err)
		return err;
	err = -ENOENT;
	json_array_foreach(json_object_get(reply, "rules"), k, v) {
		if (json_integer_value(json_object_get(v, "id")) != (json_int_t)f->fs_rule_id)
			continue;
		s->matched = (uint64_t)json_integer_value(json_object_get(v, "matched"));
		s->injected = (uint64_t)json_integer_value(json_object_get(v, "injected"));
		err = 0;
	}
	json_decref(reply);
	return err;
}

const char *fl_node_fault_mechanism(const struct fl_node_fault *f)
{
	if (f->kind == FL_NODE_DISK)
		return "faultfs";
	if (f->kind == FL_NODE_SYSCALL)
		return fl_mechanism_name(f->plan.mech[0]);
	return "tc-bpf";
}

int fl_node_fault_stats(const struct fl_node_fault *f, struct fl_node_fault_stats *ret)
{
	struct fl_node_fault_stats s = { 0 };
	int err = 0;

	if (!f || !ret)
		return -EINVAL;
	s.kind = f->kind;
	s.armed_ns = f->armed_ns;
	snprintf(s.node, sizeof(s.node), "%s", f->node.name);
	snprintf(s.rule, sizeof(s.rule), "%s", f->rule);
	snprintf(s.mechanism, sizeof(s.mechanism), "%s", fl_node_fault_mechanism(f));
	if (f->kind == FL_NODE_DISK) {
		err = disk_stats(f, &s);
	} else if (f->kind == FL_NODE_SYSCALL) {
		struct fl_syscall_stats ss = { 0 };

		err = fl_syscall_session_stats(f->sc, 0, &ss);
		s.matched = ss.matched;
		s.injected = ss.injected;
	} else {
		for (size_t k = 0; !err && k < f->n_net; k++) {
			struct fl_net_counters nc = { 0 };

			err = fl_net_session_counters(f->net, k, &nc);
			s.matched += nc.matched;
			s.injected += nc.injected;
		}
	}
	if (err)
		return err;
	*ret = s;
	return 0;
}

int fl_node_fault_clear(struct fl_node_fault *f, struct fl_node_fault_stats *ret,
			char *errbuf, size_t errlen)
{
	int err = 0, e;

	if (!f)
		return 0;
	if (ret && fl_node_fault_stats(f, ret))
		memset(ret, 0, sizeof(*ret));
	if (f->kind == FL_NODE_DISK) {
		/* A faultfs that is gone took the rule along: the record says how to tell. */
		err = fs_call(&f->node, json_pack("{s:s,s:i}", "cmd", "clear", "id",
						  (int)f->fs_rule_id), NULL, errbuf, errlen);
		if (!err || err == -ENOENT || err == -ECONNREFUSED || err == -EMEDIUMTYPE ||
		    (err == -EIO && errbuf && strstr(errbuf, "no rule with id"))) {
			err = 0;
			fl_state_forget(f->st, f->fs_record);
		}
	} else if (f->kind == FL_NODE_SYSCALL) {
		atomic_store(&f->stop, true);
		if (f->polling)
			pthread_join(f->poller, NULL);
		fl_syscall_session_close(f->sc);
	} else {
		err = fl_net_session_detach(f->net, errbuf, errlen);
		fl_net_session_close(f->net);
	}
	if (f->own_st) {
		e = fl_state_close(f->st);
		if (e && !err) {
			err = e;
			fl_errf(errbuf, errlen, "what the %s fault left could not all be removed",
				fl_node_fault_kind_name(f->kind));
		}
	}
	free(f);
	return err;
}
