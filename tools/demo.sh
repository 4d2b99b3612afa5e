#!/bin/bash
# make demo: probe this kernel, then measure what a power cut costs an SQLite
# database on faultfs, once with synchronous=FULL and once with OFF, and a
# managed PostgreSQL with synchronous_commit=off (skipped without the package).
#   usage: tools/demo.sh BUILD_DIR
set -u

build=${1:-build}
faultline=$build/faultline

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root (BPF programs, a FUSE mount); run it as root, or as 'make demo', which uses sudo" >&2
	exit 1
fi
for bin in "$faultline" "$build/faultfs"; do
	if [[ ! -x $bin ]]; then
		echo "demo: $bin is missing; run make first" >&2
		exit 1
	fi
done

# Not /tmp: it may be a tmpfs, and the point is a real disk under faultfs.
tmp=$(mktemp -d /var/tmp/faultline-demo.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

heading() {
	printf '\n== %s ==\n\n' "$1"
}

heading "Step 1: what this kernel allows (faultline probe)"
"$faultline" probe
probe_rc=$?
[[ $probe_rc -ne 0 ]] && echo "(faultline probe exited with status $probe_rc)"

# One power-cut session: SQLite with the given synchronous= setting.
session() {
	local sync=$1 dir=$tmp/$1
	mkdir -p "$dir"
	heading "SQLite, synchronous=$sync: 2 clients insert for 2 s, then the power goes"
	echo "  faultline rpo -w 'sqlite:$dir/app.db?synchronous=$sync' --fault powercut \\"
	echo "      --fault-at 2s --after 1s --clients 2 -o $build/demo-$sync.json"
	echo
	"$faultline" rpo -w "sqlite:$dir/app.db?synchronous=$sync" --fault powercut \
		--fault-at 2s --after 1s --clients 2 --quiet -o "$build/demo-$sync.json" \
		2>"$tmp/$sync.txt"
	local rc=$?
	sed 's/^/  /' "$tmp/$sync.txt"
	echo "  exit status $rc"
}

session FULL
session OFF

# "trial 1 (seed 1): A acknowledged, L lost, ...; RPO X ms (W writes, B bytes); RTO Y ms"
field() {
	sed -n "s/^trial 1 .*$2.*/\\1/p" "$tmp/$1.txt" | head -1
}
row() {
	printf '  %-18s %12s %8s %12s %12s\n' "synchronous=$1" \
		"$(field "$1" ': \([0-9]*\) acknowledged')" "$(field "$1" ', \([0-9]*\) lost')" \
		"$(field "$1" 'RPO \([0-9.]* ms\)')" "$(field "$1" 'RTO \([0-9.]* ms\)')"
}

heading "The difference"
printf '  %-18s %12s %8s %12s %12s\n' "" "acknowledged" "lost" "RPO" "RTO"
row FULL
row OFF
cat <<'TEXT'

Both runs ran the same load on the same disk model; only SQLite's durability
setting differs. faultfs kept every write volatile until the application
fsynced it, and the power cut dropped the rest, names included: that is the
exact loss a sudden power failure would cause on a disk that honours fsync.

With synchronous=OFF SQLite never fsyncs, so every commit since the database
was created is at the mercy of the page cache: the cut takes seconds of
acknowledged inserts (RPO is about the whole run). With synchronous=FULL each
commit is fsynced, and the loss shrinks to the last commit at most: in the
default rollback-journal mode, the journal's deletion (the commit point) is a
directory entry change that FULL does not fsync, so the newest transaction may
be rolled back at recovery. synchronous=EXTRA (or journal_mode=WAL) closes that
window.
TEXT

# A managed service: faultline makes a throwaway PostgreSQL cluster itself.
heading "A managed PostgreSQL, synchronous_commit=off: no start script, just the spec"
if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && id postgres >/dev/null 2>&1; then
	echo "  faultline rpo -w 'postgres:local?synchronous_commit=off' --fault powercut \\"
	echo "      --fault-at 2s --after 1s --clients 2 -o $build/demo-postgres.json"
	echo
	"$faultline" rpo -w 'postgres:local?synchronous_commit=off' --fault powercut \
		--fault-at 2s --after 1s --clients 2 --quiet -o "$build/demo-postgres.json" \
		2>"$tmp/postgres.txt"
	rc=$?
	sed 's/^/  /' "$tmp/postgres.txt"
	echo "  exit status $rc"
	cat <<'TEXT'

faultline ran initdb as user postgres, started the server as postgres on faultfs,
cut the power, started it again on the same data directory, read everything
back, and threw the cluster away. Commits acknowledged in the last moments
before the cut were never flushed to the WAL: that is what synchronous_commit=off
trades for speed (up to three times wal_writer_delay, 600 ms by default).
TEXT
else
	echo "  skipped: no PostgreSQL server here (Debian package postgresql)"
fi

echo
echo "The JSON results, with every operation and every record read back:"
echo "  $build/demo-FULL.json  $build/demo-OFF.json"
[[ -f $build/demo-postgres.json ]] && echo "  $build/demo-postgres.json"
