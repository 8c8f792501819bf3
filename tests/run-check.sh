#!/usr/bin/env bash
# Runs Check test programs and sums up their results into one closing line
# ("unit: N passed, N failed"). A shell script (*.sh) counts as one test,
# passed when it exits 0. Exits non-zero if any program failed or crashed,
# or if no test ran at all. Before the closing line it repeats which
# programs failed and Check's own failure lines, so the end of a long log
# says what went wrong. Each program's wall time is printed after it
# ("-- PROGRAM: N s"), and the label's total with the closing line, so a
# log shows where a run's time goes.
#
# Usage: tests/run-check.sh LABEL PROGRAM...
set -uo pipefail
label=$1
shift
passed=0 failed=0 broken=0
summary=()
all_start=$SECONDS
for prog in "$@"; do
    [ -e "$prog" ] || continue
    start=$SECONDS
    if [[ "$prog" == *.sh ]]; then
        echo "== $prog"
        if bash "$prog"; then
            passed=$((passed + 1))
        else
            rc=$?
            failed=$((failed + 1))
            summary+=("$prog exited $rc after $((SECONDS - start)) s")
        fi
        echo "-- $prog: $((SECONDS - start)) s"
        continue
    fi
    out=$(mktemp)
    "$prog" >"$out" 2>&1
    rc=$?
    cat "$out"
    echo "-- $prog: $((SECONDS - start)) s"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -1)
    if [ -z "$line" ]; then
        echo "$label: $prog exited $rc without a Check summary" >&2
        summary+=("$prog exited $rc without a Check summary")
        broken=$((broken + 1))
        rm -f "$out"
        continue
    fi
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    fails=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
    fails=$((fails))
    passed=$((passed + checks - fails))
    failed=$((failed + fails))
    if [ "$fails" -gt 0 ]; then
        while IFS= read -r f; do
            summary+=("$prog: $f")
        done < <(grep -E '^[^ ]+:[0-9]+:[FE]:' "$out")
    elif [ "$rc" -ne 0 ]; then
        echo "$label: $prog exited $rc" >&2
        summary+=("$prog exited $rc")
        broken=$((broken + 1))
    fi
    rm -f "$out"
done
if [ "${#summary[@]}" -gt 0 ]; then
    echo "$label failures:"
    printf '  %s\n' "${summary[@]}"
fi
echo "$label: $passed passed, $((failed + broken)) failed in $((SECONDS - all_start)) s"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$passed" -gt 0 ]
