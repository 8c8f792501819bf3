#!/usr/bin/env bash
# `make bench`: runs each bench program (or bench/*.sh script) and lets it
# print its figures.
# Benches measure; they never pass or fail on a number.
set -euo pipefail
if [ $# -eq 0 ]; then
    echo "bench: no bench programs built"
    exit 0
fi
for b in "$@"; do
    echo "== $(basename "$b")"
    if [[ "$b" == *.sh ]]; then bash "$b"; else "$b"; fi
done
