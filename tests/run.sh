#!/bin/bash
# Run cmocka test binaries one after another and total their results.
# Each binary prints its own cmocka summary; the last line here is the sum
# for the whole suite, in the plain "N passed, N failed, N skipped" form.
set -u

TIMEOUT=${TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0
broken=()

for bin in "$@"; do
	echo "### ${bin#"${BUILD:-build}"/}"
	out=$(mktemp)
	timeout --kill-after=10 "$TIMEOUT" "$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}

	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	rm -f "$out"

	if ! [[ $p || $f ]]; then
		# No summary: the binary crashed or hung before cmocka finished.
		echo "### ${bin}: exited with status $rc and no cmocka summary"
		f=1
	elif [[ $rc -ne 0 && -z $f ]]; then
		echo "### ${bin}: exited with status $rc"
		f=1
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	[[ ${f:-0} -ne 0 ]] && broken+=("$bin")
done

echo
for b in "${broken[@]}"; do
	echo "FAILED: $b"
done
echo "cmocka: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
