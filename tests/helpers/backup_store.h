/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the backup strategies' tests: a run directory, a store started in
 * it, records written with known ids and counted back, and the context a
 * strategy's hooks take.
 */
#ifndef TEST_HELPERS_BACKUP_STORE_H
#define TEST_HELPERS_BACKUP_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/store.h"

struct bk_test {
	char run_dir[PATH_MAX];
	char repo[PATH_MAX + 8];
	char work[PATH_MAX + 8];
	char errbuf[512];
	struct fl_bk_service *svc;
	struct fl_bk_ctx ctx;        /* store, repo, work, errbuf filled */
};

/*
 * Root, and the programs named (NULL-terminated list of names on $PATH):
 * else print "skip: ..." and return false.
 */
bool bk_test_ready(const char *const *programs);
/*
 * A run directory under /var/tmp, the store of spec made in it (faultfs
 * over its data directory when asked), repo/ and work/ made, the context
 * filled. 0 or -errno (t->errbuf says why). The service is not started.
 */
int bk_test_open(struct bk_test *t, const char *spec, bool faultfs);
/* Start the service (60 s at most). */
int bk_test_start(struct bk_test *t);
/* Write ids first..first+n-1 on one connection; how many were acknowledged. */
unsigned bk_test_write(struct bk_test *t, uint64_t first, unsigned n);
/* Of ids first..first+n-1, how many the running store holds intact. */
unsigned bk_test_present(struct bk_test *t, uint64_t first, unsigned n);
/* Kill the service and wipe its data directory: the disk is lost. */
int bk_test_lose_disk(struct bk_test *t);
/* Free the store, remove the run directory. */
void bk_test_close(struct bk_test *t);

#endif
