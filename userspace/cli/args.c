// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the subcommands that run a target share when they parse and fail:
 * rules and options mixed in any order (so valued options are found by
 * the command's own table), one usage error, and a shell's exit codes
 * for a command that cannot run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

int fl_cli_bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fl_cli_error("%s", msg);
	return -EINVAL;
}

const char *fl_cli_valued_option(const struct option *opts, const char *a, const char **val)
{
	for (const struct option *o = opts; o->name; o++) {
		size_t n = strlen(o->name);

		if (o->has_arg != required_argument)
			continue;
		if (a[0] == '-' && a[1] == o->val && o->val && !a[2])
			return o->name;
		if (a[0] != '-' || a[1] != '-' || strncmp(a + 2, o->name, n))
			continue;
		if (!a[2 + n])
			return o->name;
		if (a[2 + n] == '=') {
			*val = a + 2 + n + 1;
			return o->name;
		}
	}
	return NULL;
}

int fl_cli_launch_error(const char *cmd, int err)
{
	fl_cli_error("cannot run '%s': %s", cmd, strerror(-err));
	if (err == -ENOENT)
		return FL_CLI_EXIT_NOTFOUND;
	if (err == -EACCES || err == -ENOEXEC)
		return FL_CLI_EXIT_NOEXEC;
	return FL_CLI_EXIT_INTERNAL;
}

int fl_cli_write_result(const char *who, json_t *doc, const char *output, bool json)
{
	if (!doc) {
		fl_cli_error("%s: out of memory", who);
		return -1;
	}
	if (output && json_dump_file(doc, output, JSON_COMPACT)) {
		fl_cli_error("%s: cannot write '%s': %s", who, output, strerror(errno));
		return -1;
	}
	if (json) {
		json_dumpf(doc, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	}
	return 0;
}
