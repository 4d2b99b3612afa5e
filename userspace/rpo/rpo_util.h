/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every part of rpo uses from core: the clock and the error line. */
#ifndef FL_RPO_UTIL_H
#define FL_RPO_UTIL_H

#include <stddef.h>

#include "core/clock.h"
#include "core/errbuf.h"

#endif /* FL_RPO_UTIL_H */
