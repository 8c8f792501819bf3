#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan against the library, and runs each for a bounded time from its seed
# corpus (tests/fuzz/corpus/<target>/). A crash, leak or sanitizer report
# fails the run; the reproducer is kept under build/fuzz/. Targets build
# and run FUZZ_JOBS at a time (default: the number of CPUs), each for the
# whole SECONDS, so more cores shorten the run without fuzzing any less.
#
# Usage: tests/fuzz/run.sh SECONDS TARGET.c...
set -euo pipefail
secs=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
pkgs="libcurl libcjson yaml-0.1 openssl libwebsockets"

[ $# -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }
jobs=${FUZZ_JOBS:-$(nproc)}
make -C "$root" --no-print-directory -j"$jobs" BUILD=build/fuzz CC=clang SAN=1 \
    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" archives >/dev/null
# Program code (sidecar/, operator/) comes before the library it uses.
archives=()
for a in libsidecar.a liboperator.a libberth.a; do
    [ -f "$out/$a" ] && archives+=("$out/$a")
done
# One target: build, run, write its verdict line to $out/<name>.verdict
# ("ok <summary>" or "FAILED").
fuzz_one() {
    local src=$1 name bin corpus seeds
    name=$(basename "$src" .c)
    bin="$out/$name"
    # shellcheck disable=SC2046,SC2086
    if ! clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -I"$root/lib" -I"$root" -I"$root/sidecar" $(pkg-config --cflags $pkgs) \
        "$root/$src" "${archives[@]}" $(pkg-config --libs $pkgs) -lpthread -o "$bin" \
        >"$out/$name.log" 2>&1; then
        echo FAILED >"$out/$name.verdict"
        return
    fi
    corpus="$out/corpus/$name"
    mkdir -p "$corpus" "$out/artifacts/$name"
    seeds="$root/tests/fuzz/corpus/$name"
    if [ -d "$seeds" ]; then cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true; fi
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -artifact_prefix="$out/artifacts/$name/" "$corpus" >"$out/$name.log" 2>&1; then
        echo "ok $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$out/$name.log" | tail -1)s" \
            >"$out/$name.verdict"
    else
        echo FAILED >"$out/$name.verdict"
    fi
}

running=0
for src in "$@"; do
    rm -f "$out/$(basename "$src" .c).verdict"
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    fuzz_one "$src" &
    running=$((running + 1))
done
wait || true

passed=0 failed=0
for src in "$@"; do
    name=$(basename "$src" .c)
    verdict=$(cat "$out/$name.verdict" 2>/dev/null || echo FAILED)
    if [ "${verdict%% *}" = ok ]; then
        echo "fuzz: $name: ${verdict#ok }"
        passed=$((passed + 1))
    else
        echo "fuzz: $name FAILED; log $out/$name.log, reproducer in $out/artifacts/$name/" >&2
        tail -40 "$out/$name.log" >&2
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed in $SECONDS s"
[ "$failed" -eq 0 ]
