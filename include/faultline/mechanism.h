/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names of the kernel mechanisms (enum fl_mechanism in abi.h): every
 * injection event says which one it used, and the probe, the CLI and the
 * rule options ("mechanism=seccomp-notify") name them the same way.
 */
#ifndef FAULTLINE_MECHANISM_H
#define FAULTLINE_MECHANISM_H

#include <faultline/abi.h>

/* "seccomp-notify", ...; "unknown" for a value out of range. */
const char *fl_mechanism_name(enum fl_mechanism mech);
/* Lookup by name ("seccomp-notify"); returns 0 or -ENOENT. */
int fl_mechanism_from_name(const char *name, enum fl_mechanism *ret);

#endif /* FAULTLINE_MECHANISM_H */
