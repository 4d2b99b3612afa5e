#!/bin/bash
# faultfs against the native filesystem and against libfuse's passthrough_ll,
# side by side in one run.
#
#   usage: tools/bench-faultfs.sh [BUILD_DIR] [--json]
#
# Three sides run every job, all on the same filesystem (/var/tmp, not
# tmpfs): native (a plain directory), faultfs (mounted over a sibling
# directory) and passthrough_ll (libfuse's example, the cost of FUSE with
# no bookkeeping, compiled here at run time from the libfuse3-dev package
# and never copied into the tree). Each round runs the three sides of a
# job back to back, the order rotated from round to round (the random
# jobs get three times the rounds); the ratios of a round compare runs
# that followed one another. A row prints the medians of the sides and of
# the per-round ratios faultfs/native, passthrough_ll/native and
# faultfs/passthrough_ll, and the spread of the faultfs ratios over the
# rounds (half the range, in % of the median). The load average is read
# before and after each job.
#
# Jobs:
#   seqwrite         1 MiB sequential appends for FL_BENCH_FS_SEQ_SECS
#                    seconds, then fsync; the figure is bytes over the wall
#                    time including that fsync (long enough that the
#                    final fsync does not decide it)
#   seqread-cold     1 MiB sequential read of a synced file whose pages were
#                    dropped on both sides (the mount's and the backing
#                    file's: posix_fadvise DONTNEED)
#   randread-warm    4 KiB random reads of a cached file (--invalidate=0)
#   randwrite-fsync  4 KiB random overwrites, fsync after each
#   create-unlink    create + close + unlink of FL_BENCH_FS_FILES files
#
# Goals (issue 17): faultfs >= passthrough_ll on every job; seqwrite >=
# 1.0x native, randread-warm >= 0.9x native, create-unlink >= 0.5x native.
# LazyFS is not compared: it is not installed here.
#
# Environment: FL_BENCH_FS_REPS (rounds, default 3), FL_BENCH_FS_JOBS
# (space-separated subset), FL_BENCH_FS_SEQ_SECS (default 10),
# FL_BENCH_FS_RUNTIME (seconds per random job run, default 2),
# FL_BENCH_FS_SIZE (random jobs' file, default 256M), FL_BENCH_FS_READ_SIZE
# (cold read's file, default 1G), FL_BENCH_FS_FILES (default 10000),
# FL_BENCH_FS_FAULTFS_OPTS (extra -o options for faultfs), FL_BENCH_FS_JSON
# (also write the --json document to this file while printing the table).
set -u
# shellcheck source=tools/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=build
json=0
for arg in "$@"; do
	case $arg in
	--json|-j) json=1 ;;
	-h|--help)
		sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
		exit 0 ;;
	-*) echo "bench-faultfs: unknown option '$arg'" >&2; exit 2 ;;
	*) build=$arg ;;
	esac
done

reps=${FL_BENCH_FS_REPS:-3}
seq_secs=${FL_BENCH_FS_SEQ_SECS:-10}
runtime=${FL_BENCH_FS_RUNTIME:-2}
size=${FL_BENCH_FS_SIZE:-256M}
read_size=${FL_BENCH_FS_READ_SIZE:-1G}
files=${FL_BENCH_FS_FILES:-10000}
read -r -a jobs <<<"${FL_BENCH_FS_JOBS:-seqwrite seqread-cold randread-warm randwrite-fsync create-unlink}"
faultfs=$build/faultfs
meta=$build/targets/fl-meta-loop
example=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
lazyfs_note="LazyFS is not installed on this machine (and cannot be: no network), so it is not compared"

say() { [[ $json -eq 0 ]] && echo "$@" >&2; return 0; }

if [[ $(id -u) -ne 0 ]]; then
	echo "bench-faultfs: needs root (FUSE mount); run: sudo make bench" >&2
	exit 1
fi
for bin in "$faultfs" "$meta"; do
	[[ -x $bin ]] || { echo "bench-faultfs: $bin missing: run make first" >&2; exit 1; }
done
command -v fio >/dev/null || { echo "bench-faultfs: fio missing: run tools/install-deps.sh" >&2; exit 1; }
[[ -r $example ]] || { echo "bench-faultfs: $example missing: install libfuse3-dev" >&2; exit 1; }
command -v cc >/dev/null || { echo "bench-faultfs: no C compiler for passthrough_ll" >&2; exit 1; }

# On the disk, not tmpfs: the comparison must include the real filesystem.
work=$(mktemp -d /var/tmp/fl-bench-fs.XXXXXX)
# The time-based sequential write stops at this size (it would wrap round
# and overwrite): 40 % of the free space, at most 32 GiB.
avail_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
seq_cap_mb=$(( avail_kb * 4 / 10 / 1024 ))
(( seq_cap_mb > 32768 )) && seq_cap_mb=32768
if (( seq_cap_mb < 2048 )); then
	echo "bench-faultfs: less than 5 GiB free in /var/tmp" >&2
	rm -rf "$work"
	exit 1
fi

declare -A dir=([native]=$work/native [faultfs]=$work/ffs-mnt [pll]=$work/pll-mnt
	[pllx]=$work/pllx-mnt)
declare -A backing=([native]=$work/native [faultfs]=$work/ffs-backing [pll]=$work/pll-backing
	[pllx]=$work/pllx-backing)
declare -A pid=()
sides=(native faultfs pll)
mkdir -p "$work/native" "$work/ffs-backing" "$work/ffs-mnt" "$work/pll-backing" "$work/pll-mnt" \
	"$work/pllx-backing" "$work/pllx-mnt"

cleanup() {
	local m

	for m in "$work/ffs-mnt" "$work/pll-mnt" "$work/pllx-mnt"; do
		if mountpoint -q "$m"; then
			fusermount3 -u "$m" 2>/dev/null || umount -l "$m"
		fi
	done
	for m in "${pid[@]}"; do
		kill "$m" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_mount() { # dir
	for _ in $(seq 200); do
		mountpoint -q "$1" && return 0
		sleep 0.05
	done
	return 1
}

# shellcheck disable=SC2086
# Their notices (the name journal's bound, reached by create-unlink) go to a
# file, printed only if a mount fails.
"$faultfs" "${backing[faultfs]}" "${dir[faultfs]}" -f ${FL_BENCH_FS_FAULTFS_OPTS:+-o "$FL_BENCH_FS_FAULTFS_OPTS"} \
	2>"$work/faultfs.log" &
pid[faultfs]=$!
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$work/passthrough_ll" "$example" $(pkg-config --cflags --libs fuse3) ||
	{ echo "bench-faultfs: cannot build $example" >&2; exit 1; }
"$work/passthrough_ll" -f -o source="${backing[pll]}" "${dir[pll]}" 2>/dev/null &
pid[pll]=$!
# passthrough_ll with its xattr handlers, as a passthrough that keeps
# xattrs needs them: the kernel then asks it for security.capability before
# every write (without them it answers ENOSYS once and is never asked
# again; faultfs is not asked: it handles killpriv v2). For write+fsync.
"$work/passthrough_ll" -f -o source="${backing[pllx]}" -o xattr "${dir[pllx]}" 2>/dev/null &
pid[pllx]=$!
wait_mount "${dir[faultfs]}" ||
	{ echo "bench-faultfs: faultfs did not mount" >&2; cat "$work/faultfs.log" >&2; exit 1; }
wait_mount "${dir[pll]}" || { echo "bench-faultfs: passthrough_ll did not mount" >&2; exit 1; }
wait_mount "${dir[pllx]}" || { echo "bench-faultfs: passthrough_ll -o xattr did not mount" >&2; exit 1; }

load1() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }

# Drop the cached pages of a file: through the mount (the FUSE inode's
# pages) and of the backing file (same path for native). Clean pages only:
# the file was synced.
drop_pages() { # side name
	python3 -c '
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "${dir[$1]}/$2" "${backing[$1]}/$2"
}

# fio prints one JSON document: the job's bytes, bandwidth (KiB/s) or IOPS.
fio_get() { # metric < json
	python3 -c "
import json, sys
j = json.load(sys.stdin)['jobs'][0]
side = 'write' if j['write']['io_bytes'] else 'read'
print(j[side]['$1'])"
}

fio_common=(--output-format=json --ioengine=psync --fallocate=none)

run_side() { # job side -> prints the figure
	local d=${dir[$2]} t0 t1 bytes
	case $1 in
	seqwrite)
		t0=$(now)
		bytes=$(fio "${fio_common[@]}" --name=sw --filename="$d/sw.dat" --rw=write --bs=1M \
			--size="${seq_cap_mb}M" --time_based --runtime="$seq_secs" --end_fsync=1 \
			2>/dev/null | fio_get io_bytes)
		t1=$(now)
		rm -f "$d/sw.dat"
		awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.0f", b / 1024 / (z - a) }' ;;
	seqread-cold)
		fio "${fio_common[@]}" --name=prep --filename="$d/sr.dat" --rw=write --bs=1M \
			--size="$read_size" --end_fsync=1 >/dev/null 2>&1
		drop_pages "$2" sr.dat
		fio "${fio_common[@]}" --name=sr --filename="$d/sr.dat" --rw=read --bs=1M \
			--size="$read_size" --invalidate=1 2>/dev/null | fio_get bw
		rm -f "$d/sr.dat" ;;
	randread-warm)
		fio "${fio_common[@]}" --name=prep --filename="$d/rr.dat" --rw=write --bs=1M \
			--size="$size" >/dev/null 2>&1
		cat "$d/rr.dat" >/dev/null
		fio "${fio_common[@]}" --name=rr --filename="$d/rr.dat" --rw=randread --bs=4k \
			--size="$size" --invalidate=0 --time_based --runtime="$runtime" 2>/dev/null |
			fio_get iops
		rm -f "$d/rr.dat" ;;
	randwrite-fsync)
		fio "${fio_common[@]}" --name=rwf --filename="$d/rwf.dat" --rw=randwrite --bs=4k \
			--size="$size" --fsync=1 --time_based --runtime="$runtime" 2>/dev/null |
			fio_get iops
		rm -f "$d/rwf.dat" ;;
	create-unlink)
		"$meta" "$d" "$files" | sed -n 's/.*: \([0-9]*\) create+unlink\/s/\1/p' ;;
	esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# Half the range of the values, in % of their median.
spread() { sort -g | awk '{ a[NR] = $1 } END {
	m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	printf "%.1f", m ? (a[NR] - a[1]) / 2 / m * 100 : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b ? a / b : 0 }'; }

declare -A unit=([seqwrite]=KiB/s [seqread-cold]=KiB/s [randread-warm]=IOPS
	[randwrite-fsync]=IOPS [create-unlink]=ops/s)
# Goals of faultfs/native ("-": none, the goal is passthrough_ll's figure).
declare -A goal_native=([seqwrite]=1.0 [seqread-cold]=- [randread-warm]=0.9
	[randwrite-fsync]=- [create-unlink]=0.5)
declare -A res=()

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench-faultfs: $lazyfs_note."
for job in "${jobs[@]}"; do
	[[ -n ${unit[$job]:-} ]] || { echo "bench-faultfs: unknown job '$job'" >&2; exit 2; }
	[[ $json -eq 0 ]] && printf '  running %-16s' "$job" >&2
	res[$job.load0]=$(load1)
	declare -A v=()
	fn=() pn=() fp=() fx=() nat=() ffs=() pll=() pllx=()
	# The random jobs are short and the disk's latency drifts over seconds:
	# three times the rounds, each pairing runs seconds apart. So is
	# create-unlink, and ext4 makes each round pay for the inodes the rounds
	# before freed in the same block group (recently_deleted, README).
	job_reps=$reps
	[[ $job == rand* || $job == create-unlink ]] && job_reps=$((reps * 3))
	job_sides=("${sides[@]}")
	[[ $job == randwrite-fsync ]] && job_sides+=(pllx)
	n_sides=${#job_sides[@]}
	for ((r = 0; r < job_reps; r++)); do
		for ((i = 0; i < n_sides; i++)); do
			s=${job_sides[(r + i) % n_sides]}
			v[$s]=$(run_side "$job" "$s")
			[[ -n ${v[$s]} ]] || { echo "bench-faultfs: $job on $s gave no figure" >&2; exit 1; }
		done
		nat+=("${v[native]}") ffs+=("${v[faultfs]}") pll+=("${v[pll]}")
		fn+=("$(ratio "${v[faultfs]}" "${v[native]}")")
		pn+=("$(ratio "${v[pll]}" "${v[native]}")")
		fp+=("$(ratio "${v[faultfs]}" "${v[pll]}")")
		if ((n_sides > 3)); then
			pllx+=("${v[pllx]}")
			fx+=("$(ratio "${v[faultfs]}" "${v[pllx]}")")
		fi
		[[ $json -eq 0 ]] && printf '.' >&2
	done
	res[$job.load1]=$(load1)
	res[$job.native]=$(printf '%s\n' "${nat[@]}" | median)
	res[$job.faultfs]=$(printf '%s\n' "${ffs[@]}" | median)
	res[$job.pll]=$(printf '%s\n' "${pll[@]}" | median)
	res[$job.fn]=$(printf '%s\n' "${fn[@]}" | median)
	res[$job.pn]=$(printf '%s\n' "${pn[@]}" | median)
	res[$job.fp]=$(printf '%s\n' "${fp[@]}" | median)
	res[$job.fn_spread]=$(printf '%s\n' "${fn[@]}" | spread)
	res[$job.pn_spread]=$(printf '%s\n' "${pn[@]}" | spread)
	res[$job.fp_spread]=$(printf '%s\n' "${fp[@]}" | spread)
	res[$job.native_spread]=$(printf '%s\n' "${nat[@]}" | spread)
	res[$job.faultfs_spread]=$(printf '%s\n' "${ffs[@]}" | spread)
	# make bench's results.json: faultfs against native, and against passthrough_ll.
	g=${goal_native[$job]}
	[[ $g == - ]] && g=
	read -r lo hi < <(printf '%s\n' "${fn[@]}" | sort -g | sed -n '1p;$p' | xargs)
	bench_figure faultfs "$job: faultfs / native" "${res[$job.faultfs]}" "${unit[$job]}" native \
		"${res[$job.native]}" "${res[$job.fn]}" higher "$g" "$lo" "$hi" \
		"passthrough_ll / native ${res[$job.pn]}"
	read -r lo hi < <(printf '%s\n' "${fp[@]}" | sort -g | sed -n '1p;$p' | xargs)
	bench_figure faultfs "$job: faultfs / passthrough_ll" "${res[$job.faultfs]}" "${unit[$job]}" \
		passthrough_ll "${res[$job.pll]}" "${res[$job.fp]}" higher 1.0 "$lo" "$hi"
	if ((${#fx[@]})); then
		res[$job.pllx]=$(printf '%s\n' "${pllx[@]}" | median)
		res[$job.fx]=$(printf '%s\n' "${fx[@]}" | median)
		res[$job.fx_spread]=$(printf '%s\n' "${fx[@]}" | spread)
		read -r lo hi < <(printf '%s\n' "${fx[@]}" | sort -g | sed -n '1p;$p' | xargs)
		bench_figure faultfs "$job: faultfs / passthrough_ll -o xattr" "${res[$job.faultfs]}" \
			"${unit[$job]}" "passthrough_ll -o xattr" "${res[$job.pllx]}" "${res[$job.fx]}" \
			higher 1.0 "$lo" "$hi" "only pll -o xattr is asked for security.capability before each write"
	fi
	[[ $json -eq 0 ]] && echo " done" >&2
done

# Power cut latency through the mount, CLI round trip included.
faultline=$build/faultline
pc_append='' pc_over=''
if [[ -x $faultline ]]; then
	m=${dir[faultfs]}
	pc_time() { # -> seconds for one power cut of the faultfs mount
		local t0 t1
		t0=$(now)
		"$faultline" fs powercut "$m" >/dev/null || echo "bench-faultfs: powercut failed" >&2
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
	}
	# One cut is one sample of a figure that load moves by 2-3x: the median of
	# $reps rounds, with the least and the most. The file is created unsynced,
	# so each cut also undoes its create.
	pa=() po=()
	for ((r = 0; r < reps; r++)); do
		dd if=/dev/zero of="$m/pc-append" bs=1M count=1024 status=none
		pa+=("$(pc_time)")
		# Durable, name included (a cut would remove a file whose directory was
		# never fsynced, and the overwrites would be appends to a new file).
		dd if=/dev/zero of="$m/pc-over" bs=1M count=256 conv=fsync status=none
		"$faultline" fs sync "$m" >/dev/null
		dd if=/dev/urandom of="$m/pc-over" bs=1M count=256 conv=notrunc status=none
		po+=("$(pc_time)")
		rm -f "$m/pc-append" "$m/pc-over"
	done
	pc_append=$(printf '%s\n' "${pa[@]}" | median)
	pc_over=$(printf '%s\n' "${po[@]}" | median)
	read -r pa_lo pa_hi < <(printf '%s\n' "${pa[@]}" | sort -g | sed -n '1p;$p' | xargs)
	read -r po_lo po_hi < <(printf '%s\n' "${po[@]}" | sort -g | sed -n '1p;$p' | xargs)
fi
if [[ -n $pc_append ]]; then
	bench_figure faultfs "powercut through the CLI, 1 GiB of unsynced appends" "$pc_append" s \
		"" "" "$pc_append" lower 0.1 "$pa_lo" "$pa_hi" "median of $reps"
	bench_figure faultfs "powercut through the CLI, 256 MiB of unsynced overwrites" "$pc_over" s \
		"" "" "$pc_over" lower 0.1 "$po_lo" "$po_hi" "median of $reps"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

met() { # ratio goal -> met / MISSED / ""
	[[ $2 == - ]] && return 0
	awk -v r="$1" -v g="$2" 'BEGIN { printf "%s", (r >= g) ? "met" : "MISSED" }'
}

json_out() {
	printf '{"benchmark":"faultfs","kernel":"%s","cores":%s,"reps":%s,"random_reps":%s,"random_secs":%s,"seq_secs":%s,' \
		"$(uname -r)" "$(nproc)" "$reps" "$((reps * 3))" "$runtime" "$seq_secs"
	printf '"load_start":"%s","load_end":"%s","note":"%s","figures":[' "$load_start" "$load_end" \
		"$lazyfs_note"
	sep=
	fig() { # name job value baseline ratio spread goal
		local g=$7 m
		m=$(met "$5" "$g")
		[[ $g == - ]] && g=null
		printf '%s{"name":"%s","job":"%s","unit":"%s","value":%s,"baseline":%s,"ratio":%s,' \
			"$sep" "$1" "$2" "${unit[$2]}" "$3" "$4" "$5"
		printf '"spread_pct":%s,"goal":%s,"met":%s,"load":{"before":%s,"after":%s}}' \
			"$6" "$g" "$([[ -z $m ]] && echo null || { [[ $m == met ]] && echo true || echo false; })" \
			"${res[$2.load0]}" "${res[$2.load1]}"
		sep=,
	}
	for job in "${jobs[@]}"; do
		fig "$job faultfs/native" "$job" "${res[$job.faultfs]}" "${res[$job.native]}" \
			"${res[$job.fn]}" "${res[$job.fn_spread]}" "${goal_native[$job]}"
		fig "$job passthrough_ll/native" "$job" "${res[$job.pll]}" "${res[$job.native]}" \
			"${res[$job.pn]}" "${res[$job.pn_spread]}" -
		fig "$job faultfs/passthrough_ll" "$job" "${res[$job.faultfs]}" "${res[$job.pll]}" \
			"${res[$job.fp]}" "${res[$job.fp_spread]}" 1.0
		[[ -n ${res[$job.fx]:-} ]] &&
			fig "$job faultfs/passthrough_ll -o xattr" "$job" "${res[$job.faultfs]}" \
				"${res[$job.pllx]}" "${res[$job.fx]}" "${res[$job.fx_spread]}" 1.0
	done
	if [[ -n $pc_append ]]; then
		printf ',{"name":"powercut 1 GiB unsynced appends","unit":"s","value":%s,"baseline":null,' "$pc_append"
		printf '"ratio":null,"goal":0.1,"lower_is_better":true,"load":{"after":"%s"}}' "$load_end"
		printf ',{"name":"powercut 256 MiB unsynced overwrites","unit":"s","value":%s,"baseline":null,' "$pc_over"
		printf '"ratio":null,"goal":0.1,"lower_is_better":true,"load":{"after":"%s"}}' "$load_end"
	fi
	printf ']}\n'
}
if [[ $json -eq 1 ]]; then
	json_out
	exit 0
fi
[[ -n ${FL_BENCH_FS_JSON:-} ]] && json_out >"$FL_BENCH_FS_JSON"

echo
echo "faultfs, passthrough_ll (pll) and native ($(uname -r), $(nproc) cores, median of $reps rounds," \
	"order rotated; seqwrite ${seq_secs} s + fsync, random jobs $((reps * 3)) rounds of ${runtime} s on $size," \
	"create-unlink $((reps * 3)) rounds of $files files)"
echo "load average: $load_start at the start, $load_end at the end. $lazyfs_note."
printf '%-16s %11s %11s %11s %7s %7s %7s %7s %7s %6s %6s  %-6s %s\n' JOB NATIVE FAULTFS PLL \
	F/N PLL/N F/PLL "F/N+-%" "F/P+-%" GOAL/N LOAD UNIT ""
for job in "${jobs[@]}"; do
	g=${goal_native[$job]}
	a=$(met "${res[$job.fn]}" "$g") b=$(met "${res[$job.fp]}" 1.0)
	printf '%-16s %11.0f %11.0f %11.0f %6.2fx %6.2fx %6.2fx %7s %7s %6s %6s  %-6s %s\n' "$job" \
		"${res[$job.native]}" "${res[$job.faultfs]}" "${res[$job.pll]}" "${res[$job.fn]}" \
		"${res[$job.pn]}" "${res[$job.fp]}" "${res[$job.fn_spread]}" "${res[$job.fp_spread]}" "$g" \
		"${res[$job.load1]}" "${unit[$job]}" \
		"${a:+vs native $a; }vs pll ${b}"
done
if [[ -n ${res[randwrite-fsync.fx]:-} ]]; then
	printf '%-16s faultfs %.0f, passthrough_ll -o xattr %.0f %s: %.2fx (+-%s %%; pll -o xattr is asked for security.capability before each write, faultfs is not)\n' \
		"randwrite-fsync" "${res[randwrite-fsync.faultfs]}" "${res[randwrite-fsync.pllx]}" \
		"${unit[randwrite-fsync]}" "${res[randwrite-fsync.fx]}" "${res[randwrite-fsync.fx_spread]}"
fi
if [[ -n $pc_append ]]; then
	printf '%-16s %s s (%s-%s) for 1 GiB of unsynced appends, %s s (%s-%s) for 256 MiB of unsynced overwrites (median of %s; goal <= 0.1 s)\n' \
		"powercut" "$pc_append" "$pa_lo" "$pa_hi" "$pc_over" "$po_lo" "$po_hi" "$reps"
fi
