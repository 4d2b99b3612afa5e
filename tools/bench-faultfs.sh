#!/bin/bash
# faultfs against the native filesystem, side by side in one run.
#
#   usage: tools/bench-faultfs.sh [BUILD_DIR] [--json]
#
# The same fio jobs run on a native directory and on faultfs (mounted over
# a sibling directory on the same filesystem), interleaved native, faultfs,
# native, ... for FL_BENCH_FS_REPS rounds (default 3). Each faultfs run is
# divided by the mean of the native runs around it; the ratio printed is
# the median. Targets (issue 3): sequential >= 70% of native, random >= 50%,
# create/unlink >= 30%.
# Environment: FL_BENCH_FS_REPS, FL_BENCH_FS_SIZE (default 256M),
# FL_BENCH_FS_RUNTIME (seconds per random job, default 5).
set -u

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
size=${FL_BENCH_FS_SIZE:-256M}
runtime=${FL_BENCH_FS_RUNTIME:-5}
faultfs=$build/faultfs
meta=$build/targets/fl-meta-loop

if [[ $(id -u) -ne 0 ]]; then
	echo "bench-faultfs: needs root (FUSE mount); run: sudo make bench" >&2
	exit 1
fi
for bin in "$faultfs" "$meta"; do
	[[ -x $bin ]] || { echo "bench-faultfs: $bin missing: run make first" >&2; exit 1; }
done
command -v fio >/dev/null || { echo "bench-faultfs: fio missing: run tools/install-deps.sh" >&2; exit 1; }

# On the disk, not tmpfs: the comparison must include the real filesystem.
work=$(mktemp -d /var/tmp/fl-bench-fs.XXXXXX)
native=$work/native backing=$work/backing mnt=$work/mnt
mkdir -p "$native" "$backing" "$mnt"
fs_pid=

cleanup() {
	if mountpoint -q "$work/pll-mnt"; then
		fusermount3 -u "$work/pll-mnt" 2>/dev/null || umount -l "$work/pll-mnt"
	fi
	if mountpoint -q "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	[[ -n $fs_pid ]] && kill "$fs_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$faultfs" "$backing" "$mnt" -f &
fs_pid=$!
for _ in $(seq 100); do
	mountpoint -q "$mnt" && break
	sleep 0.05
done
mountpoint -q "$mnt" || { echo "bench-faultfs: faultfs did not mount" >&2; exit 1; }

# fio prints one JSON document; take the job's bandwidth (KiB/s) or IOPS.
fio_run() { # dir name rw bs extra... -> prints value
	local dir=$1 name=$2 rw=$3 bs=$4 metric=$5
	shift 5
	fio --output-format=json --name="$name" --directory="$dir" --rw="$rw" --bs="$bs" \
		--size="$size" --ioengine=psync --invalidate=1 "$@" 2>/dev/null |
		python3 -c "
import json, sys
j = json.load(sys.stdin)['jobs'][0]
side = 'write' if j['write']['io_bytes'] else 'read'
print(j[side]['$metric'])"
	rm -f "$dir/$name".*
}

meta_run() { # dir -> create+unlink per second
	"$meta" "$1" 20000 | sed -n 's/.*: \([0-9]*\) create+unlink\/s/\1/p'
}

declare -A results
jobs=(seqwrite seqread randread randwrite-fsync create-unlink)
run_job() { # job dir
	case $1 in
	seqwrite) fio_run "$2" sw write 1M bw ;;
	seqread)
		fio --name=prep --directory="$2" --rw=write --bs=1M --size="$size" >/dev/null 2>&1
		fio_run "$2" prep read 1M bw ;;
	randread)
		fio --name=prep --directory="$2" --rw=write --bs=1M --size="$size" >/dev/null 2>&1
		fio_run "$2" prep randread 4k iops --time_based --runtime="$runtime" ;;
	randwrite-fsync) fio_run "$2" rwf randwrite 4k iops --fsync=1 --time_based --runtime="$runtime" ;;
	create-unlink) meta_run "$2" ;;
	esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for job in "${jobs[@]}"; do
	[[ $json -eq 0 ]] && printf '  running %-16s' "$job" >&2
	prev=$(run_job "$job" "$native")
	nat=("$prev") ffs=() ratios=()
	for _ in $(seq "$reps"); do
		f=$(run_job "$job" "$mnt")
		n=$(run_job "$job" "$native")
		ffs+=("$f")
		nat+=("$n")
		ratios+=("$(awk -v f="$f" -v a="$prev" -v b="$n" 'BEGIN { printf "%.4f", f / ((a + b) / 2) }')")
		prev=$n
	done
	results[$job.native]=$(printf '%s\n' "${nat[@]}" | median)
	results[$job.faultfs]=$(printf '%s\n' "${ffs[@]}" | median)
	results[$job.ratio]=$(printf '%s\n' "${ratios[@]}" | median)
	[[ $json -eq 0 ]] && echo " done" >&2
done

declare -A target=([seqwrite]=0.70 [seqread]=0.70 [randread]=0.50 [randwrite-fsync]=0.50 [create-unlink]=0.30)
declare -A unit=([seqwrite]="KiB/s" [seqread]="KiB/s" [randread]="IOPS" [randwrite-fsync]="IOPS" [create-unlink]="ops/s")

if [[ $json -eq 1 ]]; then
	printf '{"benchmark":"faultfs","kernel":"%s","reps":%s,"size":"%s","results":[' "$(uname -r)" "$reps" "$size"
	sep=
	for job in "${jobs[@]}"; do
		printf '%s{"job":"%s","unit":"%s","native":%s,"faultfs":%s,"ratio":%s,"target":%s}' "$sep" "$job" \
			"${unit[$job]}" "${results[$job.native]}" "${results[$job.faultfs]}" \
			"${results[$job.ratio]}" "${target[$job]}"
		sep=,
	done
	printf ']}\n'
	exit 0
fi

echo
echo "faultfs vs native ($(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), size $size, median of $reps)"
printf '%-16s %14s %14s %8s %8s  %s\n' JOB NATIVE FAULTFS RATIO TARGET UNIT
for job in "${jobs[@]}"; do
	ok=$(awk -v r="${results[$job.ratio]}" -v t="${target[$job]}" 'BEGIN { print (r >= t) ? "met" : "MISSED" }')
	printf '%-16s %14.0f %14.0f %7.2fx %7.2fx  %s %s\n' "$job" "${results[$job.native]}" \
		"${results[$job.faultfs]}" "${results[$job.ratio]}" "${target[$job]}" "${unit[$job]}" "$ok"
done

# Power cut latency through the mount, CLI round trip included (issue 3:
# 1 GiB of unsynced data within 1 s).
faultline=$build/faultline
if [[ -x $faultline ]]; then
	pc_time() { # -> seconds for one power cut of MNT
		local t0 t1
		t0=$(date +%s.%N)
		"$faultline" fs powercut "$mnt" >/dev/null || echo "bench-faultfs: powercut failed" >&2
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
	}
	dd if=/dev/zero of="$mnt/pc-append" bs=1M count=1024 status=none
	append_s=$(pc_time)
	dd if=/dev/zero of="$mnt/pc-over" bs=1M count=256 conv=fsync status=none
	"$faultline" fs powercut "$mnt" >/dev/null
	dd if=/dev/urandom of="$mnt/pc-over" bs=1M count=256 conv=notrunc status=none
	over_s=$(pc_time)
	rm -f "$mnt/pc-append" "$mnt/pc-over"
	printf '%-16s %s s for 1 GiB of unsynced appends, %s s for 256 MiB of unsynced overwrites (target < 1 s)\n' \
		"powercut" "$append_s" "$over_s"
fi

# The FUSE floor: libfuse's own passthrough_ll example (shipped by the
# libfuse3-dev package, built here in a scratch dir, never vendored) on the
# same create/unlink loop, so a miss can be told apart from FUSE's cost.
example=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
if [[ -r $example ]] && command -v cc >/dev/null; then
	pll=$work/passthrough_ll pb=$work/pll-backing pm=$work/pll-mnt
	mkdir -p "$pb" "$pm"
	if cc -O2 -o "$pll" "$example" $(pkg-config --cflags --libs fuse3) 2>/dev/null; then
		"$pll" -f -o source="$pb" "$pm" 2>/dev/null &
		pll_pid=$!
		for _ in $(seq 100); do mountpoint -q "$pm" && break; sleep 0.05; done
		floor=$(meta_run "$pm")
		fusermount3 -u "$pm" 2>/dev/null || umount -l "$pm"
		wait "$pll_pid" 2>/dev/null
		printf '%-16s %14.0f %14s %7.2fx %8s  %s\n' "  fuse floor" "${results[create-unlink.native]}" \
			"$floor" "$(awk -v f="$floor" -v n="${results[create-unlink.native]}" 'BEGIN { printf "%.2f", f / n }')" \
			"" "ops/s: libfuse passthrough_ll, the cost of FUSE alone"
	fi
fi
