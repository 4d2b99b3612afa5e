# shellcheck shell=bash
# Sourced by the bench scripts: one way to record a figure for
# build/bench/results.json (tools/bench-results.py collects them).
#
# When FL_BENCH_FIGURES names a file (make bench sets it), each
# bench_figure call appends one JSON line to it; otherwise it does nothing,
# so a script run by hand prints its own report and nothing else.

# bench_json_str TEXT: TEXT as a JSON string.
bench_json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

# A number as JSON, or null for "", "-" and anything not numeric.
bench_json_num() {
	if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
		printf '%s' "$1"
	else
		printf 'null'
	fi
}

# bench_figure BENCH NAME VALUE UNIT BASELINE_NAME BASELINE_VALUE RATIO BETTER \
#              [GOAL [SPREAD_MIN SPREAD_MAX [NOTE]]]
#   BENCH     the script's name (syscall, faultfs, net)
#   NAME      what was measured, stable between runs (bench-compare matches on it)
#   VALUE     faultline's figure in UNIT; BASELINE_VALUE the baseline's, same unit
#   RATIO     the figure the goal is about (value / baseline, or the reverse:
#             the script says which in NAME or NOTE); empty when there is none
#   BETTER    lower or higher: which way RATIO (else VALUE) improves
#   GOAL      the bound RATIO must meet (<= for lower, >= for higher); empty: none
#   SPREAD_*  the per-round ratios' min and max, when there were rounds
# The load average at the call is recorded with it.
bench_figure() {
	local bench=$1 name=$2 value=$3 unit=$4 bname=$5 bvalue=$6 ratio=$7 better=$8
	local goal=${9:-} smin=${10:-} smax=${11:-} note=${12:-} met=null load spread=null
	[[ -n ${FL_BENCH_FIGURES:-} ]] || return 0
	if [[ $better != lower && $better != higher ]]; then
		echo "bench_figure: BETTER is lower or higher, not '$better' ($name)" >&2
		return 1
	fi
	if [[ -n $goal && -n $ratio && $ratio =~ ^[0-9.eE+-]+$ ]]; then
		if awk -v r="$ratio" -v g="$goal" -v b="$better" \
			'BEGIN { exit !((b == "lower") ? r <= g : r >= g) }'; then
			met=true
		else
			met=false
		fi
	fi
	[[ -n $smin && -n $smax ]] &&
		spread="[$(bench_json_num "$smin"), $(bench_json_num "$smax")]"
	read -r load _ </proc/loadavg
	printf '{"bench": %s, "name": %s, "value": %s, "unit": %s, "baseline": {"name": %s, "value": %s}, "ratio": %s, "better": "%s", "goal": %s, "met": %s, "spread": %s, "loadavg": %s, "note": %s}\n' \
		"$(bench_json_str "$bench")" "$(bench_json_str "$name")" "$(bench_json_num "$value")" \
		"$(bench_json_str "$unit")" "$(bench_json_str "$bname")" "$(bench_json_num "$bvalue")" \
		"$(bench_json_num "$ratio")" "$better" "$(bench_json_num "$goal")" "$met" "$spread" \
		"$(bench_json_num "$load")" "$(bench_json_str "$note")" >>"$FL_BENCH_FIGURES"
}
