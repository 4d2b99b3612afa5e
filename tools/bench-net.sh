#!/bin/bash
# faultline net against the bare network, side by side in one run.
#
#   usage: tools/bench-net.sh [BUILD_DIR] [--json]
#
# All traffic stays inside two network namespaces made for the run
# (fl-bench-a-PID, fl-bench-b-PID: a veth pair, 10.213.0.1 and .2), removed
# on exit, Ctrl-C included. Every run is bounded in time and count.
#   (1) TCP throughput, iperf3 A -> B: native, then with faultline net
#       'tcp:dport=9:drop' armed on A's veth (the tc program runs on every
#       packet and matches none), interleaved native, armed, native, ...
#       for FL_BENCH_NET_REPS rounds (default 3) of FL_BENCH_NET_SECS
#       seconds (default 2); each armed run is divided by the mean of the
#       native runs around it, the median is printed. Goal (issue 13): >= 0.97.
#       Each round also runs with an empty clsact qdisc on the veth (what
#       faultline adds on kernels without tcx, without its filters), to tell
#       the hook's cost from the program's.
#   (2) delay accuracy: 'udp:dport=5300:delay=50ms~10ms' on --netns A (the
#       NFQUEUE delay line); 200 UDP round trips A -> B -> A, added latency =
#       RTT - the median native RTT; p50 and p95. Goal: p50 within 50 +- 2 ms.
#   (3) loss accuracy: 'udp:dport=5400:drop:prob=30%' on A's veth, 10,000
#       datagrams counted by B, with --seed 42 twice and --seed 43 once.
#       Goal: 30 +- 2 %, and the same count for the same seed.
#   (4) on/off: a datagram every ms from A to B; 'udp:dport=5500:drop' on
#       A's veth is started, then stopped (SIGTERM). Printed: start of
#       faultline -> first datagram lost, and SIGTERM / exit -> first
#       datagram through again (negative: clean before faultline exited);
#       also faultline's own load time (--verbose), how it attached (tcx
#       links, or a clsact qdisc it made) and the datagrams lost outside the
#       drop window, with when they were sent. Making or removing a clsact
#       qdisc on an up device runs dev_deactivate, which drops whatever the
#       device sends meanwhile: on kernels without tcx (before 6.6) a few
#       strays at on and off are expected; with tcx none.
#   (5) rate accuracy: 'tcp:dport=5202:rate=R:dir=egress' on A's veth (HTB,
#       <faultline/net_shape.h>), R = 1mbit then 10mbit; iperf3 TCP A -> B for
#       max(FL_BENCH_NET_SECS, 4) s, received goodput / R. With gso_max_segs 1 on
#       the veth (a 64 KB GSO burst is half a second at 1 Mbit/s); the ideal
#       goodput is 1448/1514 = 0.956 of R (TCP payload per wire byte).
#       Row (2) names the delay mechanism the run took: netem where the
#       kernel has it, else the NFQUEUE line (this host has no netem).
# Environment: FL_BENCH_NET_REPS, FL_BENCH_NET_SECS.
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
	-*) echo "bench-net: unknown option '$arg' (usage: tools/bench-net.sh [BUILD_DIR] [--json])" >&2
	    exit 2 ;;
	*) build=$arg ;;
	esac
done

reps=${FL_BENCH_NET_REPS:-3}
secs=${FL_BENCH_NET_SECS:-2}
for n in "$reps" "$secs"; do
	if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
		echo "bench-net: FL_BENCH_NET_REPS/SECS must be positive integers, got '$n'" >&2
		exit 2
	fi
done
faultline=$build/faultline
peer=$(dirname "$0")/bench-net-peer.py
if [[ $(id -u) -ne 0 ]]; then
	echo "bench-net: needs root (netns, BPF, iptables); run: sudo make bench" >&2
	exit 1
fi
[[ -x $faultline ]] || { echo "bench-net: $faultline is missing; run make first" >&2; exit 1; }
for c in iperf3 python3 ip; do
	command -v "$c" >/dev/null ||
		{ echo "bench-net: $c missing: run tools/install-deps.sh" >&2; exit 1; }
done

note() {
	printf '%s\n' "$*" >&2
}

ns_a=fl-bench-a-$$ ns_b=fl-bench-b-$$
dev_a=flba$$ dev_b=flbb$$
dev_a=${dev_a:0:15} dev_b=${dev_b:0:15}
ip_a=10.213.0.1 ip_b=10.213.0.2
tmp=$(mktemp -d /tmp/fl-bench-net.XXXXXX) || exit 1
pids=()

# End what we started, by pid (faultline first: it removes its filters and
# queue rules on SIGTERM), then the namespaces, which takes the veth along.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local p
	for p in ${pids[@]+"${pids[@]}"}; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in ${pids[@]+"${pids[@]}"}; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget() { # pid: no longer ours to end
	local p keep=()
	for p in ${pids[@]+"${pids[@]}"}; do
		[[ $p != "$1" ]] && keep+=("$p")
	done
	pids=(${keep[@]+"${keep[@]}"})
}

# Not for '&': a backgrounded function is a subshell, and \$! would be its pid
# rather than the command's (ip netns exec execs the command itself).
# Run CMD (bounded by SECONDS) in the background and wait for it: the wait
# builtin returns at once on a Ctrl-C and the trap runs. A foreground child
# that catches SIGINT and exits normally would make bash carry on instead.
bounded() { # SECONDS OUTFILE CMD...
	local s=$1 out=$2 p rc
	shift 2
	timeout -k 2 "$s" "$@" >"$out" 2>>"$tmp/stderr" &
	p=$!
	pids+=("$p")
	wait "$p"
	rc=$?
	forget "$p"
	return "$rc"
}
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }

ip netns add "$ns_a" && ip netns add "$ns_b" &&
	ip link add "$dev_a" netns "$ns_a" type veth peer name "$dev_b" netns "$ns_b" &&
	in_a ip addr add "$ip_a/24" dev "$dev_a" && in_b ip addr add "$ip_b/24" dev "$dev_b" &&
	in_a ip link set "$dev_a" up && in_b ip link set "$dev_b" up &&
	in_a ip link set lo up && in_b ip link set lo up &&
	mac_a=$(in_a cat "/sys/class/net/$dev_a/address") &&
	mac_b=$(in_b cat "/sys/class/net/$dev_b/address") &&
	# Permanent neighbours: no datagram waits on ARP during a count.
	in_a ip neigh replace "$ip_b" lladdr "$mac_b" dev "$dev_a" nud permanent &&
	in_b ip neigh replace "$ip_a" lladdr "$mac_a" dev "$dev_b" nud permanent ||
	{ note "bench-net: could not set up the namespaces"; exit 1; }

# Start faultline net with ARGS in the background; return once it says it is
# armed (its stderr line "... armed ...", which --json prints with --verbose). Sets fl_pid; output in $tmp/fl.*.
fl_start() {
	local i
	"$faultline" net "$@" --json --verbose >"$tmp/fl.out" 2>"$tmp/fl.err" &
	fl_pid=$!
	pids+=("$fl_pid")
	for ((i = 0; i < 500; i++)); do
		grep -q ' armed ' "$tmp/fl.err" 2>/dev/null && return 0
		if ! kill -0 "$fl_pid" 2>/dev/null; then
			note "bench-net: faultline net $* did not arm: $(head -c 300 "$tmp/fl.err")"
			forget "$fl_pid"
			return 1
		fi
		sleep 0.01
	done
	note "bench-net: faultline net $* did not arm within 5 s"
	return 1
}
fl_stop() {
	kill -TERM "$fl_pid" 2>/dev/null
	wait "$fl_pid" 2>/dev/null
	forget "$fl_pid"
}
# From faultline's --json summary: the first rule's FIELD.
fl_field() {
	grep '^{' "$tmp/fl.out" | tail -n 1 | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) exit 1; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_start=$(date +%s%N)

# --- (1) TCP throughput --------------------------------------------------------
iperf_port=5201
ip netns exec "$ns_b" iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
iperf_pid=$!
pids+=("$iperf_pid")
sleep 0.3
iperf_run() { # -> gbps: Gbit/s received
	bounded "$((secs + 10))" "$tmp/iperf.json" ip netns exec "$ns_a" iperf3 -c "$ip_b" \
		-p "$iperf_port" -t "$secs" -J || return 1
	gbps=$(python3 -c 'import json, sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		<"$tmp/iperf.json" 2>/dev/null)
}
tput_rule='tcp:dport=9:drop'
note "bench-net (1): iperf3 ${secs} s runs, $reps rounds"
iperf_run || { note "bench-net: iperf3 failed"; exit 1; }
prev=$gbps
nat=("$prev") armed=() ratios=() qdisc=() q_ratios=() tput_check=ok
paired() { awk -v a="$1" -v p="$2" -v n="$3" 'BEGIN { printf "%.4f", 2 * a / (p + n) }'; }
for ((r = 0; r < reps; r++)); do
	fl_start "$tput_rule" --dev "$dev_a" --netns "$ns_a" || exit 1
	iperf_run || { note "bench-net: iperf3 failed"; exit 1; }
	a=$gbps
	fl_stop
	m=$(fl_field matched)
	[[ $m == 0 ]] || tput_check="the rule matched $m packets (want 0)"
	iperf_run || { note "bench-net: iperf3 failed"; exit 1; }
	n=$gbps
	armed+=("$a") nat+=("$n")
	ratios+=("$(paired "$a" "$prev" "$n")")
	prev=$n
	# The qdisc faultline adds, without its filters: what the hook costs
	# before any program runs.
	in_a tc qdisc add dev "$dev_a" clsact || { note "bench-net: tc qdisc add failed"; exit 1; }
	iperf_run || { note "bench-net: iperf3 failed"; exit 1; }
	q=$gbps
	in_a tc qdisc del dev "$dev_a" clsact
	iperf_run || { note "bench-net: iperf3 failed"; exit 1; }
	n=$gbps
	qdisc+=("$q") nat+=("$n")
	q_ratios+=("$(paired "$q" "$prev" "$n")")
	prev=$n
done
kill -TERM "$iperf_pid" 2>/dev/null
wait "$iperf_pid" 2>/dev/null
forget "$iperf_pid"
t_nat=$(printf '%s\n' "${nat[@]}" | median)
t_armed=$(printf '%s\n' "${armed[@]}" | median)
t_ratio=$(printf '%s\n' "${ratios[@]}" | median)
t_qdisc=$(printf '%s\n' "${qdisc[@]}" | median)
t_qratio=$(printf '%s\n' "${q_ratios[@]}" | median)

# --- (2) delay accuracy --------------------------------------------------------
d_port=5300 d_req=50 d_jit=10 d_n=200
note "bench-net (2): $d_n UDP round trips, native then delay=${d_req}ms~${d_jit}ms"
ip netns exec "$ns_b" python3 "$peer" echo "$d_port" 30 &
echo_pid=$!
pids+=("$echo_pid")
sleep 0.3
bounded 20 "$tmp/rtt.native" ip netns exec "$ns_a" python3 "$peer" pingpong "$ip_b" "$d_port" "$d_n"
fl_start "udp:dport=$d_port:delay=${d_req}ms~${d_jit}ms" --netns "$ns_a" --seed 42 || exit 1
bounded 60 "$tmp/rtt.delay" ip netns exec "$ns_a" python3 "$peer" pingpong "$ip_b" "$d_port" "$d_n"
fl_stop
d_mech=$(grep '^{' "$tmp/fl.out" | tail -n 1 | grep -o '"mechanism":"[^"]*"' | head -n 1 | cut -d'"' -f4)
kill -TERM "$echo_pid" 2>/dev/null
wait "$echo_pid" 2>/dev/null
forget "$echo_pid"
rtt_nat=$(grep -v lost "$tmp/rtt.native" | median)
d_lost=$(grep -c lost "$tmp/rtt.delay")
# Added latency per round trip in ms; p50 and p95 (nearest rank).
read -r d_p50 d_p95 d_cnt < <(grep -v lost "$tmp/rtt.delay" |
	awk -v b="$rtt_nat" '{ print ($1 - b) / 1000 }' | sort -g |
	awk '{ v[NR] = $1 } END { if (!NR) { print "- - 0"; exit }
		i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999)
		printf "%.2f %.2f %d\n", v[i50], v[i95], NR }')
rtt_nat_ms=$(awk -v b="$rtt_nat" 'BEGIN { printf "%.3f", b / 1000 }')

# --- (3) loss accuracy ---------------------------------------------------------
l_port=5400 l_n=10000
note "bench-net (3): $l_n datagrams under prob=30%, seeds 42, 42, 43"
loss_run() { # seed -> sets rcv, inj
	local cpid
	fl_start "udp:dport=$l_port:drop:prob=30%" --dev "$dev_a" --netns "$ns_a" --seed "$1" ||
		return 1
	ip netns exec "$ns_b" python3 "$peer" count "$l_port" 1 20 >"$tmp/count" &
	cpid=$!
	pids+=("$cpid")
	sleep 0.3
	bounded 30 /dev/null ip netns exec "$ns_a" python3 "$peer" blast "$ip_b" "$l_port" "$l_n"
	wait "$cpid"
	forget "$cpid"
	fl_stop
	rcv=$(cat "$tmp/count")
	inj=$(fl_field injected)
	inj=${inj:--}
}
loss_seed=(42 42 43) loss_pct=() loss_inj=()
for s in "${loss_seed[@]}"; do
	rcv='' inj=''
	loss_run "$s" || exit 1
	[[ -n ${rcv:-} ]] || { note "bench-net: loss run with seed $s failed"; exit 1; }
	loss_pct+=("$(awk -v r="$rcv" -v n="$l_n" 'BEGIN { printf "%.2f", 100 * (n - r) / n }')")
	loss_inj+=("$inj")
done

# --- (4) fault on -> effective, off -> clean ----------------------------------
o_port=5500 o_reps=3
note "bench-net (4): on/off latency, a datagram every ms, $o_reps runs"
onoff_run() { # -> $tmp/onoff: "on_ms off_after_term_ms off_after_exit_ms stray_losses"
	local rpid spid t0 t1 t2
	ip netns exec "$ns_b" python3 "$peer" seqrecv "$o_port" 1 10 >"$tmp/seq.recv" &
	rpid=$!
	pids+=("$rpid")
	sleep 0.3
	ip netns exec "$ns_a" python3 "$peer" seqsend "$ip_b" "$o_port" 2.5 >"$tmp/seq.sent" &
	spid=$!
	pids+=("$spid")
	sleep 0.5
	t0=$(date +%s%N)
	fl_start "udp:dport=$o_port:drop" --dev "$dev_a" --netns "$ns_a" || return 1
	if ip netns exec "$ns_a" tc qdisc show dev "$dev_a" | grep -q clsact; then
		attach_by+=(clsact)
	else
		attach_by+=(tcx)
	fi
	sleep 0.7
	t1=$(date +%s%N)
	fl_stop
	t2=$(date +%s%N)
	load_ms+=("$(sed -n 's/.*: load \([0-9.]*\)ms.*/\1/p' "$tmp/fl.err" | head -n 1)")
	wait "$spid"
	forget "$spid"
	wait "$rpid"
	forget "$rpid"
	python3 - "$tmp/seq.sent" "$tmp/seq.recv" "$t0" "$t1" "$t2" >"$tmp/onoff" <<-'EOF'
	import sys
	sent = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
	got = {int(l) for l in open(sys.argv[2])}
	t0, t1, t2 = map(int, sys.argv[3:6])
	# The drop window is the longest run of lost datagrams: its first one
	# is "on", the first one through after it is "off". Losses outside it
	# are counted as strays.
	best, cur = (0, 0), None
	for i, (q, t) in enumerate(sent):
	    if q in got:
	        cur = None
	        continue
	    cur = i if cur is None else cur
	    if i + 1 - cur > best[1] - best[0]:
	        best = (cur, i + 1)
	lost = sum(q not in got for q, t in sent)
	if best[1] == best[0] or best[1] >= len(sent):
	    print("- - - %d -" % lost)
	else:
	    on, back = sent[best[0]][1], sent[best[1]][1]
	    # Where the strays were, as COUNT@MS after faultline started.
	    runs, i = [], 0
	    while i < len(sent):
	        if sent[i][0] in got or best[0] <= i < best[1]:
	            i += 1
	            continue
	        j = i
	        while j < len(sent) and sent[j][0] not in got and not best[0] <= j < best[1]:
	            j += 1
	        runs.append("%d@%.0f" % (j - i, (sent[i][1] - t0) / 1e6))
	        i = j
	    print("%.1f %.1f %.1f %d %s" % ((on - t0) / 1e6, (back - t1) / 1e6, (back - t2) / 1e6,
	                                    lost - (best[1] - best[0]), ",".join(runs) or "-"))
	EOF
}
on_ms=() off_term_ms=() off_exit_ms=() stray=() stray_at=() load_ms=() attach_by=()
for ((r = 0; r < o_reps; r++)); do
	onoff_run || exit 1
	read -r a b c d e <"$tmp/onoff"
	on_ms+=("$a") off_term_ms+=("$b") off_exit_ms+=("$c") stray+=("$d") stray_at+=("$e")
done

# --- (5) rate accuracy ---------------------------------------------------------
r_port=5202 r_secs=$((secs > 4 ? secs : 4)) r_req=() r_got=() r_ratio=() r_mech=() r_wire=() r_rbytes=() r_rsecs=()
note "bench-net (5): iperf3 ${r_secs} s under rate=1mbit, then rate=10mbit"
in_a ip link set dev "$dev_a" gso_max_segs 1 || { note "bench-net: cannot set gso_max_segs"; exit 1; }
for rate in 1 10; do
	# A server of its own for each run (-1: it ends after one test). A
	# shared one is still draining the 1 Mbit/s run's queued data when
	# the next client comes: that client was refused ("the server is busy",
	# still exit 0 with -J) or, once, timed over a short interval.
	ip netns exec "$ns_b" iperf3 -s -1 -p "$r_port" >/dev/null 2>&1 &
	iperf_pid=$!
	pids+=("$iperf_pid")
	sleep 0.3
	fl_start "tcp:dport=$r_port:rate=${rate}mbit:dir=egress" --dev "$dev_a" --netns "$ns_a" || exit 1
	bounded "$((r_secs + 10))" "$tmp/iperf.json" ip netns exec "$ns_a" iperf3 -c "$ip_b" \
		-p "$r_port" -t "$r_secs" -J || { note "bench-net: iperf3 failed"; exit 1; }
	# iperf3's goodput, and what it rests on: the bytes received and the
	# receiver's seconds (a short receiver interval would inflate it).
	read -r got r_b r_s < <(python3 -c 'import json, sys
j = json.load(sys.stdin)
if j.get("error"):
    sys.exit("iperf3: " + j["error"])
e = j["end"]["sum_received"]
print("%.3f %d %.3f" % (e["bits_per_second"] / 1e6, e["bytes"], e["seconds"]))' \
		<"$tmp/iperf.json" 2>>"$tmp/stderr")
	[[ -n ${got:-} ]] || { note "bench-net: iperf3 at ${rate} Mbit/s: $(tail -n 1 "$tmp/stderr")"; exit 1; }
	fl_stop
	# The server ends once its receiver has drained; never left behind.
	timeout 20 tail --pid="$iperf_pid" -f /dev/null || kill -TERM "$iperf_pid" 2>/dev/null
	wait "$iperf_pid" 2>/dev/null
	forget "$iperf_pid"
	# Cross-check from the other end: what the HTB class let out over the
	# time faultline was armed (armed a little longer than iperf3 ran).
	r_wire+=("$(grep '^{' "$tmp/fl.out" | tail -n 1 | python3 -c 'import json, sys
j = json.load(sys.stdin)
print("%.3f" % (j["rules"][0].get("shaped_bytes", 0) * 8 / j["armed_s"] / 1e6))' 2>/dev/null || echo -)")
	r_rbytes+=("$r_b") r_rsecs+=("$r_s")
	r_mech+=("$(grep '^{' "$tmp/fl.out" | tail -n 1 | grep -o '"mechanism":"[^"]*"' | head -n 1 | cut -d'"' -f4)")
	r_req+=("$rate") r_got+=("$got")
	r_ratio+=("$(awk -v g="$got" -v r="$rate" 'BEGIN { printf "%.3f", g / r }')")
done
in_a ip link set dev "$dev_a" gso_max_segs 65535
v_rate=$(printf '%s\n' "${r_ratio[@]}" | awk '{ if ($1 < 0.85 || $1 > 1.15) bad = 1 } END { print bad ? "MISSED" : "met" }')

bench_s=$(awk -v a="$bench_start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
v_tput=$(awk -v r="$t_ratio" 'BEGIN { print (r >= 0.97) ? "met" : "MISSED" }')
v_delay=$(awk -v p="$d_p50" -v q="$d_req" 'BEGIN { d = p - q; if (d < 0) d = -d; print (p != "-" && d <= 2) ? "met" : "MISSED" }')
v_loss=$(awk -v a="${loss_pct[0]}" -v b="${loss_pct[1]}" -v c="${loss_pct[2]}" 'BEGIN {
	ok = (a >= 28 && a <= 32 && c >= 28 && c <= 32 && a == b); print ok ? "met" : "MISSED" }')

# The figures for build/bench/results.json (make bench sets FL_BENCH_FIGURES).
p_min() { printf '%s\n' "$@" | sort -g | head -n 1; }
p_max() { printf '%s\n' "$@" | sort -g | tail -n 1; }
bench_figure net "TCP throughput, '$tput_rule' armed on the veth" "$t_armed" Gbit/s native \
	"$t_nat" "$t_ratio" higher 0.97 "$(p_min "${ratios[@]}")" "$(p_max "${ratios[@]}")" \
	"iperf3 ${secs} s rounds, median of paired ratios"
bench_figure net "TCP throughput, an empty clsact qdisc alone" "$t_qdisc" Gbit/s native \
	"$t_nat" "$t_qratio" higher "" "$(p_min "${q_ratios[@]}")" "$(p_max "${q_ratios[@]}")"
bench_figure net "delay ${d_req}ms~${d_jit}ms ($d_mech): added p50" "$d_p50" ms requested \
	"$d_req" "" lower "" "" "" "p95 $d_p95 ms; goal: p50 within 2 ms of the request: $v_delay"
bench_figure net "loss prob=30%, seed 42" "${loss_pct[0]}" % requested 30 "" lower "" "" "" \
	"seed 42 again ${loss_pct[1]} %, seed 43 ${loss_pct[2]} %: $v_loss"
bench_figure net "on: faultline started -> first datagram lost" "$(printf '%s\n' "${on_ms[@]}" | median)" ms \
	"" "" "" lower "" "$(p_min "${on_ms[@]}")" "$(p_max "${on_ms[@]}")"
bench_figure net "off: SIGTERM -> first datagram through" "$(printf '%s\n' "${off_term_ms[@]}" | median)" ms \
	"" "" "" lower "" "$(p_min "${off_term_ms[@]}")" "$(p_max "${off_term_ms[@]}")"
# The rate's goal is two-sided (0.85-1.15 of the request): its figure is the distance from 1.
for i in "${!r_req[@]}"; do
	bench_figure net "rate ${r_req[i]} Mbit/s: goodput / requested, distance from 1" "${r_got[i]}" Mbit/s \
		requested "${r_req[i]}" "$(awk -v r="${r_ratio[i]}" 'BEGIN { d = r - 1; printf "%.3f", d < 0 ? -d : d }')" \
		lower 0.15 "" "" "goodput/requested ${r_ratio[i]} (ideal 0.956: headers)"
done

if ((json)); then
	list() { local IFS=,; printf '[%s]' "$*"; }
	qlist() { local s='' x; for x in "$@"; do s+="${s:+,}\"$x\""; done; printf '[%s]' "$s"; }
	printf '{"benchmark":"net","kernel":"%s","nproc":%s,"loadavg_start":"%s","loadavg_end":"%s","seconds":%s,\n' \
		"$(uname -r)" "$(nproc)" "$load_start" "$load_end" "$bench_s"
	printf ' "throughput":{"rule":"%s","unit":"Gbit/s","native":%s,"armed":%s,"ratio":%s,"target":0.97,"verdict":"%s","native_runs":%s,"armed_runs":%s,"paired_ratios":%s,"check":"%s",\n  "clsact_only":%s,"clsact_only_ratio":%s,"clsact_only_runs":%s,"clsact_only_paired_ratios":%s},\n' \
		"$tput_rule" "$t_nat" "$t_armed" "$t_ratio" "$v_tput" "$(list "${nat[@]}")" \
		"$(list "${armed[@]}")" "$(list "${ratios[@]}")" "$tput_check" "$t_qdisc" "$t_qratio" \
		"$(list "${qdisc[@]}")" "$(list "${q_ratios[@]}")"
	printf ' "delay":{"mechanism":"%s","requested_ms":%s,"jitter_ms":%s,"round_trips":%s,"lost":%s,"native_rtt_ms":%s,"added_p50_ms":%s,"added_p95_ms":%s,"verdict":"%s"},\n' \
		"$d_mech" "$d_req" "$d_jit" "$d_cnt" "$d_lost" "$rtt_nat_ms" "$d_p50" "$d_p95" "$v_delay"
	printf ' "rate":{"mechanism":%s,"requested_mbit":%s,"goodput_mbit":%s,"ratio":%s,"received_bytes":%s,"receiver_s":%s,"htb_out_mbit":%s,"ideal_ratio":0.956,"target":"0.85-1.15","verdict":"%s"},\n' \
		"$(qlist "${r_mech[@]}")" "$(list "${r_req[@]}")" "$(list "${r_got[@]}")" "$(list "${r_ratio[@]}")" \
		"$(list "${r_rbytes[@]}")" "$(list "${r_rsecs[@]}")" "$(qlist "${r_wire[@]}")" "$v_rate"
	printf ' "loss":{"prob_pct":30,"datagrams":%s,"seeds":%s,"lost_pct":%s,"injected":%s,"verdict":"%s"},\n' \
		"$l_n" "$(list "${loss_seed[@]}")" "$(list "${loss_pct[@]}")" "$(qlist "${loss_inj[@]}")" "$v_loss"
	printf ' "on_off":{"on_ms":%s,"off_after_sigterm_ms":%s,"off_after_exit_ms":%s,"stray_losses":%s,"stray_at":%s,"load_ms":%s,"attached_by":%s}}\n' \
		"$(qlist "${on_ms[@]}")" "$(qlist "${off_term_ms[@]}")" "$(qlist "${off_exit_ms[@]}")" \
		"$(list "${stray[@]}")" "$(qlist "${stray_at[@]}")" "$(qlist "${load_ms[@]}")" \
		"$(qlist "${attach_by[@]}")"
	exit 0
fi

echo
echo "faultline net vs the bare network: veth between two netns ($(uname -r), $(nproc) cores, load $load_start at start, $load_end at end)"
printf '  (1) TCP throughput, iperf3 %s s x %s rounds: native %s Gbit/s, %s armed %s Gbit/s: %sx native (goal >= 0.97: %s)\n' \
	"$secs" "$reps" "$t_nat" "'$tput_rule'" "$t_armed" "$t_ratio" "$v_tput"
printf '      paired ratios %s\n' "${ratios[*]}"
printf '      an empty clsact qdisc alone (no filter): %s Gbit/s, %sx native (paired %s)\n' \
	"$t_qdisc" "$t_qratio" "${q_ratios[*]}"
[[ $tput_check != ok ]] && printf '      WARNING: %s\n' "$tput_check"
printf '  (2) delay, requested %s ms ~ %s ms (%s), %s UDP round trips: added p50 %s ms, p95 %s ms (native RTT %s ms, %s lost) (goal p50 within +-2 ms: %s)\n' \
	"$d_req" "$d_jit" "$d_mech" "$d_cnt" "$d_p50" "$d_p95" "$rtt_nat_ms" "$d_lost" "$v_delay"
printf '  (3) loss, prob=30%% on %s datagrams: seed 42 %s%%, seed 42 again %s%%, seed 43 %s%% (faultline injected %s) (goal 30 +- 2 %%, repeatable: %s)\n' \
	"$l_n" "${loss_pct[0]}" "${loss_pct[1]}" "${loss_pct[2]}" "${loss_inj[*]}" "$v_loss"
printf '  (4) on -> first datagram lost, ms after faultline started: %s (of which loading the programs: %s)\n' \
	"${on_ms[*]}" "${load_ms[*]}"
printf '      off -> first datagram through, ms after SIGTERM: %s; after faultline exited: %s\n' \
	"${off_term_ms[*]}" "${off_exit_ms[*]}"
printf '      datagrams lost outside the drop window: %s (COUNT@MS after start: %s); attached by %s\n' \
	"${stray[*]}" "${stray_at[*]}" "${attach_by[*]}"
[[ " ${attach_by[*]} " == *" clsact "* ]] &&
	printf '      (clsact: making and removing the qdisc drops what the device sends meanwhile; kernels with tcx, 6.6+, do not)\n'
printf '  (5) rate, iperf3 TCP %s s (%s): requested %s Mbit/s, goodput %s Mbit/s: %s of requested (ideal 0.956; goal 0.85-1.15: %s)\n' \
	"$r_secs" "${r_mech[*]}" "${r_req[*]}" "${r_got[*]}" "${r_ratio[*]}" "$v_rate"
printf '      iperf3 received %s bytes in %s s (receiver); the HTB class let out %s Mbit/s over the armed time\n' \
	"${r_rbytes[*]}" "${r_rsecs[*]}" "${r_wire[*]}"
printf '  %s s in all\n' "$bench_s"
exit 0
