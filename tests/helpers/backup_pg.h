/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PostgreSQL strategies' tests share one story: backups of the given
 * kinds between batches of writes, a point in time T noted between two
 * batches, the disk lost a moment after the WAL that holds the batches
 * was archived, a restore to the end of the archive, then one to T.
 */
#ifndef TEST_HELPERS_BACKUP_PG_H
#define TEST_HELPERS_BACKUP_PG_H

#include <stddef.h>

#include <faultline/backup.h>

struct fl_backup_strategy;
struct bk_test;

/*
 * kinds[0..n-1] in order, one batch of writes after each; T is noted
 * after the batch that follows kinds[t_after]. Asserts as it goes and
 * prints the sizes, the times and the RPO it saw. after_pitr (may be
 * NULL) runs once the restore to T is up, with labels[i] the label of
 * the backup of kinds[i].
 */
void bk_pg_story(const struct fl_backup_strategy *s, const enum fl_backup_kind *kinds, size_t n,
		 size_t t_after,
		 void (*after_pitr)(struct bk_test *t, const char (*labels)[128]));

#endif
