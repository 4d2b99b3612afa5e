// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Undo of an nft table of faultline's own: one `delete table`, preceded
 * in the same transaction by an `add table`, which does nothing to a
 * table that is there and makes an absent one, so "already gone" is not
 * an error and nothing is left either way.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/nft.h"
#include "state_priv.h"

static const char *get_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

int fl_undo_nft_table(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *netns = get_str(rec, "netns");
	const char *family = get_str(rec, "family");
	const char *table = get_str(rec, "table");
	char cmd[192];
	int err;

	snprintf(what, what_len, "nft table %s %s%s%s", family, table,
		 *netns ? " in netns " : "", netns);
	if (!fl_nft_table_valid(family, table) || (*netns && fl_netns_name_valid(netns))) {
		snprintf(msg, msg_len, "record has no valid family/table/netns");
		return -EBADMSG;
	}
	snprintf(cmd, sizeof(cmd), "add table %s %s\ndelete table %s %s\n", family, table,
		 family, table);
	err = fl_nft_run(netns, cmd, NULL, 0, msg, msg_len);
	/* A netns that is gone took its tables along. */
	if (err == -ENOENT)
		return 0;
	return err;
}
