// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The redis store's own integrity check after a restore: redis-check-aof
 * on the AOF manifest and redis-check-rdb on the RDB, whichever the
 * restored data directory has (both when both are there), run as the
 * store's user. The detail is the tool's last line (of the one that
 * failed, when one did; redis-check-rdb's finding rather than the
 * counters it prints after it).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redis_save.h"
#include "store.h"

#define CHECK_MS 60000

/* The last non-empty line of out, into buf. */
static void last_line(const char *out, char *buf, size_t len)
{
	const char *end = out + strlen(out), *start;

	while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > out && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
}

/* One tool on one file: OK, FAILED (it found damage) or ERROR (it could not run). */
static enum fl_backup_check run_check(struct fl_bk_ctx *c, const char *tool, const char *file,
				      char *line, size_t len)
{
	char out[4096];
	int err = fl_bk_cmd_as_store(c, CHECK_MS, out, sizeof(out),
				     (const char *const[]){ tool, file, NULL });

	if (err == -EIO) {
		/* redis-check-rdb ends with counters: its finding follows its banner. */
		const char *found = strstr(out, "RDB ERROR DETECTED ---\n");

		if (found) {
			found = strchr(found, '\n') + 1;
			snprintf(line, len, "%.*s", (int)strcspn(found, "\n"), found);
		} else {
			last_line(out, line, len);
		}
		return FL_BACKUP_CHECK_FAILED;
	}
	if (err) {
		snprintf(line, len, "%s", c->errbuf);
		return FL_BACKUP_CHECK_ERROR;
	}
	/* redis-check-rdb ends with key counts: its verdict is a line before. */
	if (!strcmp(tool, "redis-check-rdb") && strstr(out, "RDB looks OK"))
		snprintf(line, len, "RDB looks OK");
	else
		last_line(out, line, len);
	return FL_BACKUP_CHECK_OK;
}

/* How bad: NONE < OK < ERROR < FAILED (found damage beats could not look). */
static int rank(enum fl_backup_check v)
{
	return v == FL_BACKUP_CHECK_FAILED ? 3 : v == FL_BACKUP_CHECK_ERROR ? 2 :
	       v == FL_BACKUP_CHECK_OK ? 1 : 0;
}

int fl_bk_check_redis(struct fl_bk_ctx *c, enum fl_backup_check *ret, char *detail, size_t len)
{
	struct fl_bk_redis_files f;
	enum fl_backup_check verdict = FL_BACKUP_CHECK_NONE;
	char aof[PATH_MAX], rdb[PATH_MAX], line[256];
	int err;

	if (len)
		detail[0] = '\0';
	err = fl_bk_redis_files(c, &f);
	if (err) {
		*ret = FL_BACKUP_CHECK_ERROR;
		snprintf(detail, len, "%s", c->errbuf);
		return 0;
	}
	snprintf(aof, sizeof(aof), "%s/%s/%s.manifest", c->store->data_dir, f.aofdir, f.aofname);
	snprintf(rdb, sizeof(rdb), "%s/%s", c->store->data_dir, f.dbfilename);
	for (int i = 0; i < 2; i++) {
		const char *tool = i ? "redis-check-rdb" : "redis-check-aof";
		const char *file = i ? rdb : aof;
		enum fl_backup_check v;
		size_t used = strlen(detail);

		if (access(file, F_OK) < 0)
			continue;
		v = run_check(c, tool, file, line, sizeof(line));
		/* The worst verdict wins with its detail alone; OKs are listed together. */
		if (rank(v) < rank(verdict))
			continue;
		if (rank(v) > rank(verdict) || v != FL_BACKUP_CHECK_OK)
			used = 0;
		snprintf(detail + used, len - used, "%s%s: %s", used ? "; " : "", tool, line);
		verdict = v;
	}
	if (verdict == FL_BACKUP_CHECK_NONE)
		snprintf(detail, len, "no AOF manifest or RDB in %s", c->store->data_dir);
	*ret = verdict;
	return 0;
}
