/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The store a backup run protects: the workload's service (a managed
 * PostgreSQL or Redis, or the built-in writer of file: and sqlite:),
 * started in its own process group and cgroup, optionally on faultfs,
 * stopped, emptied and started again around a restore. The runner and
 * the strategies' tests use it alike.
 */
#ifndef FL_BACKUP_STORE_H
#define FL_BACKUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/rpo.h>
#include "strategy.h"

struct fl_rpo_faultfs;

struct fl_bk_service;

/*
 * Make the store for spec ("postgres:local?...", "redis:local", "file:PATH",
 * "sqlite:PATH"; a built-in store's PATH relative to run_dir when not
 * absolute) under run_dir (which must exist): its files and its client,
 * nothing started. faultfs: mount faultfs over the data directory before
 * the first start (a strategy's configure hook runs between the two: the
 * data directory exists then). A managed server's data directory is
 * RUN_DIR/data.
 */
int fl_bk_service_create(const char *spec, const char *run_dir, bool faultfs,
			 struct fl_bk_service **ret, char *errbuf, size_t errlen);
/* What strategies see: kind, data_dir, user, port, ... (valid until free). */
const struct fl_bk_store *fl_bk_service_store(const struct fl_bk_service *s);
struct fl_workload *fl_bk_service_workload(struct fl_bk_service *s);
/* The faultfs mount point (the data directory), or NULL when not on faultfs. */
const char *fl_bk_service_faultfs(const struct fl_bk_service *s);

/*
 * The store's data files as a faultfs path glob (inside the data
 * directory): PostgreSQL's relations, redis's AOF, the sqlite database,
 * the log. Not its configuration or WAL: what bit rot would hit.
 */
const char *fl_bk_service_data_glob(const struct fl_bk_service *s);
/* The faultfs mount's handle (rpo's fault plumbing), or NULL. */
struct fl_rpo_faultfs *fl_bk_service_faultfs_handle(struct fl_bk_service *s);

/* Start and wait until it answers (timeout_ns). */
int fl_bk_service_start(struct fl_bk_service *s, uint64_t timeout_ns, volatile int *interrupted,
			char *errbuf, size_t errlen);
/* SIGKILL everything it runs and wait until gone (a crash; also the start of a restore). */
int fl_bk_service_kill(struct fl_bk_service *s);
/* The graceful stop (SIGINT for PostgreSQL, SIGTERM otherwise), SIGKILL after timeout_ns. */
int fl_bk_service_stop(struct fl_bk_service *s, uint64_t timeout_ns);
/*
 * The disk is gone: the service must be stopped. faultfs unmounted, the
 * data directory's contents removed; the directory itself is left,
 * empty, owned by the store's user, ready for a restore.
 */
int fl_bk_service_wipe(struct fl_bk_service *s, char *errbuf, size_t errlen);
/* Read back every record (the service up): *ret malloc'd. */
int fl_bk_service_read_back(struct fl_bk_service *s, struct fl_readback **ret, size_t *ret_n,
			    char *errbuf, size_t errlen);
/* Write one record (a fresh connection): the restored service's first write. */
int fl_bk_service_write_one(struct fl_bk_service *s, uint64_t id, int timeout_ms,
			    char *errbuf, size_t errlen);
/* Kill, unmount, remove what create made. NULL is fine. */
void fl_bk_service_free(struct fl_bk_service *s);

/* The store's own integrity check on the running, restored service (store_check*.c). */
int fl_bk_store_check(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len);
int fl_bk_check_postgres(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len);
int fl_bk_check_sqlite(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len);
int fl_bk_check_redis(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len);

#endif /* FL_BACKUP_STORE_H */
