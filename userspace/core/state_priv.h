/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal to the state/cleanup files of userspace/core. */
#ifndef FAULTLINE_STATE_PRIV_H
#define FAULTLINE_STATE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <faultline/state.h>

#include "state_ids.h"
#include "state_watchdog.h"
#include "core/netns.h"

struct fl_state {
	char name[64];          /* <pid>-<starttime>[-N] */
	char dir[4096 - 128];  /* leaves room for a record name in PATH_MAX */
	uint64_t next_id;
	struct fl_watchdog wd;  /* undoes the session if the controller dies */
};

/* Write rec (a JSON object, reference taken) as the next record of kind. */
int fl_state_write_record(struct fl_state *st, const char *kind, json_t *rec,
			  uint64_t *ret_id);

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif


/*
 * Undo one parsed record. Always fills what (description of the object);
 * on failure returns a negative errno and fills msg. "Already gone" is 0.
 */
typedef int (*fl_undo_fn)(json_t *rec, char *what, size_t what_len,
			  char *msg, size_t msg_len);

int fl_undo_mount(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_cgroup(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_file(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_netns(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_sigcont(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_stopped_map(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_qdisc(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_tc_filter(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_iptables(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_link(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_nft_table(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
int fl_undo_faultfs_rule(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len);
/* A family and table name fit to go into an nft command. */
bool fl_nft_table_valid(const char *family, const char *name);

/* Undo one session directory, newest record first; items go to report (may be NULL). */
int fl_state_undo_session(const char *dir, const char *session,
			  struct fl_cleanup_report *report);

#endif /* FAULTLINE_STATE_PRIV_H */
