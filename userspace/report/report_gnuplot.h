/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FL_REPORT_GNUPLOT_H
#define FL_REPORT_GNUPLOT_H

#include <stddef.h>

/*
 * Run gnuplot on script (which writes svg), bounded by timeout_ms; the
 * SVG from "<svg" on into *ret_svg (malloc'd). -ETIMEDOUT, -EIO (gnuplot
 * failed: errbuf has its first words), -errno.
 */
int rp_gnuplot_run(const char *gnuplot, const char *dir, const char *script, const char *svg,
		   int timeout_ms, char **ret_svg, char *errbuf, size_t errlen);

#endif
