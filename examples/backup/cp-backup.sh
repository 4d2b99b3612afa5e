#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A backup for `faultline backup run --strategy exec`, with cp: the model of
# a user's own script, and what the exec strategy's test runs.
#
#   faultline backup run --strategy exec \
#       --backup-cmd /path/to/cp-backup.sh --restore-cmd /path/to/cp-restore.sh ...
#
# Each backup copies the whole data directory into $FAULTLINE_BACKUP_REPO/N,
# whatever its kind: an incr or a diff costs here what a full costs (a real
# script hands $FAULTLINE_BACKUP_KIND to its tool). A copy is not consistent
# for a server that changes many files at once (PostgreSQL: use pg_basebackup
# or pgbackrest); it is for the file: log, whose records are appended whole.
# The copy's end time is kept beside it, for cp-restore.sh's point in time.
set -eu

dest="$FAULTLINE_BACKUP_REPO/$FAULTLINE_BACKUP_N"
rm -rf "$dest.part"
mkdir "$dest.part"
cp -a "$FAULTLINE_DATA_DIR/." "$dest.part/data"
date +%s.%N > "$dest.part/end-time"
# A backup must outlive a crash of this host: the files, then their names.
find "$dest.part" -exec sync {} +
mv "$dest.part" "$dest"
sync "$FAULTLINE_BACKUP_REPO"

# What faultline reads back from the output: the name and the size of this backup.
echo "label=$FAULTLINE_BACKUP_N-$FAULTLINE_BACKUP_KIND"
echo "bytes=$(du -sb "$dest" | cut -f1)"
