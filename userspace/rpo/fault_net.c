// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Network faults of `faultline rpo`: `partition` (every packet of the
 * service dropped, both ways) and `net=RULE` (any `faultline net` rule),
 * armed on the service's own cgroup for fault_for, then healed.
 *
 * The target is the cgroup faultline runs the service in: its cgroup_skb
 * programs see the packets of the service's sockets only, so the clients
 * are cut off from it over loopback while every other process's loopback
 * traffic goes on. The links die with their file descriptors, so nothing
 * needs recording: a SIGKILLed controller takes them along, and its
 * watchdog removes the service's cgroup.
 *
 * The service never died, so it is not restarted. The fault time is the
 * moment the rules were armed (from then on nothing gets through); the
 * clients' unavailability window, which is the RTO, ends with the first
 * write acknowledged at or after the heal (rto.healed_ns, recovery.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/net.h>
#include <faultline/rule.h>
#include "trial.h"

/* A partition is this net rule: every IP packet, both ways. */
#define PARTITION_RULE "any:partition"

static const char *rule_text(const struct fl_rpo_config *cfg)
{
	return cfg->fault == FL_RPO_FAULT_PARTITION ? PARTITION_RULE : cfg->net_rule;
}

/* Parse, check and compile the fault's rule for a cgroup, as `faultline net --cgroup` would. */
static int compile(const struct fl_rpo_config *cfg, uint64_t start_ns, uint64_t seed,
		   struct fl_net_rule *out, size_t *ret_n, char *errbuf, size_t errlen)
{
	struct fl_net_compile_opts co = {
		.kind = FL_NET_TARGET_CGROUP, .start_ns = start_ns, .seed = seed,
	};
	const char *text = rule_text(cfg);
	struct fl_rule_error rerr = { 0 };
	char excerpt[160];
	struct fl_rule rule;
	int bad = -1, err;

	if (!text || !*text) {
		fl_errf(errbuf, errlen, "--fault net needs a rule: net='tcp:dport=6379:drop:prob=50%%'");
		return -EINVAL;
	}
	fl_rule_excerpt(text, excerpt, sizeof(excerpt));
	if (fl_rule_parse(text, &rule, &rerr) ||
	    fl_rule_check_domain(&rule, FL_DOMAIN_NET, &rerr)) {
		fl_errf(errbuf, errlen, "net=%s: %s", excerpt, rerr.message);
		return -EINVAL;
	}
	err = fl_net_compile(&rule, 1, &co, out, NULL, FL_NET_MAX_RULES, ret_n, &bad, &rerr);
	if (err)
		fl_errf(errbuf, errlen, "net=%s: on the service's cgroup: %s", excerpt,
			rerr.message);
	return err;
}

int fl_rpo_net_config_check(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen)
{
	struct fl_net_rule rules[FL_NET_MAX_RULES];
	struct fl_workload *w;
	bool builtin;
	size_t n;

	if (!fl_rpo_fault_is_network(cfg->fault)) {
		if (cfg->net_rule) {
			fl_errf(errbuf, errlen, "a net rule is given, but the fault is %s",
				fl_rpo_fault_name(cfg->fault));
			return -EINVAL;
		}
		return 0;
	}
	if (!cfg->fault_for_ns) {
		fl_errf(errbuf, errlen, "--fault-for: a network fault must last longer than 0");
		return -EINVAL;
	}
	if (cfg->workload && fl_workload_open(cfg->workload, &w, NULL, 0) == 0) {
		builtin = fl_workload_builtin(w);
		fl_workload_close(w);
		if (builtin) {
			fl_errf(errbuf, errlen, "--fault %s cuts a service off from its clients' "
				"network traffic, and %s is a built-in workload, whose writer is "
				"reached over a unix socket that no packet rule sees: use a "
				"service (redis://, postgres://, mysql://, etcd://, exec:, or KIND:local)",
				fl_rpo_fault_name(cfg->fault), cfg->workload);
			return -EINVAL;
		}
	}
	return compile(cfg, 0, 0, rules, &n, errbuf, errlen);
}

/* What was injected, over the kernel rules one rule became. */
static void read_counters(struct fl_net_session *s, size_t n, struct fl_rpo_net_fault *nf)
{
	struct fl_net_counters c;

	for (size_t i = 0; i < n; i++) {
		if (fl_net_session_counters(s, i, &c))
			continue;
		nf->matched += c.matched;
		nf->injected += c.injected;
	}
}

int fl_rpo_fault_inject_net(struct rpo_trial *t)
{
	const struct fl_rpo_config *cfg = t->cfg;
	struct fl_rpo_net_fault *nf = &t->out->net;
	struct fl_rto *rto = &t->out->rto;
	struct fl_net_rule rules[FL_NET_MAX_RULES];
	struct fl_net_target target = { .kind = FL_NET_TARGET_CGROUP };
	struct fl_net_session *s = NULL;
	const char *name = fl_rpo_fault_name(cfg->fault);
	char why[512] = "";
	bool waited;
	size_t n = 0;
	int err;

	snprintf(nf->rule, sizeof(nf->rule), "%s", rule_text(cfg) ? rule_text(cfg) : "");
	nf->fault_for_ns = cfg->fault_for_ns;
	if (!t->svc.cgroup[0]) {
		fl_rpo_trial_fail(t, "fault", -EOPNOTSUPP, "--fault %s cuts off the sockets of the "
				  "service's cgroup, and the service runs in none of its own (%s)",
				  name, t->svc.builtin ? "the built-in writer" : "no cgroup v2 here");
		return -EOPNOTSUPP;
	}
	target.cgroup = t->svc.cgroup;
	snprintf(nf->target, sizeof(nf->target), "cgroup %s", t->svc.cgroup);
	err = compile(cfg, 0, t->out->seed, rules, &n, why, sizeof(why));
	if (!err)
		err = fl_net_session_open(rules, n, &target, t->st, &s, why, sizeof(why));
	/* for= runs from the arming, not from the programs' load. */
	if (!err)
		err = compile(cfg, fl_now_ns(), t->out->seed, rules, &n, why, sizeof(why));
	if (!err)
		err = fl_net_session_set_rules(s, rules, n, why, sizeof(why));
	if (!err)
		err = fl_net_session_attach(s, why, sizeof(why));
	if (err) {
		fl_net_session_close(s);
		fl_rpo_trial_fail(t, "fault", err, "cannot arm %s on %s: %s", nf->rule, nf->target,
				  why[0] ? why : strerror(-err));
		return err;
	}
	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "cgroup BPF (cgroup_skb, sock_addr)%s%s",
		 fl_net_session_reset_mechanism(s) ? ", " : "",
		 fl_net_session_reset_mechanism(s) ?: "");
	/* Armed: the first packet from here on is hit. */
	rto->fault_ns = fl_now_ns();
	waited = fl_rpo_trial_wait(t, rto->fault_ns + cfg->fault_for_ns, name);
	/* Healed on every path: a Ctrl-C included. */
	err = fl_net_session_detach(s, why, sizeof(why));
	rto->healed_ns = fl_now_ns();
	read_counters(s, n, nf);
	fl_net_session_close(s);
	nf->done = true;
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "cannot remove %s from %s: %s", nf->rule,
				  nf->target, why[0] ? why : strerror(-err));
		return err;
	}
	if (!waited) {
		fl_rpo_trial_fail(t, "fault", -EINTR, "interrupted");
		return -EINTR;
	}
	if (fl_wl_service_gone(&t->svc)) {
		fl_rpo_trial_fail(t, "fault", -ECHILD, "the service exited during the network "
				  "fault (it was only cut off, never signalled)%s%s",
				  cfg->service_log ? "; see " : "",
				  cfg->service_log ? cfg->service_log : "");
		return -ECHILD;
	}
	/*
	 * A partition that saw no packet cut nobody off: the server is not in
	 * the cgroup (--start launched something that reaches a server started
	 * elsewhere) or the clients reach it over a unix socket.
	 */
	if (cfg->fault == FL_RPO_FAULT_PARTITION && !nf->matched) {
		fl_rpo_trial_fail(t, "fault", -ENOTCONN, "the partition saw no packet in %.1f s, "
				  "so it cut no client off: the server is not in the service's "
				  "cgroup (started elsewhere, not by --start) or its clients reach "
				  "it over a unix socket, which packet rules do not see",
				  cfg->fault_for_ns / 1e9);
		return -ENOTCONN;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void fl_rpo_net_judge(struct rpo_trial *t)
{
	struct fl_rpo_trial *o = t->out;
	struct fl_rpo_net_fault *nf = &o->net;
	uint64_t fault = o->rto.fault_ns, healed = o->rto.healed_ns;
	uint64_t end = o->rto.first_ok_ns ? o->rto.first_ok_ns : UINT64_MAX;
	uint64_t *acks, prev = fault;
	size_t n = 0;

	if (!nf->done || !fault)
		return;
	nf->acked_during = nf->failed_during = nf->unknown_during = 0;
	acks = malloc((o->n_ops ? o->n_ops : 1) * sizeof(*acks));
	for (size_t i = 0; i < o->n_ops; i++) {
		const struct fl_op *op = &o->ops[i];

		if (op->complete_ns < fault || op->complete_ns > end)
			continue;
		if (op->outcome == FL_OP_OK) {
			/*
			 * Got through: sent into the armed rules and acknowledged
			 * before the heal. A reply already past the hook when the
			 * rules went on is not one, though its client reads it later.
			 */
			if (op->invoke_ns >= fault && op->complete_ns < healed)
				nf->acked_during++;
			if (acks)
				acks[n++] = op->complete_ns;
		} else if (op->outcome == FL_OP_FAIL) {
			nf->failed_during++;
		} else {
			nf->unknown_during++;
		}
	}
	/* The longest stretch in [fault, first ok after the heal] that no acknowledgement broke. */
	nf->longest_gap_ns = 0;
	if (acks) {
		qsort(acks, n, sizeof(*acks), cmp_u64);
		for (size_t i = 0; i < n; i++) {
			if (acks[i] - prev > nf->longest_gap_ns)
				nf->longest_gap_ns = acks[i] - prev;
			prev = acks[i];
		}
	}
	free(acks);
}
