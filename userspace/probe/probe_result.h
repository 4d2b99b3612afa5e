/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* How a probe writes its verdict (probe_result.c). */
#ifndef FAULTLINE_PROBE_RESULT_H
#define FAULTLINE_PROBE_RESULT_H

#include <stddef.h>
#include <faultline/probe.h>

/* Fill r with a status, errno and printf-style detail. */
void fl_probe_set(struct fl_probe_result *r, enum fl_probe_status status, int err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Classify a failed load/attach errno into REFUSED or MISSING and write
 * the likely cause ("kernel lockdown=integrity", "CONFIG_... not set").
 * what names the step, e.g. "load fentry program".
 */
void fl_probe_set_failure(struct fl_probe_result *r, int err, const char *what);

/* The active kernel lockdown mode ("none", "integrity", ...), or "". */
void fl_probe_read_lockdown(char *buf, size_t len);

#endif
