/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SQLite's own check, shared by the sqlite strategy's verify and the sqlite store's check. */
#ifndef FL_BACKUP_SQLITE_INTEGRITY_H
#define FL_BACKUP_SQLITE_INTEGRITY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * PRAGMA integrity_check on the database at path (not created when
 * absent), waiting up to busy_ms for a writer's lock: 0 with *ret_ok,
 * and when not ok its first message in why. A file too damaged to be
 * read as a database at all (SQLITE_CORRUPT, SQLITE_NOTADB) is not ok
 * either. -EIO when it could not be opened or checked (why says why).
 */
int fl_bk_sqlite_integrity(const char *path, int busy_ms, bool *ret_ok, char *why, size_t len);

#endif /* FL_BACKUP_SQLITE_INTEGRITY_H */
