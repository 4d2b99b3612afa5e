// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_simulate_failure: one fault of any domain, armed through that
 * domain's own public API and held in a handle until fl_failure_clear.
 * Nothing here injects anything itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/abi.h>
#include <faultline/cluster.h>
#include <faultline/fs.h>
#include <faultline/net.h>
#include <faultline/recovery.h>
#include <faultline/rule.h>
#include <faultline/syscall.h>

#define FS_TIMEOUT_MS 10000

struct fl_failure_handle {
	enum fl_failure_domain domain;
	struct fl_syscall_session *sc;
	struct fl_net_session *net;
	size_t n_net;
	struct fl_node_fault *node;
	int fs_fd;
	int64_t fs_id;           /* the rule's id; -1: a power cut */
	bool fs_armed;           /* only then is there something to clear */
	pid_t process;
	int signal;
};

static int __attribute__((format(printf, 4, 5)))
why(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

const char *fl_failure_domain_name(enum fl_failure_domain d)
{
	switch (d) {
	case FL_FAILURE_SYSCALL: return "syscall";
	case FL_FAILURE_FS: return "fs";
	case FL_FAILURE_NET: return "net";
	case FL_FAILURE_PROCESS: return "process";
	case FL_FAILURE_NODE: return "node";
	}
	return NULL;
}

static int arm_syscall(const struct fl_failure *f, struct fl_failure_handle *h, char *errbuf,
		       size_t errlen)
{
	struct fl_rule rule;
	struct fl_rule_error rerr = { 0 };
	pid_t pid = f->pid;
	const char *cg = f->cgroup;
	struct fl_syscall_targets targets = {
		.pids = &pid, .n_pids = pid > 0, .follow = true,
		.cgroups = &cg, .n_cgroups = cg != NULL,
	};
	int err;

	if (pid <= 0 && !cg)
		return why(errbuf, errlen, -EINVAL, "syscall: a target is needed (pid or cgroup)");
	if (fl_rule_parse(f->rule, &rule, &rerr))
		return why(errbuf, errlen, -EINVAL, "syscall rule '%s': %s", f->rule, rerr.message);
	err = fl_syscall_rule_check(&rule, &rerr);
	if (err)
		return why(errbuf, errlen, err, "syscall rule '%s': %s", f->rule, rerr.message);
	err = fl_syscall_session_open(&rule, 1, NULL, &targets, NULL, NULL, &h->sc);
	if (err)
		return why(errbuf, errlen, err, "syscall rule '%s': cannot arm: %s", f->rule,
			   strerror(-err));
	return 0;
}

static int fs_call(int fd, json_t *req, json_t **ret_reply, char *errbuf, size_t errlen)
{
	json_t *rep = NULL;
	int err;

	if (!req)
		return -ENOMEM;
	err = fl_fs_request(fd, req, &rep, FS_TIMEOUT_MS);
	json_decref(req);
	if (err)
		return why(errbuf, errlen, err, "faultfs: %s", strerror(-err));
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));

		why(errbuf, errlen, -EINVAL, "faultfs: %s", e ? e : "refused");
		json_decref(rep);
		return -EINVAL;
	}
	if (ret_reply)
		*ret_reply = rep;
	else
		json_decref(rep);
	return 0;
}

static int arm_fs(const struct fl_failure *f, struct fl_failure_handle *h, char *errbuf,
		  size_t errlen)
{
	json_t *rep = NULL, *req;
	int err;

	if (!f->mountpoint)
		return why(errbuf, errlen, -EINVAL, "fs: a faultfs mount point is needed");
	if (!f->powercut && !f->rule)
		return why(errbuf, errlen, -EINVAL, "fs: a rule or a power cut is needed");
	err = fl_fs_connect(f->mountpoint, &h->fs_fd);
	if (err)
		return why(errbuf, errlen, err, "fs: %s: no faultfs control socket: %s",
			   f->mountpoint, strerror(-err));
	if (f->powercut) {
		h->fs_id = -1;
		req = json_pack("{s:s, s:I, s:I, s:I}", "cmd", "powercut", "keep_ppm",
				(json_int_t)f->keep_ppm, "seed", (json_int_t)f->seed, "torn",
				(json_int_t)0);
		err = fs_call(h->fs_fd, req, NULL, errbuf, errlen);
		h->fs_armed = !err;
		return err;
	}
	req = json_pack("{s:s, s:[s]}", "cmd", "fault", "rules", f->rule);
	err = fs_call(h->fs_fd, req, &rep, errbuf, errlen);
	if (err)
		return err;
	h->fs_id = json_integer_value(json_array_get(json_object_get(rep, "ids"), 0));
	h->fs_armed = true;
	json_decref(rep);
	return 0;
}

static int arm_net(const struct fl_failure *f, struct fl_failure_handle *h, char *errbuf,
		   size_t errlen)
{
	struct fl_net_rule kr[FL_NET_MAX_RULES];
	struct fl_net_target target = { 0 };
	struct fl_net_compile_opts co = { 0 };
	struct fl_rule_error rerr = { 0 };
	struct fl_rule rule;
	int bad = -1, err;

	if (f->cgroup) {
		target.kind = FL_NET_TARGET_CGROUP;
		target.cgroup = f->cgroup;
		target.pid = f->pid;
	} else if (f->dev) {
		target.kind = FL_NET_TARGET_DEV;
		target.dev = f->dev;
		target.netns = f->netns;
	} else if (f->netns) {
		target.kind = FL_NET_TARGET_NETNS;
		target.netns = f->netns;
	} else {
		return why(errbuf, errlen, -EINVAL, "net: a target is needed (cgroup, dev or netns)");
	}
	if (fl_rule_parse(f->rule, &rule, &rerr) ||
	    fl_rule_check_domain(&rule, FL_DOMAIN_NET, &rerr))
		return why(errbuf, errlen, -EINVAL, "net rule '%s': %s", f->rule, rerr.message);
	co.kind = target.kind;
	co.seed = f->seed;
	err = fl_net_compile(&rule, 1, &co, kr, NULL, FL_NET_MAX_RULES, &h->n_net, &bad, &rerr);
	if (err)
		return why(errbuf, errlen, err, "net rule '%s': %s", f->rule, rerr.message);
	err = fl_net_session_open(kr, h->n_net, &target, NULL, &h->net, errbuf, errlen);
	if (!err)
		err = fl_net_session_attach(h->net, errbuf, errlen);
	return err;
}

static int arm_process(const struct fl_failure *f, struct fl_failure_handle *h, char *errbuf,
		       size_t errlen)
{
	if (f->process <= 0 || f->signal <= 0 || f->signal >= NSIG)
		return why(errbuf, errlen, -EINVAL, "process: a pid and a signal are needed");
	if (f->process == getpid())
		return why(errbuf, errlen, -EINVAL, "process: refusing to signal the caller itself");
	if (kill(f->process, f->signal))
		return why(errbuf, errlen, -errno, "process %d: %s", (int)f->process,
			   strerror(errno));
	h->process = f->process;
	h->signal = f->signal;
	return 0;
}

static int arm_node(const struct fl_failure *f, struct fl_failure_handle *h, char *errbuf,
		    size_t errlen)
{
	enum fl_node_fault_kind kind;
	const char *rule;

	if (!f->cluster)
		return why(errbuf, errlen, -EINVAL, "node: a cluster is needed");
	if (fl_node_fault_spec(f->rule, &kind, &rule))
		return why(errbuf, errlen, -EINVAL,
			   "node: '%s' is not disk=RULE, syscall=RULE or net=RULE", f->rule);
	return fl_node_fault_arm(f->cluster, f->node, kind, rule, NULL, &h->node, NULL, errbuf,
				 errlen);
}

int fl_simulate_failure(const struct fl_failure *f, char *errbuf, size_t errlen,
			struct fl_failure_handle **ret)
{
	struct fl_failure_handle *h;
	int err;

	if (!f || !ret)
		return why(errbuf, errlen, -EINVAL, "no failure given");
	if (!fl_failure_domain_name(f->domain))
		return why(errbuf, errlen, -EINVAL, "unknown failure domain %d", (int)f->domain);
	if (f->domain != FL_FAILURE_PROCESS && !(f->domain == FL_FAILURE_FS && f->powercut) &&
	    !f->rule)
		return why(errbuf, errlen, -EINVAL, "%s: a rule is needed",
			   fl_failure_domain_name(f->domain));
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->domain = f->domain;
	h->fs_fd = -1;
	switch (f->domain) {
	case FL_FAILURE_SYSCALL:
		err = arm_syscall(f, h, errbuf, errlen);
		break;
	case FL_FAILURE_FS:
		err = arm_fs(f, h, errbuf, errlen);
		break;
	case FL_FAILURE_NET:
		err = arm_net(f, h, errbuf, errlen);
		break;
	case FL_FAILURE_PROCESS:
		err = arm_process(f, h, errbuf, errlen);
		break;
	default:
		err = arm_node(f, h, errbuf, errlen);
		break;
	}
	if (err) {
		h->process = 0; /* nothing to continue */
		fl_failure_clear(h, NULL, 0);
		return err;
	}
	*ret = h;
	return 0;
}

int fl_failure_counters(const struct fl_failure_handle *h, uint64_t *ret_matched,
			uint64_t *ret_injected)
{
	uint64_t m = 0, inj = 0;
	int err = 0;

	if (!h || !ret_matched || !ret_injected)
		return -EINVAL;
	if (h->sc) {
		struct fl_syscall_stats st;

		err = fl_syscall_session_stats(h->sc, 0, &st);
		m = st.matched;
		inj = st.injected;
	} else if (h->net) {
		for (size_t i = 0; i < h->n_net && !err; i++) {
			struct fl_net_counters c;

			err = fl_net_session_counters(h->net, i, &c);
			if (!err) {
				m += c.matched;
				inj += c.injected;
			}
		}
	} else if (h->node) {
		struct fl_node_fault_stats st;

		err = fl_node_fault_stats(h->node, &st);
		m = st.matched;
		inj = st.injected;
	}
	if (err)
		return err;
	*ret_matched = m;
	*ret_injected = inj;
	return 0;
}

int fl_failure_clear(struct fl_failure_handle *h, char *errbuf, size_t errlen)
{
	int err = 0;

	if (!h)
		return 0;
	fl_syscall_session_close(h->sc);
	if (h->net) {
		err = fl_net_session_detach(h->net, errbuf, errlen);
		fl_net_session_close(h->net);
	}
	if (h->node)
		err = fl_node_fault_clear(h->node, NULL, errbuf, errlen);
	if (h->fs_fd >= 0 && h->fs_armed) {
		json_t *req = h->fs_id < 0 ? json_pack("{s:s}", "cmd", "resume")
					   : json_pack("{s:s, s:I}", "cmd", "clear", "id",
						       (json_int_t)h->fs_id);

		err = fs_call(h->fs_fd, req, NULL, errbuf, errlen);
	}
	if (h->fs_fd >= 0)
		close(h->fs_fd);
	if (h->process > 0 && h->signal == SIGSTOP && kill(h->process, SIGCONT))
		err = why(errbuf, errlen, -errno, "process %d: SIGCONT: %s", (int)h->process,
			  strerror(errno));
	free(h);
	return err;
}
