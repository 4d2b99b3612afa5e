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

#endif
