// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A network fault session: check the compiled rules against the target
 * (rules_check.c), load bpf/net.bpf.c with them, and hand attach/detach to the tc or
 * cgroup file. The programs are loaded once; a netns target attaches the
 * same programs to each of its devices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/cgroup.h>
#include <faultline/state.h>

#include "core/state_ids.h"
#include "net/net_priv.h"
#include "net.skel.h"

static int copy_target(struct fl_net_session *s, const struct fl_net_target *t,
		       char *errbuf, size_t len)
{
	int err;

	s->kind = t->kind;
	if (t->netns && *t->netns) {
		if (t->kind == FL_NET_TARGET_CGROUP) {
			/* cgroup_skb sees the cgroup's sockets in every netns. */
			fl_errf(errbuf, len, "a cgroup target takes no netns");
			return -EINVAL;
		}
		if (fl_netns_name_valid(t->netns) || strlen(t->netns) >= sizeof(s->netns)) {
			fl_errf(errbuf, len, "bad netns name '%s'", t->netns);
			return -EINVAL;
		}
		strcpy(s->netns, t->netns);
	}
	if (t->pid && t->kind != FL_NET_TARGET_CGROUP) {
		fl_errf(errbuf, len, "a pid target is a cgroup target (the pid's cgroup)");
		return -EINVAL;
	}
	switch (t->kind) {
	case FL_NET_TARGET_DEV:
		if (!t->dev || !*t->dev || strlen(t->dev) >= sizeof(s->dev) ||
		    strchr(t->dev, '/')) {
			fl_errf(errbuf, len, "bad device name '%s'", t->dev ? t->dev : "");
			return -EINVAL;
		}
		strcpy(s->dev, t->dev);
		return 0;
	case FL_NET_TARGET_NETNS:
		if (!*s->netns) {
			fl_errf(errbuf, len, "a netns target needs a netns name");
			return -EINVAL;
		}
		return 0;
	case FL_NET_TARGET_CGROUP:
		s->pid = t->pid;
		if (t->pid < 0) {
			fl_errf(errbuf, len, "bad pid %d", (int)t->pid);
			return -EINVAL;
		}
		err = t->cgroup ? fl_cgroup2_resolve(t->cgroup, s->cgroup, sizeof(s->cgroup))
				: -EINVAL;
		if (err)
			fl_errf(errbuf, len, "cgroup %s: %s", t->cgroup ? t->cgroup : "(none)",
				   strerror(-err));
		return err;
	}
	fl_errf(errbuf, len, "unknown target kind %d", (int)t->kind);
	return -EINVAL;
}

int fl_net_session_open(const struct fl_net_rule *rules, size_t n,
			const struct fl_net_target *target, struct fl_state *st,
			struct fl_net_session **ret, char *errbuf, size_t errlen)
{
	struct fl_net_session *s;
	int err;

	if (!target) {
		fl_errf(errbuf, errlen, "no target");
		return -EINVAL;
	}
	err = fl_net_rules_check(rules, n, target->kind, errbuf, errlen);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = copy_target(s, target, errbuf, errlen);
	if (err)
		goto fail;
	s->n_rules = n;
	for (size_t i = 0; i < n; i++)
		s->kind_of_rule[i] = rules[i].action;
	fl_net_rules_needs(rules, n, &s->dirs, &s->sock_calls);

	s->skel = net_bpf__open();
	if (!s->skel) {
		err = -errno;
		fl_errf(errbuf, errlen, "open the network BPF object: %s", strerror(-err));
		goto fail;
	}
	s->skel->rodata->nr_rules = (__u32)n;
	/* Load only what this target attaches: the other type needs no verifying. */
	bpf_program__set_autoload(s->skel->progs.fl_net_tc_ingress, target->kind != FL_NET_TARGET_CGROUP);
	bpf_program__set_autoload(s->skel->progs.fl_net_tc_egress, target->kind != FL_NET_TARGET_CGROUP);
	bpf_program__set_autoload(s->skel->progs.fl_net_skb_ingress, target->kind == FL_NET_TARGET_CGROUP);
	bpf_program__set_autoload(s->skel->progs.fl_net_skb_egress, target->kind == FL_NET_TARGET_CGROUP);
	{
		struct bpf_program *progs[6];
		uint8_t calls[6];
		size_t np = fl_net_sock_progs(s, progs, calls);

		/* Only the socket calls the rules name (check_one kept them to a cgroup). */
		for (size_t i = 0; i < np; i++)
			bpf_program__set_autoload(progs[i], (s->sock_calls & calls[i]) != 0);
	}
	fl_net_pid_prepare(s);
	err = net_bpf__load(s->skel);
	if (err) {
		fl_errf(errbuf, errlen, "load the network BPF programs%s: %s",
			s->pid && s->dirs ? " (a pid target needs cgroup/sock_create with socket storage and a task_file iterator)" : "",
			strerror(-err));
		goto fail;
	}
	for (__u32 i = 0; i < n; i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.rules), &i, &rules[i], BPF_ANY)) {
			err = -errno;
			fl_errf(errbuf, errlen, "fill rule %u: %s", i + 1, strerror(-err));
			goto fail;
		}
	}
	if (fl_net_rules_reset(rules, n)) {
		err = fl_net_reset_open(s, rules, n, &s->reset, errbuf, errlen);
		if (err)
			goto fail;
	}
	if (st) {
		s->st = st;
	} else {
		err = fl_state_open(NULL, &s->st);
		if (err) {
			fl_errf(errbuf, errlen, "open the state directory: %s", strerror(-err));
			goto fail;
		}
		s->own_state = true;
		err = fl_state_watchdog_start(s->st);
		if (err) {
			fl_errf(errbuf, errlen, "start the watchdog: %s", strerror(-err));
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	fl_net_session_close(s);
	return err;
}

int fl_net_session_attach(struct fl_net_session *s, char *errbuf, size_t errlen)
{
	int err;

	if (s->attached) {
		fl_errf(errbuf, errlen, "already attached");
		return -EALREADY;
	}
	if (!s->dirs && !s->sock_calls)
		err = 0;    /* reset rules only: no packet hook */
	else if (s->kind == FL_NET_TARGET_CGROUP)
		err = fl_net_cgroup_attach(s, errbuf, errlen);
	else
		err = fl_net_tc_attach(s, errbuf, errlen);
	if (!err)
		s->attached = true;
	if (!err && s->reset) {
		err = fl_net_reset_start(s->reset, errbuf, errlen);
		if (err)
			fl_net_session_detach(s, NULL, 0);
	}
	return err;
}

int fl_net_session_counters(const struct fl_net_session *s, size_t i,
			    struct fl_net_counters *ret)
{
	struct fl_net_counters c;
	__u32 key = (__u32)i;

	if (i >= s->n_rules)
		return -ERANGE;
	if (s->reset && s->kind_of_rule[i] == FL_NET_ACT_RESET) {
		fl_net_reset_counters(s->reset, i, ret);
		return 0;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &key, &c))
		return -errno;
	*ret = c;
	return 0;
}

int fl_net_session_detach(struct fl_net_session *s, char *errbuf, size_t errlen)
{
	struct fl_net_rule saved[FL_NET_MAX_RULES];
	bool ok[FL_NET_MAX_RULES];
	int err = 0;

	if (!s->attached)
		return 0;
	fl_net_reset_stop(s->reset);
	fl_net_rules_off(s, saved, ok);
	if (!s->dirs && !s->sock_calls)
		;   /* nothing hooked */
	else if (s->kind == FL_NET_TARGET_CGROUP)
		fl_net_cgroup_detach(s);
	else
		err = fl_net_tc_detach(s, errbuf, errlen);
	/* What could not be taken away stays inert. */
	if (!err)
		fl_net_rules_restore(s, saved, ok);
	s->attached = false;
	return err;
}

const char *fl_net_session_reset_mechanism(const struct fl_net_session *s)
{
	return s && s->reset ? fl_net_reset_mechanism(s->reset) : NULL;
}

void fl_net_session_close(struct fl_net_session *s)
{
	if (!s)
		return;
	if (s->attached)
		fl_net_session_detach(s, NULL, 0);
	/* A failed attach may leave devices half done: tc_detach sweeps them. */
	if (s->devs && s->kind != FL_NET_TARGET_CGROUP)
		fl_net_tc_detach(s, NULL, 0);
	fl_net_reset_close(s->reset);
	net_bpf__destroy(s->skel);
	if (s->own_state)
		fl_state_close(s->st);
	free(s->devs);
	free(s);
}
