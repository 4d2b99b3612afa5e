// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the register and bank operations on redis (reg_redis.c,
 * bank_redis.c) both do (wl_redis.h): one command as an operation's
 * outcome, and a reset's SCAN + DEL and SAVE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "wl_redis.h"

#define FEW_ARGS 8

enum fl_op_outcome fl_wl_redis_call(redisContext *rc, int argc, const char **argv,
				    int timeout_ms, redisReply **ret, int *ret_err)
{
	size_t few[FEW_ARGS], *lens = argc <= FEW_ARGS ? few : malloc((size_t)argc * sizeof(*lens));
	redisReply *r = NULL;
	int err;

	if (!lens) {
		*ret_err = -ENOMEM;
		return FL_OP_FAIL;
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	err = fl_wl_redis_command(rc, &r, fl_deadline(timeout_ms), argc, argv, lens);
	if (lens != few)
		free(lens);
	if (err) {
		*ret_err = err;
		return FL_OP_UNKNOWN;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*ret_err = fl_wl_redis_reply_err(r);
		freeReplyObject(r);
		return FL_OP_FAIL;
	}
	*ret = r;
	return FL_OP_OK;
}

int fl_wl_redis_del_matching(redisContext *rc, const char *pattern, int timeout_ms)
{
	char cursor[32] = "0";
	int err = 0;

	do {
		const char *scan[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
		redisReply *r = NULL;

		if (fl_wl_redis_call(rc, 6, scan, timeout_ms, &r, &err) != FL_OP_OK)
			return err;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -EPROTO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements && !err; i++) {
			const char *del[] = { "DEL", r->element[1]->element[i]->str };
			redisReply *d = NULL;

			if (fl_wl_redis_call(rc, 2, del, timeout_ms, &d, &err) == FL_OP_OK)
				freeReplyObject(d);
		}
		freeReplyObject(r);
	} while (!err && strcmp(cursor, "0"));
	return err;
}

int fl_wl_redis_save_unless_aof(redisContext *rc, int timeout_ms)
{
	const char *info[] = { "INFO", "persistence" }, *save[] = { "SAVE" };
	redisReply *r = NULL;
	bool aof;
	int err = 0;

	if (fl_wl_redis_call(rc, 2, info, timeout_ms, &r, &err) != FL_OP_OK)
		return err;
	aof = (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
	      strstr(r->str, "aof_enabled:1");
	freeReplyObject(r);
	if (!aof && fl_wl_redis_call(rc, 1, save, timeout_ms, &r, &err) == FL_OP_OK)
		freeReplyObject(r);
	return err;
}
