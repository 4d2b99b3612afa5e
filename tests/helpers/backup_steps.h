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

/* call must return 0; else the test fails with the call, t's reason and the errno. */
#define BK_CHECK(t, call)                                                               \
	do {                                                                            \
		int err_ = (call);                                                      \
		if (err_)                                                               \
			fail_msg("%s: %s (%s)", #call, (t)->errbuf, strerror(-err_));   \
	} while (0)

/*
 * bk_test_open, and t remembered so that bk_step_teardown (a cmocka
 * teardown) closes it even when an assertion ended the test midway.
 */
int bk_step_open(struct bk_test *t, const char *spec, bool faultfs);
int bk_step_teardown(void **state);
/* n records from *next on, all acknowledged (else the test fails); *next moves past them. */
void bk_step_write(struct bk_test *t, uint64_t *next, unsigned n);
/* ns as milliseconds, for messages. */
double bk_ms(uint64_t ns);

#endif
