// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `faultline backup run`'s configuration: its defaults and the --fault and --restore texts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/backup.h>
#include "core/errbuf.h"
#include "core/parse_values.h"

static const char *const fault_names[] = {
	[FL_BACKUP_FAULT_DISK_LOSS]  = "disk-loss",
	[FL_BACKUP_FAULT_CORRUPT]    = "corrupt",
	[FL_BACKUP_FAULT_POWERCUT]   = "powercut",
	[FL_BACKUP_FAULT_DROP_TABLE] = "drop-table",
	[FL_BACKUP_FAULT_EXEC]       = "exec",
};

const char *fl_backup_fault_name(enum fl_backup_fault f)
{
	return (unsigned)f < sizeof(fault_names) / sizeof(*fault_names) ? fault_names[f] : NULL;
}

const char *fl_backup_check_name(enum fl_backup_check c)
{
	static const char *const names[] = { "none", "ok", "failed", "error" };

	return (unsigned)c < sizeof(names) / sizeof(*names) ? names[c] : NULL;
}

void fl_backup_config_defaults(struct fl_backup_config *cfg)
{
	struct fl_rpo_config rpo;

	fl_rpo_config_defaults(&rpo);
	memset(cfg, 0, sizeof(*cfg));
	cfg->fault = FL_BACKUP_FAULT_DISK_LOSS;
	cfg->corrupt_blocks = 4;
	cfg->fault_at_ns = 30ull * 1000000000ull;
	cfg->pitr_slack_ns = 1000000ull;
	cfg->load = rpo.load;
	cfg->load.rate = 100;
	cfg->trials = 1;
	/* The brief's objectives: RPO under a minute, RTO under five. */
	cfg->rpo_max_ns = 60ull * 1000000000ull;
	cfg->rto_max_ns = 300ull * 1000000000ull;
	fl_objectives_defaults(&cfg->objectives);
	cfg->health_timeout_ns = 300ull * 1000000000ull;
}

int fl_backup_fault_parse(const char *text, struct fl_backup_config *cfg, char *errbuf,
			  size_t errlen)
{
	const char *eq = strchr(text, '=');
	size_t n = eq ? (size_t)(eq - text) : strlen(text);
	uint64_t blocks;
	const char *why;

	for (unsigned f = 0; f < sizeof(fault_names) / sizeof(*fault_names); f++) {
		if (strlen(fault_names[f]) != n || strncmp(text, fault_names[f], n))
			continue;
		if (f == FL_BACKUP_FAULT_EXEC) {
			if (!eq || !eq[1]) {
				fl_errf(errbuf, errlen, "--fault exec=CMD: the command is missing");
				return -EINVAL;
			}
			cfg->fault_cmd = eq + 1;
		} else if (f == FL_BACKUP_FAULT_CORRUPT && eq) {
			if (fl_parse_u64_why(eq + 1, &blocks, &why) || !blocks || blocks > 1000000) {
				fl_errf(errbuf, errlen, "--fault corrupt=N: N is the number of blocks "
					"to corrupt (1 or more), got '%s'", eq + 1);
				return -EINVAL;
			}
			cfg->corrupt_blocks = (unsigned)blocks;
		} else if (eq) {
			fl_errf(errbuf, errlen, "--fault %s takes no value (got '%s')",
				fault_names[f], text);
			return -EINVAL;
		}
		cfg->fault = f;
		return 0;
	}
	fl_errf(errbuf, errlen, "--fault: expected disk-loss, corrupt[=N], powercut, drop-table "
		"or exec=CMD, got '%s'", text);
	return -EINVAL;
}

int fl_backup_restore_parse(const char *text, struct fl_backup_config *cfg, char *errbuf,
			    size_t errlen)
{
	const char *dur;
	const char *why = NULL;
	uint64_t ns;

	if (!strcmp(text, "latest")) {
		cfg->pitr = false;
		return 0;
	}
	if (strncmp(text, "pitr=", 5)) {
		fl_errf(errbuf, errlen, "--restore: expected latest, pitr=DUR (after the load "
			"started) or pitr=-DUR (before the fault), got '%s'", text);
		return -EINVAL;
	}
	dur = text + 5 + (text[5] == '-');
	if (fl_parse_duration_why(dur, &ns, &why) || !ns) {
		fl_errf(errbuf, errlen, "--restore %s: column %zu: %s", text, (size_t)(dur - text) + 1,
			why ? why : "a duration above 0 (10s, 1500ms)");
		return -EINVAL;
	}
	cfg->pitr = true;
	cfg->pitr_before_fault = text[5] == '-';
	cfg->pitr_ns = ns;
	return 0;
}
