// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How a probe writes its verdict: a status, an errno and a detail that
 * names the likely cause. Every probe_*.c fills its result through these;
 * probe.c, which runs the probes, sits above them all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe/probe_result.h"

/* The kernel's internal "not supported" errno leaks out of some BPF calls. */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

const char *fl_probe_status_name(enum fl_probe_status status)
{
	switch (status) {
	case FL_PROBE_WORKS:   return "works";
	case FL_PROBE_REFUSED: return "refused";
	case FL_PROBE_MISSING: return "missing";
	default:               return "unknown";
	}
}

void fl_probe_set(struct fl_probe_result *r, enum fl_probe_status status, int err,
		  const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void fl_probe_read_lockdown(char *buf, size_t len)
{
	char line[128];
	FILE *f;
	char *l, *rb;

	buf[0] = '\0';
	f = fopen("/sys/kernel/security/lockdown", "re");
	if (!f)
		return;
	/* The active mode is the bracketed one: "none [integrity] confidentiality". */
	if (fgets(line, sizeof(line), f)) {
		l = strchr(line, '[');
		rb = l ? strchr(l, ']') : NULL;
		if (l && rb) {
			*rb = '\0';
			snprintf(buf, len, "%s", l + 1);
		}
	}
	fclose(f);
}

void fl_probe_set_failure(struct fl_probe_result *r, int err, const char *what)
{
	char lockdown[32];

	if (err < 0)
		err = -err;
	fl_probe_read_lockdown(lockdown, sizeof(lockdown));

	switch (err) {
	case EPERM:
	case EACCES:
		if (geteuid() != 0)
			fl_probe_set(r, FL_PROBE_REFUSED, err, "%s: %s (not root)", what, strerror(err));
		else if (lockdown[0] && strcmp(lockdown, "none") != 0)
			fl_probe_set(r, FL_PROBE_REFUSED, err,
				     "%s: %s (kernel lockdown=%s or a hardening policy)",
				     what, strerror(err), lockdown);
		else
			fl_probe_set(r, FL_PROBE_REFUSED, err, "%s: %s (kernel policy refuses it)",
				     what, strerror(err));
		break;
	case ENOENT:
	case ENOTSUPP:
	case EOPNOTSUPP:
	case EINVAL:
	case ESRCH:
		fl_probe_set(r, FL_PROBE_MISSING, err, "%s: %s (not built into this kernel)",
			     what, strerror(err));
		break;
	default:
		fl_probe_set(r, FL_PROBE_REFUSED, err, "%s: %s", what, strerror(err));
		break;
	}
}
