/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What wl_redis.c lends the register operations (reg_redis.c): its connection and deadlines. */
#ifndef FL_WL_REDIS_H
#define FL_WL_REDIS_H

#include <stdint.h>

#include <hiredis/hiredis.h>

#include "adapter.h"

/* The context of a redis:// connection from fl_workload_connect. */
redisContext *fl_wl_redis_ctx(struct fl_wl_conn *c);
/* A new connection (authenticated, on the spec's database), for setup. */
int fl_wl_redis_open(struct fl_workload *w, int timeout_ms, redisContext **ret, char *errbuf,
		     size_t errlen);
/* One command sent and its reply read by deadline: 0, -ETIMEDOUT, -ECONNRESET, ... */
int fl_wl_redis_command(redisContext *rc, redisReply **ret, uint64_t deadline, int argc,
			const char **argv, const size_t *argvlen);
/* An error reply as an errno (-EAGAIN for LOADING, -EROFS for READONLY, ...). */
int fl_wl_redis_reply_err(const redisReply *r);

#endif
