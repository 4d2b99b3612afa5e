// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which calls the filter can answer by itself. A rule that fails every
 * call of its syscalls with an errno (error=, no when=, prob=, count=,
 * path= or for=) needs no decision, so its calls need no round trip to the
 * supervisor: the filter returns SECCOMP_RET_ERRNO. That holds only where
 * the rule is the first that names the syscall: "first rule that fires
 * wins", and a rule before it may decide otherwise. A rule is answered in
 * the kernel for all of its syscalls or for none, so that its counters are
 * either exact (the supervisor counts) or plainly absent (the kernel does
 * not count calls a filter fails; the caller says "not counted").
 */
#include <errno.h>
#include <string.h>
#include <linux/seccomp.h>

#include "seccomp_priv.h"

/* The errno the kernel can return for a filter (SECCOMP_RET_DATA, capped at MAX_ERRNO). */
#define SC_MAX_ERRNO 4095

static bool every_call(const struct fl_when *w)
{
	return w->first <= 1 && w->last == FL_WHEN_INF && w->step <= 1;
}

static bool needs_no_decision(const struct fl_rule *r)
{
	return r->action == FL_ACTION_ERROR && r->arg.error > 0 && r->arg.error <= SC_MAX_ERRNO &&
	       (!(r->keys & FL_KEY_WHEN) || every_call(&r->when)) &&
	       r->prob_ppm >= 1000000 && r->count == 0 && r->for_ns == 0 &&
	       !(r->keys & FL_KEY_PATH);
}

/* Does a rule before rules[i] name syscall nr? */
static bool named_before(const struct fl_rule *rules, size_t i, int nr)
{
	for (size_t r = 0; r < i; r++)
		for (unsigned k = 0; k < rules[r].n_ops; k++)
			if (fl_syscall_nr(rules[r].ops[k]) == nr)
				return true;
	return false;
}

static bool first_on_all(const struct fl_rule *rules, size_t i)
{
	for (unsigned k = 0; k < rules[i].n_ops; k++)
		if (named_before(rules, i, fl_syscall_nr(rules[i].ops[k])))
			return false;
	return true;
}

static size_t index_of(const struct fl_sc_filter_spec *spec, int nr)
{
	for (size_t i = 0; i < spec->n; i++)
		if (spec->nrs[i] == nr)
			return i;
	return spec->n;
}

int fl_sc_filter_spec(const struct fl_rule *rules, size_t n_rules, bool in_kernel,
		      struct fl_sc_filter_spec *ret, bool *rule_in_kernel)
{
	struct fl_sc_filter_spec spec = { 0 };
	bool mine[FL_SECCOMP_MAX_RULES] = { false };
	int err;

	if (n_rules > FL_SECCOMP_MAX_RULES)
		return -E2BIG;
	err = fl_sc_rule_nrs(rules, n_rules, spec.nrs, FL_SECCOMP_MAX_NRS, &spec.n);
	if (err)
		return err;
	for (size_t i = 0; i < spec.n; i++)
		spec.actions[i] = SECCOMP_RET_USER_NOTIF;
	for (size_t r = 0; in_kernel && r < n_rules; r++) {
		if (!needs_no_decision(&rules[r]) || !first_on_all(rules, r))
			continue;
		mine[r] = true;
		for (unsigned k = 0; k < rules[r].n_ops; k++)
			spec.actions[index_of(&spec, fl_syscall_nr(rules[r].ops[k]))] =
				SECCOMP_RET_ERRNO | (uint32_t)rules[r].arg.error;
	}
	if (fl_sc_filter_longest_jump(&spec) > 255) {
		/* Too many distinct answers for the jumps: let the supervisor answer. */
		memset(mine, 0, sizeof(mine));
		for (size_t i = 0; i < spec.n; i++)
			spec.actions[i] = SECCOMP_RET_USER_NOTIF;
	}
	if (rule_in_kernel)
		memcpy(rule_in_kernel, mine, n_rules * sizeof(*rule_in_kernel));
	*ret = spec;
	return 0;
}

/* The public builder: the spec of rules (every call to the supervisor), then its program. */
int fl_seccomp_filter_build(const struct fl_rule *rules, size_t n_rules, struct sock_fprog *ret)
{
	struct fl_sc_filter_spec spec;
	int err;

	for (size_t i = 0; i < n_rules; i++)
		if (fl_seccomp_rule_check(&rules[i], NULL))
			return -EINVAL;
	err = fl_sc_filter_spec(rules, n_rules, false, &spec, NULL);
	if (err)
		return err;
	return fl_sc_filter_build(&spec, -1, ret);
}
