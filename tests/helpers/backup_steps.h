/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A strategy's hooks driven step by step on a bk_test store
 * (backup_store.h), as the runner drives them, so that a strategy's test
 * says which backup comes between which writes: the strategy ready, one
 * backup timed, the disk lost and the latest backup restored.
 */
#ifndef TEST_HELPERS_BACKUP_STEPS_H
#define TEST_HELPERS_BACKUP_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "backup_store.h"

/* The strategy's available() hook says yes; else "skip: REASON" printed and false. */
bool bk_step_ready(const char *strategy);
/* The store started and the repository prepared (configure, start, prepare). */
int bk_step_begin(struct bk_test *t, const struct fl_backup_strategy *s);
/* One backup of kind; *ret_ns (may be NULL) its duration. */
int bk_step_backup(struct bk_test *t, const struct fl_backup_strategy *s,
		   enum fl_backup_kind kind, struct fl_bk_taken *ret, uint64_t *ret_ns);
/*
 * The disk lost (kill, wipe), the latest backup restored, the service
 * started on it. *ret_ns (may be NULL): from the kill until it answers.
 */
int bk_step_restore(struct bk_test *t, const struct fl_backup_strategy *s,
		    struct fl_bk_phases *ph, uint64_t *ret_ns);

#endif
