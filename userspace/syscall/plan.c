// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which mechanism serves each syscall rule: DESIGN.md's ladders applied to
 * one rule set and one kind of target, with the kernel probed for each
 * candidate. A refusal names what is missing and what would work.
 *
 * One constraint spans rules: a syscall named by rules served by two
 * different hooks would be counted by each on its own, and "the first rule
 * that fires wins" could not hold, so such a set is refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <faultline/seccomp.h>
#include <faultline/syscall.h>

#define SECCOMP_HOOK 100 /* a pseudo hook: decided in the supervisor */

static struct fl_probe_result probed[FL_MECH__COUNT];

/* The probe's verdict on mech, computed once per process. */
static const struct fl_probe_result *probe(enum fl_mechanism mech)
{
	struct fl_probe_result *r = &probed[mech];

	if (r->status == FL_PROBE_UNKNOWN) {
		int err = fl_probe_mechanism(mech, r);

		if (err) {
			r->status = FL_PROBE_REFUSED;
			r->err = -err;
			snprintf(r->detail, sizeof(r->detail), "probe failed: %s", strerror(-err));
		}
	}
	return r;
}

static bool works(enum fl_mechanism mech)
{
	return probe(mech)->status == FL_PROBE_WORKS;
}

/* "refused (EPERM)" / "missing" for messages. */
static const char *why_not(enum fl_mechanism mech, char *buf, size_t len)
{
	const struct fl_probe_result *r = probe(mech);

	if (r->err)
		snprintf(buf, len, "%s: %s (%s)", fl_mechanism_name(mech),
			 fl_probe_status_name(r->status), strerrorname_np(r->err) ?: "?");
	else
		snprintf(buf, len, "%s: %s", fl_mechanism_name(mech), fl_probe_status_name(r->status));
	return buf;
}

__attribute__((format(printf, 3, 4)))
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

int fl_syscall_mech_hook(enum fl_mechanism mech)
{
	switch (mech) {
	case FL_MECH_SEND_SIGNAL:
	case FL_MECH_SIGSTOP:
	case FL_MECH_BPF_LOOP_DELAY:
		return FL_SC_HOOK_SYS_ENTER;
	case FL_MECH_BPF_LSM:
	case FL_MECH_FMOD_RET_SECURITY:
		return FL_SC_HOOK_LSM;
	case FL_MECH_CGROUP_SOCK:
		return FL_SC_HOOK_SOCK;
	default:
		return -1;
	}
}

static bool names_all(const struct fl_rule *rule)
{
	for (unsigned i = 0; i < rule->n_ops; i++)
		if (!strcmp(rule->ops[i], "*"))
			return true;
	return false;
}

static bool all_covered(const struct fl_rule *rule, bool (*covers)(int nr))
{
	for (unsigned i = 0; i < rule->n_ops; i++) {
		int nr = fl_syscall_nr(rule->ops[i]);

		if (nr < 0 || !covers(nr))
			return false;
	}
	return true;
}

/* The first syscall of rule that covers() refuses, for messages. */
static const char *first_uncovered(const struct fl_rule *rule, bool (*covers)(int nr))
{
	for (unsigned i = 0; i < rule->n_ops; i++) {
		int nr = fl_syscall_nr(rule->ops[i]);

		if (nr < 0 || !covers(nr))
			return rule->ops[i];
	}
	return rule->ops[0];
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Could mech honour rule on this kind of target, kernel aside? 0, or
 * -EOPNOTSUPP with err saying why not.
 */
static int mech_can(enum fl_mechanism mech, const struct fl_rule *rule, bool launched,
		    struct fl_rule_error *err)
{
	const char *name = fl_mechanism_name(mech);
	const char *action = fl_action_name(rule->action);

	if (mech == FL_MECH_SECCOMP_NOTIFY) {
		if (!launched)
			return refuse(err, -EOPNOTSUPP,
				      "seccomp-notify works only for a command faultline launches (a filter cannot be added to a running process): put the command after '--'");
		return fl_seccomp_rule_check(rule, err);
	}
	if (fl_syscall_mech_hook(mech) < 0)
		return refuse(err, -EOPNOTSUPP, "%s is not a syscall fault mechanism", name);
	if (rule->keys & FL_KEY_PATH)
		return refuse(err, -EOPNOTSUPP,
			      "path=: %s cannot see the call's path; launch the command under faultline (seccomp-notify resolves paths and fds)",
			      name);
	switch (mech) {
	case FL_MECH_SEND_SIGNAL:
		if (rule->action != FL_ACTION_SIGNAL)
			break;
		/*
		 * A stop signal is not a crash: the process would stay stopped
		 * with nothing that continues it. pause= records the stop
		 * before it happens and always continues the process.
		 */
		if (is_stop_signal(rule->arg.signal))
			return refuse(err, -EOPNOTSUPP,
				      "signal=%s stops the process with nothing to continue it; use pause=DUR (stops it at the call and continues it after DUR, even if faultline dies)",
				      fl_signal_name(rule->arg.signal) ?: "?");
		return 0;
	case FL_MECH_SIGSTOP:
		if (rule->action == FL_ACTION_PAUSE || rule->action == FL_ACTION_DELAY)
			return 0;
		break;
	case FL_MECH_BPF_LOOP_DELAY:
		if (rule->action != FL_ACTION_DELAY)
			break;
		if (rule->arg.delay.ns + rule->arg.delay.jitter_ns > FL_SC_SPIN_MAX_NS)
			return refuse(err, -EOPNOTSUPP,
				      "delay=: bpf-loop-delay spins at most %llums (it holds a CPU); use a shorter delay, pause= (SIGSTOP), or a launched command (seccomp sleeps)",
				      FL_SC_SPIN_MAX_NS / 1000000);
		return 0;
	case FL_MECH_BPF_LSM:
	case FL_MECH_FMOD_RET_SECURITY:
		if (rule->action != FL_ACTION_ERROR)
			break;
		if (names_all(rule) || !all_covered(rule, fl_syscall_lsm_covers))
			return refuse(err, -EOPNOTSUPP,
				      "%s: no LSM hook runs inside %s, so %s cannot fail it",
				      action, first_uncovered(rule, fl_syscall_lsm_covers), name);
		return 0;
	case FL_MECH_CGROUP_SOCK:
		if (rule->action != FL_ACTION_ERROR)
			break;
		if (names_all(rule) || !all_covered(rule, fl_syscall_sock_covers))
			return refuse(err, -EOPNOTSUPP,
				      "%s: %s is not a socket call a cgroup socket hook sees",
				      action, first_uncovered(rule, fl_syscall_sock_covers));
		return 0;
	default:
		break;
	}
	return refuse(err, -EOPNOTSUPP, "%s=: %s cannot do that", action, name);
}

int fl_syscall_rule_check(const struct fl_rule *rule, struct fl_rule_error *err)
{
	int ret = fl_rule_check_domain(rule, FL_DOMAIN_SYSCALL, err);

	if (ret)
		return ret;
	if (rule->action == FL_ACTION_RETVAL)
		return refuse(err, -EOPNOTSUPP, "%s",
			      "retval=: fake success is done only by seccomp-notify, for launched commands");
	if (rule->keys & FL_KEY_PATH)
		return refuse(err, -EOPNOTSUPP, "%s",
			      "path=: only seccomp-notify (launched commands) resolves paths");
	return 0;
}

/* The running-target ladder for one rule. */
static int pick_running(const struct fl_rule *rule, bool launched, enum fl_mechanism *ret,
			struct fl_rule_error *err)
{
	static const enum fl_mechanism errno_ladder[] = {
		FL_MECH_BPF_LSM, FL_MECH_FMOD_RET_SECURITY, FL_MECH_CGROUP_SOCK,
	};
	char a[96], b[96];
	int ret_err;

	switch (rule->action) {
	case FL_ACTION_SIGNAL:
	case FL_ACTION_PAUSE:
		*ret = rule->action == FL_ACTION_SIGNAL ? FL_MECH_SEND_SIGNAL : FL_MECH_SIGSTOP;
		ret_err = mech_can(*ret, rule, launched, err);
		if (ret_err)
			return ret_err;
		/* Both are bpf_send_signal at sys_enter. */
		if (!works(FL_MECH_SEND_SIGNAL))
			return refuse(err, -EOPNOTSUPP,
				      "%s=: needs bpf_send_signal at sys_enter (%s)",
				      fl_action_name(rule->action),
				      why_not(FL_MECH_SEND_SIGNAL, a, sizeof(a)));
		return 0;
	case FL_ACTION_DELAY:
		if (rule->keys & FL_KEY_PATH)
			return mech_can(FL_MECH_BPF_LOOP_DELAY, rule, launched, err);
		/* Short: spin that one thread. Long: stop the whole process. */
		*ret = rule->arg.delay.ns + rule->arg.delay.jitter_ns <= FL_SC_SPIN_MAX_NS &&
		       works(FL_MECH_BPF_LOOP_DELAY) ? FL_MECH_BPF_LOOP_DELAY : FL_MECH_SIGSTOP;
		if (!works(FL_MECH_SEND_SIGNAL) && *ret == FL_MECH_SIGSTOP)
			return refuse(err, -EOPNOTSUPP,
				      "delay=: neither a bounded spin nor SIGSTOP is possible here (%s; %s)",
				      why_not(FL_MECH_BPF_LOOP_DELAY, a, sizeof(a)),
				      why_not(FL_MECH_SEND_SIGNAL, b, sizeof(b)));
		return 0;
	case FL_ACTION_ERROR:
		if (rule->keys & FL_KEY_PATH)
			return mech_can(FL_MECH_BPF_LSM, rule, launched, err);
		for (size_t i = 0; i < sizeof(errno_ladder) / sizeof(errno_ladder[0]); i++) {
			if (mech_can(errno_ladder[i], rule, launched, NULL) == 0 &&
			    works(errno_ladder[i])) {
				*ret = errno_ladder[i];
				return 0;
			}
		}
		if (names_all(rule))
			return refuse(err, -EOPNOTSUPP, "%s",
				      "error= on '*' needs fmod_ret or kprobe override on every syscall, which faultline does not use; launch the command under faultline (seccomp-notify) and name the syscalls");
		if (all_covered(rule, fl_syscall_lsm_covers))
			return refuse(err, -EOPNOTSUPP,
				      "error= on %s in a running process needs the BPF LSM or fmod_ret on security_* hooks, and this kernel has neither (%s; %s); launch the command under faultline instead (seccomp-notify)",
				      rule->ops[0], why_not(FL_MECH_BPF_LSM, a, sizeof(a)),
				      why_not(FL_MECH_FMOD_RET_SECURITY, b, sizeof(b)));
		if (all_covered(rule, fl_syscall_sock_covers))
			return refuse(err, -EOPNOTSUPP,
				      "error= on %s in a running process needs a cgroup socket hook (%s); launch the command under faultline instead (seccomp-notify)",
				      rule->ops[0], why_not(FL_MECH_CGROUP_SOCK, a, sizeof(a)));
		return refuse(err, -EOPNOTSUPP,
			      "error= on %s in a running process: no LSM or socket hook runs inside it, and fmod_ret/kprobe override on the syscall itself is not available; launch the command under faultline instead (seccomp-notify fails any syscall)",
			      first_uncovered(rule, fl_syscall_lsm_covers));
	case FL_ACTION_RETVAL:
		return refuse(err, -EOPNOTSUPP, "%s",
			      "retval= (fake success) in a running process would need fmod_ret or kprobe override on the syscall, which faultline does not use; launch the command under faultline instead (seccomp-notify)");
	default:
		return refuse(err, -EOPNOTSUPP, "%s=: not a syscall fault",
			      fl_action_name(rule->action));
	}
}

static void rule_mask(const struct fl_rule *rule, uint64_t *mask)
{
	memset(mask, 0, FL_SC_MASK_WORDS * sizeof(*mask));
	for (unsigned i = 0; i < rule->n_ops; i++) {
		int nr = fl_syscall_nr(rule->ops[i]);

		if (!strcmp(rule->ops[i], "*"))
			memset(mask, 0xff, FL_SC_MASK_WORDS * sizeof(*mask));
		else if (nr >= 0 && nr < FL_SC_NR_MAX)
			mask[nr / 64] |= 1ull << (nr % 64);
	}
}

static int hook_of(enum fl_mechanism mech)
{
	return mech == FL_MECH_SECCOMP_NOTIFY ? SECCOMP_HOOK : fl_syscall_mech_hook(mech);
}

/* Refuse two rules that share a syscall but not a hook. */
static int check_hooks(const struct fl_rule *rules, const struct fl_syscall_plan *p,
		       int *err_rule, struct fl_rule_error *err)
{
	uint64_t a[FL_SC_MASK_WORDS], b[FL_SC_MASK_WORDS];

	for (size_t i = 0; i < p->n_rules; i++) {
		rule_mask(&rules[i], a);
		for (size_t j = i + 1; j < p->n_rules; j++) {
			if (hook_of(p->mech[i]) == hook_of(p->mech[j]))
				continue;
			rule_mask(&rules[j], b);
			for (size_t w = 0; w < FL_SC_MASK_WORDS; w++) {
				if (!(a[w] & b[w]))
					continue;
				*err_rule = (int)j;
				return refuse(err, -EINVAL,
					      "rules %zu and %zu share a syscall but need mechanisms that see it at different points (%s, %s), so 'first rule that fires wins' could not hold; run them separately, or launch the command with --mechanism seccomp-notify",
					      i, j, fl_mechanism_name(p->mech[i]),
					      fl_mechanism_name(p->mech[j]));
			}
		}
	}
	return 0;
}

static bool seccomp_fits(const struct fl_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fl_seccomp_rule_check(&rules[i], NULL))
			return false;
	return true;
}

static bool all_crash_points(const struct fl_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].action != FL_ACTION_SIGNAL || (rules[i].keys & FL_KEY_PATH))
			return false;
	return true;
}

int fl_syscall_plan(const struct fl_rule *rules, size_t n_rules,
		    const struct fl_syscall_targets *targets, int force,
		    struct fl_syscall_plan *ret, int *err_rule, struct fl_rule_error *err)
{
	bool launched = targets && targets->launched;
	struct fl_syscall_plan p = { .n_rules = n_rules };
	char why[96];
	int e;

	*err_rule = -1;
	if (!rules || n_rules == 0)
		return refuse(err, -EINVAL, "%s", "no rule");
	if (n_rules > FL_SC_MAX_RULES)
		return refuse(err, -E2BIG, "%zu rules, at most %d", n_rules, FL_SC_MAX_RULES);
	for (size_t i = 0; i < n_rules; i++) {
		e = fl_rule_check_domain(&rules[i], FL_DOMAIN_SYSCALL, err);
		if (e) {
			*err_rule = (int)i;
			return e;
		}
	}

	if (force >= 0) {
		if (force >= FL_MECH__COUNT)
			return refuse(err, -EINVAL, "%s", "unknown mechanism");
		for (size_t i = 0; i < n_rules; i++) {
			e = mech_can((enum fl_mechanism)force, &rules[i], launched, err);
			if (e) {
				*err_rule = (int)i;
				return e;
			}
			p.mech[i] = (enum fl_mechanism)force;
		}
		p.forced = true;
		/* pause= and long delays ride on bpf_send_signal too. */
		if (!works((enum fl_mechanism)force) ||
		    (force == FL_MECH_SIGSTOP && !works(FL_MECH_SEND_SIGNAL))) {
			return refuse(err, -EOPNOTSUPP, "--mechanism %s: not available on this kernel (%s)",
				      fl_mechanism_name((enum fl_mechanism)force),
				      why_not((enum fl_mechanism)force, why, sizeof(why)));
		}
	} else if (launched && !all_crash_points(rules, n_rules) && seccomp_fits(rules, n_rules)) {
		if (!works(FL_MECH_SECCOMP_NOTIFY))
			return refuse(err, -EOPNOTSUPP, "launched commands need seccomp user notification (%s)",
				      why_not(FL_MECH_SECCOMP_NOTIFY, why, sizeof(why)));
		for (size_t i = 0; i < n_rules; i++)
			p.mech[i] = FL_MECH_SECCOMP_NOTIFY;
	} else {
		for (size_t i = 0; i < n_rules; i++) {
			e = pick_running(&rules[i], launched, &p.mech[i], err);
			if (e) {
				*err_rule = (int)i;
				return e;
			}
		}
	}
	e = check_hooks(rules, &p, err_rule, err);
	if (e)
		return e;
	*ret = p;
	return 0;
}
