/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A backup strategy driven by hand against a real store, as the runner
 * would drive it but step by step, so that a test can say which backups
 * to take between which writes: open (store created, strategy
 * configured, service started, repository prepared), write records,
 * take backups, lose the disk and restore, read back.
 *
 * Every call returns 0 or a negative errno with the reason in t->errbuf.
 */
#ifndef FL_TEST_BACKUP_TRIAL_H
#define FL_TEST_BACKUP_TRIAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/store.h"
#include "backup/strategy.h"

struct fl_bt {
	char dir[PATH_MAX];           /* the run directory under /var/tmp */
	char repo[PATH_MAX + 16];     /* the strategy's directory */
	char work[PATH_MAX + 16];     /* its scratch directory */
	struct fl_bk_service *svc;
	const struct fl_backup_strategy *s;
	struct fl_bk_ctx c;
	struct fl_wl_conn *conn;
	char errbuf[1024];
	uint64_t next_id;
	uint64_t *acked;              /* ids acknowledged, in order */
	size_t n_acked, cap;
};

/*
 * Can the strategy run here (root, its tools, the store's server)? false
 * with the reason printed as a skip message.
 */
bool fl_bt_ready(const char *strategy, const char *spec);

int fl_bt_open(struct fl_bt *t, const char *spec, const char *strategy);
/* n records of len bytes, each acknowledged (else an error). */
int fl_bt_write(struct fl_bt *t, unsigned n, size_t len);
/* One backup; *ret_ns its duration. */
int fl_bt_backup(struct fl_bt *t, enum fl_backup_kind kind, struct fl_bk_taken *ret,
		 uint64_t *ret_ns);
/* The disk is lost: kill, wipe, restore latest, start. *ret_ns: kill to up again. */
int fl_bt_lose_and_restore(struct fl_bt *t, struct fl_bk_phases *ph, uint64_t *ret_ns);
/*
 * Read the store back: of the first upto acknowledged ids, how many are
 * missing, and how many of those came back corrupt.
 */
int fl_bt_missing(struct fl_bt *t, size_t upto, uint64_t *ret_missing, uint64_t *ret_corrupt);
/* Everything stopped and removed; safe on a zeroed or half-open t. */
void fl_bt_close(struct fl_bt *t);

#endif /* FL_TEST_BACKUP_TRIAL_H */
