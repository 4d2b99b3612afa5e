/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A node on a real host, driven over plain SSH, as Jepsen drives its
 * nemeses: the same faultline commands run there (`ssh HOST faultline ...
 * --json`) and their JSON is read back. Nothing runs on the host but sshd
 * and faultline; no agent, no shell on our side (ssh is exec'ed, and each
 * argument is single-quoted for the remote shell).
 *
 *   struct fl_remote r;
 *   fl_remote_parse("ssh://root@10.1.2.3:2222", &r, err, sizeof(err));
 *   r.identity = "/root/.ssh/id_ed25519";
 *   const char *argv[] = { "cleanup", NULL };
 *   int status; json_t *js;
 *   fl_remote_run(&r, argv, 10000, &status, &js, err, sizeof(err));
 *
 * What a remote node's faults map to (the runner calls these; each has
 * --json, and each was checked for what happens when it is sent again
 * because its acknowledgement was lost: over SSH, the connection broke or
 * the deadline passed, and the command may or may not have run):
 *
 * | fault / action       | remote command                                   | sent again |
 * |----------------------|--------------------------------------------------|------------|
 * | what works there     | faultline probe --json                           | read-only |
 * | net, partition       | faultline net RULE... --dev DEV --for DUR --json | while the first runs: exit 3 (FL_REMOTE_EXIT_HELD), the hook is held by that session, bounded by its --for; after it: arms again |
 * | heal (net)           | fl_remote_stop(): SIGTERM to the pid of that net | -ESRCH when it ended already; faultline disarms and prints its summary either way |
 * | syscall on a service | faultline syscall RULE... --cgroup DIR --for DUR --json (or --pid PID) | NOT idempotent: a second session arms beside the first and both act on each call (delays stack); do not resend blind; bounded by --for |
 * | disk (faultfs rules) | faultline fs clear MNT --json, then faultline fs fault MNT RULE... --json | the pair sets the node's rules: the same set again (fault alone would add a duplicate) |
 * | leftovers            | faultline cleanup --json                         | idempotent: what is gone stays gone |
 * | start, stop, health  | the node's own commands: fl_remote_exec()        | as idempotent as those commands |
 *
 * `faultline cleanup --all` does not heal a live net session on a kernel
 * with tcx (its links live in the controller's fds): stop it by pid.
 * Not mapped: powercut (SIGKILL of the service's cgroup + `faultline fs
 * powercut MNT`) and crash have no single faultline command yet; run the
 * node's own commands for them through fl_remote_exec().
 *
 * The remote user's shell must be a POSIX shell (bash, dash, the default
 * for root): the command is `echo PID >&2; exec faultline --json ...`.
 *
 * Exit status 255 is ssh's own (cannot connect, host key or
 * authentication refused, connection lost): the functions below say so in
 * errbuf ("ssh ... failed before or while running the command"), apart
 * from a remote command's own status ("faultline on HOST exited N").
 * faultline's own statuses are 0-3 and 125-127; only a command it
 * launches (`net ... -- CMD`) could exit 255 and be read as ssh's.
 */
#ifndef FAULTLINE_REMOTE_H
#define FAULTLINE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_t;

#define FL_REMOTE_EXIT_SSH      255 /* ssh's own failure */
#define FL_REMOTE_EXIT_HELD     3   /* faultline net: another session holds the hook */
#define FL_REMOTE_MAX_ENV       8

enum fl_remote_hostkey {
	FL_REMOTE_HOSTKEY_DEFAULT = 0, /* ssh's own setting (ssh_config) */
	FL_REMOTE_HOSTKEY_STRICT,      /* StrictHostKeyChecking=yes: known_hosts must have it */
	FL_REMOTE_HOSTKEY_ACCEPT_NEW,  /* accept-new: trust on first use, refuse a change */
	FL_REMOTE_HOSTKEY_OFF,         /* no: any key (throwaway test hosts only) */
};

/*
 * One remote host. fl_remote_parse/fl_remote_init fill the defaults; the
 * string options point at the caller's memory (NULL = not given) and must
 * outlive the calls.
 */
struct fl_remote {
	char user[64];                 /* "" = ssh's default user */
	char host[256];                /* name or address, IPv6 without brackets */
	uint16_t port;                 /* 22 */
	const char *identity;          /* -i KEY (with IdentitiesOnly=yes) */
	const char *known_hosts;       /* UserKnownHostsFile */
	enum fl_remote_hostkey hostkey;
	unsigned connect_timeout_s;    /* ConnectTimeout (5) */
	const char *faultline;         /* the remote faultline program ("faultline") */
	const char *ssh;               /* the local ssh program ("ssh", on $PATH) */
	bool sudo;                     /* run faultline (and the stop's kill) under sudo -n */
	const char *env[FL_REMOTE_MAX_ENV]; /* "NAME=VALUE" for the remote command (env(1)) */
};

/*
 * ssh://[USER@]HOST[:PORT] (HOST may be [IPv6]) into ret with the defaults
 * above. 0 or -EINVAL with the reason in errbuf.
 */
int fl_remote_parse(const char *url, struct fl_remote *ret, char *errbuf, size_t errlen);
/* The same from parts (a scenario node's ssh_user, ssh_host, ssh_port). */
int fl_remote_init(struct fl_remote *ret, const char *user, const char *host, uint16_t port,
		   char *errbuf, size_t errlen);

/*
 * Run `FAULTLINE ARGV... --json` on the host and wait at most timeout_ms
 * (then the ssh child is SIGKILLed by pid: -ETIMEDOUT, and whether the
 * command ran is unknown). stdout is read whole and parsed as JSON (the
 * whole text, else its last line that is a JSON object).
 *
 * Returns 0 when the command exited 0 and printed JSON: *ret_json (a
 * new reference) and *ret_status = 0. Otherwise a negative errno and the
 * reason in errbuf, with the remote stderr's last line:
 *   -ECOMM      ssh failed (exit 255): unreachable, refused, auth, host key
 *   -EREMOTEIO  faultline exited non-zero: *ret_status gets its status and
 *               *ret_json its JSON when it printed some (else NULL)
 *   -EBADMSG    exit 0 but stdout is not JSON
 *   -ETIMEDOUT  the deadline passed
 * ret_status and ret_json may be NULL.
 */
int fl_remote_run(const struct fl_remote *r, const char *const argv[], int timeout_ms,
		  int *ret_status, struct json_t **ret_json, char *errbuf, size_t errlen);

/*
 * A plain shell command (a node's start, stop or health command) run by
 * the remote user's shell, as given (env and sudo are not added: write
 * them in). 0 when it exited 0; -ECOMM, -EREMOTEIO
 * (with *ret_status), -ETIMEDOUT as above. *ret_out (malloc'ed, may be
 * NULL) gets its stdout whenever it ran.
 */
int fl_remote_exec(const struct fl_remote *r, const char *command, int timeout_ms,
		   int *ret_status, char **ret_out, char *errbuf, size_t errlen);

/*
 * The same in two halves, for a fault that lasts (`net ... --for 10s`)
 * while the caller does something else: start forks ssh and returns at
 * once; finish waits (the deadline counts from start), reads, reaps and
 * frees the call whatever it returns. fl_remote_abort kills and reaps it.
 */
struct fl_remote_call;

int fl_remote_start(const struct fl_remote *r, const char *const argv[],
		    struct fl_remote_call **ret, char *errbuf, size_t errlen);
int fl_remote_finish(struct fl_remote_call *c, int timeout_ms, int *ret_status,
		     struct json_t **ret_json, char *errbuf, size_t errlen);
void fl_remote_abort(struct fl_remote_call *c);
/*
 * Stop the remote faultline of a started call now (a heal before its
 * --for ends): SIGTERM to its pid on the host, over a second connection.
 * faultline disarms and prints its summary: fl_remote_finish reads it.
 * Killing ssh here would not do: without a pty the remote command never
 * hears that the connection went. 0; -ESRCH when it had ended already.
 */
int fl_remote_stop(const struct fl_remote *r, struct fl_remote_call *c, int timeout_ms,
		   char *errbuf, size_t errlen);
/* The ssh child's pid (to wait on it or to kill it by pid). */
pid_t fl_remote_call_pid(const struct fl_remote_call *c);

/*
 * The text a remote shell gets: each argument single-quoted when it holds
 * anything but [A-Za-z0-9_./:=,@%+-] (a ' becomes '\''), joined by
 * spaces. -ENOSPC when buf is too small. Exposed for tests and dry runs.
 */
int fl_remote_quote_argv(const char *const argv[], char *buf, size_t len);
/*
 * The remote shell's text for a faultline command: `echo "faultline-
 * remote-pid $$" >&2; exec [sudo -n] [env NAME=VALUE...] FAULTLINE --json
 * ARGV...`, words quoted as above. -EINVAL (an env entry that is not
 * NAME=VALUE), -E2BIG, -ENOSPC.
 */
int fl_remote_faultline_cmd(const struct fl_remote *r, const char *const argv[], char *buf,
			    size_t len);
/*
 * The whole ssh command line fl_remote_run would exec for argv (NULL-
 * terminated, into ret_argv: FL_REMOTE_MAX_ARGV slots, strings in
 * storage). 0 or -ENOSPC/-EINVAL.
 */
#define FL_REMOTE_MAX_ARGV 40
int fl_remote_ssh_argv(const struct fl_remote *r, const char *remote_cmd,
		       char *storage, size_t storage_len, char *ret_argv[FL_REMOTE_MAX_ARGV]);

#endif /* FAULTLINE_REMOTE_H */
