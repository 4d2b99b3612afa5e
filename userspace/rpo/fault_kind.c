// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fault kinds by name, and which of them are network faults: read by
 * the session, the preflight, the fault files and the result alike, so it
 * sits below them all.
 */
#include <errno.h>
#include <string.h>

#include <faultline/rpo_session.h>

static const char *const fault_names[FL_RPO_FAULT__COUNT] = {
	[FL_RPO_FAULT_KILL] = "kill",
	[FL_RPO_FAULT_TERM] = "term",
	[FL_RPO_FAULT_POWERCUT] = "powercut",
	[FL_RPO_FAULT_CRASHPOINT] = "crashpoint",
	[FL_RPO_FAULT_DISK_FAIL] = "disk-fail",
	[FL_RPO_FAULT_OOM] = "oom",
	[FL_RPO_FAULT_PARTITION] = "partition",
	[FL_RPO_FAULT_NET] = "net",
};

bool fl_rpo_fault_is_network(enum fl_rpo_fault f)
{
	return f == FL_RPO_FAULT_PARTITION || f == FL_RPO_FAULT_NET;
}

const char *fl_rpo_fault_name(enum fl_rpo_fault f)
{
	return (unsigned)f < FL_RPO_FAULT__COUNT ? fault_names[f] : "unknown";
}

int fl_rpo_fault_from_name(const char *name, enum fl_rpo_fault *ret)
{
	for (unsigned i = 0; i < FL_RPO_FAULT__COUNT; i++) {
		if (!strcmp(name, fault_names[i])) {
			*ret = (enum fl_rpo_fault)i;
			return 0;
		}
	}
	return -ENOENT;
}
