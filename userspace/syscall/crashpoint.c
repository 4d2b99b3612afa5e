// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crash points: load bpf/syscall.bpf.c, give it the rules and targets, and
 * hand its events to the caller. The BPF links are owned by the skeleton's
 * fds only (never pinned), so nothing survives the process that opened the
 * session, however it dies.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/syscall.h>
#include "syscall.skel.h"

struct fl_syscall_session {
	struct syscall_bpf *skel;
	struct fl_event_ring *ring;
	size_t n_rules;
};

static int refuse(struct fl_rule_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct fl_rule_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->column = 0;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

int fl_syscall_rule_check(const struct fl_rule *rule, struct fl_rule_error *err)
{
	int ret;

	ret = fl_rule_check_domain(rule, FL_DOMAIN_SYSCALL, err);
	if (ret)
		return ret;

	switch (rule->action) {
	case FL_ACTION_SIGNAL:
		break;
	case FL_ACTION_ERROR:
	case FL_ACTION_RETVAL:
		return refuse(err, -EOPNOTSUPP,
			      "%s=: arrives with the seccomp/LSM mechanisms; not implemented yet (only signal= is)",
			      fl_action_name(rule->action));
	case FL_ACTION_DELAY:
		return refuse(err, -EOPNOTSUPP,
			      "%s=: arrives with the seccomp/bpf_loop mechanisms; not implemented yet (only signal= is)",
			      fl_action_name(rule->action));
	default:
		return refuse(err, -EOPNOTSUPP,
			      "%s: not implemented yet in the syscall domain (only signal= is)",
			      fl_action_name(rule->action));
	}

	if (rule->keys & FL_KEY_SEED)
		return refuse(err, -EOPNOTSUPP, "%s",
			      "seed=: prob= is drawn in the kernel by bpf_get_prandom_u32, which cannot be seeded; not implemented yet");
	if (rule->keys & FL_KEY_PATH)
		return refuse(err, -EOPNOTSUPP, "%s",
			      "path=: arrives with the seccomp/LSM mechanisms; not implemented yet");
	if (rule->keys & FL_KEY_FOR)
		return refuse(err, -EOPNOTSUPP, "%s",
			      "for=: not implemented yet in the syscall domain (use 'faultline syscall --for DUR')");
	return 0;
}

int fl_syscall_probe(struct fl_probe_result *ret)
{
	struct fl_probe_result r;
	int err;

	memset(&r, 0, sizeof(r));
	err = fl_probe_mechanism(FL_MECH_SEND_SIGNAL, &r);
	if (err) {
		r.status = FL_PROBE_UNKNOWN;
		r.err = -err;
		snprintf(r.detail, sizeof(r.detail),
			 "the bpf_send_signal probe could not run: %s", strerror(-err));
	}
	*ret = r;
	return r.status == FL_PROBE_WORKS ? 0 : -EOPNOTSUPP;
}

static int rule_to_slot(const struct fl_rule *rule, struct fl_sc_rule *slot)
{
	memset(slot, 0, sizeof(*slot));
	for (unsigned i = 0; i < rule->n_ops; i++) {
		int nr;

		if (strcmp(rule->ops[i], "*") == 0) {
			memset(slot->nr_mask, 0xff, sizeof(slot->nr_mask));
			continue;
		}
		nr = fl_syscall_nr(rule->ops[i]);
		if (nr < 0)
			return -EINVAL;
		if (nr >= FL_SC_NR_MAX)
			return -ERANGE;
		slot->nr_mask[nr / 64] |= 1ull << (nr % 64);
	}
	slot->when_first = rule->when.first ? rule->when.first : 1;
	slot->when_last = rule->when.last;
	slot->when_step = rule->when.step ? rule->when.step : 1;
	slot->count = rule->count;
	slot->prob_ppm = rule->prob_ppm > FL_SC_PPM ? FL_SC_PPM : rule->prob_ppm;
	slot->action = (__u16)rule->action;
	slot->value = rule->arg.signal;
	slot->enabled = 1;
	return 0;
}

int fl_syscall_session_open(const struct fl_rule *rules, size_t n_rules,
			    fl_event_cb cb, void *ctx,
			    struct fl_syscall_session **ret)
{
	struct fl_sc_rule slots[FL_SC_MAX_RULES];
	struct fl_syscall_session *s = NULL;
	struct fl_probe_result probe;
	int err;

	if (!rules || n_rules == 0 || !cb)
		return -EINVAL;
	if (n_rules > FL_SC_MAX_RULES)
		return -E2BIG;
	for (size_t i = 0; i < n_rules; i++) {
		err = fl_syscall_rule_check(&rules[i], NULL);
		if (err)
			return err == -EOPNOTSUPP ? err : -EINVAL;
		err = rule_to_slot(&rules[i], &slots[i]);
		if (err)
			return err;
	}
	err = fl_syscall_probe(&probe);
	if (err)
		return err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_rules = n_rules;
	s->skel = syscall_bpf__open();
	if (!s->skel) {
		err = -errno ? -errno : -EINVAL;
		goto fail;
	}
	s->skel->rodata->n_rules = (__u32)n_rules;
	err = syscall_bpf__load(s->skel);
	if (err)
		goto fail;
	for (__u32 i = 0; i < n_rules; i++) {
		err = bpf_map_update_elem(bpf_map__fd(s->skel->maps.rules), &i, &slots[i], BPF_ANY);
		if (err) {
			err = -errno;
			goto fail;
		}
	}
	err = fl_event_ring_open(bpf_map__fd(s->skel->maps.events), cb, ctx, &s->ring);
	if (err)
		goto fail;
	/* Attach last: rules and the consumer are in place before any call is seen. */
	err = syscall_bpf__attach(s->skel);
	if (err)
		goto fail;
	*ret = s;
	return 0;
fail:
	fl_event_ring_free(s->ring);
	syscall_bpf__destroy(s->skel);
	free(s);
	return err;
}

static int add_target(struct fl_syscall_session *s, pid_t pid, __u8 state)
{
	__u32 key = (__u32)pid;

	if (pid <= 0)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &key, &state, BPF_ANY))
		return -errno;
	return 0;
}

int fl_syscall_session_add_target(struct fl_syscall_session *s, pid_t pid)
{
	return add_target(s, pid, FL_SC_TARGET_ACTIVE);
}

int fl_syscall_session_add_target_at_exec(struct fl_syscall_session *s, pid_t pid)
{
	return add_target(s, pid, FL_SC_TARGET_AT_EXEC);
}

int fl_syscall_session_poll(struct fl_syscall_session *s, int timeout_ms)
{
	return fl_event_ring_poll(s->ring, timeout_ms);
}

int fl_syscall_session_fd(const struct fl_syscall_session *s)
{
	return fl_event_ring_fd(s->ring);
}

int fl_syscall_session_stats(const struct fl_syscall_session *s, size_t rule,
			     struct fl_syscall_stats *ret)
{
	struct fl_sc_counters c;
	__u32 key = (__u32)rule;

	if (rule >= s->n_rules)
		return -ERANGE;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &key, &c))
		return -errno;
	ret->matched = c.matched;
	ret->injected = c.injected;
	ret->failed = c.failed;
	ret->dropped = c.dropped;
	return 0;
}

void fl_syscall_session_close(struct fl_syscall_session *s)
{
	if (!s)
		return;
	/* Detach first so no new event arrives, then drain what is queued. */
	syscall_bpf__detach(s->skel);
	if (s->ring)
		fl_event_ring_consume(s->ring);
	fl_event_ring_free(s->ring);
	syscall_bpf__destroy(s->skel);
	free(s);
}
