/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The safety contract's bookkeeping: every kernel object faultline
 * installs that does not die with an fd (mounts, cgroups, named netns,
 * qdiscs, tc filters, iptables rules, nft tables, stopped processes) is
 * recorded in a
 * session directory under /run/faultline before or right after it is
 * created, and undone by fl_state_close(), by the watchdog when the
 * controller is killed, or by fl_state_cleanup_all() (`faultline cleanup`).
 *
 * Every undo treats "already gone" as success, so all of them are
 * idempotent and may race each other harmlessly.
 */
#ifndef FAULTLINE_STATE_H
#define FAULTLINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FL_STATE_RUN_DIR     "/run/faultline"
#define FL_STATE_RUN_DIR_ENV "FAULTLINE_RUN_DIR"

struct fl_state;

/*
 * Create this controller's session directory ROOT/<pid>-<starttime>[-N]/.
 * root: NULL means $FAULTLINE_RUN_DIR, else /run/faultline.
 */
int fl_state_open(const char *root, struct fl_state **ret);
/* The session directory path. */
const char *fl_state_dir(const struct fl_state *st);

/*
 * Record functions. Each writes one file atomically and returns its id
 * (> 0, increasing) through ret_id (may be NULL). Record a mount right
 * after mounting (its mount id is captured so that a different mount
 * later placed on the same path is never unmounted); the other kinds may
 * be recorded before creation, since undoing an absent object succeeds.
 */
int fl_state_record_mount(struct fl_state *st, const char *path, uint64_t *ret_id);
/*
 * path: absolute directory of a cgroup (v2, or a v1 controller hierarchy).
 * The undo moves whatever runs in it to the nearest ancestor that takes
 * it, then removes it: for groups made to watch or squeeze processes.
 */
int fl_state_record_cgroup(struct fl_state *st, const char *path, uint64_t *ret_id);
/*
 * The same for a cgroup faultline made to run a service it started: the
 * undo kills every process in it (cgroup.kill, else SIGKILL pid by pid
 * until it is empty), then removes it, and says how many it killed.
 * (Record field "kill": true; a cgroup record without it moves.)
 */
int fl_state_record_service_cgroup(struct fl_state *st, const char *path, uint64_t *ret_id);
/*
 * A regular file faultline created (a temporary log): unlinked on undo,
 * unless the path now holds another file (inode and device are kept).
 * Record it right after creating it.
 */
int fl_state_record_file(struct fl_state *st, const char *path, uint64_t *ret_id);
/* name: a netns bound at /run/netns/NAME (ip netns add). */
int fl_state_record_netns(struct fl_state *st, const char *name, uint64_t *ret_id);

/* A qdisc to delete. parent is a TC handle: TC_H_ROOT, TC_H_CLSACT, or a class. */
struct fl_state_qdisc {
	const char *netns;   /* NULL or "" = the controller's netns */
	const char *ifname;  /* resolved at undo time; a missing device = gone */
	uint32_t parent;
	uint32_t handle;     /* 0 = whatever qdisc sits at parent */
	const char *kind;    /* "htb", "clsact", ... (NULL = any) */
};
int fl_state_record_qdisc(struct fl_state *st, const struct fl_state_qdisc *q,
			  uint64_t *ret_id);

/* A tc filter to delete (e.g. a BPF classifier attached with bpf_tc_attach). */
struct fl_state_tc_filter {
	const char *netns;   /* NULL or "" = the controller's netns */
	const char *ifname;  /* if NULL/"", ifindex is used */
	int ifindex;
	uint32_t parent;     /* e.g. TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS) */
	uint16_t prio;       /* must be non-zero: 0 would flush the whole chain */
	uint16_t protocol;   /* host order ETH_P_*; 0 = any */
	uint32_t handle;
	const char *kind;    /* "bpf", ... (NULL = any) */
};
int fl_state_record_tc_filter(struct fl_state *st, const struct fl_state_tc_filter *f,
			      uint64_t *ret_id);

/*
 * A network device faultline creates (an IFB for ingress shaping): deleted
 * on undo if a device of that name and kind is there; a device of that
 * name but another kind is someone else's and is left alone (gone).
 */
struct fl_state_link {
	const char *netns;   /* NULL or "" = the controller's netns */
	const char *ifname;
	const char *kind;    /* "ifb" (rtnl link type): required */
};
int fl_state_record_link(struct fl_state *st, const struct fl_state_link *l,
			 uint64_t *ret_id);

/*
 * An iptables rule, undone with `BINARY -w 5 -t TABLE -D RULE...` (after a
 * -C check, so a rule that no longer exists counts as removed). rule is the
 * NULL-terminated argv that followed -A, chain first:
 * {"OUTPUT", "-p", "tcp", "--dport", "5432", "-j", "DROP", NULL}.
 * binary: iptables or ip6tables, optionally with -legacy / -nft.
 */
int fl_state_record_iptables(struct fl_state *st, const char *netns,
			     const char *binary, const char *table,
			     const char *const *rule, uint64_t *ret_id);

/*
 * An nftables table of faultline's own (the delay line's native queue
 * rules live in one), undone by deleting the whole table. family: "inet",
 * "ip", "ip6", "netdev", "bridge" or "arp"; name: letters, digits and '_'
 * (up to 63). Record it before creating it: the undo of an absent table
 * succeeds.
 */
int fl_state_record_nft_table(struct fl_state *st, const char *netns,
			      const char *family, const char *name, uint64_t *ret_id);

/* A process faultline stopped: SIGCONT on undo, if it is still the same process. */
int fl_state_record_sigcont(struct fl_state *st, pid_t pid, uint64_t *ret_id);

/*
 * A pinned BPF hash map of processes a BPF program may have stopped
 * (SIGSTOP): each key starts with the __u32 tgid, each value is the __u64
 * start_boottime (ns) of that process's group leader. On undo every
 * process in it that is still the same process gets SIGCONT (twice, 20 ms
 * apart, for a program that was still running when its controller died),
 * then the pin and its directory are removed. Record it before the
 * programs that fill it are attached: a stop can then never go unrecorded.
 * pin: absolute path in bpffs; it need not exist yet.
 */
int fl_state_record_stopped_map(struct fl_state *st, const char *pin, uint64_t *ret_id);

/*
 * A fault rule armed on a faultfs mount (it lives in the faultfs daemon,
 * not in the caller): undone by asking that daemon (pid daemon, still the
 * same process, answering on socket_path) to clear rule rule_id. A daemon
 * that is gone took its rules along. mount only describes it.
 */
int fl_state_record_faultfs_rule(struct fl_state *st, const char *socket_path, pid_t daemon,
				 unsigned rule_id, const char *mount, uint64_t *ret_id);

/* The caller removed the object itself: drop its record. -ENOENT if unknown. */
int fl_state_forget(struct fl_state *st, uint64_t id);

/*
 * Undo reports. what describes the object ("mount /mnt/x", "qdisc htb
 * 1: on dummy0 in netns fl-3"); err is 0 when it was removed (or already
 * gone), else a negative errno, with message saying why.
 */
struct fl_cleanup_item {
	char session[64];
	char kind[16];
	char what[320];
	int err;
	char message[160];
};

struct fl_cleanup_report {
	unsigned sessions;   /* session directories visited */
	unsigned removed;
	unsigned failed;
	size_t n_items;
	struct fl_cleanup_item *items;
};

void fl_cleanup_report_free(struct fl_cleanup_report *report);

/*
 * Undo everything still recorded, newest first, stop the watchdog without
 * letting it undo, and remove the directory. Frees st even on failure; the
 * records of objects that could not be removed stay on disk for
 * `faultline cleanup`. Returns 0 or the first undo error.
 * Not async-signal-safe: call it from the main loop, not a signal handler.
 */
int fl_state_close(struct fl_state *st);
/* The same, and report every object (ret may be NULL). */
int fl_state_close_report(struct fl_state *st, struct fl_cleanup_report *ret);

/*
 * Undo every session directory under root whose controller is gone (with
 * include_live, every one). Idempotent. Returns 0 when nothing failed,
 * else -EIO; ret (may be NULL) gets the report either way, and the caller
 * frees it with fl_cleanup_report_free().
 */
int fl_state_cleanup_all(const char *root, bool include_live,
			 struct fl_cleanup_report *ret);

/*
 * Fork a watchdog that undoes this session when the controller dies, even
 * by SIGKILL. It notices either through its pipe from the controller
 * reaching EOF or through the controller's pidfd becoming readable, so a
 * child the controller forked (which inherits the pipe) does not keep the
 * watchdog waiting. The watchdog closes every other fd it inherited and
 * ignores SIGINT/SIGTERM/SIGHUP (a ^C on the terminal must not kill it
 * along with the controller).
 */
int fl_state_watchdog_start(struct fl_state *st);
/* The watchdog's pid, or 0. */
pid_t fl_state_watchdog_pid(const struct fl_state *st);
/* In a forked child: drop the inherited watchdog pipe. */
void fl_state_watchdog_detach_child(struct fl_state *st);

/*
 * Leave the session's objects installed on purpose (a cluster left
 * running): stop the watchdog without undoing and free st. The records
 * stay, so fl_state_undo_dir() or `faultline cleanup` removes them later.
 */
int fl_state_release(struct fl_state *st);
/*
 * Undo the session directory dir (fl_state_dir() of a released session)
 * now, whether or not its controller lives. Returns 0, or the first undo
 * error (-EIO when some object could not be removed); ret may be NULL.
 */
int fl_state_undo_dir(const char *dir, struct fl_cleanup_report *ret);

#endif /* FAULTLINE_STATE_H */
