/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What wl_etcd.c lends the register operations (reg_etcd.c). */
#ifndef FL_WL_ETCD_H
#define FL_WL_ETCD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "adapter.h"

/*
 * POST a JSON body to the gateway at path: 0 and the JSON of a 200
 * answer in *ret, or -errno with *ret_maybe (may be NULL) saying whether
 * etcd may have acted on it (sent, and no answer that says it did not).
 */
int fl_wl_etcd_request(const struct fl_workload *w, const char *path, const char *body,
		       size_t len, int timeout_ms, json_t **ret, bool *ret_maybe, char *errbuf,
		       size_t errlen);

#endif
