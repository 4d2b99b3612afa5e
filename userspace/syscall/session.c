// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A syscall fault session on the BPF mechanisms: load bpf/syscall.bpf.c
 * (sys_enter rules, on each named syscall's tracepoint when it can:
 * enter_tp.c; target tracking), bpf/syscall_fentry.bpf.c for the sys_enter
 * rules where the kernel allows fentry (enter_fentry.c) and, for error=
 * rules, the error programs (errno_*.c), all on the same maps; write the rules and targets; hand
 * the events to the caller; continue paused processes when their pause
 * runs out. The BPF links are owned by the skeletons' fds only (never
 * pinned), so no program survives the process that opened the session,
 * however it dies. A process a rule stops is written to the `stopped` map
 * by the program itself, before the SIGSTOP; that map is pinned and
 * recorded in /run/faultline before the programs are attached, so the
 * state watchdog (or `faultline cleanup`) continues it if we die.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/cgroup.h>
#include <faultline/kernfs.h>
#include <faultline/state.h>
#include <faultline/syscall.h>
#include "enter_fentry.h"
#include "enter_tp.h"
#include "syscall_priv.h"
#include "syscall.skel.h"

/* A process stopped by pause=, to continue at `due` (CLOCK_MONOTONIC ns). */
struct paused {
	struct fl_sc_stopped_key key;  /* its entry in the `stopped` map */
	uint64_t due;
};

struct fl_syscall_session {
	struct syscall_bpf *skel;
	struct fl_sc_errno *errno_progs;
	struct fl_sc_enter_tp *enter_tp; /* the sys_enter rules' per-syscall hooks */
	struct fl_sc_enter_fentry *fentry; /* or their fentry programs */
	int enter_hook;           /* FL_MECH_FENTRY, _TRACEPOINT, _RAW_TP, or -1 */
	struct fl_event_ring *ring;
	size_t n_rules;
	fl_event_cb cb;
	void *ctx;
	struct fl_state *state;   /* opened when a rule stops processes */
	struct paused *paused;
	size_t n_paused, cap_paused;
	int pause_err;            /* first failure to record or continue */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

static int rule_to_slot(const struct fl_rule *rule, enum fl_mechanism mech,
			struct fl_sc_rule *slot)
{
	int hook = fl_syscall_mech_hook(mech);

	if (hook < 0)
		return -EOPNOTSUPP;
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
	slot->hook = (__u16)hook;
	slot->mechanism = (__u16)mech;
	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: for= counts from now. */
	slot->deadline_ns = rule->for_ns ? now_ns() + rule->for_ns : 0;
	slot->has_seed = !!(rule->keys & FL_KEY_SEED);
	slot->seed = rule->seed;
	switch (rule->action) {
	case FL_ACTION_SIGNAL:
		slot->value = rule->arg.signal;
		break;
	case FL_ACTION_ERROR:
		slot->value = -rule->arg.error;
		break;
	case FL_ACTION_DELAY:
		slot->value = (__s64)rule->arg.delay.ns;
		slot->jitter_ns = rule->arg.delay.jitter_ns;
		break;
	case FL_ACTION_PAUSE:
		slot->value = (__s64)rule->arg.pause_ns;
		break;
	default:
		return -EOPNOTSUPP;
	}
	slot->enabled = 1;
	return 0;
}

static int fill_config(const struct fl_sc_rule *slots, size_t n,
		       const struct fl_syscall_targets *t, struct fl_sc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_rules = (__u32)n;
	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
			cfg->nr_any[w] |= slots[i].nr_mask[w];
	if (!t)
		return 0;
	if (t->n_cgroups > FL_SC_MAX_CGROUPS)
		return -E2BIG;
	for (size_t i = 0; i < t->n_cgroups; i++) {
		uint64_t id;
		unsigned level;
		int err = fl_cgroup_id(t->cgroups[i], &id, &level);

		if (err)
			return err;
		cfg->cgroup_id[i] = id;
		cfg->cgroup_level[i] = level;
	}
	cfg->n_cgroups = (__u32)t->n_cgroups;
	if (t->comm && *t->comm) {
		if (strlen(t->comm) >= FL_COMM_LEN)
			return -ENAMETOOLONG;
		cfg->by_comm = 1;
		memcpy(cfg->comm, t->comm, strlen(t->comm));
	}
	return 0;
}

/* Stopped by a pause= rule: note when to continue it (the map has it already). */
static void schedule_continue(struct fl_syscall_session *s, const struct fl_event *ev)
{
	struct paused *p;

	if (s->n_paused == s->cap_paused) {
		size_t cap = s->cap_paused ? 2 * s->cap_paused : 8;

		p = realloc(s->paused, cap * sizeof(*p));
		if (!p) {
			/* Cannot wait for it: continue it now rather than strand it. */
			kill((pid_t)ev->pid, SIGCONT);
			s->pause_err = s->pause_err ? s->pause_err : -ENOMEM;
			return;
		}
		s->paused = p;
		s->cap_paused = cap;
	}
	p = &s->paused[s->n_paused++];
	memset(p, 0, sizeof(*p));
	p->key.tgid = ev->pid;
	p->key.rule_id = ev->rule_id;
	p->key.seq = ev->seq;
	p->due = ev->ts_ns + (uint64_t)ev->value;
}

static void continue_due(struct fl_syscall_session *s, bool all)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < s->n_paused;) {
		struct paused *p = &s->paused[i];

		if (!all && p->due > now) {
			i++;
			continue;
		}
		/* Continue, then forget: dying in between costs a spare SIGCONT, not a stop. */
		if (kill((pid_t)p->key.tgid, SIGCONT) < 0 && errno != ESRCH && !s->pause_err)
			s->pause_err = -errno;
		if (s->skel)
			bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stopped), &p->key);
		*p = s->paused[--s->n_paused];
	}
}

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct fl_syscall_session *s = ctx;

	if (ev->mechanism == FL_MECH_SIGSTOP && ev->result == FL_RESULT_INJECTED)
		schedule_continue(s, ev);
	return s->cb ? s->cb(s->ctx, ev) : 0;
}

static bool any_hook(const struct fl_sc_rule *slots, size_t n, int hook)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i].hook == hook)
			return true;
	return false;
}

/* The syscalls that the rules of hook name. */
static void hook_mask(const struct fl_sc_rule *slots, size_t n, int hook, __u64 *mask)
{
	memset(mask, 0, FL_SC_MASK_WORDS * sizeof(*mask));
	for (size_t i = 0; i < n; i++)
		if (slots[i].hook == hook)
			for (size_t w = 0; w < FL_SC_MASK_WORDS; w++)
				mask[w] |= slots[i].nr_mask[w];
}

static bool any_mech(const struct fl_syscall_plan *plan, enum fl_mechanism mech)
{
	for (size_t i = 0; i < plan->n_rules; i++)
		if (plan->mech[i] == mech)
			return true;
	return false;
}

/*
 * Pin the `stopped` map under FL_SC_PIN_ROOT/<session>/ and record it
 * first, so that from the moment a program can stop a process the
 * watchdog and `faultline cleanup` know where to look.
 */
static int pin_stopped(struct fl_syscall_session *s)
{
	const char *dir = fl_state_dir(s->state), *name = strrchr(dir, '/');
	char sdir[PATH_MAX], pin[PATH_MAX];
	struct statfs sfs;
	int err;

	fl_kernfs_ensure(FL_KERNFS_BPFFS, NULL);
	if (statfs(FL_SC_BPFFS, &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC)
		return -ENOMEDIUM;
	name = name ? name + 1 : dir;
	if (snprintf(sdir, sizeof(sdir), "%s/%s", FL_SC_PIN_ROOT, name) >= (int)sizeof(sdir) ||
	    snprintf(pin, sizeof(pin), "%s/stopped", sdir) >= (int)sizeof(pin))
		return -ENAMETOOLONG;
	if (mkdir(FL_SC_PIN_ROOT, 0700) < 0 && errno != EEXIST)
		return -errno;
	err = fl_state_record_stopped_map(s->state, pin, NULL);
	if (err)
		return err;
	if (mkdir(sdir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return bpf_map__pin(s->skel->maps.stopped, pin);
}

static int add_pids(struct fl_syscall_session *s, const struct fl_syscall_targets *t)
{
	for (size_t i = 0; t && i < t->n_pids; i++) {
		int err = fl_syscall_session_add_target(s, t->pids[i], t->follow);

		if (err)
			return err;
	}
	return 0;
}

/*
 * open_session()'s words that the kernel refused the tracepoints' perf
 * events, or an fentry program it had loaded: open again without them.
 */
#define TP_REFUSED     1
#define FENTRY_REFUSED 2

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/*
 * The sys_enter rules on fentry, if the kernel loads it for every syscall
 * they name: s->fentry set, and the session's object made to reuse its
 * maps. A refusal (EPERM on hardened kernels, ESRCH for a name not in the
 * kernel's BTF) is not an error, and libbpf is not let to print it: the
 * caller loads the tracepoint or raw hook instead, and the session
 * reports which hook it took.
 */
static int try_fentry(struct fl_syscall_session *s, const struct fl_sc_config *cfg,
		      const __u64 *mask)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct fl_sc_maps m;

	if (fl_sc_enter_fentry_open(cfg, mask, &s->fentry))
		s->fentry = NULL;
	libbpf_set_print(old);
	if (!s->fentry)
		return 0;
	fl_sc_enter_fentry_maps(s->fentry, &m);
	if (bpf_map__reuse_fd(s->skel->maps.targets, m.targets) ||
	    bpf_map__reuse_fd(s->skel->maps.rules, m.rules) ||
	    bpf_map__reuse_fd(s->skel->maps.counters, m.counters) ||
	    bpf_map__reuse_fd(s->skel->maps.events, m.events) ||
	    bpf_map__reuse_fd(s->skel->maps.stopped, m.stopped))
		return errno ? -errno : -EINVAL;
	return 0;
}

static int open_session(const struct fl_rule *rules, size_t n_rules,
			const struct fl_syscall_plan *plan,
			const struct fl_syscall_targets *targets,
			fl_event_cb cb, void *ctx, unsigned skip,
			struct fl_syscall_session **ret)
{
	struct fl_sc_rule slots[FL_SC_MAX_RULES];
	struct fl_syscall_plan picked;
	struct fl_syscall_session *s = NULL;
	struct fl_sc_config cfg;
	struct fl_sc_maps maps;
	__u64 enter_mask[FL_SC_MASK_WORDS];
	int enter_nrs[FL_SC_NR_MAX];
	size_t n_enter_nrs = 0;
	bool per_syscall, sys_enter;
	int err, bad;

	if (!rules || n_rules == 0)
		return -EINVAL;
	if (n_rules > FL_SC_MAX_RULES)
		return -E2BIG;
	if (!plan) {
		err = fl_syscall_plan(rules, n_rules, targets, -1, &picked, &bad, NULL);
		if (err)
			return err;
		plan = &picked;
	}
	if (plan->n_rules != n_rules)
		return -EINVAL;
	for (size_t i = 0; i < n_rules; i++) {
		err = rule_to_slot(&rules[i], plan->mech[i], &slots[i]);
		if (err)
			return err;
	}
	err = fill_config(slots, n_rules, targets, &cfg);
	if (err)
		return err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_rules = n_rules;
	s->enter_hook = -1;
	s->cb = cb;
	s->ctx = ctx;
	if (any_mech(plan, FL_MECH_SIGSTOP)) {
		err = fl_state_open(NULL, &s->state);
		if (!err)
			err = fl_state_watchdog_start(s->state);
		if (err)
			goto fail;
	}
	s->skel = syscall_bpf__open();
	if (!s->skel) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	s->skel->rodata->cfg = cfg;
	/*
	 * No sys_enter rule: bystanders need not pay for a sys_enter program.
	 * With a few named syscalls that all have a tracepoint, the program
	 * runs for those syscalls only (on fentry of their functions, else on
	 * their tracepoints: enter_tp.c); else for every one.
	 */
	hook_mask(slots, n_rules, FL_SC_HOOK_SYS_ENTER, enter_mask);
	sys_enter = any_hook(slots, n_rules, FL_SC_HOOK_SYS_ENTER);
	per_syscall = !(skip & FL_SC_SKIP_TRACEPOINT) && sys_enter &&
		      fl_sc_enter_tp_pick(enter_mask, enter_nrs, &n_enter_nrs) == 0;
	/*
	 * fentry first: where it loads, this object takes its maps and loads
	 * no sys_enter program. Only where each syscall has its tracepoint:
	 * that says SYSCALL_DEFINE(NAME) is the kernel's function for the
	 * number, so __x64_sys_NAME is the one the call runs (a user name the
	 * kernel spells otherwise has neither). 32-bit calls run
	 * __ia32_sys_NAME: not seen, as the tracepoints do not see them either
	 * (a syscall without arguments shares its body with them: seen).
	 */
	if (per_syscall && !(skip & FL_SC_SKIP_FENTRY)) {
		err = try_fentry(s, &cfg, enter_mask);
		if (err)
			goto fail;
	}
	if (s->fentry) {
		per_syscall = false;
		s->enter_hook = FL_MECH_FENTRY;
	} else if (sys_enter) {
		s->enter_hook = per_syscall ? FL_MECH_TRACEPOINT : FL_MECH_RAW_TP;
	}
	if (!sys_enter || per_syscall || s->fentry)
		bpf_program__set_autoload(s->skel->progs.fl_sc_enter, false);
	bpf_program__set_autoload(s->skel->progs.fl_sc_enter_tp, per_syscall);
	bpf_program__set_autoattach(s->skel->progs.fl_sc_enter_tp, false);
	err = syscall_bpf__load(s->skel);
	if (err)
		goto fail;
	if (s->state) {
		err = pin_stopped(s);
		if (err)
			goto fail;
	}
	for (__u32 i = 0; i < n_rules; i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.rules), &i, &slots[i], BPF_ANY)) {
			err = -errno;
			goto fail;
		}
	}
	err = add_pids(s, targets);
	if (err)
		goto fail;
	maps.targets = bpf_map__fd(s->skel->maps.targets);
	maps.rules = bpf_map__fd(s->skel->maps.rules);
	maps.counters = bpf_map__fd(s->skel->maps.counters);
	maps.events = bpf_map__fd(s->skel->maps.events);
	maps.stopped = bpf_map__fd(s->skel->maps.stopped);
	err = fl_sc_errno_open(&maps, &cfg, slots, n_rules,
			       targets ? targets->cgroups : NULL,
			       targets ? targets->n_cgroups : 0, &s->errno_progs);
	if (err)
		goto fail;
	err = fl_event_ring_open(maps.events, on_event, s, &s->ring);
	if (err)
		goto fail;
	/* Attach last: rules, targets and the consumer are in place before any call is seen. */
	if (s->errno_progs) {
		err = fl_sc_errno_attach(s->errno_progs);
		if (err)
			goto fail;
	}
	err = syscall_bpf__attach(s->skel);
	if (err)
		goto fail;
	if (s->fentry && fl_sc_enter_fentry_attach(s->fentry)) {
		err = FENTRY_REFUSED;
		goto fail;
	}
	if (per_syscall && fl_sc_enter_tp_attach(s->skel->progs.fl_sc_enter_tp, enter_nrs,
						 n_enter_nrs, &s->enter_tp)) {
		err = TP_REFUSED;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	fl_syscall_session_close(s);
	return err;
}

int fl_syscall_session_open(const struct fl_rule *rules, size_t n_rules,
			    const struct fl_syscall_plan *plan,
			    const struct fl_syscall_targets *targets,
			    fl_event_cb cb, void *ctx,
			    struct fl_syscall_session **ret)
{
	unsigned skip = plan ? plan->skip_hooks : 0;
	int err;

	/*
	 * fentry, else the tracepoints (no perf event for one here: raw
	 * sys_enter sees the same calls), else raw sys_enter. fentry is tried
	 * only where the tracepoints would do, so skipping them skips it too.
	 */
	for (;;) {
		err = open_session(rules, n_rules, plan, targets, cb, ctx, skip, ret);
		if (err == FENTRY_REFUSED)
			skip |= FL_SC_SKIP_FENTRY;
		else if (err == TP_REFUSED)
			skip |= FL_SC_SKIP_TRACEPOINT;
		else
			return err;
	}
}

static int add_target(struct fl_syscall_session *s, pid_t pid, __u8 flags)
{
	__u32 key = (__u32)pid;

	if (pid <= 0)
		return -EINVAL;
	/* A pid that is not running would make a later process with it a target. */
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &key, &flags, BPF_ANY))
		return -errno;
	return 0;
}

int fl_syscall_session_add_target(struct fl_syscall_session *s, pid_t pid, bool follow)
{
	return add_target(s, pid, FL_SC_TARGET_ACTIVE | (follow ? FL_SC_TARGET_FOLLOW : 0));
}

int fl_syscall_session_add_target_at_exec(struct fl_syscall_session *s, pid_t pid)
{
	return add_target(s, pid, FL_SC_TARGET_AT_EXEC | FL_SC_TARGET_FOLLOW);
}

/*
 * The exit tracepoint forgets a target when it dies, but one that died
 * before that program was attached (killed at its first call after the
 * syscall hooks went on) is never forgotten there: a target whose process
 * is gone (reaped) is dropped here too, or a --pid run would wait for it
 * forever. Deleted after the walk, which a deletion would restart.
 */
size_t fl_syscall_session_n_targets(const struct fl_syscall_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.targets);
	__u32 key, next, *prev = NULL, gone[64];
	size_t n = 0, n_gone = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (kill((pid_t)key, 0) && errno == ESRCH && n_gone < sizeof(gone) / sizeof(gone[0]))
			gone[n_gone++] = key;
		else
			n++;
	}
	for (size_t i = 0; i < n_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	return n;
}

int fl_syscall_session_timeout(const struct fl_syscall_session *s)
{
	uint64_t now = now_ns(), first = UINT64_MAX;

	for (size_t i = 0; i < s->n_paused; i++)
		if (s->paused[i].due < first)
			first = s->paused[i].due;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return (int)((first - now + 999999) / 1000000);
}

int fl_syscall_session_poll(struct fl_syscall_session *s, int timeout_ms)
{
	int due = fl_syscall_session_timeout(s), err;

	if (due >= 0 && (timeout_ms < 0 || due < timeout_ms))
		timeout_ms = due;
	err = fl_event_ring_poll(s->ring, timeout_ms);
	continue_due(s, false);
	return err < 0 ? err : 0;
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

int fl_syscall_session_enter_hook(const struct fl_syscall_session *s)
{
	return s->enter_hook;
}

int fl_sc_session_enter_fd(const struct fl_syscall_session *s)
{
	struct bpf_program *p = s->enter_tp ? s->skel->progs.fl_sc_enter_tp
					    : s->skel->progs.fl_sc_enter;
	int fd = bpf_program__fd(p);

	if (s->fentry)
		return fl_sc_enter_fentry_fd(s->fentry);
	return fd >= 0 ? fd : -ENOENT;
}

void fl_syscall_session_close(struct fl_syscall_session *s)
{
	if (!s)
		return;
	/* Detach first so no new event arrives, then drain what is queued. */
	fl_sc_errno_close(s->errno_progs);
	fl_sc_enter_tp_close(s->enter_tp);
	fl_sc_enter_fentry_close(s->fentry);
	if (s->skel)
		syscall_bpf__detach(s->skel);
	if (s->ring)
		fl_event_ring_consume(s->ring);
	continue_due(s, true);
	fl_event_ring_free(s->ring);
	syscall_bpf__destroy(s->skel);
	if (s->state)
		fl_state_close(s->state);
	free(s->paused);
	free(s);
}
