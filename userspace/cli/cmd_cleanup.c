// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline cleanup: undo what dead controllers left behind (mounts,
 * cgroups, netns, qdiscs, tc filters, iptables rules, stopped processes),
 * from the state directories under /run/faultline. Idempotent.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <faultline/fs.h>
#include <faultline/state.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline cleanup [--json] [--all] [--run-dir DIR]\n"
		"\n"
		"Remove every object that a faultline controller installed and did not\n"
		"remove, because it was killed or crashed before its watchdog could.\n"
		"Also removes the control sockets of faultfs daemons that were killed\n"
		"(in " FL_FS_SOCKET_DIR ", sockets nobody answers on).\n"
		"\n"
		"  -j, --json     machine-readable output\n"
		"  --all          also clean up after controllers that are still running\n"
		"  --run-dir DIR  state directory (default $" FL_STATE_RUN_DIR_ENV
		" or " FL_STATE_RUN_DIR ")\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 when everything found was removed, 1 when something could\n"
		"not be, 2 on bad usage.\n");
}

static int print_json(const struct fl_cleanup_report *rep, int sockets)
{
	json_t *root, *objects;
	int err = 0;

	objects = json_array();
	root = json_pack("{s:I, s:I, s:I, s:I, s:o}", "removed", (json_int_t)rep->removed,
			 "failed", (json_int_t)rep->failed,
			 "sessions", (json_int_t)rep->sessions,
			 "stale_faultfs_sockets", (json_int_t)sockets, "objects", objects);
	if (!root)
		return -1;
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct fl_cleanup_item *it = &rep->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "session", it->session,
				      "kind", it->kind, "object", it->what,
				      "removed", !it->err);

		if (o && it->err)
			json_object_set_new(o, "error", json_string(it->message[0] ?
						it->message : strerror(-it->err)));
		if (!o || json_array_append_new(objects, o) < 0)
			err = -1;
	}
	if (!err && json_dumpf(root, stdout, JSON_COMPACT) < 0)
		err = -1;
	if (!err)
		fputc('\n', stdout);
	json_decref(root);
	return err;
}

static void print_text(const struct fl_cleanup_report *rep, int sockets, int verbose)
{
	if (sockets > 0)
		printf("removed %d stale faultfs control socket%s\n", sockets, sockets == 1 ? "" : "s");
	if (rep->n_items == 0) {
		if (sockets <= 0)
			printf("nothing to clean up\n");
		return;
	}
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct fl_cleanup_item *it = &rep->items[i];

		if (it->err)
			fl_cli_error("cannot remove %s (session %s): %s", it->what,
				     it->session, it->message[0] ? it->message :
				     strerror(-it->err));
		else
			printf("removed %s%s%s%s\n", it->what,
			       verbose ? " (session " : "",
			       verbose ? it->session : "", verbose ? ")" : "");
	}
	printf("%u removed, %u failed\n", rep->removed, rep->failed);
}

/* The options, also read by 'faultline completion'. */
const struct option fl_cleanup_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "run-dir", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_cleanup(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_cleanup_report rep = { 0 };
	const char *run_dir = NULL;
	bool all = false, json = cli && cli->json;
	int c, err, sockets;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jh", fl_cleanup_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fl_cli_error("cleanup: %s needs a value", argv[optind - 1]);
			return 2;
		default:
			fl_cli_error("cleanup: unknown option '%s' (see faultline cleanup --help)",
				     argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fl_cli_error("cleanup: unexpected argument '%s'", argv[optind]);
		return 2;
	}

	err = fl_state_cleanup_all(run_dir, all, &rep);
	if (err && err != -EIO) {
		fl_cli_error("cleanup: cannot read %s: %s",
			     run_dir ? run_dir : getenv(FL_STATE_RUN_DIR_ENV) ?
			     getenv(FL_STATE_RUN_DIR_ENV) : FL_STATE_RUN_DIR,
			     strerror(-err));
		return 1;
	}
	/* Not state records, but leftovers all the same: a SIGKILLed faultfs's socket. */
	sockets = fl_fs_remove_stale_sockets(NULL);
	if (json) {
		if (print_json(&rep, sockets) < 0) {
			fl_cli_error("cleanup: cannot write JSON output");
			err = -EIO;
		}
	} else {
		print_text(&rep, sockets, cli ? cli->verbose : 0);
	}
	fl_cleanup_report_free(&rep);
	return err ? 1 : 0;
}
