/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a run ran, for its result document: the kernel (release and
 * version string), the machine and faultline's version. Results are
 * compared across machines and kernels; a report shows this next to the
 * figures.
 */
#ifndef FL_CORE_ENVIRONMENT_H
#define FL_CORE_ENVIRONMENT_H

#include <jansson.h>

/* {"kernel":..., "kernel_version":..., "machine":..., "faultline":...}; NULL on no memory. */
json_t *fl_environment_json(void);

/*
 * Record in env (from fl_environment_json) that what ("fault kill",
 * "timeline", "storage") went through mechanism ("kill(2) SIGKILL",
 * "send-signal", "FUSE (faultfs)"): one {"for":..., "mechanism":...}
 * entry of its "mechanisms" array, added once however often it is said.
 * A report reads it back to say how each fault was made.
 */
int fl_environment_add_mechanism(json_t *env, const char *what, const char *mechanism);

#endif
