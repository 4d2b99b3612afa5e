#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The restore of cp-backup.sh: the newest copy in $FAULTLINE_BACKUP_REPO back
# into the (empty) $FAULTLINE_DATA_DIR. faultline chowns it to the service's
# user afterwards and starts the service.
#
# FAULTLINE_RESTORE=pitr: copies have no log to replay, so the best a copy can
# do is the newest one that ended at or before $FAULTLINE_TARGET_EPOCH: no
# write from after the target comes back, but those acknowledged between that
# copy and the target are lost, and faultline's PITR verdict counts them.
set -eu

repo="$FAULTLINE_BACKUP_REPO"
mode="${FAULTLINE_RESTORE:-latest}"
best=0
for dir in "$repo"/*; do
	n="${dir##*/}"
	case "$n" in
	'' | *[!0-9]*) continue ;;  # N.part: a backup that did not finish
	esac
	[ -f "$dir/end-time" ] || continue
	if [ "$mode" = pitr ] &&
	   ! awk -v end="$(cat "$dir/end-time")" -v target="$FAULTLINE_TARGET_EPOCH" \
		'BEGIN { exit !(end + 0 <= target + 0) }'; then
		continue
	fi
	if [ "$n" -gt "$best" ]; then
		best="$n"
	fi
done
if [ "$best" -eq 0 ]; then
	echo "cp-restore.sh: no copy in $repo to restore ($mode${FAULTLINE_TARGET_TIME:+ to $FAULTLINE_TARGET_TIME})" >&2
	exit 1
fi
cp -a "$repo/$best/data/." "$FAULTLINE_DATA_DIR/"
find "$FAULTLINE_DATA_DIR" -exec sync {} +
echo "restored copy $best ($mode)"
