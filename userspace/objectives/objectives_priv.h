/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the objectives' files and their tests. */
#ifndef FL_OBJECTIVES_PRIV_H
#define FL_OBJECTIVES_PRIV_H

#include <stddef.h>

/* Student's t, two-sided 95 %, for df degrees of freedom (NAN for 0). */
double fl_obj_t95(size_t df);

/* A time in ns as people read it ("2.10 s", "720.0 h", "never" for INFINITY). */
void fl_obj_dur(char *buf, size_t len, double ns);

#endif /* FL_OBJECTIVES_PRIV_H */
