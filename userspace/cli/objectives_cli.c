// SPDX-License-Identifier: GPL-2.0-only
/*
 * --mttr-max, --availability-min, --mtbf-min and --assume-mtbf: one
 * parser and one help text for rpo, scenario run and backup run, so the
 * three cannot drift apart.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/objectives_cli.h"
#include "core/parse_values.h"

const char fl_cli_objectives_help[] =
	"      --mttr-max DUR       objective on the mean recovery time over trials\n"
	"                           (default 3m; 'none')\n"
	"      --availability-min PCT  objective on availability (default 99.9%; 'none'):\n"
	"                           the default is judged over the long run, MTBF /\n"
	"                           (MTBF + MTTR); given, on this run's own clients' view\n"
	"                           where the run samples it\n"
	"      --mtbf-min DUR       objective on the mean time between failures (default\n"
	"                           720h; 'none'): not observable in a test, derived as\n"
	"                           the MTBF needed for --availability-min with the\n"
	"                           measured MTTR\n"
	"      --assume-mtbf DUR    the service's failure rate, as an MTBF you assume:\n"
	"                           judged against --mtbf-min, and the availability it\n"
	"                           gives with the measured MTTR against --availability-min\n";

int fl_cli_objective_opt(const char *cmd, int c, const char *arg, struct fl_objectives *o)
{
	static const char *const names[] = { "mttr-max", "availability-min", "mtbf-min",
					     "assume-mtbf" };
	const char *name = names[(c - FL_CLI_OBJ_OPT) & 3], *why = "";
	bool none = !strcmp(arg, "none");
	uint64_t *dur = NULL;
	uint32_t ppm;

	switch (c - FL_CLI_OBJ_OPT) {
	case 0: dur = &o->mttr_max_ns; break;
	case 2: dur = &o->mtbf_min_ns; break;
	case 3: dur = &o->assumed_mtbf_ns; break;
	case 1:
		if (none) {
			o->availability_min_ppm = 0;
			o->availability_of_run = false;
			return 0;
		}
		if (fl_parse_percent_why(arg, &ppm, &why) || !ppm) {
			fl_cli_error("%s: --%s: expected a percentage above 0 (e.g. 99.9%%) or 'none', "
				     "got '%s'%s%s", cmd, name, arg, *why ? ": " : "", why);
			return -EINVAL;
		}
		o->availability_min_ppm = ppm;
		o->availability_of_run = true;
		return 0;
	default:
		return -EINVAL;
	}
	if (none && c != FL_CLI_OBJ_OPT + 3) {
		*dur = UINT64_MAX;
		return 0;
	}
	if (fl_parse_duration_why(arg, dur, &why) || !*dur) {
		fl_cli_error("%s: --%s: expected a duration above 0 (e.g. 3m, 720h)%s, got '%s'%s%s",
			     cmd, name, c == FL_CLI_OBJ_OPT + 3 ? "" : " or 'none'", arg,
			     *why ? ": " : "", why);
		return -EINVAL;
	}
	return 0;
}

void fl_cli_print_verdict(FILE *out, const struct fl_verdict *v)
{
	char line[512];

	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		fl_objective_text(&v->o[k], line, sizeof(line));
		fprintf(out, "objective %s\n", line);
	}
	if (v->run_availability_seen && v->o[FL_OBJ_AVAILABILITY].status != FL_OBJ_MEASURED)
		fprintf(out, "  this run's own availability (clients' view): %.2f%%\n",
			v->run_availability_ppm / 1e4);
}
