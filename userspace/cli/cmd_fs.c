// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline fs: control a faultfs mount through its control socket: fault
 * rules, power cut, resume, snapshot, sync, status and the write log.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <faultline/fs.h>
#include <faultline/fs_snapshot.h>
#include <faultline/rule.h>

#include "cli/cli.h"

#define EXIT_DAEMON 1
#define EXIT_USAGE  2
#define REQ_TIMEOUT_MS      10000
#define POWERCUT_TIMEOUT_MS 600000   /* a power cut answers once done */

struct fs_opts {
	bool json, follow, help;
	const char *mnt;
	char **args;          /* positional arguments after MNT */
	int n_args;
	const char *keep, *seed, *torn, *since;
};

struct subcommand {
	const char *name;
	int (*run)(struct fs_opts *o);
	const char *synopsis;
	const char *summary;
	const char *help;
	const struct option *opts; /* its options, for completion; NULL: fs_opts_common */
};

/* What parse() accepts, per command; 'faultline completion' reads these. */
static const struct option fs_opts_common[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};
static const struct option fs_opts_powercut[] = {
	{ "keep", required_argument, NULL, 0 },
	{ "seed", required_argument, NULL, 0 },
	{ "torn", required_argument, NULL, 0 },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};
static const struct option fs_opts_log[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "since", required_argument, NULL, 0 },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void sub_usage(const struct subcommand *s, FILE *out)
{
	fprintf(out, "Usage: faultline fs %s %s\n\n%s\n%s", s->name, s->synopsis, s->summary,
		s->help);
	fprintf(out,
		"\n  -j, --json     machine-readable output on stdout\n"
		"  -h, --help     this help\n"
		"\nExit status: 0 done, 1 faultfs refused or could not be reached, 2 bad usage.\n"
		"Needs root (the control socket is root only).\n");
}

/* Connect, print why not. Returns the fd or -1. */
static int connect_mnt(const char *mnt)
{
	int fd, err;

	err = fl_fs_connect(mnt, &fd);
	if (err) {
		fl_cli_error("fs: %s: %s", mnt, fl_fs_strerror(err));
		return -1;
	}
	return fd;
}

/* One request; returns the reply with "ok":true, or NULL after printing the error. */
static json_t *call(const struct fs_opts *o, json_t *req, int timeout_ms)
{
	json_t *rep = NULL;
	int fd, err;

	fd = connect_mnt(o->mnt);
	if (fd < 0) {
		json_decref(req);
		return NULL;
	}
	err = fl_fs_request(fd, req, &rep, timeout_ms);
	json_decref(req);
	close(fd);
	if (err) {
		fl_cli_error("fs: %s: %s", o->mnt, fl_fs_strerror(err));
		return NULL;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *msg = json_string_value(json_object_get(rep, "error"));
		const char *rule = json_string_value(json_object_get(rep, "rule"));

		if (rule)
			fl_cli_error("%s: %s", rule, msg ? msg : "refused");
		else
			fl_cli_error("fs: %s: %s", o->mnt, msg ? msg : "request refused");
		json_decref(rep);
		return NULL;
	}
	return rep;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

static long long ival(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static int run_fault(struct fs_opts *o)
{
	json_t *req, *rules, *rep, *ids;
	struct fl_rule rule;

	if (o->n_args < 1) {
		fl_cli_error("fs fault: no rule given (e.g. 'write:error=EIO:path=*.wal')");
		return EXIT_USAGE;
	}
	rules = json_array();
	for (int i = 0; i < o->n_args; i++) {
		struct fl_rule_error err = { 0 };

		/* Checked here too, so the message comes before anything is sent. */
		if (fl_rule_parse(o->args[i], &rule, &err) ||
		    fl_rule_check_domain(&rule, FL_DOMAIN_FS, &err)) {
			fl_cli_error("%s: %s", o->args[i], err.message);
			json_decref(rules);
			return EXIT_USAGE;
		}
		if (json_array_append_new(rules, json_string(o->args[i]))) {
			fl_cli_error("fs fault: rule '%s' is not valid UTF-8", o->args[i]);
			json_decref(rules);
			return EXIT_USAGE;
		}
	}
	req = json_pack("{s:s, s:o}", "cmd", "fault", "rules", rules);
	rep = call(o, req, REQ_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	ids = json_object_get(rep, "ids");
	if (o->json) {
		print_json(rep);
	} else {
		for (size_t i = 0; i < json_array_size(ids); i++)
			printf("rule %lld: %s\n", (long long)json_integer_value(json_array_get(ids, i)),
			       o->args[i]);
	}
	json_decref(rep);
	return 0;
}

static int run_clear(struct fs_opts *o)
{
	json_t *req, *rep;
	uint64_t id;

	if (o->n_args > 1) {
		fl_cli_error("fs clear: at most one rule id");
		return EXIT_USAGE;
	}
	req = json_pack("{s:s}", "cmd", "clear");
	if (o->n_args == 1) {
		if (fl_parse_u64(o->args[0], &id) || id > INT32_MAX) {
			fl_cli_error("fs clear: invalid rule id '%s' (see 'faultline fs status')",
				     o->args[0]);
			json_decref(req);
			return EXIT_USAGE;
		}
		json_object_set_new(req, "id", json_integer((json_int_t)id));
	}
	rep = call(o, req, REQ_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	if (o->json)
		print_json(rep);
	else
		printf("cleared %lld rule%s\n", ival(rep, "cleared"),
		       ival(rep, "cleared") == 1 ? "" : "s");
	json_decref(rep);
	return 0;
}

static int run_powercut(struct fs_opts *o)
{
	uint32_t keep = 0;
	uint64_t seed = 0, torn = 0;
	json_t *req, *rep, *r;

	if (o->n_args) {
		fl_cli_error("fs powercut: unexpected argument '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	if (o->keep && fl_parse_percent(o->keep, &keep)) {
		fl_cli_error("fs powercut: --keep: invalid share '%s' (e.g. 50%%, 0.5)", o->keep);
		return EXIT_USAGE;
	}
	if (o->seed && (fl_parse_u64(o->seed, &seed) || seed > INT64_MAX)) {
		fl_cli_error("fs powercut: --seed: invalid seed '%s'", o->seed);
		return EXIT_USAGE;
	}
	if (o->torn && (fl_parse_size(o->torn, &torn) || !torn || (torn & (torn - 1)) ||
			torn > (1u << 30))) {
		fl_cli_error("fs powercut: --torn: sector size must be a power of two (e.g. 512, 4k), not '%s'",
			     o->torn);
		return EXIT_USAGE;
	}
	req = json_pack("{s:s, s:I, s:I, s:I}", "cmd", "powercut", "keep_ppm", (json_int_t)keep,
			"seed", (json_int_t)seed, "torn", (json_int_t)torn);
	rep = call(o, req, POWERCUT_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	r = json_object_get(rep, "report");
	if (o->json) {
		print_json(rep);
	} else {
		printf("power cut: undid %lld write%s (%lld bytes) and %lld name operation%s in %lld file%s, kept %lld write%s, took %.3f ms\n",
		       ival(r, "writes_undone"), ival(r, "writes_undone") == 1 ? "" : "s",
		       ival(r, "bytes_undone"), ival(r, "names_undone"),
		       ival(r, "names_undone") == 1 ? "" : "s", ival(r, "files_touched"),
		       ival(r, "files_touched") == 1 ? "" : "s", ival(r, "writes_kept"),
		       ival(r, "writes_kept") == 1 ? "" : "s", (double)ival(r, "duration_ns") / 1e6);
	}
	json_decref(rep);
	return 0;
}

static int run_resume(struct fs_opts *o)
{
	json_t *rep;

	if (o->n_args) {
		fl_cli_error("fs resume: unexpected argument '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	rep = call(o, json_pack("{s:s}", "cmd", "resume"), REQ_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	if (o->json)
		print_json(rep);
	else
		printf("resumed: %s serves requests again\n", o->mnt);
	json_decref(rep);
	return 0;
}

static int run_snapshot(struct fs_opts *o)
{
	struct fl_fs_snapshot r;
	char why[512] = "", catchup[96];
	json_t *j;
	int err;

	if (o->n_args != 1) {
		if (o->n_args)
			fl_cli_error("fs snapshot: unexpected argument '%s'", o->args[1]);
		else
			fl_cli_error("fs snapshot: no DEST given (usage: faultline fs snapshot MNT DEST)");
		return EXIT_USAGE;
	}
	err = fl_fs_snapshot(o->mnt, o->args[0], POWERCUT_TIMEOUT_MS, &r, why, sizeof(why));
	if (err) {
		fl_cli_error("fs snapshot: %s", why);
		return EXIT_DAEMON;
	}
	snprintf(catchup, sizeof(catchup), "%llu bytes written during the copy copied again%s",
		 (unsigned long long)r.catchup_bytes,
		 r.relinked ? ", the names walked again" : "");
	if (o->json) {
		j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:I, s:I}",
			      "ok", 1,
			      "dest", o->args[0], "files", (json_int_t)r.files,
			      "bytes", (json_int_t)r.bytes, "writes_undone", (json_int_t)r.writes_undone,
			      "bytes_undone", (json_int_t)r.bytes_undone,
			      "names_undone", (json_int_t)r.names_undone,
			      "precopy_ns", (json_int_t)r.precopy_ns, "held_ns", (json_int_t)r.held_ns,
			      "catchup_bytes", (json_int_t)r.catchup_bytes, "relinked", r.relinked,
			      "full", r.full,
			      "duration_ns", (json_int_t)r.duration_ns, "total_ns", (json_int_t)r.total_ns);
		if (j)
			print_json(j);
		json_decref(j);
	} else {
		printf("snapshot of %s in %s: %llu file%s, %llu bytes; left out as a power cut "
		       "would: %llu volatile write%s (%llu bytes), %llu name operation%s; "
		       "writers held %.3f ms (%s), took %.3f ms\n", o->mnt, o->args[0],
		       (unsigned long long)r.files, r.files == 1 ? "" : "s",
		       (unsigned long long)r.bytes, (unsigned long long)r.writes_undone,
		       r.writes_undone == 1 ? "" : "s", (unsigned long long)r.bytes_undone,
		       (unsigned long long)r.names_undone, r.names_undone == 1 ? "" : "s",
		       (double)r.held_ns / 1e6,
		       r.full ? "a power cut during the copy: all copied again" : catchup,
		       (double)r.total_ns / 1e6);
	}
	return 0;
}

static int run_sync(struct fs_opts *o)
{
	json_t *rep;

	if (o->n_args) {
		fl_cli_error("fs sync: unexpected argument '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	rep = call(o, json_pack("{s:s}", "cmd", "sync"), REQ_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	if (o->json)
		print_json(rep);
	else
		printf("synced: everything written to %s is durable now "
		       "(%lld bytes in %lld writes, %lld name operations)\n", o->mnt,
		       ival(rep, "volatile_bytes"), ival(rep, "volatile_writes"),
		       ival(rep, "volatile_names"));
	json_decref(rep);
	return 0;
}

static void print_status(json_t *rep)
{
	json_t *t = json_object_get(rep, "totals"), *files = json_object_get(rep, "files");
	json_t *rules = json_object_get(rep, "rules"), *v;
	size_t i;

	printf("mode: %s%s\n", json_string_value(json_object_get(rep, "mode")) ?: "?",
	       json_is_true(json_object_get(rep, "offline")) ?
	       ", OFFLINE after a power cut (faultline fs resume)" : "");
	printf("volatile: %lld bytes in %lld writes, %lld name operations; lost (never durable): %lld bytes\n",
	       ival(t, "volatile_bytes"), ival(t, "volatile_writes"), ival(t, "volatile_names"),
	       ival(t, "lost_bytes"));
	printf("undo data: %lld bytes on disk, %lld bytes in memory\n",
	       ival(t, "undo_disk_bytes"), ival(t, "memory_bytes"));
	printf("parked (unlinked, replaced): %lld bytes; bounds: %lld name operations, "
	       "%lld bytes parked (0: none)\n", ival(t, "trash_bytes"), ival(t, "names_max"),
	       ival(t, "trash_max"));
	if (ival(t, "names_forced"))
		printf("WARNING: %lld name operations were made durable early to stay within "
		       "the bounds:\n  a power cut keeps them. Fsync directories, run "
		       "'faultline fs sync', or raise -o names_max/trash_max.\n",
		       ival(t, "names_forced"));
	if (json_array_size(files)) {
		printf("\n%14s %8s %12s %14s %14s  %s\n", "VOLATILE", "WRITES", "LOST",
		       "DURABLE SIZE", "SIZE", "FILE");
		json_array_foreach(files, i, v) {
			const char *p = json_string_value(json_object_get(v, "path"));

			printf("%14lld %8lld %12lld %14lld %14lld  %s\n", ival(v, "volatile_bytes"),
			       ival(v, "volatile_writes"), ival(v, "lost_bytes"),
			       ival(v, "durable_size"), ival(v, "size"),
			       p ? p : "(unlinked)");
		}
	}
	printf("\n");
	if (!json_array_size(rules)) {
		printf("no fault rules\n");
		return;
	}
	printf("%4s %10s %10s %20s  %s\n", "ID", "MATCHED", "INJECTED", "SEED", "RULE");
	json_array_foreach(rules, i, v) {
		json_t *seed = json_object_get(v, "seed");
		char sbuf[32];

		if (json_is_integer(seed))
			snprintf(sbuf, sizeof(sbuf), "%lld", (long long)json_integer_value(seed));
		else
			snprintf(sbuf, sizeof(sbuf), "%s", json_string_value(seed) ?: "-");
		printf("%4lld %10lld %10lld %20s  %s%s\n", ival(v, "id"), ival(v, "matched"),
		       ival(v, "injected"), sbuf, json_string_value(json_object_get(v, "text")) ?: "",
		       json_is_true(json_object_get(v, "expired")) ? "  (expired)" : "");
	}
}

static int run_status(struct fs_opts *o)
{
	json_t *rep;

	if (o->n_args) {
		fl_cli_error("fs status: unexpected argument '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	rep = call(o, json_pack("{s:s}", "cmd", "status"), REQ_TIMEOUT_MS);
	if (!rep)
		return EXIT_DAEMON;
	if (o->json)
		print_json(rep);
	else
		print_status(rep);
	json_decref(rep);
	return 0;
}

/*
 * Ctrl-C (or SIGTERM) is how a follower is meant to stop, so it ends like a
 * finished stream: exit 0. Every line was flushed when it was printed.
 */
static void follow_stopped(int sig)
{
	_exit(0);
}

static int run_log(struct fs_opts *o)
{
	uint64_t since = 1;
	json_t *req, *first = NULL;
	int fd, err, ret = EXIT_DAEMON;

	if (o->n_args) {
		fl_cli_error("fs log: unexpected argument '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	if (o->since && (fl_parse_u64(o->since, &since) || since > INT64_MAX)) {
		fl_cli_error("fs log: --since: invalid seq '%s'", o->since);
		return EXIT_USAGE;
	}
	fd = connect_mnt(o->mnt);
	if (fd < 0)
		return EXIT_DAEMON;
	req = json_pack("{s:s, s:I, s:b}", "cmd", "log", "since", (json_int_t)since,
			"follow", o->follow);
	err = fl_fs_request(fd, req, &first, REQ_TIMEOUT_MS);
	json_decref(req);
	if (err) {
		fl_cli_error("fs log: %s: %s", o->mnt, fl_fs_strerror(err));
		goto out;
	}
	if (!json_is_true(json_object_get(first, "ok"))) {
		fl_cli_error("fs log: %s: %s", o->mnt,
			     json_string_value(json_object_get(first, "error")) ?: "refused");
		goto out;
	}
	if (o->follow) {
		signal(SIGINT, follow_stopped);
		signal(SIGTERM, follow_stopped);
	}
	/* Lines are JSON already: passed through as they come, for both outputs. */
	for (;;) {
		char *line = NULL;

		err = fl_fs_read_line(fd, -1, &line);
		if (err) {
			if (o->follow && err == -ECONNRESET) {
				/* faultfs went away (unmounted): the stream simply ends. */
				ret = 0;
			} else {
				fl_cli_error("fs log: %s: %s", o->mnt, fl_fs_strerror(err));
			}
			break;
		}
		if (!strcmp(line, "{\"end\":true}")) {
			free(line);
			ret = 0;
			break;
		}
		if (!strncmp(line, "{\"error\":", 9)) {
			json_t *e = json_loads(line, 0, NULL);

			fl_cli_error("fs log: %s", json_string_value(json_object_get(e, "error")) ?: line);
			json_decref(e);
			free(line);
			break;
		}
		puts(line);
		if (o->follow)
			fflush(stdout);
		free(line);
	}
out:
	json_decref(first);
	close(fd);
	return ret;
}

static const struct subcommand subs[] = {
	{ "fault", run_fault, "MNT RULE...",
	  "Add fault rules (all or none) to the faultfs mount MNT.",
	  "\nRULE is OPS:ACTION[:SELECTOR...], OPS one of read, write, open, create, fsync,\n"
	  "fdatasync, flush, rename, unlink, mkdir, rmdir, truncate, fallocate, setxattr,\n"
	  "readdir, a comma-separated set, or *. Actions: error=ERRNO, delay=DUR[~JITTER],\n"
	  "corrupt=bitflip|zero|random[:bytes=N][:read|:persist], torn=SECTOR, drop,\n"
	  "powercut=before|after, fsyncgate. Selectors: path=GLOB (a glob without '/'\n"
	  "matches the file name), when=FIRST[..LAST][+STEP], prob=P, count=N, for=DUR,\n"
	  "seed=N. Rules are tried in order; the first that fires wins. Prints the ids.\n"
	  "Example: faultline fs fault /data 'fsync:error=EIO:path=*.wal:when=3'\n", NULL },
	{ "clear", run_clear, "MNT [ID]",
	  "Remove fault rule ID, or every rule.", "", NULL },
	{ "powercut", run_powercut, "MNT [--keep=P%] [--seed=N] [--torn=SECTOR]",
	  "Turn MNT into what a reboot after a power cut would show, and answer once done.",
	  "\n  --keep=P%      persist a seeded random share of the volatile writes\n"
	  "  --seed=N       seed for --keep and --torn (default 0)\n"
	  "  --torn=SECTOR  the last write of each file persists only some of its\n"
	  "                 SECTOR-sized sectors (e.g. 512, 4k)\n", fs_opts_powercut },
	{ "resume", run_resume, "MNT",
	  "Bring MNT back online after a power cut made by a powercut= rule.", "", NULL },
	{ "snapshot", run_snapshot, "MNT DEST",
	  "Copy what a power cut now would leave of MNT into DEST; MNT runs on, untold.",
	  "\nA crash-consistent image at one instant, as a cloud volume snapshot is: only\n"
	  "what was durable then (fsynced data; in durability=strict, names whose\n"
	  "directory was fsynced; in durability=data, every name), exactly what\n"
	  "'faultline fs powercut' would keep, with owners, modes, times and xattrs.\n"
	  "MNT is left as it is. DEST is a new directory (its parent must exist) or an\n"
	  "empty one, outside MNT. The tree is copied while MNT serves requests; they wait\n"
	  "only while what was written meanwhile is copied again (the names walked\n"
	  "again if one changed) and the volatile part is taken out of the copy.\n"
	  "The instant is when that wait begins. Prints the files, the bytes, how long\n"
	  "writers were held and the time taken.\n", NULL },
	{ "sync", run_sync, "MNT",
	  "Make everything written to MNT durable now, as sync(1) would on a disk.",
	  "\nThe kernel does not forward sync(2) or syncfs(2) to a FUSE server, so they\n"
	  "make nothing durable on faultfs; this does. Prints what became durable.\n", NULL },
	{ "status", run_status, "MNT",
	  "Show volatile bytes per file and the fault rules with their counters.",
	  "\nAlso the durability mode, whether the mount is offline after a power cut, and\n"
	  "each rule's seed (drawn at random without seed=; reuse it to repeat a run).\n", NULL },
	{ "log", run_log, "MNT [--follow] [--since=SEQ]",
	  "Print the write log as JSON lines.",
	  "\nEvery write, fsync and metadata operation, every injected fault and power\n"
	  "cut, with seq, time, path, offset, length and crc32 of the data.\n"
	  "\n  -f, --follow   keep printing new entries as they come, until Ctrl-C\n"
	  "                 (or SIGTERM) ends it with exit status 0\n"
	  "  --since=SEQ    start at entry SEQ (default 1)\n", fs_opts_log },
};

#define N_SUBS (sizeof(subs) / sizeof(subs[0]))

static const struct subcommand *find_sub(const char *name)
{
	for (size_t i = 0; i < N_SUBS; i++)
		if (!strcmp(subs[i].name, name))
			return &subs[i];
	return NULL;
}

/* For the command table (cli.h): verb i and its options, NULL past the last. */
const char *fl_fs_verb(size_t i, const struct option **opts)
{
	if (i >= N_SUBS)
		return NULL;
	*opts = subs[i].opts ? subs[i].opts : fs_opts_common;
	return subs[i].name;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: faultline fs COMMAND MNT [ARGS...] [--json]\n\n"
		"Control a faultfs mount through its control socket (root only).\n\nCommands:\n");
	for (size_t i = 0; i < N_SUBS; i++) {
		const char *nl = strchr(subs[i].summary, '\n');
		int n = nl ? (int)(nl - subs[i].summary) : (int)strlen(subs[i].summary);

		fprintf(out, "  %s %s\n      %.*s\n", subs[i].name, subs[i].synopsis, n,
			subs[i].summary);
	}
	fprintf(out, "\n'faultline fs COMMAND --help' describes each. -j/--json gives machine output.\n");
}

static int opt_value(const char *a, const char *name, const char **ret)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) || a[n] != '=')
		return 0;
	*ret = a + n + 1;
	return 1;
}

/* Options may come anywhere after the command; "--" ends them (for rules starting with '-'). */
static int parse(int argc, char **argv, const struct subcommand *s, struct fs_opts *o)
{
	bool opts_done = false;

	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	if (!o->args)
		return -ENOMEM;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (opts_done || a[0] != '-' || !a[1]) {
			if (!o->mnt)
				o->mnt = a;
			else
				o->args[o->n_args++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o->json = true;
		} else if (s->run == run_log && (!strcmp(a, "-f") || !strcmp(a, "--follow"))) {
			o->follow = true;
		} else if (s->run == run_log && (opt_value(a, "--since", &o->since) ||
						 (!strcmp(a, "--since") && (val = &o->since)))) {
			;
		} else if (s->run == run_powercut && (opt_value(a, "--keep", &o->keep) ||
						      opt_value(a, "--seed", &o->seed) ||
						      opt_value(a, "--torn", &o->torn))) {
			;
		} else if (s->run == run_powercut && !strcmp(a, "--keep")) {
			val = &o->keep;
		} else if (s->run == run_powercut && !strcmp(a, "--seed")) {
			val = &o->seed;
		} else if (s->run == run_powercut && !strcmp(a, "--torn")) {
			val = &o->torn;
		} else {
			fl_cli_error("fs %s: unknown option '%s' (see 'faultline fs %s --help')",
				     s->name, a, s->name);
			return -EINVAL;
		}
		if (val) {
			if (i + 1 >= argc) {
				fl_cli_error("fs %s: %s needs a value", s->name, a);
				return -EINVAL;
			}
			*val = argv[++i];
		}
	}
	return 0;
}

int cmd_fs(int argc, char **argv, const struct fl_cli *cli)
{
	const struct subcommand *s;
	struct fs_opts o = { .json = cli->json };
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	s = find_sub(argv[1]);
	if (!s) {
		fl_cli_error("fs: unknown command '%s' (see 'faultline fs --help')", argv[1]);
		return EXIT_USAGE;
	}
	if (parse(argc - 1, argv + 1, s, &o)) {
		free(o.args);
		return EXIT_USAGE;
	}
	if (o.help) {
		sub_usage(s, stdout);
		free(o.args);
		return 0;
	}
	if (!o.mnt) {
		fl_cli_error("fs %s: no mount point given (usage: faultline fs %s %s)", s->name,
			     s->name, s->synopsis);
		free(o.args);
		return EXIT_USAGE;
	}
	ret = s->run(&o);
	free(o.args);
	return ret;
}
