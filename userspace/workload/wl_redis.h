/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What wl_redis.c lends the register and bank operations (reg_redis.c,
 * bank_redis.c): its connection and deadlines; and what those share
 * (redis_op.c).
 */
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

/*
 * redis_op.c: one command by timeout_ms as an operation ends: OK (*ret
 * the reply, to free), FAIL on an error reply, UNKNOWN when it was not
 * answered; *ret_err the errno.
 */
enum fl_op_outcome fl_wl_redis_call(redisContext *rc, int argc, const char **argv,
				    int timeout_ms, redisReply **ret, int *ret_err);
/* Every key matching pattern deleted (SCAN, DEL): 0 or -errno. */
int fl_wl_redis_del_matching(redisContext *rc, const char *pattern, int timeout_ms);
/* SAVE when there is no AOF, so that a power cut does not bring back what a reset deleted. */
int fl_wl_redis_save_unless_aof(redisContext *rc, int timeout_ms);

#endif
