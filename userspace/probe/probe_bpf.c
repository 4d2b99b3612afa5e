// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probes for the syscall-tracing BPF mechanisms. Each loads one tiny
 * program from bpf/probe_trace.bpf.c or bpf/probe_attach.bpf.c in a forked
 * child, attaches it, makes the child call the hooked syscall and checks
 * the effect; the programs act only on the child's tgid, and everything
 * they attach dies with the child. The send_signal probe is the exception:
 * its child is the victim, so the caller loads the program and forks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/child.h"
#include "probe/probe_bpf_priv.h"
#include "probe_attach.skel.h"
#include "probe_trace.skel.h"

#define NSEC_PER_MSEC 1000000ull
#define DELAY_REQUEST_NS (20 * NSEC_PER_MSEC)
/*
 * Preemption on a busy host can stretch the measured call well past the
 * spin; the spin itself is what the kernel must prove, so only a grossly
 * late return counts against it.
 */
#define DELAY_SLACK_NS (500 * NSEC_PER_MSEC)

#if defined(__x86_64__)
#define SYS_PREFIX "__x64_"
#elif defined(__aarch64__)
#define SYS_PREFIX "__arm64_"
#elif defined(__s390x__)
#define SYS_PREFIX "__s390x_"
#else
#define SYS_PREFIX ""
#endif

/* ---- shared helpers ------------------------------------------------------ */

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

libbpf_print_fn_t fl_probe_bpf_quiet(void)
{
	return libbpf_set_print(quiet_print);
}

void fl_probe_bpf_autoload_none(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
}

/*
 * libbpf_probe_bpf_helper() (libbpf 1.1) misses the verifier's newer
 * wording, "program of this type cannot use helper", so ask directly: the
 * verifier looks the helper up before it checks any argument.
 */
bool fl_probe_bpf_helper_missing(enum bpf_prog_type prog_type, enum bpf_attach_type attach,
				 enum bpf_func_id helper)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = helper },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1, .expected_attach_type = attach);
	int fd;

	fd = bpf_prog_load(prog_type, NULL, "GPL", insns, sizeof(insns) / sizeof(insns[0]),
			   &opts);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return strstr(log, "unknown func") || strstr(log, "invalid func") ||
	       strstr(log, "cannot use helper");
}

void fl_probe_bpf_load_failure(struct fl_probe_result *r, int err, const char *what)
{
	if (err > 0)
		err = -err;
	if (access("/sys/kernel/btf/vmlinux", F_OK) < 0)
		fl_probe_set(r, FL_PROBE_MISSING, -err,
			     "%s: %s (no kernel BTF: CONFIG_DEBUG_INFO_BTF not set)",
			     what, strerror(-err));
	else
		fl_probe_set_failure(r, err, what);
}

struct child_call {
	int (*fn)(struct fl_probe_result *r, void *arg);
	void *arg;
};

static int child_trampoline(void *shared, void *arg)
{
	struct child_call *call = arg;

	return call->fn(shared, call->arg);
}

int fl_probe_bpf_in_child(int (*fn)(struct fl_probe_result *r, void *arg), void *arg,
			  unsigned flags, struct fl_probe_result *r)
{
	struct child_call call = { .fn = fn, .arg = arg };
	struct fl_probe_result res = { 0 };
	libbpf_print_fn_t old;
	int err, status = 0;

	old = fl_probe_bpf_quiet();
	err = fl_child_run(child_trampoline, &call, flags, FL_PROBE_CHILD_TIMEOUT_MS,
			   &res, sizeof(res), &status);
	libbpf_set_print(old);
	if (err < 0)
		return err;
	if (status < 0 && res.status == FL_PROBE_UNKNOWN && (flags & FL_CHILD_NEWNET) &&
	    (status == -EPERM || status == -EACCES)) {
		/* The child could not even make its namespace: fn never ran. */
		fl_probe_set_failure(r, status, "create the probe's network namespace");
		return 0;
	}
	if (status < 0)
		return status;
	if (res.status == FL_PROBE_UNKNOWN)
		return -EPROTO;
	res.detail[sizeof(res.detail) - 1] = '\0';
	*r = res;
	return 0;
}

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ---- tracepoint, raw_tp, tp_btf ------------------------------------------ */

enum trace_kind { TRACE_TP, TRACE_RAW_TP, TRACE_TP_BTF };

static const char *const trace_names[] = {
	[TRACE_TP]     = "tracepoint syscalls:sys_enter_getppid",
	[TRACE_RAW_TP] = "raw_tracepoint sys_enter",
	[TRACE_TP_BTF] = "tp_btf/sys_enter",
};

static struct bpf_program *trace_prog(struct probe_trace_bpf *skel, enum trace_kind kind)
{
	switch (kind) {
	case TRACE_TP:     return skel->progs.fl_probe_tp;
	case TRACE_RAW_TP: return skel->progs.fl_probe_rawtp;
	default:           return skel->progs.fl_probe_tpbtf;
	}
}

/* Tracepoints are found through tracefs: say which piece is absent. */
static void set_tracepoint_attach_failure(struct fl_probe_result *r, int err, const char *what)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[96];

	for (unsigned i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (!path_exists(path))
			continue;
		snprintf(path, sizeof(path), "%s/events/syscalls", roots[i]);
		if (!path_exists(path)) {
			fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
				     "%s: no syscall tracepoints (CONFIG_FTRACE_SYSCALLS not set)", what);
			return;
		}
		fl_probe_set_failure(r, err, what);
		return;
	}
	fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
		     "%s: tracefs/events not mounted (mount -t tracefs nodev /sys/kernel/tracing)",
		     what);
}

static int trace_child(struct fl_probe_result *r, void *arg)
{
	enum trace_kind kind = *(enum trace_kind *)arg;
	struct probe_trace_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	char what[96];
	__u64 hits;
	int err;

	skel = probe_trace_bpf__open();
	if (!skel)
		return -errno;
	prog = trace_prog(skel, kind);
	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(prog, true);
	skel->rodata->target_tgid = getpid();
	skel->rodata->target_nr = SYS_getppid;

	err = probe_trace_bpf__load(skel);
	if (err) {
		snprintf(what, sizeof(what), "load %s program", trace_names[kind]);
		fl_probe_bpf_load_failure(r, err, what);
		goto out;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		err = -errno;
		snprintf(what, sizeof(what), "attach %s", trace_names[kind]);
		if (kind == TRACE_TP)
			set_tracepoint_attach_failure(r, err, what);
		else
			fl_probe_set_failure(r, err, what);
		goto out;
	}

	skel->bss->armed = 1;
	syscall(SYS_getppid);
	skel->bss->armed = 0;
	hits = skel->bss->hits;
	if (hits == 1)
		fl_probe_set(r, FL_PROBE_WORKS, 0, "%s ran once for this process's getppid()",
			     trace_names[kind]);
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "%s attached but saw getppid() %llu times, expected once",
			     trace_names[kind], (unsigned long long)hits);
out:
	bpf_link__destroy(link);
	probe_trace_bpf__destroy(skel);
	return 0;
}

static int probe_trace(enum trace_kind kind, struct fl_probe_result *r)
{
	return fl_probe_bpf_in_child(trace_child, &kind, 0, r);
}

int fl_probe_tracepoint(struct fl_probe_result *r)
{
	return probe_trace(TRACE_TP, r);
}

int fl_probe_raw_tp(struct fl_probe_result *r)
{
	return probe_trace(TRACE_RAW_TP, r);
}

int fl_probe_tp_btf(struct fl_probe_result *r)
{
	return probe_trace(TRACE_TP_BTF, r);
}

/* ---- bpf_send_signal ------------------------------------------------------ */

/*
 * The victim waits on a pipe until the program is attached, calls
 * getppid() and then writes a marker. SIGKILL from sys_enter must kill it
 * before the call returns, so the marker must stay unwritten.
 */
static void signal_victim(int go_fd, volatile char *marker)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &c, 1) != 1)
		_exit(0);
	syscall(SYS_getppid);
	*marker = 1;
	_exit(0);
}

static void judge_signal(struct fl_probe_result *r, int wstatus, char marker,
			 struct probe_trace_bpf *skel)
{
	long long sret = skel->bss->signal_ret;

	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL && !marker && skel->bss->hits)
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "SIGKILL sent at sys_enter of getppid() killed the child before the call returned");
	else if (sret < 0)
		fl_probe_set(r, FL_PROBE_REFUSED, (int)-sret,
			     "bpf_send_signal(SIGKILL) failed: %s", strerror((int)-sret));
	else if (WIFSIGNALED(wstatus))
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "child died of signal %d%s, expected SIGKILL before getppid() returned",
			     WTERMSIG(wstatus), marker ? " after getppid() returned" : "");
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "child's getppid() returned normally (program ran %llu times)",
			     (unsigned long long)skel->bss->hits);
}

int fl_probe_send_signal(struct fl_probe_result *ret)
{
	struct fl_probe_result res = { 0 }, *r = &res;
	struct probe_trace_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	libbpf_print_fn_t old;
	volatile char *marker;
	int go[2] = { -1, -1 }, err, wstatus;
	pid_t pid = -1;

	marker = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (marker == MAP_FAILED)
		return -errno;
	old = fl_probe_bpf_quiet();
	if (pipe2(go, O_CLOEXEC) < 0) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		signal_victim(go[0], marker);
	}
	close(go[0]);
	go[0] = -1;

	skel = probe_trace_bpf__open();
	if (!skel) {
		err = -errno;
		goto out;
	}
	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(skel->progs.fl_probe_signal, true);
	skel->rodata->target_tgid = pid;
	skel->rodata->target_nr = SYS_getppid;
	err = probe_trace_bpf__load(skel);
	if (err) {
		if (fl_probe_bpf_helper_missing(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, BPF_FUNC_send_signal))
			fl_probe_set(r, FL_PROBE_MISSING, EINVAL,
				     "bpf_send_signal helper not available (kernel < 5.3)");
		else
			fl_probe_bpf_load_failure(r, err, "load bpf_send_signal program");
		goto judged;
	}
	link = bpf_program__attach(skel->progs.fl_probe_signal);
	if (!link) {
		fl_probe_set_failure(r, -errno, "attach bpf_send_signal program to raw_tracepoint sys_enter");
		goto judged;
	}
	skel->bss->armed = 1;
	if (write(go[1], "g", 1) != 1) {
		err = -errno;
		goto out;
	}
	err = fl_child_wait(pid, FL_PROBE_CHILD_TIMEOUT_MS, &wstatus);
	pid = -1;
	if (err < 0)
		goto out;
	judge_signal(r, wstatus, *marker, skel);
judged:
	err = 0;
	*ret = res;
out:
	if (go[1] >= 0)
		close(go[1]); /* an unreleased victim sees EOF and exits */
	if (go[0] >= 0)
		close(go[0]);
	if (pid > 0)
		fl_child_wait(pid, FL_PROBE_CHILD_TIMEOUT_MS, &wstatus);
	bpf_link__destroy(link);
	probe_trace_bpf__destroy(skel);
	libbpf_set_print(old);
	munmap((void *)marker, 1);
	return err;
}

/* ---- bpf_loop delay -------------------------------------------------------- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static int delay_child(struct fl_probe_result *r, void *arg)
{
	struct probe_trace_bpf *skel;
	struct bpf_link *link = NULL;
	__u64 t0, took;
	double req_ms, got_ms;
	int err;

	skel = probe_trace_bpf__open();
	if (!skel)
		return -errno;
	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(skel->progs.fl_probe_delay, true);
	skel->rodata->target_tgid = getpid();
	skel->rodata->target_nr = SYS_getppid;
	skel->rodata->delay_ns = DELAY_REQUEST_NS;

	err = probe_trace_bpf__load(skel);
	if (err) {
		if (fl_probe_bpf_helper_missing(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, BPF_FUNC_loop))
			fl_probe_set(r, FL_PROBE_MISSING, EINVAL,
				     "bpf_loop helper not available (kernel < 5.17)");
		else
			fl_probe_bpf_load_failure(r, err, "load bpf_loop delay program");
		goto out;
	}
	link = bpf_program__attach(skel->progs.fl_probe_delay);
	if (!link) {
		fl_probe_set_failure(r, -errno, "attach bpf_loop delay program to raw_tracepoint sys_enter");
		goto out;
	}

	skel->bss->armed = 1;
	t0 = now_ns();
	syscall(SYS_getppid);
	took = now_ns() - t0;
	skel->bss->armed = 0;

	req_ms = DELAY_REQUEST_NS / 1e6;
	got_ms = took / 1e6;
	if (took >= DELAY_REQUEST_NS && skel->bss->spun_ns >= DELAY_REQUEST_NS &&
	    took <= DELAY_REQUEST_NS + DELAY_SLACK_NS)
		fl_probe_set(r, FL_PROBE_WORKS, 0, "%.0f ms requested, %.1f ms measured",
			     req_ms, got_ms);
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ERANGE,
			     "%.0f ms requested, %.1f ms measured (kernel spun %.1f ms), outside [%.0f, %.0f] ms",
			     req_ms, got_ms, skel->bss->spun_ns / 1e6, req_ms,
			     (DELAY_REQUEST_NS + DELAY_SLACK_NS) / 1e6);
out:
	bpf_link__destroy(link);
	probe_trace_bpf__destroy(skel);
	return 0;
}

int fl_probe_bpf_loop_delay(struct fl_probe_result *r)
{
	return fl_probe_bpf_in_child(delay_child, NULL, 0, r);
}

/* ---- fentry, fmod_ret, BPF LSM, kprobe override ----------------------------- */

enum attach_kind { ATT_FENTRY, ATT_FMOD_SEC, ATT_LSM, ATT_FMOD_SYS, ATT_KPROBE };

struct attach_spec {
	const char *name;      /* what the detail calls the program */
	bool on_open;          /* triggered by open(), else by getppid() */
	bool injects;          /* expect -EIO from the call, else only a hit */
};

static const struct attach_spec attach_specs[] = {
	[ATT_FENTRY]   = { "fentry/security_file_open", true, false },
	[ATT_FMOD_SEC] = { "fmod_ret/security_file_open", true, true },
	[ATT_LSM]      = { "lsm/file_open", true, true },
	[ATT_FMOD_SYS] = { "fmod_ret/" SYS_PREFIX "sys_getppid", false, true },
	[ATT_KPROBE]   = { "kprobe/" SYS_PREFIX "sys_getppid", false, true },
};

static struct bpf_program *attach_prog(struct probe_attach_bpf *skel, enum attach_kind kind)
{
	switch (kind) {
	case ATT_FENTRY:   return skel->progs.fl_probe_fentry;
	case ATT_FMOD_SEC: return skel->progs.fl_probe_fmsec;
	case ATT_LSM:      return skel->progs.fl_probe_lsm;
	case ATT_FMOD_SYS: return skel->progs.fl_probe_fmsys;
	default:           return skel->progs.fl_probe_kprobe;
	}
}

/* The active LSMs, only to explain why a BPF LSM program has no effect. */
static bool bpf_lsm_active(char *list, size_t len)
{
	char *tok, *save = NULL, buf[256];
	ssize_t n;
	int fd;

	list[0] = '\0';
	fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell: do not blame it */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(list, len, "%s", buf);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "bpf") == 0)
			return true;
	return false;
}

static bool kprobes_present(void)
{
	return path_exists("/sys/bus/event_source/devices/kprobe") ||
	       path_exists("/sys/kernel/tracing/kprobe_events") ||
	       path_exists("/sys/kernel/debug/tracing/kprobe_events");
}

static void set_attach_load_failure(struct fl_probe_result *r, enum attach_kind kind, int err)
{
	const char *name = attach_specs[kind].name;
	char what[96];

	if (kind == ATT_KPROBE &&
	    fl_probe_bpf_helper_missing(BPF_PROG_TYPE_KPROBE, 0, BPF_FUNC_override_return)) {
		fl_probe_set(r, FL_PROBE_MISSING, EINVAL,
			     "load %s: bpf_override_return not available (CONFIG_BPF_KPROBE_OVERRIDE not set)%s",
			     name, kprobes_present() ? "" : "; no kprobes either (CONFIG_KPROBES)");
		return;
	}
	if (kind == ATT_FMOD_SYS && (err == -EINVAL || err == -ENOTSUP)) {
		fl_probe_set(r, FL_PROBE_MISSING, -err,
			     "load %s: %s (not on the error-injection list: CONFIG_FUNCTION_ERROR_INJECTION)",
			     name, strerror(-err));
		return;
	}
	if (err == -ESRCH || err == -ENOENT) {
		fl_probe_set(r, FL_PROBE_MISSING, -err, "load %s: %s not found in kernel BTF",
			     name, strchr(name, '/') + 1);
		return;
	}
	snprintf(what, sizeof(what), "load %s program", name);
	fl_probe_bpf_load_failure(r, err, what);
}

static void set_attach_failure(struct fl_probe_result *r, enum attach_kind kind, int err)
{
	const char *name = attach_specs[kind].name;
	char what[96], lsms[256];

	if (kind == ATT_LSM && !bpf_lsm_active(lsms, sizeof(lsms))) {
		fl_probe_set(r, FL_PROBE_MISSING, -err,
			     "attach %s: %s ('bpf' is not in the active LSM list: %s)",
			     name, strerror(-err), lsms);
		return;
	}
	if (kind == ATT_KPROBE && !kprobes_present()) {
		fl_probe_set(r, FL_PROBE_MISSING, -err,
			     "attach %s: %s (kprobes not built into this kernel: CONFIG_KPROBES)",
			     name, strerror(-err));
		return;
	}
	if (kind == ATT_KPROBE && err == -EINVAL) {
		fl_probe_set(r, FL_PROBE_MISSING, EINVAL,
			     "attach %s: %s (not on the error-injection list: CONFIG_FUNCTION_ERROR_INJECTION)",
			     name, strerror(-err));
		return;
	}
	snprintf(what, sizeof(what), "attach %s", name);
	fl_probe_set_failure(r, err, what);
}

static void judge_attach(struct fl_probe_result *r, enum attach_kind kind, int call_errno,
			 __u64 hits)
{
	const struct attach_spec *s = &attach_specs[kind];
	const char *call = s->on_open ? "open(/dev/null)" : "getppid()";
	char lsms[256];

	if (!s->injects && hits) {
		fl_probe_set(r, FL_PROBE_WORKS, 0, "%s ran for this process's %s", s->name, call);
		return;
	}
	if (s->injects && hits && call_errno == EIO) {
		fl_probe_set(r, FL_PROBE_WORKS, 0, "%s failed with EIO injected by %s", call, s->name);
		return;
	}
	if (kind == ATT_LSM && !hits && !bpf_lsm_active(lsms, sizeof(lsms))) {
		fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
			     "%s attached but never ran: 'bpf' is not in the active LSM list (%s)",
			     s->name, lsms);
		return;
	}
	fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
		     "%s attached but had no effect: %s %s, program ran %llu times",
		     s->name, call, call_errno ? strerror(call_errno) : "succeeded",
		     (unsigned long long)hits);
}

static int attach_child(struct fl_probe_result *r, void *arg)
{
	enum attach_kind kind = *(enum attach_kind *)arg;
	struct probe_attach_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	int err, fd, call_errno = 0;
	long rc;

	skel = probe_attach_bpf__open();
	if (!skel)
		return -errno;
	prog = attach_prog(skel, kind);
	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(prog, true);
	skel->rodata->target_tgid = getpid();

	err = probe_attach_bpf__load(skel);
	if (err) {
		set_attach_load_failure(r, kind, err);
		goto out;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		set_attach_failure(r, kind, -errno);
		goto out;
	}

	skel->bss->armed = 1;
	if (attach_specs[kind].on_open) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		call_errno = fd < 0 ? errno : 0;
		skel->bss->armed = 0;
		if (fd >= 0)
			close(fd);
	} else {
		rc = syscall(SYS_getppid);
		call_errno = rc < 0 ? errno : 0;
		skel->bss->armed = 0;
	}
	judge_attach(r, kind, call_errno, skel->bss->hits);
out:
	bpf_link__destroy(link);
	probe_attach_bpf__destroy(skel);
	return 0;
}

static int probe_attach(enum attach_kind kind, struct fl_probe_result *r)
{
	return fl_probe_bpf_in_child(attach_child, &kind, 0, r);
}

int fl_probe_fentry(struct fl_probe_result *r)
{
	return probe_attach(ATT_FENTRY, r);
}

int fl_probe_fmod_ret_security(struct fl_probe_result *r)
{
	return probe_attach(ATT_FMOD_SEC, r);
}

int fl_probe_bpf_lsm(struct fl_probe_result *r)
{
	return probe_attach(ATT_LSM, r);
}

int fl_probe_fmod_ret_syscall(struct fl_probe_result *r)
{
	return probe_attach(ATT_FMOD_SYS, r);
}

int fl_probe_kprobe_override(struct fl_probe_result *r)
{
	return probe_attach(ATT_KPROBE, r);
}
