// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which ops, actions and selectors each fault domain accepts. The parser
 * only knows the grammar; this is where "corrupt makes no sense for a
 * syscall" is decided, pointing at the op or key that is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "rule_internal.h"

#define ACT(a) (1u << (a))
#define QUOTE_LEN 48
#define SYSCALL_NR_MAX 1024

static const char *const fs_ops[] = {
	"read", "write", "open", "create", "fsync", "fdatasync", "flush",
	"rename", "unlink", "mkdir", "rmdir", "truncate", "fallocate",
	"setxattr", "readdir", NULL,
};
static const char *const net_ops[] = {
	"tcp", "udp", "icmp", "ip", "ip6", "any", "connect", "sendmsg", "bind",
	NULL,
};
static const char *const proc_ops[] = { "kill", "pause", "oom", NULL };

struct domain_def {
	const char *const *ops;  /* NULL: syscall names */
	const char *ops_hint;
	unsigned actions;        /* ACT() bits */
	const char *actions_hint;
	unsigned keys;           /* enum fl_rule_key bits */
};

#define COMMON_KEYS (FL_KEY_WHEN | FL_KEY_PROB | FL_KEY_COUNT | FL_KEY_FOR | \
		     FL_KEY_SEED)

static const struct domain_def domains[FL_DOMAIN__COUNT] = {
	[FL_DOMAIN_SYSCALL] = {
		.ops = NULL,
		.ops_hint = "a syscall name or *",
		.actions = ACT(FL_ACTION_ERROR) | ACT(FL_ACTION_RETVAL) |
			   ACT(FL_ACTION_DELAY) | ACT(FL_ACTION_SIGNAL) |
			   ACT(FL_ACTION_PAUSE),
		.actions_hint = "error, retval, delay, signal or pause",
		.keys = COMMON_KEYS | FL_KEY_PATH,
	},
	[FL_DOMAIN_NET] = {
		.ops = net_ops,
		.ops_hint = "tcp, udp, icmp, ip, ip6, any, connect, sendmsg, bind or *",
		.actions = ACT(FL_ACTION_DROP) | ACT(FL_ACTION_REJECT) |
			   ACT(FL_ACTION_PARTITION) | ACT(FL_ACTION_DELAY) |
			   ACT(FL_ACTION_CORRUPT) | ACT(FL_ACTION_DUPLICATE) |
			   ACT(FL_ACTION_RATE) | ACT(FL_ACTION_RESET) |
			   ACT(FL_ACTION_ERROR),
		.actions_hint = "drop, reject, partition, delay, corrupt, duplicate, rate, reset or error",
		.keys = COMMON_KEYS | FL_KEY_BYTES | FL_KEY_DPORT |
			FL_KEY_SPORT | FL_KEY_HOST | FL_KEY_SRC | FL_KEY_DST |
			FL_KEY_DIR | FL_KEY_REORDER,
	},
	[FL_DOMAIN_FS] = {
		.ops = fs_ops,
		.ops_hint = "read, write, open, create, fsync, fdatasync, flush, rename, unlink, mkdir, rmdir, ...",
		.actions = ACT(FL_ACTION_ERROR) | ACT(FL_ACTION_DELAY) |
			   ACT(FL_ACTION_CORRUPT) | ACT(FL_ACTION_TORN) |
			   ACT(FL_ACTION_DROP) | ACT(FL_ACTION_POWERCUT) |
			   ACT(FL_ACTION_FSYNCGATE),
		.actions_hint = "error, delay, corrupt, torn, drop, powercut or fsyncgate",
		.keys = COMMON_KEYS | FL_KEY_PATH | FL_KEY_BYTES |
			FL_KEY_READ | FL_KEY_PERSIST,
	},
	[FL_DOMAIN_PROC] = {
		.ops = proc_ops,
		.ops_hint = "kill, pause, oom or *",
		.actions = ~0u,
		.keys = ~0u,
	},
};

/* The closest known op within edit distance 2, or NULL. */
static const char *nearest_op(const struct domain_def *d, const char *op)
{
	const char *best = NULL, *name;
	size_t n = strlen(op);
	unsigned cap = FL_SUGGEST_CAP(n), best_d = cap + 1, dist;
	int nr;

	if (d->ops) {
		for (nr = 0; d->ops[nr]; nr++) {
			dist = fl_edit_distance(op, n, d->ops[nr], cap);
			if (dist < best_d) {
				best_d = dist;
				best = d->ops[nr];
			}
		}
		return best;
	}
	for (nr = 0; nr < SYSCALL_NR_MAX; nr++) {
		name = fl_syscall_name(nr);
		if (!name)
			continue;
		dist = fl_edit_distance(op, n, name, cap);
		if (dist < best_d) {
			best_d = dist;
			best = name;
		}
	}
	return best;
}

static bool known_op(const struct domain_def *d, const char *op)
{
	size_t i;

	if (!strcmp(op, "*"))
		return true;
	if (!d->ops)
		return fl_syscall_nr(op) >= 0;
	for (i = 0; d->ops[i]; i++)
		if (!strcmp(op, d->ops[i]))
			return true;
	return false;
}

static int check_ops(const struct fl_rule *rule, enum fl_domain domain,
		     struct fl_rule_error *err)
{
	const struct domain_def *d = &domains[domain];
	char quote[QUOTE_LEN], what[16];
	const char *near;
	unsigned i, col;

	if (domain == FL_DOMAIN_SYSCALL)
		snprintf(what, sizeof(what), "syscall");
	else
		snprintf(what, sizeof(what), "%s op", fl_domain_name(domain));

	for (i = 0; i < rule->n_ops && i < FL_RULE_MAX_OPS; i++) {
		const char *op = rule->ops[i];

		col = rule->col.ops[i];
		if (known_op(d, op))
			continue;
		fl_rule_quote(op, strnlen(op, FL_RULE_OP_LEN), quote,
			      sizeof(quote));
		near = nearest_op(d, op);
		if (near)
			return fl_rule_fail(err, col,
					    "unknown %s '%s' at column %u (did you mean '%s'?)",
					    what, quote, col, near);
		return fl_rule_fail(err, col,
				    "unknown %s '%s' at column %u (use %s)",
				    what, quote, col, d->ops_hint);
	}
	return 0;
}

/* fsyncgate is about what fsync reports, so it needs fsync ops. */
static int check_fsyncgate(const struct fl_rule *rule,
			   struct fl_rule_error *err)
{
	char quote[QUOTE_LEN];
	unsigned i, col;

	for (i = 0; i < rule->n_ops && i < FL_RULE_MAX_OPS; i++) {
		const char *op = rule->ops[i];

		if (!strcmp(op, "fsync") || !strcmp(op, "fdatasync"))
			continue;
		col = rule->col.ops[i];
		fl_rule_quote(op, strnlen(op, FL_RULE_OP_LEN), quote,
			      sizeof(quote));
		return fl_rule_fail(err, col,
				    "fsyncgate only applies to fsync and fdatasync, not '%s' at column %u",
				    quote, col);
	}
	return 0;
}

int fl_rule_check_domain(const struct fl_rule *rule, enum fl_domain domain,
			 struct fl_rule_error *err)
{
	const struct domain_def *d;
	const char *dname;
	unsigned i, col;
	int e;

	if (!rule || (unsigned)domain >= FL_DOMAIN__COUNT)
		return fl_rule_fail(err, 1, "unknown fault domain at column 1");
	d = &domains[domain];
	dname = fl_domain_name(domain);

	e = check_ops(rule, domain, err);
	if (e)
		return e;

	col = rule->col.action ? rule->col.action : 1;
	if (rule->action == FL_ACTION_NONE ||
	    (unsigned)rule->action >= FL_ACTION__COUNT)
		return fl_rule_fail(err, col, "missing action at column %u",
				    col);
	/* reorder=P% replaced the bare action: say how to write it now */
	if (domain == FL_DOMAIN_NET && rule->action == FL_ACTION_REORDER)
		return fl_rule_fail(err, col,
				    "a bare 'reorder' is not a net action, at column %u (write delay=DURATION:reorder=PERCENT%%)",
				    col);
	if (!(d->actions & ACT(rule->action)))
		return fl_rule_fail(err, col,
				    "'%s' is not a %s action, at column %u (use %s)",
				    fl_action_name(rule->action), dname, col,
				    d->actions_hint);
	if (domain == FL_DOMAIN_FS && rule->action == FL_ACTION_FSYNCGATE) {
		e = check_fsyncgate(rule, err);
		if (e)
			return e;
	}

	for (i = 0; i < FL_RULE_N_KEYS; i++) {
		unsigned bit = 1u << i;

		if (!(rule->keys & bit) || (d->keys & bit))
			continue;
		col = rule->col.key[i] ? rule->col.key[i] : 1;
		return fl_rule_fail(err, col,
				    "'%s' does not apply to the %s domain, at column %u",
				    fl_rule_key_name(bit), dname, col);
	}
	if (rule->action == FL_ACTION_CORRUPT) {
		e = fl_rule_check_corrupt(rule, domain, err);
		if (e)
			return e;
	}
	if (domain == FL_DOMAIN_NET)
		return fl_rule_check_net(rule, err);
	return 0;
}
