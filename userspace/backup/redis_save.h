/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A redis RDB for the backup strategies that take one (tar, restic,
 * redis-rdb): the one way to make the running server write a consistent
 * RDB, and the one way to put an RDB back into an empty data directory
 * so that the server loads it whatever its appendonly setting.
 */
#ifndef FL_BACKUP_REDIS_SAVE_H
#define FL_BACKUP_REDIS_SAVE_H

#include <stddef.h>

#include "strategy.h"

/*
 * BGSAVE (SCHEDULE, so an AOF rewrite in progress only delays it) on the
 * store's server, then wait until that save (or a later one) has ended
 * and succeeded: INFO's rdb_saves past its value before the request,
 * rdb_bgsave_in_progress:0 and rdb_last_bgsave_status:ok. Every write
 * acknowledged before the call is in the RDB. rdb (may be NULL) gets the
 * file's path (the store's data directory and the server's dbfilename). -ETIMEDOUT after
 * timeout_ms, -EIO when the save failed, -ECONNREFUSED and the like when
 * the server does not answer; c->errbuf says which.
 */
int fl_bk_redis_save(struct fl_bk_ctx *c, int timeout_ms, char *rdb, size_t len);

/*
 * The store's file names as its settings (redis:local?...) leave them:
 * the RDB (dbfilename, dump.rdb), the AOF's directory (appenddirname,
 * appendonlydir) and base name (appendfilename, appendonly.aof), and
 * whether the AOF is on (appendonly, yes). -EINVAL for a name with a '/'
 * or a space (the AOF manifest could not name it).
 */
struct fl_bk_redis_files {
	char dbfilename[128];
	char aofdir[128];
	char aofname[128];
	int appendonly;
};
int fl_bk_redis_files(struct fl_bk_ctx *c, struct fl_bk_redis_files *ret);

/*
 * Put the RDB at from into the store's empty data directory so that the
 * server loads it on its next start: as dbfilename and, when appendonly
 * is on, also as the base of a fresh multi-part AOF (a manifest naming
 * it), since redis 7 with appendonly yes and no AOF starts EMPTY and
 * ignores the RDB (see redis_save.c). Everything is chowned to the
 * store's user and fsynced.
 */
int fl_bk_redis_place_rdb(struct fl_bk_ctx *c, const char *from);

#endif /* FL_BACKUP_REDIS_SAVE_H */
