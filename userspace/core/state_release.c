// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sessions that outlive their controller on purpose: `faultline cluster
 * up` installs a cluster and exits, leaving it running. Its records stay
 * on disk, so `faultline cleanup` (the owner is dead) or `cluster down`
 * (by the session directory) removes it all later.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "state_priv.h"

int fl_state_release(struct fl_state *st)
{
	if (!st)
		return -EINVAL;
	/* The watchdog exits without undoing: the records are the handover. */
	fl_watchdog_stop(&st->wd);
	free(st);
	return 0;
}

int fl_state_undo_dir(const char *dir, struct fl_cleanup_report *ret)
{
	struct fl_cleanup_report rep = { 0 };
	const char *slash;
	int err;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	slash = strrchr(dir, '/');
	err = fl_state_undo_session(dir, slash + 1, &rep);
	if (!err && rep.failed)
		err = -EIO;
	if (ret)
		*ret = rep;
	else
		fl_cleanup_report_free(&rep);
	return err;
}
